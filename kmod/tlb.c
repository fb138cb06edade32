// SPDX-License-Identifier: GPL-2.0
/*
 * Translation cache.  Lock order: tlb->lock is a leaf; nothing is taken
 * under it.
 */
#include <linux/string.h>

#include "tlb.h"

/**
 * vmsig_tlb_init() - start with an empty cache
 * @tlb: the cache
 */
void vmsig_tlb_init(struct vmsig_tlb *tlb)
{
	spin_lock_init(&tlb->lock);
	memset(tlb->ent, 0, sizeof(tlb->ent));
}

/**
 * vmsig_tlb_lookup() - find a translation made in @epoch
 * @tlb: the cache
 * @epoch: the epoch the caller translates for
 * @vpn: guest-virtual page number
 * @pfn: set to the guest-physical frame number on a hit
 *
 * Return: true on a hit.
 */
bool vmsig_tlb_lookup(struct vmsig_tlb *tlb, u64 epoch, u64 vpn, u64 *pfn)
{
	struct vmsig_tlb_entry *e = &tlb->ent[vpn % VMSIG_TLB_ENTRIES];
	bool hit;

	spin_lock(&tlb->lock);
	hit = e->epoch == epoch && e->vpn == vpn;
	if (hit)
		*pfn = e->pfn;
	spin_unlock(&tlb->lock);
	return hit;
}

/**
 * vmsig_tlb_insert() - remember a translation made in @epoch
 * @tlb: the cache
 * @epoch: the epoch of the memctx the walk used
 * @vpn: guest-virtual page number
 * @pfn: guest-physical frame number
 */
void vmsig_tlb_insert(struct vmsig_tlb *tlb, u64 epoch, u64 vpn, u64 pfn)
{
	struct vmsig_tlb_entry *e = &tlb->ent[vpn % VMSIG_TLB_ENTRIES];

	spin_lock(&tlb->lock);
	e->epoch = epoch;
	e->vpn = vpn;
	e->pfn = pfn;
	spin_unlock(&tlb->lock);
}
