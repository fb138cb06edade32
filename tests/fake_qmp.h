/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake QEMU for the adapter tests: a QMP server in a thread on one end of
 * a socketpair, answering by rules rather than a fixed script, because the
 * adapters decide themselves when to send what (ticks, workers).
 *
 * It greets like QEMU 7.2, logs every command it receives (fq_cmd()), and
 * answers each one by the last rule set for its name: optional raw lines
 * first (events), then {"return": ...} or a GenericError, or a hang-up.
 * Without a rule a command gets {"return": {}}; human-monitor-command gets
 * the text set with fq_set_hmp().  The test can push lines at any time
 * (fq_send(), e.g. asynchronous events).
 *
 * The server never calls cmocka (not thread-safe): its first complaint goes
 * to fq->fail, checked by fq_stop().
 */
#ifndef VMSIG_TESTS_FAKE_QMP_H
#define VMSIG_TESTS_FAKE_QMP_H

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define FQ_MAX_RULES 16
#define FQ_MAX_LOG 512

/* How to answer a command.  Strings are not copied: use literals. */
struct fq_rule {
	const char *cmd;
	const char *before;	/* raw text sent first (events), or NULL */
	const char *ret;	/* JSON of "return"; NULL: {} */
	const char *err;	/* set: a GenericError with this desc instead */
	bool hangup;		/* close the connection instead of answering */
	int delay_ms;		/* wait this long before answering */
};

struct fake_qmp {
	int fd;			/* the server's end */
	int client;		/* the client's end, for the adapter's config */
	pthread_t th;
	bool running;
	pthread_mutex_t mu;	/* everything below, and writes to @fd */
	pthread_cond_t cv;
	bool quit;
	bool closed;		/* the server hung up */
	struct fq_rule rules[FQ_MAX_RULES];
	int nrules;
	char *hmp;
	json_object *log[FQ_MAX_LOG];
	int nlog;
	char fail[256];
};

static inline void fq_complain(struct fake_qmp *q, const char *fmt, ...)
{
	va_list ap;

	if (q->fail[0])
		return;
	va_start(ap, fmt);
	vsnprintf(q->fail, sizeof(q->fail), fmt, ap);
	va_end(ap);
}

static inline void fq_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Write @s whole; under q->mu. */
static inline void fq_write_locked(struct fake_qmp *q, const char *s)
{
	size_t len = strlen(s);

	while (len && !q->closed) {
		ssize_t n = send(q->fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;		/* the client left; not the server's fault */
		s += n;
		len -= (size_t)n;
	}
}

/* Push raw text (one or more "\r\n"-terminated JSON lines) to the client. */
static inline void fq_send(struct fake_qmp *q, const char *s)
{
	pthread_mutex_lock(&q->mu);
	fq_write_locked(q, s);
	pthread_mutex_unlock(&q->mu);
}

static inline void fq_set_rule(struct fake_qmp *q, struct fq_rule r)
{
	pthread_mutex_lock(&q->mu);
	if (q->nrules < FQ_MAX_RULES)
		q->rules[q->nrules++] = r;
	pthread_mutex_unlock(&q->mu);
}

static inline void fq_set_hmp(struct fake_qmp *q, const char *text)
{
	pthread_mutex_lock(&q->mu);
	free(q->hmp);
	q->hmp = strdup(text);
	pthread_mutex_unlock(&q->mu);
}

/* One line from the client, or NULL on EOF/quit.  Polls so quit is seen. */
static inline char *fq_read_line(struct fake_qmp *q)
{
	size_t cap = 4096, n = 0;
	char *line = malloc(cap);

	for (;;) {
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		char c;
		int r;

		pthread_mutex_lock(&q->mu);
		r = q->quit || q->closed;
		pthread_mutex_unlock(&q->mu);
		if (r)
			break;
		if (poll(&p, 1, 20) <= 0)
			continue;
		if (read(q->fd, &c, 1) != 1)
			break;
		if (c == '\n') {
			line[n] = 0;
			return line;
		}
		if (n + 1 == cap)
			line = realloc(line, cap *= 2);
		line[n++] = c;
	}
	free(line);
	return NULL;
}

static inline void fq_answer(struct fake_qmp *q, json_object *msg)
{
	json_object *v, *reply = json_object_new_object(), *id = NULL;
	const char *cmd = "";
	struct fq_rule rule = { 0 };
	bool have = false;

	if (json_object_object_get_ex(msg, "execute", &v))
		cmd = json_object_get_string(v);
	json_object_object_get_ex(msg, "id", &id);
	pthread_mutex_lock(&q->mu);
	for (int i = q->nrules - 1; i >= 0 && !have; i--) {
		if (!strcmp(q->rules[i].cmd, cmd)) {
			rule = q->rules[i];
			have = true;
		}
	}
	pthread_mutex_unlock(&q->mu);
	if (rule.delay_ms)
		fq_sleep_ms(rule.delay_ms);
	pthread_mutex_lock(&q->mu);
	if (rule.before)
		fq_write_locked(q, rule.before);
	if (rule.hangup) {
		shutdown(q->fd, SHUT_RDWR);
		q->closed = true;
		pthread_mutex_unlock(&q->mu);
		json_object_put(reply);
		return;
	}
	if (rule.err) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "class",
				       json_object_new_string("GenericError"));
		json_object_object_add(e, "desc", json_object_new_string(rule.err));
		json_object_object_add(reply, "error", e);
	} else if (rule.ret) {
		json_object *r = json_tokener_parse(rule.ret);

		if (!r)
			fq_complain(q, "bad rule JSON %s", rule.ret);
		json_object_object_add(reply, "return", r);
	} else if (!have && !strcmp(cmd, "human-monitor-command")) {
		json_object_object_add(reply, "return",
				       json_object_new_string(q->hmp ? q->hmp : ""));
	} else {
		json_object_object_add(reply, "return", json_object_new_object());
	}
	if (id)
		json_object_object_add(reply, "id", json_object_get(id));
	fq_write_locked(q, json_object_to_json_string_ext(reply,
							 JSON_C_TO_STRING_PLAIN));
	fq_write_locked(q, "\r\n");
	pthread_mutex_unlock(&q->mu);
	json_object_put(reply);
}

static inline void *fq_main(void *arg)
{
	struct fake_qmp *q = arg;
	char *line;

	fq_send(q, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, "
		   "\"minor\": 2, \"major\": 7}, \"package\": "
		   "\"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, "
		   "\"capabilities\": [\"oob\"]}}\r\n");
	while ((line = fq_read_line(q))) {
		json_object *msg = json_tokener_parse(line);

		if (!msg || !json_object_is_type(msg, json_type_object)) {
			fq_complain(q, "not a JSON object: %s", line);
			json_object_put(msg);
			free(line);
			continue;
		}
		free(line);
		pthread_mutex_lock(&q->mu);
		if (q->nlog < FQ_MAX_LOG)
			q->log[q->nlog++] = json_object_get(msg);
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		fq_answer(q, msg);
		json_object_put(msg);
	}
	return NULL;
}

/* Start the fake; q->client is the end to hand to the adapter. */
static inline int fq_start(struct fake_qmp *q)
{
	int sv[2];

	memset(q, 0, sizeof(*q));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	q->client = sv[0];
	q->fd = sv[1];
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (pthread_create(&q->th, NULL, fq_main, q))
		return -EAGAIN;
	q->running = true;
	return 0;
}

/* Hang up now, as a QEMU that exits. */
static inline void fq_hangup(struct fake_qmp *q)
{
	pthread_mutex_lock(&q->mu);
	shutdown(q->fd, SHUT_RDWR);
	q->closed = true;
	pthread_mutex_unlock(&q->mu);
}

/* Close the test's copy of the client end (the adapter has its own). */
static inline void fq_drop_client(struct fake_qmp *q)
{
	if (q->client >= 0)
		close(q->client);
	q->client = -1;
}

/* Wait until @n commands (qmp_capabilities included) have come in. */
static inline bool fq_wait_cmds(struct fake_qmp *q, int n, int timeout_ms)
{
	struct timespec dl;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&q->mu);
	while (q->nlog < n &&
	       pthread_cond_timedwait(&q->cv, &q->mu, &dl) == 0)
		;
	ok = q->nlog >= n;
	pthread_mutex_unlock(&q->mu);
	return ok;
}

static inline int fq_ncmds(struct fake_qmp *q)
{
	int n;

	pthread_mutex_lock(&q->mu);
	n = q->nlog;
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* The name of command @i (0 is qmp_capabilities). */
static inline const char *fq_cmd(struct fake_qmp *q, int i)
{
	json_object *v = NULL;

	pthread_mutex_lock(&q->mu);
	if (i < q->nlog)
		json_object_object_get_ex(q->log[i], "execute", &v);
	pthread_mutex_unlock(&q->mu);
	return v ? json_object_get_string(v) : NULL;
}

/* Whether command @i carried exactly the arguments @json (NULL: none). */
static inline bool fq_args_are(struct fake_qmp *q, int i, const char *json)
{
	json_object *v = NULL, *want;
	bool ok;

	pthread_mutex_lock(&q->mu);
	if (i < q->nlog)
		json_object_object_get_ex(q->log[i], "arguments", &v);
	pthread_mutex_unlock(&q->mu);
	if (!json)
		return !v;
	want = json_tokener_parse(json);
	ok = v && want && json_object_equal(v, want);
	if (!ok)
		fprintf(stderr, "want arguments %s\n got %s\n", json,
			v ? json_object_to_json_string(v) : "(none)");
	json_object_put(want);
	return ok;
}

/* Stop the server; return its complaint ("" when none). */
static inline const char *fq_stop(struct fake_qmp *q)
{
	if (!q->running)
		return q->fail;
	pthread_mutex_lock(&q->mu);
	q->quit = true;
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->th, NULL);
	q->running = false;
	close(q->fd);
	fq_drop_client(q);
	for (int i = 0; i < q->nlog; i++)
		json_object_put(q->log[i]);
	q->nlog = 0;
	free(q->hmp);
	q->hmp = NULL;
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	return q->fail;
}

#endif /* VMSIG_TESTS_FAKE_QMP_H */
