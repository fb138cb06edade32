/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small direct-mapped cache of guest virtual-to-physical translations.
 * Entries are tagged with the memctx epoch they were made in, so bumping the
 * epoch flushes the cache without touching it.
 */
#ifndef VMSIG_TLB_H
#define VMSIG_TLB_H

#include <linux/spinlock.h>
#include <linux/types.h>

#define VMSIG_TLB_ENTRIES	64

/**
 * struct vmsig_tlb_entry - one cached translation of a 4 KiB page
 * @epoch: epoch the translation was made in; 0 never matches
 * @vpn: guest-virtual page number
 * @pfn: guest-physical frame number
 */
struct vmsig_tlb_entry {
	u64 epoch;
	u64 vpn;
	u64 pfn;
};

/**
 * struct vmsig_tlb - translation cache of one endpoint
 * @lock: protects @ent
 * @ent: the entries, indexed by vpn modulo VMSIG_TLB_ENTRIES
 */
struct vmsig_tlb {
	spinlock_t lock; /* protects ent[] */
	struct vmsig_tlb_entry ent[VMSIG_TLB_ENTRIES];
};

void vmsig_tlb_init(struct vmsig_tlb *tlb);
bool vmsig_tlb_lookup(struct vmsig_tlb *tlb, u64 epoch, u64 vpn, u64 *pfn);
void vmsig_tlb_insert(struct vmsig_tlb *tlb, u64 epoch, u64 vpn, u64 pfn);

#endif /* VMSIG_TLB_H */
