// SPDX-License-Identifier: GPL-2.0
/*
 * The ramfd backend: guest RAM that lives in a shmem file (a memfd or a
 * file in /dev/shm), as with QEMU's memory-backend-memfd.  It needs no KVM,
 * so TCG guests are introspectable too, and it is the stub mode of the
 * original design: the whole seam works without a VM.
 *
 * Only shmem is accepted: its pages can be looked up by index without a
 * filesystem read path (shmem_read_mapping_page_gfp()).
 *
 * Locking: none of its own; the page cache has its own.
 */
#include <linux/bits.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "backend.h"
#include "endpoint.h"

/* No x86-64 guest-physical address has more than 52 bits. */
#define VMSIG_GPA_LIMIT		BIT_ULL(52)

/**
 * struct vmsig_ramfd - state of a ramfd endpoint
 * @file: the RAM file (referenced)
 * @base: guest-physical address of file offset 0
 * @size: bytes of the file that are guest RAM
 */
struct vmsig_ramfd {
	struct file *file;
	u64 base;
	u64 size;
};

static int vmsig_ramfd_begin(struct vmsig_endpoint *ep,
			     struct vmsig_mem_session *s)
{
	return 0;
}

static void vmsig_ramfd_end(struct vmsig_mem_session *s)
{
}

static int vmsig_ramfd_get_page(struct vmsig_mem_session *s, u64 gpa,
				bool write, struct page **pagep)
{
	struct vmsig_ramfd *rf = s->ep->priv;
	struct address_space *mapping = rf->file->f_mapping;
	struct page *page;

	if (gpa < rf->base || gpa - rf->base >= rf->size)
		return -EFAULT;
	if (write && !(rf->file->f_mode & FMODE_WRITE))
		return -EBADF;
	/* Writing through the page cache would bypass memfd write seals. */
	if (write && (SHMEM_I(file_inode(rf->file))->seals &
		      (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return -EPERM;
	page = shmem_read_mapping_page_gfp(mapping, (gpa - rf->base) >> PAGE_SHIFT,
					   mapping_gfp_mask(mapping));
	if (IS_ERR(page))
		return -EFAULT;
	*pagep = page;
	return 0;
}

static void vmsig_ramfd_release(struct vmsig_endpoint *ep)
{
	struct vmsig_ramfd *rf = ep->priv;

	fput(rf->file);
	kfree(rf);
}

static const struct vmsig_backend_ops vmsig_ramfd_ops = {
	.begin		= vmsig_ramfd_begin,
	.end		= vmsig_ramfd_end,
	.get_page	= vmsig_ramfd_get_page,
	.release	= vmsig_ramfd_release,
};

/**
 * vmsig_ramfd_attach() - bind an endpoint to a shmem file of guest RAM
 * @ep: a new endpoint
 * @fd: the RAM file, open for reading
 * @base: guest-physical address of file offset 0, page aligned
 * @size: bytes of RAM, page aligned, at most the file size; 0: file size
 *
 * Context: process context.  Takes a reference on the file.
 * Return: 0, -EBADF (not open, or not open for reading), -EINVAL (not
 * shmem, misaligned, beyond the file, or beyond 2^52), -ENOMEM.
 */
int vmsig_ramfd_attach(struct vmsig_endpoint *ep, int fd, u64 base, u64 size)
{
	struct vmsig_ramfd *rf;
	struct file *file;
	loff_t isize;
	int err = -EINVAL;

	if (!PAGE_ALIGNED(base) || !PAGE_ALIGNED(size))
		return -EINVAL;
	file = fget(fd);
	if (!file)
		return -EBADF;
	if (!(file->f_mode & FMODE_READ)) {
		err = -EBADF;
		goto put;
	}
	if (file_inode(file)->i_sb->s_magic != TMPFS_MAGIC)
		goto put;
	isize = i_size_read(file_inode(file));
	if (!size)
		size = round_down(isize, PAGE_SIZE);
	if (!size || size > isize || base > VMSIG_GPA_LIMIT ||
	    size > VMSIG_GPA_LIMIT - base)
		goto put;

	rf = kzalloc(sizeof(*rf), GFP_KERNEL_ACCOUNT);
	if (!rf) {
		err = -ENOMEM;
		goto put;
	}
	*rf = (struct vmsig_ramfd) { .file = file, .base = base, .size = size };
	ep->priv = rf;
	ep->ops = &vmsig_ramfd_ops;
	return 0;
put:
	fput(file);
	return err;
}
