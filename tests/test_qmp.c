// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the QMP client against a scripted fake QMP server running in
 * a thread on the other end of a socketpair.
 *
 * The server never calls cmocka (its asserts are not thread-safe): it records
 * its first complaint in srv.fail, which the test checks after joining it.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "vmsig_qmp.h"
#include "qmp_priv.h"

enum op {
	OP_END,		/* wait for the client to hang up, then close */
	OP_SEND,	/* after .ms, write .text; "$0"/"$1" = last/previous id */
	OP_SENDPAD,	/* after .ms, a reply to $0 whose line is .len bytes */
	OP_RECV,	/* read one command: execute == .text, arguments == .args */
	OP_CLOSE,	/* hang up now */
};

struct step {
	enum op op;
	const char *text;
	const char *args;	/* JSON; NULL: the command must carry none */
	int ms;
	size_t len;
};

struct srv {
	int fd;
	const struct step *steps;
	pthread_t th;
	bool running;
	long long ids[16];
	int nids;
	char fail[256];
};

/* Designated initializers: the unnamed fields are zero. */
#define END { .op = OP_END }
#define CLOSE { .op = OP_CLOSE }
#define SEND(t) { .op = OP_SEND, .text = (t) }
#define SEND_AFTER(m, t) { .op = OP_SEND, .text = (t), .ms = (m) }
#define RECV(c) { .op = OP_RECV, .text = (c) }
#define RECV_ARGS(c, a) { .op = OP_RECV, .text = (c), .args = (a) }
#define PAD(n) { .op = OP_SENDPAD, .len = (n) }

#define GREETING \
	SEND("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, " \
		"\"minor\": 2, \"major\": 7}, \"package\": \"Debian 1:7.2\"}, " \
		"\"capabilities\": [\"oob\"]}}\r\n"), \
	RECV("qmp_capabilities"), \
	SEND("{\"return\": {}, \"id\": $0}\r\n")

static void srv_fail(struct srv *s, const char *fmt, ...)
{
	va_list ap;

	if (s->fail[0])
		return;
	va_start(ap, fmt);
	vsnprintf(s->fail, sizeof(s->fail), fmt, ap);
	va_end(ap);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int srv_write(struct srv *s, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Expand $0 (last id) and $1 (the one before) and write the result. */
static void srv_send(struct srv *s, const char *text)
{
	size_t cap = strlen(text) + 64, o = 0;
	char *out = malloc(cap);

	for (const char *p = text; *p; p++) {
		if (p[0] == '$' && (p[1] == '0' || p[1] == '1')) {
			int k = s->nids - 1 - (p[1] - '0');

			if (k < 0) {
				srv_fail(s, "script uses $%c before enough commands", p[1]);
				k = 0;
			}
			o += (size_t)snprintf(out + o, cap - o, "%lld", s->ids[k]);
			p++;
			continue;
		}
		out[o++] = *p;
	}
	if (srv_write(s, out, o))
		srv_fail(s, "send: %s", strerror(errno));
	free(out);
}

/* A reply to the last command padded so its line is exactly @len bytes. */
static void srv_sendpad(struct srv *s, size_t len)
{
	char head[64];
	int h = snprintf(head, sizeof(head), "{\"id\": %lld, \"return\": \"",
			 s->ids[s->nids - 1]);
	char *out = malloc(len + 2);

	memcpy(out, head, (size_t)h);
	memset(out + h, 'a', len - (size_t)h - 2);
	memcpy(out + len - 2, "\"}\r\n", 4);
	/* The client may give up midway; that is the point of some tests. */
	srv_write(s, out, len + 2);
	free(out);
}

static int srv_getc(struct srv *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, 5000) != 1)
		return -ETIMEDOUT;
	if (read(s->fd, &c, 1) != 1)
		return -EPIPE;
	return (unsigned char)c;
}

static void srv_recv(struct srv *s, const struct step *st)
{
	char line[4096];
	size_t n = 0;
	json_object *o = NULL, *v, *want;
	int c;

	while ((c = srv_getc(s)) >= 0 && c != '\n' && n < sizeof(line) - 1)
		line[n++] = (char)c;
	line[n] = 0;
	if (c != '\n') {
		srv_fail(s, "no command %s (%d)", st->text, c);
		return;
	}
	o = json_tokener_parse(line);
	if (!o || !json_object_object_get_ex(o, "execute", &v) ||
	    strcmp(json_object_get_string(v), st->text)) {
		srv_fail(s, "want %s, got %s", st->text, line);
		goto out;
	}
	if (!json_object_object_get_ex(o, "id", &v) ||
	    !json_object_is_type(v, json_type_int) || s->nids == 16) {
		srv_fail(s, "no integer id: %s", line);
		goto out;
	}
	s->ids[s->nids++] = json_object_get_int64(v);
	if (!json_object_object_get_ex(o, "arguments", &v))
		v = NULL;
	if (!st->args) {
		if (v)
			srv_fail(s, "unexpected arguments: %s", line);
		goto out;
	}
	want = json_tokener_parse(st->args);
	if (!v || !json_object_equal(v, want))
		srv_fail(s, "want arguments %s: %s", st->args, line);
	json_object_put(want);
out:
	json_object_put(o);
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;

	for (const struct step *st = s->steps; !s->fail[0]; st++) {
		if (st->op == OP_END) {
			while (srv_getc(s) >= 0)
				;
			break;
		}
		if (st->op == OP_CLOSE)
			break;
		if (st->ms)
			sleep_ms(st->ms);
		if (st->op == OP_SEND)
			srv_send(s, st->text);
		else if (st->op == OP_SENDPAD)
			srv_sendpad(s, st->len);
		else
			srv_recv(s, st);
	}
	close(s->fd);
	return NULL;
}

/* Start the server on one end of a socketpair; return the client's end. */
static int srv_start(struct srv *s, const struct step *steps)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	s->fd = sv[1];
	s->steps = steps;
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
	s->running = true;
	return sv[0];
}

static struct vmsig_qmp *start(struct srv *s, const struct step *steps)
{
	struct vmsig_qmp *q = NULL;

	assert_int_equal(vmsig_qmp_open_fd(srv_start(s, steps), &q), 0);
	assert_non_null(q);
	return q;
}

static void srv_join(struct srv *s)
{
	if (s->running)
		pthread_join(s->th, NULL);
	s->running = false;
}

static void finish(struct srv *s, struct vmsig_qmp *q)
{
	vmsig_qmp_close(q);
	srv_join(s);
	assert_string_equal(s->fail, "");
}

/*
 * Each test's server lives on the heap and is joined in the teardown, so a
 * test that fails halfway cannot leave a thread scribbling on a dead stack
 * frame (the server gives up within 5 s once the client is gone or silent).
 */
static int srv_setup(void **state)
{
	*state = calloc(1, sizeof(struct srv));
	return *state ? 0 : -1;
}

static int srv_teardown(void **state)
{
	srv_join(*state);
	free(*state);
	return 0;
}

/* Wait (bounded) until the client's socket is readable. */
static void wait_readable(struct vmsig_qmp *q)
{
	struct pollfd p = { .fd = vmsig_qmp_fd(q), .events = POLLIN };

	assert_int_equal(poll(&p, 1, 5000), 1);
}

static void expect_event(struct vmsig_qmp *q, const char *name, int64_t sec,
			 int64_t usec, const char *data)
{
	struct vmsig_qmp_event ev;

	assert_int_equal(vmsig_qmp_next_event(q, &ev), 1);
	assert_string_equal(ev.name, name);
	assert_int_equal(ev.ts_sec, sec);
	assert_int_equal(ev.ts_usec, usec);
	if (data) {
		json_object *want = json_tokener_parse(data);

		assert_non_null(ev.data);
		assert_true(json_object_equal(ev.data, want));
		json_object_put(want);
	} else {
		assert_null(ev.data);
	}
	vmsig_qmp_event_release(&ev);
	assert_null(ev.msg);
}

static void expect_no_event(struct vmsig_qmp *q)
{
	struct vmsig_qmp_event ev;

	assert_int_equal(vmsig_qmp_next_event(q, &ev), 0);
	assert_null(ev.msg);
}

static const char *str_member(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_string(v);
}

/* ------------------------------------------------------------- tests -- */

static void handshake(void **state)
{
	static const struct step steps[] = { GREETING, END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	int fd, fl;

	q = start(s, steps);
	fd = vmsig_qmp_fd(q);
	assert_true(fd >= 0);
	/* Adopted fds are made non-blocking (read_events must never block). */
	fl = fcntl(fd, F_GETFL);
	assert_true(fl & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(vmsig_qmp_pending(q), 0);
	assert_int_equal(vmsig_qmp_error(q, NULL, NULL), -ENODATA);
	finish(s, q);
	assert_int_equal(s->nids, 1);
}

static void handshake_not_qmp(void **state)
{
	static const struct step steps[] = {
		SEND("{\"hello\": {}}\r\n"), END };
	struct srv *s = *state;
	struct vmsig_qmp *q = (void *)1;

	assert_int_equal(vmsig_qmp_open_fd(srv_start(s, steps), &q), -EPROTO);
	assert_null(q);
	srv_join(s);	/* the client closed its end */
	assert_string_equal(s->fail, "");
}

static void handshake_garbage(void **state)
{
	static const struct step steps[] = {
		SEND("SSH-2.0-OpenSSH_9.2\r\n"), END };
	struct srv *s = *state;
	struct vmsig_qmp *q;

	assert_int_equal(vmsig_qmp_open_fd(srv_start(s, steps), &q), -EPROTO);
	srv_join(s);
}

static void handshake_caps_refused(void **state)
{
	static const struct step refuse[] = {
		SEND("{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n"),
		RECV("qmp_capabilities"),
		SEND("{\"id\": $0, \"error\": {\"class\": \"CommandNotFound\", "
			   "\"desc\": \"Capabilities negotiation is already complete\"}}\n"),
		END };
	struct srv *s = *state;
	struct vmsig_qmp *q;

	assert_int_equal(vmsig_qmp_open_fd(srv_start(s, refuse), &q), -EREMOTEIO);
	assert_null(q);
	srv_join(s);
	assert_string_equal(s->fail, "");
}

static void handshake_timeout(void **state)
{
	static const struct step steps[] = { END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	int64_t t0 = mono_ms(), dt;

	assert_int_equal(vmsig__qmp_open_fd_ms(srv_start(s, steps), 100, &q),
			 -ETIMEDOUT);
	dt = mono_ms() - t0;
	assert_true(dt >= 100 && dt < 2000);
	srv_join(s);
}

static void command_reply(void **state)
{
	static const struct step steps[] = {
		GREETING,
		RECV_ARGS("device_del", "{\"id\": \"net0\", \"n\": 3}"),
		SEND("{\"return\": {\"x\": 1, \"s\": \"ok\"}, \"id\": $0}\r\n"),
		RECV("query-name"),
		SEND("{\"return\": {\"name\": \"vm0\"}, \"id\": $0}\r\n"),
		RECV("cont"),
		SEND("{\"return\": {}, \"id\": $0}\r\n"),
		END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	json_object *args, *ret, *v;

	q = start(s, steps);
	args = json_tokener_parse("{\"id\": \"net0\", \"n\": 3}");
	assert_int_equal(vmsig_qmp_execute(q, "device_del", args, &ret), 0);
	/* The arguments are not consumed. */
	assert_int_equal(json_object_object_length(args), 2);
	json_object_put(args);
	assert_true(json_object_object_get_ex(ret, "x", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_string_equal(str_member(ret, "s"), "ok");
	json_object_put(ret);
	assert_int_equal(vmsig_qmp_execute(q, "query-name", NULL, &ret), 0);
	assert_string_equal(str_member(ret, "name"), "vm0");
	json_object_put(ret);
	assert_int_equal(vmsig_qmp_execute(q, "cont", NULL, NULL), 0);
	finish(s, q);
	/* Every command carried its own, increasing id. */
	assert_int_equal(s->nids, 4);
	for (int i = 1; i < s->nids; i++)
		assert_true(s->ids[i] > s->ids[i - 1]);
}

static void bad_arguments(void **state)
{
	static const struct step steps[] = { GREETING, END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	json_object *arr = json_object_new_array(), *ret = (void *)1;

	q = start(s, steps);
	assert_int_equal(vmsig_qmp_execute(q, "cont", arr, &ret), -EINVAL);
	assert_null(ret);
	assert_int_equal(vmsig_qmp_execute(q, "", NULL, NULL), -EINVAL);
	assert_int_equal(vmsig_qmp_execute(q, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(vmsig_qmp_set_timeout(q, 0), -EINVAL);
	json_object_put(arr);
	finish(s, q);
	assert_int_equal(s->nids, 1);	/* nothing was sent */
}

static void error_reply(void **state)
{
	static const struct step steps[] = {
		GREETING,
		RECV("foo"),
		SEND("{\"id\": $0, \"error\": {\"class\": \"CommandNotFound\", "
			   "\"desc\": \"The command foo has not been found\"}}\r\n"),
		RECV("cont"),
		SEND("{\"return\": {}, \"id\": $0}\r\n"),
		END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	json_object *ret = (void *)1;
	const char *class = NULL, *desc = NULL;

	q = start(s, steps);
	assert_int_equal(vmsig_qmp_execute(q, "foo", NULL, &ret), -EREMOTEIO);
	assert_null(ret);
	assert_int_equal(vmsig_qmp_error(q, &class, &desc), 0);
	assert_string_equal(class, "CommandNotFound");
	assert_string_equal(desc, "The command foo has not been found");
	/* A later success clears it. */
	assert_int_equal(vmsig_qmp_execute(q, "cont", NULL, NULL), 0);
	assert_int_equal(vmsig_qmp_error(q, &class, &desc), -ENODATA);
	finish(s, q);
}

static void events_interleaved(void **state)
{
	static const struct step steps[] = {
		GREETING,
		RECV("stop"),
		/* Two events, the reply and a third event, all in one write. */
		SEND("{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 1}, "
		  "\"event\": \"STOP\"}\r\n"
		  "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 2}, "
		  "\"event\": \"BLOCK_IO_ERROR\", \"data\": {\"device\": \"d0\", "
		  "\"operation\": \"write\"}}\r\n"
		  "{\"return\": {\"stopped\": true}, \"id\": $0}\r\n"
		  "{\"timestamp\": {\"seconds\": 1700000001, \"microseconds\": 3}, "
		  "\"event\": \"RTC_CHANGE\", \"data\": {\"offset\": 5}}\r\n"),
		/* And a fourth one later, on its own. */
		SEND_AFTER(50, "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1700000002, "
			   "\"microseconds\": 4}}\r\n"),
		END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	json_object *ret;

	q = start(s, steps);
	assert_int_equal(vmsig_qmp_execute(q, "stop", NULL, &ret), 0);
	assert_true(json_object_get_boolean(json_object_object_get(ret, "stopped")));
	json_object_put(ret);
	/* The event behind the reply is queued although nobody reads-> */
	assert_int_equal(vmsig_qmp_pending(q), 3);
	wait_readable(q);
	assert_int_equal(vmsig_qmp_read_events(q), 1);
	assert_int_equal(vmsig_qmp_pending(q), 4);
	expect_event(q, "STOP", 1700000000, 1, NULL);
	expect_event(q, "BLOCK_IO_ERROR", 1700000000, 2,
		     "{\"device\": \"d0\", \"operation\": \"write\"}");
	expect_event(q, "RTC_CHANGE", 1700000001, 3, "{\"offset\": 5}");
	expect_event(q, "RESUME", 1700000002, 4, NULL);
	expect_no_event(q);
	assert_int_equal(vmsig_qmp_pending(q), 0);
	assert_int_equal(vmsig_qmp_events_dropped(q), 0);
	finish(s, q);
}

static void read_events_idle(void **state)
{
	static const struct step steps[] = {
		GREETING,
		SEND_AFTER(30, "{\"event\": \"POWERDOWN\"}\n"),
		END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	int64_t t0;

	q = start(s, steps);
	/* Nothing there yet: returns at once. */
	t0 = mono_ms();
	assert_int_equal(vmsig_qmp_read_events(q), 0);
	assert_true(mono_ms() - t0 < 20);
	expect_no_event(q);
	wait_readable(q);
	assert_int_equal(vmsig_qmp_read_events(q), 1);
	/* No timestamp in the message: -1. */
	expect_event(q, "POWERDOWN", -1, -1, NULL);
	finish(s, q);
}

static void reply_split(void **state)
{
	static const struct step steps[] = {
		GREETING,
		RECV("query-name"),
		SEND("{\"return\": {\"na"),
		SEND_AFTER(30, "me\": \"vm\\u00e9"),
		SEND_AFTER(30, "-0\"}, \"id\": $0}\r"),
		SEND_AFTER(30, "\n"),
		END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	json_object *ret;

	q = start(s, steps);
	assert_int_equal(vmsig_qmp_execute(q, "query-name", NULL, &ret), 0);
	assert_string_equal(str_member(ret, "name"), "vm\xc3\xa9-0");
	json_object_put(ret);
	finish(s, q);
}

static void two_replies_one_write(void **state)
{
	static const struct step steps[] = {
		GREETING,
		RECV("query-kvm"),
		/* A stale reply (a command long timed out) before ours-> */
		SEND("{\"return\": {\"stale\": true}, \"id\": 999}\r\n"
			   "{\"return\": {\"enabled\": true}, \"id\": $0}\r\n"),
		END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	json_object *ret, *v;

	q = start(s, steps);
	assert_int_equal(vmsig_qmp_execute(q, "query-kvm", NULL, &ret), 0);
	assert_false(json_object_object_get_ex(ret, "stale", NULL));
	assert_true(json_object_object_get_ex(ret, "enabled", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(ret);
	assert_int_equal(vmsig_qmp_pending(q), 0);
	finish(s, q);
}

static void malformed_json(void **state)
{
	static const struct step steps[] = {
		GREETING,
		RECV("a"),
		SEND("{\"return\": {,}, \"id\": $0}\r\n"),
		RECV("b"),
		SEND("[1, 2]\r\n"),		/* JSON, but no object */
		RECV("c"),
		SEND("{\"return\": {}, \"id\": $0} x\r\n"),	/* trailing junk */
		RECV("d"),
		SEND("{\"id\": $0, \"greeting\": 1}\r\n"),	/* no QMP message */
		RECV("e"),
		SEND("\r\n{\"return\": {\"fine\": 1}, \"id\": $0}\r\n"),
		/* Bad lines between events while nobody waits-> */
		SEND_AFTER(30, "{\"event\": \"A\"}\r\n{oops\r\n{\"event\": \"B\"}\r\n"),
		END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	json_object *ret = (void *)1;

	q = start(s, steps);
	assert_int_equal(vmsig_qmp_execute(q, "a", NULL, &ret), -EBADMSG);
	assert_null(ret);
	assert_int_equal(vmsig_qmp_execute(q, "b", NULL, NULL), -EBADMSG);
	assert_int_equal(vmsig_qmp_execute(q, "c", NULL, NULL), -EBADMSG);
	assert_int_equal(vmsig_qmp_execute(q, "d", NULL, NULL), -EBADMSG);
	/* The framing is intact, so the client is still usable. */
	assert_int_equal(vmsig_qmp_execute(q, "e", NULL, &ret), 0);
	assert_true(json_object_object_get_ex(ret, "fine", NULL));
	json_object_put(ret);
	wait_readable(q);
	assert_int_equal(vmsig_qmp_read_events(q), -EBADMSG);
	/* ...and the good lines around the bad one were kept. */
	expect_event(q, "A", -1, -1, NULL);
	expect_event(q, "B", -1, -1, NULL);
	expect_no_event(q);
	finish(s, q);
}

static void disconnect_mid_reply(void **state)
{
	static const struct step steps[] = {
		GREETING,
		RECV("query-status"),
		SEND("{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}\r\n"
			   "{\"return\": {\"runn"),
		CLOSE };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	int running = -1;

	q = start(s, steps);
	assert_int_equal(vmsig_qmp_status(q, &running, NULL, 0), -ECONNRESET);
	assert_int_equal(running, -1);
	/* Sticky, and the event read before the hangup is not lost. */
	assert_int_equal(vmsig_qmp_execute(q, "cont", NULL, NULL), -ECONNRESET);
	assert_int_equal(vmsig_qmp_read_events(q), -ECONNRESET);
	expect_event(q, "SHUTDOWN", -1, -1, "{\"guest\": true}");
	expect_no_event(q);
	finish(s, q);
	assert_int_equal(s->nids, 2);
}

static void disconnect_before_command(void **state)
{
	static const struct step steps[] = {
		GREETING,
		SEND("{\"event\": \"SHUTDOWN\"}\r\n"),
		CLOSE };
	struct srv *s = *state;
	struct vmsig_qmp *q;

	q = start(s, steps);
	srv_join(s);	/* the server is gone */
	assert_int_equal(vmsig_qmp_execute(q, "cont", NULL, NULL), -ECONNRESET);
	expect_event(q, "SHUTDOWN", -1, -1, NULL);
	vmsig_qmp_close(q);
	assert_string_equal(s->fail, "");
}

static void timeout_silent(void **state)
{
	static const struct step steps[] = {
		GREETING,
		RECV("slow"),
		RECV("fast"),
		/* The late reply to "slow" arrives first and must be dropped. */
		SEND("{\"return\": {\"late\": 1}, \"id\": $1}\r\n"
			   "{\"return\": {\"fast\": 1}, \"id\": $0}\r\n"),
		END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	json_object *ret = (void *)1;
	int64_t t0, dt;

	q = start(s, steps);
	assert_int_equal(vmsig_qmp_set_timeout(q, 100), 0);
	t0 = mono_ms();
	assert_int_equal(vmsig_qmp_execute(q, "slow", NULL, &ret), -ETIMEDOUT);
	dt = mono_ms() - t0;
	assert_true(dt >= 100 && dt < 2000);
	assert_null(ret);
	assert_int_equal(vmsig_qmp_set_timeout(q, 5000), 0);
	assert_int_equal(vmsig_qmp_execute(q, "fast", NULL, &ret), 0);
	assert_true(json_object_object_get_ex(ret, "fast", NULL));
	assert_false(json_object_object_get_ex(ret, "late", NULL));
	json_object_put(ret);
	finish(s, q);
}

static void size_limit(void **state)
{
	static const struct step steps[] = {
		GREETING,
		RECV("big"),
		PAD(VMSIG_QMP_MAX_MSG),
		RECV("bigger"),
		PAD(VMSIG_QMP_MAX_MSG + 1),
		END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	json_object *ret;

	q = start(s, steps);
	/* Exactly at the bound: accepted. */
	assert_int_equal(vmsig_qmp_execute(q, "big", NULL, &ret), 0);
	assert_true(json_object_get_string_len(ret) > VMSIG_QMP_MAX_MSG - 40);
	json_object_put(ret);
	/* One byte over: refused, and the client is dead for good. */
	assert_int_equal(vmsig_qmp_execute(q, "bigger", NULL, &ret), -EMSGSIZE);
	assert_int_equal(vmsig_qmp_execute(q, "cont", NULL, NULL), -EMSGSIZE);
	assert_int_equal(vmsig_qmp_read_events(q), -EMSGSIZE);
	finish(s, q);
	assert_int_equal(s->nids, 3);
}

static void event_queue_bound(void **state)
{
	enum { EXTRA = 5 };
	const char *ev = "{\"event\": \"X\"}\n";
	size_t n = VMSIG_QMP_MAX_EVENTS + EXTRA, l = strlen(ev);
	char *flood = malloc(n * l + 1);
	struct step steps[] = { GREETING, SEND(flood), END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	for (size_t i = 0; i < n; i++)
		memcpy(flood + i * l, ev, l);
	flood[n * l] = 0;
	q = start(s, steps);
	/*
	 * The flood may arrive in several chunks, some of them already read
	 * (and queued) along with the handshake's reply.
	 */
	while (vmsig_qmp_pending(q) + vmsig_qmp_events_dropped(q) < n) {
		wait_readable(q);
		assert_true(vmsig_qmp_read_events(q) >= 0);
	}
	assert_int_equal(vmsig_qmp_pending(q), VMSIG_QMP_MAX_EVENTS);
	assert_int_equal(vmsig_qmp_events_dropped(q), EXTRA);
	finish(s, q);	/* frees the queue: valgrind/asan would see leaks */
	free(flood);
}

static void status_and_hmp(void **state)
{
	static const struct step steps[] = {
		GREETING,
		RECV("query-status"),
		SEND("{\"return\": {\"status\": \"paused\", \"singlestep\": false, "
			   "\"running\": false}, \"id\": $0}\r\n"),
		RECV("query-status"),
		SEND("{\"return\": {\"status\": \"running\", \"running\": true}, "
			   "\"id\": $0}\r\n"),
		RECV("query-status"),
		SEND("{\"return\": {\"status\": \"running\", \"running\": true}, "
			   "\"id\": $0}\r\n"),
		RECV("query-status"),
		SEND("{\"return\": {\"status\": \"running\"}, \"id\": $0}\r\n"),
		RECV_ARGS("human-monitor-command", "{\"command-line\": \"info registers\"}"),
		SEND("{\"return\": \"RAX=0000000000000000 RBX=0000000000000001\\r\\n\", "
			   "\"id\": $0}\r\n"),
		RECV_ARGS("human-monitor-command", "{\"command-line\": \"info nothing\"}"),
		SEND("{\"return\": {}, \"id\": $0}\r\n"),
		END };
	struct srv *s = *state;
	struct vmsig_qmp *q;
	char st[VMSIG_QMP_STATUS_MAX] = "", tiny[4];
	int running = -1;
	char *text = (void *)1;

	q = start(s, steps);
	assert_int_equal(vmsig_qmp_status(q, &running, st, sizeof(st)), 0);
	assert_int_equal(running, 0);
	assert_string_equal(st, "paused");
	assert_int_equal(vmsig_qmp_status(q, &running, NULL, 0), 0);
	assert_int_equal(running, 1);
	assert_int_equal(vmsig_qmp_status(q, NULL, tiny, sizeof(tiny)), -ENOBUFS);
	assert_int_equal(vmsig_qmp_status(q, &running, st, sizeof(st)), -EBADMSG);
	assert_int_equal(vmsig_qmp_hmp(q, "info registers", &text), 0);
	assert_string_equal(text, "RAX=0000000000000000 RBX=0000000000000001\r\n");
	free(text);
	assert_int_equal(vmsig_qmp_hmp(q, "info nothing", &text), -EBADMSG);
	assert_null(text);
	finish(s, q);
}

struct acceptor {
	int lfd;
	struct srv srv;
};

static void *accept_main(void *arg)
{
	struct acceptor *a = arg;

	a->srv.fd = accept(a->lfd, NULL, NULL);
	if (a->srv.fd < 0) {
		srv_fail(&a->srv, "accept: %s", strerror(errno));
		return NULL;
	}
	return srv_main(&a->srv);
}

static void connect_path(void **state)
{
	static const struct step steps[] = { GREETING, END };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/vmsig-qmp-XXXXXX", longp[200];
	struct acceptor a;
	pthread_t th;
	struct vmsig_qmp *q = (void *)1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/qmp.sock", dir);
	memset(&a, 0, sizeof(a));
	a.srv.steps = steps;
	a.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(a.lfd >= 0);
	assert_int_equal(bind(a.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(a.lfd, 1), 0);
	assert_int_equal(pthread_create(&th, NULL, accept_main, &a), 0);
	assert_int_equal(vmsig_qmp_connect(sa.sun_path, &q), 0);
	vmsig_qmp_close(q);
	pthread_join(th, NULL);
	assert_string_equal(a.srv.fail, "");
	assert_int_equal(a.srv.nids, 1);
	close(a.lfd);
	unlink(sa.sun_path);

	/* Nobody listens any more. */
	assert_int_equal(vmsig_qmp_connect(sa.sun_path, &q), -ENOENT);
	assert_null(q);
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	assert_int_equal(vmsig_qmp_connect(longp, &q), -ENAMETOOLONG);
	assert_int_equal(vmsig_qmp_connect("", &q), -EINVAL);
	rmdir(dir);
}

#define srv_test(f) cmocka_unit_test_setup_teardown(f, srv_setup, srv_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		srv_test(handshake),
		srv_test(handshake_not_qmp),
		srv_test(handshake_garbage),
		srv_test(handshake_caps_refused),
		srv_test(handshake_timeout),
		srv_test(command_reply),
		srv_test(bad_arguments),
		srv_test(error_reply),
		srv_test(events_interleaved),
		srv_test(read_events_idle),
		srv_test(reply_split),
		srv_test(two_replies_one_write),
		srv_test(malformed_json),
		srv_test(disconnect_mid_reply),
		srv_test(disconnect_before_command),
		srv_test(timeout_silent),
		srv_test(size_limit),
		srv_test(event_queue_bound),
		srv_test(status_and_hmp),
		cmocka_unit_test(connect_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
