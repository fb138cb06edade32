// SPDX-License-Identifier: LGPL-2.1-or-later
/* TIMERFD shape: sample a counter, publish it as retained state. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "examples.h"

struct vmsig_adapter {
	const volatile uint64_t *counter;
	unsigned int period_ms;
	const vmsig_emit *emit;
	int tfd;
	bool published;
	uint64_t last;
};

static vmsig_adapter *counter_open(const void *cfg, uint32_t endpoint)
{
	const struct example_counter_cfg *c = cfg;
	vmsig_adapter *a;

	(void)endpoint;
	if (!c || !c->counter) {
		errno = EINVAL;		/* vmsig_bus_add_adapter() returns -EINVAL */
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;		/* errno is ENOMEM */
	a->counter = c->counter;	/* copy what is needed: @cfg may go */
	a->period_ms = c->period_ms ? c->period_ms : 100;
	a->tfd = -1;
	return a;
}

static int counter_attach(vmsig_adapter *a, const vmsig_emit *emit,
			  vmsig_fd_reg *reg, int cap)
{
	struct itimerspec its = { 0 };

	if (cap < 1)
		return -1;
	a->emit = emit;
	a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->tfd < 0)
		return -1;		/* the bus calls counter_close() */
	its.it_interval.tv_sec = a->period_ms / 1000;
	its.it_interval.tv_nsec = (long)(a->period_ms % 1000) * 1000000;
	its.it_value.tv_nsec = 1;	/* first sample at once */
	if (timerfd_settime(a->tfd, 0, &its, NULL) < 0)
		return -1;
	/* epoll_events 0: the shape picks EPOLLIN. */
	reg[0] = (vmsig_fd_reg){ .fd = a->tfd, .shape = VMSIG_RDY_TIMERFD };
	return 1;
}

static int counter_on_readiness(vmsig_adapter *a, uint32_t cookie,
				uint32_t events)
{
	uint64_t ticks, v;
	vmsig_event ev;

	(void)cookie;
	(void)events;
	/* Ticks missed while the loop was busy collapse into one sample. */
	if (read(a->tfd, &ticks, sizeof(ticks)) < 0)
		return errno == EAGAIN ? 0 : -1;
	v = *a->counter;
	if (a->published && v == a->last)
		return 0;		/* publish changes only */
	vmsig_event_init(&ev, EX_EV_COUNTER, VMSIG_DIR_UP, VMSIG_SRC_SENSOR);
	ev.flags = VMSIG_EVF_RETAIN;	/* a state: late subscribers get it first */
	ev.payload.u64[0] = v;
	ev.payload.u64[1] = ticks;
	/* Refused (endpoint dead, no retained slot): try on the next tick. */
	if (a->emit->emit(a->emit->token, &ev) == 0) {
		a->published = true;
		a->last = v;
	}
	return 0;
}

static void counter_close(vmsig_adapter *a)
{
	if (a->tfd >= 0)
		close(a->tfd);
	free(a);
}

static const vmsig_adapter_ops counter_ops = {
	.name = "counter",
	.source = VMSIG_SRC_SENSOR,
	.codec = VMSIG_CODEC_NONE,
	.open = counter_open,
	.attach = counter_attach,
	.on_readiness = counter_on_readiness,
	.submit = NULL,			/* publishes only: binds no sink */
	.close = counter_close,
};

const vmsig_adapter_ops *example_counter_ops(void)
{
	return &counter_ops;
}
