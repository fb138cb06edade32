// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the bus loop.  The endpoint is one end of a SOCK_SEQPACKET
 * socketpair (sv[0]); the test plays the kernel on the other end (sv[1]):
 * it reads the records the bus writes and writes the DOWN records the
 * kernel would route to the bus.  Only ioctl() is mocked, by a fake that
 * logs every vmsig command and answers EP_INFO with endpoint id 42.
 *
 * Fake adapters cover the three readiness shapes: "sock" (FD, a socketpair
 * the test drives; seam INPUT, with a synchronous submit), "tick" (TIMERFD,
 * a real 2 ms timerfd; seam SENSOR, publish only) and "worker" (EVENTFD, a
 * worker thread that emits itself and signals an eventfd; seam VMHOST,
 * asynchronous submit acked by the worker).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmsig_bus.h"

#define EP_ID 42
#define T_SOCK (VMSIG_EV_UP_MIN + 0x10)	/* + the byte the sock adapter read */
#define T_TICK (VMSIG_EV_UP_MIN + 0x200)
#define T_FROM_WORKER (VMSIG_EV_UP_MIN + 0x300)
#define T_FROM_LOOP (VMSIG_EV_UP_MIN + 0x301)

/* ------------------------------------------------------------ fake ioctl */

struct ioctl_rec {
	unsigned long req;
	union {
		unsigned char bytes[128];
		struct vmsig_sub sub;
		struct vmsig_sink sink;
		struct vmsig_memctx memctx;
	} arg;
};

static pthread_mutex_t ilock = PTHREAD_MUTEX_INITIALIZER;
static struct ioctl_rec ilog[64];
static int ilog_n;
static unsigned long fail_req;	/* this request fails with fail_errno */
static int fail_errno;
static int endpoint_fd;

int __wrap_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ret = 0;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&ilock);
	if (fd != endpoint_fd) {
		ret = -EBADF;
	} else {
		if (ilog_n < 64) {
			ilog[ilog_n].req = req;
			memcpy(ilog[ilog_n].arg.bytes, arg, _IOC_SIZE(req));
			ilog_n++;
		}
		if (req == fail_req)
			ret = -fail_errno;
		else if (req == VMSIG_IOC_EP_INFO)
			((struct vmsig_ep_info *)arg)->ep_id = EP_ID;
		else if (req == VMSIG_IOC_SET_MEMCTX ||
			 req == VMSIG_IOC_INVALIDATE_MEMCTX)
			((struct vmsig_memctx *)arg)->epoch = 1;
	}
	pthread_mutex_unlock(&ilock);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/* The @nth (0-based) logged call of @req, or NULL. */
static const struct ioctl_rec *logged(unsigned long req, int nth)
{
	for (int i = 0; i < ilog_n; i++)
		if (ilog[i].req == req && nth-- == 0)
			return &ilog[i];
	return NULL;
}

static int count_logged(unsigned long req)
{
	int n = 0;

	while (logged(req, n))
		n++;
	return n;
}

/* ------------------------------------------------------- fake adapters */

/* Shared between a fake adapter and the test; passed as cfg. */
struct probe {
	/* behaviour */
	int submit_ret;
	bool fail_attach;
	int attach_errno;	/* with fail_attach: errno attach() leaves */
	int open_errno;		/* nonzero: open() fails with it */
	int shape;		/* sock: the shape it registers */
	/* observations */
	int opened, closed, downs, readies;
	uint32_t endpoint;
	struct vmsig_event last_down;
	int last_emit_ret;
	int last_register_ret;
	int peer;		/* sock: the test's end */
	struct fake *inst;
	pthread_t worker_thread;
};

struct fake {
	struct probe *p;
	const vmsig_emit *emit;
	int fd, fd2;
	/* worker */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int kicks;
	uint64_t acks[8];
	int nacks;
	bool quit;
};

static vmsig_adapter *fake_open(const void *cfg, uint32_t endpoint)
{
	struct probe *p = (struct probe *)cfg;
	struct fake *f;

	if (p->open_errno) {
		errno = p->open_errno;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	f->p = p;
	f->fd = f->fd2 = -1;
	p->inst = f;
	p->opened++;
	p->endpoint = endpoint;
	return (vmsig_adapter *)f;
}

static void fake_close(vmsig_adapter *a)
{
	struct fake *f = (struct fake *)a;

	if (f->fd >= 0)
		close(f->fd);
	if (f->fd2 >= 0)
		close(f->fd2);
	f->p->closed++;
	f->p->inst = NULL;
	free(f);
}

static int emit_up(struct fake *f, uint16_t type, int32_t aux)
{
	vmsig_event ev;

	memset(&ev, 0, sizeof(ev));	/* source 0: "my seam" */
	ev.type = type;
	ev.aux = aux;
	return f->emit->emit(f->emit->token, &ev);
}

/* sock: FD shape.  Bytes from the test: 'x' fatal, 'd' try emitting DOWN,
 * 'm'/'M' register a memctx (right/wrong endpoint), 'u' unregister,
 * anything else is published as T_SOCK + byte. */
static int sock_attach(vmsig_adapter *a, const vmsig_emit *emit,
		       vmsig_fd_reg *reg, int cap)
{
	struct fake *f = (struct fake *)a;
	int sv[2];

	if (f->p->fail_attach || cap < 1) {
		if (f->p->attach_errno)
			errno = f->p->attach_errno;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	f->fd = sv[0];
	f->p->peer = sv[1];
	f->emit = emit;
	reg[0] = (vmsig_fd_reg){ .fd = f->fd, .shape = f->p->shape, .cookie = 7 };
	return 1;
}

static int sock_ready(vmsig_adapter *a, uint32_t cookie, uint32_t events)
{
	struct fake *f = (struct fake *)a;
	vmsig_memctx_reg reg = { .endpoint = f->p->endpoint, .root = 0x1000,
				 .mode = VMSIG_PAGING_X86_64_4LEVEL, .ram_fd = -1 };
	vmsig_event ev;
	char c;

	f->p->readies++;
	if (cookie != 7 || !(events & EPOLLIN))
		return -1;
	if (read(f->fd, &c, 1) != 1)
		return -1;
	switch (c) {
	case 'x':
		return -1;
	case 'd':
		memset(&ev, 0, sizeof(ev));
		ev.type = VMSIG_EV_INPUT;
		ev.dir = VMSIG_DIR_DOWN;
		f->p->last_emit_ret = f->emit->emit(f->emit->token, &ev);
		return 0;
	case 'M':
		reg.endpoint = 7;
		/* fall through */
	case 'm':
		f->p->last_register_ret =
			f->emit->register_memctx(f->emit->token, &reg);
		return 0;
	case 'u':
		f->emit->unregister_memctx(f->emit->token, f->p->endpoint);
		return 0;
	}
	f->p->last_emit_ret = emit_up(f, T_SOCK + (uint16_t)c, c);
	return 0;
}

static int sock_submit(vmsig_adapter *a, const vmsig_event *ev)
{
	struct fake *f = (struct fake *)a;
	vmsig_event ack;

	f->p->downs++;
	f->p->last_down = *ev;
	if (f->p->submit_ret)
		return f->p->submit_ret;
	/* A synchronous actuator: done, answer at once. */
	memset(&ack, 0, sizeof(ack));
	ack.type = VMSIG_EV_ACT_ACK;
	ack.corr = ev->corr;
	return f->emit->emit(f->emit->token, &ack) ? -1 : 0;
}

static const vmsig_adapter_ops sock_ops = {
	.name = "sock",
	.source = VMSIG_SRC_INPUT,
	.codec = VMSIG_CODEC_NONE,
	.open = fake_open,
	.attach = sock_attach,
	.on_readiness = sock_ready,
	.submit = sock_submit,
	.close = fake_close,
};

/* tick: TIMERFD shape, publishes T_TICK on every expiry. */
static int tick_attach(vmsig_adapter *a, const vmsig_emit *emit,
		       vmsig_fd_reg *reg, int cap)
{
	struct fake *f = (struct fake *)a;
	struct itimerspec its = { .it_interval.tv_nsec = 2000000,
				  .it_value.tv_nsec = 2000000 };

	(void)cap;
	f->emit = emit;
	f->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (f->fd < 0 || timerfd_settime(f->fd, 0, &its, NULL) < 0)
		return -1;
	reg[0] = (vmsig_fd_reg){ .fd = f->fd, .shape = VMSIG_RDY_TIMERFD,
				 .cookie = 1 };
	return 1;
}

static int tick_ready(vmsig_adapter *a, uint32_t cookie, uint32_t events)
{
	struct fake *f = (struct fake *)a;
	uint64_t n;

	(void)cookie;
	(void)events;
	f->p->readies++;
	if (read(f->fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	emit_up(f, T_TICK, f->p->readies);
	return 0;
}

static const vmsig_adapter_ops tick_ops = {
	.name = "tick",
	.source = VMSIG_SRC_SENSOR,
	.open = fake_open,
	.attach = tick_attach,
	.on_readiness = tick_ready,
	.close = fake_close,
};

/* worker: EVENTFD shape.  A kick makes the worker emit T_FROM_WORKER and
 * signal the eventfd, on which the loop emits T_FROM_LOOP; DOWN records are
 * queued to the worker, which acks them. */
static void *worker_main(void *arg)
{
	struct fake *f = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (!f->quit && !f->kicks && !f->nacks)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->quit)
			break;
		if (f->kicks) {
			f->kicks--;
			pthread_mutex_unlock(&f->mu);
			f->p->worker_thread = pthread_self();
			emit_up(f, T_FROM_WORKER, 0);
			if (write(f->fd, &one, sizeof(one)) < 0)
				abort();
			pthread_mutex_lock(&f->mu);
		}
		if (f->nacks) {
			vmsig_event ack;

			memset(&ack, 0, sizeof(ack));
			ack.type = VMSIG_EV_ACT_ACK;
			ack.corr = f->acks[--f->nacks];
			pthread_mutex_unlock(&f->mu);
			f->emit->emit(f->emit->token, &ack);
			pthread_mutex_lock(&f->mu);
		}
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

static int worker_attach(vmsig_adapter *a, const vmsig_emit *emit,
			 vmsig_fd_reg *reg, int cap)
{
	struct fake *f = (struct fake *)a;

	(void)cap;
	f->emit = emit;
	f->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (f->fd < 0 || pthread_create(&f->thread, NULL, worker_main, f))
		return -1;
	reg[0] = (vmsig_fd_reg){ .fd = f->fd, .shape = VMSIG_RDY_EVENTFD,
				 .cookie = 3 };
	return 1;
}

static int worker_ready(vmsig_adapter *a, uint32_t cookie, uint32_t events)
{
	struct fake *f = (struct fake *)a;
	uint64_t n;

	(void)cookie;
	(void)events;
	f->p->readies++;
	if (read(f->fd, &n, sizeof(n)) == sizeof(n))
		emit_up(f, T_FROM_LOOP, (int32_t)n);
	return 0;
}

static int worker_submit(vmsig_adapter *a, const vmsig_event *ev)
{
	struct fake *f = (struct fake *)a;

	f->p->downs++;
	f->p->last_down = *ev;
	pthread_mutex_lock(&f->mu);
	f->acks[f->nacks++] = ev->corr;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return 0;
}

static void worker_close(vmsig_adapter *a)
{
	struct fake *f = (struct fake *)a;

	pthread_mutex_lock(&f->mu);
	f->quit = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	fake_close(a);
}

static void worker_kick(struct probe *p)
{
	struct fake *f = p->inst;

	pthread_mutex_lock(&f->mu);
	f->kicks++;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static const vmsig_adapter_ops worker_ops = {
	.name = "worker",
	.source = VMSIG_SRC_VMHOST,
	.open = fake_open,
	.attach = worker_attach,
	.on_readiness = worker_ready,
	.submit = worker_submit,
	.close = worker_close,
};

/* twin: two eventfds ready at once, and fatal on the first readiness, so
 * the second event of the same epoll batch points at a dropped adapter. */
static int twin_attach(vmsig_adapter *a, const vmsig_emit *emit,
		       vmsig_fd_reg *reg, int cap)
{
	struct fake *f = (struct fake *)a;
	uint64_t one = 1;

	(void)emit;
	(void)cap;
	f->fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	f->fd2 = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	if (write(f->fd2, &one, sizeof(one)) < 0)
		return -1;
	reg[0] = (vmsig_fd_reg){ .fd = f->fd, .shape = VMSIG_RDY_EVENTFD };
	reg[1] = (vmsig_fd_reg){ .fd = f->fd2, .shape = VMSIG_RDY_EVENTFD,
				 .cookie = 1 };
	return 2;
}

static int twin_ready(vmsig_adapter *a, uint32_t cookie, uint32_t events)
{
	(void)cookie;
	(void)events;
	((struct fake *)a)->p->readies++;
	return -1;
}

static const vmsig_adapter_ops twin_ops = {
	.name = "twin",
	.source = VMSIG_SRC_SENSOR,
	.open = fake_open,
	.attach = twin_attach,
	.on_readiness = twin_ready,
	.close = fake_close,
};

/* ------------------------------------------------------------- harness */

static int sv[2];
static struct vmsig_bus *bus;

/* Probes outlive the test body: the teardown's free closes the adapters. */
static struct probe probes[4];
static int nprobes;

static struct probe *probe_new(void)
{
	struct probe *p = &probes[nprobes++];

	memset(p, 0, sizeof(*p));
	p->shape = VMSIG_RDY_FD;
	p->peer = -1;
	return p;
}

static int setup(void **state)
{
	(void)state;
	ilog_n = 0;
	fail_req = 0;
	nprobes = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	endpoint_fd = sv[0];
	return vmsig_bus_new(sv[0], &bus);
}

static int teardown(void **state)
{
	(void)state;
	vmsig_bus_free(bus);
	bus = NULL;
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return 0;
}

/* Run the bus until a record of @type reaches the "kernel"; skip others. */
static bool pump_for(uint16_t type, struct vmsig_event *out)
{
	struct vmsig_event ev;

	for (int i = 0; i < 300; i++) {
		while (recv(sv[1], &ev, sizeof(ev), MSG_DONTWAIT) == sizeof(ev)) {
			if (ev.type == type) {
				if (out)
					*out = ev;
				return true;
			}
		}
		assert_true(vmsig_bus_run_once(bus, 10) >= 0);
	}
	return false;
}

static void kernel_sends_down(uint8_t source, uint16_t type, uint64_t corr)
{
	struct vmsig_event ev;

	vmsig_event_init(&ev, type, VMSIG_DIR_DOWN, source);
	ev.corr = corr;
	ev.ep_id = EP_ID;
	assert_int_equal(send(sv[1], &ev, sizeof(ev), 0), sizeof(ev));
}

static void poke(struct probe *p, char c)
{
	assert_int_equal(write(p->peer, &c, 1), 1);
}

/* --------------------------------------------------------------- tests */

static void new_takes_over_the_endpoint(void **state)
{
	const struct ioctl_rec *r;
	struct vmsig_bus *b;
	int p[2];

	(void)state;
	/* The fixture's bus: EP_INFO, then a subscription to nothing. */
	assert_int_equal(vmsig_bus_ep_id(bus), EP_ID);
	assert_non_null(logged(VMSIG_IOC_EP_INFO, 0));
	r = logged(VMSIG_IOC_SET_SUB, 0);
	assert_non_null(r);
	assert_int_equal(r->arg.sub.size, sizeof(struct vmsig_sub));
	assert_int_equal(r->arg.sub.sources, 0);
	assert_int_equal(r->arg.sub.kernel_types, 0);
	assert_int_equal(r->arg.sub.ring_size, 0);
	assert_true(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(vmsig_bus_adapter_count(bus), 0);

	/* A second bus on a fresh blocking fd gives the flags back on free. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p), 0);
	endpoint_fd = p[0];
	assert_int_equal(vmsig_bus_new(p[0], &b), 0);
	assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	vmsig_bus_free(b);
	assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);

	/* A failing ioctl fails the bus, leaving the fd alone. */
	fail_req = VMSIG_IOC_SET_SUB;
	fail_errno = EINVAL;
	assert_int_equal(vmsig_bus_new(p[0], &b), -EINVAL);
	fail_req = VMSIG_IOC_EP_INFO;
	fail_errno = ENOTTY;
	assert_int_equal(vmsig_bus_new(p[0], &b), -ENOTTY);
	assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	fail_req = 0;
	endpoint_fd = sv[0];
	close(p[0]);
	close(p[1]);
}

static void fd_adapter_emits_up(void **state)
{
	struct probe *p = probe_new();
	const struct ioctl_rec *r;
	struct vmsig_event ev;
	struct vmsig_bus_stats st;

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, p), 0);
	assert_int_equal(p->opened, 1);
	assert_int_equal(p->endpoint, EP_ID);
	/* It has a submit, so the bus became the sink of its seam. */
	r = logged(VMSIG_IOC_BIND_SINK, 0);
	assert_non_null(r);
	assert_int_equal(r->arg.sink.source, VMSIG_SRC_INPUT);
	assert_int_equal(r->arg.sink.flags, 0);

	poke(p, 'a');
	assert_true(pump_for(T_SOCK + 'a', &ev));
	assert_int_equal(p->last_emit_ret, 0);
	assert_int_equal(ev.dir, VMSIG_DIR_UP);
	assert_int_equal(ev.source, VMSIG_SRC_INPUT);	/* defaulted */
	assert_int_equal(ev.version, VMSIG_EVENT_VERSION);
	assert_int_equal(ev.aux, 'a');
	vmsig_bus_get_stats(bus, &st);
	assert_int_equal(st.emitted, 1);

	/* An adapter cannot emit DOWN records. */
	poke(p, 'd');
	for (int i = 0; i < 3; i++)
		vmsig_bus_run_once(bus, 10);
	assert_int_equal(p->last_emit_ret, -EINVAL);
}

static void worker_emits_from_its_thread(void **state)
{
	struct probe *p = probe_new();

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(bus, &worker_ops, p), 0);
	worker_kick(p);
	assert_true(pump_for(T_FROM_WORKER, NULL));
	assert_false(pthread_equal(p->worker_thread, pthread_self()));
	/* ... and its eventfd woke the loop, which emitted too. */
	assert_true(pump_for(T_FROM_LOOP, NULL));
	assert_true(p->readies >= 1);
}

static void timerfd_adapter_ticks(void **state)
{
	struct probe *p = probe_new();
	struct vmsig_event ev;

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(bus, &tick_ops, p), 0);
	/* Publish only: no sink binding. */
	assert_int_equal(count_logged(VMSIG_IOC_BIND_SINK), 0);
	assert_true(pump_for(T_TICK, &ev));
	assert_int_equal(ev.source, VMSIG_SRC_SENSOR);
	assert_true(pump_for(T_TICK, NULL));
	assert_true(p->readies >= 2);
}

static void down_goes_to_its_seam(void **state)
{
	struct probe *in = probe_new();
	struct probe *host = probe_new();
	struct vmsig_event ack;

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, in), 0);
	assert_int_equal(vmsig_bus_add_adapter(bus, &worker_ops, host), 0);
	assert_int_equal(count_logged(VMSIG_IOC_BIND_SINK), 2);
	assert_int_equal(logged(VMSIG_IOC_BIND_SINK, 1)->arg.sink.source,
			 VMSIG_SRC_VMHOST);

	kernel_sends_down(VMSIG_SRC_INPUT, VMSIG_EV_INPUT, 11);
	assert_true(pump_for(VMSIG_EV_ACT_ACK, &ack));
	assert_int_equal(in->downs, 1);
	assert_int_equal(host->downs, 0);
	assert_int_equal(in->last_down.corr, 11);
	assert_int_equal(in->last_down.type, VMSIG_EV_INPUT);
	assert_int_equal(ack.corr, 11);
	assert_int_equal(ack.aux, 0);
	assert_int_equal(ack.source, VMSIG_SRC_INPUT);

	/* The asynchronous one: its worker answers later. */
	kernel_sends_down(VMSIG_SRC_VMHOST, VMSIG_EV_POWER, 12);
	assert_true(pump_for(VMSIG_EV_ACT_ACK, &ack));
	assert_int_equal(host->downs, 1);
	assert_int_equal(in->downs, 1);
	assert_int_equal(ack.corr, 12);
	assert_int_equal(ack.aux, 0);
	assert_int_equal(ack.source, VMSIG_SRC_VMHOST);
}

static void refused_down_is_acked_by_the_bus(void **state)
{
	static const struct { int ret, status; } cases[] = {
		{ 1, -EOPNOTSUPP }, { -1, -EIO }, { -EACCES, -EACCES },
	};
	struct probe *p = probe_new();
	struct vmsig_bus_stats st;
	struct vmsig_event ack;

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, p), 0);
	for (unsigned int i = 0; i < 3; i++) {
		p->submit_ret = cases[i].ret;
		kernel_sends_down(VMSIG_SRC_INPUT, VMSIG_EV_INPUT, 100 + i);
		assert_true(pump_for(VMSIG_EV_ACT_ACK, &ack));
		assert_int_equal(ack.corr, 100 + i);
		assert_int_equal(ack.aux, cases[i].status);
		assert_int_equal(ack.dir, VMSIG_DIR_UP);
		assert_int_equal(ack.source, VMSIG_SRC_INPUT);
	}
	/* A seam nobody on the bus serves. */
	kernel_sends_down(VMSIG_SRC_SENSOR, 0x9000, 200);
	assert_true(pump_for(VMSIG_EV_ACT_ACK, &ack));
	assert_int_equal(ack.corr, 200);
	assert_int_equal(ack.aux, -ENXIO);
	vmsig_bus_get_stats(bus, &st);
	assert_int_equal(st.bus_acks, 4);
	assert_int_equal(st.routed, 0);
	assert_int_equal(p->downs, 3);
}

static void memctx_registration_is_an_ioctl(void **state)
{
	struct probe *p = probe_new();
	const struct ioctl_rec *r;

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, p), 0);
	p->last_register_ret = 99;
	poke(p, 'm');
	while (p->last_register_ret == 99)
		assert_true(vmsig_bus_run_once(bus, 1000) >= 0);
	assert_int_equal(p->last_register_ret, 0);
	r = logged(VMSIG_IOC_SET_MEMCTX, 0);
	assert_non_null(r);
	assert_int_equal(r->arg.memctx.size, sizeof(struct vmsig_memctx));
	assert_int_equal(r->arg.memctx.flags, 0);
	assert_int_equal(r->arg.memctx.root, 0x1000);
	assert_int_equal(r->arg.memctx.mode, VMSIG_PAGING_X86_64_4LEVEL);

	/* Another endpoint's context: refused without an ioctl. */
	p->last_register_ret = 99;
	poke(p, 'M');
	while (p->last_register_ret == 99)
		assert_true(vmsig_bus_run_once(bus, 1000) >= 0);
	assert_int_equal(p->last_register_ret, -1);
	assert_int_equal(count_logged(VMSIG_IOC_SET_MEMCTX), 1);

	/* The kernel refusing: -1 too. */
	fail_req = VMSIG_IOC_SET_MEMCTX;
	fail_errno = EOPNOTSUPP;
	p->last_register_ret = 99;
	poke(p, 'm');
	while (p->last_register_ret == 99)
		assert_true(vmsig_bus_run_once(bus, 1000) >= 0);
	assert_int_equal(p->last_register_ret, -1);
	fail_req = 0;

	poke(p, 'u');
	while (!logged(VMSIG_IOC_INVALIDATE_MEMCTX, 0))
		assert_true(vmsig_bus_run_once(bus, 1000) >= 0);
	r = logged(VMSIG_IOC_INVALIDATE_MEMCTX, 0);
	assert_int_equal(r->arg.memctx.size, sizeof(struct vmsig_memctx));
	assert_int_equal(r->arg.memctx.root, 0);
	assert_int_equal(r->arg.memctx.mode, 0);
}

static void fatal_adapter_is_dropped(void **state)
{
	struct probe *in = probe_new();
	struct probe *tick = probe_new();
	struct vmsig_bus_stats st;
	const struct ioctl_rec *r;
	struct vmsig_event ack;
	int peer;

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, in), 0);
	assert_int_equal(vmsig_bus_add_adapter(bus, &tick_ops, tick), 0);
	assert_int_equal(vmsig_bus_adapter_count(bus), 2);
	peer = in->peer;
	poke(in, 'x');
	while (!in->closed)
		assert_true(vmsig_bus_run_once(bus, 1000) >= 0);
	assert_int_equal(vmsig_bus_adapter_count(bus), 1);
	/* Its seam was unbound. */
	r = logged(VMSIG_IOC_BIND_SINK, 1);
	assert_non_null(r);
	assert_int_equal(r->arg.sink.flags, VMSIG_SINK_UNBIND);
	assert_int_equal(r->arg.sink.source, VMSIG_SRC_INPUT);
	vmsig_bus_get_stats(bus, &st);
	assert_int_equal(st.adapters_failed, 1);

	/* The survivor goes on, and the dead seam is answered by the bus. */
	int before = tick->readies;

	assert_true(pump_for(T_TICK, NULL));
	assert_true(tick->readies > before);
	kernel_sends_down(VMSIG_SRC_INPUT, VMSIG_EV_INPUT, 5);
	assert_true(pump_for(VMSIG_EV_ACT_ACK, &ack));
	assert_int_equal(ack.aux, -ENXIO);
	assert_int_equal(in->downs, 0);
	assert_int_equal(in->closed, 1);
	close(peer);
}

static void fatal_adapter_mid_batch(void **state)
{
	struct probe *p = probe_new();

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(bus, &twin_ops, p), 0);
	/* Both fds are ready in one epoll_wait; the first call is fatal. */
	assert_int_equal(vmsig_bus_run_once(bus, 1000), 2);
	assert_int_equal(p->readies, 1);
	assert_int_equal(p->closed, 1);
	assert_int_equal(vmsig_bus_adapter_count(bus), 0);
	assert_int_equal(vmsig_bus_run_once(bus, 0), 0);
}

static void *run_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)vmsig_bus_run(bus);
}

static void stop_from_another_thread(void **state)
{
	struct probe *p = probe_new();
	struct vmsig_event ev;
	struct pollfd pfd = { .fd = sv[1], .events = POLLIN };
	pthread_t t;
	void *ret;
	bool seen = false;

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(bus, &worker_ops, p), 0);
	assert_int_equal(pthread_create(&t, NULL, run_thread, NULL), 0);
	/* The loop runs in t: the worker's eventfd reaches it. */
	worker_kick(p);
	while (!seen && poll(&pfd, 1, 5000) == 1) {
		assert_int_equal(recv(sv[1], &ev, sizeof(ev), 0), sizeof(ev));
		seen = ev.type == T_FROM_LOOP;
	}
	assert_true(seen);
	vmsig_bus_stop(bus);
	pthread_join(t, &ret);
	assert_int_equal((intptr_t)ret, 0);

	/* A stop asked before run() makes it return at once. */
	vmsig_bus_stop(bus);
	assert_int_equal(vmsig_bus_run(bus), 0);
}

static void free_closes_every_adapter(void **state)
{
	struct probe *a = probe_new();
	struct probe *b = probe_new();
	struct probe *c = probe_new();
	int peer;

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, a), 0);
	assert_int_equal(vmsig_bus_add_adapter(bus, &tick_ops, b), 0);
	assert_int_equal(vmsig_bus_add_adapter(bus, &worker_ops, c), 0);
	peer = a->peer;
	worker_kick(c);
	vmsig_bus_run_once(bus, 10);
	vmsig_bus_free(bus);
	bus = NULL;
	assert_int_equal(a->closed, 1);
	assert_int_equal(b->closed, 1);
	assert_int_equal(c->closed, 1);
	/* Both seams given back, and nothing else. */
	assert_int_equal(count_logged(VMSIG_IOC_BIND_SINK), 4);
	assert_int_equal(logged(VMSIG_IOC_BIND_SINK, 2)->arg.sink.flags,
			 VMSIG_SINK_UNBIND);
	assert_int_equal(logged(VMSIG_IOC_BIND_SINK, 3)->arg.sink.flags,
			 VMSIG_SINK_UNBIND);
	close(peer);
}

static void dead_endpoint_ends_the_loop(void **state)
{
	struct probe *p = probe_new();

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(bus, &tick_ops, p), 0);
	close(sv[1]);
	sv[1] = -1;
	int ret;

	do
		ret = vmsig_bus_run_once(bus, 1000);
	while (ret > 0);
	assert_int_equal(ret, -EPIPE);
	assert_int_equal(vmsig_bus_run(bus), -EPIPE);
}

static void add_adapter_failures(void **state)
{
	struct probe *p = probe_new();
	struct probe *q = probe_new();
	vmsig_adapter_ops partial = sock_ops;

	(void)state;
	partial.close = NULL;
	assert_int_equal(vmsig_bus_add_adapter(bus, &partial, p), -EINVAL);
	assert_int_equal(vmsig_bus_add_adapter(bus, NULL, p), -EINVAL);

	p->open_errno = ENOMEM;
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, p), -ENOMEM);
	p->open_errno = 0;

	p->fail_attach = true;
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, p), -EIO);
	assert_int_equal(p->closed, 1);
	/* An adapter that says why it failed is heard. */
	p->attach_errno = ETIMEDOUT;
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, p), -ETIMEDOUT);
	p->attach_errno = 0;
	p->fail_attach = false;

	p->shape = 9;	/* not a readiness shape */
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, p), -EINVAL);
	assert_int_equal(p->closed, 3);
	close(p->peer);
	p->shape = VMSIG_RDY_FD;

	fail_req = VMSIG_IOC_BIND_SINK;
	fail_errno = EBUSY;
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, p), -EBUSY);
	assert_int_equal(p->closed, 4);
	close(p->peer);
	fail_req = 0;
	assert_int_equal(vmsig_bus_adapter_count(bus), 0);

	/* One seam, one sink: a second submitter is refused before open. */
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, p), 0);
	assert_int_equal(vmsig_bus_add_adapter(bus, &sock_ops, q), -EBUSY);
	assert_int_equal(q->opened, 0);
	assert_int_equal(vmsig_bus_adapter_count(bus), 1);
	close(p->peer);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(new_takes_over_the_endpoint),
		T(fd_adapter_emits_up),
		T(worker_emits_from_its_thread),
		T(timerfd_adapter_ticks),
		T(down_goes_to_its_seam),
		T(refused_down_is_acked_by_the_bus),
		T(memctx_registration_is_an_ioctl),
		T(fatal_adapter_is_dropped),
		T(fatal_adapter_mid_batch),
		T(stop_from_another_thread),
		T(free_closes_every_adapter),
		T(dead_endpoint_ends_the_loop),
		T(add_adapter_failures),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
