// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: many producers, subscribers, lease holders and writers at once,
 * in threads and forked processes, with files closed, processes and VMMs
 * killed under them.  Each test runs for a bounded time (VMSIG_STRESS_MS
 * of load, default 2500 ms) and a bounded count, and checks invariants
 * that must hold whatever the interleaving:
 *
 * - the counter identity, delivered + dropped + expired + queued ==
 *   published, on every file; after a full drain, the DROPPED records
 *   account for every drop and delivered is what was read;
 * - per lane, sequence numbers only grow; an auditor subscribed to
 *   everything is offered exactly what the producers wrote;
 * - leases: tokens only grow, one holder at a time per class, every grant
 *   ends, and a waiter eventually gets every class once the holders are
 *   gone (killed by SIGKILL included);
 * - guest memory changes only through valid tokens: at the end every word
 *   holds a value a writer committed (or had in flight when it was
 *   killed), checked through the VMM child's own view of its memory;
 * - every DOWN event accepted gets exactly one ACK, whatever the sinks do;
 * - nothing hangs: calls blocked in read, poll and lease waits return when
 *   their fd is closed under them and the event, lease or VMM exit they
 *   wait for comes (joined with a deadline), and the harness timeouts
 *   catch the rest.
 *
 * VMSIG_STRESS_SEED (printed) makes the random choices repeatable, as far
 * as the scheduler allows.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vmsig.h>

#include "kselftest_harness.h"
#include "vmm.h"
#include "vtest.h"

#define M		(1ULL << 20)
#define T_UP		0x0300		/* adapter UP type of the producers */
#define T_DOWN		0x8200		/* a DOWN type without lease */
#define MEM_SEED	0x57e55eedULL
#define JOIN_NS		(5000 * VT_MS)	/* a woken call returns within this */

static uint64_t seed, budget_ns;

/* ------------------------------------------------ shared bookkeeping --- */

/*
 * Failures found in threads and forked processes land here (shared
 * memory): the test body checks it at the end.  Only the first message is
 * kept, the count says how many there were.
 */
struct report {
	int errors;
	char msg[512];
};

static struct report *rep;

#define BAD(fmt, ...)							\
	do {								\
		if (__atomic_fetch_add(&rep->errors, 1, __ATOMIC_SEQ_CST) == 0) \
			snprintf(rep->msg, sizeof(rep->msg), "%s:%d: " fmt,	\
				 __func__, __LINE__, ##__VA_ARGS__);	\
	} while (0)

static void *shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void noop(int sig)
{
}

/* SIGUSR1 interrupts blocked calls (no SA_RESTART): the stop signal. */
static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = noop };

	sigaction(SIGUSR1, &sa, NULL);
}

static bool stop_flag(int *flag)
{
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

static void set_flag(int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
}

/* Join @t within JOIN_NS; false if it is still running (it is left). */
static bool join_in_time(pthread_t t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += JOIN_NS / 1000000000ULL;
	return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

/*
 * Join @t, kicking it with SIGUSR1 until it is out of a blocking call
 * (a signal sent just before it entered the call would be lost).
 */
static bool join_kicking(pthread_t t)
{
	for (int i = 0; i < JOIN_NS / (10 * VT_MS); i++) {
		if (pthread_tryjoin_np(t, NULL) == 0)
			return true;
		pthread_kill(t, SIGUSR1);
		usleep(10000);
	}
	return false;
}

/* Wait (bounded) until thread @tid sleeps in the kernel. */
static bool wait_blocked(pid_t tid)
{
	char path[64], buf[256], *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	for (int i = 0; i < 2000; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = 0;
			p = strrchr(buf, ')');
			if (p && p[1] == ' ' && p[2] == 'S')
				return true;
		}
		usleep(1000);
	}
	return false;
}

/* Every test starts with a clean report. */
static void begin(void)
{
	memset(rep, 0, sizeof(*rep));
}

static void counters_ok(int fd, const char *who)
{
	struct vmsig_counters c;
	int ret = vt_counters(fd, &c);

	if (ret || !vt_identity(&c))
		BAD("%s: counters %d: published %llu delivered %llu dropped %llu "
		    "expired %llu queued %llu", who, ret, (unsigned long long)c.published,
		    (unsigned long long)c.delivered, (unsigned long long)c.dropped,
		    (unsigned long long)c.expired, (unsigned long long)c.queued);
}

#define CHECK_REPORT()								\
	do {									\
		EXPECT_EQ(0, rep->errors) TH_LOG("%d failures; first: %s (seed %#llx)", \
			rep->errors, rep->msg, (unsigned long long)seed);	\
	} while (0)

/* ===================================================== fan-out events === */

#define NEP		3
#define NPROD		3	/* per endpoint: 2 threads, 1 process */
#define NREAD		4	/* per endpoint: 3 threads, 1 process */

struct fan {
	int stop_prod;
	int stop_read;
	uint64_t written[NEP];	/* UP events accepted, per endpoint */
};

static struct fan *fan;

struct prod_arg {
	int fd;
	int ep;
	uint64_t rng_seed;
};

static void produce(struct prod_arg *a)
{
	struct vt_rng r;
	struct vmsig_event ev[8];

	vt_rng_seed(&r, a->rng_seed);
	while (!stop_flag(&fan->stop_prod)) {
		int n = 1 + vt_below(&r, 8), got;

		for (int i = 0; i < n; i++) {
			static const uint8_t src[] = {
				VMSIG_SRC_SENSOR, VMSIG_SRC_CONTROL, VMSIG_SRC_VMHOST,
			};

			ev[i] = vt_up(T_UP, src[vt_below(&r, 3)], vt_below(&r, 2), i);
			/* Some are stale before anybody reads them. */
			if (vt_one_in(&r, 8))
				ev[i].deadline_ns = vt_now_ns() + vt_below(&r, 2 * VT_MS);
		}
		got = vt_write_ev(a->fd, ev, n);
		if (got != n) {
			BAD("producer on endpoint %d: write %d of %d", a->ep, got, n);
			return;
		}
		__atomic_fetch_add(&fan->written[a->ep], n, __ATOMIC_RELAXED);
		if (vt_one_in(&r, 4))
			sched_yield();
	}
}

static void *produce_thread(void *arg)
{
	produce(arg);
	return NULL;
}

enum read_style { R_AUDIT, R_BLOCK, R_POLL, R_EPOLL_ET, R_SLOW };

struct read_arg {
	int fd;
	int ep;
	uint32_t ep_id;
	enum read_style style;
	uint64_t rng_seed;
	/* results */
	uint64_t records;
	uint64_t reported_drops;
};

/* Check and count what one read() returned. */
static bool take(struct read_arg *a, const struct vmsig_event *ev, int n,
		 uint64_t last_seq[2])
{
	for (int i = 0; i < n; i++) {
		int lane = ev[i].prio == VMSIG_PRIO_HIGH ? 0 : 1;

		if (ev[i].reserved || ev[i].version != VMSIG_EVENT_VERSION ||
		    ev[i].ep_id != a->ep_id) {
			BAD("reader %d/%d: malformed record", a->ep, a->style);
			return false;
		}
		if (ev[i].type == VMSIG_EV_DROPPED) {
			a->reported_drops += ev[i].payload.u64[0];
			continue;
		}
		if (ev[i].type != T_UP) {
			BAD("reader %d/%d: type %#x", a->ep, a->style, ev[i].type);
			return false;
		}
		if (ev[i].seq <= last_seq[lane]) {
			BAD("reader %d/%d: lane %d seq %llu after %llu", a->ep, a->style,
			    lane, (unsigned long long)ev[i].seq,
			    (unsigned long long)last_seq[lane]);
			return false;
		}
		last_seq[lane] = ev[i].seq;
		a->records++;
	}
	return true;
}

static void consume(struct read_arg *a)
{
	struct vmsig_event ev[64];
	uint64_t last_seq[2] = { 0, 0 };
	struct vt_rng r;
	int epfd = -1;

	vt_rng_seed(&r, a->rng_seed);
	if (a->style == R_EPOLL_ET) {
		struct epoll_event ee = { .events = EPOLLIN | EPOLLET };

		epfd = epoll_create1(EPOLL_CLOEXEC);
		if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, a->fd, &ee))
			BAD("epoll: %s", strerror(errno));
	}
	for (;;) {
		int max = 1 + vt_below(&r, 64), n;
		bool stopping = stop_flag(&fan->stop_read);

		/* Stopping: the blocking reader drains without blocking. */
		if (stopping && a->style == R_BLOCK)
			fcntl(a->fd, F_SETFL, O_NONBLOCK);

		/* Resize the ring and change the subscription under load. */
		if (a->style != R_AUDIT && vt_one_in(&r, 50)) {
			int ret = vt_set_ring(a->fd, 16U << vt_below(&r, 9));

			if (ret && ret != -EBUSY)
				BAD("resize: %d", ret);
		}
		if (a->style == R_POLL) {
			struct pollfd p = { .fd = a->fd, .events = POLLIN };

			if (poll(&p, 1, 20) < 0 && errno != EINTR)
				BAD("poll: %s", strerror(errno));
		} else if (a->style == R_EPOLL_ET) {
			struct epoll_event ee;

			if (epoll_wait(epfd, &ee, 1, 20) < 0 && errno != EINTR)
				BAD("epoll_wait: %s", strerror(errno));
		} else if (a->style == R_SLOW) {
			usleep(vt_below(&r, 3000));
		}
		/* Edge-triggered readers read until EAGAIN. */
		do {
			n = vt_read_ev(a->fd, ev, max);
			if (n > 0 && !take(a, ev, n, last_seq))
				goto out;
		} while (n > 0 && (a->style == R_EPOLL_ET || stopping));
		if (n < 0 && n != -EAGAIN && n != -EINTR) {
			BAD("reader %d/%d: read %d", a->ep, a->style, n);
			break;
		}
		/* Stop once drained after the producers stopped. */
		if (stopping && n == -EAGAIN)
			break;
	}
out:
	if (epfd >= 0)
		close(epfd);
}

static void *consume_thread(void *arg)
{
	consume(arg);
	return NULL;
}

/* After the drain: delivered is what was read, DROPPED records told all. */
static void check_drained(struct read_arg *a)
{
	struct vmsig_counters c;

	if (vt_counters(a->fd, &c)) {
		BAD("counters");
		return;
	}
	if (!vt_identity(&c) || c.queued || c.delivered != a->records ||
	    c.dropped != a->reported_drops)
		BAD("endpoint %d reader %d: published %llu delivered %llu (read %llu) "
		    "dropped %llu (reported %llu) expired %llu queued %llu", a->ep, a->style,
		    (unsigned long long)c.published, (unsigned long long)c.delivered,
		    (unsigned long long)a->records, (unsigned long long)c.dropped,
		    (unsigned long long)a->reported_drops, (unsigned long long)c.expired,
		    (unsigned long long)c.queued);
}

TEST(fanout_counter_identity)
{
	struct prod_arg pa[NEP][NPROD];
	struct read_arg ra[NEP][NREAD];
	pthread_t pt[NEP][NPROD], rt[NEP][NREAD];
	pid_t pp[NEP], rp[NEP];
	int dev, ep[NEP];
	uint64_t t0;

	begin();

	fan = shared(sizeof(*fan));
	ASSERT_NE(NULL, fan);
	setup_signals();
	dev = vt_open_dev();
	ASSERT_LE(0, dev);
	for (int e = 0; e < NEP; e++) {
		uint32_t id;

		ep[e] = vt_attach(dev, VMSIG_BACKEND_NONE, -1, 0);
		ASSERT_LE(0, ep[e]);
		ASSERT_EQ(0, vt_ep_id(ep[e], &id));
		for (int i = 0; i < NPROD; i++) {
			/* Producers may only emit. */
			pa[e][i] = (struct prod_arg){
				.fd = vt_derive(ep[e], VMSIG_RIGHT_EMIT, true, 0), .ep = e,
				.rng_seed = seed + e * 100 + i,
			};
			ASSERT_LE(0, pa[e][i].fd);
		}
		for (int i = 0; i < NREAD; i++) {
			enum read_style st = i == 0 ? R_AUDIT : i == NREAD - 1 ?
					     R_SLOW : (enum read_style)i;

			/* Readers need no right at all. */
			ra[e][i] = (struct read_arg){
				.fd = vt_derive(ep[e], 0, true,
						st == R_BLOCK ? 0 : VMSIG_ATTACH_NONBLOCK),
				.ep = e, .ep_id = id, .style = st,
				.rng_seed = seed + e * 100 + 50 + i,
			};
			ASSERT_LE(0, ra[e][i].fd);
		}
		/* The auditor loses nothing it could account for. */
		ASSERT_EQ(0, vt_set_ring(ra[e][0].fd, 4096));
		ASSERT_EQ(0, fcntl(ra[e][0].fd, F_SETFL, O_NONBLOCK));
		/* The blocking reader gets the smallest ring: drops, DROPPED. */
		ASSERT_EQ(0, vt_set_ring(ra[e][1].fd, 16));
	}
	t0 = vt_now_ns();
	for (int e = 0; e < NEP; e++) {
		/* The slow reader and one producer are processes. */
		rp[e] = fork();
		ASSERT_LE(0, rp[e]);
		if (!rp[e]) {
			consume(&ra[e][NREAD - 1]);
			check_drained(&ra[e][NREAD - 1]);
			_exit(0);
		}
		pp[e] = fork();
		ASSERT_LE(0, pp[e]);
		if (!pp[e]) {
			produce(&pa[e][NPROD - 1]);
			_exit(0);
		}
		for (int i = 0; i < NREAD - 1; i++)
			ASSERT_EQ(0, pthread_create(&rt[e][i], NULL, consume_thread, &ra[e][i]));
		for (int i = 0; i < NPROD - 1; i++)
			ASSERT_EQ(0, pthread_create(&pt[e][i], NULL, produce_thread, &pa[e][i]));
	}
	while (vt_now_ns() - t0 < budget_ns && !rep->errors)
		usleep(10000);

	set_flag(&fan->stop_prod);
	for (int e = 0; e < NEP; e++) {
		for (int i = 0; i < NPROD - 1; i++)
			ASSERT_TRUE(join_in_time(pt[e][i]));
		ASSERT_EQ(pp[e], waitpid(pp[e], NULL, 0));
	}
	set_flag(&fan->stop_read);
	for (int e = 0; e < NEP; e++) {
		for (int i = 0; i < NREAD - 1; i++) {
			/* The blocking reader may sleep on an empty ring: kick it. */
			ASSERT_TRUE(i == 1 ? join_kicking(rt[e][i]) : join_in_time(rt[e][i]))
				TH_LOG("reader %d/%d hangs", e, i);
			check_drained(&ra[e][i]);
		}
		ASSERT_EQ(rp[e], waitpid(rp[e], NULL, 0));
	}
	for (int e = 0; e < NEP; e++) {
		struct vmsig_counters c;

		/* The auditor was offered everything, exactly once. */
		ASSERT_EQ(0, vt_counters(ra[e][0].fd, &c));
		EXPECT_EQ(fan->written[e], c.published) TH_LOG("endpoint %d", e);
		counters_ok(ep[e], "attach file");
		TH_LOG("endpoint %d: %llu events written; auditor: %llu read, %llu expired; "
		       "blocking reader: %llu read, %llu dropped", e,
		       (unsigned long long)fan->written[e], (unsigned long long)ra[e][0].records,
		       (unsigned long long)c.expired, (unsigned long long)ra[e][1].records,
		       (unsigned long long)ra[e][1].reported_drops);
		for (int i = 0; i < NPROD; i++)
			close(pa[e][i].fd);
		for (int i = 0; i < NREAD; i++)
			close(ra[e][i].fd);
		close(ep[e]);
	}
	close(dev);
	CHECK_REPORT();
}

/* ==================================================== closed under us === */

struct blocked {
	pid_t tid;
	int fd;
	int kind;		/* 0 read, 1 poll, 2 lease wait */
	int ret;
	short revents;
	uint64_t token;
	struct vmsig_event ev[4];
};

static void *block_in(void *arg)
{
	struct blocked *b = arg;

	__atomic_store_n(&b->tid, gettid(), __ATOMIC_RELEASE);
	if (b->kind == 0) {
		b->ret = vt_read_ev(b->fd, b->ev, 4);
	} else if (b->kind == 1) {
		struct pollfd p = { .fd = b->fd, .events = POLLIN };

		b->ret = poll(&p, 1, -1) < 0 ? -errno : 0;
		b->revents = p.revents;
	} else {
		b->ret = vt_acquire_wait(b->fd, VMSIG_LEASE_POWER, 0, &b->token);
	}
	return NULL;
}

/*
 * Threads block in read, poll and a lease wait; their fds are closed
 * under them (the calls keep the files alive); then what they wait for
 * comes.  Every call must return with it, the files must then be released
 * (a lease granted to a closed file ends at once) and nothing may hang.
 * Rounds vary the timing, so closes also race with the wakeups.
 */
TEST(close_under_blocked_calls)
{
	struct vt_rng r;
	uint64_t t0 = vt_now_ns();
	int dev = vt_open_dev(), rounds = 0;

	begin();

	ASSERT_LE(0, dev);
	vt_rng_seed(&r, seed ^ 0xb10c);
	while ((vt_now_ns() - t0 < budget_ns && rounds < 200) || rounds < 3) {
		struct blocked b[3] = { { .kind = 0 }, { .kind = 1 }, { .kind = 2 } };
		struct blocked late = { .kind = 2 };
		struct vmsig_event ev = vt_up(T_UP, VMSIG_SRC_SENSOR, 0, 7);
		pthread_t t[3], tl;
		int ep = vt_attach(dev, VMSIG_BACKEND_NONE, -1, 0);
		uint64_t tok;

		ASSERT_LE(0, ep);
		for (int i = 0; i < 3; i++) {
			b[i].fd = vt_derive(ep, 0, false, 0);
			ASSERT_LE(0, b[i].fd);
			/* Only the event below wakes them, not the lease events. */
			ASSERT_EQ(0, vt_set_sub(b[i].fd, 1 << VMSIG_SRC_SENSOR, 0, 0));
		}
		late.fd = vt_derive(ep, 0, false, 0);
		ASSERT_LE(0, late.fd);
		ASSERT_EQ(0, vt_acquire(ep, VMSIG_LEASE_POWER, &tok));
		for (int i = 0; i < 3; i++)
			ASSERT_EQ(0, pthread_create(&t[i], NULL, block_in, &b[i]));
		/* Closed only once each call sleeps: the call holds the file. */
		for (int i = 0; i < 3; i++) {
			while (!__atomic_load_n(&b[i].tid, __ATOMIC_ACQUIRE))
				usleep(100);
			ASSERT_TRUE(wait_blocked(b[i].tid)) TH_LOG("call %d never blocked", i);
		}
		usleep(vt_below(&r, 2000));
		for (int i = 0; i < 3; i++)
			close(b[i].fd);
		usleep(vt_below(&r, 2000));
		/* What they wait for: an event, and the lease freed. */
		ASSERT_EQ(1, vt_write_ev(ep, &ev, 1));
		ASSERT_EQ(0, vt_release(ep, VMSIG_LEASE_POWER, tok));
		for (int i = 0; i < 3; i++) {
			ASSERT_TRUE(join_in_time(t[i])) TH_LOG("round %d: call %d hangs", rounds, i);
		}
		/*
		 * The lease may have gone to the closed file (released again
		 * when its call returned) or straight to nobody; either way a
		 * new waiter gets it.
		 */
		ASSERT_EQ(0, pthread_create(&tl, NULL, block_in, &late));
		ASSERT_TRUE(join_in_time(tl)) TH_LOG("round %d: the lease never ended", rounds);
		EXPECT_EQ(0, late.ret);
		EXPECT_GT(late.token, tok);
		/*
		 * The read got the event.  poll() holds no fd, only the file
		 * in its wait entry: woken, it finds the fd closed (POLLNVAL),
		 * or saw the event first.
		 */
		EXPECT_EQ(1, b[0].ret);
		EXPECT_EQ(7, b[0].ev[0].payload.u64[0]);
		EXPECT_EQ(0, b[1].ret);
		EXPECT_TRUE(b[1].revents & (POLLIN | POLLNVAL));
		EXPECT_EQ(0, b[2].ret);
		counters_ok(ep, "attach file");
		close(late.fd);
		close(ep);
		rounds++;
	}
	TH_LOG("%d rounds", rounds);
	close(dev);
	CHECK_REPORT();
}

/* Signals end every wait with EINTR; a dying VMM ends reads and polls. */
TEST(blocked_calls_end_on_signal_and_vmm_exit)
{
	struct vmm_child_cfg cfg = { .nr_slots = 1, .slots = { { 0, M, 0, 0 } } };
	struct blocked b[3] = { { .kind = 0 }, { .kind = 1 }, { .kind = 2 } };
	struct pollfd dead = { .events = POLLIN };
	struct vmm_child c;
	pthread_t t[3];
	int dev, ep, holder;
	uint64_t tok;

	begin();

	setup_signals();
	ASSERT_EQ(0, vmm_child_start(&c, &cfg));
	dev = vt_open_dev();
	ASSERT_LE(0, dev);
	ep = vt_attach(dev, VMSIG_BACKEND_KVM, c.vm_fd, 0);
	ASSERT_LE(0, ep);
	holder = vt_derive(ep, 0, false, 0);
	ASSERT_EQ(0, vt_acquire(holder, VMSIG_LEASE_POWER, &tok));

	/* Round 1: a signal. */
	for (int i = 0; i < 3; i++) {
		b[i].fd = vt_derive(ep, 0, false, 0);
		ASSERT_LE(0, b[i].fd);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, block_in, &b[i]));
	}
	for (int i = 0; i < 3; i++) {
		while (!__atomic_load_n(&b[i].tid, __ATOMIC_ACQUIRE))
			usleep(100);
		ASSERT_TRUE(wait_blocked(b[i].tid)) TH_LOG("call %d never blocked", i);
		pthread_kill(t[i], SIGUSR1);
		ASSERT_TRUE(join_in_time(t[i])) TH_LOG("call %d ignores signals", i);
		EXPECT_EQ(-EINTR, b[i].ret) TH_LOG("call %d", i);
		b[i].tid = 0;
	}

	/* Round 2: the fds closed, then the VMM killed. */
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, block_in, &b[i]));
	for (int i = 0; i < 2; i++) {
		while (!__atomic_load_n(&b[i].tid, __ATOMIC_ACQUIRE))
			usleep(100);
		ASSERT_TRUE(wait_blocked(b[i].tid)) TH_LOG("call %d never blocked", i);
	}
	for (int i = 0; i < 2; i++)
		close(b[i].fd);
	ASSERT_LT(0, vmm_child_kill(&c));
	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE(join_in_time(t[i])) TH_LOG("call %d hangs after VMM exit", i);
	}
	EXPECT_EQ(1, b[0].ret);
	EXPECT_EQ(VMSIG_EV_LIFECYCLE, b[0].ev[0].type);
	/* Its fd closed, the poll ends with POLLNVAL (or what it saw first). */
	EXPECT_TRUE(b[1].revents & (POLLIN | POLLHUP | POLLNVAL));
	/* A file of the dead endpoint hangs up. */
	dead.fd = vt_derive(ep, 0, false, 0);
	ASSERT_LE(0, dead.fd);
	EXPECT_EQ(1, poll(&dead, 1, 1000));
	EXPECT_TRUE(dead.revents & POLLHUP);
	close(dead.fd);
	/* A dead endpoint still hands out its leases. */
	close(holder);
	ASSERT_EQ(0, pthread_create(&t[2], NULL, block_in, &b[2]));
	ASSERT_TRUE(join_in_time(t[2]));
	EXPECT_EQ(0, b[2].ret);
	close(b[2].fd);
	close(ep);
	close(dev);
	vmm_child_release(&c);
	CHECK_REPORT();
}

/* ================================================= lease contention === */

#define NCONT		4

struct contend {
	int stop;
	uint64_t grants;
};

static struct contend *ct;

static void __attribute__((noreturn)) contender(int ep, uint64_t s)
{
	int fd = vt_derive(ep, 0, false, 0);
	uint64_t held[VMSIG_LEASE_CLASSES] = { 0 };
	struct vt_rng r;

	close(ep);
	vt_rng_seed(&r, s);
	while (fd >= 0 && !stop_flag(&ct->stop)) {
		uint32_t cls = vt_below(&r, VMSIG_LEASE_CLASSES);
		uint64_t ttl = vt_one_in(&r, 3) ? (1 + vt_below(&r, 10)) * VT_MS : 0, tok = 0;
		int ret;

		if (held[cls]) {
			ret = vt_release(fd, cls, held[cls]);
			/* Expired or revoked in the meantime: ESTALE. */
			if (ret && ret != -ESTALE)
				BAD("release: %d", ret);
			held[cls] = 0;
			continue;
		}
		ret = vt_lease(fd, VMSIG_IOC_LEASE_ACQUIRE, cls, VMSIG_LEASE_WAIT, ttl,
			       (1 + vt_below(&r, 20)) * VT_MS, &tok);
		if (!ret) {
			held[cls] = tok;
			__atomic_fetch_add(&ct->grants, 1, __ATOMIC_RELAXED);
			usleep(vt_below(&r, 2000));
		} else if (ret == -EALREADY) {
			/* Granted before, its token unknown: ours is stale now. */
		} else if (ret != -ETIMEDOUT && ret != -EINTR) {
			BAD("acquire: %d", ret);
		}
	}
	_exit(0);
}

struct observer {
	int fd;
	int stop;
	uint64_t events;
	uint64_t holder[VMSIG_LEASE_CLASSES];	/* token held, 0 if free */
	uint64_t last[VMSIG_LEASE_CLASSES];
};

/* Reads the lease events and checks the state machine of each class. */
static void *observe(void *arg)
{
	struct observer *o = arg;
	struct vmsig_event ev[64];

	for (;;) {
		struct pollfd p = { .fd = o->fd, .events = POLLIN };
		int n;

		poll(&p, 1, 10);
		n = vt_read_ev(o->fd, ev, 64);
		if (n == -EAGAIN && stop_flag(&o->stop))
			break;
		if (n < 0 && n != -EAGAIN) {
			BAD("observer read %d", n);
			break;
		}
		for (int i = 0; i < n; i++) {
			uint32_t cls = ev[i].aux, kind = ev[i].payload.u32[3];
			uint64_t tok = ev[i].payload.u64[0];

			o->events++;
			if (ev[i].type == VMSIG_EV_DROPPED) {
				BAD("observer lost %llu lease events",
				    (unsigned long long)ev[i].payload.u64[0]);
				return NULL;
			}
			if (ev[i].type != VMSIG_EV_LEASE || cls >= VMSIG_LEASE_CLASSES) {
				BAD("observer: type %#x class %u", ev[i].type, cls);
				continue;
			}
			if (kind == VMSIG_LEASE_EV_GRANTED) {
				if (o->holder[cls] || tok <= o->last[cls])
					BAD("class %u: grant %llu while %llu held, last %llu", cls,
					    (unsigned long long)tok,
					    (unsigned long long)o->holder[cls],
					    (unsigned long long)o->last[cls]);
				o->holder[cls] = o->last[cls] = tok;
			} else {
				if (o->holder[cls] != tok)
					BAD("class %u: end (%u) of %llu, held %llu", cls, kind,
					    (unsigned long long)tok,
					    (unsigned long long)o->holder[cls]);
				o->holder[cls] = 0;
			}
		}
	}
	return NULL;
}

TEST(lease_contention_with_kills)
{
	struct observer o = { 0 };
	pid_t pid[NCONT];
	struct vt_rng r;
	pthread_t ot;
	uint64_t t0, kills = 0, revokes = 0;
	int dev, ep, waiter;

	begin();

	ct = shared(sizeof(*ct));
	ASSERT_NE(NULL, ct);
	vt_rng_seed(&r, seed ^ 0x1ea5e);
	dev = vt_open_dev();
	ASSERT_LE(0, dev);
	ep = vt_attach(dev, VMSIG_BACKEND_NONE, -1, 0);
	ASSERT_LE(0, ep);
	o.fd = vt_derive(ep, 0, false, VMSIG_ATTACH_NONBLOCK);
	ASSERT_LE(0, o.fd);
	ASSERT_EQ(0, vt_set_sub(o.fd, 0, 1ULL << VMSIG_EV_LEASE, 16384));
	ASSERT_EQ(0, pthread_create(&ot, NULL, observe, &o));
	for (int i = 0; i < NCONT; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			contender(ep, seed + i);
	}
	t0 = vt_now_ns();
	while (vt_now_ns() - t0 < budget_ns && !rep->errors) {
		usleep(5000 + vt_below(&r, 20000));
		if (vt_one_in(&r, 3)) {
			uint64_t tok = 0;

			/* An admin revokes whatever is held. */
			if (!vt_lease(ep, VMSIG_IOC_LEASE_REVOKE, vt_below(&r, 3), 0, 0, 0, &tok))
				revokes++;
			continue;
		}
		/* A holder (or waiter) dies; another takes its place. */
		int i = vt_below(&r, NCONT);

		kill(pid[i], SIGKILL);
		ASSERT_EQ(pid[i], waitpid(pid[i], NULL, 0));
		kills++;
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			contender(ep, seed + 1000 + kills);
	}
	/* Half stop cleanly, half are killed. */
	set_flag(&ct->stop);
	for (int i = 0; i < NCONT; i++) {
		if (i & 1)
			kill(pid[i], SIGKILL);
		ASSERT_EQ(pid[i], waitpid(pid[i], NULL, 0));
	}
	/* Every class ends: a waiter gets each, at once or within its TTL. */
	waiter = vt_derive(ep, 0, false, 0);
	ASSERT_LE(0, waiter);
	for (uint32_t cls = 0; cls < VMSIG_LEASE_CLASSES; cls++) {
		uint64_t tok;

		EXPECT_EQ(0, vt_acquire_wait(waiter, cls, 2000 * VT_MS, &tok)) TH_LOG("class %u", cls);
		EXPECT_EQ(0, vt_release(waiter, cls, tok));
	}
	close(waiter);
	usleep(20000);
	set_flag(&o.stop);
	ASSERT_TRUE(join_in_time(ot));
	for (uint32_t cls = 0; cls < VMSIG_LEASE_CLASSES; cls++) {
		EXPECT_EQ(0, o.holder[cls]) TH_LOG("class %u still held", cls);
	}
	counters_ok(o.fd, "observer");
	TH_LOG("%llu grants, %llu lease events, %llu kills, %llu revokes",
	       (unsigned long long)ct->grants, (unsigned long long)o.events,
	       (unsigned long long)kills, (unsigned long long)revokes);
	EXPECT_LT(0, ct->grants);
	close(o.fd);
	close(ep);
	close(dev);
	CHECK_REPORT();
}

/* ============================================ memory through tokens === */

#define NWRITER		4
#define WORDS		64		/* per writer */
#define REGION		0x40000		/* writers' words start here */
#define POISON		0xdead000000000000ULL

struct wshadow {
	uint64_t committed[NWRITER][WORDS];
	uint64_t pending[NWRITER][WORDS];
	/* What killed writers had in flight: may or may not have landed. */
	uint64_t maybe[NWRITER][WORDS][4];
	int stop;
	uint64_t writes, refused;
};

static struct wshadow *ws;

/*
 * A writer owns WORDS words.  Under the lease it writes values it records
 * as pending before and committed after; without the lease, with stale
 * tokens or without the right it writes POISON values that must never
 * land.  @rights is the file's rights.
 */
static void __attribute__((noreturn)) writer(int ep, int w, uint64_t rights, uint64_t s)
{
	int fd = vt_derive(ep, rights, true, 0);
	struct vt_rng r;
	uint64_t seq = vt_now_ns() & 0xffffffff;

	close(ep);
	vt_rng_seed(&r, s);
	while (fd >= 0 && !stop_flag(&ws->stop)) {
		uint64_t tok = 0, ttl = vt_one_in(&r, 4) ? (1 + vt_below(&r, 5)) * VT_MS : 0;
		int ret = vt_lease(fd, VMSIG_IOC_LEASE_ACQUIRE, VMSIG_LEASE_MEMWRITE,
				   VMSIG_LEASE_WAIT, ttl, 20 * VT_MS, &tok);
		uint64_t poison = POISON | (uint64_t)w << 40 | vt_below(&r, 1 << 20);
		int i = vt_below(&r, WORDS);
		uint64_t addr = REGION + (w * WORDS + i) * 8;

		if (ret == -EPERM && !(rights & VMSIG_RIGHT_LEASE_MEMWRITE)) {
			/* No lease for us; a write with any token is refused. */
			ret = vt_mem_write(fd, addr, &poison, 8, vt_below(&r, 1000));
			if (ret != -EPERM && ret != -ESTALE)
				BAD("writer %d without lease right: write %d", w, ret);
			__atomic_fetch_add(&ws->refused, 1, __ATOMIC_RELAXED);
			usleep(1000);
			continue;
		}
		if (ret == -ETIMEDOUT || ret == -EINTR)
			continue;
		if (ret) {
			BAD("writer %d: acquire %d", w, ret);
			break;
		}
		for (int k = 0; k < 1 + (int)vt_below(&r, 4); k++) {
			uint64_t v = (uint64_t)(w + 1) << 56 | ++seq;

			i = vt_below(&r, WORDS);
			addr = REGION + (w * WORDS + i) * 8;
			__atomic_store_n(&ws->pending[w][i], v, __ATOMIC_SEQ_CST);
			ret = vt_mem_write(fd, addr, &v, 8, tok);
			if (!ret) {
				if (!(rights & VMSIG_RIGHT_MEM_WRITE))
					BAD("writer %d wrote without the right", w);
				__atomic_store_n(&ws->committed[w][i], v, __ATOMIC_SEQ_CST);
				__atomic_fetch_add(&ws->writes, 1, __ATOMIC_RELAXED);
			} else if (ret == -EPERM && !(rights & VMSIG_RIGHT_MEM_WRITE)) {
				__atomic_fetch_add(&ws->refused, 1, __ATOMIC_RELAXED);
			} else if (ret != -ESTALE) {	/* TTL passed, or revoked */
				BAD("writer %d: write %d", w, ret);
			}
			__atomic_store_n(&ws->pending[w][i], 0, __ATOMIC_SEQ_CST);
		}
		ret = vt_release(fd, VMSIG_LEASE_MEMWRITE, tok);
		if (ret && ret != -ESTALE)
			BAD("writer %d: release %d", w, ret);
		/* The old token is worthless now, and so is a guessed one. */
		ret = vt_mem_write(fd, addr, &poison, 8, vt_one_in(&r, 2) ? tok : tok + 1);
		if (ret != -ESTALE && ret != -EPERM)
			BAD("writer %d: stale token write %d", w, ret);
	}
	_exit(0);
}

static const uint64_t writer_rights[NWRITER] = {
	VMSIG_RIGHTS_ALL,
	VMSIG_RIGHT_MEM_WRITE | VMSIG_RIGHT_LEASE_MEMWRITE,
	VMSIG_RIGHT_LEASE_MEMWRITE | VMSIG_RIGHT_MEM_READ,	/* lease, no write */
	VMSIG_RIGHT_MEM_WRITE,					/* write, no lease */
};

TEST(memory_changes_only_through_valid_tokens)
{
	struct vmm_child_cfg cfg = {
		.nr_slots = 1, .slots = { { 0, M, 0, 0 } },
		.pattern = true, .seed = MEM_SEED,
	};
	static uint8_t page[4096], via[4096];
	struct vmm_child c;
	pid_t pid[NWRITER];
	struct vt_rng r;
	uint64_t t0, kills = 0, bad = 0;
	int dev, ep;

	begin();

	ws = shared(sizeof(*ws));
	ASSERT_NE(NULL, ws);
	vt_rng_seed(&r, seed ^ 0x3e3);
	ASSERT_EQ(0, vmm_child_start(&c, &cfg));
	dev = vt_open_dev();
	ASSERT_LE(0, dev);
	ep = vt_attach(dev, VMSIG_BACKEND_KVM, c.vm_fd, 0);
	ASSERT_LE(0, ep);
	for (int w = 0; w < NWRITER; w++) {
		pid[w] = fork();
		ASSERT_LE(0, pid[w]);
		if (!pid[w])
			writer(ep, w, writer_rights[w], seed + w);
	}
	t0 = vt_now_ns();
	while (vt_now_ns() - t0 < budget_ns && !rep->errors) {
		int w = vt_below(&r, NWRITER);

		usleep(10000 + vt_below(&r, 40000));
		if (vt_one_in(&r, 2)) {
			vt_lease(ep, VMSIG_IOC_LEASE_REVOKE, VMSIG_LEASE_MEMWRITE, 0, 0, 0, NULL);
			continue;
		}
		/* Killed wherever it is: waiting, holding, mid-MEMWRITE. */
		kill(pid[w], SIGKILL);
		ASSERT_EQ(pid[w], waitpid(pid[w], NULL, 0));
		kills++;
		for (int i = 0; i < WORDS; i++) {
			if (!ws->pending[w][i])
				continue;
			memmove(&ws->maybe[w][i][1], &ws->maybe[w][i][0], 3 * 8);
			ws->maybe[w][i][0] = ws->pending[w][i];
			ws->pending[w][i] = 0;
		}
		pid[w] = fork();
		ASSERT_LE(0, pid[w]);
		if (!pid[w])
			writer(ep, w, writer_rights[w], seed + 100 + kills);
	}
	set_flag(&ws->stop);
	for (int w = 0; w < NWRITER; w++)
		ASSERT_EQ(pid[w], waitpid(pid[w], NULL, 0));

	/* The VMM's own view of its memory, page by page. */
	for (uint64_t gpa = 0; gpa < M; gpa += sizeof(page)) {
		ASSERT_EQ(0, vmm_child_peek(&c, gpa, page, sizeof(page)));
		ASSERT_EQ(0, vt_mem_read(ep, gpa, via, sizeof(via)));
		EXPECT_EQ(0, memcmp(page, via, sizeof(page))) TH_LOG("gpa %#llx", (unsigned long long)gpa);
		for (size_t off = 0; off < sizeof(page); off += 8) {
			uint64_t a = gpa + off, v, word;

			memcpy(&v, page + off, 8);
			if (a < REGION || a >= REGION + NWRITER * WORDS * 8) {
				if (vmm_pattern_check(a, &v, 8, MEM_SEED) >= 0 && bad++ < 4)
					TH_LOG("gpa %#llx changed outside the writers' words",
					       (unsigned long long)a);
				continue;
			}
			word = (a - REGION) / 8;
			uint64_t com = ws->committed[word / WORDS][word % WORDS];
			uint64_t pen = ws->pending[word / WORDS][word % WORDS];

			const uint64_t *may = ws->maybe[word / WORDS][word % WORDS];

			if (!com && vmm_pattern_check(a, &v, 8, MEM_SEED) < 0)
				continue;
			if (v && (v == may[0] || v == may[1] || v == may[2] || v == may[3]))
				continue;
			if (v != com && (!pen || v != pen) && bad++ < 4)
				TH_LOG("gpa %#llx holds %#llx, committed %#llx pending %#llx",
				       (unsigned long long)a, (unsigned long long)v,
				       (unsigned long long)com, (unsigned long long)pen);
		}
	}
	EXPECT_EQ(0, bad);
	TH_LOG("%llu writes landed, %llu refused, %llu writers killed",
	       (unsigned long long)ws->writes, (unsigned long long)ws->refused,
	       (unsigned long long)kills);
	EXPECT_LT(0, ws->writes);
	counters_ok(ep, "attach file");
	close(ep);
	close(dev);
	vmm_child_release(&c);
	CHECK_REPORT();
}

/* ====================================== the VMM dies mid-read/write === */

struct vmm_load {
	int ep;
	int stop;
	int kind;	/* 0 reader, 1 writer, 2 event reader, 3 poller */
	uint64_t ok;
	int last;
};

static void *vmm_load(void *arg)
{
	struct vmm_load *l = arg;
	uint8_t (*buf)[4096] = malloc(16 * 4096);
	uint8_t big[8192];
	uint64_t tok = 0;
	int esrch = 0;

	if (!buf || (l->kind == 1 && vt_acquire(l->ep, VMSIG_LEASE_MEMWRITE, &tok))) {
		BAD("writer: no lease");
		free(buf);
		return NULL;
	}
	while (esrch < 3) {
		int ret = 0;

		if (l->kind == 0) {
			struct vmsig_mem_entry e[16];
			struct vmsig_mem_read rd = {
				.size = sizeof(rd), .entries = (uintptr_t)e, .count = 16,
			};

			for (int i = 0; i < 16; i++)
				e[i] = (struct vmsig_mem_entry){
					.addr = i * 0x10000, .buf = (uintptr_t)buf[i], .len = 4096,
				};
			ret = vt_ioctl(l->ep, VMSIG_IOC_MEM_READ, &rd);
			for (int i = 0; !ret && i < 16; i++)
				if (e[i].status && e[i].status != -ESRCH)
					BAD("read entry status %d", e[i].status);
			if (!ret)
				ret = e[15].status;
		} else if (l->kind == 1) {
			memset(big, l->ok, sizeof(big));
			ret = vt_mem_write(l->ep, 0x8000 - 100, big,
					   l->ok & 1 ? sizeof(big) : 8, tok);
		} else if (l->kind == 2) {
			struct vmsig_event ev[8];

			ret = vt_read_ev(l->ep, ev, 8);
			if (ret == 0)	/* end of stream */
				break;
			ret = ret > 0 ? 0 : ret;
		} else {
			struct pollfd p = { .fd = l->ep, .events = POLLIN };

			poll(&p, 1, -1);
			if (p.revents & POLLHUP)
				break;
			/* Take what woke us, so the next poll waits. */
			struct vmsig_event ev[8];

			vt_read_ev(l->ep, ev, 8);
		}
		l->last = ret;
		if (ret == -ESRCH)
			esrch++;
		else if (ret)
			BAD("kind %d: %d", l->kind, ret);
		else
			l->ok++;
	}
	free(buf);
	return NULL;
}

static void *kill_vmm(void *arg)
{
	if (vmm_child_kill(arg) < 0)
		BAD("kill");
	return NULL;
}

TEST(vmm_killed_mid_read_and_write)
{
	struct vmm_child_cfg cfg = {
		.nr_slots = 1, .slots = { { 0, M, 0, 0 } }, .pattern = true, .seed = MEM_SEED,
	};
	struct vt_rng r;
	uint64_t t0 = vt_now_ns();
	int dev = vt_open_dev(), rounds = 0;

	begin();

	ASSERT_LE(0, dev);
	vt_rng_seed(&r, seed ^ 0x4b111);
	while ((vt_now_ns() - t0 < budget_ns && rounds < 50) || rounds < 2) {
		struct vmm_load l[5];
		pthread_t t[5];
		struct vmm_child c;
		int ep;

		ASSERT_EQ(0, vmm_child_start(&c, &cfg));
		ep = vt_attach(dev, VMSIG_BACKEND_KVM, c.vm_fd, 0);
		ASSERT_LE(0, ep);
		/* The VM fd is not needed: the endpoint holds the VM. */
		close(c.vm_fd);
		c.vm_fd = -1;
		if (rounds % 3 == 2) {
			/*
			 * No load: the endpoint's last file closes while the
			 * VMM dies, so the mmu notifier's release races with
			 * its unregistration.
			 */
			pthread_t k;

			ASSERT_EQ(0, pthread_create(&k, NULL, kill_vmm, &c));
			usleep(vt_below(&r, 2000));
			close(ep);
			ASSERT_TRUE(join_in_time(k));
			vmm_child_release(&c);
			rounds++;
			continue;
		}
		for (int i = 0; i < 5; i++) {
			l[i] = (struct vmm_load){ .kind = i < 2 ? 0 : i - 1 };
			l[i].ep = vt_derive(ep, 0, false, 0);
			ASSERT_LE(0, l[i].ep);
			ASSERT_EQ(0, pthread_create(&t[i], NULL, vmm_load, &l[i]));
		}
		usleep(vt_below(&r, 30000));
		ASSERT_LT(0, vmm_child_kill(&c));
		for (int i = 0; i < 5; i++) {
			ASSERT_TRUE(join_in_time(t[i])) TH_LOG("round %d: kind %d hangs",
							       rounds, l[i].kind);
			counters_ok(l[i].ep, "load file");
			close(l[i].ep);
		}
		close(ep);
		vmm_child_release(&c);
		rounds++;
	}
	TH_LOG("%d rounds", rounds);
	close(dev);
	CHECK_REPORT();
}

/* ============================================ rights, derived in chains === */

struct rights_arg {
	int root;
	int *stop;
	uint64_t rng_seed;
	uint64_t files;
};

/* Whether an operation that needs @need was answered as the rights say. */
static void gated(uint64_t rights, uint64_t need, int ret, const char *op)
{
	if (!(rights & need) && ret != -EPERM)
		BAD("%s without the right: %d", op, ret);
	if ((rights & need) && ret == -EPERM)
		BAD("%s with the right: EPERM", op);
}

static void *rights_worker(void *arg)
{
	struct rights_arg *a = arg;
	struct vt_rng r;

	vt_rng_seed(&r, a->rng_seed);
	while (!stop_flag(a->stop)) {
		int chain[5], n = 0, parent = a->root;
		uint64_t prights = VMSIG_RIGHTS_ALL;

		for (int d = 0; d < 1 + (int)vt_below(&r, 4); d++) {
			uint64_t want = vt_rand(&r) & prights, got = 0;
			bool same = vt_one_in(&r, 4);
			int fd;

			/* Asking for more than the parent has is refused. */
			if (prights != VMSIG_RIGHTS_ALL && vt_one_in(&r, 3)) {
				uint64_t more = want | (~prights & VMSIG_RIGHTS_ALL);

				fd = vt_derive(parent, more, true, VMSIG_ATTACH_NONBLOCK);
				if (fd != -EPERM)
					BAD("derive with more rights: %d", fd);
				if (fd >= 0)
					close(fd);
			}
			fd = vt_derive(parent, want, !same, VMSIG_ATTACH_NONBLOCK);
			if (fd < 0) {
				BAD("derive: %d", fd);
				break;
			}
			if (same)
				want = prights;
			if (vt_rights(fd, &got) || got != want)
				BAD("rights %#llx, wanted %#llx", (unsigned long long)got,
				    (unsigned long long)want);
			chain[n++] = fd;
			parent = fd;
			prights = want;
			a->files++;
		}
		/* Use the last file as its rights allow, and no further. */
		if (n) {
			int fd = chain[n - 1], ret;
			uint64_t v, tok;
			uint32_t cls = vt_below(&r, VMSIG_LEASE_CLASSES);
			struct vmsig_event ev = vt_up(T_UP, VMSIG_SRC_SENSOR, 0, 0);
			struct vmsig_memctx mc = { .size = sizeof(mc), .root = 0x1000,
						   .mode = VMSIG_PAGING_X86_64_4LEVEL };

			gated(prights, VMSIG_RIGHT_MEM_READ, vt_mem_read(fd, 0x100, &v, 8), "read");
			ret = vt_write_ev(fd, &ev, 1);
			gated(prights, VMSIG_RIGHT_EMIT, ret == 1 ? 0 : ret, "emit");
			gated(prights, VMSIG_RIGHT_MEMCTX,
			      vt_ioctl(fd, VMSIG_IOC_SET_MEMCTX, &mc), "memctx");
			ret = vt_acquire(fd, cls, &tok);
			gated(prights, VMSIG_RIGHT_LEASE_INPUT << cls, ret, "lease");
			if (!ret && (ret = vt_release(fd, cls, tok)) && ret != -ESTALE)
				BAD("release %d", ret);
			ret = vt_lease(fd, VMSIG_IOC_LEASE_REVOKE, cls, 0, 0, 0, NULL);
			gated(prights, VMSIG_RIGHT_ADMIN, ret == -ENOENT ? 0 : ret, "revoke");
			ret = vt_bind_sink(fd, VMSIG_SRC_INPUT, 0);
			gated(prights, VMSIG_RIGHT_BIND_SINK, ret == -EBUSY ? 0 : ret, "sink");
			if (!ret)
				vt_bind_sink(fd, VMSIG_SRC_INPUT, VMSIG_SINK_UNBIND);
		}
		/* Close in random order: children outlive their parents. */
		while (n) {
			int i = vt_below(&r, n);

			counters_ok(chain[i], "derived");
			close(chain[i]);
			chain[i] = chain[--n];
		}
	}
	return NULL;
}

TEST(derive_shrinking_rights_under_load)
{
	struct rights_arg a[4];
	pthread_t t[4], pt;
	struct prod_arg pa;
	int stop = 0, dev, memfd, ep;
	uint64_t t0, files = 0;

	begin();

	fan = shared(sizeof(*fan));
	ASSERT_NE(NULL, fan);
	dev = vt_open_dev();
	ASSERT_LE(0, dev);
	memfd = vt_memfd("rights", M);
	ASSERT_LE(0, memfd);
	ep = vt_attach(dev, VMSIG_BACKEND_RAMFD, memfd, VMSIG_ATTACH_NONBLOCK);
	ASSERT_LE(0, ep);
	/* Events flow (some retained, replayed to every new file) meanwhile. */
	pa = (struct prod_arg){ .fd = vt_derive(ep, 0, false, 0), .rng_seed = seed };
	ASSERT_LE(0, pa.fd);
	ASSERT_EQ(0, pthread_create(&pt, NULL, produce_thread, &pa));
	for (int i = 0; i < 4; i++) {
		a[i] = (struct rights_arg){ .root = ep, .stop = &stop, .rng_seed = seed + i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, rights_worker, &a[i]));
	}
	t0 = vt_now_ns();
	while (vt_now_ns() - t0 < budget_ns && !rep->errors)
		usleep(10000);
	set_flag(&stop);
	set_flag(&fan->stop_prod);
	for (int i = 0; i < 4; i++) {
		ASSERT_TRUE(join_in_time(t[i]));
		files += a[i].files;
	}
	ASSERT_TRUE(join_in_time(pt));
	TH_LOG("%llu files derived", (unsigned long long)files);
	counters_ok(ep, "attach file");
	close(pa.fd);
	close(ep);
	close(memfd);
	close(dev);
	CHECK_REPORT();
}

/* ============================================ open by id vs teardown === */

struct idrace {
	int dev;
	int stop;
	uint32_t last_id;
	uint64_t opened, gone;
};

static void *churn_endpoints(void *arg)
{
	struct idrace *x = arg;

	while (!stop_flag(&x->stop)) {
		int ep = vt_attach(x->dev, VMSIG_BACKEND_NONE, -1, 0);
		uint32_t id;

		if (ep < 0 || vt_ep_id(ep, &id)) {
			BAD("attach %d", ep);
			break;
		}
		__atomic_store_n(&x->last_id, id, __ATOMIC_RELEASE);
		close(ep);
	}
	return NULL;
}

/*
 * Endpoints are created and destroyed while another thread opens them by
 * id: the lookup must never hand out a dying endpoint, and what it opens
 * is the endpoint it asked for.
 */
TEST(open_by_id_races_teardown)
{
	struct idrace x = { 0 };
	pthread_t t[2];
	uint64_t t0;

	begin();
	x.dev = vt_open_dev();
	ASSERT_LE(0, x.dev);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn_endpoints, &x));
	t0 = vt_now_ns();
	while (vt_now_ns() - t0 < budget_ns / 2 && !rep->errors) {
		struct vmsig_open_ep op = { .size = sizeof(op) };
		uint32_t id;
		int fd;

		op.ep_id = __atomic_load_n(&x.last_id, __ATOMIC_ACQUIRE);
		if (!op.ep_id)
			continue;
		fd = vt_ioctl(x.dev, VMSIG_IOC_OPEN_EP, &op);
		if (fd == -ENOENT) {
			x.gone++;
			continue;
		}
		ASSERT_LE(0, fd) TH_LOG("open_ep: %d", fd);
		ASSERT_EQ(0, vt_ep_id(fd, &id));
		EXPECT_EQ(op.ep_id, id);
		counters_ok(fd, "opened by id");
		close(fd);
		x.opened++;
	}
	set_flag(&x.stop);
	for (int i = 0; i < 2; i++)
		ASSERT_TRUE(join_in_time(t[i]));
	TH_LOG("%llu opened, %llu gone before", (unsigned long long)x.opened,
	       (unsigned long long)x.gone);
	close(x.dev);
	CHECK_REPORT();
}

/* ================================================ DOWN events, ACKs === */

#define NSUB		3

struct acks {
	int stop_sub;
	int stop_sink;
	uint64_t sink_acked;
};

struct submitter {
	int fd;
	int id;
	struct acks *k;
	uint64_t rng_seed;
	uint64_t sent, acked, epipe, dropped;
	uint8_t *seen;		/* one byte per corr: ACKs received */
};

#define MAX_SENT	(1 << 16)

static void *submit(void *arg)
{
	struct submitter *s = arg;
	struct vmsig_event ev[32];
	struct vt_rng r;
	bool draining = false;
	int idle = 0;

	vt_rng_seed(&r, s->rng_seed);
	for (;;) {
		int n;

		if (!draining && stop_flag(&s->k->stop_sub))
			draining = true;
		if (!draining && s->sent < MAX_SENT) {
			struct vmsig_event d = {
				.type = T_DOWN, .dir = VMSIG_DIR_DOWN,
				.source = VMSIG_SRC_CONTROL, .corr = s->sent,
			};
			int ret = vt_write_ev(s->fd, &d, 1);

			if (ret == 1)
				s->sent++;
			else if (ret != -ENXIO && ret != -EAGAIN)
				BAD("submit: %d", ret);
		}
		n = vt_read_ev(s->fd, ev, 32);
		if (n == -EAGAIN) {
			/* Draining: done when nothing more can come. */
			if (draining && ++idle > 200)
				break;
			if (draining)
				usleep(1000);
			continue;
		}
		if (n < 0) {
			BAD("submitter read %d", n);
			break;
		}
		idle = 0;
		for (int i = 0; i < n; i++) {
			if (ev[i].type == VMSIG_EV_DROPPED) {
				s->dropped += ev[i].payload.u64[0];
				continue;
			}
			if (ev[i].type != VMSIG_EV_ACT_ACK || ev[i].corr >= s->sent ||
			    s->seen[ev[i].corr]++) {
				BAD("submitter %d: type %#x corr %llu (sent %llu) twice? %d",
				    s->id, ev[i].type, (unsigned long long)ev[i].corr,
				    (unsigned long long)s->sent,
				    ev[i].corr < MAX_SENT ? s->seen[ev[i].corr] : -1);
				continue;
			}
			s->acked++;
			if (ev[i].aux == -EPIPE)
				s->epipe++;
			else if (ev[i].aux != 0)
				BAD("ack status %d", ev[i].aux);
		}
		if (draining && s->acked + s->dropped == s->sent)
			break;
	}
	return NULL;
}

/* Sinks come and go: bind, serve a while, unbind or close, again. */
static void *sink_churn(void *arg)
{
	struct submitter *s = arg;	/* fd: the endpoint to derive from */
	struct vt_rng r;

	vt_rng_seed(&r, s->rng_seed);
	while (!stop_flag(&s->k->stop_sink)) {
		int fd = vt_derive(s->fd, 0, false, VMSIG_ATTACH_NONBLOCK), served = 0;
		int want = vt_below(&r, 300);

		if (fd < 0 || vt_set_sub(fd, 0, 0, 1024) || vt_bind_sink(fd, VMSIG_SRC_CONTROL, 0)) {
			BAD("sink setup");
			break;
		}
		while (served < want && !stop_flag(&s->k->stop_sink)) {
			struct vmsig_event ev[16];
			int n = vt_read_ev(fd, ev, 16);

			if (n == -EAGAIN) {
				usleep(200);
				served++;
				continue;
			}
			for (int i = 0; i < n; i++) {
				struct vmsig_event ack = {
					.type = VMSIG_EV_ACT_ACK, .dir = VMSIG_DIR_UP,
					.source = VMSIG_SRC_CONTROL, .corr = ev[i].corr,
				};

				/* Some are left unanswered: the close answers them. */
				if (vt_one_in(&r, 10))
					continue;
				if (vt_write_ev(fd, &ack, 1) != 1)
					BAD("sink ack");
				s->k->sink_acked++;
			}
			served += n > 0 ? n : 1;
		}
		if (vt_one_in(&r, 2) && vt_bind_sink(fd, VMSIG_SRC_CONTROL, VMSIG_SINK_UNBIND))
			BAD("unbind");
		close(fd);
	}
	return NULL;
}

TEST(every_down_event_gets_one_ack)
{
	struct acks *k = shared(sizeof(*k));
	struct submitter s[NSUB], sk;
	pthread_t t[NSUB], st;
	uint64_t t0;
	int dev, ep;

	begin();

	ASSERT_NE(NULL, k);
	dev = vt_open_dev();
	ASSERT_LE(0, dev);
	ep = vt_attach(dev, VMSIG_BACKEND_NONE, -1, VMSIG_ATTACH_NONBLOCK);
	ASSERT_LE(0, ep);
	sk = (struct submitter){ .fd = ep, .k = k, .rng_seed = seed ^ 0x51 };
	ASSERT_EQ(0, pthread_create(&st, NULL, sink_churn, &sk));
	for (int i = 0; i < NSUB; i++) {
		s[i] = (struct submitter){
			.fd = vt_derive(ep, 0, false, VMSIG_ATTACH_NONBLOCK), .id = i, .k = k,
			.rng_seed = seed + i, .seen = calloc(MAX_SENT, 1),
		};
		ASSERT_LE(0, s[i].fd);
		ASSERT_NE(NULL, s[i].seen);
		/* Only ACKs; a small ring for some, so ACKs are dropped too. */
		ASSERT_EQ(0, vt_set_sub(s[i].fd, 0, 0, i ? 4096 : 16));
		ASSERT_EQ(0, pthread_create(&t[i], NULL, submit, &s[i]));
	}
	t0 = vt_now_ns();
	while (vt_now_ns() - t0 < budget_ns && !rep->errors)
		usleep(10000);
	set_flag(&k->stop_sub);
	usleep(50000);
	/* The last sink closes: whatever is still in flight gets -EPIPE. */
	set_flag(&k->stop_sink);
	ASSERT_TRUE(join_in_time(st));
	for (int i = 0; i < NSUB; i++) {
		ASSERT_TRUE(join_in_time(t[i])) TH_LOG("submitter %d waits for ever", i);
		EXPECT_EQ(s[i].sent, s[i].acked + s[i].dropped)
			TH_LOG("submitter %d: sent %llu, acked %llu, lost %llu", i,
			       (unsigned long long)s[i].sent, (unsigned long long)s[i].acked,
			       (unsigned long long)s[i].dropped);
		counters_ok(s[i].fd, "submitter");
		TH_LOG("submitter %d: %llu sent, %llu acked (%llu -EPIPE), %llu dropped", i,
		       (unsigned long long)s[i].sent, (unsigned long long)s[i].acked,
		       (unsigned long long)s[i].epipe, (unsigned long long)s[i].dropped);
		close(s[i].fd);
		free(s[i].seen);
	}
	close(ep);
	close(dev);
	CHECK_REPORT();
}

int main(int argc, char **argv)
{
	seed = vt_env_u64("VMSIG_STRESS_SEED", vt_now_ns());
	budget_ns = vt_env_u64("VMSIG_STRESS_MS", 2500) * VT_MS;
	rep = shared(sizeof(*rep));
	if (!rep)
		return 1;
	/* Under load on TCG or a debug kernel a test can take a while. */
	_fanout_counter_identity_object.timeout = 120;
	_close_under_blocked_calls_object.timeout = 120;
	_blocked_calls_end_on_signal_and_vmm_exit_object.timeout = 120;
	_lease_contention_with_kills_object.timeout = 120;
	_memory_changes_only_through_valid_tokens_object.timeout = 120;
	_vmm_killed_mid_read_and_write_object.timeout = 120;
	_derive_shrinking_rights_under_load_object.timeout = 120;
	_every_down_event_gets_one_ack_object.timeout = 120;
	_open_by_id_races_teardown_object.timeout = 120;
	printf("# stress: seed %#llx, %llu ms per test (VMSIG_STRESS_SEED, VMSIG_STRESS_MS)\n",
	       (unsigned long long)seed, (unsigned long long)(budget_ns / VT_MS));
	fflush(stdout);
	return test_harness_run(argc, argv);
}
