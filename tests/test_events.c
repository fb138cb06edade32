// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the event-ring wrappers: the subscription/counters/sink
 * ioctls (mocked), and reading/writing records on a fake endpoint, a
 * SOCK_SEQPACKET socketpair, whose message boundaries behave like the
 * kernel's whole records.  write() can be scripted to play the kernel's
 * partial acceptance.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmsig.h"
#include "ioctl_mock.h"

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

/*
 * Scripted write(): while script_len > 0 each call consumes one entry: a
 * number of records accepted (>= 0) or -errno.  Otherwise pass through.
 */
static int script[8];
static int script_len, script_pos;
static size_t write_sizes[8];

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	int r;

	if (script_pos >= script_len)
		return __real_write(fd, buf, n);
	write_sizes[script_pos] = n;
	r = script[script_pos++];
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return (ssize_t)r * (ssize_t)sizeof(struct vmsig_event);
}

static void set_script(int n, const int *steps)
{
	memcpy(script, steps, (size_t)n * sizeof(*steps));
	script_len = n;
	script_pos = 0;
}

static int sv[2];	/* sv[0]: the "endpoint file", sv[1]: the "kernel" */

static int setup_pair(void **state)
{
	(void)state;
	script_len = script_pos = 0;
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

static int teardown_pair(void **state)
{
	(void)state;
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return 0;
}

/* ------------------------------------------------------------ ioctls */

static void sub_set_and_get(void **state)
{
	struct vmsig_sub out = { .sources = 0x6, .kernel_types = 0x8,
				 .ring_size = 512 };
	struct vmsig_sub *in = &ioctl_seen.sub;
	struct vmsig_sub sub;

	(void)state;
	expect_ioctl(6, VMSIG_IOC_SET_SUB, 0, NULL, NULL);
	assert_int_equal(vmsig_set_sub(6, 0x6, 0x8, 1024), 0);
	assert_int_equal(in->size, sizeof(*in));
	assert_int_equal(in->flags, 0);
	assert_int_equal(in->sources, 0x6);
	assert_int_equal(in->kernel_types, 0x8);
	assert_int_equal(in->ring_size, 1024);
	assert_int_equal(in->reserved0, 0);
	assert_zero(in, offsetof(struct vmsig_sub, reserved), sizeof(*in));
	expect_ioctl(6, VMSIG_IOC_SET_SUB, -EBUSY, NULL, NULL);
	assert_int_equal(vmsig_set_sub(6, 0, 0, 16), -EBUSY);

	memset(&sub, 0xff, sizeof(sub));
	expect_ioctl(6, VMSIG_IOC_GET_SUB, 0, &out, NULL);
	assert_int_equal(vmsig_get_sub(6, &sub), 0);
	assert_int_equal(in->size, sizeof(*in));
	assert_zero(in, offsetof(struct vmsig_sub, flags), sizeof(*in));
	assert_int_equal(sub.sources, 0x6);
	assert_int_equal(sub.kernel_types, 0x8);
	assert_int_equal(sub.ring_size, 512);
	expect_ioctl(6, VMSIG_IOC_GET_SUB, -EINVAL, NULL, NULL);
	assert_int_equal(vmsig_get_sub(6, &sub), -EINVAL);
}

static void counters(void **state)
{
	struct vmsig_counters out = { .published = 10, .delivered = 6,
		.dropped = 1, .expired = 1, .queued = 2 };
	struct vmsig_counters c;

	(void)state;
	memset(&c, 0xff, sizeof(c));
	expect_ioctl(6, VMSIG_IOC_GET_COUNTERS, 0, &out, NULL);
	assert_int_equal(vmsig_get_counters(6, &c), 0);
	assert_int_equal(ioctl_seen.counters.size, sizeof(c));
	assert_zero(&ioctl_seen.counters, offsetof(struct vmsig_counters, flags),
		    sizeof(c));
	assert_int_equal(c.published, 10);
	assert_int_equal(c.delivered + c.dropped + c.expired + c.queued,
			 c.published);
	expect_ioctl(6, VMSIG_IOC_GET_COUNTERS, -EFAULT, NULL, NULL);
	assert_int_equal(vmsig_get_counters(6, &c), -EFAULT);
}

static void sink_bind_unbind(void **state)
{
	struct vmsig_sink *in = &ioctl_seen.sink;

	(void)state;
	expect_ioctl(6, VMSIG_IOC_BIND_SINK, 0, NULL, NULL);
	assert_int_equal(vmsig_bind_sink(6, VMSIG_SRC_INPUT), 0);
	assert_int_equal(in->size, sizeof(*in));
	assert_int_equal(in->flags, 0);
	assert_int_equal(in->source, VMSIG_SRC_INPUT);
	assert_int_equal(in->reserved0, 0);
	assert_zero(in, offsetof(struct vmsig_sink, reserved), sizeof(*in));

	expect_ioctl(6, VMSIG_IOC_BIND_SINK, 0, NULL, NULL);
	assert_int_equal(vmsig_unbind_sink(6, VMSIG_SRC_VMHOST), 0);
	assert_int_equal(in->flags, VMSIG_SINK_UNBIND);
	assert_int_equal(in->source, VMSIG_SRC_VMHOST);

	expect_ioctl(6, VMSIG_IOC_BIND_SINK, -EBUSY, NULL, NULL);
	assert_int_equal(vmsig_bind_sink(6, VMSIG_SRC_INPUT), -EBUSY);
	expect_ioctl(6, VMSIG_IOC_BIND_SINK, -ENOENT, NULL, NULL);
	assert_int_equal(vmsig_unbind_sink(6, VMSIG_SRC_INPUT), -ENOENT);
}

/* ------------------------------------------------------------ records */

static void event_init_zeroes(void **state)
{
	struct vmsig_event ev;

	(void)state;
	memset(&ev, 0xee, sizeof(ev));
	vmsig_event_init(&ev, VMSIG_EV_POWER, VMSIG_DIR_DOWN, VMSIG_SRC_VMHOST);
	assert_int_equal(ev.type, VMSIG_EV_POWER);
	assert_int_equal(ev.dir, VMSIG_DIR_DOWN);
	assert_int_equal(ev.source, VMSIG_SRC_VMHOST);
	assert_int_equal(ev.version, VMSIG_EVENT_VERSION);
	assert_int_equal(ev.prio, 0);
	assert_int_equal(ev.flags, 0);
	assert_zero(&ev, offsetof(struct vmsig_event, reserved), sizeof(ev));
}

static void read_events_whole_records(void **state)
{
	struct vmsig_event in[3], out[4];

	(void)state;
	for (int i = 0; i < 3; i++) {
		vmsig_event_init(&in[i], VMSIG_EV_UP_MIN + i, VMSIG_DIR_UP,
				 VMSIG_SRC_SENSOR);
		in[i].seq = 100 + i;
	}
	/* One message of two records, then one of one. */
	assert_int_equal(send(sv[1], in, 2 * sizeof(in[0]), 0), 128);
	assert_int_equal(send(sv[1], &in[2], sizeof(in[0]), 0), 64);
	assert_int_equal(vmsig_read_events(sv[0], out, 4), 2);
	assert_memory_equal(out, in, 2 * sizeof(in[0]));
	assert_int_equal(vmsig_read_events(sv[0], out, 4), 1);
	assert_int_equal(out[0].seq, 102);
	assert_int_equal(vmsig_read_events(sv[0], out, 0), 0);
}

static void read_events_nonblocking_and_eof(void **state)
{
	struct vmsig_event ev;
	char junk[10] = { 0 };

	(void)state;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	assert_int_equal(vmsig_read_events(sv[0], &ev, 1), 0);	/* EAGAIN */
	/* A torn record is never legitimate. */
	assert_int_equal(send(sv[1], junk, sizeof(junk), 0), 10);
	assert_int_equal(vmsig_read_events(sv[0], &ev, 1), -EIO);
	/* Dead and drained: end of file. */
	close(sv[1]);
	sv[1] = -1;
	assert_int_equal(vmsig_read_events(sv[0], &ev, 1), -EPIPE);
	assert_int_equal(vmsig_read_events(-1, &ev, 1), -EBADF);
}

static void wait_events_states(void **state)
{
	struct vmsig_event ev;
	int p[2];

	(void)state;
	assert_int_equal(vmsig_wait_events(sv[0], 0), 0);
	vmsig_event_init(&ev, VMSIG_EV_UP_MIN, VMSIG_DIR_UP, VMSIG_SRC_SENSOR);
	send(sv[1], &ev, sizeof(ev), 0);
	assert_int_equal(vmsig_wait_events(sv[0], 1000), 1);
	/* A pipe's reader sees POLLHUP alone, like a dead endpoint. */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[1]);
	assert_int_equal(vmsig_wait_events(p[0], 1000), -EPIPE);
	close(p[0]);
}

static void write_events_all(void **state)
{
	struct vmsig_event in[3], out[3];

	(void)state;
	for (int i = 0; i < 3; i++)
		vmsig_event_init(&in[i], VMSIG_EV_UP_MIN, VMSIG_DIR_UP,
				 VMSIG_SRC_SENSOR);
	assert_int_equal(vmsig_write_events(sv[0], in, 3), 3);
	assert_int_equal(recv(sv[1], out, sizeof(out), 0), 192);
	assert_memory_equal(out, in, sizeof(in));
	assert_int_equal(vmsig_write_events(sv[0], in, 0), 0);
}

static void write_events_partial(void **state)
{
	struct vmsig_event in[4];

	(void)state;
	memset(in, 0, sizeof(in));
	/* Accepted in pieces, with an interruption: all four go through. */
	set_script(4, (int[]){ 1, -EINTR, 2, 1 });
	assert_int_equal(vmsig_write_events(sv[0], in, 4), 4);
	assert_int_equal(write_sizes[0], 256);
	assert_int_equal(write_sizes[1], 192);
	assert_int_equal(write_sizes[2], 192);
	assert_int_equal(write_sizes[3], 64);

	/* Two accepted, then the third refused: the count, not the error. */
	set_script(2, (int[]){ 2, -ENXIO });
	assert_int_equal(vmsig_write_events(sv[0], in, 4), 2);
	/* The first refused: the error. */
	set_script(1, (int[]){ -ENXIO });
	assert_int_equal(vmsig_write_events(sv[0], in, 4), -ENXIO);
	set_script(1, (int[]){ -EAGAIN });
	assert_int_equal(vmsig_write_events(sv[0], in, 1), -EAGAIN);
	/* A zero-length write must not spin. */
	set_script(1, (int[]){ 0 });
	assert_int_equal(vmsig_write_events(sv[0], in, 1), -EIO);
}

static void submit_down_and_ack(void **state)
{
	struct vmsig_event ev, got;

	(void)state;
	vmsig_event_init(&ev, VMSIG_EV_POWER, VMSIG_DIR_UP, VMSIG_SRC_VMHOST);
	ev.version = 0;
	ev.corr = 0x1234;
	ev.aux = VMSIG_POWER_RESET;
	assert_int_equal(vmsig_submit_down(sv[0], &ev), 0);
	assert_int_equal(recv(sv[1], &got, sizeof(got), 0), 64);
	assert_int_equal(got.dir, VMSIG_DIR_DOWN);
	assert_int_equal(got.version, VMSIG_EVENT_VERSION);
	assert_int_equal(got.type, VMSIG_EV_POWER);
	assert_int_equal(got.corr, 0x1234);
	assert_int_equal(got.aux, VMSIG_POWER_RESET);

	/* Not a DOWN type: refused before any write. */
	ev.type = VMSIG_EV_VM_STATE;
	assert_int_equal(vmsig_submit_down(sv[0], &ev), -EINVAL);
	ev.type = VMSIG_EV_POWER;
	set_script(1, (int[]){ -ENXIO });
	assert_int_equal(vmsig_submit_down(sv[0], &ev), -ENXIO);

	/* The sink's answer: UP, ACT_ACK, same seam and corr, status in aux. */
	assert_int_equal(vmsig_ack(sv[0], &got, -EPERM), 0);
	assert_int_equal(recv(sv[1], &ev, sizeof(ev), 0), 64);
	assert_int_equal(ev.type, VMSIG_EV_ACT_ACK);
	assert_int_equal(ev.dir, VMSIG_DIR_UP);
	assert_int_equal(ev.source, VMSIG_SRC_VMHOST);
	assert_int_equal(ev.corr, 0x1234);
	assert_int_equal(ev.aux, -EPERM);
	assert_int_equal(ev.version, VMSIG_EVENT_VERSION);
	set_script(1, (int[]){ -EINVAL });
	assert_int_equal(vmsig_ack(sv[0], &got, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sub_set_and_get),
		cmocka_unit_test(counters),
		cmocka_unit_test(sink_bind_unbind),
		cmocka_unit_test(event_init_zeroes),
		cmocka_unit_test_setup_teardown(read_events_whole_records,
						setup_pair, teardown_pair),
		cmocka_unit_test_setup_teardown(read_events_nonblocking_and_eof,
						setup_pair, teardown_pair),
		cmocka_unit_test_setup_teardown(wait_events_states,
						setup_pair, teardown_pair),
		cmocka_unit_test_setup_teardown(write_events_all,
						setup_pair, teardown_pair),
		cmocka_unit_test_setup_teardown(write_events_partial,
						setup_pair, teardown_pair),
		cmocka_unit_test_setup_teardown(submit_down_and_ack,
						setup_pair, teardown_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
