// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The input adapter: VMSIG_EV_INPUT decisions become QMP input-send-event
 * commands (vmsig_adapters.h has the contract).
 *
 * EVENTFD shape.  A QMP command blocks until QEMU answers, which the loop
 * must never do, so submit() only checks the record and turns it into the
 * command's arguments; a worker thread, the only user of the adapter's QMP
 * connection, runs the commands in order and posts each result, then
 * signals an eventfd.  On that eventfd the loop thread emits one ACT_ACK
 * per record.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vmsig_qmp.h"
#include "adapter_priv.h"

/* A record accepted by submit(), waiting for or done by the worker. */
struct job {
	json_object *args;	/* input-send-event arguments; NULL once run */
	uint64_t corr;
	uint8_t source;
	int status;
};

struct vmsig_adapter {
	uint32_t endpoint;
	unsigned int cap;
	struct vmsig__qmp_dest dest;
	struct vmsig_qmp *qmp;	/* the worker's alone once it runs */
	const vmsig_emit *emit;
	int efd;
	pthread_t worker;
	bool started;
	/*
	 * Two rings of @cap jobs under @mu: @todo (submit -> worker) and
	 * @done (worker -> loop).  @outstanding, the loop's count of jobs
	 * accepted and not yet answered, keeps both from overflowing.
	 */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *todo, *done;
	unsigned int todo_head, todo_n, done_head, done_n;
	unsigned int outstanding;
	bool quit;
	bool dead;		/* the QMP connection is gone for good */
};

/* The adapter's fds, as on_readiness() is told. */
#define COOKIE_DONE 0	/* the eventfd the worker signals */
#define COOKIE_HUP 1	/* the QMP socket, for its hang-up only */

static const char *const buttons[] = {	/* QEMU's InputButton, in order */
	"left", "middle", "right", "wheel-up", "wheel-down", "side", "extra",
	"wheel-left", "wheel-right",
};

static vmsig_adapter *input_open(const void *cfg, uint32_t endpoint)
{
	const struct vmsig_input_cfg *c = cfg;
	vmsig_adapter *a = calloc(1, sizeof(*a));
	int r = -ENOMEM;

	if (!a)
		goto fail;
	a->efd = -1;
	r = -EINVAL;
	if (!c || c->queue_len > VMSIG_INPUT_QUEUE_MAX)
		goto fail;
	a->cap = c->queue_len ? c->queue_len : VMSIG_INPUT_QUEUE_DEFAULT;
	r = vmsig__qmp_dest_init(&a->dest, &c->qmp, VMSIG_QMP_DEFAULT_TIMEOUT_MS);
	if (r)
		goto fail;
	r = -ENOMEM;
	a->todo = calloc(a->cap, sizeof(*a->todo));
	a->done = calloc(a->cap, sizeof(*a->done));
	if (!a->todo || !a->done)
		goto fail;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->endpoint = endpoint;
	return a;
fail:
	if (a) {
		vmsig__qmp_dest_fini(&a->dest);
		free(a->todo);
		free(a->done);
		free(a);
	}
	errno = -r;
	return NULL;
}

/* ------------------------------------------------- records -> QMP JSON */

/* Add @val to object @o under @key; @val is consumed.  0 or -ENOMEM. */
static int put(json_object *o, const char *key, json_object *val)
{
	if (!o || !val || json_object_object_add(o, key, val)) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

/* Append {"type": @type, "data": @data} to @events; @data is consumed. */
static int push(json_object *events, const char *type, json_object *data)
{
	json_object *ev = json_object_new_object();

	if (put(ev, "type", json_object_new_string(type)) ||
	    put(ev, "data", data)) {
		if (!ev)
			json_object_put(data);
		json_object_put(ev);
		return -ENOMEM;
	}
	if (json_object_array_add(events, ev)) {
		json_object_put(ev);
		return -ENOMEM;
	}
	return 0;
}

static int push_axis(json_object *events, const char *type, uint16_t code,
		     int32_t value)
{
	json_object *d = json_object_new_object();

	if (put(d, "axis", json_object_new_string(code ? "y" : "x")) ||
	    put(d, "value", json_object_new_int(value))) {
		json_object_put(d);
		return -ENOMEM;
	}
	return push(events, type, d);
}

static int push_btn(json_object *events, const char *button, bool down)
{
	json_object *d = json_object_new_object();

	if (put(d, "down", json_object_new_boolean(down)) ||
	    put(d, "button", json_object_new_string(button))) {
		json_object_put(d);
		return -ENOMEM;
	}
	return push(events, "btn", d);
}

static int push_key(json_object *events, int qcode, bool down)
{
	json_object *d = json_object_new_object(), *k = json_object_new_object();
	const char *name = vmsig_input_qcode_name((unsigned int)qcode);

	if (put(k, "type", json_object_new_string("qcode")) ||
	    put(k, "data", json_object_new_string(name)) ||
	    put(d, "down", json_object_new_boolean(down)) ||
	    put(d, "key", k)) {
		if (!d)
			json_object_put(k);
		json_object_put(d);
		return -ENOMEM;
	}
	return push(events, "key", d);
}

/*
 * The input-send-event arguments for one VMSIG_EV_INPUT record.
 * Return: 0 with *@out, -EINVAL for a record QEMU should not see, -ENOMEM.
 */
static int build_args(const vmsig_event *ev, json_object **out)
{
	uint16_t kind = ev->payload.u16[4], code = ev->payload.u16[5];
	int32_t value = (int32_t)ev->payload.u32[3];
	json_object *events, *args;
	int qcode, r = -EINVAL;

	events = json_object_new_array();
	if (!events)
		return -ENOMEM;
	switch (kind) {
	case VMSIG_INPUT_KEY:
	case VMSIG_INPUT_QCODE:
		qcode = kind == VMSIG_INPUT_KEY ? vmsig_input_key_qcode(code) :
		       vmsig_input_qcode_name(code) ? code : -ENOENT;
		if (qcode >= 0)
			r = push_key(events, qcode, value != 0);
		break;
	case VMSIG_INPUT_REL:
		if (code <= 1) {
			r = push_axis(events, "rel", code, value);
		} else if (code == 2 && value && value >= -VMSIG_INPUT_WHEEL_MAX &&
			   value <= VMSIG_INPUT_WHEEL_MAX) {
			/* QEMU has no wheel axis: a click is a button press. */
			const char *b = value > 0 ? "wheel-up" : "wheel-down";

			r = 0;
			for (int32_t i = 0; !r && i < abs(value); i++) {
				r = push_btn(events, b, true);
				if (!r)
					r = push_btn(events, b, false);
			}
		}
		break;
	case VMSIG_INPUT_ABS:
		if (code <= 1 && value >= 0 && value <= VMSIG_INPUT_ABS_MAX)
			r = push_axis(events, "abs", code, value);
		break;
	case VMSIG_INPUT_BTN:
		if (code < sizeof(buttons) / sizeof(buttons[0]))
			r = push_btn(events, buttons[code], value != 0);
		break;
	}
	if (r) {
		json_object_put(events);
		return r;
	}
	args = json_object_new_object();
	if (put(args, "events", events)) {
		json_object_put(args);
		return -ENOMEM;
	}
	*out = args;
	return 0;
}

/* ------------------------------------------------------------- worker */

static void *worker_main(void *arg)
{
	vmsig_adapter *a = arg;
	uint64_t one = 1;
	bool dead = false;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		struct job j;
		int r;

		while (!a->quit && !a->todo_n)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->quit)
			break;
		j = a->todo[a->todo_head];
		a->todo_head = (a->todo_head + 1) % a->cap;
		a->todo_n--;
		pthread_mutex_unlock(&a->mu);

		/* After a sticky error every command fails the same way, fast. */
		r = vmsig_qmp_execute(a->qmp, "input-send-event", j.args, NULL);
		json_object_put(j.args);
		j.args = NULL;
		j.status = r;
		dead = dead || vmsig__qmp_err_is_dead(r);
		/* Nobody listens to this connection's events: keep it small. */
		vmsig__qmp_discard_events(a->qmp);

		pthread_mutex_lock(&a->mu);
		a->done[(a->done_head + a->done_n) % a->cap] = j;
		a->done_n++;
		a->dead = dead;
		/* Cannot fail short of 2^64 - 1 pending wake-ups. */
		if (write(a->efd, &one, sizeof(one)) < 0)
			break;
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* ------------------------------------------------------------- vtable */

static int input_attach(vmsig_adapter *a, const vmsig_emit *emit,
			vmsig_fd_reg *reg, int cap)
{
	int r;

	if (cap < 2)
		return -1;
	a->emit = emit;
	a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->efd < 0)
		return -1;
	r = vmsig__qmp_dest_connect(&a->dest, &a->qmp);
	if (r) {
		errno = -r;
		return -1;
	}
	if (pthread_create(&a->worker, NULL, worker_main, a))
		return -1;
	a->started = true;
	reg[0] = (vmsig_fd_reg){ .fd = a->efd, .epoll_events = EPOLLIN,
				 .shape = VMSIG_RDY_EVENTFD, .cookie = COOKIE_DONE };
	/*
	 * The worker reads the QMP socket; the loop only watches it for the
	 * hang-up, so the adapter goes when QEMU does, not at the next record.
	 */
	reg[1] = (vmsig_fd_reg){ .fd = vmsig_qmp_fd(a->qmp),
				 .epoll_events = EPOLLRDHUP,
				 .shape = VMSIG_RDY_FD, .cookie = COOKIE_HUP };
	return 2;
}

/* Answer every job the worker finished.  Return: whether QMP is dead. */
static bool answer_done(vmsig_adapter *a)
{
	bool dead;

	for (;;) {
		struct job j;

		pthread_mutex_lock(&a->mu);
		dead = a->dead;
		if (!a->done_n) {
			pthread_mutex_unlock(&a->mu);
			return dead;
		}
		j = a->done[a->done_head];
		a->done_head = (a->done_head + 1) % a->cap;
		a->done_n--;
		pthread_mutex_unlock(&a->mu);
		/* Emitted unlocked: emit takes the bus's lock. */
		vmsig_event down = { .corr = j.corr, .source = j.source };

		vmsig__adapter_ack(a->emit, &down, j.status);
		a->outstanding--;
	}
}

static int input_on_readiness(vmsig_adapter *a, uint32_t cookie,
			      uint32_t events)
{
	uint64_t n;

	if (cookie == COOKIE_HUP) {
		/* QEMU is gone (EPOLLHUP/EPOLLERR come unasked). */
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			return -1;
		return 0;
	}
	(void)events;
	/* The count does not matter: the done ring says what finished. */
	if (read(a->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return -1;
	/* QEMU is gone: the bus drops us and unbinds the seam. */
	return answer_done(a) ? -1 : 0;
}

static int input_submit(vmsig_adapter *a, const vmsig_event *ev)
{
	json_object *args;
	int r;

	if (ev->type != VMSIG_EV_INPUT)
		return 1;
	if (a->outstanding >= a->cap)
		return -EAGAIN;
	r = build_args(ev, &args);
	if (r)
		return r;	/* the bus answers with this status */
	pthread_mutex_lock(&a->mu);
	a->todo[(a->todo_head + a->todo_n) % a->cap] =
		(struct job){ .args = args, .corr = ev->corr,
			      .source = ev->source };
	a->todo_n++;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	a->outstanding++;
	return 0;
}

static void input_close(vmsig_adapter *a)
{
	if (!a)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->mu);
		a->quit = true;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
		/* At most one command in flight, bounded by the QMP timeout. */
		pthread_join(a->worker, NULL);
		answer_done(a);
		/* Answer what never ran rather than leave it to the unbind. */
		while (a->todo_n) {
			struct job *j = &a->todo[a->todo_head];
			vmsig_event down = { .corr = j->corr, .source = j->source };

			json_object_put(j->args);
			vmsig__adapter_ack(a->emit, &down, -ECANCELED);
			a->todo_head = (a->todo_head + 1) % a->cap;
			a->todo_n--;
		}
	}
	vmsig_qmp_close(a->qmp);
	vmsig__qmp_dest_fini(&a->dest);
	if (a->efd >= 0)
		close(a->efd);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a->todo);
	free(a->done);
	free(a);
}

static const vmsig_adapter_ops input_ops = {
	.name = "input",
	.source = VMSIG_SRC_INPUT,
	.codec = VMSIG_CODEC_NONE,
	.open = input_open,
	.attach = input_attach,
	.on_readiness = input_on_readiness,
	.submit = input_submit,
	.close = input_close,
};

const vmsig_adapter_ops *vmsig_input_ops(void)
{
	return &input_ops;
}
