// SPDX-License-Identifier: GPL-2.0
/*
 * The event ring: ordering across processes, priority lanes, overflow and
 * deadline accounting, read/poll/write semantics, DOWN routing with ACKs,
 * retained replay, and the endpoint dying under its readers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vmsig.h>

#include "kselftest_harness.h"
#include "vmm.h"

#define EV_SIZE		sizeof(struct vmsig_event)
#define T_SAMPLE	0x0200		/* an adapter-defined UP type */
/* A DOWN type that needs no lease: routing is tested here, fencing in lease.c. */
#define T_CMD		0x8100

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct vmsig_event up(uint16_t type, uint8_t source, uint64_t p0)
{
	struct vmsig_event ev = {
		.type = type, .dir = VMSIG_DIR_UP, .source = source,
	};

	ev.payload.u64[0] = p0;
	return ev;
}

static int write_ev(int fd, const struct vmsig_event *ev)
{
	ssize_t n = write(fd, ev, EV_SIZE);

	return n < 0 ? -errno : (int)(n / EV_SIZE);
}

/* Read up to @max records; returns the count or -errno. */
static int read_ev(int fd, struct vmsig_event *ev, int max)
{
	ssize_t n = read(fd, ev, max * EV_SIZE);

	if (n < 0)
		return -errno;
	return n / EV_SIZE;
}

static int derive(int ep, uint32_t flags)
{
	struct vmsig_derive d = { .size = sizeof(d), .flags = flags };
	int ret = ioctl(ep, VMSIG_IOC_DERIVE, &d);

	return ret < 0 ? -errno : ret;
}

static int set_ring(int fd, uint32_t size)
{
	struct vmsig_sub s = { .size = sizeof(s) };
	int ret = xioctl(fd, VMSIG_IOC_GET_SUB, &s);

	s.ring_size = size;
	return ret ?: xioctl(fd, VMSIG_IOC_SET_SUB, &s);
}

static int bind_sink(int fd, uint32_t source, uint32_t flags)
{
	struct vmsig_sink s = { .size = sizeof(s), .flags = flags, .source = source };

	return xioctl(fd, VMSIG_IOC_BIND_SINK, &s);
}

static struct vmsig_counters counters(int fd)
{
	struct vmsig_counters c = { .size = sizeof(c) };

	if (xioctl(fd, VMSIG_IOC_GET_COUNTERS, &c))
		memset(&c, 0xff, sizeof(c));
	return c;
}

static bool identity_holds(int fd)
{
	struct vmsig_counters c = counters(fd);

	return c.delivered + c.dropped + c.expired + c.queued == c.published;
}

FIXTURE(ev) {
	int dev;
	int ep;		/* the attach file: a subscriber like any other */
};

FIXTURE_SETUP(ev)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .backend = VMSIG_BACKEND_NONE, .fd = -1,
		.flags = VMSIG_ATTACH_NONBLOCK,
	};

	self->dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->ep = ioctl(self->dev, VMSIG_IOC_ATTACH, &at);
	ASSERT_LE(0, self->ep);
}

FIXTURE_TEARDOWN(ev)
{
	close(self->ep);
	close(self->dev);
}

TEST_F(ev, read_write_basics)
{
	struct vmsig_event ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, 42), got[4];
	struct vmsig_ep_info info = { .size = sizeof(info) };
	char small[EV_SIZE - 1];
	int sub = derive(self->ep, VMSIG_ATTACH_NONBLOCK);

	ASSERT_LE(0, sub);
	ASSERT_EQ(0, xioctl(self->ep, VMSIG_IOC_EP_INFO, &info));
	/* count == 0 only checks; a buffer below one record is refused. */
	EXPECT_EQ(0, read(sub, got, 0));
	EXPECT_EQ(-1, read(sub, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EAGAIN, read_ev(sub, got, 4));

	/* The kernel stamps seq, time and endpoint; forged values vanish. */
	ev.seq = 999999;
	ev.ts_ns = 1;
	ev.ep_id = 77;
	uint64_t before = now_ns();

	ASSERT_EQ(1, write_ev(self->ep, &ev));
	ASSERT_EQ(1, read_ev(sub, got, 4));
	EXPECT_EQ(T_SAMPLE, got[0].type);
	EXPECT_EQ(42, got[0].payload.u64[0]);
	EXPECT_EQ(info.ep_id, got[0].ep_id);
	EXPECT_NE(999999, got[0].seq);
	EXPECT_GE(got[0].ts_ns, before);
	EXPECT_LE(got[0].ts_ns, now_ns());
	EXPECT_EQ(VMSIG_EVENT_VERSION, got[0].version);
	/* The writer does not hear itself. */
	EXPECT_EQ(-EAGAIN, read_ev(self->ep, got, 4));
	/* A partial record cannot be read: a 100-byte buffer gets one. */
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	EXPECT_EQ(EV_SIZE, read(sub, got, 100));
	close(sub);
}

/* Break one rule of a good record; returns its name, NULL past the last. */
static const char *break_rule(struct vmsig_event *e, int i)
{
	switch (i) {
	case 0: e->type = VMSIG_EV_LIFECYCLE; return "kernel type";
	case 1: e->type = VMSIG_EV_DROPPED; return "DROPPED";
	case 2: e->type = 0x50; return "kernel-range type";
	case 3: e->type = VMSIG_EV_POWER; return "DOWN type as UP";
	case 4: e->dir = VMSIG_DIR_DOWN; return "UP type as DOWN";
	case 5: e->dir = 2; return "direction";
	case 6: e->prio = 2; return "priority";
	case 7: e->source = VMSIG_SRC_KERNEL; return "kernel source";
	case 8: e->source = VMSIG_SRC_MAX; return "unknown source";
	case 9: e->flags = 0x80; return "unknown flag";
	case 10: e->flags = VMSIG_EVF_REPLAY; return "replay flag";
	case 11: e->version = VMSIG_EVENT_VERSION + 1; return "future version";
	case 12: e->reserved = 1; return "reserved";
	}
	return NULL;
}

TEST_F(ev, bad_writes_change_nothing)
{
	struct vmsig_event ev[2], good = up(T_SAMPLE, VMSIG_SRC_SENSOR, 1);
	int sub = derive(self->ep, VMSIG_ATTACH_NONBLOCK);
	const char *what;

	ASSERT_LE(0, sub);
	for (int i = 0; ev[0] = good, (what = break_rule(&ev[0], i)) != NULL; i++)
		EXPECT_EQ(-EINVAL, write_ev(self->ep, &ev[0])) TH_LOG("%s", what ?: "?");
	EXPECT_EQ(0, counters(sub).published);
	/* Short and misaligned writes. */
	EXPECT_EQ(-1, write(self->ep, &good, EV_SIZE - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->ep, ev, EV_SIZE + 1));
	EXPECT_EQ(EINVAL, errno);
	void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, none);
	EXPECT_EQ(-1, write(self->ep, none, EV_SIZE));
	EXPECT_EQ(EFAULT, errno);
	munmap(none, 4096);
	/* A bad record after a good one: the good one is taken, then stop. */
	ev[0] = good;
	ev[1] = good;
	ev[1].dir = 7;
	EXPECT_EQ(EV_SIZE, write(self->ep, ev, 2 * EV_SIZE));
	EXPECT_EQ(1, read_ev(sub, ev, 2));
	EXPECT_EQ(-EAGAIN, read_ev(sub, ev, 2));
	close(sub);
}

TEST_F(ev, priority_lanes)
{
	struct vmsig_event ev, got[8];
	int sub = derive(self->ep, VMSIG_ATTACH_NONBLOCK);

	ASSERT_LE(0, sub);
	for (int i = 0; i < 3; i++) {
		ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, i);
		ASSERT_EQ(1, write_ev(self->ep, &ev));
	}
	ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, 100);
	ev.prio = VMSIG_PRIO_HIGH;
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	ASSERT_EQ(4, read_ev(sub, got, 8));
	/* Queued last, read first; the normal lane keeps its order. */
	EXPECT_EQ(100, got[0].payload.u64[0]);
	EXPECT_EQ(VMSIG_PRIO_HIGH, got[0].prio);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(i, got[i + 1].payload.u64[0]);
	EXPECT_LT(got[1].seq, got[2].seq);
	EXPECT_LT(got[2].seq, got[3].seq);
	EXPECT_GT(got[0].seq, got[3].seq);
	close(sub);
}

TEST_F(ev, overflow_is_counted_and_reported)
{
	enum { N = 100, SMALL = 16 };
	struct vmsig_event ev, got[N + 1];
	struct vmsig_counters c;
	int slow = derive(self->ep, VMSIG_ATTACH_NONBLOCK);
	int fast = derive(self->ep, VMSIG_ATTACH_NONBLOCK);

	ASSERT_LE(0, slow);
	ASSERT_LE(0, fast);
	ASSERT_EQ(0, set_ring(slow, SMALL));
	for (int i = 0; i < N; i++) {
		ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, i);
		ASSERT_EQ(1, write_ev(self->ep, &ev));	/* never blocks */
	}
	/* The fast subscriber lost nothing. */
	ASSERT_EQ(N, read_ev(fast, got, N + 1));
	for (int i = 0; i < N; i++)
		EXPECT_EQ(i, got[i].payload.u64[0]);
	/* The slow one is told exactly what it lost, then gets what fit. */
	ASSERT_EQ(SMALL + 1, read_ev(slow, got, N + 1));
	EXPECT_EQ(VMSIG_EV_DROPPED, got[0].type);
	EXPECT_EQ(N - SMALL, got[0].payload.u64[0]);
	EXPECT_EQ(VMSIG_PRIO_NORMAL, got[0].aux);
	for (int i = 0; i < SMALL; i++)
		EXPECT_EQ(i, got[i + 1].payload.u64[0]);
	c = counters(slow);
	EXPECT_EQ(N, c.published);
	EXPECT_EQ(SMALL, c.delivered);
	EXPECT_EQ(N - SMALL, c.dropped);
	EXPECT_EQ(0, c.queued);
	EXPECT_TRUE(identity_holds(slow));
	EXPECT_TRUE(identity_holds(fast));
	EXPECT_EQ(0, counters(fast).dropped);
	/* The report is made once. */
	EXPECT_EQ(-EAGAIN, read_ev(slow, got, N));
	close(slow);
	close(fast);
}

/* A huge write is taken whole and accounted, and the kernel stays responsive. */
TEST_F(ev, large_write_is_whole_and_accounted)
{
	enum { N = 1 << 18 };	/* 16 MiB of records */
	struct vmsig_event *evs = calloc(N, EV_SIZE), got[64];
	int sub = derive(self->ep, VMSIG_ATTACH_NONBLOCK);
	struct vmsig_counters c;
	ssize_t n;

	ASSERT_NE(NULL, evs);
	ASSERT_LE(0, sub);
	ASSERT_EQ(0, set_ring(sub, VMSIG_RING_MIN));
	for (int i = 0; i < N; i++)
		evs[i] = up(T_SAMPLE, VMSIG_SRC_SENSOR, i);
	n = write(self->ep, evs, (size_t)N * EV_SIZE);
	EXPECT_EQ((ssize_t)N * (ssize_t)EV_SIZE, n);
	c = counters(sub);
	EXPECT_EQ(N, c.published);
	EXPECT_EQ(N - VMSIG_RING_MIN, c.dropped);
	/* The loss report, then the first records, in order. */
	ASSERT_EQ(VMSIG_RING_MIN + 1, read_ev(sub, got, 64));
	EXPECT_EQ(VMSIG_EV_DROPPED, got[0].type);
	EXPECT_EQ(N - VMSIG_RING_MIN, got[0].payload.u64[0]);
	EXPECT_EQ(0, got[1].payload.u64[0]);
	EXPECT_TRUE(identity_holds(sub));
	free(evs);
	close(sub);
}

TEST_F(ev, deadlines_expire_unread_records)
{
	struct vmsig_event ev, got[4];
	struct vmsig_counters c;
	int sub = derive(self->ep, VMSIG_ATTACH_NONBLOCK);

	ASSERT_LE(0, sub);
	ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, 1);
	ev.deadline_ns = now_ns() + 20 * 1000000ULL;	/* 20 ms */
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, 2);
	ev.deadline_ns = now_ns() + 3600 * 1000000000ULL;
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	usleep(50 * 1000);
	ASSERT_EQ(1, read_ev(sub, got, 4));
	EXPECT_EQ(2, got[0].payload.u64[0]);
	c = counters(sub);
	EXPECT_EQ(2, c.published);
	EXPECT_EQ(1, c.expired);
	EXPECT_EQ(1, c.delivered);
	EXPECT_TRUE(identity_holds(sub));
	/* Only expired records queued: the reader finds nothing, not garbage. */
	ev.deadline_ns = 1;
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	EXPECT_EQ(-EAGAIN, read_ev(sub, got, 4));
	EXPECT_EQ(2, counters(sub).expired);
	close(sub);
}

TEST_F(ev, subscription_filters)
{
	struct vmsig_sub s = { .size = sizeof(s), .sources = 1 << VMSIG_SRC_INPUT };
	struct vmsig_event ev, got[4];
	int sub = derive(self->ep, VMSIG_ATTACH_NONBLOCK);

	ASSERT_LE(0, sub);
	ASSERT_EQ(0, xioctl(sub, VMSIG_IOC_SET_SUB, &s));
	ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, 1);
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	ev = up(T_SAMPLE, VMSIG_SRC_INPUT, 2);
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	ASSERT_EQ(1, read_ev(sub, got, 4));
	EXPECT_EQ(2, got[0].payload.u64[0]);
	/* Unwanted records are not offered, so not counted either. */
	EXPECT_EQ(1, counters(sub).published);
	s.sources = 1ULL << VMSIG_SRC_MAX;
	EXPECT_EQ(-EINVAL, xioctl(sub, VMSIG_IOC_SET_SUB, &s));
	s.sources = 0;
	s.kernel_types = 1ULL << VMSIG_EV_DROPPED;
	EXPECT_EQ(-EINVAL, xioctl(sub, VMSIG_IOC_SET_SUB, &s));
	close(sub);
}

TEST_F(ev, ring_sizes)
{
	struct vmsig_sub s = { .size = sizeof(s) };
	struct vmsig_event ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, 0), got[64];
	int sub = derive(self->ep, VMSIG_ATTACH_NONBLOCK);

	ASSERT_LE(0, sub);
	ASSERT_EQ(0, xioctl(sub, VMSIG_IOC_GET_SUB, &s));
	EXPECT_EQ(VMSIG_RING_DEFAULT, s.ring_size);
	EXPECT_EQ(-EINVAL, set_ring(sub, VMSIG_RING_MIN / 2));
	EXPECT_EQ(-EINVAL, set_ring(sub, VMSIG_RING_MAX * 2));
	EXPECT_EQ(-EINVAL, set_ring(sub, 100));
	EXPECT_EQ(-EINVAL, set_ring(sub, 0xffffffff));
	/* Resizing keeps the queue in order; shrinking below it is refused. */
	for (int i = 0; i < 40; i++) {
		ev.payload.u64[0] = i;
		ASSERT_EQ(1, write_ev(self->ep, &ev));
	}
	EXPECT_EQ(-EBUSY, set_ring(sub, 32));
	ASSERT_EQ(0, set_ring(sub, 64));
	ASSERT_EQ(0, set_ring(sub, VMSIG_RING_MAX));
	ASSERT_EQ(40, read_ev(sub, got, 64));
	for (int i = 0; i < 40; i++)
		EXPECT_EQ(i, got[i].payload.u64[0]);
	ASSERT_EQ(0, set_ring(sub, VMSIG_RING_MIN));
	EXPECT_TRUE(identity_holds(sub));
	close(sub);
}

/* N producer processes, M subscriber processes: one order for everybody. */
TEST_F(ev, order_across_processes)
{
	enum { NPROD = 3, NSUB = 3, PER = 400 };
	int prod[NPROD], sub[NSUB];
	pid_t pids[NPROD + NSUB];
	int np = 0;

	for (int i = 0; i < NSUB; i++) {
		sub[i] = derive(self->ep, 0);
		ASSERT_LE(0, sub[i]);
		ASSERT_EQ(0, set_ring(sub[i], 4096));
	}
	for (int i = 0; i < NPROD; i++) {
		prod[i] = derive(self->ep, 0);
		ASSERT_LE(0, prod[i]);
	}
	for (int s = 0; s < NSUB; s++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			uint64_t last_seq = 0, next[NPROD] = { 0 };
			struct vmsig_event got[64];
			int total = 0, bad = 0;

			while (total < NPROD * PER) {
				int n = read_ev(sub[s], got, 64);

				if (n <= 0)
					_exit(10);
				for (int k = 0; k < n; k++) {
					uint64_t p = got[k].payload.u64[0];
					uint64_t c = got[k].payload.u64[1];

					if (got[k].type == VMSIG_EV_DROPPED)
						_exit(11);	/* ring was big enough */
					bad |= got[k].seq <= last_seq;
					bad |= p >= NPROD || c != next[p];
					last_seq = got[k].seq;
					if (p < NPROD)
						next[p]++;
					total++;
				}
			}
			_exit(bad ? 12 : 0);
		}
		pids[np++] = pid;
	}
	for (int p = 0; p < NPROD; p++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			for (int k = 0; k < PER; k++) {
				struct vmsig_event ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, p);

				ev.payload.u64[1] = k;
				if (write_ev(prod[p], &ev) != 1)
					_exit(20);
			}
			_exit(0);
		}
		pids[np++] = pid;
	}
	for (int i = 0; i < np; i++) {
		int st;

		ASSERT_EQ(pids[i], waitpid(pids[i], &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
			TH_LOG("child %d: status %#x", i, st);
	}
	for (int i = 0; i < NSUB; i++) {
		struct vmsig_counters c = counters(sub[i]);

		EXPECT_EQ(NPROD * PER, c.published);
		EXPECT_EQ(NPROD * PER, c.delivered);
		EXPECT_TRUE(identity_holds(sub[i]));
		close(sub[i]);
	}
	for (int i = 0; i < NPROD; i++)
		close(prod[i]);
}

static void *blocked_reader(void *arg)
{
	int *fd = arg;
	struct vmsig_event ev;

	return (void *)(intptr_t)read_ev(*fd, &ev, 1);
}

TEST_F(ev, poll_and_blocking_read)
{
	struct vmsig_event ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, 5), got[2];
	struct epoll_event ee = { .events = EPOLLIN };
	int sub = derive(self->ep, 0);		/* blocking */
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	pthread_t t;
	void *ret;

	ASSERT_LE(0, sub);
	ASSERT_LE(0, epfd);
	ASSERT_EQ(0, epoll_ctl(epfd, EPOLL_CTL_ADD, sub, &ee));
	/* Empty: nothing to report, and the wait really waits. */
	EXPECT_EQ(0, epoll_wait(epfd, &ee, 1, 0));
	EXPECT_EQ(0, epoll_wait(epfd, &ee, 1, 50));
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	ASSERT_EQ(1, epoll_wait(epfd, &ee, 1, 1000));
	EXPECT_TRUE(ee.events & EPOLLIN);
	EXPECT_FALSE(ee.events & EPOLLHUP);
	ASSERT_EQ(1, read_ev(sub, got, 2));
	EXPECT_EQ(0, epoll_wait(epfd, &ee, 1, 0));

	/* A reader blocked in read() is woken by a write from another process. */
	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_reader, &sub));
	usleep(50 * 1000);
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid)
		_exit(write_ev(self->ep, &ev) == 1 ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(1, (int)(intptr_t)ret);
	close(epfd);
	close(sub);
}

TEST_F(ev, down_needs_a_sink)
{
	struct vmsig_event ev = { .type = T_CMD, .dir = VMSIG_DIR_DOWN,
				  .source = VMSIG_SRC_VMHOST, .aux = VMSIG_POWER_PAUSE };
	struct vmsig_event got[2];
	int other = derive(self->ep, VMSIG_ATTACH_NONBLOCK);

	ASSERT_LE(0, other);
	EXPECT_EQ(-ENXIO, write_ev(self->ep, &ev));
	/* Nothing was queued anywhere. */
	EXPECT_EQ(-EAGAIN, read_ev(other, got, 2));
	EXPECT_EQ(0, counters(other).published);
	close(other);
}

TEST_F(ev, down_reaches_the_sink_and_the_ack_the_submitter)
{
	struct vmsig_event ev = { .type = T_CMD, .dir = VMSIG_DIR_DOWN,
				  .source = VMSIG_SRC_VMHOST, .aux = VMSIG_POWER_RESET,
				  .corr = 0xc0ffee };
	struct vmsig_event got[4], ack;
	int sink = derive(self->ep, VMSIG_ATTACH_NONBLOCK);
	int ctl2 = derive(self->ep, VMSIG_ATTACH_NONBLOCK);
	int bystander = derive(self->ep, VMSIG_ATTACH_NONBLOCK);

	ASSERT_LE(0, sink);
	ASSERT_LE(0, ctl2);
	ASSERT_LE(0, bystander);
	ASSERT_EQ(0, bind_sink(sink, VMSIG_SRC_VMHOST, 0));
	EXPECT_EQ(0, bind_sink(sink, VMSIG_SRC_VMHOST, 0));	/* idempotent */
	EXPECT_EQ(-EBUSY, bind_sink(ctl2, VMSIG_SRC_VMHOST, 0));
	EXPECT_EQ(-ENOENT, bind_sink(ctl2, VMSIG_SRC_VMHOST, VMSIG_SINK_UNBIND));
	EXPECT_EQ(-EINVAL, bind_sink(ctl2, VMSIG_SRC_KERNEL, 0));
	EXPECT_EQ(-EINVAL, bind_sink(ctl2, VMSIG_SRC_MAX, 0));

	/* Two submitters pick the same correlation id. */
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	ev.aux = VMSIG_POWER_PAUSE;
	ASSERT_EQ(1, write_ev(ctl2, &ev));
	ASSERT_EQ(2, read_ev(sink, got, 4));
	EXPECT_EQ(T_CMD, got[0].type);
	EXPECT_EQ(VMSIG_POWER_RESET, got[0].aux);
	EXPECT_EQ(VMSIG_DIR_DOWN, got[0].dir);
	/* The sink sees the kernel's ids: distinct even if the submitters' were not. */
	EXPECT_NE(got[0].corr, got[1].corr);

	/* The sink answers the second one first. */
	ack = got[1];
	ack.dir = VMSIG_DIR_UP;
	ack.type = VMSIG_EV_ACT_ACK;
	ack.aux = 0;
	ASSERT_EQ(1, write_ev(sink, &ack));
	ack = got[0];
	ack.dir = VMSIG_DIR_UP;
	ack.type = VMSIG_EV_ACT_ACK;
	ack.aux = -EIO;
	ASSERT_EQ(1, write_ev(sink, &ack));
	/* The same ACK twice: the DOWN event is no longer in flight. */
	EXPECT_EQ(-ENOENT, write_ev(sink, &ack));

	ASSERT_EQ(1, read_ev(self->ep, got, 4));
	EXPECT_EQ(VMSIG_EV_ACT_ACK, got[0].type);
	EXPECT_EQ(0xc0ffee, got[0].corr);
	EXPECT_EQ(-EIO, got[0].aux);
	ASSERT_EQ(1, read_ev(ctl2, got, 4));
	EXPECT_EQ(0xc0ffee, got[0].corr);
	EXPECT_EQ(0, got[0].aux);
	/* Neither the DOWN events nor the ACKs reached anybody else. */
	EXPECT_EQ(-EAGAIN, read_ev(bystander, got, 4));
	EXPECT_EQ(0, counters(bystander).published);
	close(bystander);
	close(ctl2);
	close(sink);
}

TEST_F(ev, sink_going_away_fails_what_is_in_flight)
{
	struct vmsig_event ev = { .type = T_CMD, .dir = VMSIG_DIR_DOWN,
				  .source = VMSIG_SRC_INPUT, .corr = 7 };
	struct vmsig_event got[4];
	int sink = derive(self->ep, VMSIG_ATTACH_NONBLOCK);

	ASSERT_LE(0, sink);
	ASSERT_EQ(0, bind_sink(sink, VMSIG_SRC_INPUT, 0));
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	ev.corr = 8;
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	/* The sink dies without answering. */
	close(sink);
	ASSERT_EQ(2, read_ev(self->ep, got, 4));
	EXPECT_EQ(VMSIG_EV_ACT_ACK, got[0].type);
	EXPECT_EQ(7, got[0].corr);
	EXPECT_EQ(-EPIPE, got[0].aux);
	EXPECT_EQ(8, got[1].corr);
	EXPECT_EQ(-EPIPE, got[1].aux);
	/* And the seam has no sink any more. */
	EXPECT_EQ(-ENXIO, write_ev(self->ep, &ev));

	/* Unbinding does the same. */
	sink = derive(self->ep, VMSIG_ATTACH_NONBLOCK);
	ASSERT_EQ(0, bind_sink(sink, VMSIG_SRC_INPUT, 0));
	ev.corr = 9;
	ASSERT_EQ(1, write_ev(self->ep, &ev));
	ASSERT_EQ(0, bind_sink(sink, VMSIG_SRC_INPUT, VMSIG_SINK_UNBIND));
	ASSERT_EQ(1, read_ev(self->ep, got, 4));
	EXPECT_EQ(9, got[0].corr);
	EXPECT_EQ(-EPIPE, got[0].aux);
	close(sink);
}

TEST_F(ev, full_sink_refuses_down_events)
{
	struct vmsig_event ev = { .type = T_CMD, .dir = VMSIG_DIR_DOWN,
				  .source = VMSIG_SRC_INPUT };
	int sink = derive(self->ep, VMSIG_ATTACH_NONBLOCK);
	int i;

	ASSERT_LE(0, sink);
	ASSERT_EQ(0, set_ring(sink, VMSIG_RING_MIN));
	ASSERT_EQ(0, bind_sink(sink, VMSIG_SRC_INPUT, 0));
	for (i = 0; i < VMSIG_RING_MIN; i++)
		ASSERT_EQ(1, write_ev(self->ep, &ev));
	/* Refused, not dropped: the submitter knows. */
	EXPECT_EQ(-EAGAIN, write_ev(self->ep, &ev));
	EXPECT_EQ(0, counters(sink).dropped);
	EXPECT_EQ(VMSIG_RING_MIN, counters(sink).published);
	close(sink);
}

TEST_F(ev, retained_events_replay_to_late_subscribers)
{
	struct vmsig_event ev = up(VMSIG_EV_VM_STATE, VMSIG_SRC_VMHOST, 0), got[8];
	int memfd = memfd_create("ram", MFD_CLOEXEC);
	struct vmsig_attach at = {
		.size = sizeof(at), .backend = VMSIG_BACKEND_RAMFD, .fd = memfd,
		.flags = VMSIG_ATTACH_NONBLOCK,
	};
	struct vmsig_memctx mc = {
		.size = sizeof(mc), .root = 0x5000, .mode = VMSIG_PAGING_X86_64_4LEVEL,
	};
	int ep, late, n;

	ASSERT_EQ(0, ftruncate(memfd, 1 << 20));
	ep = ioctl(self->dev, VMSIG_IOC_ATTACH, &at);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, xioctl(ep, VMSIG_IOC_SET_MEMCTX, &mc));
	mc.root = 0x9000;
	ASSERT_EQ(0, xioctl(ep, VMSIG_IOC_SET_MEMCTX, &mc));
	/* An adapter retains the VM state too; only the latest counts. */
	ev.flags = VMSIG_EVF_RETAIN;
	ev.aux = VMSIG_VM_PAUSED;
	ASSERT_EQ(1, write_ev(ep, &ev));
	ev.aux = VMSIG_VM_RUNNING;
	ASSERT_EQ(1, write_ev(ep, &ev));
	/* A sample that is not retained. */
	ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, 1);
	ASSERT_EQ(1, write_ev(ep, &ev));

	/* The attach file saw both memctx events live, as they happened. */
	ASSERT_EQ(2, read_ev(ep, got, 8));
	EXPECT_EQ(VMSIG_EV_MEMCTX, got[0].type);
	EXPECT_EQ(0x5000, got[0].payload.u64[0]);
	EXPECT_EQ(0, got[0].flags & VMSIG_EVF_REPLAY);

	late = derive(ep, VMSIG_ATTACH_NONBLOCK);
	ASSERT_LE(0, late);
	n = read_ev(late, got, 8);
	ASSERT_EQ(2, n);
	/* The latest memctx first, then the latest VM state; nothing else. */
	EXPECT_EQ(VMSIG_EV_MEMCTX, got[0].type);
	EXPECT_EQ(0x9000, got[0].payload.u64[0]);
	EXPECT_EQ(2, got[0].payload.u64[1]);		/* epoch */
	EXPECT_EQ(VMSIG_PAGING_X86_64_4LEVEL, got[0].aux);
	EXPECT_TRUE(got[0].flags & VMSIG_EVF_REPLAY);
	EXPECT_EQ(VMSIG_EV_VM_STATE, got[1].type);
	EXPECT_EQ(VMSIG_VM_RUNNING, got[1].aux);
	EXPECT_LT(got[0].seq, got[1].seq);
	close(late);
	close(ep);
	close(memfd);
}

TEST_F(ev, retained_slots_are_bounded)
{
	struct vmsig_event ev;
	int i, ok = 0;

	for (i = 0; i < 32; i++) {
		ev = up(0x300 + i, VMSIG_SRC_SENSOR, i);
		ev.flags = VMSIG_EVF_RETAIN;
		if (write_ev(self->ep, &ev) == 1)
			ok++;
		else
			EXPECT_EQ(-ENOSPC, write_ev(self->ep, &ev));
	}
	EXPECT_LT(ok, 32);
	EXPECT_GT(ok, 8);
	/* Replacing a retained event needs no new slot. */
	ev = up(0x300, VMSIG_SRC_SENSOR, 99);
	ev.flags = VMSIG_EVF_RETAIN;
	EXPECT_EQ(1, write_ev(self->ep, &ev));
}

/* The VMM dies: LIFECYCLE, then end of stream; pollers get HUP. */
TEST(vmm_exit_hangs_up)
{
	struct vmm_child_cfg cfg = { .nr_slots = 1, .slots = { { 0, 1 << 20, 0, 0 } } };
	struct epoll_event ee = { .events = EPOLLIN };
	struct vmsig_event got[4], ev;
	struct vmm_child c;
	struct vmsig_attach at = { .size = sizeof(at), .backend = VMSIG_BACKEND_KVM };
	int dev, ep, reader, epfd;
	pthread_t t;
	void *ret;

	ASSERT_EQ(0, vmm_child_start(&c, &cfg));
	dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	at.fd = c.vm_fd;
	ep = ioctl(dev, VMSIG_IOC_ATTACH, &at);
	ASSERT_LE(0, ep);
	reader = derive(ep, 0);
	ASSERT_LE(0, reader);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_EQ(0, epoll_ctl(epfd, EPOLL_CTL_ADD, ep, &ee));
	EXPECT_EQ(0, epoll_wait(epfd, &ee, 1, 0));
	/* A reader blocks; the VMM is killed under it. */
	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_reader, &reader));
	usleep(50 * 1000);
	ASSERT_LT(0, vmm_child_kill(&c));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(1, (int)(intptr_t)ret);
	ASSERT_EQ(1, epoll_wait(epfd, &ee, 1, 1000));
	EXPECT_TRUE(ee.events & EPOLLHUP);
	EXPECT_TRUE(ee.events & EPOLLERR);
	EXPECT_TRUE(ee.events & EPOLLIN);
	ASSERT_EQ(1, read_ev(ep, got, 4));
	EXPECT_EQ(VMSIG_EV_LIFECYCLE, got[0].type);
	EXPECT_EQ(VMSIG_LC_VMM_EXIT, got[0].aux);
	/* Drained: end of stream, also for a blocking reader. */
	EXPECT_EQ(0, read_ev(ep, got, 4));
	EXPECT_EQ(0, read_ev(reader, got, 4));
	ev = up(T_SAMPLE, VMSIG_SRC_SENSOR, 1);
	EXPECT_EQ(-EPIPE, write_ev(ep, &ev));
	/* A file opened now is born dead. */
	int late = derive(ep, 0);

	ASSERT_LE(0, late);
	EXPECT_EQ(0, read_ev(late, got, 4));
	close(late);
	close(epfd);
	close(reader);
	close(ep);
	close(dev);
	vmm_child_release(&c);
}

TEST_F(ev, derive_rules)
{
	struct vmsig_derive d = { .size = sizeof(d) };
	int fd;

	d.rights = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_DERIVE, &d));
	d.rights = 0;
	d.ep_fd = 3;
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_DERIVE, &d));
	d.ep_fd = 0;
	d.flags = 0x80;
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_DERIVE, &d));
	d.flags = 0;
	fd = ioctl(self->ep, VMSIG_IOC_DERIVE, &d);
	ASSERT_LE(0, fd);
	EXPECT_EQ(fd, d.ep_fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

TEST_HARNESS_MAIN
