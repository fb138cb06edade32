// SPDX-License-Identifier: GPL-2.0
/*
 * MEMWRITE: one fenced, all-or-nothing write of guest memory.
 *
 * Never a writable mapping: the module writes on the caller's behalf, under
 * the memwrite lease, in this order:
 *
 * 1. copy the caller's bytes into the kernel (faults happen here, before
 *    any lock);
 * 2. take ep->lease_lock and check the token: the same lock ends leases,
 *    so no revoke can slip between the check and the write;
 * 3. resolve and pin every page of the range *for writing* (FOLL_WRITE in
 *    the VMM's mm breaks copy-on-write and KSM sharing first, so a write
 *    never lands in a page another process or VM shares); any failure here
 *    writes nothing;
 * 4. write: an aligned 1/2/4/8-byte write is one store, a CAS one cmpxchg,
 *    both single accesses a running vCPU sees whole;
 * 5. mark every written page dirty in KVM's dirty bitmap (after the bytes
 *    landed), so live migration cannot lose the write.
 *
 * Lock order: ep->lease_lock, then ep->lock (memctx snapshot), then the
 * backend's (kvm->srcu, the VMM's mmap lock), then ep->ev_lock (events).
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/vmsig.h>

#include "audit.h"
#include "endpoint.h"
#include "events.h"
#include "lease.h"
#include "mem.h"
#include "memctx.h"
#include "uarg.h"

/* Pages a write of VMSIG_MEMWRITE_MAX bytes can touch. */
#define VMSIG_MEMWRITE_PAGES	(VMSIG_MEMWRITE_MAX / PAGE_SIZE + 1)

/**
 * struct vmsig_wpage - one page of a write, resolved and pinned
 * @page: the page, referenced for writing
 * @gpa: guest-physical address of the first byte written in it
 * @len: bytes written in it
 */
struct vmsig_wpage {
	struct page *page;
	u64 gpa;
	u32 len;
};

static int vmsig_write_args(const struct vmsig_mem_write *w)
{
	bool cas = w->flags & VMSIG_WRITE_CAS;

	if (w->reserved0 || w->reserved1 || w->old || w->swapped ||
	    memchr_inv(w->reserved, 0, sizeof(w->reserved)))
		return -EINVAL;
	if (!w->len || w->len > VMSIG_MEMWRITE_MAX)
		return -EINVAL;
	if (w->addr + w->len - 1 < w->addr)
		return -EINVAL;
	if (!cas)
		return w->expect || w->value ? -EINVAL : 0;
	/* CAS: one naturally aligned word, so it lies in one page. */
	if (w->buf || !is_power_of_2(w->len) || w->len > 8 ||
	    (w->addr & (w->len - 1)))
		return -EINVAL;
	if (w->len < 8 && ((w->expect | w->value) >> (8 * w->len)))
		return -EINVAL;
	return 0;
}

/* Resolve and pin every page of the range; nothing is written yet. */
static int vmsig_write_resolve(struct vmsig_mem_session *s,
			       struct vmsig_xlate *x,
			       const struct vmsig_mem_write *w,
			       struct vmsig_wpage *pg, unsigned int *npg)
{
	u64 addr = w->addr;
	u32 left = w->len;
	int err;

	*npg = 0;
	while (left) {
		u32 chunk = min_t(u64, left, PAGE_SIZE - offset_in_page(addr));
		struct vmsig_wpage *p = &pg[*npg];

		p->gpa = addr;
		if (w->flags & VMSIG_WRITE_VIRT) {
			err = vmsig_translate(s, x, addr, &p->gpa);
			if (err)
				return err;
		}
		err = s->ep->ops->get_page(s, p->gpa, true, &p->page);
		if (err)
			return err;
		p->len = chunk;
		(*npg)++;
		addr += chunk;
		left -= chunk;
	}
	return 0;
}

/* A single store of 1, 2, 4 or 8 bytes: what the guest sees is all or none. */
static void vmsig_store(void *dst, const void *src, u32 len)
{
	union {
		u8 b;
		u16 h;
		u32 w;
		u64 q;
	} v;

	memcpy(&v, src, len);
	switch (len) {
	case 1:
		WRITE_ONCE(*(u8 *)dst, v.b);
		break;
	case 2:
		WRITE_ONCE(*(u16 *)dst, v.h);
		break;
	case 4:
		WRITE_ONCE(*(u32 *)dst, v.w);
		break;
	default:
		WRITE_ONCE(*(u64 *)dst, v.q);
	}
}

static bool vmsig_single_store(u64 gpa, u32 len)
{
	return (len == 1 || len == 2 || len == 4 || len == 8) &&
	       !(gpa & (len - 1));
}

/* Compare-and-swap one naturally aligned word; returns the old value. */
static u64 vmsig_cas(void *p, u32 len, u64 expect, u64 value)
{
	switch (len) {
	case 1:
		return cmpxchg((u8 *)p, (u8)expect, (u8)value);
	case 2:
		return cmpxchg((u16 *)p, (u16)expect, (u16)value);
	case 4:
		return cmpxchg((u32 *)p, (u32)expect, (u32)value);
	default:
		return cmpxchg((u64 *)p, expect, value);
	}
}

static void vmsig_write_pages(struct vmsig_mem_session *s,
			      struct vmsig_wpage *pg, unsigned int npg,
			      struct vmsig_mem_write *w, const u8 *src)
{
	unsigned int i;

	for (i = 0; i < npg; i++) {
		void *kaddr = kmap_local_page(pg[i].page);
		void *dst = kaddr + offset_in_page(pg[i].gpa);
		bool wrote = true;

		if (w->flags & VMSIG_WRITE_CAS) {
			w->old = vmsig_cas(dst, w->len, w->expect, w->value);
			w->swapped = w->old == w->expect;
			wrote = w->swapped;
		} else if (npg == 1 && vmsig_single_store(pg[i].gpa, pg[i].len)) {
			vmsig_store(dst, src, pg[i].len);
		} else {
			memcpy(dst, src, pg[i].len);
		}
		kunmap_local(kaddr);
		src += pg[i].len;
		if (!wrote)
			continue;
		set_page_dirty_lock(pg[i].page);
		if (s->ep->ops->mark_dirty)
			s->ep->ops->mark_dirty(s, pg[i].gpa);
	}
}

static void vmsig_write_record(struct vmsig_endpoint *ep,
			       const struct vmsig_mem_write *w, int err)
{
	struct vmsig_audit_rec rec = {
		.what = VMSIG_AUDIT_MEMWRITE, .result = err, .ep_id = ep->id,
		.lease_class = VMSIG_LEASE_MEMWRITE, .token = w->token,
		.addr = w->addr, .len = w->len,
	};
	struct vmsig_event ev = {
		.type = VMSIG_EV_MEMWRITE, .dir = VMSIG_DIR_UP,
		.source = VMSIG_SRC_KERNEL, .aux = err, .corr = w->token,
	};

	ev.payload.u64[0] = w->addr;
	ev.payload.u32[2] = w->len;
	ev.payload.u32[3] = w->flags;
	vmsig_events_publish_kernel(ep, &ev);
	vmsig_audit(&rec);
}

static int __vmsig_mem_write(struct vmsig_epfile *f, struct vmsig_mem_write *w,
			     const u8 *src)
{
	struct vmsig_endpoint *ep = f->ep;
	struct vmsig_wpage pg[VMSIG_MEMWRITE_PAGES];
	struct vmsig_mem_session s;
	struct vmsig_xlate x;
	unsigned int npg = 0, i;
	int err;

	lockdep_assert_held(&ep->lease_lock);
	err = __vmsig_lease_check(f, VMSIG_LEASE_MEMWRITE, w->token);
	if (err)
		return err;
	vmsig_memctx_snapshot(ep, &x, true);
	if ((w->flags & VMSIG_WRITE_EPOCH) && w->epoch != x.epoch)
		return -ESTALE;
	err = vmsig_mem_begin(ep, &s);
	if (err)
		return err;
	err = vmsig_write_resolve(&s, &x, w, pg, &npg);
	if (!err)
		vmsig_write_pages(&s, pg, npg, w, src);
	for (i = 0; i < npg; i++)
		put_page(pg[i].page);
	vmsig_mem_end(&s);
	return err;
}

/**
 * vmsig_ioc_mem_write() - VMSIG_IOC_MEM_WRITE
 * @file: an endpoint file with VMSIG_RIGHT_MEM_WRITE (checked by the table)
 * @arg: &struct vmsig_mem_write
 * @u: unused
 *
 * Return: 0 or a negative errno (see the uapi).
 */
long vmsig_ioc_mem_write(struct file *file, void *arg,
			 const struct vmsig_uarg *u)
{
	struct vmsig_epfile *f = file->private_data;
	struct vmsig_endpoint *ep = f->ep;
	struct vmsig_mem_write *w = arg;
	u8 small[16], *src = NULL;
	int err;

	err = vmsig_write_args(w);
	if (err)
		return err;
	if (!ep->ops)
		return -EOPNOTSUPP;
	/* Most writes are a word or two: no allocation for those. */
	if (!(w->flags & VMSIG_WRITE_CAS) && w->len <= sizeof(small)) {
		if (copy_from_user(small, u64_to_user_ptr(w->buf), w->len))
			return -EFAULT;
		src = small;
	} else if (!(w->flags & VMSIG_WRITE_CAS)) {
		src = vmemdup_user(u64_to_user_ptr(w->buf), w->len);
		if (IS_ERR(src))
			return PTR_ERR(src);
	}
	mutex_lock(&ep->lease_lock);
	err = __vmsig_mem_write(f, w, src);
	vmsig_write_record(ep, w, err);
	mutex_unlock(&ep->lease_lock);
	if (src != small)
		kvfree(src);
	return err;
}
