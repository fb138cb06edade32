// SPDX-License-Identifier: LGPL-2.1-or-later
/* vmsigctl output helpers: prose or one JSON object, errors on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "out.h"

int ctl_fail(struct ctl *c, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, "vmsigctl: %s: %s\n", msg, strerror(-err));
	else
		fprintf(stderr, "vmsigctl: %s\n", msg);
	j_str(c->out, "error", msg);
	if (err)
		j_int(c->out, "errno", -err);
	return CTL_EXIT_FAIL;
}

void ctl_hint(struct ctl *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmsigctl: %s\n", msg);
	j_str(c->out, "hint", msg);
}

int ctl_finish(struct ctl *c, int rc)
{
	if (c->args->json && c->out) {
		/* Plain keeps it one line; paths need no escaped slashes. */
		puts(json_object_to_json_string_ext(c->out, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	if (fflush(stdout) && rc == CTL_EXIT_OK)
		rc = CTL_EXIT_FAIL;
	return rc;
}

static void j_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (o)
		json_object_object_add(o, key, v);
	else
		json_object_put(v);
}

void j_str(struct json_object *o, const char *key, const char *val)
{
	j_add(o, key, val ? json_object_new_string(val) : NULL);
}

void j_int(struct json_object *o, const char *key, int64_t val)
{
	j_add(o, key, json_object_new_int64(val));
}

void j_u64(struct json_object *o, const char *key, uint64_t val)
{
	j_add(o, key, json_object_new_uint64(val));
}

void j_bool(struct json_object *o, const char *key, bool val)
{
	j_add(o, key, json_object_new_boolean(val));
}

void j_null(struct json_object *o, const char *key)
{
	j_add(o, key, NULL);
}
