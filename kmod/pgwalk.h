/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSIG_PGWALK_H
#define VMSIG_PGWALK_H

#include <linux/types.h>

/**
 * typedef vmsig_read_pte_fn - read one 64-bit page-table entry
 * @ctx: the caller's context
 * @gpa: guest-physical address of the entry (8-byte aligned)
 * @pte: the entry
 *
 * Return: 0 or a negative errno, which the walk returns as is.
 */
typedef int (*vmsig_read_pte_fn)(void *ctx, u64 gpa, u64 *pte);

/* Where walks of one 2 MiB region of guest-virtual space end up. */
#define VMSIG_STEP_NONE		0
#define VMSIG_STEP_TABLE	1	/* @addr: the level-1 table (PT) */
#define VMSIG_STEP_LEAF		2	/* @addr: the 2 MiB of guest RAM */

/**
 * struct vmsig_walk_step - the upper part of a walk, for reuse
 * @region: gva >> 21 of the walk that made it
 * @addr: see @kind
 * @kind: VMSIG_STEP_*
 *
 * Every address of a 2 MiB region shares the walk down to the PD entry, so
 * finishing a walk from here needs one read (a PT entry) or none (a large
 * page), instead of four or five.
 */
struct vmsig_walk_step {
	u64 region;
	u64 addr;
	u32 kind;
};

int vmsig_pgwalk(u64 root, u32 mode, u64 gva, vmsig_read_pte_fn read_pte,
		 void *ctx, u64 *gpa, struct vmsig_walk_step *step);
int vmsig_pgwalk_from(const struct vmsig_walk_step *step, u64 gva,
		      vmsig_read_pte_fn read_pte, void *ctx, u64 *gpa);

#endif /* VMSIG_PGWALK_H */
