// SPDX-License-Identifier: GPL-2.0
/*
 * Table-driven ioctl dispatch.
 *
 * Every vmsig argument starts with "__u32 size; __u32 flags;".  Handlers only
 * ever see a kernel copy that is exactly as large as the struct they know,
 * zero-filled where the caller's version was shorter, so they never deal with
 * versioning themselves.
 *
 * Locking: none; handlers take what they need.
 */
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <uapi/linux/vmsig.h>

#include "uarg.h"

/* Command identity without the size bits: type, number and direction. */
static unsigned int vmsig_cmd_key(unsigned int cmd)
{
	return cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT);
}

static const struct vmsig_ioctl *vmsig_ioctl_find(const struct vmsig_ioctl *tbl,
						  size_t n, unsigned int cmd)
{
	size_t i;

	if (_IOC_TYPE(cmd) != VMSIG_IOC_MAGIC)
		return NULL;
	for (i = 0; i < n; i++)
		if (vmsig_cmd_key(tbl[i].cmd) == vmsig_cmd_key(cmd))
			return &tbl[i];
	return NULL;
}

/**
 * vmsig_ioctl_dispatch() - run one ioctl through a command table
 * @file: the file the ioctl was issued on
 * @tbl: the command table of that kind of file
 * @n: number of rows in @tbl
 * @cmd: the command as passed to unlocked_ioctl
 * @uarg: the user pointer to the argument
 * @authorize: checks the row's rights before anything is read; NULL for a
 *	table whose rows need none
 *
 * Context: process context, may sleep.
 * Return: the handler's result; -ENOTTY for an unknown command; -EFAULT,
 * -EINVAL or -E2BIG for an argument that breaks the conventions.
 */
long vmsig_ioctl_dispatch(struct file *file, const struct vmsig_ioctl *tbl,
			  size_t n, unsigned int cmd, unsigned long uarg,
			  vmsig_authorize_fn authorize)
{
	u64 karg[VMSIG_IOCTL_ARG_BYTES / sizeof(u64)];
	const struct vmsig_ioctl *row = vmsig_ioctl_find(tbl, n, cmd);
	struct vmsig_uarg u = { .ptr = (void __user *)uarg };
	u32 flags;
	long ret;
	int err;

	if (!row)
		return -ENOTTY;
	if (authorize) {
		err = authorize(file, row->right, _IOC_NR(cmd));
		if (err)
			return err;
	}
	if (get_user(u.usize, (u32 __user *)u.ptr))
		return -EFAULT;
	if (u.usize < row->min_size)
		return -EINVAL;
	if (u.usize > VMSIG_ARG_MAX_SIZE)
		return -E2BIG;
	u.ksize = row->ksize;

	err = copy_struct_from_user(karg, row->ksize, u.ptr, u.usize);
	if (err)
		return err;
	/* Handlers see the size the caller passed; it is what goes back. */
	memcpy(&flags, (u8 *)karg + sizeof(u32), sizeof(u32));
	if (flags & ~row->valid_flags)
		return -EINVAL;

	ret = row->fn(file, karg, &u);
	if (ret < 0 || !row->copy_out)
		return ret;
	err = vmsig_uarg_copy_out(&u, karg);
	return err ? err : ret;
}

/**
 * vmsig_uarg_copy_out() - write an argument back to its caller
 * @u: where the argument came from
 * @karg: the kernel copy, with every output field set
 *
 * Writes min(caller's size, kernel's size) bytes; a larger caller struct
 * keeps its tail, which the conventions already proved to be zero.
 *
 * Return: 0 or -EFAULT.
 */
int vmsig_uarg_copy_out(const struct vmsig_uarg *u, void *karg)
{
	if (copy_to_user(u->ptr, karg, min(u->usize, u->ksize)))
		return -EFAULT;
	return 0;
}

/**
 * vmsig_ioctl_mask() - bitmask of the command numbers a table implements
 * @tbl: a command table
 * @n: number of rows in @tbl
 *
 * Return: bit N set for every row whose command number is N (N < 64).
 */
u64 vmsig_ioctl_mask(const struct vmsig_ioctl *tbl, size_t n)
{
	u64 mask = 0;
	size_t i;

	for (i = 0; i < n; i++)
		mask |= BIT_ULL(_IOC_NR(tbl[i].cmd) & 63);
	return mask;
}
