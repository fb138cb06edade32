/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSIG_ENDPOINT_H
#define VMSIG_ENDPOINT_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "tlb.h"

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
};

/**
 * struct vmsig_epfile - the private data of one endpoint file
 * @ep: the endpoint (holds a reference)
 */
struct vmsig_epfile {
	struct vmsig_endpoint *ep;
};

long vmsig_ioc_attach(struct file *file, void *arg, const struct vmsig_uarg *u);
u64 vmsig_endpoint_ioctl_mask(void);
void vmsig_endpoint_put(struct vmsig_endpoint *ep);

/* The endpoint behind an endpoint file's ioctl. */
static inline struct vmsig_endpoint *vmsig_file_ep(struct file *file)
{
	return ((struct vmsig_epfile *)file->private_data)->ep;
}

#endif /* VMSIG_ENDPOINT_H */
