/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSIG_MEMCTX_H
#define VMSIG_MEMCTX_H

#include <linux/types.h>

#include "pgwalk.h"

/* Walk steps one batch remembers, direct-mapped by 2 MiB region. */
#define VMSIG_XLATE_STEPS	16

struct file;
struct vmsig_endpoint;
struct vmsig_mem_session;
struct vmsig_uarg;

/**
 * struct vmsig_xlate - a memctx snapshot one batch translates with
 * @root: page-table root
 * @mode: paging mode, 0 without memctx
 * @epoch: the epoch of the snapshot
 * @use_cache: consult and fill the endpoint's translation cache
 * @steps: upper parts of this batch's walks; they live as long as the
 *	batch, which translates with one snapshot, so they need no epoch
 */
struct vmsig_xlate {
	u64 root;
	u32 mode;
	u64 epoch;
	bool use_cache;
	struct vmsig_walk_step steps[VMSIG_XLATE_STEPS];
};

void vmsig_memctx_snapshot(struct vmsig_endpoint *ep, struct vmsig_xlate *x,
			   bool use_cache);
int vmsig_translate(struct vmsig_mem_session *s, struct vmsig_xlate *x,
		    u64 gva, u64 *gpa);

long vmsig_ioc_set_memctx(struct file *file, void *arg,
			  const struct vmsig_uarg *u);
long vmsig_ioc_get_memctx(struct file *file, void *arg,
			  const struct vmsig_uarg *u);
long vmsig_ioc_invalidate_memctx(struct file *file, void *arg,
				 const struct vmsig_uarg *u);

#endif /* VMSIG_MEMCTX_H */
