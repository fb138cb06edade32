// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl top: a live view of vmsig, one frame a second: the endpoints
 * with their subscribers and leases (netlink listing), event rates, and the
 * audit counters.  Plain ANSI escapes, no curses.
 *
 * Event rates come from a subscriber of top's own on each endpoint, opened
 * by id (VMSIG_IOC_OPEN_EP, so only with CAP_SYS_ADMIN): the growth of its
 * "published" counter is the rate of events the endpoint fans out.  Top's
 * own file is left out of the subscriber count, and let go of when it is
 * the endpoint's last one, so top never keeps a detached endpoint alive.
 * Without CAP_SYS_ADMIN the rates show as "-".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "vmsig.h"
#include "vmsig_names.h"
#include "vmsig_nl.h"

#define MAX_EPS 256
#define RING_MIN 16

/* One endpoint as top follows it across frames. */
struct tep {
	struct vmsig_nl_endpoint nl;	/* latest listing */
	int fd;				/* top's subscriber, or -1 */
	uint64_t published;		/* its counter at the last sample */
	double rate;			/* events per second, < 0 unknown */
	uint64_t events;		/* events seen since top started */
};

struct top {
	struct vmsig_nl *nl;
	int dev;			/* /dev/vmsig, or -1 */
	bool can_open;			/* OPEN_EP works (CAP_SYS_ADMIN) */
	struct tep eps[MAX_EPS];
	size_t n;
	uint64_t audit_total, audit_lost;
	double audit_rate;		/* < 0 unknown */
	uint64_t sampled_ns;
};

struct listing {
	struct vmsig_nl_endpoint v[MAX_EPS];
	size_t n;
};

static int collect(const struct vmsig_nl_endpoint *ep, void *arg)
{
	struct listing *l = arg;

	if (l->n < MAX_EPS)
		l->v[l->n++] = *ep;
	return 0;
}

static struct tep *find(struct top *t, uint32_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->eps[i].nl.ep_id == id)
			return &t->eps[i];
	return NULL;
}

static void drop_sub(struct tep *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	e->rate = -1;
}

/* Open top's subscriber on @e, once; errors only turn rates off. */
static void open_sub(struct top *t, struct tep *e)
{
	struct vmsig_counters cnt;
	int fd;

	if (!t->can_open || t->dev < 0 || e->fd >= 0)
		return;
	fd = vmsig_open_ep(t->dev, e->nl.ep_id, VMSIG_ATTACH_NONBLOCK);
	if (fd == -EPERM) {
		t->can_open = false;
		return;
	}
	if (fd < 0)
		return;
	/* Every source and kernel type; the smallest ring, it is only counted. */
	vmsig_set_sub(fd, (1ULL << VMSIG_SRC_MAX) - 1,
		      (1ULL << VMSIG_EV_LIFECYCLE) | (1ULL << VMSIG_EV_MEMCTX) |
		      (1ULL << VMSIG_EV_LEASE) | (1ULL << VMSIG_EV_MEMWRITE), RING_MIN);
	e->fd = fd;
	e->published = vmsig_get_counters(fd, &cnt) ? 0 : cnt.published;
	e->rate = -1;
}

/* One sample: listing, subscribers, counters.  0 or -errno (explained). */
static int sample(struct ctl *c, struct top *t)
{
	static struct listing l;
	struct vmsig_nl_audit_stats st;
	struct tep next[MAX_EPS];
	uint64_t now = ctl_now_ns(), total = 0;
	double dt = t->sampled_ns ? (double)(now - t->sampled_ns) / 1e9 : 0;
	size_t nn = 0;
	int n;

	l.n = 0;
	n = vmsig_nl_list_endpoints(t->nl, 0, collect, &l);
	if (n < 0) {
		ctl_nl_fail(c, n, "cannot list the endpoints");
		return n;
	}
	for (size_t i = 0; i < l.n; i++) {
		struct tep *old = find(t, l.v[i].ep_id), *e = &next[nn++];

		if (old) {
			*e = *old;
			old->fd = -1;	/* moved */
		} else {
			memset(e, 0, sizeof(*e));
			e->fd = -1;
			e->rate = -1;
		}
		e->nl = l.v[i];
		if (e->fd >= 0) {
			struct vmsig_event evs[RING_MIN];
			struct vmsig_counters cnt;
			int r;

			/* Drain, and notice the end of stream of a dead endpoint. */
			while ((r = vmsig_read_events(e->fd, evs, RING_MIN)) > 0)
				;
			if (r == -EPIPE || e->nl.nsubs <= 1 ||
			    vmsig_get_counters(e->fd, &cnt)) {
				drop_sub(e);
			} else {
				uint64_t d = cnt.published - e->published;

				e->events += d;
				e->rate = dt > 0 ? (double)d / dt : -1;
				e->published = cnt.published;
			}
			/* Our own file is not one of the endpoint's subscribers. */
			if (e->nl.nsubs)
				e->nl.nsubs--;
		} else {
			open_sub(t, e);
		}
	}
	for (size_t i = 0; i < t->n; i++)	/* endpoints gone */
		drop_sub(&t->eps[i]);
	memcpy(t->eps, next, nn * sizeof(*next));
	t->n = nn;

	t->audit_rate = -1;
	if (!vmsig_nl_audit_stats(t->nl, &st)) {
		for (unsigned int k = 1; k < VMSIG_NL_KINDS_MAX; k++)
			total += st.kinds[k];
		if (dt > 0 && t->sampled_ns)
			t->audit_rate = (double)(total - t->audit_total) / dt;
		t->audit_total = total;
		t->audit_lost = st.lost;
	}
	t->sampled_ns = now;
	return 0;
}

static void fmt_rate(double r, char *buf, size_t size)
{
	if (r < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f", r);
}

/* "memwrite:1234(5s)" for every held lease, "-" for none. */
static void fmt_leases(const struct vmsig_nl_endpoint *ep, uint64_t now, char *buf,
		       size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (uint32_t k = 0; k < ep->nleases && off < size; k++) {
		const struct vmsig_nl_lease *l = &ep->leases[k];
		const char *cls = vmsig_lease_class_name(l->lease_class);

		if (!l->held)
			continue;
		off += (size_t)snprintf(buf + off, size - off, "%s%s:%u", off ? " " : "",
					cls ? cls : "?", l->holder_pid);
		if (l->expires_ns && off < size)
			off += (size_t)snprintf(buf + off, size - off, "(%.0fs)",
						l->expires_ns > now ?
						(double)(l->expires_ns - now) / 1e9 : 0.0);
	}
	if (!off)
		snprintf(buf, size, "-");
}

static void frame_human(const struct top *t, bool ansi)
{
	uint64_t now = ctl_now_ns();
	char rate[32], leases[256], bk[16];
	time_t wall = time(NULL);
	struct tm tm;

	localtime_r(&wall, &tm);
	if (ansi)
		fputs("\033[H\033[J", stdout);
	printf("vmsig top  %02d:%02d:%02d  %zu endpoint%s%s\n", tm.tm_hour, tm.tm_min,
	       tm.tm_sec, t->n, t->n == 1 ? "" : "s", ansi ? "  (Ctrl-C quits)" : "");
	fmt_rate(t->audit_rate, rate, sizeof(rate));
	printf("audit: %s records/s, %" PRIu64 " total, %" PRIu64 " lost\n", rate,
	       t->audit_total, t->audit_lost);
	if (!t->can_open)
		printf("(event rates need CAP_SYS_ADMIN: top subscribes to each endpoint by id)\n");
	printf("\n%6s %-8s %8s %5s %9s %10s  %s\n", "ID", "BACKEND", "VMM PID", "SUBS",
	       "EVENTS/S", "EVENTS", "LEASES");
	for (size_t i = 0; i < t->n; i++) {
		const struct tep *e = &t->eps[i];

		fmt_rate(e->rate, rate, sizeof(rate));
		fmt_leases(&e->nl, now, leases, sizeof(leases));
		printf("%6u %-8s ", e->nl.ep_id, ctl_backend_name(e->nl.backend, bk, sizeof(bk)));
		if (e->nl.vmm_pid)
			printf("%8u ", e->nl.vmm_pid);
		else
			printf("%8s ", "-");
		printf("%5u %9s ", e->nl.nsubs, rate);
		if (e->fd >= 0 || e->events)
			printf("%10" PRIu64, e->events);
		else
			printf("%10s", "-");
		printf("  %s\n", leases);
	}
	if (!t->n)
		printf("%6s (no endpoints)\n", "");
	fflush(stdout);
}

static struct json_object *frame_json(const struct top *t)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	uint64_t now = ctl_now_ns();
	char bk[16];

	for (size_t i = 0; i < t->n; i++) {
		const struct tep *e = &t->eps[i];
		struct json_object *x = json_object_new_object(), *la = json_object_new_array();

		j_int(x, "ep_id", e->nl.ep_id);
		j_str(x, "backend", ctl_backend_name(e->nl.backend, bk, sizeof(bk)));
		j_int(x, "vmm_pid", e->nl.vmm_pid);
		j_int(x, "subscribers", e->nl.nsubs);
		if (e->rate >= 0)
			json_object_object_add(x, "events_per_s", json_object_new_double(e->rate));
		else
			j_null(x, "events_per_s");
		j_u64(x, "events", e->events);
		for (uint32_t k = 0; k < e->nl.nleases; k++) {
			const struct vmsig_nl_lease *l = &e->nl.leases[k];
			struct json_object *lo;
			const char *cls = vmsig_lease_class_name(l->lease_class);

			if (!l->held)
				continue;
			lo = json_object_new_object();
			if (cls)
				j_str(lo, "class", cls);
			else
				j_int(lo, "class", l->lease_class);
			j_int(lo, "holder_pid", l->holder_pid);
			j_u64(lo, "token", l->token);
			if (l->expires_ns)
				j_int(lo, "expires_in_ms", l->expires_ns > now ?
				      (int64_t)((l->expires_ns - now) / 1000000) : 0);
			else
				j_null(lo, "expires_in_ms");
			json_object_array_add(la, lo);
		}
		json_object_object_add(x, "leases", la);
		json_object_array_add(arr, x);
	}
	json_object_object_add(o, "endpoints", arr);
	j_bool(o, "rates", t->can_open);
	if (t->audit_rate >= 0)
		json_object_object_add(o, "audit_per_s", json_object_new_double(t->audit_rate));
	else
		j_null(o, "audit_per_s");
	j_u64(o, "audit_total", t->audit_total);
	j_u64(o, "audit_lost", t->audit_lost);
	return o;
}

/* Sleep @ms unless a signal comes first. */
static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int ctl_cmd_top(struct ctl *c)
{
	bool ansi = !c->args->once && ctl_human(c) && isatty(STDOUT_FILENO);
	struct top *t = calloc(1, sizeof(*t));
	long frames = 0;
	int rc = CTL_EXIT_OK;

	if (!t)
		return ctl_fail(c, -ENOMEM, "out of memory");
	if (ctl_nl_open(c, &t->nl)) {
		free(t);
		return CTL_EXIT_FAIL;
	}
	t->dev = vmsig_open(0);
	t->can_open = t->dev >= 0;
	ctl_catch_signals();
	if (ansi)
		fputs("\033[?25l", stdout);	/* hide the cursor */
	/* The first sample opens the subscribers; rates need a second one. */
	if (sample(c, t)) {
		rc = CTL_EXIT_FAIL;
		goto out;
	}
	while (!ctl_interrupted()) {
		pause_ms(1000);
		if (ctl_interrupted())
			break;
		if (sample(c, t)) {
			rc = CTL_EXIT_FAIL;
			break;
		}
		frames++;
		if (c->args->once && !ctl_human(c)) {
			struct json_object *f = frame_json(t);

			json_object_object_foreach(f, k, v)
				json_object_object_add(c->out, k, json_object_get(v));
			json_object_put(f);
		} else if (ctl_human(c)) {
			frame_human(t, ansi);
		} else {
			struct json_object *f = frame_json(t);

			puts(json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN));
			fflush(stdout);
			json_object_put(f);
		}
		if (c->args->once || ferror(stdout))
			break;
	}
out:
	if (ansi)
		fputs("\033[?25h", stdout);	/* show it again */
	j_int(c->out, "frames", frames);
	for (size_t i = 0; i < t->n; i++)
		drop_sub(&t->eps[i]);
	if (t->dev >= 0)
		close(t->dev);
	vmsig_nl_close(t->nl);
	free(t);
	return rc;
}
