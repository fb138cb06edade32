// SPDX-License-Identifier: GPL-2.0
/*
 * vmsig_bench: vmsig side by side with the alternatives a control would use
 * otherwise, in one boot of the test VM.
 *
 * Every section runs its variants interleaved, round after round, on the
 * same inputs; a round's median of each variant is divided by the round's
 * median of the section's reference, and the table reports the median of
 * those ratios.  Absolute times under TCG say little about real hardware;
 * ratios measured side by side, in the same boot, do.
 *
 * Nothing here is asserted on time.  The program fails only when a variant
 * does not work (an error, or bytes that are not the guest's), so a table
 * never reports the speed of something broken.
 *
 * Output: a TAP header and trailer (so the VM runner counts it as one test),
 * the table between BENCH-TABLE-BEGIN/END and the same results as JSON
 * between BENCH-JSON-BEGIN/END; bench/run.sh cuts both out of the guest's
 * result port.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vmsig.h>

#include "vmm.h"
#include "vmsig_qmp.h"

#define EV_SIZE		sizeof(struct vmsig_event)
#define T_PING		0x0210		/* adapter-defined UP types */
#define T_DATA		0x0211
#define M		(1ULL << 20)
#define SEED		0xbe7c4a11d00dfeedULL

/* Guest-physical layout of the VMM child. */
#define RAM_GPA		0ULL
#define RAM_SIZE	(64 * M)	/* the bulk read reads all of it */
#define PT_GPA		(64 * M)	/* slot 1: page-table pool */
#define PT_SIZE		(2 * M)
#define DIRTY_GPA	(66 * M)	/* slot 2: dirty-logged, for MEMWRITE */
#define DIRTY_SIZE	(2 * M)
#define ANON_GPA	(128 * M)	/* slot 3: anonymous RAM, for the bulk read */
/* RAM is mapped here with 4 KiB pages: GVA_BASE + x -> x. */
#define GVA_BASE	0x00007f0000000000ULL

#define NREADS		4096		/* scattered reads per batch */
#define PVM_IOV_MAX	1024		/* IOV_MAX: process_vm_readv's limit */

/*
 * Sizes of each section: the bench takes about 90 s of the VM's time, the
 * whole "make bench" (boot included) about 2 minutes on a 2-core host.
 */
#define ROUNDS		7
#define LAT_PINGS	1000		/* ping-pongs per variant per round */
#define TP_RECORDS	8192		/* records per round */
#define TP_BURST	256		/* paced: fits a ring and a socket queue */
#define TP_WBATCH	16		/* records per producer write */
#define TP_RBATCH	64		/* records per reader read */
#define TP_RING		1024		/* vmsig records per lane */
#define SCAT_BATCHES	5		/* 4096-read batches per variant per round */
#define BULK_SAMPLES	3
#define MW_OPS		256		/* writes per sample */
#define MW_SAMPLES	8
#define QMP_READS	512		/* xp commands per QMP round */
#define QMP_ROUNDS	5
#define SCALE_EPS	64
#define SCALE_SUBS	16
#define FAN_BATCHES	64		/* of TP_WBATCH records: the ring's size */

#define QEMU_BIN	"/usr/bin/qemu-system-x86_64"
#define QEMU_GUEST	"/e2e/guest.elf"
#define QMP_SOCK	"/tmp/bench-qmp.sock"

/* ------------------------------------------------------------ basics --- */

static long meminfo(const char *key);

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# bench: ");
	vprintf(fmt, ap);
	va_end(ap);
	printf("\nnot ok 1 vmsig_bench\n# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0\n");
	fflush(stdout);
	exit(1);
}

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* splitmix64: the same addresses on every run. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

/* Children die with the bench, so a killed run leaves nothing behind. */
static pid_t xfork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The @q quantile of @n values (sorted in place). */
static double quantile(double *v, size_t n, double q)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_dbl);
	i = (size_t)(q * (n - 1) + 0.5);
	return v[i];
}

/* ----------------------------------------------------------- results --- */

#define MAX_CASES	64
#define MAX_SAMPLES	8192

/*
 * One row of the table.  @all holds every sample (for p50/p99), @round the
 * median of each round (for the ratio against @ref, round by round).
 */
struct bcase {
	const char *sec;
	char name[64];
	const char *unit;
	int ref;		/* index of the reference row, -1 for none */
	double all[MAX_SAMPLES];
	size_t nall;
	double round[ROUNDS + 1];
	int nround;
	double cur[MAX_SAMPLES];	/* this round's samples */
	size_t ncur;
	int64_t drops;		/* -1: not applicable */
	char note[96];
};

static struct bcase cases[MAX_CASES];
static int ncases;
static int qmp_case = -1;

static int add_case(const char *sec, const char *name, const char *unit, int ref)
{
	struct bcase *c;

	if (ncases == MAX_CASES)
		die("too many cases");
	c = &cases[ncases];
	c->sec = sec;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->unit = unit;
	c->ref = ref;
	c->drops = -1;
	return ncases++;
}

static void sample(int id, double v)
{
	struct bcase *c = &cases[id];

	if (c->ncur < MAX_SAMPLES)
		c->cur[c->ncur++] = v;
	if (c->nall < MAX_SAMPLES)
		c->all[c->nall++] = v;
}

/* Close a round of @id: its median joins the per-round medians. */
static void end_round(int id)
{
	struct bcase *c = &cases[id];

	if (!c->ncur || c->nround > ROUNDS)
		return;
	c->round[c->nround++] = quantile(c->cur, c->ncur, 0.5);
	c->ncur = 0;
}

/* Median over rounds of (this round's median / the reference's). */
static double ratio(const struct bcase *c)
{
	const struct bcase *r;
	double v[ROUNDS + 1];
	int i, n;

	if (c->ref < 0)
		return 0;
	r = &cases[c->ref];
	n = c->nround < r->nround ? c->nround : r->nround;
	for (i = 0; i < n; i++)
		v[i] = r->round[i] > 0 ? c->round[i] / r->round[i] : 0;
	return quantile(v, n, 0.5);
}

/* Human units for the table; the JSON keeps the raw numbers. */
static void fmt_val(char *buf, size_t size, double v, const char *unit)
{
	if (!strcmp(unit, "ns")) {
		if (v >= 1e9)
			snprintf(buf, size, "%.2f s", v / 1e9);
		else if (v >= 1e6)
			snprintf(buf, size, "%.2f ms", v / 1e6);
		else if (v >= 1e3)
			snprintf(buf, size, "%.1f us", v / 1e3);
		else
			snprintf(buf, size, "%.0f ns", v);
	} else if (!strcmp(unit, "bytes")) {
		snprintf(buf, size, "%.0f B", v);
	} else {
		snprintf(buf, size, "%.3g %s", v, unit);
	}
}

static void print_table(void)
{
	const char *sec = NULL;
	int i;

	printf("BENCH-TABLE-BEGIN\n");
	printf("%-34s %11s %11s %8s %-22s %s\n", "case", "median", "p99",
	       "ratio", "ratio against", "notes");
	for (i = 0; i < ncases; i++) {
		struct bcase *c = &cases[i];
		char med[32], p99[32], rat[16] = "", drops[32] = "";
		double v[MAX_SAMPLES];

		if (!sec || strcmp(sec, c->sec))
			printf("-- %s\n", c->sec);
		sec = c->sec;
		memcpy(v, c->all, c->nall * sizeof(*v));
		fmt_val(med, sizeof(med), quantile(v, c->nall, 0.5), c->unit);
		fmt_val(p99, sizeof(p99), quantile(v, c->nall, 0.99), c->unit);
		if (!c->nall)
			strcpy(med, "-"), strcpy(p99, "-");
		if (c->ref >= 0 && c->nall)
			snprintf(rat, sizeof(rat), "%.2fx", ratio(c));
		if (c->drops >= 0)
			snprintf(drops, sizeof(drops), "drops %" PRId64 " ", c->drops);
		printf("  %-32s %11s %11s %8s %-22s %s%s\n", c->name, med, p99, rat,
		       c->ref >= 0 ? cases[c->ref].name : "", drops, c->note);
	}
	printf("BENCH-TABLE-END\n");
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void print_json(const char *kernel, uint64_t total_ns)
{
	int i;

	printf("BENCH-JSON-BEGIN\n{\"kernel\": ");
	json_str(kernel);
	printf(", \"rounds\": %d, \"seconds\": %.1f, \"cases\": [\n", ROUNDS,
	       total_ns / 1e9);
	for (i = 0; i < ncases; i++) {
		struct bcase *c = &cases[i];
		double v[MAX_SAMPLES];

		memcpy(v, c->all, c->nall * sizeof(*v));
		printf("  {\"section\": ");
		json_str(c->sec);
		printf(", \"case\": ");
		json_str(c->name);
		printf(", \"unit\": ");
		json_str(c->unit);
		printf(", \"samples\": %zu, \"rounds\": %d, \"p50\": %.1f, \"p99\": %.1f",
		       c->nall, c->nround, quantile(v, c->nall, 0.5),
		       quantile(v, c->nall, 0.99));
		if (c->ref >= 0 && c->nall) {
			printf(", \"ref\": ");
			json_str(cases[c->ref].name);
			printf(", \"ratio\": %.4f", ratio(c));
		}
		if (c->drops >= 0)
			printf(", \"drops\": %" PRId64, c->drops);
		if (c->note[0]) {
			printf(", \"note\": ");
			json_str(c->note);
		}
		printf("}%s\n", i + 1 < ncases ? "," : "");
	}
	printf("]}\nBENCH-JSON-END\n");
}

/* -------------------------------------------------------- vmsig uapi --- */

static int vmsig_dev(void)
{
	int fd = open("/dev/vmsig", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/vmsig: %s", strerror(errno));
	return fd;
}

static int attach(int dev, uint32_t backend, int fd, uint32_t flags)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .flags = flags, .backend = backend, .fd = fd,
	};
	int ep = ioctl(dev, VMSIG_IOC_ATTACH, &at);

	if (ep < 0)
		die("attach: %s", strerror(errno));
	return ep;
}

static int derive(int ep, uint32_t flags)
{
	struct vmsig_derive d = { .size = sizeof(d), .flags = flags };
	int fd = ioctl(ep, VMSIG_IOC_DERIVE, &d);

	if (fd < 0)
		die("derive: %s", strerror(errno));
	return fd;
}

static void set_ring(int fd, uint32_t size)
{
	struct vmsig_sub s = { .size = sizeof(s) };
	int err = xioctl(fd, VMSIG_IOC_GET_SUB, &s);

	s.ring_size = size;
	err = err ?: xioctl(fd, VMSIG_IOC_SET_SUB, &s);
	if (err)
		die("ring size %u: %s", size, strerror(-err));
}

static struct vmsig_event up_event(uint16_t type, uint64_t p0)
{
	struct vmsig_event ev = {
		.type = type, .dir = VMSIG_DIR_UP, .source = VMSIG_SRC_SENSOR,
	};

	ev.payload.u64[0] = p0;
	return ev;
}

/* ------------------------------------------------ 1. event latency --- */

/*
 * A channel is two one-way paths; the child echoes what it reads.  vmsig:
 * two files of one endpoint (a writer never gets its own records back).
 */
struct chan {
	const char *name;
	int p_tx, p_rx;		/* the bench's ends */
	int c_tx, c_rx;		/* the echo child's ends */
	size_t len;		/* bytes per message */
	pid_t pid;
	int id;
};

static void echo_child(struct chan *ch)
{
	char buf[64];

	for (;;) {
		ssize_t n = read(ch->c_rx, buf, ch->len);

		if (n != (ssize_t)ch->len || write(ch->c_tx, buf, n) != n)
			_exit(1);
	}
}

static void chan_start(struct chan *ch)
{
	ch->pid = xfork();
	if (!ch->pid)
		echo_child(ch);
}

static double ping(struct chan *ch, const void *msg)
{
	char buf[64];
	uint64_t t0 = now_ns();

	if (write(ch->p_tx, msg, ch->len) != (ssize_t)ch->len ||
	    read(ch->p_rx, buf, ch->len) != (ssize_t)ch->len)
		die("%s: ping-pong failed: %s", ch->name, strerror(errno));
	/* One way is half a round trip. */
	return (now_ns() - t0) / 2.0;
}

static void bench_latency(void)
{
	static const char sec[] = "1. event latency, one way (ping-pong / 2)";
	struct vmsig_event ev = up_event(T_PING, 0);
	struct chan ch[4] = { };
	int dev = vmsig_dev(), a, b, pa[2], pb[2], e1, e2, sv[2];
	int i, r, k;

	/* Both files block in read(): the reader sleeps like a real control. */
	a = attach(dev, VMSIG_BACKEND_NONE, -1, 0);
	b = derive(a, 0);
	ch[0] = (struct chan) { "vmsig event (64 B)", a, a, b, b, EV_SIZE, 0, 0 };
	e1 = eventfd(0, EFD_CLOEXEC);
	e2 = eventfd(0, EFD_CLOEXEC);
	ch[1] = (struct chan) { "eventfd (no payload)", e1, e2, e2, e1, 8, 0, 0 };
	if (e1 < 0 || e2 < 0 || pipe(pa) || pipe(pb) ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		die("latency setup: %s", strerror(errno));
	ch[2] = (struct chan) { "pipe (64 B)", pa[1], pb[0], pb[1], pa[0], 64, 0, 0 };
	ch[3] = (struct chan) { "unix dgram (64 B)", sv[0], sv[0], sv[1], sv[1], 64, 0, 0 };

	for (i = 0; i < 4; i++) {
		ch[i].id = add_case(sec, ch[i].name, "ns", i ? ch[0].id : -1);
		chan_start(&ch[i]);
	}
	/* eventfd carries a counter, not a record: 1 each way. */
	for (r = 0; r <= ROUNDS; r++) {
		for (i = 0; i < 4; i++) {
			uint64_t one = 1;
			const void *msg = i == 1 ? (void *)&one : (void *)&ev;

			for (k = 0; k < LAT_PINGS; k++) {
				double v = ping(&ch[i], msg);

				/* Round 0 warms caches and the scheduler up. */
				if (r)
					sample(ch[i].id, v);
			}
			if (r)
				end_round(ch[i].id);
		}
	}
	for (i = 0; i < 4; i++)
		reap(ch[i].pid);
	snprintf(cases[ch[0].id].note, sizeof(cases[0].note),
		 "blocking read(), 2 processes");
	close(a);
	close(b);
	close(dev);
	close(e1);
	close(e2);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	close(sv[0]);
	close(sv[1]);
}

/* --------------------------------------------- 2. event throughput --- */

/* Result of one reader for one burst. */
struct tp_res {
	uint64_t got;
	uint64_t dropped;
};

/* Reads until a burst is accounted for: records read plus losses reported. */
static void vmsig_reader(int fd, int res, uint64_t burst)
{
	struct vmsig_event buf[TP_RBATCH];

	for (;;) {
		struct tp_res t = { };

		while (t.got + t.dropped < burst) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n <= 0)
				_exit(1);
			for (size_t i = 0; i < n / EV_SIZE; i++) {
				if (buf[i].type == VMSIG_EV_DROPPED)
					t.dropped += buf[i].payload.u64[0];
				else if (buf[i].type == T_DATA)
					t.got++;
			}
		}
		if (write(res, &t, sizeof(t)) != sizeof(t))
			_exit(1);
	}
}

/* The last record of a burst carries what the producer could not send. */
static void sock_reader(int fd, int res)
{
	struct vmsig_event buf[TP_RBATCH];
	struct mmsghdr mm[TP_RBATCH];
	struct iovec iov[TP_RBATCH];

	for (int i = 0; i < TP_RBATCH; i++) {
		iov[i] = (struct iovec) { &buf[i], EV_SIZE };
		mm[i] = (struct mmsghdr) { .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	for (;;) {
		struct tp_res t = { };
		bool end = false;

		while (!end) {
			int n = recvmmsg(fd, mm, TP_RBATCH, MSG_WAITFORONE, NULL);

			if (n <= 0)
				_exit(1);
			for (int i = 0; i < n; i++) {
				if (buf[i].type == T_DATA) {
					t.got++;
				} else {
					t.dropped = buf[i].payload.u64[0];
					end = true;
				}
			}
		}
		if (write(res, &t, sizeof(t)) != sizeof(t))
			_exit(1);
	}
}

/* How many 64-byte messages a unix seqpacket socket queues before EAGAIN. */
static int sock_capacity(void)
{
	struct vmsig_event ev = up_event(T_DATA, 0);
	int sv[2], n = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	while (n < 100000 && send(sv[0], &ev, EV_SIZE, MSG_DONTWAIT) == EV_SIZE)
		n++;
	close(sv[0]);
	close(sv[1]);
	return n;
}

/*
 * One producer and @nsub reader processes.  The producer sends @burst
 * records, then waits until every reader has accounted for them.  A burst
 * that fits every queue is lossless throughput ("paced"); one burst of the
 * whole round is a producer that never waits ("flat out"), where what the
 * readers miss is dropped and counted.
 */
struct tp_setup {
	int nsub;
	bool vmsig;
	uint64_t burst;
	int id;
	int prod;		/* vmsig: the producer's file */
	int *tx;		/* sockets: the producer's end per subscriber */
	pid_t *pid;
	int res[2];
	int64_t drops;
	uint64_t delivered;
};

static void tp_start(struct tp_setup *t, int dev)
{
	int i;

	t->tx = xmalloc(t->nsub * sizeof(int));
	t->pid = xmalloc(t->nsub * sizeof(pid_t));
	if (pipe(t->res))
		die("pipe: %s", strerror(errno));
	if (t->vmsig)
		t->prod = attach(dev, VMSIG_BACKEND_NONE, -1, VMSIG_ATTACH_NONBLOCK);
	for (i = 0; i < t->nsub; i++) {
		int sv[2] = { -1, -1 }, fd;

		if (t->vmsig) {
			fd = derive(t->prod, 0);
			set_ring(fd, TP_RING);
		} else {
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
				die("socketpair: %s", strerror(errno));
			t->tx[i] = sv[0];
			fd = sv[1];
		}
		t->pid[i] = xfork();
		if (!t->pid[i]) {
			if (t->vmsig)
				vmsig_reader(fd, t->res[1], t->burst);
			sock_reader(fd, t->res[1]);
		}
		close(fd);
	}
}

static void tp_round(struct tp_setup *t, bool measure)
{
	struct vmsig_event batch[TP_WBATCH];
	struct mmsghdr mm[TP_WBATCH];
	struct iovec iov[TP_WBATCH];
	uint64_t *sdrop = xmalloc(t->nsub * sizeof(uint64_t));
	uint64_t seq = 0, t0, t1;
	int i, s;

	for (i = 0; i < TP_WBATCH; i++) {
		iov[i] = (struct iovec) { &batch[i], EV_SIZE };
		mm[i] = (struct mmsghdr) { .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	t0 = now_ns();
	while (seq < TP_RECORDS) {
		uint64_t end = seq + t->burst;

		memset(sdrop, 0, t->nsub * sizeof(uint64_t));
		while (seq < end) {
			/* The producer fills its records either way; vmsig restamps. */
			for (i = 0; i < TP_WBATCH; i++) {
				batch[i] = up_event(T_DATA, seq++);
				batch[i].ts_ns = t0;
			}
			if (t->vmsig) {
				if (write(t->prod, batch, sizeof(batch)) != sizeof(batch))
					die("vmsig publish: %s", strerror(errno));
				continue;
			}
			/* A bus that never blocks on a slow subscriber drops, like vmsig. */
			for (s = 0; s < t->nsub; s++) {
				int n = sendmmsg(t->tx[s], mm, TP_WBATCH, MSG_DONTWAIT);

				if (n < 0 && errno != EAGAIN)
					die("sendmmsg: %s", strerror(errno));
				sdrop[s] += TP_WBATCH - (n < 0 ? 0 : n);
			}
		}
		if (!t->vmsig) {
			for (s = 0; s < t->nsub; s++) {
				struct vmsig_event last = up_event(T_DATA + 1, sdrop[s]);

				if (send(t->tx[s], &last, EV_SIZE, 0) != EV_SIZE)
					die("send: %s", strerror(errno));
			}
		}
		for (s = 0; s < t->nsub; s++) {
			struct tp_res r;

			if (read(t->res[0], &r, sizeof(r)) != sizeof(r))
				die("throughput reader died");
			if (measure) {
				t->drops += r.dropped;
				t->delivered += r.got;
			}
		}
	}
	t1 = now_ns();
	free(sdrop);
	/* Cost of one published record reaching (or missing) every subscriber. */
	if (measure)
		sample(t->id, (double)(t1 - t0) / TP_RECORDS);
}

static void tp_stop(struct tp_setup *t)
{
	int i;

	for (i = 0; i < t->nsub; i++) {
		reap(t->pid[i]);
		if (!t->vmsig)
			close(t->tx[i]);
	}
	if (t->vmsig)
		close(t->prod);
	close(t->res[0]);
	close(t->res[1]);
	free(t->tx);
	free(t->pid);
}

static void bench_throughput(void)
{
	static const char sec[] = "2. event throughput, ns per record to all subscribers";
	static const int subs[] = { 1, 4, 16 };
	int dev = vmsig_dev(), cap = sock_capacity();
	struct tp_setup t[12];
	int i, j, r;

	for (i = 0; i < 3; i++) {
		struct tp_setup *g = &t[4 * i];

		for (j = 0; j < 4; j++) {
			bool vmsig = !(j & 1), paced = j < 2;
			char name[64];

			g[j] = (struct tp_setup) {
				.nsub = subs[i], .vmsig = vmsig,
				.burst = paced ? TP_BURST : TP_RECORDS,
			};
			snprintf(name, sizeof(name), "%s x%d, %s",
				 vmsig ? "vmsig" : "unix seqpacket", subs[i],
				 paced ? "paced" : "flat out");
			g[j].id = add_case(sec, name, "ns", vmsig ? -1 : g[j - 1].id);
		}
	}
	/* One subscriber count at a time: 16 idle readers would skew the rest. */
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 4; j++)
			tp_start(&t[4 * i + j], dev);
		for (r = 0; r <= ROUNDS; r++) {
			for (j = 0; j < 4; j++) {
				tp_round(&t[4 * i + j], r > 0);
				if (r)
					end_round(t[4 * i + j].id);
			}
		}
		for (j = 0; j < 4; j++)
			tp_stop(&t[4 * i + j]);
	}
	for (i = 0; i < 12; i++) {
		struct bcase *c = &cases[t[i].id];

		c->drops = t[i].drops;
		snprintf(c->note, sizeof(c->note), "of %" PRIu64 "; ",
			 (uint64_t)TP_RECORDS * ROUNDS * t[i].nsub);
		if (t[i].vmsig)
			snprintf(c->note + strlen(c->note), sizeof(c->note) - strlen(c->note),
				 "ring %d/lane", TP_RING);
		else
			snprintf(c->note + strlen(c->note), sizeof(c->note) - strlen(c->note),
				 "queue %d msgs", cap);
	}
	close(dev);
}

/* ------------------------------------------------- guest memory setup --- */

/* What the VMM child's setup hook tells the bench, through a shared page. */
struct layout {
	int32_t ram_memfd;	/* the child's fd number of the RAM memfd */
	uint64_t ram_hva;
	uint64_t dirty_hva;
	uint64_t anon_hva;
	uint64_t cr3;
};

static int child_setup(struct vmm *vm, void *arg)
{
	struct layout *l = arg;
	struct vmm_slot *ram = vmm_find_slot(vm, RAM_GPA);
	struct vmm_slot *dirty = vmm_find_slot(vm, DIRTY_GPA);
	struct vmm_slot *anon = vmm_find_slot(vm, ANON_GPA);
	struct vmm_pt pt;
	int err;

	if (!ram || !dirty || !anon)
		return -ENOENT;
	err = vmm_pt_init(&pt, vm, 4, PT_GPA, PT_SIZE);
	err = err ?: vmm_pt_map_range(&pt, GVA_BASE, RAM_GPA, RAM_SIZE, VMM_PAGE_4K,
				      VMM_PTE_DEFAULT);
	if (err)
		return err;
	l->ram_memfd = ram->memfd;
	l->ram_hva = (uintptr_t)ram->hva;
	l->dirty_hva = (uintptr_t)dirty->hva;
	l->anon_hva = (uintptr_t)anon->hva;
	l->cr3 = vmm_pt_cr3(&pt);
	return 0;
}

/*
 * @ep reaches RAM through the VMM (kvm backend), @rep through the memfd
 * that backs it (ramfd backend): the same bytes by two lookups.
 */
struct guest {
	struct vmm_child child;
	struct layout *l;
	int dev, ep, rep, mem, memfd, pidfd;
};

static void guest_start(struct guest *g)
{
	struct vmm_child_cfg cfg = {
		.nr_slots = 4,
		.slots = {
			{ RAM_GPA, RAM_SIZE, 0, VMM_SLOT_MEMFD },
			{ PT_GPA, PT_SIZE, 0, 0 },
			{ DIRTY_GPA, DIRTY_SIZE, KVM_MEM_LOG_DIRTY_PAGES, 0 },
			{ ANON_GPA, RAM_SIZE, 0, 0 },
		},
		.pattern = true, .seed = SEED, .setup = child_setup,
	};
	struct vmsig_memctx mc = {
		.size = sizeof(mc), .mode = VMSIG_PAGING_X86_64_4LEVEL,
	};
	char path[64];
	int err;

	g->l = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g->l == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	cfg.setup_arg = g->l;
	err = vmm_child_start(&g->child, &cfg);
	if (err)
		die("VMM child: %s", strerror(-err));
	g->dev = vmsig_dev();
	g->ep = attach(g->dev, VMSIG_BACKEND_KVM, g->child.vm_fd, 0);
	mc.root = g->l->cr3;
	err = xioctl(g->ep, VMSIG_IOC_SET_MEMCTX, &mc);
	if (err)
		die("set memctx: %s", strerror(-err));
	/* glibc 2.36 wraps neither call. */
	g->pidfd = syscall(SYS_pidfd_open, g->child.pid, 0);
	g->memfd = g->pidfd < 0 ? -1 :
		   syscall(SYS_pidfd_getfd, g->pidfd, g->l->ram_memfd, 0);
	if (g->memfd < 0)
		die("the child's RAM memfd: %s", strerror(errno));
	{
		struct vmsig_attach at = {
			.size = sizeof(at), .backend = VMSIG_BACKEND_RAMFD,
			.fd = g->memfd, .ram_base = RAM_GPA, .ram_size = RAM_SIZE,
		};

		g->rep = ioctl(g->dev, VMSIG_IOC_ATTACH, &at);
		if (g->rep < 0)
			die("attach ramfd: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", g->child.pid);
	g->mem = open(path, O_RDWR | O_CLOEXEC);
	if (g->mem < 0)
		die("%s: %s", path, strerror(errno));
}

static void guest_stop(struct guest *g)
{
	close(g->mem);
	close(g->rep);
	close(g->memfd);
	close(g->pidfd);
	close(g->ep);
	close(g->dev);
	vmm_child_release(&g->child);
	munmap(g->l, 4096);
}

/* 8-byte aligned random addresses, in @pages pages from the start of RAM. */
static void random_gpas(uint64_t *gpa, int n, uint64_t pages, uint64_t *seed)
{
	for (int i = 0; i < n; i++)
		gpa[i] = (rnd(seed) % (pages * 4096)) & ~7ULL;
}

static uint64_t mem_read(int ep, struct vmsig_mem_entry *e, uint32_t n,
			 uint32_t flags)
{
	struct vmsig_mem_read rd = {
		.size = sizeof(rd), .flags = flags, .entries = (uintptr_t)e,
		.count = n,
	};
	uint64_t t0 = now_ns();
	int err = xioctl(ep, VMSIG_IOC_MEM_READ, &rd);
	uint64_t t = now_ns() - t0;

	if (err || rd.done != n)
		die("MEM_READ: %s, %u of %u done (first status %d)",
		    strerror(-err), rd.done, n, e[0].status);
	return t;
}

static void fill_entries(struct vmsig_mem_entry *e, const uint64_t *gpa,
			 uint64_t *out, int n, uint64_t base, uint32_t flags)
{
	for (int i = 0; i < n; i++)
		e[i] = (struct vmsig_mem_entry) {
			.addr = base + gpa[i], .buf = (uintptr_t)&out[i], .len = 8,
			.flags = flags,
		};
}

/* Every value read must be the guest's: a fast wrong answer is no answer. */
static void check_words(const char *what, const uint64_t *gpa,
			const uint64_t *out, int n)
{
	for (int i = 0; i < n; i++)
		if (out[i] != vmm_pattern_word(gpa[i], SEED))
			die("%s: wrong bytes at gpa %#" PRIx64, what, gpa[i]);
}

static uint64_t pvm_read(pid_t pid, struct iovec *lio, struct iovec *rio, int n)
{
	uint64_t t0 = now_ns();

	for (int i = 0; i < n; i += PVM_IOV_MAX) {
		int k = n - i < PVM_IOV_MAX ? n - i : PVM_IOV_MAX;
		ssize_t got = process_vm_readv(pid, lio + i, k, rio + i, k, 0);

		if (got != (ssize_t)k * 8)
			die("process_vm_readv: %zd: %s", got, strerror(errno));
	}
	return now_ns() - t0;
}

static uint64_t procmem_read(int mem, uint64_t hva, const uint64_t *gpa,
			     uint64_t *out, int n)
{
	uint64_t t0 = now_ns();

	for (int i = 0; i < n; i++)
		if (pread(mem, &out[i], 8, hva + gpa[i]) != 8)
			die("pread /proc/pid/mem: %s", strerror(errno));
	return now_ns() - t0;
}

/* ------------------------------- 3 + 4. scattered and virtual reads --- */

static void bench_scattered(struct guest *g)
{
	static const char sec3[] = "3. 4096 scattered 8-byte reads (one batch)";
	static const char sec4[] = "4. the same 4096 reads, guest-virtual";
	uint64_t *gpa = xmalloc(NREADS * 8), *out = xmalloc(NREADS * 8);
	struct vmsig_mem_entry *e = xmalloc(NREADS * sizeof(*e));
	struct iovec *lio = xmalloc(NREADS * sizeof(*lio));
	struct iovec *rio = xmalloc(NREADS * sizeof(*rio));
	uint64_t seed = SEED, *small = xmalloc(NREADS * 8);
	int phys, pvm, pmem, warm, cold, wsmall, psmall, one, pvm1, ram;
	uint64_t *same = xmalloc(NREADS * 8);
	struct iovec *rio1 = xmalloc(NREADS * sizeof(*rio1));
	int r, k, i;

	phys = add_case(sec3, "vmsig MEM_READ, physical", "ns", -1);
	pvm = add_case(sec3, "process_vm_readv (4 x 1024 iov)", "ns", phys);
	pmem = add_case(sec3, "pread /proc/PID/mem x4096", "ns", phys);
	/* Measured later by bench_qmp(), shown with its section. */
	qmp_case = add_case(sec3, "QMP xp x4096 (scaled)", "ns", phys);
	ram = add_case(sec3, "vmsig ramfd backend, same reads", "ns", phys);
	snprintf(cases[ram].note, sizeof(cases[0].note),
		 "page cache lookup: no VMM mmap lock, no GUP");
	one = add_case(sec3, "vmsig, all 4096 in one page", "ns", phys);
	pvm1 = add_case(sec3, "process_vm_readv, one page", "ns", one);
	snprintf(cases[one].note, sizeof(cases[0].note),
		 "still one page lookup per entry");
	warm = add_case(sec4, "vmsig virtual, warm cache", "ns", phys);
	cold = add_case(sec4, "vmsig virtual, NOCACHE", "ns", phys);
	psmall = add_case(sec4, "vmsig physical, 64-page set", "ns", phys);
	wsmall = add_case(sec4, "vmsig virtual warm, 64-page set", "ns", psmall);
	snprintf(cases[phys].note, sizeof(cases[0].note), "%d random pages of 64 MiB",
		 NREADS);
	snprintf(cases[warm].note, sizeof(cases[0].note),
		 "translation cache: 64 entries");
	snprintf(cases[psmall].note, sizeof(cases[0].note),
		 "4096 reads in 64 consecutive pages");

	for (r = 0; r <= ROUNDS; r++) {
		random_gpas(gpa, NREADS, RAM_SIZE / 4096, &seed);
		/* A working set the 64-entry cache can hold: 64 pages in a row. */
		random_gpas(small, NREADS, 64, &seed);
		random_gpas(same, NREADS, 1, &seed);
		for (i = 0; i < NREADS; i++) {
			lio[i] = (struct iovec) { &out[i], 8 };
			rio[i] = (struct iovec) {
				(void *)(uintptr_t)(g->l->ram_hva + gpa[i]), 8 };
			rio1[i] = (struct iovec) {
				(void *)(uintptr_t)(g->l->ram_hva + same[i]), 8 };
		}
		for (k = 0; k < SCAT_BATCHES; k++) {
			uint64_t t;

			fill_entries(e, gpa, out, NREADS, 0, 0);
			memset(out, 0, NREADS * 8);
			t = mem_read(g->ep, e, NREADS, 0);
			check_words("vmsig physical", gpa, out, NREADS);
			if (r)
				sample(phys, t);

			memset(out, 0, NREADS * 8);
			t = mem_read(g->rep, e, NREADS, 0);
			check_words("vmsig ramfd", gpa, out, NREADS);
			if (r)
				sample(ram, t);

			memset(out, 0, NREADS * 8);
			t = pvm_read(g->child.pid, lio, rio, NREADS);
			check_words("process_vm_readv", gpa, out, NREADS);
			if (r)
				sample(pvm, t);

			memset(out, 0, NREADS * 8);
			t = procmem_read(g->mem, g->l->ram_hva, gpa, out, NREADS);
			check_words("/proc/PID/mem", gpa, out, NREADS);
			if (r)
				sample(pmem, t);

			/* Warm: the same batch just ran once through the cache. */
			fill_entries(e, same, out, NREADS, 0, 0);
			t = mem_read(g->ep, e, NREADS, 0);
			check_words("vmsig one page", same, out, NREADS);
			if (r)
				sample(one, t);

			t = pvm_read(g->child.pid, lio, rio1, NREADS);
			check_words("process_vm_readv one page", same, out, NREADS);
			if (r)
				sample(pvm1, t);

			fill_entries(e, gpa, out, NREADS, GVA_BASE, VMSIG_MEM_VIRT);
			mem_read(g->ep, e, NREADS, 0);
			memset(out, 0, NREADS * 8);
			t = mem_read(g->ep, e, NREADS, 0);
			check_words("vmsig virtual", gpa, out, NREADS);
			if (r)
				sample(warm, t);

			memset(out, 0, NREADS * 8);
			t = mem_read(g->ep, e, NREADS, VMSIG_READ_NOCACHE);
			check_words("vmsig virtual nocache", gpa, out, NREADS);
			if (r)
				sample(cold, t);

			fill_entries(e, small, out, NREADS, 0, 0);
			t = mem_read(g->ep, e, NREADS, 0);
			check_words("vmsig physical small", small, out, NREADS);
			if (r)
				sample(psmall, t);

			fill_entries(e, small, out, NREADS, GVA_BASE, VMSIG_MEM_VIRT);
			mem_read(g->ep, e, NREADS, 0);
			t = mem_read(g->ep, e, NREADS, 0);
			check_words("vmsig virtual small", small, out, NREADS);
			if (r)
				sample(wsmall, t);
		}
		if (r) {
			end_round(phys);
			end_round(pvm);
			end_round(pmem);
			end_round(warm);
			end_round(cold);
			end_round(psmall);
			end_round(wsmall);
			end_round(one);
			end_round(pvm1);
			end_round(ram);
		}
	}
	free(gpa);
	free(out);
	free(small);
	free(same);
	free(rio1);
	free(e);
	free(lio);
	free(rio);
}

/*
 * QMP "xp" on a real QEMU in the VM: the path a control takes without
 * vmsig.  Much slower per read, so fewer reads, reported per 4096 like the
 * rest (scaled), against vmsig's physical batch.
 */
static void bench_qmp(void)
{
	static char *const argv[] = {
		QEMU_BIN, "-accel", "kvm", "-cpu", "qemu64", "-machine", "pc",
		"-m", "64", "-smp", "1", "-nodefaults", "-display", "none",
		"-no-user-config", "-S", "-kernel", QEMU_GUEST,
		"-qmp", "unix:" QMP_SOCK ",server=on,wait=off", NULL,
	};
	struct vmsig_qmp *q = NULL;
	uint64_t seed = SEED;
	int id = qmp_case, r, i, err = -1;
	pid_t pid;

	if (access(QEMU_BIN, X_OK) || access(QEMU_GUEST, R_OK)) {
		snprintf(cases[id].note, sizeof(cases[0].note),
			 "skipped: no QEMU in the VM (run.sh --with-qemu)");
		return;
	}
	unlink(QMP_SOCK);
	pid = xfork();
	if (!pid) {
		int fd = open("/tmp/bench-qemu.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(QEMU_BIN, argv);
		_exit(127);
	}
	/* QEMU under nested KVM in TCG takes a while to listen. */
	for (i = 0; i < 600 && err; i++) {
		err = vmsig_qmp_connect(QMP_SOCK, &q);
		if (err)
			usleep(100000);
	}
	if (err) {
		reap(pid);
		snprintf(cases[id].note, sizeof(cases[0].note),
			 "skipped: QMP did not answer (%s)", strerror(-err));
		return;
	}
	vmsig_qmp_set_timeout(q, 10000);
	snprintf(cases[id].note, sizeof(cases[0].note),
		 "%d xp per round, %d rounds, times 4096/%d", QMP_READS, QMP_ROUNDS,
		 QMP_READS);
	for (r = 0; r < QMP_ROUNDS; r++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < QMP_READS; i++) {
			uint64_t a = (rnd(&seed) % (64 * M)) & ~7ULL;
			char cmd[64], *text = NULL;

			snprintf(cmd, sizeof(cmd), "xp /1gx %#" PRIx64, a);
			err = vmsig_qmp_hmp(q, cmd, &text);
			if (err || !text || !strchr(text, ':'))
				die("QMP xp: %s", strerror(-err));
			free(text);
		}
		sample(id, (double)(now_ns() - t0) * NREADS / QMP_READS);
		end_round(id);
	}
	vmsig_qmp_execute(q, "quit", NULL, NULL);
	vmsig_qmp_close(q);
	waitpid(pid, NULL, 0);
}

/* ------------------------------------------------------ 5. bulk read --- */

/*
 * A second in-process copy, with plain 8-byte loads and stores rather than
 * glibc's vector code: under TCG neither comes near the kernel's own copy,
 * and this row shows it is not a matter of which instructions glibc picks.
 */
static void __attribute__((optimize("no-tree-vectorize")))
copy_words(void *dst, const void *src, size_t n)
{
	uint64_t *d = dst;
	const uint64_t *s = src;

	for (n /= 8; n >= 4; n -= 4, d += 4, s += 4) {
		d[0] = s[0];
		d[1] = s[1];
		d[2] = s[2];
		d[3] = s[3];
	}
}

static void bench_bulk(struct guest *g)
{
	static const char sec[] = "5. bulk read of 64 MiB";
	char *dst = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	char *src = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct vmsig_mem_entry e;
	int vm, vmr, pvm, cpy, words, vma, pvma, r, k;
	long thp = meminfo("AnonHugePages");

	if (dst == MAP_FAILED || src == MAP_FAILED)
		die("mmap 64 MiB: %s", strerror(errno));
	memset(src, 0x5a, RAM_SIZE);
	memset(dst, 0, RAM_SIZE);
	cpy = add_case(sec, "glibc memcpy in-process", "ns", -1);
	words = add_case(sec, "8-byte word loop in-process", "ns", cpy);
	snprintf(cases[cpy].note, sizeof(cases[0].note),
		 "under TCG: slower than kernel copies");
	snprintf(cases[words].note, sizeof(cases[0].note),
		 "no vector code");
	vm = add_case(sec, "vmsig MEM_READ, memfd RAM", "ns", cpy);
	vmr = add_case(sec, "vmsig ramfd backend, same RAM", "ns", cpy);
	pvm = add_case(sec, "process_vm_readv, memfd RAM", "ns", cpy);
	vma = add_case(sec, "vmsig MEM_READ, anonymous RAM", "ns", cpy);
	pvma = add_case(sec, "process_vm_readv, anonymous RAM", "ns", cpy);
	snprintf(cases[vma].note, sizeof(cases[0].note),
		 "AnonHugePages %ld KiB in the VM", thp);
	for (r = 0; r <= ROUNDS; r++) {
		for (k = 0; k < BULK_SAMPLES; k++) {
			struct iovec lio = { dst, RAM_SIZE };
			struct iovec rio = { (void *)(uintptr_t)g->l->ram_hva, RAM_SIZE };
			uint64_t t0 = now_ns(), t;

			memcpy(dst, src, RAM_SIZE);
			t = now_ns() - t0;
			if (r)
				sample(cpy, t);

			t0 = now_ns();
			copy_words(dst, src, RAM_SIZE);
			t = now_ns() - t0;
			if (r)
				sample(words, t);

			e = (struct vmsig_mem_entry) {
				.addr = RAM_GPA, .buf = (uintptr_t)dst, .len = RAM_SIZE,
			};
			t = mem_read(g->ep, &e, 1, 0);
			if (r)
				sample(vm, t);
			if (vmm_pattern_check(RAM_GPA + 4096 * 1000, dst + 4096 * 1000,
					      4096, SEED) >= 0)
				die("bulk read: wrong bytes");

			t = mem_read(g->rep, &e, 1, 0);
			if (r)
				sample(vmr, t);

			t0 = now_ns();
			if (process_vm_readv(g->child.pid, &lio, 1, &rio, 1, 0) != RAM_SIZE)
				die("process_vm_readv 64 MiB: %s", strerror(errno));
			t = now_ns() - t0;
			if (r)
				sample(pvm, t);

			e.addr = ANON_GPA;
			t = mem_read(g->ep, &e, 1, 0);
			if (r)
				sample(vma, t);
			if (vmm_pattern_check(ANON_GPA + 4096 * 7, dst + 4096 * 7, 4096,
					      SEED) >= 0)
				die("bulk read of anonymous RAM: wrong bytes");

			rio.iov_base = (void *)(uintptr_t)g->l->anon_hva;
			t0 = now_ns();
			if (process_vm_readv(g->child.pid, &lio, 1, &rio, 1, 0) != RAM_SIZE)
				die("process_vm_readv 64 MiB: %s", strerror(errno));
			t = now_ns() - t0;
			if (r)
				sample(pvma, t);
		}
		if (r) {
			end_round(cpy);
			end_round(words);
			end_round(vm);
			end_round(vmr);
			end_round(pvm);
			end_round(vma);
			end_round(pvma);
		}
	}
	munmap(dst, RAM_SIZE);
	munmap(src, RAM_SIZE);
}

/* ----------------------------------------------- 6. MEMWRITE and CAS --- */

static void bench_memwrite(struct guest *g)
{
	static const char sec[] = "6. 8-byte write latency";
	struct vmsig_lease l = {
		.size = sizeof(l), .lease_class = VMSIG_LEASE_MEMWRITE,
	};
	struct vmsig_mem_write w = { .size = sizeof(w), .len = 8 };
	struct vmsig_mem_entry e;
	struct vmsig_mem_read rd = { .size = sizeof(rd), .entries = (uintptr_t)&e, .count = 1 };
	uint64_t addr = DIRTY_GPA + 0x1000, val = 0, cur;
	struct iovec lio = { &val, 8 };
	struct iovec rio = { (void *)(uintptr_t)(g->l->dirty_hva + 0x1000), 8 };
	int rd1, mw, cas, pvw, r, k, i;
	int err = xioctl(g->ep, VMSIG_IOC_LEASE_ACQUIRE, &l);

	if (err)
		die("memwrite lease: %s", strerror(-err));
	rd1 = add_case(sec, "vmsig MEM_READ, 1 entry (ref)", "ns", -1);
	mw = add_case(sec, "vmsig MEM_WRITE", "ns", rd1);
	cas = add_case(sec, "vmsig CAS", "ns", rd1);
	pvw = add_case(sec, "process_vm_writev", "ns", rd1);
	snprintf(cases[mw].note, sizeof(cases[0].note),
		 "lease check, dirty bit, event, audit");
	snprintf(cases[pvw].note, sizeof(cases[0].note),
		 "no lease, no dirty log: migration loses it");
	e = (struct vmsig_mem_entry) { .addr = addr, .buf = (uintptr_t)&cur, .len = 8 };
	for (r = 0; r <= ROUNDS; r++) {
		for (k = 0; k < MW_SAMPLES; k++) {
			uint64_t t0 = now_ns();

			for (i = 0; i < MW_OPS; i++) {
				rd.done = 0;
				if (xioctl(g->ep, VMSIG_IOC_MEM_READ, &rd) || !rd.done)
					die("MEM_READ: %s", strerror(errno));
			}
			if (r)
				sample(rd1, (double)(now_ns() - t0) / MW_OPS);

			t0 = now_ns();
			for (i = 0; i < MW_OPS; i++) {
				val++;
				w = (struct vmsig_mem_write) {
					.size = sizeof(w), .addr = addr,
					.buf = (uintptr_t)&val, .len = 8, .token = l.token,
				};
				err = xioctl(g->ep, VMSIG_IOC_MEM_WRITE, &w);
				if (err)
					die("MEM_WRITE: %s", strerror(-err));
			}
			if (r)
				sample(mw, (double)(now_ns() - t0) / MW_OPS);

			/* Each CAS expects the value the previous one stored. */
			t0 = now_ns();
			for (i = 0; i < MW_OPS; i++) {
				w = (struct vmsig_mem_write) {
					.size = sizeof(w), .flags = VMSIG_WRITE_CAS,
					.addr = addr, .len = 8, .token = l.token,
					.expect = val, .value = val + 1,
				};
				err = xioctl(g->ep, VMSIG_IOC_MEM_WRITE, &w);
				if (err || !w.swapped)
					die("CAS: %s, swapped %u", strerror(-err), w.swapped);
				val++;
			}
			if (r)
				sample(cas, (double)(now_ns() - t0) / MW_OPS);

			t0 = now_ns();
			for (i = 0; i < MW_OPS; i++) {
				val++;
				if (process_vm_writev(g->child.pid, &lio, 1, &rio, 1, 0) != 8)
					die("process_vm_writev: %s", strerror(errno));
			}
			if (r)
				sample(pvw, (double)(now_ns() - t0) / MW_OPS);
		}
		if (r) {
			end_round(rd1);
			end_round(mw);
			end_round(cas);
			end_round(pvw);
		}
	}
	rd.done = 0;
	if (xioctl(g->ep, VMSIG_IOC_MEM_READ, &rd) || cur != val)
		die("the last write is not in guest memory");
	err = xioctl(g->ep, VMSIG_IOC_LEASE_RELEASE, &l);
	if (err)
		die("lease release: %s", strerror(-err));
}

/* ---------------------------------------------------------- 7. scale --- */

/* A /proc/meminfo field, in KiB. */
static long meminfo(const char *key)
{
	char line[128];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Drain every subscriber: rings empty before the next timed burst. */
static void drain(const int *fd, int n)
{
	struct vmsig_event buf[256];

	for (int i = 0; i < n; i++)
		while (read(fd[i], buf, sizeof(buf)) > 0)
			;
}

static void bench_scale(void)
{
	static const char sec[] = "7. scale: 64 endpoints x 16 subscribers";
	static const char secf[] = "7. fan-out, ns per record published (write of 16)";
	static const int fan[] = { 1, 2, 4, 8, 16, 64 };
	int dev = vmsig_dev(), *fd = xmalloc(SCALE_EPS * SCALE_SUBS * sizeof(int));
	long slab0, slab1, sunr0, sunr1, vm0, vm1, free0, free1;
	struct vmsig_event batch[TP_WBATCH];
	int id[6], e, s, i, r, k, nsub = SCALE_EPS * SCALE_SUBS;

	/* Let RCU and the allocator settle after the earlier sections. */
	sleep(1);
	slab0 = meminfo("Slab");
	sunr0 = meminfo("SUnreclaim");
	vm0 = meminfo("VmallocUsed");
	free0 = meminfo("MemFree");
	for (e = 0; e < SCALE_EPS; e++) {
		int ep = attach(dev, VMSIG_BACKEND_NONE, -1, VMSIG_ATTACH_NONBLOCK);

		fd[e * SCALE_SUBS] = ep;
		for (s = 1; s < SCALE_SUBS; s++)
			fd[e * SCALE_SUBS + s] = derive(ep, VMSIG_ATTACH_NONBLOCK);
	}
	slab1 = meminfo("Slab");
	sunr1 = meminfo("SUnreclaim");
	vm1 = meminfo("VmallocUsed");
	free1 = meminfo("MemFree");
	i = add_case(sec, "Slab per subscriber", "bytes", -1);
	sample(i, (slab1 - slab0) * 1024.0 / nsub);
	end_round(i);
	snprintf(cases[i].note, sizeof(cases[0].note),
		 "%d files: Slab +%ld KiB, SUnreclaim +%ld KiB", nsub,
		 slab1 - slab0, sunr1 - sunr0);
	i = add_case(sec, "MemFree drop per subscriber", "bytes", -1);
	sample(i, (free0 - free1) * 1024.0 / nsub);
	end_round(i);
	snprintf(cases[i].note, sizeof(cases[0].note),
		 "VmallocUsed +%ld KiB; rings 2 lanes x 256 x 64 B", vm1 - vm0);

	/* Fan-out on the first endpoint, while all 64 exist: subscribers grow. */
	for (i = 0; i < 6; i++) {
		char name[64];

		snprintf(name, sizeof(name), "publish to %d subscriber%s", fan[i],
			 fan[i] > 1 ? "s" : "");
		id[i] = add_case(secf, name, "ns", i ? id[0] : -1);
	}
	snprintf(cases[id[0]].note, sizeof(cases[0].note),
		 "one writer file + N readers, nobody blocked in read");
	{
		/* Readers of the fan-out endpoint: derived as needed, up to 64. */
		int *sub = xmalloc(64 * sizeof(int));
		int prod = attach(dev, VMSIG_BACKEND_NONE, -1, VMSIG_ATTACH_NONBLOCK);
		int have = 0;

		for (i = 0; i < TP_WBATCH; i++)
			batch[i] = up_event(T_DATA, i);
		for (i = 0; i < 6; i++) {
			while (have < fan[i]) {
				sub[have] = derive(prod, VMSIG_ATTACH_NONBLOCK);
				set_ring(sub[have++], TP_WBATCH * FAN_BATCHES);
			}
			for (r = 0; r <= ROUNDS; r++) {
				uint64_t t0 = now_ns();

				for (k = 0; k < FAN_BATCHES; k++)
					if (write(prod, batch, sizeof(batch)) != sizeof(batch))
						die("fan-out write: %s", strerror(errno));
				if (r) {
					sample(id[i], (double)(now_ns() - t0) /
						      (TP_WBATCH * FAN_BATCHES));
					end_round(id[i]);
				}
				drain(sub, have);
			}
		}
		for (i = 0; i < have; i++)
			close(sub[i]);
		close(prod);
		free(sub);
	}
	/* Not interleaved: each count has its own rounds, back to back. */
	for (i = 1; i < 6; i++)
		snprintf(cases[id[i]].note, sizeof(cases[0].note),
			 "%.0f ns per extra subscriber",
			 (quantile(cases[id[i]].all, cases[id[i]].nall, 0.5) -
			  quantile(cases[id[0]].all, cases[id[0]].nall, 0.5)) /
			 (fan[i] - 1));

	for (i = 0; i < nsub; i++)
		close(fd[i]);
	free(fd);
	close(dev);
}

/* ------------------------------------------------------------ main --- */

int main(int argc, char **argv)
{
	struct guest g;
	char kernel[128] = "unknown";
	uint64_t t0 = now_ns();
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* 64 x 16 endpoint files and then some: more than the default 1024. */
	if (setrlimit(RLIMIT_NOFILE, &(struct rlimit) { 8192, 8192 }))
		die("RLIMIT_NOFILE: %s", strerror(errno));
	f = fopen("/proc/sys/kernel/osrelease", "r");
	if (f) {
		if (fgets(kernel, sizeof(kernel), f))
			kernel[strcspn(kernel, "\n")] = 0;
		fclose(f);
	}
	printf("TAP version 13\n1..1\n");
	note("vmsig_bench on %s, %d rounds per section", kernel, ROUNDS);

	bench_latency();
	note("latency done at %.0f s", (now_ns() - t0) / 1e9);
	bench_throughput();
	note("throughput done at %.0f s", (now_ns() - t0) / 1e9);
	guest_start(&g);
	note("guest up at %.0f s", (now_ns() - t0) / 1e9);
	bench_scattered(&g);
	note("scattered done at %.0f s", (now_ns() - t0) / 1e9);
	bench_qmp();
	note("qmp done at %.0f s", (now_ns() - t0) / 1e9);
	bench_bulk(&g);
	note("bulk done at %.0f s", (now_ns() - t0) / 1e9);
	bench_memwrite(&g);
	note("memwrite done at %.0f s", (now_ns() - t0) / 1e9);
	guest_stop(&g);
	bench_scale();
	note("scale done at %.0f s", (now_ns() - t0) / 1e9);

	print_table();
	print_json(kernel, now_ns() - t0);
	printf("ok 1 vmsig_bench\n");
	printf("# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0\n");
	return 0;
}
