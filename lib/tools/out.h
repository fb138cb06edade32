/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmsigctl output: every command builds its result as a JSON object; with
 * --json that object is the output (one line on stdout), without it the
 * command prints prose.  Errors go to stderr either way and, with --json,
 * also into the object as "error" (and "errno"), so a script reading stdout
 * always gets exactly one object to look at.
 */
#ifndef VMSIGCTL_OUT_H
#define VMSIGCTL_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "args.h"

struct ctl {
	const struct ctl_args *args;
	struct json_object *out;
};

/* Whether prose should be printed (i.e. not --json). */
static inline bool ctl_human(const struct ctl *c)
{
	return !c->args->json;
}

/*
 * Report a failure: "vmsigctl: MESSAGE" (with ": strerror(-err)" when @err
 * is nonzero) on stderr, and "error"/"errno" in the JSON object.  Returns
 * CTL_EXIT_FAIL so callers can "return ctl_fail(...)".
 */
int ctl_fail(struct ctl *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A line of advice after a failure: stderr, and "hint" in the JSON object. */
void ctl_hint(struct ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print the JSON object when --json; returns @rc. */
int ctl_finish(struct ctl *c, int rc);

/* Setters that ignore allocation failure: output is best effort. */
void j_str(struct json_object *o, const char *key, const char *val);
void j_int(struct json_object *o, const char *key, int64_t val);
void j_u64(struct json_object *o, const char *key, uint64_t val);
void j_bool(struct json_object *o, const char *key, bool val);
void j_null(struct json_object *o, const char *key);

#endif /* VMSIGCTL_OUT_H */
