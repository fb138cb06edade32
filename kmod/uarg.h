/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Table-driven ioctl dispatch implementing the argument conventions of
 * uapi/linux/vmsig.h: size/flags header, copy_struct_from_user() semantics,
 * unknown flags rejected, output written back for min(user, kernel) bytes.
 */
#ifndef VMSIG_UARG_H
#define VMSIG_UARG_H

#include <linux/fs.h>
#include <linux/types.h>

/* Largest kernel-side argument struct; checked per row at build time. */
#define VMSIG_IOCTL_ARG_BYTES	256

/**
 * struct vmsig_uarg - where an ioctl argument came from
 * @ptr: the caller's pointer
 * @usize: the size the caller declared
 * @ksize: the size of the kernel's struct
 */
struct vmsig_uarg {
	void __user *ptr;
	u32 usize;
	u32 ksize;
};

/**
 * struct vmsig_ioctl - one row of an ioctl table
 * @cmd: the command; matched on type, number and direction
 * @min_size: smallest @size a caller may pass (the first published version)
 * @ksize: size of the struct as this module knows it
 * @valid_flags: bits of &flags the command accepts
 * @copy_out: write the argument back to the caller after @fn succeeds
 * @right: rights the file needs (endpoint files; 0 for none)
 * @fn: handler; gets the file, the kernel copy of the argument and where
 *	it came from (for handlers that must copy out before committing)
 */
struct vmsig_ioctl {
	unsigned int cmd;
	u32 min_size;
	u32 ksize;
	u32 valid_flags;
	bool copy_out;
	u64 right;
	long (*fn)(struct file *file, void *arg, const struct vmsig_uarg *u);
};

/*
 * VMSIG_IOCTL_ROW() - a table row for @type whose first published version
 * ends at member @last.
 */
#define VMSIG_IOCTL_ROW(_cmd, _type, _last, _flags, _out, _fn)	\
	VMSIG_IOCTL_ROW_R(_cmd, _type, _last, _flags, _out, 0, _fn)

/* VMSIG_IOCTL_ROW_R() - a row whose command needs rights @_right. */
#define VMSIG_IOCTL_ROW_R(_cmd, _type, _last, _flags, _out, _right, _fn) {\
	.cmd = (_cmd),							\
	.min_size = offsetofend(_type, _last),				\
	.ksize = sizeof(_type) +					\
		BUILD_BUG_ON_ZERO(sizeof(_type) > VMSIG_IOCTL_ARG_BYTES),\
	.valid_flags = (_flags),					\
	.copy_out = (_out),						\
	.right = (_right),						\
	.fn = (_fn),							\
}

/*
 * Decides whether @file may run a row that needs @right; gets the command
 * number for its audit record.  Returns 0 or a negative errno.
 */
typedef int (*vmsig_authorize_fn)(struct file *file, u64 right, unsigned int nr);

long vmsig_ioctl_dispatch(struct file *file, const struct vmsig_ioctl *tbl,
			  size_t n, unsigned int cmd, unsigned long uarg,
			  vmsig_authorize_fn authorize);
int vmsig_uarg_copy_out(const struct vmsig_uarg *u, void *karg);
u64 vmsig_ioctl_mask(const struct vmsig_ioctl *tbl, size_t n);

#endif /* VMSIG_UARG_H */
