// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl watch: the events of one endpoint as they come, one line each,
 * with the kernel's own types (and the stock adapters') decoded.
 *
 * The command is a subscriber of its own: with --ep it opens the endpoint
 * by id (CAP_SYS_ADMIN) and sees what every subscriber sees, retained
 * events first; with --pid or --kvm-fd it attaches a new endpoint to the
 * VM, which only sees what is published on that endpoint.  It ends at end
 * of stream (the VMM exited and every record was read), on SIGINT or
 * SIGTERM, or after --count records.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "vmsig.h"
#include "vmsig_names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The kernel types a subscription may ask for (DROPPED always comes). */
#define KERNEL_TYPES ((1ULL << VMSIG_EV_LIFECYCLE) | (1ULL << VMSIG_EV_MEMCTX) | \
		      (1ULL << VMSIG_EV_LEASE) | (1ULL << VMSIG_EV_MEMWRITE))
#define ALL_SOURCES ((1ULL << VMSIG_SRC_MAX) - 1)
#define MAX_TYPES 64
/* A watcher falls behind bursts: give it a deep ring. */
#define WATCH_RING 4096

struct filter {
	int ntypes;		/* 0: every type */
	uint16_t types[MAX_TYPES];
	uint64_t sources;	/* bit per source */
	uint64_t kernel_types;	/* for VMSIG_IOC_SET_SUB */
};

/* A number, or a name through @lookup; -1 when neither. */
static long parse_item(const char *s, size_t len, int (*lookup)(const char *),
		       long max)
{
	char buf[64], *end;
	long v;

	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] >= '0' && buf[0] <= '9') {
		errno = 0;
		v = strtol(buf, &end, 0);
		return errno || *end || v < 0 || v > max ? -1 : v;
	}
	v = lookup(buf);
	return v < 0 ? -1 : v;
}

static int usage(const char *fmt, const char *what, size_t len)
{
	fprintf(stderr, "vmsigctl: ");
	fprintf(stderr, fmt, (int)len, what);
	fprintf(stderr, "\n");
	return CTL_EXIT_USAGE;
}

static int build_filter(const struct ctl_args *a, struct filter *f)
{
	memset(f, 0, sizeof(*f));
	f->sources = ALL_SOURCES;
	f->kernel_types = KERNEL_TYPES;
	if (a->sources) {
		f->sources = 0;
		for (const char *p = a->sources; *p;) {
			size_t n = strcspn(p, ",");
			long v = parse_item(p, n, vmsig_source_from_name, VMSIG_SRC_MAX - 1);

			if (v < 0)
				return usage("--sources: unknown source '%.*s' (kernel, memctx, input, vmhost, sensor, control)",
					     p, n);
			f->sources |= 1ULL << v;
			p += n + !!p[n];
		}
	}
	if (a->types) {
		bool up = false;

		f->kernel_types = 0;
		for (const char *p = a->types; *p;) {
			size_t n = strcspn(p, ",");
			long v = parse_item(p, n, vmsig_event_type_from_name, 0xffff);

			if (v <= 0)
				return usage("--types: unknown event type '%.*s' (a name such as memctx or lease, or a number)",
					     p, n);
			if (f->ntypes == MAX_TYPES)
				return usage("--types: more than 64 types%.*s", "", 0);
			f->types[f->ntypes++] = (uint16_t)v;
			if (v <= VMSIG_EV_KERNEL_MAX)
				f->kernel_types |= (1ULL << v) & KERNEL_TYPES;
			else
				up = true;
			p += n + !!p[n];
		}
		/* Only kernel types asked for: no UP event need wake us. */
		if (!up)
			f->sources = a->sources ? f->sources : 0;
	}
	return 0;
}

static bool wanted(const struct filter *f, const struct ctl_args *a,
		   const struct vmsig_event *ev)
{
	bool type_ok = !f->ntypes;

	/* Lost records are always worth knowing about. */
	if (ev->type == VMSIG_EV_DROPPED)
		return true;
	for (int i = 0; i < f->ntypes && !type_ok; i++)
		type_ok = f->types[i] == ev->type;
	if (!type_ok)
		return false;
	return !a->sources || (ev->source < 64 && (f->sources & (1ULL << ev->source)));
}

static const char *const power_names[] = {
	[VMSIG_POWER_PAUSE] = "pause",
	[VMSIG_POWER_RESUME] = "resume",
	[VMSIG_POWER_RESET] = "reset",
	[VMSIG_POWER_POWERDOWN] = "powerdown",
	[VMSIG_POWER_QUIT] = "quit",
};

static const char *const input_kinds[] = {
	[VMSIG_INPUT_KEY] = "key",
	[VMSIG_INPUT_QCODE] = "qcode",
	[VMSIG_INPUT_REL] = "rel",
	[VMSIG_INPUT_ABS] = "abs",
	[VMSIG_INPUT_BTN] = "btn",
};

static const char *table_name(const char *const *t, size_t n, uint32_t v)
{
	return v < n ? t[v] : NULL;
}

/* "EPERM: Operation not permitted" style status, "ok" for 0. */
static void fmt_status(char *buf, size_t size, int status)
{
	if (!status)
		snprintf(buf, size, "ok");
	else
		snprintf(buf, size, "%d (%s)", status, strerror(status < 0 ? -status : status));
}

static void j_name(struct json_object *o, const char *key, const char *name,
		   uint64_t num)
{
	if (name)
		j_str(o, key, name);
	else
		j_u64(o, key, num);
}

/*
 * Decode @ev's type-specific fields into @d (JSON) and @txt (prose).
 * Returns false for a type it does not know (payload shown in hex).
 */
static bool decode(const struct vmsig_event *ev, struct json_object *d,
		   char *txt, size_t size)
{
	const char *n;
	char st[96];

	switch (ev->type) {
	case VMSIG_EV_DROPPED:
		j_str(d, "lane", ev->aux ? "high" : "normal");
		j_u64(d, "count", ev->payload.u64[0]);
		snprintf(txt, size, "lost %llu" " record%s (%s lane)", ev->payload.u64[0],
			 ev->payload.u64[0] == 1 ? "" : "s", ev->aux ? "high" : "normal");
		return true;
	case VMSIG_EV_LIFECYCLE:
		n = ev->aux == VMSIG_LC_VMM_EXIT ? "vmm_exit" : NULL;
		j_name(d, "what", n, (uint32_t)ev->aux);
		if (n)
			snprintf(txt, size, "%s (the VMM's address space is gone)", n);
		else
			snprintf(txt, size, "what %d", ev->aux);
		return true;
	case VMSIG_EV_MEMCTX:
		n = vmsig_paging_name((uint32_t)ev->aux);
		if (n)
			j_str(d, "paging", n);
		else
			j_null(d, "paging");
		j_u64(d, "root", ev->payload.u64[0]);
		j_u64(d, "epoch", ev->payload.u64[1]);
		if (!ev->aux)
			snprintf(txt, size, "invalidated, epoch %llu", ev->payload.u64[1]);
		else
			snprintf(txt, size, "%s root 0x%llx" " epoch %llu",
				 n ? n : "?", ev->payload.u64[0], ev->payload.u64[1]);
		return true;
	case VMSIG_EV_ACT_ACK:
		j_int(d, "status", ev->aux);
		j_u64(d, "corr", ev->corr);
		fmt_status(st, sizeof(st), ev->aux);
		snprintf(txt, size, "corr %llu" " status %s", ev->corr, st);
		return true;
	case VMSIG_EV_LEASE: {
		const char *cls = vmsig_lease_class_name((uint32_t)ev->aux);
		const char *chg = vmsig_lease_change_name(ev->payload.u32[3]);

		j_name(d, "class", cls, (uint32_t)ev->aux);
		j_name(d, "change", chg, ev->payload.u32[3]);
		j_u64(d, "token", ev->payload.u64[0]);
		j_int(d, "holder_pid", ev->payload.u32[2]);
		snprintf(txt, size, "%s %s token %llu" " holder %u", cls ? cls : "?",
			 chg ? chg : "?", ev->payload.u64[0], ev->payload.u32[2]);
		return true;
	}
	case VMSIG_EV_MEMWRITE: {
		uint32_t fl = ev->payload.u32[3];

		j_int(d, "status", ev->aux);
		j_u64(d, "addr", ev->payload.u64[0]);
		j_int(d, "len", ev->payload.u32[2]);
		j_bool(d, "virt", fl & VMSIG_WRITE_VIRT);
		j_bool(d, "cas", fl & VMSIG_WRITE_CAS);
		j_u64(d, "token", ev->corr);
		fmt_status(st, sizeof(st), ev->aux);
		snprintf(txt, size, "%s%u byte%s at 0x%llx" "%s token %llu" " status %s",
			 fl & VMSIG_WRITE_CAS ? "cas " : "", ev->payload.u32[2],
			 ev->payload.u32[2] == 1 ? "" : "s", ev->payload.u64[0],
			 fl & VMSIG_WRITE_VIRT ? " (virtual)" : "", ev->corr, st);
		return true;
	}
	case VMSIG_EV_VM_STATE:
		n = vmsig_vm_state_name((uint32_t)ev->aux);
		j_name(d, "state", n, (uint32_t)ev->aux);
		snprintf(txt, size, "%s", n ? n : "?");
		if (!n)
			snprintf(txt, size, "state %d", ev->aux);
		return true;
	case VMSIG_EV_POWER:
		n = table_name(power_names, ARRAY_SIZE(power_names), (uint32_t)ev->aux);
		j_name(d, "action", n, (uint32_t)ev->aux);
		j_u64(d, "token", ev->payload.u64[0]);
		snprintf(txt, size, "%s token %llu", n ? n : "?", ev->payload.u64[0]);
		return true;
	case VMSIG_EV_INPUT:
		n = table_name(input_kinds, ARRAY_SIZE(input_kinds), ev->payload.u16[4]);
		j_name(d, "kind", n, ev->payload.u16[4]);
		j_int(d, "code", ev->payload.u16[5]);
		j_int(d, "value", (int32_t)ev->payload.u32[3]);
		j_u64(d, "token", ev->payload.u64[0]);
		snprintf(txt, size, "%s code %u value %d token %llu", n ? n : "?",
			 ev->payload.u16[5], (int32_t)ev->payload.u32[3], ev->payload.u64[0]);
		return true;
	default:
		return false;
	}
}

static void print_event(struct ctl *c, const struct vmsig_event *ev)
{
	const char *type = vmsig_event_type_name(ev->type);
	const char *src = vmsig_source_name(ev->source);
	struct json_object *o, *d;
	char payload[33], txt[256], tbuf[16], sbuf[16];
	bool known;

	for (int i = 0; i < 16; i++)
		sprintf(payload + 2 * i, "%02x", ev->payload.bytes[i]);
	if (!type) {
		snprintf(tbuf, sizeof(tbuf), "0x%04x", ev->type);
		type = tbuf;
	}
	if (!src) {
		snprintf(sbuf, sizeof(sbuf), "src%u", ev->source);
		src = sbuf;
	}
	o = json_object_new_object();
	d = json_object_new_object();
	known = decode(ev, d, txt, sizeof(txt));
	if (!known)
		snprintf(txt, sizeof(txt), "aux %d corr %llu" " payload %s", ev->aux,
			 ev->corr, payload);
	if (ctl_human(c)) {
		printf("%12.6f %8llu" " %-9s %-7s %-6s %s%s%s\n", (double)ev->ts_ns / 1e9,
		       ev->seq, type, src, ev->prio ? "high" : "normal", txt,
		       ev->flags & VMSIG_EVF_REPLAY ? " [replay]" : "",
		       ev->flags & VMSIG_EVF_RETAIN ? " [retain]" : "");
	} else {
		j_u64(o, "ts_ns", ev->ts_ns);
		j_u64(o, "seq", ev->seq);
		j_int(o, "ep_id", ev->ep_id);
		j_str(o, "type", type);
		j_int(o, "type_num", ev->type);
		j_str(o, "dir", ev->dir == VMSIG_DIR_DOWN ? "down" : "up");
		j_str(o, "source", src);
		j_str(o, "prio", ev->prio ? "high" : "normal");
		j_bool(o, "replay", ev->flags & VMSIG_EVF_REPLAY);
		j_int(o, "aux", ev->aux);
		j_u64(o, "corr", ev->corr);
		j_str(o, "payload", payload);
		if (known)
			json_object_object_add(o, "decoded", json_object_get(d));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(d);
	json_object_put(o);
}

int ctl_cmd_watch(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	struct vmsig_event evs[64];
	struct filter f;
	const char *end = "signal";
	long shown = 0;
	int ep, n, err, rc;

	rc = build_filter(a, &f);
	if (rc)
		return rc;
	ep = ctl_open_endpoint(c, 0);
	if (ep < 0)
		return CTL_EXIT_FAIL;
	err = vmsig_set_sub(ep, f.sources, f.kernel_types, WATCH_RING);
	if (err) {
		close(ep);
		return ctl_fail(c, err, "cannot set the subscription");
	}
	ctl_catch_signals();
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = CTL_EXIT_OK;
	while (!ctl_interrupted()) {
		/* Wake up now and then: a signal may land before a blocking call. */
		n = vmsig_wait_events(ep, 250);
		if (n == 0 || n == -EINTR)
			continue;
		if (n > 0)
			n = vmsig_read_events(ep, evs, ARRAY_SIZE(evs));
		if (n == -EINTR)
			continue;
		if (n == -EPIPE) {
			end = "eof";
			if (ctl_human(c))
				fprintf(stderr, "vmsigctl: end of stream: the VMM exited\n");
			break;
		}
		if (n < 0) {
			rc = ctl_fail(c, n, "cannot read events");
			end = "error";
			break;
		}
		for (int i = 0; i < n && (!a->count || shown < a->count); i++) {
			if (!wanted(&f, a, &evs[i]))
				continue;
			print_event(c, &evs[i]);
			shown++;
		}
		if (ferror(stdout)) {
			end = "output";
			break;
		}
		if (a->count && shown >= a->count) {
			end = "count";
			break;
		}
	}
	j_int(c->out, "events", shown);
	j_str(c->out, "end", end);
	close(ep);
	return rc;
}
