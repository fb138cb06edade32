// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl command-line parsing.  Hand-written rather than getopt_long() so
 * global options may follow the command, every error names the offending
 * word, and the parser keeps no state between calls (tests call it often).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/vmsig.h>

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
	{ CTL_CMD_LIST, "list", "list [--ep ID]",
	  "endpoints: id, backend, VMM pid, subscribers, leases held" },
	{ CTL_CMD_LEASES, "leases", "leases [--ep ID]",
	  "leases of every endpoint: class, holder pid, token, expiry" },
	{ CTL_CMD_READ, "read",
	  "read ADDR LEN [--virt [--cr3 CR3 [--la57]]] [--format hex|raw] EP",
	  "read guest memory (hex dump, or raw bytes on stdout)" },
	{ CTL_CMD_WRITE, "write",
	  "write ADDR VALUE [--width 1|2|4|8] | ADDR --hex BYTES [--virt ...] [--wait S] EP",
	  "write guest memory under the memwrite lease" },
	{ CTL_CMD_CAS, "cas",
	  "cas ADDR EXPECT NEW --width 1|2|4|8 [--virt ...] [--wait S] EP",
	  "compare-and-swap one word of guest memory under the memwrite lease" },
	{ CTL_CMD_WATCH, "watch",
	  "watch [--types T,..] [--sources S,..] [--count N] EP",
	  "print the endpoint's events as they come, decoded" },
	{ CTL_CMD_AUDIT, "audit", "audit [--follow | --count N] | audit --stats",
	  "print audit records as they come (--follow: until interrupted), or the counters" },
	{ CTL_CMD_TOP, "top", "top [--once]",
	  "live view of endpoints, event rates, leases and audit counters" },
	{ CTL_CMD_HELP, "help", "help [COMMAND]", "show this help" },
};

/* What "EP" stands for in the synopses above. */
#define EP_SYNOPSIS "EP is one of --ep ID | --pid PID | --kvm-fd N"

enum opt_kind {
	OPT_PATH, OPT_FD, OPT_PID, OPT_EPID, OPT_FLAG, OPT_U64, OPT_FORMAT,
	OPT_WIDTH, OPT_SECONDS, OPT_LIST, OPT_HEX, OPT_COUNT,
};

#define MEM_CMDS (BIT(CTL_CMD_READ) | BIT(CTL_CMD_WRITE) | BIT(CTL_CMD_CAS))
#define EP_CMDS (MEM_CMDS | BIT(CTL_CMD_WATCH))

/* Command options; @cmds is the set of commands that take each. */
static const struct {
	const char *name;
	enum opt_kind kind;
	unsigned int cmds;
} opts[] = {
	{ "--module", OPT_PATH, BIT(CTL_CMD_LOAD) },
	{ "--kvm-fd", OPT_FD, BIT(CTL_CMD_ATTACH_INFO) | EP_CMDS },
	{ "--pid", OPT_PID, BIT(CTL_CMD_ATTACH_INFO) | EP_CMDS },
	{ "--ep", OPT_EPID, BIT(CTL_CMD_LIST) | BIT(CTL_CMD_LEASES) | EP_CMDS },
	{ "--virt", OPT_FLAG, MEM_CMDS },
	{ "--cr3", OPT_U64, MEM_CMDS },
	{ "--la57", OPT_FLAG, MEM_CMDS },
	{ "--format", OPT_FORMAT, BIT(CTL_CMD_READ) },
	{ "--width", OPT_WIDTH, BIT(CTL_CMD_WRITE) | BIT(CTL_CMD_CAS) },
	{ "--hex", OPT_HEX, BIT(CTL_CMD_WRITE) },
	{ "--wait", OPT_SECONDS, BIT(CTL_CMD_WRITE) | BIT(CTL_CMD_CAS) },
	{ "--types", OPT_LIST, BIT(CTL_CMD_WATCH) },
	{ "--sources", OPT_LIST, BIT(CTL_CMD_WATCH) },
	{ "--count", OPT_COUNT, BIT(CTL_CMD_WATCH) | BIT(CTL_CMD_AUDIT) },
	{ "--follow", OPT_FLAG, BIT(CTL_CMD_AUDIT) },
	{ "--stats", OPT_FLAG, BIT(CTL_CMD_AUDIT) },
	{ "--once", OPT_FLAG, BIT(CTL_CMD_TOP) },
};

/* Positional words each command takes: at least @min, at most @max. */
static const struct {
	enum ctl_cmd cmd;
	int min, max;
	const char *names;
} positionals[] = {
	{ CTL_CMD_READ, 2, 2, "ADDR LEN" },
	{ CTL_CMD_WRITE, 1, 2, "ADDR and VALUE (or --hex BYTES)" },
	{ CTL_CMD_CAS, 3, 3, "ADDR EXPECT NEW" },
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

/* A number: 0x-prefixed hex or decimal, no sign, no spaces, no suffix. */
static int parse_u64(const char *s, uint64_t *out)
{
	int base = 10;
	char *end;
	unsigned long long v;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!isxdigit((unsigned char)*s) || (base == 10 && !isdigit((unsigned char)*s)))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Seconds, with an optional fraction ("2", "0.5"), at most a day. */
static int parse_seconds(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > 86400)
		return -EINVAL;
	*ns = (uint64_t)(v * 1e9 + 0.5);
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

long ctl_parse_hex(const char *s, uint8_t *out, size_t cap)
{
	long n = 0;

	for (const char *p = s; *p;) {
		int hi, lo;

		if (*p == ' ' || *p == ':') {
			p++;
			continue;
		}
		hi = hexval((unsigned char)p[0]);
		lo = hi < 0 ? -1 : hexval((unsigned char)p[1]);
		if (lo < 0)
			return -EINVAL;
		if (out) {
			if ((size_t)n >= cap)
				return -EINVAL;
			out[n] = (uint8_t)(hi << 4 | lo);
		}
		n++;
		p += 2;
	}
	return n ? n : -EINVAL;
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
		if (opts[k].kind == OPT_FLAG) {
			if (eq)
				return fail(err, errlen, "%s takes no value", opts[k].name);
			if (!strcmp(arg, "--virt"))
				a->virt = true;
			else if (!strcmp(arg, "--la57"))
				a->la57 = true;
			else if (!strcmp(arg, "--follow"))
				a->follow = true;
			else if (!strcmp(arg, "--stats"))
				a->stats = true;
			else
				a->once = true;
			return 0;
		}
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
		case OPT_EPID:
			if (parse_uint(val, 1, &v))
				return fail(err, errlen, "%s: '%s' is not an endpoint id",
					    opts[k].name, val);
			a->ep_id = (uint32_t)v;
			break;
		case OPT_U64:
			if (parse_u64(val, &a->cr3))
				return fail(err, errlen, "%s: '%s' is not a number",
					    opts[k].name, val);
			a->has_cr3 = true;
			break;
		case OPT_FORMAT:
			if (!strcmp(val, "hex"))
				a->format = CTL_FMT_HEX;
			else if (!strcmp(val, "raw"))
				a->format = CTL_FMT_RAW;
			else
				return fail(err, errlen, "%s: '%s' is neither hex nor raw",
					    opts[k].name, val);
			break;
		case OPT_WIDTH:
			if (parse_uint(val, 1, &v) || (v != 1 && v != 2 && v != 4 && v != 8))
				return fail(err, errlen, "%s: '%s' is not 1, 2, 4 or 8",
					    opts[k].name, val);
			a->width = (unsigned int)v;
			break;
		case OPT_SECONDS:
			if (parse_seconds(val, &a->wait_ns))
				return fail(err, errlen, "%s: '%s' is not a number of seconds",
					    opts[k].name, val);
			a->has_wait = true;
			break;
		case OPT_LIST:
			if (!*val || *val == ',' || val[strlen(val) - 1] == ',' ||
			    strstr(val, ",,"))
				return fail(err, errlen, "%s: '%s' is not a comma-separated list",
					    opts[k].name, val);
			if (!strcmp(arg, "--types") || !strncmp(arg, "--types=", 8))
				a->types = val;
			else
				a->sources = val;
			break;
		case OPT_HEX: {
			long n = ctl_parse_hex(val, NULL, 0);

			if (n < 0)
				return fail(err, errlen, "%s: '%s' is not pairs of hex digits",
					    opts[k].name, val);
			if (n > VMSIG_MEMWRITE_MAX)
				return fail(err, errlen, "%s: %ld bytes, at most %d fit one write",
					    opts[k].name, n, VMSIG_MEMWRITE_MAX);
			a->hex = val;
			a->hex_len = (size_t)n;
			break;
		}
		case OPT_COUNT:
			if (parse_uint(val, 1, &v))
				return fail(err, errlen, "%s: '%s' is not a positive count",
					    opts[k].name, val);
			a->count = v;
			break;
		case OPT_FLAG:
			break;
		}
		return 0;
	}
	return fail(err, errlen, "unknown option '%.*s'", (int)len, arg);
}

/* "'a', 'b'": the commands that take option number @k, for an error. */
static const char *opt_owners(size_t k, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t c = 0; c < ARRAY_SIZE(cmds) && off < size; c++)
		if (opts[k].cmds & BIT(cmds[c].cmd))
			off += (size_t)snprintf(buf + off, size - off, "%s'%s'",
						off ? ", " : "", cmds[c].name);
	return buf;
}

/* Whether @v fits in @width bytes. */
static bool fits(uint64_t v, unsigned int width)
{
	return width >= 8 || !(v >> (8 * width));
}

/* Turn the positional words of read, write and cas into numbers. */
static int parse_positionals(struct ctl_args *a, const char *const *pos, int npos,
			     char *err, size_t errlen)
{
	static const char *const what[][3] = {
		[CTL_CMD_READ] = { "ADDR", "LEN" },
		[CTL_CMD_WRITE] = { "ADDR", "VALUE" },
		[CTL_CMD_CAS] = { "ADDR", "EXPECT", "NEW" },
	};
	uint64_t v[3] = { 0 };

	for (int i = 0; i < npos; i++)
		if (parse_u64(pos[i], &v[i]))
			return fail(err, errlen, "%s: '%s' is not a number (decimal, or hex with 0x)",
				    what[a->cmd][i], pos[i]);
	a->addr = v[0];
	switch (a->cmd) {
	case CTL_CMD_READ:
		if (!v[1] || v[1] > VMSIG_MEM_MAX_LEN)
			return fail(err, errlen, "LEN: %s is not between 1 and %u",
				    pos[1], VMSIG_MEM_MAX_LEN);
		a->len = (uint32_t)v[1];
		break;
	case CTL_CMD_WRITE:
		if ((npos == 2) == !!a->hex)
			return fail(err, errlen, "write needs exactly one of VALUE and --hex BYTES");
		if (a->hex && a->width)
			return fail(err, errlen, "--width goes with VALUE, not with --hex");
		if (npos == 2) {
			if (!a->width)
				a->width = CTL_WIDTH_DEFAULT;
			if (!fits(v[1], a->width))
				return fail(err, errlen, "VALUE %s does not fit in %u byte%s (--width)",
					    pos[1], a->width, a->width == 1 ? "" : "s");
			a->has_value = true;
			a->value = v[1];
		}
		break;
	case CTL_CMD_CAS:
		if (!a->width)
			return fail(err, errlen, "cas needs --width 1, 2, 4 or 8");
		if (!fits(v[1], a->width) || !fits(v[2], a->width))
			return fail(err, errlen, "EXPECT and NEW must fit in %u byte%s (--width)",
				    a->width, a->width == 1 ? "" : "s");
		if (a->addr % a->width)
			return fail(err, errlen, "ADDR must be aligned to --width %u", a->width);
		a->expect = v[1];
		a->value = v[2];
		break;
	default:
		break;
	}
	return 0;
}

/* Checks that concern several options of one command. */
static int check_combinations(struct ctl_args *a, char *err, size_t errlen)
{
	const char *name = ctl_cmd_name(a->cmd);
	int sources = (a->kvm_fd >= 0) + !!a->pid + !!a->ep_id;

	if (a->cmd == CTL_CMD_ATTACH_INFO && sources != 1)
		return fail(err, errlen, "attach-info needs exactly one of --kvm-fd and --pid");
	if ((BIT(a->cmd) & EP_CMDS) && sources != 1)
		return fail(err, errlen, "%s needs exactly one of --ep ID, --pid PID and --kvm-fd N",
			    name);
	if (a->la57 && !a->has_cr3)
		return fail(err, errlen, "--la57 goes with --cr3");
	if (a->has_cr3 && !a->virt)
		return fail(err, errlen, "--cr3 sets the context of --virt addresses: add --virt");
	if (a->format == CTL_FMT_RAW && a->json)
		return fail(err, errlen, "--format raw and --json both want stdout");
	if (a->follow + a->stats + !!(a->count && a->cmd == CTL_CMD_AUDIT) > 1)
		return fail(err, errlen, "audit takes one of --follow, --count and --stats");
	return 0;
}

int ctl_parse_args(int argc, char *const argv[], struct ctl_args *a,
		   char *err, size_t errlen)
{
	unsigned int seen = 0;
	const char *topic = NULL, *pos[3];
	int npos = 0, ret;
	char owners[160];

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
		} else if ((BIT(a->cmd) & MEM_CMDS) && npos < 3) {
			pos[npos++] = arg;
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
			return fail(err, errlen, "%s belongs to %s", opts[k].name,
				    opt_owners(k, owners, sizeof(owners)));
	if (a->help || a->version)
		return 0;
	if (a->cmd == CTL_CMD_NONE)
		return fail(err, errlen, "no command given");
	for (size_t i = 0; i < ARRAY_SIZE(positionals); i++) {
		if (positionals[i].cmd != a->cmd)
			continue;
		if (npos < positionals[i].min)
			return fail(err, errlen, "%s needs %s", ctl_cmd_name(a->cmd),
				    positionals[i].names);
		if (npos > positionals[i].max)
			return fail(err, errlen, "unexpected argument '%s'", pos[npos - 1]);
	}
	ret = check_combinations(a, err, errlen);
	if (ret)
		return ret;
	return (BIT(a->cmd) & MEM_CMDS) ? parse_positionals(a, pos, npos, err, errlen) : 0;
}

void ctl_usage(FILE *f, enum ctl_cmd cmd)
{
	if (cmd != CTL_CMD_NONE) {
		for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
			if (cmds[i].cmd == cmd)
				fprintf(f, "usage: vmsigctl [--json] %s\n  %s\n",
					cmds[i].synopsis, cmds[i].summary);
		if (BIT(cmd) & EP_CMDS)
			fprintf(f, "  %s\n", EP_SYNOPSIS);
		return;
	}
	fprintf(f, "usage: vmsigctl [--json] COMMAND [OPTIONS]\n"
		   "       vmsigctl --version | --help\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %s\n      %s\n", cmds[i].synopsis, cmds[i].summary);
	fprintf(f, "\n%s: an endpoint by id (needs CAP_SYS_ADMIN),\n"
		   "a QEMU by pid (a new endpoint on its VM), or an inherited KVM VM fd.\n",
		EP_SYNOPSIS);
	fprintf(f, "\n--json prints one JSON object on stdout (watch, audit and top: one per\n"
		   "record or frame, then the command's own).  Exit status: 0 success,\n"
		   "1 the operation failed, 2 usage error.  See vmsigctl(8).\n");
}
