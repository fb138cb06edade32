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
/** VMSIG_FEAT_EVENTS - the event ring: read/poll/write of &struct vmsig_event */
#define VMSIG_FEAT_EVENTS	_BITULL(6)
/** VMSIG_FEAT_DERIVE - VMSIG_IOC_DERIVE: more subscriber files per endpoint */
#define VMSIG_FEAT_DERIVE	_BITULL(7)
/** VMSIG_FEAT_LEASES - leases with fencing tokens */
#define VMSIG_FEAT_LEASES	_BITULL(8)
/** VMSIG_FEAT_MEMWRITE - VMSIG_IOC_MEM_WRITE, fenced, dirty-logged */
#define VMSIG_FEAT_MEMWRITE	_BITULL(9)
/** VMSIG_FEAT_RIGHTS - per-file rights, derive with fewer rights */
#define VMSIG_FEAT_RIGHTS	_BITULL(10)
/** VMSIG_FEAT_AUDIT - the "vmsig" generic netlink family */
#define VMSIG_FEAT_AUDIT	_BITULL(11)

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

/* --------------------------------------------------------------- events */

/*
 * An endpoint file is a subscriber: read() and poll() deliver the events of
 * its endpoint from its own ring, write() publishes UP events and submits
 * DOWN events.  Documentation/userspace-api.rst describes the rules.
 */

/** VMSIG_EVENT_VERSION - layout version of &struct vmsig_event */
#define VMSIG_EVENT_VERSION	1

/**
 * enum vmsig_dir - which way an event travels
 * @VMSIG_DIR_UP: from a sensor (or the kernel) to the controls, fanned out
 * @VMSIG_DIR_DOWN: from a control to the one actuator bound as sink
 */
enum vmsig_dir {
	VMSIG_DIR_UP = 0,
	VMSIG_DIR_DOWN = 1,
};

/**
 * enum vmsig_prio - priority lane of an event
 * @VMSIG_PRIO_NORMAL: the normal lane
 * @VMSIG_PRIO_HIGH: read before every queued normal event
 */
enum vmsig_prio {
	VMSIG_PRIO_NORMAL = 0,
	VMSIG_PRIO_HIGH = 1,
};

/**
 * enum vmsig_source - the seam an event belongs to
 * @VMSIG_SRC_KERNEL: raised by vmsig itself
 * @VMSIG_SRC_MEMCTX: address-space context (memctx adapter)
 * @VMSIG_SRC_INPUT: input injection (keyboard, pointer)
 * @VMSIG_SRC_VMHOST: VM lifecycle and power (the VMM)
 * @VMSIG_SRC_SENSOR: any other sensor (frames, counters, ...)
 * @VMSIG_SRC_CONTROL: controls talking to controls
 * @VMSIG_SRC_MAX: number of sources; sources index subscription bits
 */
enum vmsig_source {
	VMSIG_SRC_KERNEL = 0,
	VMSIG_SRC_MEMCTX = 1,
	VMSIG_SRC_INPUT = 2,
	VMSIG_SRC_VMHOST = 3,
	VMSIG_SRC_SENSOR = 4,
	VMSIG_SRC_CONTROL = 5,
	VMSIG_SRC_MAX = 6,
};

/*
 * Event types.  0x0001-0x00ff are raised by the kernel only (a write of one
 * of them fails, except VMSIG_EV_ACT_ACK from a sink); 0x0100-0x7fff are UP
 * types adapters publish; 0x8000-0xffff are DOWN types.
 */
/**
 * VMSIG_EV_DROPPED - records were lost for this reader; @aux: lane,
 * payload u64[0]: how many (kernel, never queued: made at read time)
 */
#define VMSIG_EV_DROPPED	0x0001
/** VMSIG_EV_LIFECYCLE - endpoint lifecycle; @aux: VMSIG_LC_* */
#define VMSIG_EV_LIFECYCLE	0x0002
/**
 * VMSIG_EV_MEMCTX - a new memctx; @aux: &enum vmsig_paging (0 after an
 * invalidate), payload u64[0]: root, u64[1]: epoch.  Retained.
 */
#define VMSIG_EV_MEMCTX		0x0003
/**
 * VMSIG_EV_ACT_ACK - answer to a DOWN event, same @corr as the DOWN
 * event had when submitted; @aux: 0 or a negative errno; the sink's
 * payload, prio and deadline reach the submitter as the sink wrote them
 */
#define VMSIG_EV_ACT_ACK	0x0004
/**
 * VMSIG_EV_LEASE - a lease changed; @aux: &enum vmsig_lease_class,
 * payload u64[0]: token, u32[2]: holder's pid, u32[3]: VMSIG_LEASE_EV_*
 */
#define VMSIG_EV_LEASE		0x0005
/**
 * VMSIG_EV_MEMWRITE - a MEMWRITE landed or was refused; @aux: 0 or a
 * negative errno; payload u64[0]: address, u32[2]: length, u32[3]: the
 * VMSIG_WRITE_* flags; @corr: the lease token it carried
 */
#define VMSIG_EV_MEMWRITE	0x0006
/** VMSIG_EV_KERNEL_MAX - last kernel-only type */
#define VMSIG_EV_KERNEL_MAX	0x00ff

/** VMSIG_EV_UP_MIN - first adapter-defined UP type */
#define VMSIG_EV_UP_MIN		0x0100
/** VMSIG_EV_VM_STATE - VM run state from the VMM; @aux: VMSIG_VM_* */
#define VMSIG_EV_VM_STATE	0x0100
/** VMSIG_EV_DOWN_MIN - first DOWN type */
#define VMSIG_EV_DOWN_MIN	0x8000
/**
 * VMSIG_EV_POWER - power action; @aux: VMSIG_POWER_*; payload u64[0]:
 * the power lease token (checked by the kernel before routing)
 */
#define VMSIG_EV_POWER		0x8000
/**
 * VMSIG_EV_INPUT - input action; payload u64[0]: the input lease token
 * (checked by the kernel before routing); u16[4]: VMSIG_INPUT_* kind,
 * u16[5]: code, u32[3]: value (signed)
 */
#define VMSIG_EV_INPUT		0x8001

/* @aux of VMSIG_EV_LIFECYCLE */
/** VMSIG_LC_VMM_EXIT - the VMM's address space is gone */
#define VMSIG_LC_VMM_EXIT	1

/* payload u32[3] of VMSIG_EV_LEASE */
#define VMSIG_LEASE_EV_GRANTED	1
#define VMSIG_LEASE_EV_RELEASED	2	/* by its holder */
#define VMSIG_LEASE_EV_EXPIRED	3	/* its TTL passed */
#define VMSIG_LEASE_EV_REVOKED	4	/* by an admin */
#define VMSIG_LEASE_EV_CLOSED	5	/* the holder's file was released */

/* @aux of VMSIG_EV_VM_STATE */
#define VMSIG_VM_RUNNING	1
#define VMSIG_VM_PAUSED		2
#define VMSIG_VM_SHUTDOWN	3
#define VMSIG_VM_RESET		4
#define VMSIG_VM_POWERDOWN	5

/* @aux of VMSIG_EV_POWER */
#define VMSIG_POWER_PAUSE	1
#define VMSIG_POWER_RESUME	2
#define VMSIG_POWER_RESET	3
#define VMSIG_POWER_POWERDOWN	4
#define VMSIG_POWER_QUIT	5

/* Input kinds of VMSIG_EV_INPUT */
#define VMSIG_INPUT_KEY		1	/* code: Linux KEY_*, value: 1 down, 0 up */
#define VMSIG_INPUT_QCODE	2	/* code: QEMU QKeyCode index, value: 1/0 */
#define VMSIG_INPUT_REL		3	/* code: 0 x, 1 y, 2 wheel; value: delta */
#define VMSIG_INPUT_ABS		4	/* code: 0 x, 1 y; value: 0..32767 */
#define VMSIG_INPUT_BTN		5	/* code: 0 left, 1 middle, 2 right; value */

/**
 * VMSIG_EVF_RETAIN - keep the latest event of this (source, type) and
 * deliver it first to every new subscriber of the endpoint
 */
#define VMSIG_EVF_RETAIN	0x01
/**
 * VMSIG_EVF_REPLAY - set by the kernel on a retained event replayed to a
 * new subscriber
 */
#define VMSIG_EVF_REPLAY	0x02

/**
 * struct vmsig_event - one event record: 64 bytes, one cache line
 * @type: VMSIG_EV_* type
 * @dir: &enum vmsig_dir
 * @prio: &enum vmsig_prio
 * @source: &enum vmsig_source, the seam
 * @flags: VMSIG_EVF_*
 * @version: VMSIG_EVENT_VERSION; a writer may leave it 0
 * @reserved: must be zero
 * @ep_id: endpoint id (set by the kernel)
 * @aux: small type-specific argument (see each type)
 * @seq: per-endpoint sequence number (set by the kernel on publish)
 * @ts_ns: CLOCK_MONOTONIC time of publish (set by the kernel)
 * @deadline_ns: CLOCK_MONOTONIC deadline, 0 for none: a record still
 *	queued after it is dropped and counted as expired
 * @corr: correlation id, chosen by the submitter of a DOWN event and echoed
 *	in its VMSIG_EV_ACT_ACK
 * @payload: type-specific data
 */
struct vmsig_event {
	__u16 type;
	__u8 dir;
	__u8 prio;
	__u8 source;
	__u8 flags;
	__u8 version;
	__u8 reserved;
	__u32 ep_id;
	__s32 aux;
	__u64 seq;
	__u64 ts_ns;
	__u64 deadline_ns;
	__u64 corr;
	union {
		__u8 bytes[16];
		__u16 u16[8];
		__u32 u32[4];
		__u64 u64[2];
	} payload;
};

/** VMSIG_RING_MIN - fewest records a ring lane may hold */
#define VMSIG_RING_MIN		16
/** VMSIG_RING_MAX - most records a ring lane may hold */
#define VMSIG_RING_MAX		65536
/** VMSIG_RING_DEFAULT - records per lane of a new subscriber */
#define VMSIG_RING_DEFAULT	256

/**
 * struct vmsig_sub - subscription and ring of one endpoint file
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) must be zero
 * @sources: (in/out) bit N set: receive UP events of source N
 * @kernel_types: (in/out) bit N set: receive kernel event type N
 *	(VMSIG_EV_DROPPED and ACKs of this file's own DOWN events are always
 *	delivered)
 * @ring_size: (in/out) records per lane, a power of two between
 *	VMSIG_RING_MIN and VMSIG_RING_MAX; 0 on set keeps the current size
 * @reserved0: must be zero
 * @reserved: must be zero
 */
struct vmsig_sub {
	__u32 size;
	__u32 flags;
	__u64 sources;
	__u64 kernel_types;
	__u32 ring_size;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * VMSIG_IOC_SET_SUB - set the subscription and ring size of this file
 *
 * Issued on: an endpoint file.
 * Argument: &struct vmsig_sub.
 * Context: process context; waits for a concurrent read() to finish.
 *
 * A new endpoint file subscribes to everything with VMSIG_RING_DEFAULT
 * records per lane.  A resize keeps the queued records in order.
 *
 * Errors:
 *  -EINVAL: @ring_size not a power of two in range, unknown source bits,
 *	     nonzero reserved fields
 *  -EBUSY: more records are queued in a lane than the new size holds
 *  -ENOMEM: no memory for the new ring
 *  -EFAULT, -E2BIG: see the argument conventions
 */
#define VMSIG_IOC_SET_SUB	_IOWR(VMSIG_IOC_MAGIC, 0x15, struct vmsig_sub)

/**
 * VMSIG_IOC_GET_SUB - read the subscription and ring size of this file
 *
 * Issued on: an endpoint file.  Argument: &struct vmsig_sub (output).
 * Errors: -EFAULT, -EINVAL, -E2BIG: see the argument conventions.
 */
#define VMSIG_IOC_GET_SUB	_IOWR(VMSIG_IOC_MAGIC, 0x16, struct vmsig_sub)

/**
 * struct vmsig_counters - delivery accounting of one endpoint file
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) must be zero
 * @published: (out) events offered to this file (matching its subscription,
 *	DOWN events routed to it, ACKs for it)
 * @delivered: (out) events read
 * @dropped: (out) events lost because a lane was full
 * @expired: (out) events dropped because their deadline passed unread
 * @queued: (out) events in the ring now
 * @reserved: (out) zero
 *
 * @delivered + @dropped + @expired + @queued == @published, always.
 * VMSIG_EV_DROPPED records are made at read time and counted nowhere.
 */
struct vmsig_counters {
	__u32 size;
	__u32 flags;
	__u64 published;
	__u64 delivered;
	__u64 dropped;
	__u64 expired;
	__u64 queued;
	__u64 reserved[3];
};

/**
 * VMSIG_IOC_GET_COUNTERS - read this file's delivery counters
 *
 * Issued on: an endpoint file.  Argument: &struct vmsig_counters.
 * Context: takes the ring lock briefly; the counters are one snapshot.
 * Errors: -EFAULT, -EINVAL, -E2BIG: see the argument conventions.
 */
#define VMSIG_IOC_GET_COUNTERS	_IOWR(VMSIG_IOC_MAGIC, 0x17, struct vmsig_counters)

/**
 * struct vmsig_sink - bind or unbind this file as the sink of a seam
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) VMSIG_SINK_UNBIND to unbind
 * @source: (in) the seam, an &enum vmsig_source other than KERNEL
 * @reserved0: must be zero
 * @reserved: must be zero
 */
struct vmsig_sink {
	__u32 size;
	__u32 flags;
	__u32 source;
	__u32 reserved0;
	__u64 reserved[2];
};

/** VMSIG_SINK_UNBIND - unbind instead of bind */
#define VMSIG_SINK_UNBIND	0x1U

/**
 * VMSIG_IOC_BIND_SINK - become (or stop being) the sink of a seam
 *
 * Issued on: an endpoint file.  Argument: &struct vmsig_sink.
 * Context: process context; takes the endpoint's event lock.
 *
 * DOWN events of the seam go to the sink only.  Closing the sink's file
 * unbinds it and answers every DOWN event still in flight to it with an
 * VMSIG_EV_ACT_ACK of status -EPIPE.  Unbinding does the same.
 *
 * Errors:
 *  -EINVAL: unknown or kernel source, nonzero reserved fields
 *  -EBUSY: another file is the seam's sink
 *  -ENOENT: unbind, but this file is not the seam's sink
 *  -EFAULT, -E2BIG: see the argument conventions
 */
#define VMSIG_IOC_BIND_SINK	_IOWR(VMSIG_IOC_MAGIC, 0x18, struct vmsig_sink)

/* --------------------------------------------------------------- rights */

/*
 * Rights of an endpoint file.  A file made by VMSIG_IOC_ATTACH or
 * VMSIG_IOC_OPEN_EP has all of them; VMSIG_IOC_DERIVE makes files with a
 * subset, never more.  Reading events, the endpoint's info, the file's own
 * subscription and counters need no right.
 */
/** VMSIG_RIGHT_MEM_READ - VMSIG_IOC_MEM_READ */
#define VMSIG_RIGHT_MEM_READ		_BITULL(0)
/** VMSIG_RIGHT_MEM_WRITE - VMSIG_IOC_MEM_WRITE (with the memwrite lease) */
#define VMSIG_RIGHT_MEM_WRITE		_BITULL(1)
/** VMSIG_RIGHT_MEMCTX - VMSIG_IOC_SET_MEMCTX and INVALIDATE_MEMCTX */
#define VMSIG_RIGHT_MEMCTX		_BITULL(2)
/** VMSIG_RIGHT_EMIT - write() UP events */
#define VMSIG_RIGHT_EMIT		_BITULL(3)
/** VMSIG_RIGHT_SUBMIT_INPUT - write() VMSIG_EV_INPUT (with the lease) */
#define VMSIG_RIGHT_SUBMIT_INPUT	_BITULL(4)
/** VMSIG_RIGHT_SUBMIT_POWER - write() VMSIG_EV_POWER (with the lease) */
#define VMSIG_RIGHT_SUBMIT_POWER	_BITULL(5)
/** VMSIG_RIGHT_SUBMIT_OTHER - write() any other DOWN type */
#define VMSIG_RIGHT_SUBMIT_OTHER	_BITULL(6)
/** VMSIG_RIGHT_LEASE_INPUT - acquire the input lease */
#define VMSIG_RIGHT_LEASE_INPUT		_BITULL(7)
/** VMSIG_RIGHT_LEASE_POWER - acquire the power lease */
#define VMSIG_RIGHT_LEASE_POWER		_BITULL(8)
/** VMSIG_RIGHT_LEASE_MEMWRITE - acquire the memwrite lease */
#define VMSIG_RIGHT_LEASE_MEMWRITE	_BITULL(9)
/** VMSIG_RIGHT_BIND_SINK - VMSIG_IOC_BIND_SINK (and so ACKs) */
#define VMSIG_RIGHT_BIND_SINK		_BITULL(10)
/** VMSIG_RIGHT_ADMIN - VMSIG_IOC_LEASE_REVOKE */
#define VMSIG_RIGHT_ADMIN		_BITULL(11)
/** VMSIG_RIGHTS_ALL - every right */
#define VMSIG_RIGHTS_ALL		(_BITULL(12) - 1)

/**
 * struct vmsig_derive - open another file on this endpoint
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) VMSIG_ATTACH_NONBLOCK, VMSIG_DERIVE_RIGHTS
 * @rights: (in) with VMSIG_DERIVE_RIGHTS: the new file's rights, a subset
 *	of this file's; without it: must be zero, and the new file has this
 *	file's rights
 * @ep_fd: (out) the new endpoint file descriptor (O_CLOEXEC)
 * @reserved0: must be zero
 * @reserved: must be zero
 */
struct vmsig_derive {
	__u32 size;
	__u32 flags;
	__u64 rights;
	__s32 ep_fd;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * VMSIG_IOC_DERIVE - open a new subscriber file on the same endpoint
 *
 * Issued on: an endpoint file.  Argument: &struct vmsig_derive.
 * Context: process context, may sleep.
 *
 * The new file is a subscriber of its own (ring, subscription, counters);
 * retained events are queued into it first.  It can be handed to another
 * process over SCM_RIGHTS.  The new fd is also the return value.  Every
 * derive is audited.
 *
 * Errors: -EPERM (a right this file does not have), -EINVAL (unknown
 * rights bits, @rights without VMSIG_DERIVE_RIGHTS, nonzero reserved or
 * @ep_fd), -EMFILE, -ENFILE, -ENOMEM; -EFAULT, -E2BIG: see the argument
 * conventions.
 */
#define VMSIG_IOC_DERIVE	_IOWR(VMSIG_IOC_MAGIC, 0x19, struct vmsig_derive)

/** VMSIG_DERIVE_RIGHTS - struct vmsig_derive: @rights is given */
#define VMSIG_DERIVE_RIGHTS	0x2U

/**
 * struct vmsig_rights - the rights of this file
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) must be zero
 * @rights: (out) VMSIG_RIGHT_* bits
 * @reserved: (out) zero
 */
struct vmsig_rights {
	__u32 size;
	__u32 flags;
	__u64 rights;
	__u64 reserved[2];
};

/**
 * VMSIG_IOC_GET_RIGHTS - read the rights of this file
 *
 * Issued on: an endpoint file.  Argument: &struct vmsig_rights.
 * Errors: -EFAULT, -EINVAL, -E2BIG: see the argument conventions.
 */
#define VMSIG_IOC_GET_RIGHTS	_IOWR(VMSIG_IOC_MAGIC, 0x1a, struct vmsig_rights)

/**
 * struct vmsig_open_ep - open an existing endpoint by id (admin)
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) VMSIG_ATTACH_NONBLOCK or 0
 * @ep_id: (in) the endpoint
 * @ep_fd: (out) the new endpoint file descriptor (O_CLOEXEC), all rights
 * @reserved: must be zero
 */
struct vmsig_open_ep {
	__u32 size;
	__u32 flags;
	__u32 ep_id;
	__s32 ep_fd;
	__u64 reserved[2];
};

/**
 * VMSIG_IOC_OPEN_EP - open a new file on an existing endpoint
 *
 * Issued on: an open /dev/vmsig file.  Argument: &struct vmsig_open_ep.
 * Context: process context, may sleep.
 *
 * For administrators: the caller presents no capability of the VM, so it
 * needs CAP_SYS_ADMIN.  Audited.  The new fd is also the return value.
 *
 * Errors: -EPERM without CAP_SYS_ADMIN, -ENOENT no such endpoint, -EINVAL,
 * -EMFILE, -ENFILE, -ENOMEM; -EFAULT, -E2BIG: see the argument conventions.
 */
#define VMSIG_IOC_OPEN_EP	_IOWR(VMSIG_IOC_MAGIC, 0x02, struct vmsig_open_ep)

/* --------------------------------------------------------------- leases */

/**
 * enum vmsig_lease_class - what a lease gives exclusive use of
 * @VMSIG_LEASE_INPUT: submitting VMSIG_EV_INPUT
 * @VMSIG_LEASE_POWER: submitting VMSIG_EV_POWER
 * @VMSIG_LEASE_MEMWRITE: VMSIG_IOC_MEM_WRITE
 * @VMSIG_LEASE_CLASSES: number of classes
 */
enum vmsig_lease_class {
	VMSIG_LEASE_INPUT = 0,
	VMSIG_LEASE_POWER = 1,
	VMSIG_LEASE_MEMWRITE = 2,
	VMSIG_LEASE_CLASSES = 3,
};

/** VMSIG_LEASE_WAIT - acquire: wait for the lease instead of -EBUSY */
#define VMSIG_LEASE_WAIT	0x1U

/**
 * struct vmsig_lease - acquire, renew, release or revoke a lease
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) VMSIG_LEASE_WAIT (acquire only)
 * @lease_class: (in) &enum vmsig_lease_class
 * @reserved0: must be zero
 * @ttl_ns: (in) acquire, renew: lifetime from now; 0 for none
 * @timeout_ns: (in) acquire with VMSIG_LEASE_WAIT: longest wait; 0 waits
 *	until the lease is granted or a signal arrives
 * @token: (out) acquire: the fencing token; (in) renew, release: the
 *	token of the grant; (out) revoke: the token that was revoked
 * @expires_ns: (out) CLOCK_MONOTONIC expiry, 0 for none
 * @reserved: must be zero
 */
struct vmsig_lease {
	__u32 size;
	__u32 flags;
	__u32 lease_class;
	__u32 reserved0;
	__u64 ttl_ns;
	__u64 timeout_ns;
	__u64 token;
	__u64 expires_ns;
	__u64 reserved[2];
};

/**
 * VMSIG_IOC_LEASE_ACQUIRE - take an exclusive lease
 *
 * Issued on: an endpoint file with VMSIG_RIGHT_LEASE_<class>.
 * Argument: &struct vmsig_lease.
 * Context: process context; may sleep (VMSIG_LEASE_WAIT), interruptible.
 *
 * Grants the lease to this file and returns a fencing token larger than
 * every earlier token of the class on this endpoint.  The lease ends on
 * release, TTL expiry, revoke, or the final release of the file (the last
 * dup'ed or passed copy closed, or its process killed).  Every change is a
 * VMSIG_EV_LEASE event and an audit record.
 *
 * Errors:
 *  -EPERM: the file lacks the class's right (audited)
 *  -EBUSY: held by another file, and no VMSIG_LEASE_WAIT
 *  -EALREADY: this file holds it already
 *  -ETIMEDOUT: VMSIG_LEASE_WAIT and @timeout_ns passed
 *  -EINTR: a signal arrived while waiting
 *  -EINVAL: unknown class, nonzero reserved fields, @token nonzero
 *  -EFAULT, -E2BIG: see the argument conventions
 */
#define VMSIG_IOC_LEASE_ACQUIRE	_IOWR(VMSIG_IOC_MAGIC, 0x1b, struct vmsig_lease)

/**
 * VMSIG_IOC_LEASE_RENEW - extend (or clear, @ttl_ns 0) a lease's TTL
 *
 * Issued on: the holding endpoint file.  Argument: &struct vmsig_lease.
 * Errors: -ESTALE (@token is not this file's current grant: released,
 * expired, revoked, or never held), -EINVAL; -EFAULT, -E2BIG.
 */
#define VMSIG_IOC_LEASE_RENEW	_IOWR(VMSIG_IOC_MAGIC, 0x1c, struct vmsig_lease)

/**
 * VMSIG_IOC_LEASE_RELEASE - give a lease back
 *
 * Issued on: the holding endpoint file.  Argument: &struct vmsig_lease.
 * Errors: -ESTALE (as for renew), -EINVAL; -EFAULT, -E2BIG.
 */
#define VMSIG_IOC_LEASE_RELEASE	_IOWR(VMSIG_IOC_MAGIC, 0x1d, struct vmsig_lease)

/**
 * VMSIG_IOC_LEASE_REVOKE - end whoever holds a lease of the class
 *
 * Issued on: an endpoint file with VMSIG_RIGHT_ADMIN.
 * Argument: &struct vmsig_lease; @token is output (the revoked grant).
 * Errors: -EPERM without VMSIG_RIGHT_ADMIN (audited), -ENOENT when nobody
 * holds it, -EINVAL; -EFAULT, -E2BIG.
 */
#define VMSIG_IOC_LEASE_REVOKE	_IOWR(VMSIG_IOC_MAGIC, 0x1e, struct vmsig_lease)

/* ------------------------------------------------------------- memwrite */

/** VMSIG_MEMWRITE_MAX - most bytes one VMSIG_IOC_MEM_WRITE writes */
#define VMSIG_MEMWRITE_MAX	65536

/** VMSIG_WRITE_VIRT - @addr is guest-virtual (through the memctx) */
#define VMSIG_WRITE_VIRT	0x1U
/** VMSIG_WRITE_CAS - compare-and-swap @expect with @value (len 1/2/4/8) */
#define VMSIG_WRITE_CAS		0x2U
/** VMSIG_WRITE_EPOCH - fail with -ESTALE unless @epoch is current */
#define VMSIG_WRITE_EPOCH	0x4U

/**
 * struct vmsig_mem_write - one fenced write of guest memory
 * @size: (in) size of this struct as known by the caller
 * @flags: (in) VMSIG_WRITE_*
 * @addr: (in) guest-physical address, or guest-virtual with VMSIG_WRITE_VIRT
 * @buf: (in) without VMSIG_WRITE_CAS: user pointer to @len bytes to write
 * @len: (in) bytes, 1 to VMSIG_MEMWRITE_MAX; with VMSIG_WRITE_CAS: 1, 2, 4
 *	or 8, and @addr aligned to it
 * @reserved0: must be zero
 * @token: (in) the memwrite lease token this file holds
 * @expect: (in) CAS: the value expected in guest memory
 * @value: (in) CAS: the value to store when it is found
 * @old: (out) CAS: the value found (little-endian, zero-extended)
 * @epoch: (in) with VMSIG_WRITE_EPOCH: the epoch @addr was computed in
 * @swapped: (out) CAS: 1 when @value was stored, 0 when @old != @expect
 * @reserved1: must be zero
 * @reserved: must be zero
 */
struct vmsig_mem_write {
	__u32 size;
	__u32 flags;
	__u64 addr;
	__aligned_u64 buf;
	__u32 len;
	__u32 reserved0;
	__u64 token;
	__u64 expect;
	__u64 value;
	__u64 old;
	__u64 epoch;
	__u32 swapped;
	__u32 reserved1;
	__u64 reserved[2];
};

/**
 * VMSIG_IOC_MEM_WRITE - write guest memory under the memwrite lease
 *
 * Issued on: an endpoint file with VMSIG_RIGHT_MEM_WRITE that holds the
 * memwrite lease.  Argument: &struct vmsig_mem_write.
 * Context: process context, may sleep; holds the endpoint's lease lock for
 * the whole write, so a revoke cannot overtake it.
 *
 * All or nothing: every page of the range is resolved and pinned for
 * writing (which breaks copy-on-write and KSM sharing in the VMM) before the
 * first byte lands; a naturally aligned write of 1, 2, 4 or 8 bytes is a
 * single store the guest sees whole.  Every page written is marked dirty in
 * KVM's dirty bitmap when the memslot logs dirty pages, so live migration
 * cannot lose the write.  Each write is a VMSIG_EV_MEMWRITE event and an
 * audit record.
 *
 * Errors:
 *  -EPERM: the file lacks VMSIG_RIGHT_MEM_WRITE (audited), or the RAM file
 *	    is sealed against writes
 *  -ESTALE: @token is not this file's current memwrite grant (never held,
 *	     released, expired, revoked); or VMSIG_WRITE_EPOCH and @epoch is
 *	     not current
 *  -EFAULT: no guest memory at some byte of the range, or @buf unreadable
 *  -EROFS: the range touches a read-only memslot
 *  -EOPNOTSUPP: no guest memory (backend none), or the memslot logs dirty
 *	     pages in a dirty ring, which vmsig cannot push to (refused rather
 *	     than lost)
 *  -EBADF: ramfd: the RAM file is not open for writing
 *  -EINVAL: bad @len, misaligned CAS, CAS values wider than @len, unknown
 *	     flags, nonzero reserved fields, a non-canonical virtual address
 *  -ENODATA, -ENXIO, -EIO: VMSIG_WRITE_VIRT and the address does not
 *	     translate (no memctx, an entry not present, reserved bits), as
 *	     for VMSIG_IOC_MEM_READ
 *  -ESRCH: the VMM's address space is gone
 *  -E2BIG: see the argument conventions
 */
#define VMSIG_IOC_MEM_WRITE	_IOWR(VMSIG_IOC_MAGIC, 0x1f, struct vmsig_mem_write)

#endif /* _UAPI_LINUX_VMSIG_H */
