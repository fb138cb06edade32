// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * QMP client: newline-framed JSON, replies correlated by id, events queued.
 *
 * The socket is non-blocking; every wait is a poll() bounded by a deadline
 * on CLOCK_MONOTONIC, so no call blocks longer than the client's timeout and
 * vmsig_qmp_read_events() never blocks at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vmsig_qmp.h"
#include "qmp_priv.h"
#include "unix_sock.h"

/* Room for the largest line plus QEMU's "\r\n". */
#define QMP_BUF_MAX ((size_t)VMSIG_QMP_MAX_MSG + 2)
#define QMP_BUF_MIN ((size_t)64 * 1024)
/* QMP replies nest a few levels; json-c's default of 32 is tight for schemas. */
#define QMP_JSON_DEPTH 64

struct qmp_ev {
	struct qmp_ev *next;
	json_object *msg;
};

struct vmsig_qmp {
	int fd;
	int dead;		/* sticky -errno once the stream is unusable */
	int deferred;		/* error met after a reply, for read_events */
	int timeout_ms;
	int64_t last_id;
	json_tokener *tok;

	/* Unparsed input is buf[off, len); buf[off, off + scan) has no '\n'. */
	char *buf;
	size_t cap, off, len, scan;

	struct qmp_ev *head, **tail;
	unsigned int nev;
	uint64_t queued;	/* events ever queued, to count per call */
	uint64_t dropped;

	bool have_err;
	char *err_class, *err_desc;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int qmp_fatal(struct vmsig_qmp *q, int err)
{
	if (!q->dead)
		q->dead = err;
	return q->dead;
}

/* Wait for @events on the socket until @deadline (ms, CLOCK_MONOTONIC). */
static int qmp_wait(struct vmsig_qmp *q, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = q->fd, .events = events };
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		/* POLLHUP/POLLERR count too: the next read/send reports them. */
		if (r > 0)
			return 0;
	}
}

/* One non-blocking read.  Return: bytes read, -EAGAIN, or a sticky error. */
static int qmp_fill(struct vmsig_qmp *q)
{
	ssize_t n;

	if (q->off) {
		memmove(q->buf, q->buf + q->off, q->len - q->off);
		q->len -= q->off;
		q->off = 0;
	}
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : QMP_BUF_MIN;
		char *buf;

		/* qmp_next_line() fails a line before it can fill QMP_BUF_MAX. */
		if (q->cap >= QMP_BUF_MAX)
			return qmp_fatal(q, -EMSGSIZE);
		if (cap > QMP_BUF_MAX)
			cap = QMP_BUF_MAX;
		buf = realloc(q->buf, cap);
		if (!buf)
			return -ENOMEM;
		q->buf = buf;
		q->cap = cap;
	}
	do
		n = read(q->fd, q->buf + q->len, q->cap - q->len);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		q->len += (size_t)n;
		return (int)n;
	}
	if (n == 0)
		return qmp_fatal(q, -ECONNRESET);
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -EAGAIN;
	return qmp_fatal(q, errno == ECONNRESET ? -ECONNRESET : -errno);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Take the next complete line from the buffer and parse it.
 *
 * Return: 1 with a JSON object in *out, 0 when no complete line is buffered,
 * -EBADMSG for a line that is not a JSON object (it is consumed: the framing
 * survives), or sticky -EMSGSIZE.
 */
static int qmp_next_line(struct vmsig_qmp *q, json_object **out)
{
	for (;;) {
		char *line = q->buf + q->off;
		size_t avail = q->len - q->off, n;
		char *nl = avail > q->scan ?
			memchr(line + q->scan, '\n', avail - q->scan) : NULL;
		json_object *o = NULL;

		if (!nl) {
			q->scan = avail;
			/* Without a newline yet, allow the content plus a '\r'. */
			if (avail > (size_t)VMSIG_QMP_MAX_MSG + 1)
				return qmp_fatal(q, -EMSGSIZE);
			return 0;
		}
		n = (size_t)(nl - line);
		q->off += n + 1;
		q->scan = 0;
		while (n && is_blank(line[n - 1]))
			n--;
		while (n && is_blank(*line)) {
			line++;
			n--;
		}
		if (!n)
			continue;	/* blank lines carry nothing */
		if (n > VMSIG_QMP_MAX_MSG)
			return qmp_fatal(q, -EMSGSIZE);
		/* json-c would stop at a NUL and call the prefix valid. */
		if (memchr(line, '\0', n))
			return -EBADMSG;
		json_tokener_reset(q->tok);
		o = json_tokener_parse_ex(q->tok, line, (int)n);
		if (!o || json_tokener_get_error(q->tok) != json_tokener_success ||
		    json_tokener_get_parse_end(q->tok) != n ||
		    !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			return -EBADMSG;
		}
		*out = o;
		return 1;
	}
}

static void qmp_enqueue(struct vmsig_qmp *q, json_object *msg)
{
	struct qmp_ev *e;

	/* A bound, so a client that never drains cannot be grown without end. */
	if (q->nev >= VMSIG_QMP_MAX_EVENTS || !(e = malloc(sizeof(*e)))) {
		q->dropped++;
		json_object_put(msg);
		return;
	}
	e->next = NULL;
	e->msg = msg;
	*q->tail = e;
	q->tail = &e->next;
	q->nev++;
	q->queued++;
}

/*
 * Route one message (its reference is consumed).
 *
 * Return: 1 when it is the reply to command @want (moved into *reply), 0 when
 * it was queued or dropped, -EBADMSG when it is no QMP message.
 */
static int qmp_dispatch(struct vmsig_qmp *q, json_object *o, int64_t want,
			json_object **reply)
{
	json_object *v, *id;
	bool mine;

	if (json_object_object_get_ex(o, "event", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			json_object_put(o);
			return -EBADMSG;
		}
		qmp_enqueue(q, o);
		return 0;
	}
	if (json_object_object_get_ex(o, "return", NULL) ||
	    json_object_object_get_ex(o, "error", NULL)) {
		/*
		 * QEMU omits the id only when it could not parse the request;
		 * with one command in flight the reply can only be ours.
		 * Replies with another id belong to commands that timed out.
		 */
		if (!json_object_object_get_ex(o, "id", &id))
			mine = want > 0;
		else
			mine = want > 0 && json_object_is_type(id, json_type_int) &&
			       json_object_get_int64(id) == want;
		if (!mine) {
			json_object_put(o);
			return 0;
		}
		*reply = o;
		return 1;
	}
	json_object_put(o);
	return -EBADMSG;
}

/* Parse what is already buffered into the queue, reading nothing more. */
static void qmp_drain_buffer(struct vmsig_qmp *q)
{
	json_object *o = NULL;
	int r;

	while ((r = qmp_next_line(q, &o)) != 0) {
		if (r == 1)
			r = qmp_dispatch(q, o, 0, NULL);
		if (r == -EBADMSG)
			q->deferred = r;
		else if (r < 0)
			return;
	}
}

/* Read the socket dry into the queue.  Return: 0, -EBADMSG or sticky error. */
static int qmp_drain(struct vmsig_qmp *q)
{
	int err = 0, r;

	for (;;) {
		qmp_drain_buffer(q);
		if (q->deferred) {
			err = q->deferred;
			q->deferred = 0;
		}
		if (q->dead)
			return q->dead;
		r = qmp_fill(q);
		if (r == -EAGAIN)
			return err;
		if (r < 0)
			return r;
	}
}

static int qmp_send(struct vmsig_qmp *q, const char *cmd, json_object *args,
		    int64_t id, int64_t deadline)
{
	json_object *o = json_object_new_object();
	const char *s;
	size_t len, sent = 0;
	char *msg;
	int r = -ENOMEM;

	if (!o)
		return -ENOMEM;
	if (json_object_object_add(o, "execute", json_object_new_string(cmd)) ||
	    (args && json_object_object_add(o, "arguments", json_object_get(args))) ||
	    json_object_object_add(o, "id", json_object_new_int64(id)))
		goto out;
	s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!s || !(msg = malloc(len + 1)))
		goto out;
	memcpy(msg, s, len);
	msg[len++] = '\n';
	while (sent < len) {
		ssize_t n = send(q->fd, msg + sent, len - sent, MSG_NOSIGNAL);

		if (n >= 0) {
			sent += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			r = qmp_wait(q, POLLOUT, deadline);
			if (r == 0)
				continue;
			/* Half a command would glue onto the next one. */
			if (sent)
				r = qmp_fatal(q, -EPIPE);
			break;
		}
		if (errno == EPIPE || errno == ECONNRESET) {
			/* Keep what the peer said before it went away. */
			qmp_drain(q);
			r = qmp_fatal(q, -ECONNRESET);
		} else {
			r = qmp_fatal(q, -errno);
		}
		break;
	}
	if (sent == len)
		r = 0;
	free(msg);
out:
	json_object_put(o);
	return r;
}

/* Wait for the reply to @want; events met meanwhile are queued. */
static int qmp_wait_reply(struct vmsig_qmp *q, int64_t want, int64_t deadline,
			  json_object **msg)
{
	for (;;) {
		json_object *o = NULL;
		int r = qmp_next_line(q, &o);

		if (r < 0)
			return r;
		if (r == 1) {
			r = qmp_dispatch(q, o, want, msg);
			if (r < 0)
				return r;
			if (r == 1)
				return 0;
			continue;	/* buffered lines first, then read more */
		}
		/* Checked here too, so a stream of events cannot starve it. */
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		r = qmp_fill(q);
		if (r == -EAGAIN)
			r = qmp_wait(q, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

static void qmp_clear_error(struct vmsig_qmp *q)
{
	free(q->err_class);
	free(q->err_desc);
	q->err_class = q->err_desc = NULL;
	q->have_err = false;
}

static int qmp_set_error(struct vmsig_qmp *q, json_object *err)
{
	json_object *v;
	const char *class = "", *desc = "";

	if (json_object_object_get_ex(err, "class", &v) &&
	    json_object_is_type(v, json_type_string))
		class = json_object_get_string(v);
	if (json_object_object_get_ex(err, "desc", &v) &&
	    json_object_is_type(v, json_type_string))
		desc = json_object_get_string(v);
	q->err_class = strdup(class);
	q->err_desc = strdup(desc);
	if (!q->err_class || !q->err_desc) {
		qmp_clear_error(q);
		return -ENOMEM;
	}
	q->have_err = true;
	return -EREMOTEIO;
}

int vmsig_qmp_execute(struct vmsig_qmp *q, const char *cmd,
		      json_object *args, json_object **reply)
{
	json_object *msg = NULL, *v;
	int64_t deadline;
	int r;

	if (reply)
		*reply = NULL;
	if (!q || !cmd || !*cmd ||
	    (args && !json_object_is_type(args, json_type_object)))
		return -EINVAL;
	if (q->dead)
		return q->dead;
	qmp_clear_error(q);
	deadline = now_ms() + q->timeout_ms;
	r = qmp_send(q, cmd, args, ++q->last_id, deadline);
	if (!r)
		r = qmp_wait_reply(q, q->last_id, deadline, &msg);
	if (r)
		return r;
	/*
	 * Lines read along with the reply would otherwise wait in the buffer
	 * while the socket, already drained, never wakes the caller's epoll.
	 */
	qmp_drain_buffer(q);
	if (json_object_object_get_ex(msg, "error", &v)) {
		r = qmp_set_error(q, v);
	} else if (reply) {
		json_object_object_get_ex(msg, "return", &v);
		*reply = json_object_get(v);
	}
	json_object_put(msg);
	return r;
}

static int qmp_greeting(struct vmsig_qmp *q, int64_t deadline)
{
	for (;;) {
		json_object *o, *v;
		int r = qmp_next_line(q, &o);

		if (r == 1) {
			r = json_object_object_get_ex(o, "QMP", &v) &&
			    json_object_is_type(v, json_type_object) ? 0 : -EPROTO;
			json_object_put(o);
			return r;
		}
		if (r < 0)
			return r == -EBADMSG ? -EPROTO : r;
		r = qmp_fill(q);
		if (r == -EAGAIN)
			r = qmp_wait(q, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

int vmsig__qmp_open_fd_ms(int fd, int timeout_ms, struct vmsig_qmp **qp)
{
	struct vmsig_qmp *q;
	json_object *ret = NULL;
	int fl, r;

	if (!qp) {
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	*qp = NULL;
	if (fd < 0)
		return -EBADF;
	if (timeout_ms <= 0) {
		close(fd);
		return -EINVAL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		close(fd);
		return -ENOMEM;
	}
	q->fd = fd;
	q->tail = &q->head;
	q->timeout_ms = timeout_ms;
	q->tok = json_tokener_new_ex(QMP_JSON_DEPTH);
	if (!q->tok) {
		r = -ENOMEM;
		goto fail;
	}
	json_tokener_set_flags(q->tok, JSON_TOKENER_STRICT);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		r = -errno;
		goto fail;
	}
	r = qmp_greeting(q, now_ms() + timeout_ms);
	if (r)
		goto fail;
	r = vmsig_qmp_execute(q, "qmp_capabilities", NULL, &ret);
	if (r)
		goto fail;
	/* The negotiation answers {}; anything else is not QMP as we know it. */
	if (!json_object_is_type(ret, json_type_object)) {
		r = -EPROTO;
		goto fail;
	}
	json_object_put(ret);
	*qp = q;
	return 0;
fail:
	json_object_put(ret);
	vmsig_qmp_close(q);
	return r;
}

int vmsig_qmp_open_fd(int fd, struct vmsig_qmp **qp)
{
	return vmsig__qmp_open_fd_ms(fd, VMSIG_QMP_DEFAULT_TIMEOUT_MS, qp);
}

int vmsig_qmp_connect(const char *path, struct vmsig_qmp **qp)
{
	int fd;

	if (!qp)
		return -EINVAL;
	*qp = NULL;
	fd = vmsig__unix_connect(path, SOCK_STREAM);
	return fd < 0 ? fd : vmsig_qmp_open_fd(fd, qp);
}

void vmsig_qmp_close(struct vmsig_qmp *q)
{
	struct vmsig_qmp_event ev;

	if (!q)
		return;
	while (vmsig_qmp_next_event(q, &ev) > 0)
		vmsig_qmp_event_release(&ev);
	qmp_clear_error(q);
	if (q->tok)
		json_tokener_free(q->tok);
	free(q->buf);
	close(q->fd);
	free(q);
}

int vmsig_qmp_set_timeout(struct vmsig_qmp *q, int ms)
{
	if (!q || ms <= 0)
		return -EINVAL;
	q->timeout_ms = ms;
	return 0;
}

int vmsig_qmp_error(const struct vmsig_qmp *q, const char **class,
		    const char **desc)
{
	if (!q)
		return -EINVAL;
	if (!q->have_err)
		return -ENODATA;
	if (class)
		*class = q->err_class;
	if (desc)
		*desc = q->err_desc;
	return 0;
}

int vmsig_qmp_fd(const struct vmsig_qmp *q)
{
	return q ? q->fd : -EINVAL;
}

int vmsig_qmp_read_events(struct vmsig_qmp *q)
{
	uint64_t before;
	int r;

	if (!q)
		return -EINVAL;
	before = q->queued;
	r = qmp_drain(q);
	if (r < 0)
		return r;
	return q->queued - before > INT_MAX ? INT_MAX : (int)(q->queued - before);
}

int vmsig_qmp_next_event(struct vmsig_qmp *q, struct vmsig_qmp_event *ev)
{
	struct qmp_ev *e;
	json_object *v, *t;

	if (!q || !ev)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	ev->ts_sec = ev->ts_usec = -1;
	e = q->head;
	if (!e)
		return 0;
	q->head = e->next;
	if (!q->head)
		q->tail = &q->head;
	q->nev--;
	ev->msg = e->msg;
	free(e);
	/* qmp_dispatch() queued only messages whose "event" is a string. */
	json_object_object_get_ex(ev->msg, "event", &v);
	ev->name = json_object_get_string(v);
	if (json_object_object_get_ex(ev->msg, "data", &v))
		ev->data = v;
	if (json_object_object_get_ex(ev->msg, "timestamp", &v) &&
	    json_object_object_get_ex(v, "seconds", &t) &&
	    json_object_is_type(t, json_type_int)) {
		ev->ts_sec = json_object_get_int64(t);
		if (json_object_object_get_ex(v, "microseconds", &t) &&
		    json_object_is_type(t, json_type_int))
			ev->ts_usec = json_object_get_int64(t);
	}
	return 1;
}

void vmsig_qmp_event_release(struct vmsig_qmp_event *ev)
{
	if (!ev)
		return;
	json_object_put(ev->msg);
	memset(ev, 0, sizeof(*ev));
}

unsigned int vmsig_qmp_pending(const struct vmsig_qmp *q)
{
	return q ? q->nev : 0;
}

uint64_t vmsig_qmp_events_dropped(const struct vmsig_qmp *q)
{
	return q ? q->dropped : 0;
}

int vmsig_qmp_status(struct vmsig_qmp *q, int *running, char *status,
		     size_t size)
{
	json_object *ret, *run, *st;
	size_t len;
	int r = vmsig_qmp_execute(q, "query-status", NULL, &ret);

	if (r)
		return r;
	if (!json_object_object_get_ex(ret, "running", &run) ||
	    !json_object_is_type(run, json_type_boolean) ||
	    !json_object_object_get_ex(ret, "status", &st) ||
	    !json_object_is_type(st, json_type_string)) {
		r = -EBADMSG;
		goto out;
	}
	if (status) {
		len = (size_t)json_object_get_string_len(st);
		if (len >= size) {
			r = -ENOBUFS;
			goto out;
		}
		memcpy(status, json_object_get_string(st), len + 1);
	}
	if (running)
		*running = json_object_get_boolean(run) ? 1 : 0;
out:
	json_object_put(ret);
	return r;
}

int vmsig_qmp_hmp(struct vmsig_qmp *q, const char *cmdline, char **text)
{
	json_object *args, *ret = NULL;
	int r;

	if (!text)
		return -EINVAL;
	*text = NULL;
	if (!cmdline)
		return -EINVAL;
	args = json_object_new_object();
	if (!args || json_object_object_add(args, "command-line",
					    json_object_new_string(cmdline))) {
		json_object_put(args);
		return -ENOMEM;
	}
	r = vmsig_qmp_execute(q, "human-monitor-command", args, &ret);
	json_object_put(args);
	if (r)
		return r;
	if (!json_object_is_type(ret, json_type_string))
		r = -EBADMSG;
	else if (!(*text = strdup(json_object_get_string(ret))))
		r = -ENOMEM;
	json_object_put(ret);
	return r;
}
