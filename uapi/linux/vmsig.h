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
/** VMSIG_FEAT_BACKEND_NONE - endpoints without guest memory */
#define VMSIG_FEAT_BACKEND_NONE	_BITULL(1)
/** VMSIG_FEAT_BACKEND_KVM - endpoints on a KVM VM (kernel exports KVM) */
#define VMSIG_FEAT_BACKEND_KVM	_BITULL(2)
/** VMSIG_FEAT_BACKEND_RAMFD - endpoints on a shmem/memfd file of guest RAM */
#define VMSIG_FEAT_BACKEND_RAMFD	_BITULL(3)
/** VMSIG_FEAT_MEM_READ - VMSIG_IOC_MEM_READ, physical addressing */
#define VMSIG_FEAT_MEM_READ	_BITULL(4)
/** VMSIG_FEAT_MEMCTX - memctx, epochs and virtual addressing (x86-64) */
#define VMSIG_FEAT_MEMCTX	_BITULL(5)

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

/* ------------------------------------------------------------ endpoints */

/**
 * enum vmsig_backend - what an endpoint reaches guest memory through
 * @VMSIG_BACKEND_NONE: no guest memory; a pure signaling endpoint
 * @VMSIG_BACKEND_KVM: a KVM VM, given as its VM file descriptor; memory is
 *	reached through the VMM's address space
 * @VMSIG_BACKEND_RAMFD: a shmem file (memfd, /dev/shm) that holds guest RAM,
 *	e.g. QEMU's memory-backend-memfd; works without KVM
 */
enum vmsig_backend {
	VMSIG_BACKEND_NONE = 0,
	VMSIG_BACKEND_KVM = 1,
	VMSIG_BACKEND_RAMFD = 2,
};

/** VMSIG_ATTACH_NONBLOCK - open the endpoint file O_NONBLOCK */
#define VMSIG_ATTACH_NONBLOCK	0x1U

/**
 * struct vmsig_attach - create an endpoint
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) VMSIG_ATTACH_* flags
 * @backend: (in) an &enum vmsig_backend
 * @fd: (in) the KVM VM fd (kvm) or the RAM file (ramfd); -1 for none
 * @ram_base: (in) ramfd: guest-physical address of file offset 0, page
 *	aligned, with @ram_base + @ram_size at most 2^52; must be zero for
 *	the other backends
 * @ram_size: (in) ramfd: bytes of the file that are guest RAM, page
 *	aligned, at most the file size at attach; 0 means the file size
 * @ep_id: (out) the endpoint's id, unique while it exists
 * @ep_fd: (out) the new endpoint file descriptor (O_CLOEXEC)
 * @reserved: must be zero
 */
struct vmsig_attach {
	__u32 size;
	__u32 flags;
	__u32 backend;
	__s32 fd;
	__u64 ram_base;
	__u64 ram_size;
	__u32 ep_id;
	__s32 ep_fd;
	__u64 reserved[2];
};

/**
 * VMSIG_IOC_ATTACH - create an endpoint on a VM and return its file
 *
 * Issued on: an open /dev/vmsig file.
 * Argument: &struct vmsig_attach.
 * Context: process context, may sleep.
 *
 * The caller proves its authority by presenting the VM itself (its KVM VM
 * fd or its RAM file).  The endpoint holds a reference to the VM (or file)
 * until its last file is closed, and the module cannot be unloaded while it
 * exists.  The new fd is also the ioctl's return value.
 *
 * Errors:
 *  -EINVAL: unknown backend, nonzero reserved field, @ram_base/@ram_size
 *	     not page aligned or given for another backend, @fd is not a KVM
 *	     VM (kvm) or not a shmem file (ramfd), @ram_size beyond the file,
 *	     an empty file, or a RAM window ending above 2^52
 *  -EBADF: @fd is not an open file descriptor, or (ramfd) not open for
 *	    reading
 *  -EOPNOTSUPP: the backend is not available in this kernel (see features)
 *  -EMFILE, -ENFILE, -ENOMEM: out of descriptors, files or memory
 *  -ENOSPC: no endpoint id left
 *  -EFAULT, -E2BIG: see the argument conventions
 */
#define VMSIG_IOC_ATTACH	_IOWR(VMSIG_IOC_MAGIC, 0x01, struct vmsig_attach)

/**
 * struct vmsig_ep_info - describe an endpoint
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) must be zero
 * @ep_id: (out) the endpoint's id
 * @backend: (out) its &enum vmsig_backend
 * @vmm_pid: (out) kvm: pid (in the caller's pid namespace) of the process
 *	that created the VM, 0 when it is gone or not visible; 0 otherwise
 * @reserved0: (out) zero
 * @epoch: (out) current memctx epoch
 * @reserved: (out) zero
 */
struct vmsig_ep_info {
	__u32 size;
	__u32 flags;
	__u32 ep_id;
	__u32 backend;
	__u32 vmm_pid;
	__u32 reserved0;
	__u64 epoch;
	__u64 reserved[4];
};

/**
 * VMSIG_IOC_EP_INFO - describe the endpoint of this file
 *
 * Issued on: an endpoint file.
 * Argument: &struct vmsig_ep_info.
 * Context: process context; takes the endpoint lock briefly.
 *
 * Errors: -EFAULT, -EINVAL, -E2BIG: see the argument conventions.
 */
#define VMSIG_IOC_EP_INFO	_IOWR(VMSIG_IOC_MAGIC, 0x10, struct vmsig_ep_info)

/* --------------------------------------------------------- guest memory */

/** VMSIG_MEM_VIRT - entry flag: @addr is a guest-virtual address */
#define VMSIG_MEM_VIRT		0x1U

/** VMSIG_MEM_MAX_ENTRIES - most entries in one batch */
#define VMSIG_MEM_MAX_ENTRIES	16384
/** VMSIG_MEM_MAX_LEN - most bytes one entry may read */
#define VMSIG_MEM_MAX_LEN	(64U << 20)
/** VMSIG_MEM_MAX_TOTAL - most bytes one batch may read */
#define VMSIG_MEM_MAX_TOTAL	(256ULL << 20)

/**
 * struct vmsig_mem_entry - one piece of a batched memory access
 * @addr: (in) guest-physical address, or guest-virtual with VMSIG_MEM_VIRT
 * @buf: (in) user buffer of @len bytes
 * @len: (in) bytes to read; 0 succeeds without touching memory
 * @flags: (in) VMSIG_MEM_VIRT or 0
 * @status: (out) 0 when all @len bytes were copied, else a negative errno
 *	(see VMSIG_IOC_MEM_READ); on error @buf holds an unspecified prefix
 * @reserved: (in) must be zero
 *
 * The layout is fixed: arrays of it are not versioned by a size field.
 */
struct vmsig_mem_entry {
	__u64 addr;
	__aligned_u64 buf;
	__u32 len;
	__u32 flags;
	__s32 status;
	__u32 reserved;
};

/** VMSIG_READ_EPOCH - fail with -ESTALE unless @epoch is the current one */
#define VMSIG_READ_EPOCH	0x1U
/** VMSIG_READ_NOCACHE - translate virtual addresses without the cache */
#define VMSIG_READ_NOCACHE	0x2U

/**
 * struct vmsig_mem_read - a batch of guest memory reads
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) VMSIG_READ_* flags
 * @entries: (in) user pointer to @count &struct vmsig_mem_entry
 * @count: (in) number of entries, at most VMSIG_MEM_MAX_ENTRIES
 * @done: (out) number of entries whose status is 0
 * @epoch: (in) with VMSIG_READ_EPOCH: the epoch the caller translated
 *	for; (out) the epoch the batch was translated with
 * @reserved: must be zero
 */
struct vmsig_mem_read {
	__u32 size;
	__u32 flags;
	__aligned_u64 entries;
	__u32 count;
	__u32 done;
	__u64 epoch;
	__u64 reserved[2];
};

/**
 * VMSIG_IOC_MEM_READ - read guest memory, batched
 *
 * Issued on: an endpoint file.
 * Argument: &struct vmsig_mem_read.
 * Context: process context, may sleep; pins guest pages one at a time in
 * the VMM's address space and releases each before the next.
 *
 * Every entry is attempted and gets its own status; one bad entry does not
 * fail the batch.  The whole batch uses one memctx snapshot, so all virtual
 * entries are translated in the same epoch.
 *
 * Per-entry status:
 *  0: all bytes copied
 *  -EFAULT: no guest memory at some byte of the range (a gap between
 *	     memslots, beyond the RAM file), or @buf not writable
 *  -EOVERFLOW: @addr + @len wraps around
 *  -E2BIG: @len above VMSIG_MEM_MAX_LEN
 *  -EINVAL: unknown entry flag or nonzero reserved field; a non-canonical
 *	     virtual address
 *  -ENODATA: a virtual entry while the endpoint has no memctx
 *  -ENXIO: a page-table entry on the walk is not present
 *  -EIO: a page-table entry on the walk has reserved bits set
 *  -ESRCH: the VMM's address space is gone (the process exited)
 *
 * Errors of the ioctl itself:
 *  -EOPNOTSUPP: the endpoint has no guest memory (backend none)
 *  -ESTALE: VMSIG_READ_EPOCH and @epoch is not the current epoch
 *  -E2BIG: @count above VMSIG_MEM_MAX_ENTRIES, or the sum of the lengths
 *	    above VMSIG_MEM_MAX_TOTAL (nothing is read)
 *  -EFAULT: the entry array is not readable and writable
 *  -ENOMEM: no memory for the kernel copy of the entry array
 *  -EINTR: a fatal signal arrived (entries after it carry no status)
 *  -EINVAL, -E2BIG: see the argument conventions
 */
#define VMSIG_IOC_MEM_READ	_IOWR(VMSIG_IOC_MAGIC, 0x11, struct vmsig_mem_read)

/* --------------------------------------------------------------- memctx */

/**
 * enum vmsig_paging - paging mode of a memctx
 * @VMSIG_PAGING_X86_64_4LEVEL: x86-64, 4-level paging (48-bit addresses)
 * @VMSIG_PAGING_X86_64_5LEVEL: x86-64, 5-level paging (57-bit addresses)
 */
enum vmsig_paging {
	VMSIG_PAGING_X86_64_4LEVEL = 1,
	VMSIG_PAGING_X86_64_5LEVEL = 2,
};

/**
 * struct vmsig_memctx - the address-space context of an endpoint
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) must be zero
 * @root: (in for set, out for get) the guest's CR3: bits 51:12 locate the
 *	top-level page table; bits 11:0 (PCID or PWT/PCD) and 63:52 are ignored
 * @mode: (in for set, out for get) an &enum vmsig_paging; 0 in get when
 *	the endpoint has no memctx
 * @reserved0: must be zero
 * @epoch: (out) the epoch of this memctx
 * @reserved: must be zero
 */
struct vmsig_memctx {
	__u32 size;
	__u32 flags;
	__u64 root;
	__u32 mode;
	__u32 reserved0;
	__u64 epoch;
	__u64 reserved[2];
};

/**
 * VMSIG_IOC_SET_MEMCTX - set the endpoint's address-space context
 *
 * Issued on: an endpoint file.
 * Argument: &struct vmsig_memctx.
 * Context: process context; takes the endpoint lock.
 *
 * Bumps the epoch (which invalidates every cached translation of the
 * endpoint) and retains the memctx until the next set or invalidate.
 *
 * Errors:
 *  -EINVAL: unknown @mode or nonzero reserved fields (@epoch is ignored)
 *  -EOPNOTSUPP: the endpoint has no guest memory
 *  -EFAULT, -E2BIG: see the argument conventions
 */
#define VMSIG_IOC_SET_MEMCTX	_IOWR(VMSIG_IOC_MAGIC, 0x12, struct vmsig_memctx)

/**
 * VMSIG_IOC_GET_MEMCTX - read the endpoint's address-space context
 *
 * Issued on: an endpoint file.
 * Argument: &struct vmsig_memctx; @root, @mode and @epoch are output.
 * Context: process context; takes the endpoint lock.
 *
 * Errors: -EFAULT, -EINVAL, -E2BIG: see the argument conventions.
 */
#define VMSIG_IOC_GET_MEMCTX	_IOWR(VMSIG_IOC_MAGIC, 0x13, struct vmsig_memctx)

/**
 * VMSIG_IOC_INVALIDATE_MEMCTX - drop the memctx and bump the epoch
 *
 * Issued on: an endpoint file.
 * Argument: &struct vmsig_memctx; @root and @mode must be zero, @epoch is
 * output (the new epoch).
 * Context: process context; takes the endpoint lock.
 *
 * For when the guest's address space is gone (reboot, kexec): virtual
 * reads fail with -ENODATA until a new memctx is set.
 *
 * Errors: -EINVAL for nonzero @root, @mode or reserved fields;
 * -EOPNOTSUPP without guest memory; -EFAULT, -E2BIG: see the conventions.
 */
#define VMSIG_IOC_INVALIDATE_MEMCTX \
	_IOWR(VMSIG_IOC_MAGIC, 0x14, struct vmsig_memctx)

#endif /* _UAPI_LINUX_VMSIG_H */
