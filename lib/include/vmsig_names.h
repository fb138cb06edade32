/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmsig name tables - printable names of the uapi's numbers.
 *
 * One table per kind, kept next to uapi/linux/vmsig.h by a unit test that
 * reads the header, so every tool prints the same names.  A name is the uapi
 * macro or enumerator without its prefix, in lower case:
 * VMSIG_FEAT_BACKEND_KVM is "backend_kvm", VMSIG_IOC_MEM_READ is "mem_read",
 * VMSIG_BACKEND_RAMFD is "ramfd".
 */
#ifndef LIBVMSIG_VMSIG_NAMES_H
#define LIBVMSIG_VMSIG_NAMES_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * vmsig_feature_name() - name of feature bit @bit (0-63) of &vmsig_api.features
 *
 * Return: a static string, or NULL for a bit this library does not know.
 */
const char *vmsig_feature_name(unsigned int bit);

/**
 * vmsig_ioctl_name() - name of the command with number @nr (0-63)
 *
 * @nr is the _IOC_NR() of the command, i.e. the bit of &vmsig_api.ioctls.
 *
 * Return: a static string, or NULL for a number this library does not know.
 */
const char *vmsig_ioctl_name(unsigned int nr);

/**
 * vmsig_backend_name() - name of an &enum vmsig_backend value
 *
 * Return: a static string, or NULL for a backend this library does not know.
 */
const char *vmsig_backend_name(unsigned int backend);

/**
 * vmsig_paging_name() - name of an &enum vmsig_paging value
 *
 * Return: a static string, or NULL for 0 (no memctx) and unknown modes.
 */
const char *vmsig_paging_name(unsigned int mode);

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_NAMES_H */
