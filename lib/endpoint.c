// SPDX-License-Identifier: LGPL-2.1-or-later
/* Endpoints: attach, describe, derive more subscriber files. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmsig.h"

int vmsig_attach(int devfd, uint32_t backend, int fd, uint64_t ram_base,
		 uint64_t ram_size, uint32_t flags, uint32_t *ep_id)
{
	struct vmsig_attach at;
	int ret;

	memset(&at, 0, sizeof(at));
	at.size = sizeof(at);
	at.flags = flags;
	at.backend = backend;
	at.fd = fd;
	at.ram_base = ram_base;
	at.ram_size = ram_size;
	ret = ioctl(devfd, VMSIG_IOC_ATTACH, &at);
	if (ret < 0)
		return -errno;
	if (ep_id)
		*ep_id = at.ep_id;
	/* The fd is both the return value and @ep_fd; they agree. */
	return ret;
}

int vmsig_attach_kvm(int devfd, int vmfd)
{
	return vmsig_attach(devfd, VMSIG_BACKEND_KVM, vmfd, 0, 0, 0, NULL);
}

int vmsig_attach_ramfd(int devfd, int ramfd, uint64_t ram_base, uint64_t ram_size)
{
	return vmsig_attach(devfd, VMSIG_BACKEND_RAMFD, ramfd, ram_base,
			    ram_size, 0, NULL);
}

int vmsig_attach_none(int devfd)
{
	return vmsig_attach(devfd, VMSIG_BACKEND_NONE, -1, 0, 0, 0, NULL);
}

int vmsig_ep_info(int epfd, struct vmsig_ep_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(epfd, VMSIG_IOC_EP_INFO, info) < 0 ? -errno : 0;
}

int vmsig_derive(int epfd, uint64_t rights, uint32_t flags)
{
	struct vmsig_derive d;
	int ret;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.flags = flags;
	d.rights = rights;
	ret = ioctl(epfd, VMSIG_IOC_DERIVE, &d);
	return ret < 0 ? -errno : ret;
}

int vmsig_get_rights(int epfd, uint64_t *rights)
{
	struct vmsig_rights r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	if (ioctl(epfd, VMSIG_IOC_GET_RIGHTS, &r) < 0)
		return -errno;
	*rights = r.rights;
	return 0;
}

int vmsig_open_ep(int devfd, uint32_t ep_id, uint32_t flags)
{
	struct vmsig_open_ep op;
	int ret;

	memset(&op, 0, sizeof(op));
	op.size = sizeof(op);
	op.flags = flags;
	op.ep_id = ep_id;
	ret = ioctl(devfd, VMSIG_IOC_OPEN_EP, &op);
	return ret < 0 ? -errno : ret;
}
