// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control broker's policy: right names, the policy file (format in
 * vmsig_broker.h) and the decision for one peer.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmsig.h"
#include "vmsig_broker.h"

/* Policy files are a few lines; a bound keeps a wrong path from hurting. */
#define POLICY_MAX_BYTES (1 << 20)
#define MAX_TOKENS 5

static const struct {
	const char *name;
	uint64_t bit;
} right_names[] = {
	{ "mem_read", VMSIG_RIGHT_MEM_READ },
	{ "mem_write", VMSIG_RIGHT_MEM_WRITE },
	{ "memctx", VMSIG_RIGHT_MEMCTX },
	{ "emit", VMSIG_RIGHT_EMIT },
	{ "submit_input", VMSIG_RIGHT_SUBMIT_INPUT },
	{ "submit_power", VMSIG_RIGHT_SUBMIT_POWER },
	{ "submit_other", VMSIG_RIGHT_SUBMIT_OTHER },
	{ "lease_input", VMSIG_RIGHT_LEASE_INPUT },
	{ "lease_power", VMSIG_RIGHT_LEASE_POWER },
	{ "lease_memwrite", VMSIG_RIGHT_LEASE_MEMWRITE },
	{ "bind_sink", VMSIG_RIGHT_BIND_SINK },
	{ "admin", VMSIG_RIGHT_ADMIN },
};

#define NRIGHTS (sizeof(right_names) / sizeof(right_names[0]))

int vmsig_rights_parse(const char *list, uint64_t *rights)
{
	uint64_t r = 0;
	const char *p = list;

	if (!list || !*list || !rights)
		return -EINVAL;
	for (;;) {
		size_t n = strcspn(p, ",");
		bool found = false;

		if (!n)
			return -EINVAL;
		if (n == 3 && !strncmp(p, "all", 3)) {
			r |= VMSIG_RIGHTS_ALL;
			found = true;
		} else if (n == 4 && !strncmp(p, "none", 4)) {
			found = true;
		}
		for (size_t i = 0; !found && i < NRIGHTS; i++) {
			if (strlen(right_names[i].name) == n &&
			    !strncmp(p, right_names[i].name, n)) {
				r |= right_names[i].bit;
				found = true;
			}
		}
		if (!found)
			return -EINVAL;
		if (!p[n])
			break;
		p += n + 1;
	}
	*rights = r;
	return 0;
}

int vmsig_rights_format(uint64_t rights, char *buf, size_t size)
{
	size_t len = 0;
	int n;

	if (!buf && size)
		return -EINVAL;
	if (size)
		buf[0] = 0;
	if (!rights)
		return snprintf(buf, size, "none");
	for (size_t i = 0; i < NRIGHTS; i++) {
		if (!(rights & right_names[i].bit))
			continue;
		rights &= ~right_names[i].bit;
		n = snprintf(len < size ? buf + len : NULL,
			     len < size ? size - len : 0, "%s%s",
			     len ? "," : "", right_names[i].name);
		len += (size_t)n;
	}
	if (rights) {
		n = snprintf(len < size ? buf + len : NULL,
			     len < size ? size - len : 0, "%s0x%llx",
			     len ? "," : "", (unsigned long long)rights);
		len += (size_t)n;
	}
	return (int)len;
}

/* ------------------------------------------------------------- policy */

struct rule {
	uint32_t id;
	uint64_t rights;
};

struct vmsig_policy {
	struct rule *uids, *gids;
	size_t nuids, ngids;
	bool have_default;
	bool default_allows;
	uint64_t default_rights;
};

static int fail(char *err, size_t errlen, unsigned int line,
		const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err && errlen) {
		n = snprintf(err, errlen, "line %u: ", line);
		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < errlen)
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A uid or gid: decimal, or a name the system knows.  0 or -ENOENT. */
static int resolve(const char *s, bool group, uint32_t *id)
{
	char buf[4096];
	char *end;
	unsigned long v;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		v = strtoul(s, &end, 10);
		/* (uid_t)-1 means "no id" to the kernel; never a peer's. */
		if (*end || errno || v >= UINT32_MAX)
			return -ENOENT;
		*id = (uint32_t)v;
		return 0;
	}
	if (group) {
		struct group g, *res = NULL;

		if (getgrnam_r(s, &g, buf, sizeof(buf), &res) || !res)
			return -ENOENT;
		*id = (uint32_t)res->gr_gid;
	} else {
		struct passwd pw, *res = NULL;

		if (getpwnam_r(s, &pw, buf, sizeof(buf), &res) || !res)
			return -ENOENT;
		*id = (uint32_t)res->pw_uid;
	}
	return 0;
}

static int add_rule(struct rule **rules, size_t *n, uint32_t id,
		    uint64_t rights)
{
	struct rule *r = realloc(*rules, (*n + 1) * sizeof(**rules));

	if (!r)
		return -ENOMEM;
	r[*n] = (struct rule){ .id = id, .rights = rights };
	*rules = r;
	(*n)++;
	return 0;
}

static bool has_rule(const struct rule *rules, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].id == id)
			return true;
	return false;
}

/* One line, cut into at most MAX_TOKENS tokens (in place). */
static int parse_line(struct vmsig_policy *p, char *line, unsigned int no,
		      char *err, size_t errlen)
{
	char *tok[MAX_TOKENS + 1], *save = NULL, *t;
	int n = 0;
	uint64_t rights;
	uint32_t id;

	line[strcspn(line, "#")] = 0;
	for (t = strtok_r(line, " \t\r", &save); t && n <= MAX_TOKENS;
	     t = strtok_r(NULL, " \t\r", &save))
		tok[n++] = t;
	if (!n)
		return 0;
	if (!strcmp(tok[0], "default")) {
		if (p->have_default)
			return fail(err, errlen, no, "a second default rule");
		if (n == 2 && !strcmp(tok[1], "deny")) {
			p->have_default = true;
			return 0;
		}
		if (n != 3 || strcmp(tok[1], "rights"))
			return fail(err, errlen, no,
				    "expected 'default deny' or 'default rights LIST'");
		if (vmsig_rights_parse(tok[2], &rights))
			return fail(err, errlen, no, "bad rights list '%s'", tok[2]);
		p->have_default = p->default_allows = true;
		p->default_rights = rights;
		return 0;
	}
	if (strcmp(tok[0], "uid") && strcmp(tok[0], "gid"))
		return fail(err, errlen, no, "unknown rule '%s' (uid, gid, default)",
			    tok[0]);
	if (n != 4 || strcmp(tok[2], "rights"))
		return fail(err, errlen, no, "expected '%s WHO rights LIST'", tok[0]);
	if (resolve(tok[1], tok[0][0] == 'g', &id))
		return fail(err, errlen, no, "unknown %s '%s'",
			    tok[0][0] == 'g' ? "group" : "user", tok[1]);
	if (vmsig_rights_parse(tok[3], &rights))
		return fail(err, errlen, no, "bad rights list '%s'", tok[3]);
	if (tok[0][0] == 'u') {
		if (has_rule(p->uids, p->nuids, id))
			return fail(err, errlen, no, "uid %u named twice", id);
		return add_rule(&p->uids, &p->nuids, id, rights);
	}
	if (has_rule(p->gids, p->ngids, id))
		return fail(err, errlen, no, "gid %u named twice", id);
	return add_rule(&p->gids, &p->ngids, id, rights);
}

int vmsig_policy_parse(const char *text, struct vmsig_policy **polp,
		       char *err, size_t errlen)
{
	struct vmsig_policy *p;
	unsigned int no = 0;
	int r = 0;

	if (err && errlen)
		err[0] = 0;
	if (!text || !polp)
		return -EINVAL;
	*polp = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	while (*text && !r) {
		size_t n = strcspn(text, "\n");
		char *line = strndup(text, n);

		no++;
		if (!line) {
			r = -ENOMEM;
			break;
		}
		r = parse_line(p, line, no, err, errlen);
		free(line);
		text += n;
		if (*text)
			text++;
	}
	if (r) {
		vmsig_policy_free(p);
		return r;
	}
	*polp = p;
	return 0;
}

int vmsig_policy_load(const char *path, struct vmsig_policy **pol,
		      char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;
	int r;

	if (err && errlen)
		err[0] = 0;
	if (!path || !pol)
		return -EINVAL;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	buf = malloc(POLICY_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, POLICY_MAX_BYTES + 1, f);
	r = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!r && n > POLICY_MAX_BYTES)
		r = -EFBIG;
	if (!r && memchr(buf, 0, n)) {
		if (err && errlen)
			snprintf(err, errlen, "the file holds a NUL byte");
		r = -EINVAL;
	}
	if (!r) {
		buf[n] = 0;
		r = vmsig_policy_parse(buf, pol, err, errlen);
	}
	free(buf);
	return r;
}

int vmsig_policy_lookup(const struct vmsig_policy *p, uid_t uid, gid_t gid,
			const gid_t *groups, size_t ngroups, uint64_t *rights)
{
	uint64_t r = 0;
	bool named = false;

	if (!p || !rights)
		return -EINVAL;
	for (size_t i = 0; i < p->nuids; i++) {
		if (p->uids[i].id == (uint32_t)uid) {
			*rights = p->uids[i].rights;
			return 0;
		}
	}
	for (size_t i = 0; i < p->ngids; i++) {
		bool member = p->gids[i].id == (uint32_t)gid;

		for (size_t k = 0; !member && groups && k < ngroups; k++)
			member = p->gids[i].id == (uint32_t)groups[k];
		if (member) {
			r |= p->gids[i].rights;
			named = true;
		}
	}
	if (!named && p->default_allows) {
		r = p->default_rights;
		named = true;
	}
	if (!named)
		return -EACCES;
	*rights = r;
	return 0;
}

void vmsig_policy_free(struct vmsig_policy *p)
{
	if (!p)
		return;
	free(p->uids);
	free(p->gids);
	free(p);
}
