// SPDX-License-Identifier: GPL-2.0
/*
 * memctx: the address-space context of an endpoint (the guest's page-table
 * root and paging mode), its epoch, and virtual-to-physical translation.
 *
 * The epoch is the contract between the memctx adapter and readers: every
 * set or invalidate bumps it, a batch translates with one snapshot, and a
 * reader that translated pointers in an older epoch can ask for -ESTALE
 * rather than silently read through a stale address space.
 *
 * Lock order: ep->lock, then ep->tlb.lock (never both here: the snapshot
 * is taken under ep->lock, translation runs without it).
 */
#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <uapi/linux/vmsig.h>

#include "endpoint.h"
#include "events.h"
#include "mem.h"
#include "memctx.h"
#include "pgwalk.h"
#include "uarg.h"

/* CR3 bits 51:12 locate the top-level table; the rest is PCID and flags. */
#define VMSIG_CR3_ROOT_MASK	GENMASK_ULL(51, 12)

/**
 * vmsig_memctx_snapshot() - copy the current memctx for one batch
 * @ep: the endpoint
 * @x: the snapshot
 * @use_cache: whether the batch may use the translation cache
 */
void vmsig_memctx_snapshot(struct vmsig_endpoint *ep, struct vmsig_xlate *x,
			   bool use_cache)
{
	mutex_lock(&ep->lock);
	*x = (struct vmsig_xlate) {
		.root = ep->memctx.root,
		.mode = ep->memctx.mode,
		.epoch = ep->memctx.epoch,
		.use_cache = use_cache,
	};
	mutex_unlock(&ep->lock);
}

static int vmsig_walk_read_pte(void *ctx, u64 gpa, u64 *pte)
{
	return vmsig_mem_read_pte(ctx, gpa, pte);
}

/**
 * vmsig_translate() - guest-virtual to guest-physical in a snapshot
 * @s: an active memory session
 * @x: the batch's memctx snapshot; remembers the upper parts of its walks
 * @gva: guest-virtual address
 * @gpa: the guest-physical address on success
 *
 * Return: 0, -ENODATA without memctx, or the walk's error (see
 * vmsig_pgwalk()).
 */
int vmsig_translate(struct vmsig_mem_session *s, struct vmsig_xlate *x,
		    u64 gva, u64 *gpa)
{
	struct vmsig_walk_step *step = &x->steps[(gva >> 21) % VMSIG_XLATE_STEPS];
	struct vmsig_tlb *tlb = &s->ep->tlb;
	u64 vpn = gva >> PAGE_SHIFT, pfn;
	int err;

	if (!x->mode)
		return -ENODATA;
	if (x->use_cache && vmsig_tlb_lookup(tlb, x->epoch, vpn, &pfn)) {
		*gpa = (pfn << PAGE_SHIFT) | offset_in_page(gva);
		return 0;
	}
	if (step->kind != VMSIG_STEP_NONE && step->region == gva >> 21)
		err = vmsig_pgwalk_from(step, gva, vmsig_walk_read_pte, s, gpa);
	else
		err = vmsig_pgwalk(x->root, x->mode, gva, vmsig_walk_read_pte, s,
				   gpa, step);
	if (err)
		return err;
	if (x->use_cache)
		vmsig_tlb_insert(tlb, x->epoch, vpn, *gpa >> PAGE_SHIFT);
	return 0;
}

/*
 * Install a new memctx (mode 0: none), bump the epoch and announce it with
 * a retained VMSIG_EV_MEMCTX, so late subscribers read it first.  Publishing
 * under ep->lock keeps the events in epoch order.
 */
static u64 __vmsig_memctx_replace(struct vmsig_endpoint *ep, u64 root, u32 mode)
{
	lockdep_assert_held(&ep->lock);
	ep->memctx.root = root;
	ep->memctx.mode = mode;
	/* Tagged entries of older epochs stop matching: this is the flush. */
	ep->memctx.epoch++;
	vmsig_events_kernel(ep, VMSIG_EV_MEMCTX, VMSIG_SRC_MEMCTX, mode, root,
			    ep->memctx.epoch, true);
	return ep->memctx.epoch;
}

static int vmsig_memctx_check(struct vmsig_endpoint *ep,
			      const struct vmsig_memctx *mc)
{
	if (mc->reserved0 || memchr_inv(mc->reserved, 0, sizeof(mc->reserved)))
		return -EINVAL;
	if (!ep->ops)
		return -EOPNOTSUPP;
	return 0;
}

/*
 * Install a new memctx once the checks every setter shares passed and
 * @valid, the setter's own check, holds.
 */
static long vmsig_memctx_install(struct file *file, struct vmsig_memctx *mc,
				 bool valid, u64 root, u32 mode)
{
	struct vmsig_endpoint *ep = vmsig_file_ep(file);
	int err = vmsig_memctx_check(ep, mc);

	if (err)
		return err;
	if (!valid)
		return -EINVAL;
	mutex_lock(&ep->lock);
	mc->epoch = __vmsig_memctx_replace(ep, root, mode);
	mutex_unlock(&ep->lock);
	return 0;
}

/**
 * vmsig_ioc_set_memctx() - VMSIG_IOC_SET_MEMCTX
 * @file: an endpoint file
 * @arg: &struct vmsig_memctx
 * @u: unused
 *
 * Return: 0 or a negative errno (see the uapi).
 */
long vmsig_ioc_set_memctx(struct file *file, void *arg,
			  const struct vmsig_uarg *u)
{
	struct vmsig_memctx *mc = arg;

	return vmsig_memctx_install(file, mc,
				    mc->mode == VMSIG_PAGING_X86_64_4LEVEL ||
				    mc->mode == VMSIG_PAGING_X86_64_5LEVEL,
				    mc->root & VMSIG_CR3_ROOT_MASK, mc->mode);
}

/**
 * vmsig_ioc_get_memctx() - VMSIG_IOC_GET_MEMCTX
 * @file: an endpoint file
 * @arg: &struct vmsig_memctx
 * @u: unused
 *
 * Return: 0 or a negative errno (see the uapi).
 */
long vmsig_ioc_get_memctx(struct file *file, void *arg,
			  const struct vmsig_uarg *u)
{
	struct vmsig_endpoint *ep = vmsig_file_ep(file);
	struct vmsig_memctx *mc = arg;

	if (mc->reserved0 || memchr_inv(mc->reserved, 0, sizeof(mc->reserved)))
		return -EINVAL;
	mutex_lock(&ep->lock);
	mc->root = ep->memctx.root;
	mc->mode = ep->memctx.mode;
	mc->epoch = ep->memctx.epoch;
	mutex_unlock(&ep->lock);
	return 0;
}

/**
 * vmsig_ioc_invalidate_memctx() - VMSIG_IOC_INVALIDATE_MEMCTX
 * @file: an endpoint file
 * @arg: &struct vmsig_memctx; @root and @mode must be zero
 * @u: unused
 *
 * Return: 0 or a negative errno (see the uapi).
 */
long vmsig_ioc_invalidate_memctx(struct file *file, void *arg,
				 const struct vmsig_uarg *u)
{
	struct vmsig_memctx *mc = arg;

	return vmsig_memctx_install(file, mc, !mc->root && !mc->mode, 0, 0);
}
