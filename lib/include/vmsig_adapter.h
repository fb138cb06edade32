/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmsig_adapter.h - the adapter contract of the bus loop.
 *
 * An adapter connects one seam of a VM (its VMM's monitor, an input path,
 * a sensor) to the bus.  The bus (vmsig_bus.h) knows adapters only through
 * this vtable: whatever the adapter talks to stays inside the adapter.  It
 * contributes file descriptors; the bus watches them with epoll without
 * knowing what they are, calls the adapter back when one is ready, writes
 * what the adapter emits to the endpoint as UP records, and hands it the
 * DOWN records (decisions of controls) of its seam.
 *
 * The contract is the one of the original userspace bus, kept so adapters
 * written for it build and run unchanged on the kernel bus.
 */
#ifndef LIBVMSIG_VMSIG_ADAPTER_H
#define LIBVMSIG_VMSIG_ADAPTER_H

#include <stdint.h>

#include "vmsig_event.h"
#include "vmsig_memctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An adapter instance; only its own translation unit knows what is inside. */
typedef struct vmsig_adapter vmsig_adapter;

/*
 * How an fd of the adapter becomes ready.  To the bus all three are plain
 * epoll fds; the shape documents the adapter's design and picks the epoll
 * flags when the adapter leaves them 0 (EPOLLIN | EPOLLRDHUP for FD,
 * EPOLLIN for the others).
 */
typedef enum {
	VMSIG_RDY_FD = 0,	/* pollable by nature: a socket, a pipe */
	VMSIG_RDY_TIMERFD = 1,	/* a timerfd: the adapter samples on a period */
	VMSIG_RDY_EVENTFD = 2,	/* an eventfd a worker thread signals, bridging
				 * a blocking API into the loop */
} vmsig_readiness;

/*
 * The bus's side, handed to attach().  Every call passes @token back.
 *
 * emit(token, ev): publish @ev as an UP record on the endpoint.  Safe from
 *	any thread (worker threads included); @ev is copied, never modified.
 *	Source 0 (kernel) is replaced by the adapter's ops->source; version 0
 *	by VMSIG_EVENT_VERSION.  An adapter that accepted a DOWN record
 *	answers it by emitting VMSIG_EV_ACT_ACK with that record's corr and a
 *	status (0 or -errno) in aux.  Returns 0, or -errno: -EINVAL for a
 *	DOWN direction or type, -errno of the write (-EPIPE once the endpoint
 *	is dead).
 * register_memctx(token, reg): on the loop thread only.  Sets the
 *	endpoint's address-space context (VMSIG_IOC_SET_MEMCTX).  0 or -1.
 * unregister_memctx(token, endpoint): on the loop thread only.  The
 *	context is gone (guest reboot): VMSIG_IOC_INVALIDATE_MEMCTX.
 *
 * Adapters that never register a context need not call the two hooks.
 */
typedef struct {
	int (*emit)(void *token, vmsig_event *ev);
	int (*register_memctx)(void *token, const vmsig_memctx_reg *reg);
	void (*unregister_memctx)(void *token, uint32_t endpoint);
	void *token;
} vmsig_emit;

/* One fd the adapter contributes, filled in by attach(). */
typedef struct {
	int fd;			/* owned by the adapter, closed by close() */
	uint32_t epoll_events;	/* EPOLLIN, EPOLLOUT...; 0: by @shape */
	vmsig_readiness shape;
	uint32_t cookie;	/* the adapter's name for this fd, passed
				 * back to on_readiness() */
} vmsig_fd_reg;

/*
 * The vtable.  Every callback runs on the bus's loop thread.  Return
 * conventions are the original ones: -1 is failure, not -errno.
 */
typedef struct vmsig_adapter_ops {
	/* Short name ("memctx", "input", "vmhost"), for diagnostics. */
	const char *name;
	/* The seam: DOWN records of this source are routed to submit(). */
	vmsig_source source;
	/* Payload layout this adapter speaks (vmsig_event.h). */
	uint32_t codec;

	/*
	 * Make an instance from @cfg, which only the adapter understands (the
	 * bus passes it through), for endpoint id @endpoint.  NULL on failure
	 * (errno may say why).
	 */
	vmsig_adapter *(*open)(const void *cfg, uint32_t endpoint);

	/*
	 * Connect to the seam, start workers, describe up to @cap fds in
	 * @reg[] and keep @emit (it stays valid until close()).  Returns how
	 * many fds were described (0 is fine), or -1.
	 */
	int (*attach)(vmsig_adapter *a, const vmsig_emit *emit,
		      vmsig_fd_reg *reg, int cap);

	/*
	 * The fd named @cookie is ready with epoll @events.  Do only
	 * non-blocking work (read the socket, drain the eventfd, read the
	 * timerfd and sample) and emit what it yields.  0, or -1 when the
	 * adapter cannot go on: the bus then closes and drops it.
	 */
	int (*on_readiness)(vmsig_adapter *a, uint32_t cookie, uint32_t events);

	/*
	 * A DOWN record of this seam.  Do it, or hand it to a worker when it
	 * would block, and answer later with an ACT_ACK through emit (same
	 * corr).  0: accepted, the adapter owes the ACK; 1: rejected (not
	 * something this seam does); -1: error.  For 1 and -1 the bus writes
	 * the ACK itself.  NULL for adapters that only publish: the bus then
	 * does not become the seam's sink.
	 */
	int (*submit)(vmsig_adapter *a, const vmsig_event *ev);

	/* Stop workers, close the adapter's fds and handles, free it. */
	void (*close)(vmsig_adapter *a);
} vmsig_adapter_ops;

/*
 * Factories, each defined by its adapter's translation unit: the only
 * symbols a program needs to run the stock adapters.
 */
const vmsig_adapter_ops *vmsig_memctx_ops(void);	/* guest CR3 via the VMM */
const vmsig_adapter_ops *vmsig_input_ops(void);		/* input injection */
const vmsig_adapter_ops *vmsig_vmhost_ops(void);	/* VM lifecycle, power */

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_ADAPTER_H */
