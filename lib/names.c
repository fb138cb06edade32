// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Name tables of the uapi's numbers.  Designated initializers indexed by the
 * uapi's own constants, so a renumbered constant moves its name with it;
 * tests/test_names.c checks that every constant of the header has a name.
 */
#include <stddef.h>
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
