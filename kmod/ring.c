// SPDX-License-Identifier: GPL-2.0
/*
 * The event ring of one subscriber file.
 *
 * Two lanes (high, normal), each a power-of-two array with free-running
 * head and tail.  Producers never block and never overwrite: a full lane
 * drops the new record, counts it, and the next read() starts with a
 * VMSIG_EV_DROPPED record saying how many were lost.  Records whose deadline
 * passed are skipped at read time and counted as expired.  So, always:
 * delivered + dropped + expired + queued == published.
 *
 * Readers copy records out *before* consuming them: under the spinlock a
 * chunk is peeked into a kernel buffer, copied to the user without the lock,
 * and only then committed (heads advanced, counters updated).  Only readers
 * move heads and they are serialized by read_mutex, so the peeked records
 * cannot move under them; a fault on the user's buffer loses nothing.
 *
 * Wakeups: a producer wakes the ring only when it goes from empty to
 * non-empty.  A reader that is awake drains what is there; one that sleeps
 * does so only on an empty ring.  Edge-triggered epoll users must read until
 * EAGAIN, as always.
 *
 * Lock order: read_mutex, then lock.  lock is a leaf (nested inside the
 * endpoint's ev_lock by producers).
 */
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "ring.h"

/* Records moved per locked peek; bounded so the bounce buffer fits on the stack. */
#define VMSIG_READ_CHUNK	8

static struct vmsig_event *vmsig_lane_alloc(u32 size)
{
	return kvcalloc(size, sizeof(struct vmsig_event), GFP_KERNEL_ACCOUNT);
}

/**
 * vmsig_ring_init() - an empty ring of VMSIG_RING_DEFAULT records per lane
 * @r: the ring
 * @ep_id: endpoint id stamped on the DROPPED records it makes
 *
 * Return: 0 or -ENOMEM.
 */
int vmsig_ring_init(struct vmsig_ring *r, u32 ep_id)
{
	int i;

	*r = (struct vmsig_ring) { .size = VMSIG_RING_DEFAULT, .ep_id = ep_id };
	spin_lock_init(&r->lock);
	mutex_init(&r->read_mutex);
	init_waitqueue_head(&r->wq);
	for (i = 0; i < VMSIG_LANES; i++) {
		r->lane[i].rec = vmsig_lane_alloc(r->size);
		if (!r->lane[i].rec) {
			vmsig_ring_free(r);
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * vmsig_ring_free() - release the ring's memory
 * @r: the ring; nobody may use it any more
 */
void vmsig_ring_free(struct vmsig_ring *r)
{
	int i;

	for (i = 0; i < VMSIG_LANES; i++) {
		kvfree(r->lane[i].rec);
		r->lane[i].rec = NULL;
	}
	mutex_destroy(&r->read_mutex);
}

static u32 __vmsig_lane_count(const struct vmsig_lane *l)
{
	return l->tail - l->head;
}

/* Anything for a reader: a record or a loss to report.  r->lock held. */
static bool __vmsig_ring_readable(struct vmsig_ring *r)
{
	int i;

	lockdep_assert_held(&r->lock);
	for (i = 0; i < VMSIG_LANES; i++)
		if (__vmsig_lane_count(&r->lane[i]) || r->lane[i].unreported)
			return true;
	return false;
}

/**
 * vmsig_ring_push() - queue one record
 * @r: the ring
 * @ev: the record, complete (sequence number and time already set)
 * @must_fit: refuse instead of dropping when the lane is full
 *
 * Context: any context that may take a spinlock; never sleeps.
 * Return: 0 when queued; 1 when dropped (counted, reported at next read);
 * -EAGAIN when @must_fit and the lane is full (nothing counted).
 */
int vmsig_ring_push(struct vmsig_ring *r, const struct vmsig_event *ev,
		    bool must_fit)
{
	struct vmsig_lane *l = &r->lane[ev->prio == VMSIG_PRIO_HIGH ? 0 : 1];
	bool wake = false;
	int ret = 0;

	spin_lock(&r->lock);
	if (__vmsig_lane_count(l) == r->size) {
		if (must_fit) {
			ret = -EAGAIN;
		} else {
			r->published++;
			r->dropped++;
			l->unreported++;
			ret = 1;
		}
	} else {
		wake = !__vmsig_ring_readable(r);
		r->published++;
		l->rec[l->tail & (r->size - 1)] = *ev;
		l->tail++;
	}
	spin_unlock(&r->lock);
	if (wake)
		wake_up_interruptible_poll(&r->wq, EPOLLIN | EPOLLRDNORM);
	return ret;
}

/* What one peek took from a lane, to be committed after the copy. */
struct vmsig_peek {
	u32 taken[VMSIG_LANES];		/* records consumed (copied or expired) */
	u32 expired[VMSIG_LANES];
	u64 reported[VMSIG_LANES];	/* losses announced by DROPPED records */
	unsigned int n;			/* records in the bounce buffer */
};

static void __vmsig_make_dropped(struct vmsig_ring *r, int lane, u64 count,
				 struct vmsig_event *ev)
{
	*ev = (struct vmsig_event) {
		.type = VMSIG_EV_DROPPED,
		.dir = VMSIG_DIR_UP,
		.prio = lane == 0 ? VMSIG_PRIO_HIGH : VMSIG_PRIO_NORMAL,
		.source = VMSIG_SRC_KERNEL,
		.version = VMSIG_EVENT_VERSION,
		.ep_id = r->ep_id,
		.aux = lane == 0 ? VMSIG_PRIO_HIGH : VMSIG_PRIO_NORMAL,
		.ts_ns = ktime_get_ns(),
	};
	ev->payload.u64[0] = count;
}

/* Fill @buf with up to @max records, high lane first.  r->lock held. */
static void __vmsig_ring_peek(struct vmsig_ring *r, struct vmsig_event *buf,
			      unsigned int max, struct vmsig_peek *p)
{
	u64 now = ktime_get_ns();
	int i;

	lockdep_assert_held(&r->lock);
	*p = (struct vmsig_peek) { };
	for (i = 0; i < VMSIG_LANES; i++) {
		struct vmsig_lane *l = &r->lane[i];

		if (l->unreported && p->n < max) {
			__vmsig_make_dropped(r, i, l->unreported, &buf[p->n++]);
			p->reported[i] = l->unreported;
		}
		while (p->n < max && p->taken[i] < __vmsig_lane_count(l)) {
			const struct vmsig_event *ev =
				&l->rec[(l->head + p->taken[i]) & (r->size - 1)];

			p->taken[i]++;
			if (ev->deadline_ns && ev->deadline_ns < now) {
				p->expired[i]++;
				continue;
			}
			buf[p->n++] = *ev;
		}
	}
}

static void __vmsig_ring_commit(struct vmsig_ring *r, const struct vmsig_peek *p)
{
	int i;

	lockdep_assert_held(&r->lock);
	for (i = 0; i < VMSIG_LANES; i++) {
		r->lane[i].head += p->taken[i];
		r->lane[i].unreported -= p->reported[i];
		r->expired += p->expired[i];
		r->delivered += p->taken[i] - p->expired[i];
	}
}

/* Copy up to @max records to @ubuf; returns the number copied or -EFAULT. */
static ssize_t vmsig_ring_copy(struct vmsig_ring *r, char __user *ubuf,
			       size_t max)
{
	struct vmsig_event buf[VMSIG_READ_CHUNK];
	size_t done = 0;

	lockdep_assert_held(&r->read_mutex);
	while (done < max) {
		struct vmsig_peek p;

		spin_lock(&r->lock);
		__vmsig_ring_peek(r, buf, min_t(size_t, max - done, VMSIG_READ_CHUNK), &p);
		spin_unlock(&r->lock);
		if (p.n && copy_to_user(ubuf + done * sizeof(*buf), buf,
					p.n * sizeof(*buf)))
			return done ? done : -EFAULT;
		spin_lock(&r->lock);
		__vmsig_ring_commit(r, &p);
		spin_unlock(&r->lock);
		done += p.n;
		/* Only expired records were consumed: look again. */
		if (!p.n && !p.taken[0] && !p.taken[1])
			break;
		/* A large buffer on a large ring is many chunks. */
		cond_resched();
	}
	return done;
}

static bool vmsig_ring_wait_cond(struct vmsig_ring *r)
{
	bool ret;

	spin_lock(&r->lock);
	ret = r->dead || __vmsig_ring_readable(r);
	spin_unlock(&r->lock);
	return ret;
}

/**
 * vmsig_ring_read() - read() of an endpoint file
 * @r: the ring
 * @buf: user buffer
 * @count: its size; only whole records are returned
 * @nonblock: O_NONBLOCK
 *
 * Return: bytes read (a multiple of the record size); 0 for @count == 0 or
 * at end of stream (endpoint dead and drained); -EINVAL when @count is
 * smaller than one record; -EAGAIN when non-blocking and empty; -EFAULT;
 * -ERESTARTSYS when interrupted while waiting.
 */
ssize_t vmsig_ring_read(struct vmsig_ring *r, char __user *buf, size_t count,
			bool nonblock)
{
	size_t max = count / sizeof(struct vmsig_event);
	ssize_t n;

	if (!count)
		return 0;
	if (!max)
		return -EINVAL;
	for (;;) {
		if (mutex_lock_interruptible(&r->read_mutex))
			return -ERESTARTSYS;
		n = vmsig_ring_copy(r, buf, max);
		if (!n) {
			spin_lock(&r->lock);
			if (r->dead && !__vmsig_ring_readable(r))
				n = -EPIPE;	/* end of stream, reported as 0 */
			spin_unlock(&r->lock);
		}
		mutex_unlock(&r->read_mutex);
		if (n == -EPIPE)
			return 0;
		if (n)
			return n < 0 ? n : n * sizeof(struct vmsig_event);
		if (nonblock)
			return -EAGAIN;
		if (wait_event_interruptible(r->wq, vmsig_ring_wait_cond(r)))
			return -ERESTARTSYS;
	}
}

/**
 * vmsig_ring_poll() - poll() of an endpoint file
 * @r: the ring
 * @file: the file
 * @pt: poll table
 *
 * Return: EPOLLIN when a read would return records, EPOLLHUP | EPOLLERR once
 * the endpoint is dead; writes never block, so EPOLLOUT always.
 */
__poll_t vmsig_ring_poll(struct vmsig_ring *r, struct file *file,
			 poll_table *pt)
{
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &r->wq, pt);
	spin_lock(&r->lock);
	if (__vmsig_ring_readable(r))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (r->dead)
		mask |= EPOLLHUP | EPOLLERR;
	spin_unlock(&r->lock);
	return mask;
}

/**
 * vmsig_ring_resize() - change the records per lane, keeping what is queued
 * @r: the ring
 * @size: a power of two between VMSIG_RING_MIN and VMSIG_RING_MAX
 *
 * Context: process context; waits for readers.
 * Return: 0, -EINVAL, -ENOMEM, or -EBUSY when a lane holds more records
 * than @size.
 */
int vmsig_ring_resize(struct vmsig_ring *r, u32 size)
{
	struct vmsig_event *rec[VMSIG_LANES] = { };
	int i, err = 0;

	if (size < VMSIG_RING_MIN || size > VMSIG_RING_MAX || !is_power_of_2(size))
		return -EINVAL;
	for (i = 0; i < VMSIG_LANES; i++) {
		rec[i] = vmsig_lane_alloc(size);
		if (!rec[i]) {
			err = -ENOMEM;
			goto out;
		}
	}
	mutex_lock(&r->read_mutex);
	spin_lock(&r->lock);
	for (i = 0; i < VMSIG_LANES; i++)
		if (__vmsig_lane_count(&r->lane[i]) > size)
			err = -EBUSY;
	for (i = 0; !err && i < VMSIG_LANES; i++) {
		struct vmsig_lane *l = &r->lane[i];
		u32 n = __vmsig_lane_count(l), k;

		for (k = 0; k < n; k++)
			rec[i][k] = l->rec[(l->head + k) & (r->size - 1)];
		swap(l->rec, rec[i]);
		l->head = 0;
		l->tail = n;
	}
	if (!err)
		r->size = size;
	spin_unlock(&r->lock);
	mutex_unlock(&r->read_mutex);
out:
	/* The old arrays after a swap, the new ones otherwise. */
	for (i = 0; i < VMSIG_LANES; i++)
		kvfree(rec[i]);
	return err;
}

/**
 * vmsig_ring_size() - records per lane
 * @r: the ring
 *
 * Return: the current size.
 */
u32 vmsig_ring_size(struct vmsig_ring *r)
{
	u32 size;

	spin_lock(&r->lock);
	size = r->size;
	spin_unlock(&r->lock);
	return size;
}

/**
 * vmsig_ring_counters() - one consistent snapshot of the counters
 * @r: the ring
 * @c: filled with published, delivered, dropped, expired and queued
 */
void vmsig_ring_counters(struct vmsig_ring *r, struct vmsig_counters *c)
{
	spin_lock(&r->lock);
	c->published = r->published;
	c->delivered = r->delivered;
	c->dropped = r->dropped;
	c->expired = r->expired;
	c->queued = __vmsig_lane_count(&r->lane[0]) + __vmsig_lane_count(&r->lane[1]);
	spin_unlock(&r->lock);
}

/**
 * vmsig_ring_kill() - the endpoint is gone: wake everybody for EOF/HUP
 * @r: the ring
 */
void vmsig_ring_kill(struct vmsig_ring *r)
{
	spin_lock(&r->lock);
	r->dead = true;
	spin_unlock(&r->lock);
	wake_up_interruptible_poll(&r->wq, EPOLLIN | EPOLLHUP | EPOLLERR);
}
