/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included into every vmsig source file: the only place where the
 * differences between target kernels are spelled out.  The VMSIG_HAVE_*
 * switches come from probe.sh, which reads the target's headers at build
 * time.  Nothing here includes kernel headers, so it is safe to be first.
 */
#ifndef VMSIG_COMPAT_H
#define VMSIG_COMPAT_H

#include "vmsig_probed.h"

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#ifndef VMSIG_VERSION
#define VMSIG_VERSION "unknown"
#endif

/*
 * vmsig_get_user_pages_remote() - get_user_pages_remote() without the vmas
 * argument, which kernels before 6.5 still take.
 */
#ifdef VMSIG_HAVE_GUP_REMOTE_VMAS
#define vmsig_get_user_pages_remote(mm, start, nr, flags, pages, locked) \
	get_user_pages_remote(mm, start, nr, flags, pages, NULL, locked)
#else
#define vmsig_get_user_pages_remote(mm, start, nr, flags, pages, locked) \
	get_user_pages_remote(mm, start, nr, flags, pages, locked)
#endif

/* The kvm backend needs these KVM exports; without them it is left out. */
#if defined(VMSIG_HAVE_EXPORT_FILE_IS_KVM) && \
	defined(VMSIG_HAVE_EXPORT_KVM_GET_KVM) && \
	defined(VMSIG_HAVE_EXPORT_KVM_PUT_KVM)
#define VMSIG_HAVE_KVM_BACKEND 1
#endif

/*
 * vmsig_genl_dump_attrs() - the attributes of a dump request, parsed and
 * validated by the genetlink core against the family's policy.  The parsed
 * request moved from struct genl_dumpit_info into a struct genl_info
 * (genl_info_dump()) between 6.1 and 6.12.
 */
#ifdef VMSIG_HAVE_GENL_INFO_DUMP
#define vmsig_genl_dump_attrs(cb)	(genl_info_dump(cb)->attrs)
#else
#define vmsig_genl_dump_attrs(cb)	(genl_dumpit_info(cb)->attrs)
#endif

/*
 * VMSIG_GENL_MCGRP_ADMIN - flags of a multicast group only CAP_NET_ADMIN may
 * join.  Kernels without GENL_MCAST_CAP_* cannot restrict joining at all
 * (documented in Documentation/userspace-api.rst).
 */
#ifdef VMSIG_HAVE_GENL_MCAST_CAP
#define VMSIG_GENL_MCGRP_ADMIN		GENL_MCAST_CAP_NET_ADMIN
#else
#define VMSIG_GENL_MCGRP_ADMIN		0
#endif

#endif /* VMSIG_COMPAT_H */
