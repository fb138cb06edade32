/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmsig_event.h - the event names adapters use.
 *
 * The original userspace bus had its own event struct; on top of the kernel
 * bus an event *is* the kernel's 64-byte record, so adapters build exactly
 * what travels through the endpoint's ring.  The names below keep adapter
 * sources written for the original bus compiling.
 */
#ifndef LIBVMSIG_VMSIG_EVENT_H
#define LIBVMSIG_VMSIG_EVENT_H

#include <stdint.h>

#include "vmsig.h"	/* struct vmsig_event, enum vmsig_source, helpers */

#ifdef __cplusplus
extern "C" {
#endif

/* One record: type, direction, seam, priority, corr, payload (uapi). */
typedef struct vmsig_event vmsig_event;

/* The seam an event belongs to, and the role an adapter plays (uapi). */
typedef enum vmsig_source vmsig_source;

/*
 * Identifies how an adapter lays out its payloads.  The kernel record has
 * no codec field: the id is owned by the adapter and only reported (e.g. in
 * diagnostics), so records stay self-describing through their type alone.
 */
typedef uint32_t vmsig_codec;

/** VMSIG_CODEC_NONE - the adapter uses the uapi payload layouts only */
#define VMSIG_CODEC_NONE ((vmsig_codec)0)

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_EVENT_H */
