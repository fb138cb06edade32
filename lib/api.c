// SPDX-License-Identifier: LGPL-2.1-or-later
/* Device access and the API handshake. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmsig.h"

int vmsig_open(int flags)
{
	int fd = open(VMSIG_DEV_PATH, O_RDWR | O_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

int vmsig_get_api(int devfd, struct vmsig_api *api)
{
	memset(api, 0, sizeof(*api));
	api->size = sizeof(*api);
	if (ioctl(devfd, VMSIG_IOC_GET_API, api) < 0)
		return -errno;
	/* A module of another ABI generation is not something to guess at. */
	if (api->abi_version != VMSIG_ABI_VERSION)
		return -EPROTO;
	return 0;
}

const char *vmsig_version(void)
{
	return VMSIG_VERSION;
}
