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

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_H */
