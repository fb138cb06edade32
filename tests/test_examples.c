// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The example adapters of Documentation/adapters.rst (lib/examples/), run
 * on a real bus with the endpoint faked (fake_endpoint.h): they must do
 * what the guide says they do.  The guide quotes every example file in
 * full; the last test checks the quotes are the files, so neither rots.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <poll.h>
#include <stdatomic.h>
#include <time.h>
#include <cmocka.h>

#include "fake_endpoint.h"
#include "examples.h"

static int setup(void **state)
{
	(void)state;
	return fe_setup();
}

static int teardown(void **state)
{
	(void)state;
	fe_teardown();
	return 0;
}

/*
 * What the kernel checks in a record an adapter's file writes (UP or
 * ACK): the fake endpoint takes anything, so the tests check it here.
 */
static void assert_kernel_takes(const struct vmsig_event *ev)
{
	assert_int_equal(ev->dir, VMSIG_DIR_UP);
	assert_int_equal(ev->version, VMSIG_EVENT_VERSION);
	assert_int_equal(ev->reserved, 0);
	assert_true(ev->source > VMSIG_SRC_KERNEL && ev->source < VMSIG_SRC_MAX);
	if (ev->type == VMSIG_EV_ACT_ACK) {
		assert_int_equal(ev->flags, 0);
	} else {
		assert_true(ev->type >= VMSIG_EV_UP_MIN && ev->type < VMSIG_EV_DOWN_MIN);
		assert_int_equal(ev->flags & ~VMSIG_EVF_RETAIN, 0);
	}
}

static void expect_ack(uint64_t corr, int32_t status)
{
	struct vmsig_event ev;

	assert_true(fe_pump_for(VMSIG_EV_ACT_ACK, &ev));
	assert_kernel_takes(&ev);
	assert_int_equal(ev.corr, corr);
	assert_int_equal(ev.aux, status);
	assert_int_equal(ev.source, VMSIG_SRC_SENSOR);
}

static bool sink_bound(int nth, uint32_t flags)
{
	struct fe_rec r;

	return fe_logged(VMSIG_IOC_BIND_SINK, nth, &r) &&
	       r.arg.sink.source == VMSIG_SRC_SENSOR && r.arg.sink.flags == flags;
}

/* ------------------------------------------------------------ counter */

static void counter_publishes_changes_as_state(void **state)
{
	volatile uint64_t counter = 7;
	struct example_counter_cfg cfg = { .counter = &counter, .period_ms = 5 };
	struct vmsig_event ev;

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, example_counter_ops(), &cfg), 0);
	/* Publish only: no sink. */
	assert_int_equal(fe_count(VMSIG_IOC_BIND_SINK), 0);

	assert_true(fe_pump_for(EX_EV_COUNTER, &ev));
	assert_kernel_takes(&ev);
	assert_int_equal(ev.source, VMSIG_SRC_SENSOR);
	assert_int_equal(ev.flags, VMSIG_EVF_RETAIN);
	assert_int_equal(ev.payload.u64[0], 7);

	/* Unchanged: nothing more. */
	fe_run_for(40);
	assert_false(fe_take(&ev));

	counter = 8;
	assert_true(fe_pump_for(EX_EV_COUNTER, &ev));
	assert_int_equal(ev.payload.u64[0], 8);
}

static void counter_refuses_a_bad_config(void **state)
{
	struct example_counter_cfg cfg = { .counter = NULL };

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, example_counter_ops(), &cfg),
			 -EINVAL);
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, example_counter_ops(), NULL),
			 -EINVAL);
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 0);
}

/* ------------------------------------------------------------- socket */

static void socket_messages_up_and_down(void **state)
{
	struct example_socket_cfg cfg;
	struct vmsig_event ev;
	char buf[32];
	int dev[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, dev), 0);
	cfg.fd = dev[0];
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, example_socket_ops(), &cfg), 0);
	close(dev[0]);		/* the adapter has its own copy */
	assert_true(sink_bound(0, 0));

	/* The daemon speaks: one UP record per message. */
	assert_int_equal(send(dev[1], "hello", 5, 0), 5);
	assert_true(fe_pump_for(EX_EV_MSG, &ev));
	assert_kernel_takes(&ev);
	assert_int_equal(ev.aux, 5);
	assert_memory_equal(ev.payload.bytes, "hello", 5);

	/* Longer than a payload: cut, with the real length in aux. */
	assert_int_equal(send(dev[1], "0123456789abcdefXYZ", 19, 0), 19);
	assert_true(fe_pump_for(EX_EV_MSG, &ev));
	assert_int_equal(ev.aux, 19);
	assert_memory_equal(ev.payload.bytes, "0123456789abcdef", 16);

	/* A decision: sent, then ACKed with its corr. */
	memset(&ev, 0, sizeof(ev));
	ev.type = EX_EV_SEND;
	ev.source = VMSIG_SRC_SENSOR;
	ev.aux = 4;
	memcpy(ev.payload.bytes, "ping", 4);
	fe_send_down(&ev, 11);
	expect_ack(11, 0);
	assert_int_equal(recv(dev[1], buf, sizeof(buf), MSG_DONTWAIT), 4);
	assert_memory_equal(buf, "ping", 4);

	/* A bad length: submit() says -EINVAL, the bus ACKs it. */
	ev.aux = 17;
	fe_send_down(&ev, 12);
	expect_ack(12, -EINVAL);

	/* Another DOWN type: refused (1), the bus ACKs -EOPNOTSUPP. */
	ev.type = EX_EV_JOB;
	ev.aux = 1;
	fe_send_down(&ev, 13);
	expect_ack(13, -EOPNOTSUPP);

	/* The daemon leaves: the adapter fails and the seam is unbound. */
	close(dev[1]);
	fe_run_for(30);
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 0);
	assert_true(sink_bound(1, VMSIG_SINK_UNBIND));
}

/* ------------------------------------------------------------- worker */

/* The blocking API: sleeps, then answers -aux (0 for aux 0). */
static int slow_call(void *arg, const vmsig_event *req)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	(void)arg;
	nanosleep(&ts, NULL);
	return -req->aux;
}

static void send_job(uint64_t corr, int32_t aux)
{
	struct vmsig_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = EX_EV_JOB;
	ev.source = VMSIG_SRC_SENSOR;
	ev.aux = aux;
	fe_send_down(&ev, corr);
}

static void worker_answers_every_record_in_order(void **state)
{
	struct example_worker_cfg cfg = { .call = slow_call };

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, example_worker_ops(), &cfg), 0);
	assert_true(sink_bound(0, 0));
	send_job(21, 0);
	send_job(22, EIO);
	send_job(23, 0);
	expect_ack(21, 0);
	expect_ack(22, -EIO);
	expect_ack(23, 0);

	/* Two adapters with a submit() cannot share a seam. */
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, example_worker_ops(), &cfg),
			 -EBUSY);
}

static atomic_int gated_calls;

/* Blocks until the pipe @arg is readable, or 500 ms. */
static int gated_call(void *arg, const vmsig_event *req)
{
	struct pollfd p = { .fd = *(int *)arg, .events = POLLIN };

	(void)req;
	atomic_fetch_add(&gated_calls, 1);
	return poll(&p, 1, 500) == 1 ? 0 : -ETIMEDOUT;
}

static void worker_close_answers_what_never_ran(void **state)
{
	struct example_worker_cfg cfg = { .call = gated_call };
	struct vmsig_bus_stats st;
	struct vmsig_event ev;
	int gate[2];

	(void)state;
	assert_int_equal(pipe(gate), 0);
	cfg.arg = &gate[0];
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, example_worker_ops(), &cfg), 0);
	send_job(31, 0);
	send_job(32, 0);
	/* Both accepted: the first blocks in the call, the second waits. */
	for (int i = 0; i < 300; i++) {
		vmsig_bus_get_stats(fe_bus, &st);
		if (st.routed == 2 && atomic_load(&gated_calls))
			break;
		vmsig_bus_run_once(fe_bus, 10);
	}
	assert_int_equal(st.routed, 2);
	assert_int_equal(atomic_load(&gated_calls), 1);
	assert_false(fe_take(&ev));

	/* close() waits for the call in progress and cancels the rest. */
	vmsig_bus_free(fe_bus);
	fe_bus = NULL;
	assert_true(fe_take(&ev));
	assert_int_equal(ev.corr, 31);
	assert_int_equal(ev.aux, -ETIMEDOUT);
	assert_true(fe_take(&ev));
	assert_int_equal(ev.corr, 32);
	assert_int_equal(ev.aux, -ECANCELED);
	/* And only then is the seam unbound. */
	assert_true(sink_bound(1, VMSIG_SINK_UNBIND));
	close(gate[0]);
	close(gate[1]);
}

/* --------------------------------------- the guide quotes the files */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = calloc(1, (size_t)n + 1)) &&
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* @src as a reStructuredText literal block: every line indented 4 spaces. */
static char *as_literal_block(const char *src)
{
	char *out = calloc(1, strlen(src) * 2 + 8), *o = out;

	if (!out)
		return NULL;
	for (const char *l = src; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);

		if (len) {
			memcpy(o, "    ", 4);
			o += 4;
		}
		memcpy(o, l, len);
		o += len;
		*o++ = '\n';
		l += len + (nl ? 1 : 0);
	}
	return out;
}

static void guide_quotes_every_example(void **state)
{
	static const char *const files[] = {
		"examples.h", "adapter_counter.c", "adapter_socket.c",
		"adapter_worker.c",
	};
	char *guide = slurp(VMSIG_TOP "/Documentation/adapters.rst");

	(void)state;
	assert_non_null(guide);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		char *src, *block;

		snprintf(path, sizeof(path), VMSIG_TOP "/lib/examples/%s", files[i]);
		src = slurp(path);
		assert_non_null(src);
		block = as_literal_block(src);
		assert_non_null(block);
		if (!strstr(guide, block))
			fail_msg("Documentation/adapters.rst does not quote %s as it is",
				 path);
		free(block);
		free(src);
	}
	free(guide);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(counter_publishes_changes_as_state),
		T(counter_refuses_a_bad_config),
		T(socket_messages_up_and_down),
		T(worker_answers_every_record_in_order),
		T(worker_close_answers_what_never_ran),
		cmocka_unit_test(guide_quotes_every_example),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
