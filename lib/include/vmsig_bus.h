/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmsig_bus.h - the bus loop: adapters on one endpoint.
 *
 * A bus owns a set of adapters (vmsig_adapter.h) for one endpoint and moves
 * records between them and the kernel:
 *
 *  - what an adapter emits is written to the endpoint as an UP record;
 *  - for every adapter with a submit() the bus becomes the sink of the
 *    adapter's seam (VMSIG_IOC_BIND_SINK), and each DOWN record the kernel
 *    routes to it goes to that adapter's submit(); when submit() refuses
 *    (1) or fails (-1) the bus answers with VMSIG_EV_ACT_ACK itself, with
 *    status -EOPNOTSUPP or -EIO (a submit() returning another negative
 *    value passes it on as the status);
 *  - register_memctx()/unregister_memctx() become VMSIG_IOC_SET_MEMCTX /
 *    VMSIG_IOC_INVALIDATE_MEMCTX on the endpoint;
 *  - an adapter whose on_readiness() fails is closed and dropped; the
 *    others go on.
 *
 * The endpoint file given to the bus becomes the bus's own: the bus sets it
 * O_NONBLOCK (restored by vmsig_bus_free()) and narrows its subscription to
 * nothing, so its ring carries only the DOWN records of its seams (and
 * VMSIG_EV_DROPPED) and cannot be flooded by UP traffic it would discard.
 * Controls use their own files (vmsig_derive(), or another attach).  The
 * caller keeps ownership of the fd and closes it after vmsig_bus_free().
 *
 * Threads: vmsig_bus_stop() and the emit callback may be called from any
 * thread.  Everything else, and every adapter callback, runs on the thread
 * that runs the loop; add adapters before vmsig_bus_run() or from that
 * thread.  Distinct buses are independent.
 */
#ifndef LIBVMSIG_VMSIG_BUS_H
#define LIBVMSIG_VMSIG_BUS_H

#include <stdint.h>

#include "vmsig_adapter.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vmsig_bus;

/** Most fds one adapter may register (the @cap passed to attach()). */
#define VMSIG_BUS_MAX_FDS 16

/** Counters of one bus, for diagnostics. */
struct vmsig_bus_stats {
	uint64_t emitted;		/* UP records written for adapters */
	uint64_t emit_errors;		/* emits the endpoint refused */
	uint64_t routed;		/* DOWN records a submit() accepted */
	uint64_t bus_acks;		/* ACKs the bus wrote itself */
	uint64_t dropped;		/* records the kernel dropped for us */
	uint64_t adapters_failed;	/* adapters dropped after a failure */
};

/**
 * vmsig_bus_new() - make a bus on endpoint file @epfd
 *
 * Return: 0 and *@bus, or -errno (of VMSIG_IOC_EP_INFO, VMSIG_IOC_SET_SUB,
 * fcntl, epoll_create1, eventfd; -ENOMEM).
 */
int vmsig_bus_new(int epfd, struct vmsig_bus **bus);

/**
 * vmsig_bus_add_adapter() - open, attach and start watching an adapter
 * @cfg: passed to @ops->open() as is
 *
 * Return: 0; -EINVAL for an incomplete vtable or an fd registration with an
 * unknown shape or a negative fd; -EBUSY when another adapter of the bus
 * already serves @ops->source with a submit(); -errno set by open() (else
 * -EIO) when it returns NULL; likewise the errno attach() left (else -EIO)
 * when it fails; -E2BIG when it
 * claims more than VMSIG_BUS_MAX_FDS fds; -errno of epoll_ctl or
 * VMSIG_IOC_BIND_SINK.  On failure the adapter is closed.
 */
int vmsig_bus_add_adapter(struct vmsig_bus *bus, const vmsig_adapter_ops *ops,
			  const void *cfg);

/**
 * vmsig_bus_run_once() - wait up to @timeout_ms (-1: forever) and dispatch
 *
 * Return: the number of ready fds handled (0 on timeout or signal), -EPIPE
 * once the endpoint is dead and drained, or -errno of epoll_wait/read.
 */
int vmsig_bus_run_once(struct vmsig_bus *bus, int timeout_ms);

/**
 * vmsig_bus_run() - dispatch until vmsig_bus_stop() or an error
 *
 * A stop requested before the call makes it return at once.
 * Return: 0 after a stop, or the error of vmsig_bus_run_once().
 */
int vmsig_bus_run(struct vmsig_bus *bus);

/** vmsig_bus_stop() - make vmsig_bus_run() return; any thread, any time */
void vmsig_bus_stop(struct vmsig_bus *bus);

/** vmsig_bus_adapter_count() - adapters currently on the bus */
int vmsig_bus_adapter_count(const struct vmsig_bus *bus);

/** vmsig_bus_ep_id() - id of the bus's endpoint */
uint32_t vmsig_bus_ep_id(const struct vmsig_bus *bus);

/** vmsig_bus_get_stats() - a snapshot of the counters; any thread */
void vmsig_bus_get_stats(struct vmsig_bus *bus, struct vmsig_bus_stats *st);

/**
 * vmsig_bus_free() - close every adapter (unbinding its seam) and free @bus
 *
 * Not while vmsig_bus_run() runs.  The endpoint fd stays open.
 */
void vmsig_bus_free(struct vmsig_bus *bus);

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_BUS_H */
