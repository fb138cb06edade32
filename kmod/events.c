// SPDX-License-Identifier: GPL-2.0
/*
 * Events of an endpoint: publishing (sequence number, time, fan-out),
 * retained events, sinks, and DOWN events with their ACKs.
 *
 * Ordering: an event gets its sequence number and is queued to every
 * subscriber under ep->ev_lock, so all subscribers see the events of a lane
 * in one order, the sequence order.  Sequence numbers are per endpoint; a
 * reader that filters, or the DOWN events that go to a sink only, leave gaps
 * that are not losses: losses are reported by VMSIG_EV_DROPPED records.
 *
 * DOWN events: the kernel replaces the submitter's correlation id with one
 * of its own (unique per endpoint), so ACKs of different submitters that
 * chose the same id cannot be confused; the ACK gets the submitter's id back.
 * A sink that goes away answers everything still in flight to it with
 * -EPIPE, so no submitter waits forever.
 *
 * Destructive DOWN events (input, power) carry the token of their lease
 * class; it is checked, and the event routed, under ep->lease_lock, so a
 * revoke cannot overtake an action already accepted.
 *
 * Lock order: ep->lease_lock, then ep->lock (memctx), then ep->ev_lock,
 * then a ring's lock.
 */
#include <linux/bits.h>
#include <linux/hashtable.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <uapi/linux/vmsig.h>

#include "audit.h"
#include "endpoint.h"
#include "events.h"
#include "lease.h"
#include "rights.h"
#include "uarg.h"

/**
 * struct vmsig_inflight - a DOWN event waiting for its ACK
 * @node: in &vmsig_endpoint.inflight, under ev_lock
 * @kcorr: the kernel's correlation id, seen by the sink
 * @ucorr: the submitter's correlation id, given back in the ACK
 * @submitter: the submitting file; NULL once it closed
 * @sink: the sink it was routed to
 * @source: the seam
 */
struct vmsig_inflight {
	struct hlist_node node;
	u64 kcorr;
	u64 ucorr;
	struct vmsig_epfile *submitter;
	struct vmsig_epfile *sink;
	u8 source;
};

#define VMSIG_ALL_SOURCES	GENMASK_ULL(VMSIG_SRC_MAX - 1, 0)
/* Kernel types a subscriber can ask for (DROPPED is made at read time). */
#define VMSIG_KERNEL_TYPES	(BIT_ULL(VMSIG_EV_LIFECYCLE) | \
				 BIT_ULL(VMSIG_EV_MEMCTX) | \
				 BIT_ULL(VMSIG_EV_LEASE) | \
				 BIT_ULL(VMSIG_EV_MEMWRITE))

/**
 * vmsig_events_init() - empty event state of a new endpoint
 * @ep: the endpoint
 */
void vmsig_events_init(struct vmsig_endpoint *ep)
{
	spin_lock_init(&ep->ev_lock);
	INIT_LIST_HEAD(&ep->subs);
	hash_init(ep->inflight);
}

static bool __vmsig_wants(const struct vmsig_epfile *f,
			  const struct vmsig_event *ev)
{
	if (ev->type <= VMSIG_EV_KERNEL_MAX)
		return ev->type < 64 && (f->kernel_types & BIT_ULL(ev->type));
	return f->sources & BIT_ULL(ev->source);
}

static void __vmsig_stamp(struct vmsig_endpoint *ep, struct vmsig_event *ev)
{
	lockdep_assert_held(&ep->ev_lock);
	ev->seq = ++ep->seq;
	ev->ts_ns = ktime_get_ns();
	ev->ep_id = ep->id;
	ev->version = VMSIG_EVENT_VERSION;
}

static int __vmsig_retained_slot(struct vmsig_endpoint *ep,
				 const struct vmsig_event *ev)
{
	u32 i;

	lockdep_assert_held(&ep->ev_lock);
	for (i = 0; i < ep->nretained; i++)
		if (ep->retained[i].source == ev->source &&
		    ep->retained[i].type == ev->type)
			return i;
	return -1;
}

/* Keep @ev as the latest of its (source, type); the array stays in seq order. */
static void __vmsig_retain(struct vmsig_endpoint *ep, const struct vmsig_event *ev)
{
	int i = __vmsig_retained_slot(ep, ev);

	lockdep_assert_held(&ep->ev_lock);
	if (i >= 0) {
		memmove(&ep->retained[i], &ep->retained[i + 1],
			(ep->nretained - i - 1) * sizeof(*ev));
		ep->nretained--;
	}
	ep->retained[ep->nretained++] = *ev;
	ep->retained[ep->nretained - 1].flags &= ~VMSIG_EVF_RETAIN;
}

/*
 * Stamp @ev and queue it to every subscriber that wants it but @except.
 * Userspace may retain VMSIG_RETAIN_MAX - VMSIG_RETAIN_KERNEL (source, type)
 * pairs; the rest is kept for the kernel's own retained types, so a kernel
 * event always finds its slot.
 */
static int __vmsig_publish(struct vmsig_endpoint *ep, struct vmsig_event *ev,
			   struct vmsig_epfile *except, bool kernel)
{
	u32 room = kernel ? VMSIG_RETAIN_MAX : VMSIG_RETAIN_MAX - VMSIG_RETAIN_KERNEL;
	struct vmsig_epfile *f;

	lockdep_assert_held(&ep->ev_lock);
	if ((ev->flags & VMSIG_EVF_RETAIN) && __vmsig_retained_slot(ep, ev) < 0 &&
	    ep->nretained >= room)
		return -ENOSPC;
	__vmsig_stamp(ep, ev);
	if (ev->flags & VMSIG_EVF_RETAIN)
		__vmsig_retain(ep, ev);
	list_for_each_entry(f, &ep->subs, node)
		if (f != except && __vmsig_wants(f, ev))
			vmsig_ring_push(&f->ring, ev, false);
	return 0;
}

/**
 * vmsig_events_publish_kernel() - raise a kernel event built by the caller
 * @ep: the endpoint
 * @ev: the event; seq, time, endpoint and version are set here
 *
 * Context: may be called with ep->lease_lock or ep->lock held; takes
 * ep->ev_lock.
 */
void vmsig_events_publish_kernel(struct vmsig_endpoint *ep,
				 struct vmsig_event *ev)
{
	spin_lock(&ep->ev_lock);
	__vmsig_publish(ep, ev, NULL, true);
	spin_unlock(&ep->ev_lock);
}

/**
 * vmsig_events_kernel() - raise a kernel event on an endpoint
 * @ep: the endpoint
 * @type: a kernel event type
 * @source: the seam it concerns
 * @aux: the type's small argument
 * @p0: payload word 0
 * @p1: payload word 1
 * @retain: keep it for new subscribers
 *
 * Context: may be called with ep->lock held; takes ep->ev_lock.
 */
void vmsig_events_kernel(struct vmsig_endpoint *ep, u16 type, u8 source,
			 s32 aux, u64 p0, u64 p1, bool retain)
{
	struct vmsig_event ev = {
		.type = type, .dir = VMSIG_DIR_UP, .source = source, .aux = aux,
		.flags = retain ? VMSIG_EVF_RETAIN : 0,
		.payload.u64 = { p0, p1 },
	};

	vmsig_events_publish_kernel(ep, &ev);
}

/**
 * vmsig_events_join() - make a new file a subscriber of its endpoint
 * @f: the file, its ring initialised
 *
 * It subscribes to everything and gets the retained events first, in the
 * order they were published, marked VMSIG_EVF_REPLAY.
 */
void vmsig_events_join(struct vmsig_epfile *f)
{
	struct vmsig_endpoint *ep = f->ep;
	u32 i;

	f->sources = VMSIG_ALL_SOURCES;
	f->kernel_types = VMSIG_KERNEL_TYPES;
	spin_lock(&ep->ev_lock);
	list_add_tail(&f->node, &ep->subs);
	for (i = 0; i < ep->nretained; i++) {
		struct vmsig_event ev = ep->retained[i];

		ev.flags |= VMSIG_EVF_REPLAY;
		vmsig_ring_push(&f->ring, &ev, false);
	}
	if (ep->dead)
		vmsig_ring_kill(&f->ring);
	spin_unlock(&ep->ev_lock);
}

/* ACK @in to its submitter: the sink's record, or a made-up one. */
static void __vmsig_deliver_ack(struct vmsig_endpoint *ep,
				struct vmsig_inflight *in, s32 status,
				const struct vmsig_event *from_sink)
{
	struct vmsig_event ack = { .prio = VMSIG_PRIO_NORMAL };

	lockdep_assert_held(&ep->ev_lock);
	if (!in->submitter)
		return;
	if (from_sink)
		ack = *from_sink;
	ack.type = VMSIG_EV_ACT_ACK;
	ack.dir = VMSIG_DIR_UP;
	ack.source = in->source;
	ack.flags = 0;
	ack.corr = in->ucorr;
	ack.aux = status;
	__vmsig_stamp(ep, &ack);
	/* A full ring drops it with accounting, like any other event. */
	vmsig_ring_push(&in->submitter->ring, &ack, false);
}

/*
 * Answer every DOWN event in flight to sink @f (of @source, or of every
 * source when @source < 0) with -EPIPE; move the entries to @gone.
 */
static void __vmsig_fail_inflight(struct vmsig_endpoint *ep,
				  struct vmsig_epfile *f, int source,
				  struct hlist_head *gone)
{
	struct vmsig_inflight *in;
	struct hlist_node *tmp;
	int bkt;

	lockdep_assert_held(&ep->ev_lock);
	hash_for_each_safe(ep->inflight, bkt, tmp, in, node) {
		if (in->sink != f || (source >= 0 && in->source != source))
			continue;
		__vmsig_deliver_ack(ep, in, -EPIPE, NULL);
		hash_del(&in->node);
		ep->ninflight--;
		hlist_add_head(&in->node, gone);
	}
}

static void vmsig_free_inflight(struct hlist_head *gone)
{
	struct vmsig_inflight *in;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(in, tmp, gone, node)
		kfree(in);
}

/**
 * vmsig_events_leave() - a file is being released
 * @f: the file
 *
 * It stops receiving, stops being a sink (failing what is in flight to it),
 * and its own DOWN events in flight will be acknowledged into the void.
 */
void vmsig_events_leave(struct vmsig_epfile *f)
{
	struct vmsig_endpoint *ep = f->ep;
	HLIST_HEAD(gone);
	struct vmsig_inflight *in;
	int s, bkt;

	spin_lock(&ep->ev_lock);
	list_del(&f->node);
	for (s = 0; s < VMSIG_SRC_MAX; s++)
		if (ep->sink[s] == f)
			ep->sink[s] = NULL;
	__vmsig_fail_inflight(ep, f, -1, &gone);
	hash_for_each(ep->inflight, bkt, in, node)
		if (in->submitter == f)
			in->submitter = NULL;
	spin_unlock(&ep->ev_lock);
	vmsig_free_inflight(&gone);
}

/**
 * vmsig_events_vmm_exit() - the VMM's address space is gone
 * @ep: the endpoint
 *
 * Publishes VMSIG_EV_LIFECYCLE (VMSIG_LC_VMM_EXIT), then marks the endpoint
 * dead: readers drain and see end of stream, pollers get EPOLLHUP.
 *
 * Context: process context (an mmu notifier's release); takes ev_lock.
 */
void vmsig_events_vmm_exit(struct vmsig_endpoint *ep)
{
	struct vmsig_epfile *f;

	vmsig_events_kernel(ep, VMSIG_EV_LIFECYCLE, VMSIG_SRC_KERNEL,
			    VMSIG_LC_VMM_EXIT, 0, 0, false);
	spin_lock(&ep->ev_lock);
	ep->dead = true;
	list_for_each_entry(f, &ep->subs, node)
		vmsig_ring_kill(&f->ring);
	spin_unlock(&ep->ev_lock);
}

/* The rules a record written by userspace must follow. */
static int vmsig_event_check(const struct vmsig_event *ev)
{
	if (ev->version > VMSIG_EVENT_VERSION || ev->reserved ||
	    ev->prio > VMSIG_PRIO_HIGH || ev->dir > VMSIG_DIR_DOWN ||
	    ev->source >= VMSIG_SRC_MAX || ev->source == VMSIG_SRC_KERNEL ||
	    (ev->flags & ~VMSIG_EVF_RETAIN))
		return -EINVAL;
	if (ev->dir == VMSIG_DIR_DOWN)
		return ev->type >= VMSIG_EV_DOWN_MIN &&
		       !(ev->flags & VMSIG_EVF_RETAIN) ? 0 : -EINVAL;
	if (ev->type == VMSIG_EV_ACT_ACK)
		return ev->flags ? -EINVAL : 0;
	return ev->type >= VMSIG_EV_UP_MIN && ev->type < VMSIG_EV_DOWN_MIN ?
	       0 : -EINVAL;
}

/* Route a DOWN event to its sink and remember it until its ACK. */
static int vmsig_route_down(struct vmsig_epfile *f, struct vmsig_event *ev)
{
	struct vmsig_endpoint *ep = f->ep;
	struct vmsig_inflight *in;
	struct vmsig_epfile *sink;
	int err;

	in = kzalloc(sizeof(*in), GFP_KERNEL_ACCOUNT);
	if (!in)
		return -ENOMEM;
	spin_lock(&ep->ev_lock);
	sink = ep->sink[ev->source];
	if (ep->dead) {
		err = -EPIPE;
	} else if (!sink) {
		err = -ENXIO;
	} else if (ep->ninflight >= VMSIG_INFLIGHT_MAX) {
		err = -EAGAIN;
	} else {
		*in = (struct vmsig_inflight) {
			.kcorr = ++ep->next_corr, .ucorr = ev->corr,
			.submitter = f, .sink = sink, .source = ev->source,
		};
		ev->corr = in->kcorr;
		__vmsig_stamp(ep, ev);
		/* A DOWN event is never dropped: a full sink refuses it. */
		err = vmsig_ring_push(&sink->ring, ev, true);
		if (!err) {
			hash_add(ep->inflight, &in->node, in->kcorr);
			ep->ninflight++;
			in = NULL;
		}
	}
	spin_unlock(&ep->ev_lock);
	kfree(in);
	return err;
}

/* The lease class a DOWN type needs, or -1 for none. */
static int vmsig_down_lease(u16 type)
{
	switch (type) {
	case VMSIG_EV_INPUT:
		return VMSIG_LEASE_INPUT;
	case VMSIG_EV_POWER:
		return VMSIG_LEASE_POWER;
	}
	return -1;
}

static int vmsig_submit_down(struct vmsig_epfile *f, struct vmsig_event *ev)
{
	struct vmsig_endpoint *ep = f->ep;
	int cls = vmsig_down_lease(ev->type);
	int err;

	if (cls < 0)
		return vmsig_route_down(f, ev);
	/* Checked and routed under the lock that ends leases: a fence. */
	mutex_lock(&ep->lease_lock);
	err = __vmsig_lease_check(f, cls, ev->payload.u64[0]);
	if (!err) {
		err = vmsig_route_down(f, ev);
	} else {
		struct vmsig_audit_rec rec = {
			.what = VMSIG_AUDIT_DENIED, .result = err, .ep_id = ep->id,
			.lease_class = cls, .token = ev->payload.u64[0],
			.op = VMSIG_AUDIT_OP_WRITE,
		};

		vmsig_audit(&rec);
	}
	mutex_unlock(&ep->lease_lock);
	return err;
}

/* The right a record written by @f needs. */
static u64 vmsig_write_right(const struct vmsig_event *ev)
{
	if (ev->dir == VMSIG_DIR_UP)
		return ev->type == VMSIG_EV_ACT_ACK ? VMSIG_RIGHT_BIND_SINK :
						      VMSIG_RIGHT_EMIT;
	switch (ev->type) {
	case VMSIG_EV_INPUT:
		return VMSIG_RIGHT_SUBMIT_INPUT;
	case VMSIG_EV_POWER:
		return VMSIG_RIGHT_SUBMIT_POWER;
	}
	return VMSIG_RIGHT_SUBMIT_OTHER;
}

static int vmsig_sink_ack(struct vmsig_epfile *f, const struct vmsig_event *ev)
{
	struct vmsig_endpoint *ep = f->ep;
	struct vmsig_inflight *in, *found = NULL;

	spin_lock(&ep->ev_lock);
	hash_for_each_possible(ep->inflight, in, node, ev->corr)
		if (in->kcorr == ev->corr && in->sink == f) {
			found = in;
			break;
		}
	if (found) {
		hash_del(&found->node);
		ep->ninflight--;
		__vmsig_deliver_ack(ep, found, ev->aux, ev);
	}
	spin_unlock(&ep->ev_lock);
	kfree(found);
	return found ? 0 : -ENOENT;
}

static int vmsig_write_one(struct vmsig_epfile *f, struct vmsig_event *ev)
{
	struct vmsig_endpoint *ep = f->ep;
	int err = vmsig_event_check(ev);

	if (err)
		return err;
	err = vmsig_require(f, vmsig_write_right(ev), VMSIG_AUDIT_OP_WRITE);
	if (err)
		return err;
	if (ev->dir == VMSIG_DIR_DOWN)
		return vmsig_submit_down(f, ev);
	if (ev->type == VMSIG_EV_ACT_ACK)
		return vmsig_sink_ack(f, ev);
	spin_lock(&ep->ev_lock);
	err = ep->dead ? -EPIPE : __vmsig_publish(ep, ev, f, false);
	spin_unlock(&ep->ev_lock);
	return err;
}

/**
 * vmsig_events_write() - write() of an endpoint file
 * @f: the writing file
 * @buf: whole &struct vmsig_event records
 * @count: bytes, a nonzero multiple of the record size
 *
 * Records are handled in order; the first one that fails stops the write.
 * The kernel sets @seq, @ts_ns, @ep_id and @version of every record.
 *
 * Return: bytes of the records accepted, or (when the first record fails)
 * -EINVAL (bad size or record), -EPERM (a right the file lacks), -ESTALE
 * (an input or power event whose token is not this file's current lease),
 * -EFAULT, -ENXIO (DOWN without sink),
 * -EINTR (a fatal signal), -EAGAIN (sink's lane full, or too many DOWN
 * events in flight), -ENOENT
 * (ACK for no DOWN event in flight to this file), -ENOSPC (no retained slot
 * left), -EPIPE (the endpoint is dead), -ENOMEM.
 */
ssize_t vmsig_events_write(struct vmsig_epfile *f, const char __user *buf,
			   size_t count)
{
	size_t i, n = count / sizeof(struct vmsig_event);
	int err = 0;

	if (!n || count % sizeof(struct vmsig_event))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		struct vmsig_event ev;

		if (copy_from_user(&ev, buf + i * sizeof(ev), sizeof(ev))) {
			err = -EFAULT;
			break;
		}
		err = vmsig_write_one(f, &ev);
		if (err)
			break;
		/* @count is the caller's: a huge write must stay preemptible. */
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}
	return i ? i * sizeof(struct vmsig_event) : err;
}

/**
 * vmsig_ioc_set_sub() - VMSIG_IOC_SET_SUB
 * @file: an endpoint file
 * @arg: &struct vmsig_sub
 * @u: unused
 *
 * Return: 0 or a negative errno (see the uapi).
 */
long vmsig_ioc_set_sub(struct file *file, void *arg, const struct vmsig_uarg *u)
{
	struct vmsig_epfile *f = file->private_data;
	struct vmsig_sub *sub = arg;
	int err;

	if ((sub->sources & ~VMSIG_ALL_SOURCES) ||
	    (sub->kernel_types & ~VMSIG_KERNEL_TYPES) || sub->reserved0 ||
	    memchr_inv(sub->reserved, 0, sizeof(sub->reserved)))
		return -EINVAL;
	if (sub->ring_size) {
		err = vmsig_ring_resize(&f->ring, sub->ring_size);
		if (err)
			return err;
	}
	spin_lock(&f->ep->ev_lock);
	f->sources = sub->sources;
	f->kernel_types = sub->kernel_types;
	spin_unlock(&f->ep->ev_lock);
	sub->ring_size = vmsig_ring_size(&f->ring);
	return 0;
}

/**
 * vmsig_ioc_get_sub() - VMSIG_IOC_GET_SUB
 * @file: an endpoint file
 * @arg: &struct vmsig_sub
 * @u: unused
 *
 * Return: 0.
 */
long vmsig_ioc_get_sub(struct file *file, void *arg, const struct vmsig_uarg *u)
{
	struct vmsig_epfile *f = file->private_data;
	struct vmsig_sub *sub = arg;

	spin_lock(&f->ep->ev_lock);
	*sub = (struct vmsig_sub) {
		.size = sub->size,
		.sources = f->sources,
		.kernel_types = f->kernel_types,
	};
	spin_unlock(&f->ep->ev_lock);
	sub->ring_size = vmsig_ring_size(&f->ring);
	return 0;
}

/**
 * vmsig_ioc_get_counters() - VMSIG_IOC_GET_COUNTERS
 * @file: an endpoint file
 * @arg: &struct vmsig_counters
 * @u: unused
 *
 * Return: 0.
 */
long vmsig_ioc_get_counters(struct file *file, void *arg,
			    const struct vmsig_uarg *u)
{
	struct vmsig_epfile *f = file->private_data;
	struct vmsig_counters *c = arg;

	*c = (struct vmsig_counters) { .size = c->size };
	vmsig_ring_counters(&f->ring, c);
	return 0;
}

/**
 * vmsig_ioc_bind_sink() - VMSIG_IOC_BIND_SINK
 * @file: an endpoint file
 * @arg: &struct vmsig_sink
 * @u: unused
 *
 * Return: 0 or a negative errno (see the uapi).
 */
long vmsig_ioc_bind_sink(struct file *file, void *arg,
			 const struct vmsig_uarg *u)
{
	struct vmsig_epfile *f = file->private_data;
	struct vmsig_endpoint *ep = f->ep;
	struct vmsig_sink *sk = arg;
	HLIST_HEAD(gone);
	int err = 0;

	if (sk->source == VMSIG_SRC_KERNEL || sk->source >= VMSIG_SRC_MAX ||
	    sk->reserved0 || memchr_inv(sk->reserved, 0, sizeof(sk->reserved)))
		return -EINVAL;
	spin_lock(&ep->ev_lock);
	if (sk->flags & VMSIG_SINK_UNBIND) {
		if (ep->sink[sk->source] != f) {
			err = -ENOENT;
		} else {
			ep->sink[sk->source] = NULL;
			__vmsig_fail_inflight(ep, f, sk->source, &gone);
		}
	} else if (ep->sink[sk->source] && ep->sink[sk->source] != f) {
		err = -EBUSY;
	} else {
		ep->sink[sk->source] = f;
	}
	spin_unlock(&ep->ev_lock);
	vmsig_free_inflight(&gone);
	return err;
}
