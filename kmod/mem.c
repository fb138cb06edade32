// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory reads, batched.
 *
 * KVM's own guest-access helpers copy through the *current* process's
 * address space; called from a control process they would read the
 * control's memory.  vmsig never uses them: the backend resolves a guest
 * address to a page of the VMM's address space (or of the RAM file), the
 * page is referenced, and the bytes are copied from a kernel mapping of it.
 * No lock is held while copying to the caller, and no page stays referenced
 * after the copy, so a caller that faults on its own buffer (even one that
 * is the VMM itself) cannot deadlock against the VMM's mmap lock.
 *
 * Locking: none of its own; the backend takes the VM's SRCU and the VMM's
 * mmap lock around each page lookup.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/vmsig.h>

#include "endpoint.h"
#include "mem.h"
#include "memctx.h"
#include "uarg.h"

/**
 * vmsig_mem_begin() - start a batch of accesses to an endpoint's memory
 * @ep: the endpoint
 * @s: session state, filled here
 *
 * Return: 0, -EOPNOTSUPP without guest memory, -ESRCH when it is gone.
 */
int vmsig_mem_begin(struct vmsig_endpoint *ep, struct vmsig_mem_session *s)
{
	*s = (struct vmsig_mem_session) { .ep = ep };
	if (!ep->ops)
		return -EOPNOTSUPP;
	return ep->ops->begin(ep, s);
}

/**
 * vmsig_mem_end() - end a session started by vmsig_mem_begin()
 * @s: the session
 */
void vmsig_mem_end(struct vmsig_mem_session *s)
{
	s->ep->ops->end(s);
}

/**
 * vmsig_mem_read_pte() - read one naturally aligned 64-bit guest word
 * @s: an active session
 * @gpa: guest-physical address, 8-byte aligned
 * @pte: the value, read with a single load
 *
 * Return: 0 or the backend's error (-EFAULT when no memory backs @gpa).
 */
int vmsig_mem_read_pte(struct vmsig_mem_session *s, u64 gpa, u64 *pte)
{
	struct page *page;
	void *kaddr;
	int err;

	err = s->ep->ops->get_page(s, gpa, false, &page);
	if (err)
		return err;
	kaddr = kmap_local_page(page);
	*pte = READ_ONCE(*(u64 *)(kaddr + offset_in_page(gpa)));
	kunmap_local(kaddr);
	put_page(page);
	return 0;
}

/* Copy @len guest bytes at @addr to @buf, one page at a time. */
static int vmsig_read_range(struct vmsig_mem_session *s,
			    struct vmsig_xlate *x, u64 addr, bool virt,
			    u8 __user *buf, u32 len)
{
	while (len) {
		u32 chunk = min_t(u64, len, PAGE_SIZE - offset_in_page(addr));
		struct page *page;
		unsigned long left;
		void *kaddr;
		u64 gpa = addr;
		int err;

		if (virt) {
			err = vmsig_translate(s, x, addr, &gpa);
			if (err)
				return err;
		}
		err = s->ep->ops->get_page(s, gpa, false, &page);
		if (err)
			return err;
		kaddr = kmap_local_page(page);
		left = copy_to_user(buf, kaddr + offset_in_page(gpa), chunk);
		kunmap_local(kaddr);
		put_page(page);
		if (left)
			return -EFAULT;
		addr += chunk;
		buf += chunk;
		len -= chunk;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/* Per-entry checks that need no memory access. */
static int vmsig_entry_check(const struct vmsig_mem_entry *e)
{
	if ((e->flags & ~VMSIG_MEM_VIRT) || e->reserved)
		return -EINVAL;
	if (e->len > VMSIG_MEM_MAX_LEN)
		return -E2BIG;
	if (e->len && e->addr + e->len - 1 < e->addr)
		return -EOVERFLOW;
	return 0;
}

/**
 * vmsig_ioc_mem_read() - VMSIG_IOC_MEM_READ
 * @file: an endpoint file
 * @arg: &struct vmsig_mem_read
 * @u: unused
 *
 * The entry array is copied in once, so the lengths checked against the
 * batch limit are the lengths read; only the statuses are written back.
 *
 * Return: 0 or a negative errno of the ioctl (see the uapi).
 */
long vmsig_ioc_mem_read(struct file *file, void *arg, const struct vmsig_uarg *u)
{
	struct vmsig_endpoint *ep = vmsig_file_ep(file);
	struct vmsig_mem_read *rd = arg;
	struct vmsig_mem_entry __user *uent = u64_to_user_ptr(rd->entries);
	struct vmsig_mem_session s;
	struct vmsig_mem_entry *ent;
	struct vmsig_xlate x;
	u64 total = 0;
	long ret = 0;
	int sret;
	u32 i;

	if (memchr_inv(rd->reserved, 0, sizeof(rd->reserved)) || rd->done)
		return -EINVAL;
	if (!ep->ops)
		return -EOPNOTSUPP;
	if (rd->count > VMSIG_MEM_MAX_ENTRIES)
		return -E2BIG;
	vmsig_memctx_snapshot(ep, &x, !(rd->flags & VMSIG_READ_NOCACHE));
	if ((rd->flags & VMSIG_READ_EPOCH) && rd->epoch != x.epoch)
		return -ESTALE;
	rd->epoch = x.epoch;
	if (!rd->count)
		return 0;

	ent = kvmalloc_array(rd->count, sizeof(*ent), GFP_KERNEL_ACCOUNT);
	if (!ent)
		return -ENOMEM;
	if (copy_from_user(ent, uent, array_size(rd->count, sizeof(*ent)))) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < rd->count; i++)
		total += ent[i].len;
	if (total > VMSIG_MEM_MAX_TOTAL) {
		ret = -E2BIG;
		goto out;
	}

	/* A session that cannot start fails every entry, not the call. */
	sret = vmsig_mem_begin(ep, &s);
	for (i = 0; i < rd->count; i++) {
		struct vmsig_mem_entry *e = &ent[i];
		int st = sret ?: vmsig_entry_check(e);

		if (!st)
			st = vmsig_read_range(&s, &x, e->addr, e->flags & VMSIG_MEM_VIRT,
					      u64_to_user_ptr(e->buf), e->len);
		if (st == -EINTR) {
			ret = -EINTR;
			break;
		}
		if (put_user(st, &uent[i].status)) {
			ret = -EFAULT;
			break;
		}
		if (!st)
			rd->done++;
	}
	if (!sret)
		vmsig_mem_end(&s);
out:
	kvfree(ent);
	return ret;
}
