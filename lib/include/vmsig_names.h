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

/**
 * vmsig_event_type_name() - name of a VMSIG_EV_* event type
 *
 * VMSIG_EV_ACT_ACK is "act_ack", VMSIG_EV_VM_STATE "vm_state".
 *
 * Return: a static string, or NULL for a type this library does not know
 * (adapter-defined types, for one).
 */
const char *vmsig_event_type_name(unsigned int type);

/**
 * vmsig_event_type_from_name() - the VMSIG_EV_* type named @name
 *
 * Return: the type (0-0xffff), or -ENOENT for an unknown name.
 */
int vmsig_event_type_from_name(const char *name);

/**
 * vmsig_source_name() - name of an &enum vmsig_source value ("vmhost")
 *
 * Return: a static string, or NULL for VMSIG_SRC_MAX and beyond.
 */
const char *vmsig_source_name(unsigned int source);

/** vmsig_source_from_name() - the source named @name, or -ENOENT */
int vmsig_source_from_name(const char *name);

/**
 * vmsig_lease_class_name() - name of an &enum vmsig_lease_class value
 *
 * Return: a static string ("input", "power", "memwrite"), or NULL.
 */
const char *vmsig_lease_class_name(unsigned int lease_class);

/** vmsig_lease_class_from_name() - the lease class named @name, or -ENOENT */
int vmsig_lease_class_from_name(const char *name);

/**
 * vmsig_lease_change_name() - name of a VMSIG_LEASE_EV_* value (payload
 * u32[3] of VMSIG_EV_LEASE): "granted", "released", ...
 *
 * Return: a static string, or NULL for 0 and unknown values.
 */
const char *vmsig_lease_change_name(unsigned int change);

/**
 * vmsig_vm_state_name() - name of a VMSIG_VM_* value (@aux of
 * VMSIG_EV_VM_STATE): "running", "paused", ...
 *
 * Return: a static string, or NULL for 0 and unknown values.
 */
const char *vmsig_vm_state_name(unsigned int state);

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_NAMES_H */
