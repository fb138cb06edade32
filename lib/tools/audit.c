// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl audit: the audit records of the vmsig generic netlink family's
 * "audit" group, decoded, or its counters (--stats).  Records are only
 * multicast, never stored: a listener sees the decisions made after it
 * joined.  Plain "audit" waits for the next record, --count N for N of
 * them, --follow for every one until SIGINT or SIGTERM.  Listening and the
 * counters need CAP_NET_ADMIN.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "vmsig_names.h"
#include "vmsig_nl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The VMSIG_RIGHT_* bits by name, as vmsig_rights_format() spells them. */
static const char *const right_names[] = {
	"mem_read", "mem_write", "memctx", "emit", "submit_input", "submit_power",
	"submit_other", "lease_input", "lease_power", "lease_memwrite",
	"bind_sink", "admin",
};

static void fmt_rights(uint64_t r, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int b = 0; b < 64 && off < size; b++) {
		if (!(r & (1ULL << b)))
			continue;
		if (b < ARRAY_SIZE(right_names))
			off += (size_t)snprintf(buf + off, size - off, "%s%s",
						off ? "," : "", right_names[b]);
		else
			off += (size_t)snprintf(buf + off, size - off, "%sbit%u",
						off ? "," : "", b);
	}
	if (!off)
		snprintf(buf, size, "none");
}

static const char *op_name(uint32_t op, char *buf, size_t size)
{
	const char *n = op == VMSIG_AUDIT_OP_WRITE ? "write" : vmsig_ioctl_name(op);

	if (n)
		return n;
	snprintf(buf, size, "0x%x", op);
	return buf;
}

static void print_record(struct ctl *c, const struct vmsig_nl_audit *r, uint64_t gap)
{
	const char *what = vmsig_audit_kind_name(r->what);
	const char *cls = vmsig_lease_class_name(r->lease_class);
	struct json_object *o = json_object_new_object();
	char wbuf[16], obuf[16], rights[256], line[512];
	size_t off = 0;

	if (!what) {
		snprintf(wbuf, sizeof(wbuf), "kind%u", r->what);
		what = wbuf;
	}
	j_u64(o, "seq", r->seq);
	j_u64(o, "time_ns", r->time_ns);
	j_str(o, "what", what);
	j_int(o, "result", r->result);
	j_int(o, "pid", r->pid);
	j_int(o, "uid", r->uid);
	j_str(o, "comm", r->comm);
	j_int(o, "ep_id", r->ep_id);
#define ADD(...) (off += (size_t)snprintf(line + off, off < sizeof(line) ? sizeof(line) - off : 0, __VA_ARGS__))
	ADD("%12.6f %6" PRIu64 " %-13s ep %-4u %s[%u] uid %u", (double)r->time_ns / 1e9,
	    r->seq, what, r->ep_id, r->comm, r->pid, r->uid);
	if (r->present & VMSIG_NL_AUDIT_HAS_CLASS) {
		if (cls)
			j_str(o, "lease_class", cls);
		else
			j_int(o, "lease_class", r->lease_class);
		ADD(" class %s", cls ? cls : "?");
	}
	if (r->present & VMSIG_NL_AUDIT_HAS_TOKEN) {
		j_u64(o, "token", r->token);
		ADD(" token %" PRIu64, r->token);
	}
	if (r->present & VMSIG_NL_AUDIT_HAS_HOLDER) {
		j_int(o, "holder_pid", r->holder_pid);
		ADD(" holder %u", r->holder_pid);
	}
	if (r->present & VMSIG_NL_AUDIT_HAS_ADDR) {
		j_u64(o, "addr", r->addr);
		j_int(o, "len", r->len);
		ADD(" %u byte%s at 0x%" PRIx64, r->len, r->len == 1 ? "" : "s", r->addr);
	}
	if (r->present & VMSIG_NL_AUDIT_HAS_OP) {
		const char *op = op_name(r->op, obuf, sizeof(obuf));

		j_str(o, "op", op);
		ADD(" op %s", op);
	}
	if (r->present & VMSIG_NL_AUDIT_HAS_RIGHTS) {
		fmt_rights(r->rights, rights, sizeof(rights));
		j_u64(o, "rights", r->rights);
		j_str(o, "rights_names", rights);
		ADD(" rights %s", rights);
	}
	if (r->result)
		ADD(" -> %s", strerror(-r->result));
	else
		ADD(" -> ok");
#undef ADD
	if (gap)
		j_u64(o, "missed", gap);
	if (ctl_human(c)) {
		if (gap)
			printf("(%" PRIu64 " record%s not seen)\n", gap, gap == 1 ? "" : "s");
		printf("%s\n", line);
	} else {
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(o);
}

static int show_stats(struct ctl *c, struct vmsig_nl *nl)
{
	struct json_object *kinds = json_object_new_object();
	struct vmsig_nl_audit_stats st;
	uint64_t total = 0;
	int err = vmsig_nl_audit_stats(nl, &st);

	if (err) {
		json_object_put(kinds);
		return ctl_nl_fail(c, err, "cannot read the audit counters");
	}
	for (unsigned int k = 1; k < VMSIG_NL_KINDS_MAX; k++) {
		const char *n = vmsig_audit_kind_name(k);
		char buf[16];

		if (!n && !st.kinds[k])
			continue;
		if (!n) {
			snprintf(buf, sizeof(buf), "kind%u", k);
			n = buf;
		}
		j_u64(kinds, n, st.kinds[k]);
		total += st.kinds[k];
		if (ctl_human(c))
			printf("%-14s %" PRIu64 "\n", n, st.kinds[k]);
	}
	json_object_object_add(c->out, "kinds", kinds);
	j_u64(c->out, "total", total);
	j_u64(c->out, "lost", st.lost);
	if (ctl_human(c))
		printf("%-14s %" PRIu64 "\n%-14s %" PRIu64 "\n", "total", total, "lost", st.lost);
	return CTL_EXIT_OK;
}

int ctl_cmd_audit(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	long want = a->follow ? 0 : a->count ? a->count : 1, seen = 0;
	uint64_t last = 0, overruns = 0;
	struct vmsig_nl_audit rec;
	struct vmsig_nl *nl;
	const char *end = "signal";
	int err, rc = CTL_EXIT_OK;

	if (ctl_nl_open(c, &nl))
		return CTL_EXIT_FAIL;
	if (a->stats) {
		rc = show_stats(c, nl);
		vmsig_nl_close(nl);
		return rc;
	}
	err = vmsig_nl_audit_subscribe(nl);
	if (err) {
		vmsig_nl_close(nl);
		return ctl_nl_fail(c, err, "cannot join the audit group");
	}
	ctl_catch_signals();
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!ctl_interrupted()) {
		/* Short waits: a signal may land before a blocking call. */
		err = vmsig_nl_audit_next(nl, &rec, 250);
		if (err == -EAGAIN || err == -EINTR)
			continue;
		if (err == -ENOBUFS) {
			overruns++;
			fprintf(stderr, "vmsigctl: the audit socket overflowed: records were lost\n");
			continue;
		}
		if (err) {
			rc = ctl_fail(c, err, "cannot receive audit records");
			end = "error";
			break;
		}
		print_record(c, &rec, last && rec.seq > last + 1 ? rec.seq - last - 1 : 0);
		last = rec.seq;
		if (ferror(stdout)) {
			end = "output";
			break;
		}
		if (++seen >= want && want) {
			end = "count";
			break;
		}
	}
	vmsig_nl_close(nl);
	j_int(c->out, "records", seen);
	j_u64(c->out, "overruns", overruns);
	j_str(c->out, "end", end);
	return rc;
}
