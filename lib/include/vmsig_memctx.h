/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmsig_memctx.h - what an adapter registers as an endpoint's address-space
 * context.
 *
 * An adapter that learns the guest's page-table root (the memctx adapter
 * samples CR3 from the VMM) hands it to the bus with
 * vmsig_emit.register_memctx(); the bus turns it into VMSIG_IOC_SET_MEMCTX
 * on its endpoint, which bumps the epoch so every cached translation is
 * dropped, and makes the kernel publish a retained VMSIG_EV_MEMCTX record.
 */
#ifndef LIBVMSIG_VMSIG_MEMCTX_H
#define LIBVMSIG_VMSIG_MEMCTX_H

#include <stdint.h>

#include "vmsig.h"	/* enum vmsig_paging */

#ifdef __cplusplus
extern "C" {
#endif

/**
 * vmsig_memctx_reg - an address-space context registration
 * @endpoint: the id of the endpoint the context belongs to: the id the
 *	adapter was opened with (ops->open()); the bus refuses another id,
 *	since one bus serves one endpoint
 * @mode: an &enum vmsig_paging (VMSIG_PAGING_X86_64_4LEVEL / _5LEVEL)
 * @root: the guest's CR3 as read; bits 51:12 locate the top-level table,
 *	the kernel ignores the low (PCID, PWT/PCD) and high bits
 * @ram_fd: the read-only RAM-region fd of the original design, where the
 *	bus mapped guest memory itself.  Here the endpoint already reaches
 *	guest memory through the backend chosen at attach (KVM VM or RAM
 *	file), so the bus does not use it: set it to -1.  It stays for source
 *	compatibility; the bus never closes it.
 */
typedef struct vmsig_memctx_reg {
	uint32_t endpoint;
	uint32_t mode;
	uint64_t root;
	int ram_fd;
} vmsig_memctx_reg;

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_MEMCTX_H */
