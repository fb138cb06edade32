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

int vmsig_pgwalk(u64 root, u32 mode, u64 gva, vmsig_read_pte_fn read_pte,
		 void *ctx, u64 *gpa);

#endif /* VMSIG_PGWALK_H */
