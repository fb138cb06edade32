/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSIG_RING_H
#define VMSIG_RING_H

#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/vmsig.h>

#define VMSIG_LANES	2

/**
 * struct vmsig_lane - one priority lane: a power-of-two array of records
 * @rec: the records
 * @head: index of the next record to read (free running)
 * @tail: index of the next record to write (free running)
 * @unreported: records dropped since the last VMSIG_EV_DROPPED of the lane
 */
struct vmsig_lane {
	struct vmsig_event *rec;
	u32 head;
	u32 tail;
	u64 unreported;
};

/**
 * struct vmsig_ring - the event ring of one subscriber file
 * @lock: protects the lanes, the counters, @size and @dead
 * @read_mutex: serializes readers (and resizes) so a read can copy records
 *	out without the spinlock and commit them only once they landed
 * @wq: readers and pollers
 * @size: records per lane
 * @lane: high lane first (VMSIG_PRIO_HIGH), then normal
 * @ep_id: endpoint id, for the DROPPED records the ring makes
 * @dead: the endpoint is gone: drain, then EOF and EPOLLHUP
 * @published: see &struct vmsig_counters
 * @delivered: see &struct vmsig_counters
 * @dropped: see &struct vmsig_counters
 * @expired: see &struct vmsig_counters
 */
struct vmsig_ring {
	spinlock_t lock; /* protects lane[], counters, size, dead */
	struct mutex read_mutex; /* serializes readers and resizes */
	wait_queue_head_t wq;
	u32 size;
	struct vmsig_lane lane[VMSIG_LANES];
	u32 ep_id;
	bool dead;
	u64 published;
	u64 delivered;
	u64 dropped;
	u64 expired;
};

int vmsig_ring_init(struct vmsig_ring *r, u32 ep_id);
void vmsig_ring_free(struct vmsig_ring *r);
int vmsig_ring_push(struct vmsig_ring *r, const struct vmsig_event *ev,
		    bool must_fit);
ssize_t vmsig_ring_read(struct vmsig_ring *r, char __user *buf, size_t count,
			bool nonblock);
__poll_t vmsig_ring_poll(struct vmsig_ring *r, struct file *file,
			 poll_table *pt);
int vmsig_ring_resize(struct vmsig_ring *r, u32 size);
u32 vmsig_ring_size(struct vmsig_ring *r);
void vmsig_ring_counters(struct vmsig_ring *r, struct vmsig_counters *c);
void vmsig_ring_kill(struct vmsig_ring *r);

#endif /* VMSIG_RING_H */
