// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl command-line parsing.  Hand-written rather than getopt_long() so
 * global options may follow the command, every error names the offending
 * word, and the parser keeps no state between calls (tests call it often).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(cmd) (1U << (cmd))

static const struct {
	enum ctl_cmd cmd;
	const char *name;
	const char *synopsis;
	const char *summary;
} cmds[] = {
	{ CTL_CMD_STATUS, "status", "status",
	  "is the module loaded; its version, API, features and ioctls" },
	{ CTL_CMD_LOAD, "load", "load [--module PATH]",
	  "load the installed module (or the .ko at PATH) and its dependencies" },
	{ CTL_CMD_UNLOAD, "unload", "unload",
	  "unload the module; refused while files are open on it" },
	{ CTL_CMD_ATTACH_INFO, "attach-info", "attach-info --kvm-fd N | --pid PID",
	  "attach to a VM, print the endpoint's info, detach" },
	{ CTL_CMD_HELP, "help", "help [COMMAND]", "show this help" },
};

enum opt_kind { OPT_PATH, OPT_FD, OPT_PID };

/* Command options; @cmds is the set of commands that take each. */
static const struct {
	const char *name;
	enum opt_kind kind;
	unsigned int cmds;
} opts[] = {
	{ "--module", OPT_PATH, BIT(CTL_CMD_LOAD) },
	{ "--kvm-fd", OPT_FD, BIT(CTL_CMD_ATTACH_INFO) },
	{ "--pid", OPT_PID, BIT(CTL_CMD_ATTACH_INFO) },
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A decimal number in [min, INT_MAX]: no sign, no spaces, no suffix. */
static int parse_uint(const char *s, long min, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > INT_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

static enum ctl_cmd lookup_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			return cmds[i].cmd;
	return CTL_CMD_NONE;
}

const char *ctl_cmd_name(enum ctl_cmd cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (cmds[i].cmd == cmd)
			return cmds[i].name;
	return NULL;
}

/*
 * Option @arg (with its value in "=VALUE" or the next word) at argv[*i];
 * *i is left on the last word consumed.
 */
static int parse_opt(int argc, char *const argv[], int *i, struct ctl_args *a,
		     unsigned int *seen, char *err, size_t errlen)
{
	const char *arg = argv[*i], *eq = strchr(arg, '='), *val;
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	long v;

	for (size_t k = 0; k < ARRAY_SIZE(opts); k++) {
		if (strlen(opts[k].name) != len || strncmp(opts[k].name, arg, len))
			continue;
		if (*seen & BIT(k))
			return fail(err, errlen, "%s given twice", opts[k].name);
		*seen |= BIT(k);
		if (eq) {
			val = eq + 1;
		} else if (*i + 1 < argc) {
			val = argv[++*i];
		} else {
			return fail(err, errlen, "%s needs a value", opts[k].name);
		}
		switch (opts[k].kind) {
		case OPT_PATH:
			if (!*val)
				return fail(err, errlen, "%s needs a path", opts[k].name);
			a->module = val;
			break;
		case OPT_FD:
			if (parse_uint(val, 0, &v))
				return fail(err, errlen, "%s: '%s' is not a file descriptor number",
					    opts[k].name, val);
			a->kvm_fd = (int)v;
			break;
		case OPT_PID:
			if (parse_uint(val, 1, &v))
				return fail(err, errlen, "%s: '%s' is not a process id",
					    opts[k].name, val);
			a->pid = (pid_t)v;
			break;
		}
		return 0;
	}
	return fail(err, errlen, "unknown option '%.*s'", (int)len, arg);
}

/* Which command takes option number @k, for a helpful error. */
static const char *opt_owner(size_t k)
{
	for (size_t c = 0; c < ARRAY_SIZE(cmds); c++)
		if (opts[k].cmds & BIT(cmds[c].cmd))
			return cmds[c].name;
	return "?";
}

int ctl_parse_args(int argc, char *const argv[], struct ctl_args *a,
		   char *err, size_t errlen)
{
	unsigned int seen = 0;
	const char *topic = NULL;

	memset(a, 0, sizeof(*a));
	a->kvm_fd = -1;
	if (errlen)
		err[0] = '\0';

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int ret;

		if (!strcmp(arg, "--json")) {
			a->json = true;
		} else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			a->help = true;
		} else if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
			a->version = true;
		} else if (arg[0] == '-' && arg[1]) {
			ret = parse_opt(argc, argv, &i, a, &seen, err, errlen);
			if (ret)
				return ret;
		} else if (a->cmd == CTL_CMD_NONE) {
			a->cmd = lookup_cmd(arg);
			if (a->cmd == CTL_CMD_NONE)
				return fail(err, errlen, "unknown command '%s'", arg);
		} else if (a->cmd == CTL_CMD_HELP && !topic) {
			topic = arg;
		} else {
			return fail(err, errlen, "unexpected argument '%s'", arg);
		}
	}

	/* "help COMMAND" is "COMMAND --help". */
	if (a->cmd == CTL_CMD_HELP) {
		a->help = true;
		a->cmd = CTL_CMD_NONE;
		if (topic) {
			a->cmd = lookup_cmd(topic);
			if (a->cmd == CTL_CMD_NONE || a->cmd == CTL_CMD_HELP)
				return fail(err, errlen, "no help for '%s'", topic);
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(opts); k++)
		if ((seen & BIT(k)) && !(opts[k].cmds & BIT(a->cmd)))
			return fail(err, errlen, "%s belongs to '%s'", opts[k].name,
				    opt_owner(k));
	if (a->help || a->version)
		return 0;
	if (a->cmd == CTL_CMD_NONE)
		return fail(err, errlen, "no command given");
	if (a->cmd == CTL_CMD_ATTACH_INFO && (a->kvm_fd < 0) == !a->pid)
		return fail(err, errlen, "attach-info needs exactly one of --kvm-fd and --pid");
	return 0;
}

void ctl_usage(FILE *f, enum ctl_cmd cmd)
{
	if (cmd != CTL_CMD_NONE) {
		for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
			if (cmds[i].cmd == cmd)
				fprintf(f, "usage: vmsigctl [--json] %s\n  %s\n",
					cmds[i].synopsis, cmds[i].summary);
		return;
	}
	fprintf(f, "usage: vmsigctl [--json] COMMAND [OPTIONS]\n"
		   "       vmsigctl --version | --help\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-36s %s\n", cmds[i].synopsis, cmds[i].summary);
	fprintf(f, "\n--json prints one JSON object on stdout.  Exit status: 0 success,\n"
		   "1 the operation failed, 2 usage error.  See vmsigctl(8).\n");
}
