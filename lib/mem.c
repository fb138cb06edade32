// SPDX-License-Identifier: LGPL-2.1-or-later
/* Guest memory reads (batched) and the memctx they translate through. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmsig.h"

int vmsig_mem_read(int epfd, struct vmsig_mem_entry *entries, uint32_t n,
		   uint32_t flags, uint64_t *epoch, uint32_t *done)
{
	struct vmsig_mem_read rd;

	/* Without an epoch to insist on, VMSIG_READ_EPOCH would check 0. */
	if ((flags & VMSIG_READ_EPOCH) && !epoch)
		return -EINVAL;
	memset(&rd, 0, sizeof(rd));
	rd.size = sizeof(rd);
	rd.flags = flags;
	rd.entries = (uintptr_t)entries;
	rd.count = n;
	if (epoch)
		rd.epoch = *epoch;
	if (ioctl(epfd, VMSIG_IOC_MEM_READ, &rd) < 0)
		return -errno;
	if (epoch)
		*epoch = rd.epoch;
	if (done)
		*done = rd.done;
	return 0;
}

void vmsig_read_batch_init(struct vmsig_read_batch *b,
			   struct vmsig_mem_entry *entries, uint32_t cap)
{
	memset(b, 0, sizeof(*b));
	b->entries = entries;
	b->cap = cap > VMSIG_MEM_MAX_ENTRIES ? VMSIG_MEM_MAX_ENTRIES : cap;
}

void vmsig_read_batch_reset(struct vmsig_read_batch *b)
{
	b->count = 0;
	b->total = 0;
	b->done = 0;
}

static int batch_add(struct vmsig_read_batch *b, uint64_t addr, void *buf,
		     size_t len, uint32_t flags)
{
	struct vmsig_mem_entry *e;

	if (b->count >= b->cap)
		return -ENOSPC;
	/* Checked here so the kernel never refuses a whole batch for size. */
	if (len > VMSIG_MEM_MAX_LEN || b->total + len > VMSIG_MEM_MAX_TOTAL)
		return -E2BIG;
	e = &b->entries[b->count];
	memset(e, 0, sizeof(*e));
	e->addr = addr;
	e->buf = (uintptr_t)buf;
	e->len = (uint32_t)len;
	e->flags = flags;
	b->total += len;
	return (int)b->count++;
}

int vmsig_read_batch_add_phys(struct vmsig_read_batch *b, uint64_t gpa,
			      void *buf, size_t len)
{
	return batch_add(b, gpa, buf, len, 0);
}

int vmsig_read_batch_add_virt(struct vmsig_read_batch *b, uint64_t gva,
			      void *buf, size_t len)
{
	return batch_add(b, gva, buf, len, VMSIG_MEM_VIRT);
}

int vmsig_read_batch_submit(int epfd, struct vmsig_read_batch *b, uint32_t flags)
{
	b->done = 0;
	return vmsig_mem_read(epfd, b->entries, b->count, flags, &b->epoch,
			      &b->done);
}

static int read_one(int epfd, uint64_t addr, void *buf, size_t len,
		    uint32_t eflags)
{
	struct vmsig_mem_entry e;
	int ret;

	if (len > VMSIG_MEM_MAX_LEN)
		return -E2BIG;
	memset(&e, 0, sizeof(e));
	e.addr = addr;
	e.buf = (uintptr_t)buf;
	e.len = (uint32_t)len;
	e.flags = eflags;
	ret = vmsig_mem_read(epfd, &e, 1, 0, NULL, NULL);
	return ret < 0 ? ret : e.status;
}

int vmsig_read_phys(int epfd, uint64_t gpa, void *buf, size_t len)
{
	return read_one(epfd, gpa, buf, len, 0);
}

int vmsig_read_virt(int epfd, uint64_t gva, void *buf, size_t len)
{
	return read_one(epfd, gva, buf, len, VMSIG_MEM_VIRT);
}

static int memctx_ioctl(int epfd, unsigned long req, struct vmsig_memctx *mc)
{
	mc->size = sizeof(*mc);
	mc->flags = 0;
	return ioctl(epfd, req, mc) < 0 ? -errno : 0;
}

int vmsig_set_memctx(int epfd, uint64_t root, uint32_t mode, uint64_t *epoch)
{
	struct vmsig_memctx mc;
	int ret;

	memset(&mc, 0, sizeof(mc));
	mc.root = root;
	mc.mode = mode;
	ret = memctx_ioctl(epfd, VMSIG_IOC_SET_MEMCTX, &mc);
	if (!ret && epoch)
		*epoch = mc.epoch;
	return ret;
}

int vmsig_get_memctx(int epfd, struct vmsig_memctx *mc)
{
	memset(mc, 0, sizeof(*mc));
	return memctx_ioctl(epfd, VMSIG_IOC_GET_MEMCTX, mc);
}

int vmsig_invalidate_memctx(int epfd, uint64_t *epoch)
{
	struct vmsig_memctx mc;
	int ret;

	memset(&mc, 0, sizeof(mc));
	ret = memctx_ioctl(epfd, VMSIG_IOC_INVALIDATE_MEMCTX, &mc);
	if (!ret && epoch)
		*epoch = mc.epoch;
	return ret;
}
