// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl list and leases: the endpoints and their leases, as the vmsig
 * generic netlink family lists them (VMSIG_CMD_LIST_ENDPOINTS).  The family
 * answers CAP_NET_ADMIN callers only, and exists only while vmsig is loaded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "vmsig_names.h"
#include "vmsig_nl.h"

/* Every listed endpoint, kept for printing after the dump ends. */
struct eps {
	struct vmsig_nl_endpoint *v;
	size_t n, cap;
};

static int collect(const struct vmsig_nl_endpoint *ep, void *arg)
{
	struct eps *e = arg;

	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 16;
		void *v = realloc(e->v, cap * sizeof(*e->v));

		if (!v)
			return -ENOMEM;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = *ep;
	return 0;
}

static int list_all(struct ctl *c, struct eps *e)
{
	struct vmsig_nl *nl;
	int n;

	memset(e, 0, sizeof(*e));
	if (ctl_nl_open(c, &nl))
		return CTL_EXIT_FAIL;
	n = vmsig_nl_list_endpoints(nl, c->args->ep_id, collect, e);
	vmsig_nl_close(nl);
	if (n < 0)
		return ctl_nl_fail(c, n, "cannot list the endpoints");
	if (c->args->ep_id && !e->n)
		return ctl_fail(c, 0, "no endpoint %u", c->args->ep_id);
	return CTL_EXIT_OK;
}

static const char *class_name(uint32_t cls, char *buf, size_t size)
{
	const char *n = vmsig_lease_class_name(cls);

	if (n)
		return n;
	snprintf(buf, size, "class%u", cls);
	return buf;
}

/* Seconds from now until @expires_ns, as text: "12.3s", "expired", "never". */
static void fmt_expiry(uint64_t expires_ns, uint64_t now, char *buf, size_t size)
{
	if (!expires_ns)
		snprintf(buf, size, "never");
	else if (expires_ns <= now)
		snprintf(buf, size, "expired");
	else
		snprintf(buf, size, "in %.1fs", (double)(expires_ns - now) / 1e9);
}

static struct json_object *lease_json(const struct vmsig_nl_lease *l, uint64_t now)
{
	struct json_object *o = json_object_new_object();
	char buf[16];

	j_str(o, "class", class_name(l->lease_class, buf, sizeof(buf)));
	j_bool(o, "held", l->held);
	if (l->held) {
		j_int(o, "holder_pid", l->holder_pid);
		j_u64(o, "token", l->token);
		j_u64(o, "expires_ns", l->expires_ns);
		if (l->expires_ns)
			j_int(o, "expires_in_ms", l->expires_ns > now ?
			      (int64_t)((l->expires_ns - now) / 1000000) : 0);
		else
			j_null(o, "expires_in_ms");
	}
	return o;
}

int ctl_cmd_list(struct ctl *c)
{
	struct json_object *arr;
	uint64_t now = ctl_now_ns();
	struct eps e;
	char buf[16];
	int rc;

	rc = list_all(c, &e);
	if (rc)
		return rc;
	arr = json_object_new_array();
	json_object_object_add(c->out, "endpoints", arr);
	if (ctl_human(c)) {
		if (!e.n)
			printf("no endpoints\n");
		else
			printf("%-6s %-8s %-8s %-5s %s\n", "ID", "BACKEND", "VMM PID",
			       "SUBS", "LEASES HELD");
	}
	for (size_t i = 0; i < e.n; i++) {
		const struct vmsig_nl_endpoint *ep = &e.v[i];
		struct json_object *o = json_object_new_object(), *la;
		const char *backend = ctl_backend_name(ep->backend, buf, sizeof(buf));
		int held = 0;

		j_int(o, "ep_id", ep->ep_id);
		j_str(o, "backend", backend);
		j_int(o, "vmm_pid", ep->vmm_pid);
		j_int(o, "subscribers", ep->nsubs);
		la = json_object_new_array();
		for (uint32_t k = 0; k < ep->nleases; k++)
			json_object_array_add(la, lease_json(&ep->leases[k], now));
		json_object_object_add(o, "leases", la);
		json_object_array_add(arr, o);
		if (!ctl_human(c))
			continue;
		printf("%-6u %-8s ", ep->ep_id, backend);
		if (ep->vmm_pid)
			printf("%-8u ", ep->vmm_pid);
		else
			printf("%-8s ", "-");
		printf("%-5u ", ep->nsubs);
		for (uint32_t k = 0; k < ep->nleases; k++) {
			const struct vmsig_nl_lease *l = &ep->leases[k];

			if (!l->held)
				continue;
			printf("%s%s:%u", held++ ? " " : "",
			       class_name(l->lease_class, buf, sizeof(buf)), l->holder_pid);
		}
		printf("%s\n", held ? "" : "-");
	}
	j_int(c->out, "count", (int64_t)e.n);
	free(e.v);
	return CTL_EXIT_OK;
}

int ctl_cmd_leases(struct ctl *c)
{
	struct json_object *arr;
	uint64_t now = ctl_now_ns();
	char buf[16], exp[32];
	struct eps e;
	int rc, held = 0;

	rc = list_all(c, &e);
	if (rc)
		return rc;
	arr = json_object_new_array();
	json_object_object_add(c->out, "leases", arr);
	if (ctl_human(c) && e.n)
		printf("%-6s %-9s %-8s %-10s %s\n", "EP", "CLASS", "HOLDER", "TOKEN",
		       "EXPIRES");
	for (size_t i = 0; i < e.n; i++) {
		for (uint32_t k = 0; k < e.v[i].nleases; k++) {
			const struct vmsig_nl_lease *l = &e.v[i].leases[k];
			struct json_object *o = lease_json(l, now);

			j_int(o, "ep_id", e.v[i].ep_id);
			json_object_array_add(arr, o);
			held += l->held;
			if (!ctl_human(c))
				continue;
			printf("%-6u %-9s ", e.v[i].ep_id,
			       class_name(l->lease_class, buf, sizeof(buf)));
			if (!l->held) {
				printf("%-8s %-10s %s\n", "-", "-", "-");
				continue;
			}
			fmt_expiry(l->expires_ns, now, exp, sizeof(exp));
			printf("%-8u %-10" PRIu64 " %s\n", l->holder_pid, l->token, exp);
		}
	}
	if (ctl_human(c) && !e.n)
		printf("no endpoints\n");
	j_int(c->out, "held", held);
	free(e.v);
	return CTL_EXIT_OK;
}
