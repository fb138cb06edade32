/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmsig - userspace access to /dev/vmsig.
 *
 * Every function returns 0 (or a non-negative count) on success and -errno on
 * failure; none touches global state, so any function may be called from any
 * thread on distinct objects.
 */
#ifndef LIBVMSIG_VMSIG_H
#define LIBVMSIG_VMSIG_H

#include <stdint.h>
#include <linux/vmsig.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Path of the vmsig device node. */
#define VMSIG_DEV_PATH "/dev/vmsig"

/**
 * vmsig_open() - open the vmsig device
 * @flags: extra open(2) flags (O_CLOEXEC is always added)
 *
 * Return: a file descriptor, or -errno (-ENOENT when the module is not
 * loaded).
 */
int vmsig_open(int flags);

/**
 * vmsig_get_api() - API handshake
 * @devfd: an open /dev/vmsig
 * @api: filled with the module's ABI version, features and ioctl mask
 *
 * Return: 0, -EPROTO when the module speaks another ABI version, or -errno
 * from the ioctl.
 */
int vmsig_get_api(int devfd, struct vmsig_api *api);

/** vmsig_has_feature() - true when every bit of @feat is in @api */
static inline int vmsig_has_feature(const struct vmsig_api *api, uint64_t feat)
{
	return (api->features & feat) == feat;
}

/** vmsig_version() - the library's version string */
const char *vmsig_version(void);

/* ======================================================================
 * uapi wrappers: endpoints, guest memory, memctx and the event ring
 *
 * Conventions of this section: each function issues one kernel operation
 * and returns 0 (or the new fd, or a count) on success and -errno on
 * failure.  "get" functions fill the uapi struct the kernel fills (the
 * wrapper sets @size and @flags); "set" functions take plain values.  Out
 * parameters documented as optional may be NULL.
 * ====================================================================== */

#include <stddef.h>

/**
 * vmsig_attach() - create an endpoint (VMSIG_IOC_ATTACH)
 * @devfd: an open /dev/vmsig
 * @backend: an &enum vmsig_backend
 * @fd: the KVM VM fd (kvm), the RAM file (ramfd) or -1 (none)
 * @ram_base: ramfd: guest-physical address of file offset 0, else 0
 * @ram_size: ramfd: bytes of the file that are RAM (0: the file size), else 0
 * @flags: VMSIG_ATTACH_* flags
 * @ep_id: optional, receives the endpoint id
 *
 * Return: the endpoint fd (O_CLOEXEC), or -errno of the ioctl.
 */
int vmsig_attach(int devfd, uint32_t backend, int fd, uint64_t ram_base,
		 uint64_t ram_size, uint32_t flags, uint32_t *ep_id);

/** vmsig_attach_kvm() - blocking endpoint on KVM VM fd @vmfd; see vmsig_attach() */
int vmsig_attach_kvm(int devfd, int vmfd);

/** vmsig_attach_ramfd() - blocking endpoint on shmem file @ramfd; see vmsig_attach() */
int vmsig_attach_ramfd(int devfd, int ramfd, uint64_t ram_base, uint64_t ram_size);

/** vmsig_attach_none() - blocking endpoint without guest memory */
int vmsig_attach_none(int devfd);

/** vmsig_ep_info() - describe the endpoint of @epfd (VMSIG_IOC_EP_INFO) */
int vmsig_ep_info(int epfd, struct vmsig_ep_info *info);

/**
 * vmsig_derive() - open another subscriber file on the endpoint of @epfd
 * @rights: with VMSIG_DERIVE_RIGHTS in @flags, the new file's rights (a
 *	subset of @epfd's); otherwise 0, and the new file has @epfd's rights
 * @flags: VMSIG_ATTACH_NONBLOCK, VMSIG_DERIVE_RIGHTS
 *
 * Return: the new fd (O_CLOEXEC), or -errno.
 */
int vmsig_derive(int epfd, uint64_t rights, uint32_t flags);

/**
 * vmsig_get_rights() - the rights of the file @epfd (VMSIG_IOC_GET_RIGHTS)
 * @rights: set to its VMSIG_RIGHT_* bits
 *
 * Return: 0 or -errno.
 */
int vmsig_get_rights(int epfd, uint64_t *rights);

/**
 * vmsig_mem_read() - read guest memory in one batch (VMSIG_IOC_MEM_READ)
 * @entries: @n entries; each gets its own @status
 * @n: number of entries, at most VMSIG_MEM_MAX_ENTRIES
 * @flags: VMSIG_READ_* flags
 * @epoch: optional; in: the epoch to insist on with VMSIG_READ_EPOCH
 *	(required then), out: the epoch the batch was translated with
 * @done: optional, receives the number of entries whose status is 0
 *
 * Return: 0 when the batch ran (look at each entry's status), or -errno of
 * the ioctl (-ESTALE, -EOPNOTSUPP, -E2BIG, ...); -EINVAL for
 * VMSIG_READ_EPOCH without @epoch.
 */
int vmsig_mem_read(int epfd, struct vmsig_mem_entry *entries, uint32_t n,
		   uint32_t flags, uint64_t *epoch, uint32_t *done);

/**
 * struct vmsig_read_batch - builder for vmsig_mem_read() over caller storage
 * @entries: the caller's array of @cap entries
 * @cap: capacity of @entries (clamped to VMSIG_MEM_MAX_ENTRIES)
 * @count: entries added so far
 * @total: bytes requested so far
 * @epoch: in with VMSIG_READ_EPOCH, out after vmsig_read_batch_submit()
 * @done: entries that succeeded in the last submit
 *
 * The builder checks the batch limits as entries are added, so a batch that
 * was built without error is never refused for its size.
 */
struct vmsig_read_batch {
	struct vmsig_mem_entry *entries;
	uint32_t cap;
	uint32_t count;
	uint64_t total;
	uint64_t epoch;
	uint32_t done;
};

/** vmsig_read_batch_init() - start an empty batch on @entries[@cap] */
void vmsig_read_batch_init(struct vmsig_read_batch *b,
			   struct vmsig_mem_entry *entries, uint32_t cap);

/** vmsig_read_batch_reset() - empty @b, keeping its storage and @epoch */
void vmsig_read_batch_reset(struct vmsig_read_batch *b);

/**
 * vmsig_read_batch_add_phys() - add a read of @len bytes at guest-physical @gpa
 *
 * Return: the entry's index, -ENOSPC when the batch is full, -E2BIG when
 * @len is above VMSIG_MEM_MAX_LEN or the batch would exceed
 * VMSIG_MEM_MAX_TOTAL.
 */
int vmsig_read_batch_add_phys(struct vmsig_read_batch *b, uint64_t gpa,
			      void *buf, size_t len);

/** vmsig_read_batch_add_virt() - as add_phys, at guest-virtual @gva */
int vmsig_read_batch_add_virt(struct vmsig_read_batch *b, uint64_t gva,
			      void *buf, size_t len);

/**
 * vmsig_read_batch_submit() - run @b with VMSIG_READ_* @flags
 *
 * Updates @b->epoch and @b->done; per-entry results are in
 * @b->entries[i].status.  Return: as vmsig_mem_read().
 */
int vmsig_read_batch_submit(int epfd, struct vmsig_read_batch *b, uint32_t flags);

/**
 * vmsig_read_phys() - read @len bytes at guest-physical @gpa into @buf
 *
 * Return: 0 when every byte was read, the entry's status (-EFAULT, ...) or
 * an error of the ioctl; -E2BIG when @len is above VMSIG_MEM_MAX_LEN.
 */
int vmsig_read_phys(int epfd, uint64_t gpa, void *buf, size_t len);

/** vmsig_read_virt() - as vmsig_read_phys(), at guest-virtual @gva */
int vmsig_read_virt(int epfd, uint64_t gva, void *buf, size_t len);

/**
 * vmsig_set_memctx() - set the endpoint's address-space context
 * @root: the guest's CR3
 * @mode: an &enum vmsig_paging
 * @epoch: optional, receives the new epoch
 */
int vmsig_set_memctx(int epfd, uint64_t root, uint32_t mode, uint64_t *epoch);

/** vmsig_get_memctx() - read the memctx; @mc->mode is 0 when there is none */
int vmsig_get_memctx(int epfd, struct vmsig_memctx *mc);

/** vmsig_invalidate_memctx() - drop the memctx; @epoch (optional): the new epoch */
int vmsig_invalidate_memctx(int epfd, uint64_t *epoch);

/**
 * vmsig_set_sub() - set this file's subscription and ring size
 * @sources: bit N: UP events of source N
 * @kernel_types: bit N: kernel event type N
 * @ring_size: records per lane (a power of two), 0 keeps the current size
 */
int vmsig_set_sub(int epfd, uint64_t sources, uint64_t kernel_types,
		  uint32_t ring_size);

/** vmsig_get_sub() - read this file's subscription and ring size */
int vmsig_get_sub(int epfd, struct vmsig_sub *sub);

/** vmsig_get_counters() - read this file's delivery counters */
int vmsig_get_counters(int epfd, struct vmsig_counters *c);

/** vmsig_bind_sink() - make this file the sink of DOWN events of @source */
int vmsig_bind_sink(int epfd, uint32_t source);

/** vmsig_unbind_sink() - stop being the sink of @source (-ENOENT if not) */
int vmsig_unbind_sink(int epfd, uint32_t source);

/**
 * vmsig_event_init() - zero @ev and set its type, direction and source
 *
 * Also sets @version to VMSIG_EVENT_VERSION.  Fields the kernel sets
 * (@seq, @ts_ns, @ep_id) stay zero.
 */
void vmsig_event_init(struct vmsig_event *ev, uint16_t type, uint8_t dir,
		      uint8_t source);

/**
 * vmsig_read_events() - read up to @max whole records
 *
 * Return: the number of records read (at least 1 in blocking mode); 0 when
 * the file is non-blocking and nothing is queued (or @max is 0); -EPIPE
 * once the endpoint is dead and every record was read (end of file);
 * -EINTR when a blocking read was interrupted; -errno otherwise.
 */
int vmsig_read_events(int epfd, struct vmsig_event *evs, size_t max);

/**
 * vmsig_wait_events() - wait until records can be read from @epfd
 * @timeout_ms: as poll(2): -1 forever, 0 just check
 *
 * Return: 1 when records are queued, 0 on timeout, -EPIPE when the endpoint
 * is dead and nothing is left to read, -errno of poll(2).
 */
int vmsig_wait_events(int epfd, int timeout_ms);

/**
 * vmsig_write_events() - write @n records
 *
 * The kernel takes whole records and stops at the first one it refuses.
 *
 * Return: how many records were accepted (@n when all); when the very first
 * record is refused, -errno (-ENXIO: DOWN record and no sink bound,
 * -EAGAIN, -EINVAL, ...); -E2BIG when @n does not fit an int.  After a
 * short count, writing the rest again reports why the next record was
 * refused.
 */
int vmsig_write_events(int epfd, const struct vmsig_event *evs, size_t n);

/**
 * vmsig_submit_down() - submit one DOWN record (a decision)
 *
 * Sets @ev->dir to VMSIG_DIR_DOWN and @ev->version; the caller fills type
 * (>= VMSIG_EV_DOWN_MIN), source (the seam), corr, aux and payload.  The
 * answer arrives as a VMSIG_EV_ACT_ACK record with the same @corr.
 *
 * Return: 0, -EINVAL for a type below VMSIG_EV_DOWN_MIN, -ENXIO when no
 * sink is bound for @ev->source, or another -errno of the write.
 */
int vmsig_submit_down(int epfd, struct vmsig_event *ev);

/**
 * vmsig_ack() - answer the DOWN record @down, as its sink
 * @status: 0 or a negative errno, carried in @aux
 *
 * Writes a VMSIG_EV_ACT_ACK (UP, same source and corr as @down).
 * Return: 0 or -errno of the write.
 */
int vmsig_ack(int epfd, const struct vmsig_event *down, int status);

/* ======================================================================
 * Opening an endpoint by id, leases and fenced guest-memory writes
 * (endpoint.c, lease.c).  Same conventions as the section above.
 * ====================================================================== */

/**
 * vmsig_open_ep() - open a new file on the existing endpoint @ep_id
 *	(VMSIG_IOC_OPEN_EP)
 * @devfd: an open /dev/vmsig
 * @ep_id: the endpoint's id (see vmsig_nl_list_endpoints())
 * @flags: VMSIG_ATTACH_NONBLOCK or 0
 *
 * For administrators: the file has every right, so the call needs
 * CAP_SYS_ADMIN.  It is audited.
 *
 * Return: the new fd (O_CLOEXEC); -EPERM without CAP_SYS_ADMIN, -ENOENT
 * when no endpoint has that id, or another -errno of the ioctl.
 */
int vmsig_open_ep(int devfd, uint32_t ep_id, uint32_t flags);

/**
 * vmsig_lease_acquire() - take the lease of @lease_class (VMSIG_IOC_LEASE_ACQUIRE)
 * @lease_class: an &enum vmsig_lease_class
 * @ttl_ns: lifetime from now, 0 for none (the lease then ends on release,
 *	revoke or when the file is finally closed)
 * @flags: VMSIG_LEASE_WAIT to wait for the holder instead of -EBUSY
 * @timeout_ns: with VMSIG_LEASE_WAIT, the longest wait (0: until granted
 *	or a signal); must be 0 without it
 * @token: receives the fencing token
 * @expires_ns: optional, receives the CLOCK_MONOTONIC expiry (0 for none)
 *
 * Return: 0; -EBUSY (held by another file), -EALREADY (held by this file),
 * -ETIMEDOUT, -EINTR, -EPERM (the file lacks the class's right), -EINVAL.
 */
int vmsig_lease_acquire(int epfd, uint32_t lease_class, uint64_t ttl_ns,
			uint32_t flags, uint64_t timeout_ns, uint64_t *token,
			uint64_t *expires_ns);

/**
 * vmsig_lease_renew() - set a held lease's TTL to @ttl_ns from now (0: none)
 * @expires_ns: optional, receives the new expiry
 *
 * Return: 0, -ESTALE when @token is not this file's current grant.
 */
int vmsig_lease_renew(int epfd, uint32_t lease_class, uint64_t token,
		      uint64_t ttl_ns, uint64_t *expires_ns);

/** vmsig_lease_release() - give back the grant @token; -ESTALE if not held */
int vmsig_lease_release(int epfd, uint32_t lease_class, uint64_t token);

/**
 * vmsig_lease_revoke() - end whoever holds @lease_class (needs VMSIG_RIGHT_ADMIN)
 * @token: optional, receives the revoked grant's token
 *
 * Return: 0, -ENOENT when nobody holds it, -EPERM without the right.
 */
int vmsig_lease_revoke(int epfd, uint32_t lease_class, uint64_t *token);

/**
 * vmsig_mem_write() - write @len bytes of @buf at @addr (VMSIG_IOC_MEM_WRITE)
 * @token: the memwrite lease token this file holds
 * @addr: guest-physical, or guest-virtual with VMSIG_WRITE_VIRT
 * @flags: VMSIG_WRITE_VIRT, VMSIG_WRITE_EPOCH (not VMSIG_WRITE_CAS)
 * @epoch: with VMSIG_WRITE_EPOCH, the epoch @addr was computed in
 *
 * All or nothing; an aligned write of 1, 2, 4 or 8 bytes is one store.
 *
 * Return: 0; -EINVAL for @len 0, VMSIG_WRITE_CAS or a NULL @buf; -E2BIG
 * for @len above VMSIG_MEMWRITE_MAX; else -errno of the ioctl (-ESTALE
 * when the lease is not held, -EFAULT, -EROFS, -EOPNOTSUPP, -ESRCH, ...).
 */
int vmsig_mem_write(int epfd, uint64_t token, uint64_t addr, const void *buf,
		    size_t len, uint32_t flags, uint64_t epoch);

/**
 * vmsig_mem_cas() - compare-and-swap one naturally aligned word of guest memory
 * @token: the memwrite lease token this file holds
 * @addr: aligned to @width
 * @width: 1, 2, 4 or 8 bytes
 * @expect: the value expected (little-endian in guest memory)
 * @value: the value to store when @expect is found
 * @flags: VMSIG_WRITE_VIRT, VMSIG_WRITE_EPOCH
 * @epoch: with VMSIG_WRITE_EPOCH, the epoch @addr was computed in
 * @old: optional, receives the value found (zero-extended)
 *
 * Return: 1 when @value was stored, 0 when the memory held another value
 * (*@old says which), -EINVAL for a bad @width or values wider than it,
 * else -errno as vmsig_mem_write().
 */
int vmsig_mem_cas(int epfd, uint64_t token, uint64_t addr, uint32_t width,
		  uint64_t expect, uint64_t value, uint32_t flags,
		  uint64_t epoch, uint64_t *old);

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_H */
