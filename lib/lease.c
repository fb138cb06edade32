// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Leases with fencing tokens, and fenced writes of guest memory
 * (VMSIG_IOC_LEASE_* and VMSIG_IOC_MEM_WRITE).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmsig.h"

static int lease_ioctl(int epfd, unsigned long cmd, struct vmsig_lease *l)
{
	return ioctl(epfd, cmd, l) < 0 ? -errno : 0;
}

static void lease_init(struct vmsig_lease *l, uint32_t lease_class)
{
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->lease_class = lease_class;
}

int vmsig_lease_acquire(int epfd, uint32_t lease_class, uint64_t ttl_ns,
			uint32_t flags, uint64_t timeout_ns, uint64_t *token,
			uint64_t *expires_ns)
{
	struct vmsig_lease l;
	int err;

	if (!token || (timeout_ns && !(flags & VMSIG_LEASE_WAIT)))
		return -EINVAL;
	lease_init(&l, lease_class);
	l.flags = flags;
	l.ttl_ns = ttl_ns;
	l.timeout_ns = timeout_ns;
	err = lease_ioctl(epfd, VMSIG_IOC_LEASE_ACQUIRE, &l);
	if (err)
		return err;
	*token = l.token;
	if (expires_ns)
		*expires_ns = l.expires_ns;
	return 0;
}

int vmsig_lease_renew(int epfd, uint32_t lease_class, uint64_t token,
		      uint64_t ttl_ns, uint64_t *expires_ns)
{
	struct vmsig_lease l;
	int err;

	lease_init(&l, lease_class);
	l.token = token;
	l.ttl_ns = ttl_ns;
	err = lease_ioctl(epfd, VMSIG_IOC_LEASE_RENEW, &l);
	if (!err && expires_ns)
		*expires_ns = l.expires_ns;
	return err;
}

int vmsig_lease_release(int epfd, uint32_t lease_class, uint64_t token)
{
	struct vmsig_lease l;

	lease_init(&l, lease_class);
	l.token = token;
	return lease_ioctl(epfd, VMSIG_IOC_LEASE_RELEASE, &l);
}

int vmsig_lease_revoke(int epfd, uint32_t lease_class, uint64_t *token)
{
	struct vmsig_lease l;
	int err;

	lease_init(&l, lease_class);
	err = lease_ioctl(epfd, VMSIG_IOC_LEASE_REVOKE, &l);
	if (!err && token)
		*token = l.token;
	return err;
}

static void write_init(struct vmsig_mem_write *w, uint64_t token, uint64_t addr,
		       uint32_t flags, uint64_t epoch)
{
	memset(w, 0, sizeof(*w));
	w->size = sizeof(*w);
	w->flags = flags;
	w->addr = addr;
	w->token = token;
	if (flags & VMSIG_WRITE_EPOCH)
		w->epoch = epoch;
}

int vmsig_mem_write(int epfd, uint64_t token, uint64_t addr, const void *buf,
		    size_t len, uint32_t flags, uint64_t epoch)
{
	struct vmsig_mem_write w;

	if (flags & VMSIG_WRITE_CAS)
		return -EINVAL;		/* vmsig_mem_cas() */
	if (!len || !buf)
		return -EINVAL;
	if (len > VMSIG_MEMWRITE_MAX)
		return -E2BIG;
	write_init(&w, token, addr, flags, epoch);
	w.buf = (uintptr_t)buf;
	w.len = (uint32_t)len;
	return ioctl(epfd, VMSIG_IOC_MEM_WRITE, &w) < 0 ? -errno : 0;
}

int vmsig_mem_cas(int epfd, uint64_t token, uint64_t addr, uint32_t width,
		  uint64_t expect, uint64_t value, uint32_t flags,
		  uint64_t epoch, uint64_t *old)
{
	struct vmsig_mem_write w;

	if (width != 1 && width != 2 && width != 4 && width != 8)
		return -EINVAL;
	/* The kernel refuses values wider than @width too. */
	if (width < 8 && ((expect | value) >> (8 * width)))
		return -EINVAL;
	write_init(&w, token, addr, flags | VMSIG_WRITE_CAS, epoch);
	w.len = width;
	w.expect = expect;
	w.value = value;
	if (ioctl(epfd, VMSIG_IOC_MEM_WRITE, &w) < 0)
		return -errno;
	if (old)
		*old = w.old;
	return w.swapped ? 1 : 0;
}
