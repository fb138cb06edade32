/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmsig - a signaling bus between KVM virtual machines and the programs that
 * observe and control them.
 *
 * ABI conventions (every ioctl follows them; Documentation/userspace-api.rst
 * explains them at length):
 *
 * - All commands use the magic VMSIG_IOC_MAGIC.  The kernel matches a command
 *   on its type, number and direction; the size encoded in the command number
 *   is informational, the authoritative size is the @size field of the
 *   argument.  An unknown command fails with -ENOTTY.
 * - Every argument starts with ``__u32 size; __u32 flags;``.  @size is the
 *   number of bytes the caller passes.  A @size smaller than the first
 *   published version of the struct fails with -EINVAL.  A larger @size is
 *   accepted when every byte the kernel does not know is zero, otherwise the
 *   call fails with -E2BIG (copy_struct_from_user() semantics).  A @size
 *   above 4096 fails with -E2BIG.
 * - Unknown bits in @flags fail with -EINVAL.  Reserved fields must be zero,
 *   else -EINVAL.
 * - Output fields are written for min(@size, kernel size) bytes; everything
 *   the kernel writes back, padding and reserved fields included, is zeroed
 *   first.
 * - Only naturally aligned __u32 and __u64 are used; user pointers travel as
 *   __aligned_u64.  Times are CLOCK_MONOTONIC nanoseconds.
 */
#ifndef _UAPI_LINUX_VMSIG_H
#define _UAPI_LINUX_VMSIG_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/** VMSIG_ABI_VERSION - version of this ABI; bumped on incompatible change */
#define VMSIG_ABI_VERSION	1

/** VMSIG_IOC_MAGIC - ioctl type shared by every vmsig command */
#define VMSIG_IOC_MAGIC		0xBD

/** VMSIG_ARG_MAX_SIZE - largest @size any argument may declare */
#define VMSIG_ARG_MAX_SIZE	4096

/*
 * Feature bits reported by VMSIG_IOC_GET_API in &vmsig_api.features.  A
 * library or test gates on these bits, never on the kernel version.
 */
/** VMSIG_FEAT_HANDSHAKE - the API handshake itself (always set) */
#define VMSIG_FEAT_HANDSHAKE	_BITULL(0)

/**
 * struct vmsig_api - result of the API handshake
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) must be zero
 * @abi_version: (out) VMSIG_ABI_VERSION of the running module
 * @reserved0: (out) zero
 * @features: (out) VMSIG_FEAT_* bits the running module implements
 * @ioctls: (out) bit N is set when the command with number N is implemented;
 *	numbers 0x00-0x0f are commands on /dev/vmsig, 0x10-0x3f commands on an
 *	endpoint file
 * @reserved: (out) zero
 */
struct vmsig_api {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 reserved0;
	__u64 features;
	__u64 ioctls;
	__u64 reserved[4];
};

/**
 * VMSIG_IOC_GET_API - API handshake
 *
 * Issued on: an open /dev/vmsig file.
 * Argument: &struct vmsig_api.
 * Context: process context; takes no lock, never blocks.
 *
 * Returns 0 and fills the (out) fields.
 * Errors:
 *  -EFAULT: the argument is not readable or not writable
 *  -EINVAL: @size below the first version of the struct, or @flags nonzero
 *  -E2BIG: @size above the kernel's struct with a nonzero tail, or above
 *	    VMSIG_ARG_MAX_SIZE
 */
#define VMSIG_IOC_GET_API	_IOWR(VMSIG_IOC_MAGIC, 0x00, struct vmsig_api)

#endif /* _UAPI_LINUX_VMSIG_H */
