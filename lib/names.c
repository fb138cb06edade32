// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Name tables of the uapi's numbers.  Designated initializers indexed by the
 * uapi's own constants, so a renumbered constant moves its name with it;
 * tests/test_names.c checks that every constant of the header has a name.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <linux/vmsig.h>

#include "vmsig_names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Bit number of a single-bit mask, at compile time. */
#define BITNR(m) (__builtin_ctzll(m))

static const char *const feature_names[64] = {
	[BITNR(VMSIG_FEAT_HANDSHAKE)] = "handshake",
	[BITNR(VMSIG_FEAT_BACKEND_NONE)] = "backend_none",
	[BITNR(VMSIG_FEAT_BACKEND_KVM)] = "backend_kvm",
	[BITNR(VMSIG_FEAT_BACKEND_RAMFD)] = "backend_ramfd",
	[BITNR(VMSIG_FEAT_MEM_READ)] = "mem_read",
	[BITNR(VMSIG_FEAT_MEMCTX)] = "memctx",
	[BITNR(VMSIG_FEAT_EVENTS)] = "events",
	[BITNR(VMSIG_FEAT_DERIVE)] = "derive",
	[BITNR(VMSIG_FEAT_LEASES)] = "leases",
	[BITNR(VMSIG_FEAT_MEMWRITE)] = "memwrite",
	[BITNR(VMSIG_FEAT_RIGHTS)] = "rights",
	[BITNR(VMSIG_FEAT_AUDIT)] = "audit",
};

static const char *const ioctl_names[64] = {
	[_IOC_NR(VMSIG_IOC_GET_API)] = "get_api",
	[_IOC_NR(VMSIG_IOC_ATTACH)] = "attach",
	[_IOC_NR(VMSIG_IOC_EP_INFO)] = "ep_info",
	[_IOC_NR(VMSIG_IOC_MEM_READ)] = "mem_read",
	[_IOC_NR(VMSIG_IOC_SET_MEMCTX)] = "set_memctx",
	[_IOC_NR(VMSIG_IOC_GET_MEMCTX)] = "get_memctx",
	[_IOC_NR(VMSIG_IOC_INVALIDATE_MEMCTX)] = "invalidate_memctx",
	[_IOC_NR(VMSIG_IOC_SET_SUB)] = "set_sub",
	[_IOC_NR(VMSIG_IOC_GET_SUB)] = "get_sub",
	[_IOC_NR(VMSIG_IOC_GET_COUNTERS)] = "get_counters",
	[_IOC_NR(VMSIG_IOC_BIND_SINK)] = "bind_sink",
	[_IOC_NR(VMSIG_IOC_DERIVE)] = "derive",
	[_IOC_NR(VMSIG_IOC_OPEN_EP)] = "open_ep",
	[_IOC_NR(VMSIG_IOC_GET_RIGHTS)] = "get_rights",
	[_IOC_NR(VMSIG_IOC_LEASE_ACQUIRE)] = "lease_acquire",
	[_IOC_NR(VMSIG_IOC_LEASE_RENEW)] = "lease_renew",
	[_IOC_NR(VMSIG_IOC_LEASE_RELEASE)] = "lease_release",
	[_IOC_NR(VMSIG_IOC_LEASE_REVOKE)] = "lease_revoke",
	[_IOC_NR(VMSIG_IOC_MEM_WRITE)] = "mem_write",
};

static const char *const backend_names[] = {
	[VMSIG_BACKEND_NONE] = "none",
	[VMSIG_BACKEND_KVM] = "kvm",
	[VMSIG_BACKEND_RAMFD] = "ramfd",
};

static const char *const paging_names[] = {
	[VMSIG_PAGING_X86_64_4LEVEL] = "x86_64_4level",
	[VMSIG_PAGING_X86_64_5LEVEL] = "x86_64_5level",
};

const char *vmsig_feature_name(unsigned int bit)
{
	return bit < ARRAY_SIZE(feature_names) ? feature_names[bit] : NULL;
}

const char *vmsig_ioctl_name(unsigned int nr)
{
	return nr < ARRAY_SIZE(ioctl_names) ? ioctl_names[nr] : NULL;
}

const char *vmsig_backend_name(unsigned int backend)
{
	return backend < ARRAY_SIZE(backend_names) ? backend_names[backend] : NULL;
}

const char *vmsig_paging_name(unsigned int mode)
{
	return mode < ARRAY_SIZE(paging_names) ? paging_names[mode] : NULL;
}

/* Event types are sparse 16-bit numbers: a list, not an array. */
static const struct {
	unsigned int type;
	const char *name;
} event_types[] = {
	{ VMSIG_EV_DROPPED, "dropped" },
	{ VMSIG_EV_LIFECYCLE, "lifecycle" },
	{ VMSIG_EV_MEMCTX, "memctx" },
	{ VMSIG_EV_ACT_ACK, "act_ack" },
	{ VMSIG_EV_LEASE, "lease" },
	{ VMSIG_EV_MEMWRITE, "memwrite" },
	{ VMSIG_EV_VM_STATE, "vm_state" },
	{ VMSIG_EV_POWER, "power" },
	{ VMSIG_EV_INPUT, "input" },
};

static const char *const source_names[VMSIG_SRC_MAX] = {
	[VMSIG_SRC_KERNEL] = "kernel",
	[VMSIG_SRC_MEMCTX] = "memctx",
	[VMSIG_SRC_INPUT] = "input",
	[VMSIG_SRC_VMHOST] = "vmhost",
	[VMSIG_SRC_SENSOR] = "sensor",
	[VMSIG_SRC_CONTROL] = "control",
};

static const char *const lease_class_names[VMSIG_LEASE_CLASSES] = {
	[VMSIG_LEASE_INPUT] = "input",
	[VMSIG_LEASE_POWER] = "power",
	[VMSIG_LEASE_MEMWRITE] = "memwrite",
};

static const char *const lease_change_names[] = {
	[VMSIG_LEASE_EV_GRANTED] = "granted",
	[VMSIG_LEASE_EV_RELEASED] = "released",
	[VMSIG_LEASE_EV_EXPIRED] = "expired",
	[VMSIG_LEASE_EV_REVOKED] = "revoked",
	[VMSIG_LEASE_EV_CLOSED] = "closed",
};

static const char *const vm_state_names[] = {
	[VMSIG_VM_RUNNING] = "running",
	[VMSIG_VM_PAUSED] = "paused",
	[VMSIG_VM_SHUTDOWN] = "shutdown",
	[VMSIG_VM_RESET] = "reset",
	[VMSIG_VM_POWERDOWN] = "powerdown",
};

/* Index of @name in @names[@n] (NULL entries skipped), or -ENOENT. */
static int index_of(const char *const *names, size_t n, const char *name)
{
	if (!name)
		return -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	return -ENOENT;
}

const char *vmsig_event_type_name(unsigned int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(event_types); i++)
		if (event_types[i].type == type)
			return event_types[i].name;
	return NULL;
}

int vmsig_event_type_from_name(const char *name)
{
	if (!name)
		return -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(event_types); i++)
		if (!strcmp(event_types[i].name, name))
			return (int)event_types[i].type;
	return -ENOENT;
}

const char *vmsig_source_name(unsigned int source)
{
	return source < ARRAY_SIZE(source_names) ? source_names[source] : NULL;
}

int vmsig_source_from_name(const char *name)
{
	return index_of(source_names, ARRAY_SIZE(source_names), name);
}

const char *vmsig_lease_class_name(unsigned int lease_class)
{
	return lease_class < ARRAY_SIZE(lease_class_names) ?
	       lease_class_names[lease_class] : NULL;
}

int vmsig_lease_class_from_name(const char *name)
{
	return index_of(lease_class_names, ARRAY_SIZE(lease_class_names), name);
}

const char *vmsig_lease_change_name(unsigned int change)
{
	return change < ARRAY_SIZE(lease_change_names) ? lease_change_names[change] : NULL;
}

const char *vmsig_vm_state_name(unsigned int state)
{
	return state < ARRAY_SIZE(vm_state_names) ? vm_state_names[state] : NULL;
}
