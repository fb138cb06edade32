// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * EVENTFD shape: EX_EV_JOB decisions run a blocking call on a worker
 * thread; the worker signals an eventfd, and the loop thread answers each
 * record with an ACT_ACK.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "examples.h"

#define QLEN 64		/* records accepted and not yet answered, at most */

struct job {
	vmsig_event down;	/* the record, with the corr to answer */
	int status;
};

struct vmsig_adapter {
	struct example_worker_cfg cfg;
	const vmsig_emit *emit;
	int efd;
	pthread_t thread;
	bool started;
	unsigned int pending;	/* loop thread only: accepted, not answered */
	pthread_mutex_t mu;	/* guards what follows */
	pthread_cond_t cv;
	struct job todo[QLEN], done[QLEN];
	unsigned int todo_head, todo_n, done_head, done_n;
	bool quit;
};

static vmsig_adapter *worker_open(const void *cfg, uint32_t endpoint)
{
	const struct example_worker_cfg *c = cfg;
	vmsig_adapter *a;

	(void)endpoint;
	if (!c || !c->call) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->cfg = *c;
	a->efd = -1;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	return a;
}

static void *worker_main(void *arg)
{
	vmsig_adapter *a = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		struct job j;

		while (!a->quit && !a->todo_n)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->quit)
			break;
		j = a->todo[a->todo_head];
		a->todo_head = (a->todo_head + 1) % QLEN;
		a->todo_n--;
		pthread_mutex_unlock(&a->mu);

		j.status = a->cfg.call(a->cfg.arg, &j.down);	/* blocks */

		pthread_mutex_lock(&a->mu);
		a->done[(a->done_head + a->done_n) % QLEN] = j;
		a->done_n++;
		if (write(a->efd, &one, sizeof(one)) < 0)
			break;		/* cannot happen short of 2^64 writes */
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static int worker_attach(vmsig_adapter *a, const vmsig_emit *emit,
			 vmsig_fd_reg *reg, int cap)
{
	if (cap < 1)
		return -1;
	a->emit = emit;
	a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->efd < 0)
		return -1;
	if (pthread_create(&a->thread, NULL, worker_main, a))
		return -1;
	a->started = true;
	reg[0] = (vmsig_fd_reg){ .fd = a->efd, .shape = VMSIG_RDY_EVENTFD };
	return 1;
}

static void ack(vmsig_adapter *a, const vmsig_event *down, int status)
{
	vmsig_event ev;

	vmsig_event_init(&ev, VMSIG_EV_ACT_ACK, VMSIG_DIR_UP, down->source);
	ev.corr = down->corr;		/* the kernel matches it to the record */
	ev.aux = status;
	a->emit->emit(a->emit->token, &ev);
}

/* Answer every finished job (loop thread, or close() after the join). */
static void answer_done(vmsig_adapter *a)
{
	for (;;) {
		struct job j;

		pthread_mutex_lock(&a->mu);
		if (!a->done_n) {
			pthread_mutex_unlock(&a->mu);
			return;
		}
		j = a->done[a->done_head];
		a->done_head = (a->done_head + 1) % QLEN;
		a->done_n--;
		pthread_mutex_unlock(&a->mu);
		ack(a, &j.down, j.status);	/* unlocked: emit takes a lock */
		a->pending--;
	}
}

static int worker_on_readiness(vmsig_adapter *a, uint32_t cookie,
			       uint32_t events)
{
	uint64_t n;

	(void)cookie;
	(void)events;
	if (read(a->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return -1;
	answer_done(a);
	return 0;
}

static int worker_submit(vmsig_adapter *a, const vmsig_event *down)
{
	if (down->type != EX_EV_JOB)
		return 1;
	if (a->pending >= QLEN)
		return -EAGAIN;		/* the bus ACKs -EAGAIN: try later */
	pthread_mutex_lock(&a->mu);
	a->todo[(a->todo_head + a->todo_n) % QLEN] = (struct job){ .down = *down };
	a->todo_n++;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	a->pending++;
	return 0;			/* accepted: we owe the ACK */
}

static void worker_close(vmsig_adapter *a)
{
	if (a->started) {
		pthread_mutex_lock(&a->mu);
		a->quit = true;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thread, NULL);	/* waits for a call in progress */
		answer_done(a);
		/* The bus unbinds the seam after close(): ACKs still arrive. */
		while (a->todo_n) {
			ack(a, &a->todo[a->todo_head].down, -ECANCELED);
			a->todo_head = (a->todo_head + 1) % QLEN;
			a->todo_n--;
		}
	}
	if (a->efd >= 0)
		close(a->efd);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}

static const vmsig_adapter_ops worker_ops = {
	.name = "worker",
	.source = VMSIG_SRC_SENSOR,
	.codec = VMSIG_CODEC_NONE,
	.open = worker_open,
	.attach = worker_attach,
	.on_readiness = worker_on_readiness,
	.submit = worker_submit,
	.close = worker_close,
};

const vmsig_adapter_ops *example_worker_ops(void)
{
	return &worker_ops;
}
