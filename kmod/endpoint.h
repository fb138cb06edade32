/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSIG_ENDPOINT_H
#define VMSIG_ENDPOINT_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <uapi/linux/vmsig.h>

#include "lease.h"
#include "ring.h"
#include "tlb.h"

/* Retained (source, type) slots per endpoint, and those kept for the kernel. */
#define VMSIG_RETAIN_MAX	16
#define VMSIG_RETAIN_KERNEL	1	/* VMSIG_EV_MEMCTX */
/* DOWN events in flight per endpoint, waiting for their ACK. */
#define VMSIG_INFLIGHT_MAX	1024
#define VMSIG_INFLIGHT_HASH_BITS	6

struct vmsig_backend_ops;
struct vmsig_uarg;

/**
 * struct vmsig_memctx_state - the retained address-space context
 * @root: top-level page table, guest-physical (CR3 bits 51:12)
 * @mode: &enum vmsig_paging, 0 when there is no memctx
 * @epoch: bumped by every set and invalidate; starts at 0
 */
struct vmsig_memctx_state {
	u64 root;
	u32 mode;
	u64 epoch;
};

/**
 * struct vmsig_endpoint - one attached VM
 * @ref: one reference per endpoint file, plus transient lookups
 * @id: small integer id, unique while the endpoint exists
 * @backend: &enum vmsig_backend
 * @ops: how guest memory is reached; NULL for the none backend
 * @priv: the backend's state (a struct kvm, a RAM file, ...)
 * @lock: protects @memctx
 * @memctx: the current memctx, retained until the next set or invalidate
 * @tlb: cached virtual-to-physical translations, tagged by epoch
 * @ev_lock: protects everything below: the event state of the endpoint
 * @subs: the endpoint's files (&struct vmsig_epfile.node)
 * @seq: last sequence number given to an event
 * @dead: the VMM is gone; new files start dead, writes fail
 * @retained: latest event of each retained (source, type), in seq order
 * @nretained: used entries of @retained
 * @sink: the file bound as sink of each source, or NULL
 * @inflight: DOWN events waiting for their ACK, hashed by kernel corr
 * @ninflight: entries in @inflight
 * @next_corr: last kernel correlation id handed out
 * @lease_lock: protects @lease; held across every lease-checked action
 * @lease_wq: waiters for a lease
 * @lease: one slot per &enum vmsig_lease_class
 * @rcu: frees the endpoint after lookups by id are done with it
 */
struct vmsig_endpoint {
	struct kref ref;
	u32 id;
	u32 backend;
	const struct vmsig_backend_ops *ops;
	void *priv;
	struct mutex lock; /* protects memctx */
	struct vmsig_memctx_state memctx;
	struct vmsig_tlb tlb;

	spinlock_t ev_lock; /* protects subs .. next_corr */
	struct list_head subs;
	u64 seq;
	bool dead;
	struct vmsig_event retained[VMSIG_RETAIN_MAX];
	u32 nretained;
	struct vmsig_epfile *sink[VMSIG_SRC_MAX];
	struct hlist_head inflight[1 << VMSIG_INFLIGHT_HASH_BITS];
	u32 ninflight;
	u64 next_corr;

	struct mutex lease_lock; /* protects lease[] */
	wait_queue_head_t lease_wq;
	struct vmsig_lease_slot lease[VMSIG_LEASE_CLASSES];
	struct rcu_head rcu;
};

/**
 * struct vmsig_epfile - one endpoint file: a subscriber
 * @ep: the endpoint (holds a reference)
 * @node: in @ep->subs, under @ep->ev_lock
 * @sources: subscribed UP sources (bit per &enum vmsig_source), ev_lock
 * @kernel_types: subscribed kernel event types (bit per type), ev_lock
 * @rights: VMSIG_RIGHT_* bits, fixed when the file is made
 * @ring: the file's events
 */
struct vmsig_epfile {
	struct vmsig_endpoint *ep;
	u64 rights;
	struct list_head node;
	u64 sources;
	u64 kernel_types;
	struct vmsig_ring ring;
};

long vmsig_ioc_attach(struct file *file, void *arg, const struct vmsig_uarg *u);
long vmsig_ioc_open_ep(struct file *file, void *arg, const struct vmsig_uarg *u);
struct vmsig_endpoint *vmsig_endpoint_next(unsigned long *id);
u32 vmsig_endpoint_nsubs(struct vmsig_endpoint *ep);
u64 vmsig_endpoint_ioctl_mask(void);
void vmsig_endpoint_put(struct vmsig_endpoint *ep);

/* The endpoint behind an endpoint file's ioctl. */
static inline struct vmsig_endpoint *vmsig_file_ep(struct file *file)
{
	return ((struct vmsig_epfile *)file->private_data)->ep;
}

#endif /* VMSIG_ENDPOINT_H */
