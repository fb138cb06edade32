/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals shared by the stock adapters (adapter_*.c) and their unit
 * tests.  Not exported from the shared library (the version script keeps
 * vmsig__* local).
 */
#ifndef LIBVMSIG_ADAPTER_PRIV_H
#define LIBVMSIG_ADAPTER_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "vmsig_adapters.h"

struct vmsig_qmp;

/* An adapter's own copy of a struct vmsig_qmp_target. */
struct vmsig__qmp_dest {
	char *path;		/* strdup()ed, or NULL */
	int fd;			/* dup()ed, or -1; consumed by connect */
	int timeout_ms;
};

/*
 * Copy @t (path duplicated, fd dup()ed) with @def_ms as the timeout when
 * @t says 0.  Return: 0, -EINVAL (neither path nor fd, negative timeout),
 * -ENOMEM, -errno of fcntl(F_DUPFD_CLOEXEC).
 */
int vmsig__qmp_dest_init(struct vmsig__qmp_dest *d,
			 const struct vmsig_qmp_target *t, int def_ms);

/* Release what init took.  Safe on a zeroed or finished dest. */
void vmsig__qmp_dest_fini(struct vmsig__qmp_dest *d);

/*
 * Connect (or adopt the fd, which is consumed even on failure), greet and
 * negotiate, all bounded by the dest's timeout, which also becomes the
 * client's command timeout.  Return: 0 or -errno of the QMP client.
 */
int vmsig__qmp_dest_connect(struct vmsig__qmp_dest *d, struct vmsig_qmp **qp);

/* Drop every queued QMP event (a connection whose events nobody wants). */
void vmsig__qmp_discard_events(struct vmsig_qmp *q);

/*
 * True when @err, an error of the QMP client, means the connection is
 * unusable for good (the peer left, the stream is corrupt), rather than
 * one command failing (-EREMOTEIO, -ETIMEDOUT, -EBADMSG, -ENOMEM...).
 */
bool vmsig__qmp_err_is_dead(int err);

/*
 * Answer the DOWN record @down through the bus's emit: a VMSIG_EV_ACT_ACK
 * with @down's source and corr and @status (0 or -errno) in aux.
 * Return: what emit returned.
 */
int vmsig__adapter_ack(const vmsig_emit *emit, const vmsig_event *down,
		       int status);

/* ------------------------------------------------ memctx: HMP parsing */

/* What vmsig__hmp_parse_x86_regs() found. */
struct vmsig__x86_regs {
	uint64_t cr0, cr3, cr4, efer;
};

/* EFER.LMA (bit 10): the vCPU runs in long mode. */
#define VMSIG__EFER_LMA		(1ULL << 10)
/* CR4.LA57 (bit 12): 5-level paging. */
#define VMSIG__CR4_LA57		(1ULL << 12)

/*
 * Parse the "info registers" text of QEMU's x86 targets for vCPU @vcpu:
 * when the text has "CPU#N" headers only the section of CPU#@vcpu counts;
 * CR0, CR3, CR4 (8 or 16 hex digits after "NAME=") and EFER must each
 * appear exactly once in it, as a whole token.
 * Return: 0, -ENOENT when there is no section for @vcpu, -EBADMSG when a
 * register is missing, repeated or not hex.
 */
int vmsig__hmp_parse_x86_regs(const char *text, unsigned int vcpu,
			      struct vmsig__x86_regs *out);

#endif /* LIBVMSIG_ADAPTER_PRIV_H */
