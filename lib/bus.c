// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The bus loop: one epoll set over the endpoint file, a wake-up eventfd and
 * the fds of every adapter; records move between adapters and the kernel
 * (see vmsig_bus.h for the rules).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmsig_bus.h"

/* Records taken from the endpoint per wake-up; epoll is level-triggered. */
#define READ_BATCH 32
/* Ready fds handled per epoll_wait. */
#define EPOLL_BATCH 16

enum watch_kind { W_ENDPOINT, W_WAKE, W_ADAPTER };

/* What an epoll event points at. */
struct watch {
	enum watch_kind kind;
	struct slot *slot;	/* W_ADAPTER */
	int fd;
	uint32_t cookie;
};

/* One adapter on the bus; also the token of its emit callbacks. */
struct slot {
	struct vmsig_bus *bus;
	const vmsig_adapter_ops *ops;
	vmsig_adapter *a;
	vmsig_emit emit;
	struct watch fds[VMSIG_BUS_MAX_FDS];
	int nfds;
	bool sink;		/* bound as the sink of ops->source */
	bool dead;		/* closed; freed once the dispatch is over */
	struct slot *next;
};

struct vmsig_bus {
	int epfd;		/* the endpoint file (not ours to close) */
	int epfd_flags;		/* its file status flags before us */
	uint32_t ep_id;
	int pollfd;
	int wakefd;
	struct watch ep_watch;
	struct watch wake_watch;
	struct slot *slots;	/* live adapters, in order of addition */
	struct slot *graveyard;	/* dropped during the current dispatch */
	bool dispatching;
	atomic_bool stop;
	/*
	 * Taken by every write to the endpoint and every counter update:
	 * emit comes from worker threads, and the lock makes the endpoint's
	 * order of records the order the writers took it in.
	 */
	pthread_mutex_t lock;
	struct vmsig_bus_stats stats;
};

static void count(struct vmsig_bus *bus, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&bus->lock);
	*field += n;
	pthread_mutex_unlock(&bus->lock);
}

/* ------------------------------------------------ the adapter's emit side */

static int bus_emit(void *token, vmsig_event *ev)
{
	struct slot *s = token;
	struct vmsig_bus *bus = s->bus;
	struct vmsig_event rec = *ev;
	int ret;

	/* DOWN records come from controls, never from adapters. */
	if (rec.dir != VMSIG_DIR_UP || rec.type >= VMSIG_EV_DOWN_MIN)
		return -EINVAL;
	/* Adapters cannot speak as the kernel; 0 means "my seam". */
	if (rec.source == VMSIG_SRC_KERNEL)
		rec.source = (uint8_t)s->ops->source;
	if (!rec.version)
		rec.version = VMSIG_EVENT_VERSION;
	pthread_mutex_lock(&bus->lock);
	ret = vmsig_write_events(bus->epfd, &rec, 1);
	if (ret == 1)
		bus->stats.emitted++;
	else
		bus->stats.emit_errors++;
	pthread_mutex_unlock(&bus->lock);
	return ret < 0 ? ret : (ret == 1 ? 0 : -EIO);
}

static int bus_register_memctx(void *token, const vmsig_memctx_reg *reg)
{
	struct slot *s = token;
	int ret;

	/* One bus serves one endpoint: another id is a confused adapter. */
	if (!reg || reg->endpoint != s->bus->ep_id) {
		errno = EINVAL;
		return -1;
	}
	ret = vmsig_set_memctx(s->bus->epfd, reg->root, reg->mode, NULL);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

static void bus_unregister_memctx(void *token, uint32_t endpoint)
{
	struct slot *s = token;

	if (endpoint == s->bus->ep_id)
		vmsig_invalidate_memctx(s->bus->epfd, NULL);
}

/* --------------------------------------------------------- adapter list */

static struct slot *find_sink(struct vmsig_bus *bus, uint32_t source)
{
	struct slot *s;

	for (s = bus->slots; s; s = s->next)
		if (s->sink && (uint32_t)s->ops->source == source)
			return s;
	return NULL;
}

static void unwatch(struct vmsig_bus *bus, struct slot *s)
{
	for (int i = 0; i < s->nfds; i++)
		epoll_ctl(bus->pollfd, EPOLL_CTL_DEL, s->fds[i].fd, NULL);
	s->nfds = 0;
}

/*
 * Close @s and take it off the bus.  The adapter is closed before the seam
 * is unbound so that ACKs its workers emit while stopping still reach their
 * submitters; the kernel answers whatever remains with -EPIPE on unbind.
 * During a dispatch the slot is kept until the batch is over, because later
 * epoll events of the same batch may still point into it.
 */
static void drop_adapter(struct vmsig_bus *bus, struct slot *s)
{
	struct slot **pp;

	unwatch(bus, s);
	s->ops->close(s->a);
	if (s->sink)
		vmsig_unbind_sink(bus->epfd, s->ops->source);
	s->sink = false;
	s->dead = true;
	for (pp = &bus->slots; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if (bus->dispatching) {
		s->next = bus->graveyard;
		bus->graveyard = s;
	} else {
		free(s);
	}
}

static int epoll_flags(const vmsig_fd_reg *r)
{
	if (r->epoll_events)
		return (int)r->epoll_events;
	switch (r->shape) {
	case VMSIG_RDY_FD:
		return EPOLLIN | EPOLLRDHUP;
	case VMSIG_RDY_TIMERFD:
	case VMSIG_RDY_EVENTFD:
		return EPOLLIN;
	}
	return -EINVAL;
}

static int watch_fds(struct vmsig_bus *bus, struct slot *s,
		     const vmsig_fd_reg *reg, int n)
{
	for (int i = 0; i < n; i++) {
		struct epoll_event ee = { 0 };
		int flags = epoll_flags(&reg[i]);
		struct watch *w = &s->fds[i];

		if (flags < 0 || reg[i].fd < 0)
			return -EINVAL;
		*w = (struct watch){ .kind = W_ADAPTER, .slot = s,
				     .fd = reg[i].fd, .cookie = reg[i].cookie };
		ee.events = (uint32_t)flags;
		ee.data.ptr = w;
		if (epoll_ctl(bus->pollfd, EPOLL_CTL_ADD, w->fd, &ee) < 0)
			return -errno;
		s->nfds = i + 1;
	}
	return 0;
}

int vmsig_bus_add_adapter(struct vmsig_bus *bus, const vmsig_adapter_ops *ops,
			  const void *cfg)
{
	vmsig_fd_reg reg[VMSIG_BUS_MAX_FDS];
	struct slot *s, **tail;
	int n, ret;

	if (!ops || !ops->open || !ops->attach || !ops->on_readiness ||
	    !ops->close)
		return -EINVAL;
	if (ops->submit && find_sink(bus, ops->source))
		return -EBUSY;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->bus = bus;
	s->ops = ops;
	s->emit = (vmsig_emit){ .emit = bus_emit,
				.register_memctx = bus_register_memctx,
				.unregister_memctx = bus_unregister_memctx,
				.token = s };
	errno = 0;
	s->a = ops->open(cfg, bus->ep_id);
	if (!s->a) {
		ret = errno ? -errno : -EIO;
		free(s);
		return ret;
	}
	memset(reg, 0, sizeof(reg));
	for (int i = 0; i < VMSIG_BUS_MAX_FDS; i++)
		reg[i].fd = -1;
	/* The seed's attach says -1; an adapter that set errno says why. */
	errno = 0;
	n = ops->attach(s->a, &s->emit, reg, VMSIG_BUS_MAX_FDS);
	if (n < 0 || n > VMSIG_BUS_MAX_FDS) {
		ret = n > 0 ? -E2BIG : errno ? -errno : -EIO;
		goto fail;
	}
	ret = watch_fds(bus, s, reg, n);
	if (ret)
		goto fail;
	if (ops->submit) {
		ret = vmsig_bind_sink(bus->epfd, ops->source);
		if (ret)
			goto fail;
		s->sink = true;
	}
	for (tail = &bus->slots; *tail; tail = &(*tail)->next)
		;
	*tail = s;
	return 0;
fail:
	unwatch(bus, s);
	ops->close(s->a);
	free(s);
	return ret;
}

/* ------------------------------------------------------------- the loop */

/* Answer a DOWN record the adapters did not take. */
static void bus_ack(struct vmsig_bus *bus, const struct vmsig_event *down,
		    int status)
{
	pthread_mutex_lock(&bus->lock);
	/* Nothing to do when it fails: the submitter gets -EPIPE on unbind. */
	if (!vmsig_ack(bus->epfd, down, status))
		bus->stats.bus_acks++;
	pthread_mutex_unlock(&bus->lock);
}

static void route_down(struct vmsig_bus *bus, const struct vmsig_event *ev)
{
	struct slot *s = find_sink(bus, ev->source);
	int r, status;

	/* Possible for records queued before an adapter was dropped. */
	if (!s) {
		bus_ack(bus, ev, -ENXIO);
		return;
	}
	r = s->ops->submit(s->a, ev);
	if (r == 0) {
		count(bus, &bus->stats.routed, 1);
		return;
	}
	if (r < -1)
		status = r;		/* an adapter that speaks -errno */
	else if (r == -1)
		status = -EIO;
	else
		status = -EOPNOTSUPP;
	bus_ack(bus, ev, status);
}

static int drain_endpoint(struct vmsig_bus *bus)
{
	struct vmsig_event evs[READ_BATCH];
	int n = vmsig_read_events(bus->epfd, evs, READ_BATCH);

	for (int i = 0; i < n; i++) {
		if (evs[i].dir == VMSIG_DIR_DOWN)
			route_down(bus, &evs[i]);
		else if (evs[i].type == VMSIG_EV_DROPPED)
			count(bus, &bus->stats.dropped, evs[i].payload.u64[0]);
		/* Anything else is not for the bus (narrowed subscription). */
	}
	return n < 0 ? n : 0;
}

static void drain_wake(struct vmsig_bus *bus)
{
	uint64_t v;

	/* Only the wake-up matters, not how many stops were asked. */
	if (read(bus->wakefd, &v, sizeof(v)) < 0)
		return;
}

static void dispatch_adapter(struct vmsig_bus *bus, struct watch *w,
			     uint32_t events)
{
	struct slot *s = w->slot;

	if (s->dead)
		return;
	if (s->ops->on_readiness(s->a, w->cookie, events) < 0) {
		count(bus, &bus->stats.adapters_failed, 1);
		drop_adapter(bus, s);
	}
}

int vmsig_bus_run_once(struct vmsig_bus *bus, int timeout_ms)
{
	struct epoll_event evs[EPOLL_BATCH];
	int n, err = 0;

	n = epoll_wait(bus->pollfd, evs, EPOLL_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	bus->dispatching = true;
	for (int i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;
		int ret;

		switch (w->kind) {
		case W_WAKE:
			drain_wake(bus);
			break;
		case W_ENDPOINT:
			ret = drain_endpoint(bus);
			if (ret < 0 && ret != -EINTR)
				err = ret;
			break;
		case W_ADAPTER:
			dispatch_adapter(bus, w, evs[i].events);
			break;
		}
	}
	bus->dispatching = false;
	while (bus->graveyard) {
		struct slot *s = bus->graveyard;

		bus->graveyard = s->next;
		free(s);
	}
	return err ? err : n;
}

int vmsig_bus_run(struct vmsig_bus *bus)
{
	int ret = 0;

	while (!atomic_load(&bus->stop)) {
		ret = vmsig_bus_run_once(bus, -1);
		if (ret < 0)
			break;
		ret = 0;
	}
	/* The stop is consumed, so the bus can be run again. */
	atomic_store(&bus->stop, false);
	return ret;
}

void vmsig_bus_stop(struct vmsig_bus *bus)
{
	uint64_t one = 1;

	atomic_store(&bus->stop, true);
	/* Cannot fail short of a counter overflow, which still wakes us. */
	if (write(bus->wakefd, &one, sizeof(one)) < 0)
		return;
}

int vmsig_bus_adapter_count(const struct vmsig_bus *bus)
{
	const struct slot *s;
	int n = 0;

	for (s = bus->slots; s; s = s->next)
		n++;
	return n;
}

uint32_t vmsig_bus_ep_id(const struct vmsig_bus *bus)
{
	return bus->ep_id;
}

void vmsig_bus_get_stats(struct vmsig_bus *bus, struct vmsig_bus_stats *st)
{
	pthread_mutex_lock(&bus->lock);
	*st = bus->stats;
	pthread_mutex_unlock(&bus->lock);
}

/* ------------------------------------------------------- life and death */

static int watch_own(struct vmsig_bus *bus, struct watch *w,
		     enum watch_kind kind, int fd)
{
	struct epoll_event ee = { .events = EPOLLIN, .data.ptr = w };

	w->kind = kind;
	w->fd = fd;
	return epoll_ctl(bus->pollfd, EPOLL_CTL_ADD, fd, &ee) < 0 ? -errno : 0;
}

int vmsig_bus_new(int epfd, struct vmsig_bus **busp)
{
	struct vmsig_ep_info info;
	struct vmsig_bus *bus;
	int ret;

	ret = vmsig_ep_info(epfd, &info);
	if (ret)
		return ret;
	/* Only DOWN records (always routed to a sink) and DROPPED remain. */
	ret = vmsig_set_sub(epfd, 0, 0, 0);
	if (ret)
		return ret;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	bus->epfd = epfd;
	bus->ep_id = info.ep_id;
	bus->pollfd = -1;
	bus->wakefd = -1;
	atomic_init(&bus->stop, false);
	pthread_mutex_init(&bus->lock, NULL);
	bus->epfd_flags = fcntl(epfd, F_GETFL);
	/* The loop must never block in read(): other fds wait meanwhile. */
	if (bus->epfd_flags < 0 ||
	    fcntl(epfd, F_SETFL, bus->epfd_flags | O_NONBLOCK) < 0) {
		ret = -errno;
		bus->epfd_flags = -1;
		goto fail;
	}
	bus->pollfd = epoll_create1(EPOLL_CLOEXEC);
	bus->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (bus->pollfd < 0 || bus->wakefd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = watch_own(bus, &bus->ep_watch, W_ENDPOINT, epfd);
	if (!ret)
		ret = watch_own(bus, &bus->wake_watch, W_WAKE, bus->wakefd);
	if (ret)
		goto fail;
	*busp = bus;
	return 0;
fail:
	vmsig_bus_free(bus);
	return ret;
}

void vmsig_bus_free(struct vmsig_bus *bus)
{
	if (!bus)
		return;
	while (bus->slots)
		drop_adapter(bus, bus->slots);
	if (bus->pollfd >= 0)
		close(bus->pollfd);
	if (bus->wakefd >= 0)
		close(bus->wakefd);
	if (bus->epfd_flags >= 0)
		fcntl(bus->epfd, F_SETFL, bus->epfd_flags);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}
