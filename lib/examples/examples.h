/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The example adapters of Documentation/adapters.rst: one per readiness
 * shape.  Not part of libvmsig; tests/test_examples.c runs them on a bus.
 */
#ifndef VMSIG_EXAMPLES_H
#define VMSIG_EXAMPLES_H

#include <stdint.h>
#include <vmsig_adapter.h>

/* Their event types: UP in 0x0100-0x7fff, DOWN in 0x8000-0xffff. */
#define EX_EV_COUNTER	0x0201	/* UP: payload.u64[0] the counter's value */
#define EX_EV_MSG	0x0202	/* UP: aux the length, payload its first 16 bytes */
#define EX_EV_SEND	0x8102	/* DOWN: aux the length, payload the bytes */
#define EX_EV_JOB	0x8103	/* DOWN: an argument for the blocking call */

/* TIMERFD: samples *@counter every @period_ms (0: 100 ms). */
struct example_counter_cfg {
	const volatile uint64_t *counter;
	unsigned int period_ms;
};

/* FD: a connected SOCK_SEQPACKET socket (dup()ed; the caller keeps @fd). */
struct example_socket_cfg {
	int fd;
};

/* EVENTFD: @call may block, but must return (0 or -errno) in bounded time. */
struct example_worker_cfg {
	int (*call)(void *arg, const vmsig_event *req);
	void *arg;
};

const vmsig_adapter_ops *example_counter_ops(void);
const vmsig_adapter_ops *example_socket_ops(void);
const vmsig_adapter_ops *example_worker_ops(void);

#endif /* VMSIG_EXAMPLES_H */
