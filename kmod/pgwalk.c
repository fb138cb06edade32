// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64 guest page-table walk (4-level and 5-level paging, 4 KiB, 2 MiB and
 * 1 GiB pages), done in software from guest memory.  It answers "where does
 * this virtual address live" and nothing else: access rights (R/W, U/S, NX)
 * are not checked because vmsig reads on behalf of a host program, not of
 * guest code.
 *
 * Locking: none; the caller's read_pte does the memory access.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <uapi/linux/vmsig.h>

#include "pgwalk.h"

#define PTE_PRESENT	BIT_ULL(0)
#define PTE_PS		BIT_ULL(7)
/* Bits 51:12 of an entry hold the next table or the 4 KiB frame. */
#define PTE_ADDR_MASK	GENMASK_ULL(51, 12)

/*
 * Bits that must be zero in a large-page entry between the PAT bit (12) and
 * the frame address: 20:13 for 2 MiB pages, 29:13 for 1 GiB pages.
 */
static u64 vmsig_large_rsvd(int level)
{
	return level == 2 ? GENMASK_ULL(20, 13) : GENMASK_ULL(29, 13);
}

static bool vmsig_canonical(u64 gva, int levels)
{
	int bits = 12 + 9 * levels;

	/* Bits 63:bits-1 must all equal bit bits-1. */
	return ((s64)(gva << (64 - bits)) >> (64 - bits)) == (s64)gva;
}

/**
 * vmsig_pgwalk() - translate a guest-virtual address
 * @root: guest CR3; bits 51:12 locate the top-level table
 * @mode: &enum vmsig_paging
 * @gva: the guest-virtual address
 * @read_pte: reads one page-table entry from guest memory
 * @ctx: passed to @read_pte
 * @gpa: the guest-physical address of @gva on success
 * @step: if not NULL, set to where the walk of @gva's 2 MiB region ends
 *	(kind VMSIG_STEP_NONE when the walk failed above the PT)
 *
 * Return: 0; -EINVAL for a non-canonical address or unknown mode; -ENXIO
 * when an entry on the walk is not present; -EIO when an entry has
 * reserved bits set (PS in the top levels, or the reserved bits of a large
 * page); or the error of @read_pte.
 */
int vmsig_pgwalk(u64 root, u32 mode, u64 gva, vmsig_read_pte_fn read_pte,
		 void *ctx, u64 *gpa, struct vmsig_walk_step *step)
{
	struct vmsig_walk_step none;
	int levels, level, err;
	u64 table, pte = 0;

	if (!step)
		step = &none;
	step->kind = VMSIG_STEP_NONE;
	step->region = gva >> 21;

	switch (mode) {
	case VMSIG_PAGING_X86_64_4LEVEL:
		levels = 4;
		break;
	case VMSIG_PAGING_X86_64_5LEVEL:
		levels = 5;
		break;
	default:
		return -EINVAL;
	}
	if (!vmsig_canonical(gva, levels))
		return -EINVAL;

	table = root & PTE_ADDR_MASK;
	for (level = levels; level >= 1; level--) {
		int shift = 12 + 9 * (level - 1);
		u64 idx = (gva >> shift) & 511;

		err = read_pte(ctx, table + idx * 8, &pte);
		if (err)
			return err;
		if (!(pte & PTE_PRESENT))
			return -ENXIO;
		if (level == 1)
			break;
		if (pte & PTE_PS) {
			/* Large pages exist only at the PDPT (1G) and PD (2M). */
			if (level > 3)
				return -EIO;
			if (pte & vmsig_large_rsvd(level))
				return -EIO;
			*gpa = (pte & PTE_ADDR_MASK & ~GENMASK_ULL(shift - 1, 0)) |
			       (gva & GENMASK_ULL(shift - 1, 0));
			step->kind = VMSIG_STEP_LEAF;
			step->addr = *gpa & ~GENMASK_ULL(20, 0);
			return 0;
		}
		table = pte & PTE_ADDR_MASK;
		if (level == 2) {
			step->kind = VMSIG_STEP_TABLE;
			step->addr = table;
		}
	}
	*gpa = (pte & PTE_ADDR_MASK) | (gva & GENMASK_ULL(11, 0));
	return 0;
}

/**
 * vmsig_pgwalk_from() - finish a walk from the step of its 2 MiB region
 * @step: made by vmsig_pgwalk() for an address with the same gva >> 21
 * @gva: the guest-virtual address (as canonical as the step's, by region)
 * @read_pte: reads one page-table entry from guest memory
 * @ctx: passed to @read_pte
 * @gpa: the guest-physical address of @gva on success
 *
 * Return: as vmsig_pgwalk(), for the PT entry only.
 */
int vmsig_pgwalk_from(const struct vmsig_walk_step *step, u64 gva,
		      vmsig_read_pte_fn read_pte, void *ctx, u64 *gpa)
{
	u64 pte;
	int err;

	if (step->kind == VMSIG_STEP_LEAF) {
		*gpa = step->addr | (gva & GENMASK_ULL(20, 0));
		return 0;
	}
	err = read_pte(ctx, step->addr + ((gva >> 12) & 511) * 8, &pte);
	if (err)
		return err;
	if (!(pte & PTE_PRESENT))
		return -ENXIO;
	*gpa = (pte & PTE_ADDR_MASK) | (gva & GENMASK_ULL(11, 0));
	return 0;
}
