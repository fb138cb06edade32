// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Parsing QEMU's HMP "info registers" text (x86 targets) for the control
 * registers the memctx adapter needs.
 *
 * The text of QEMU 7.2 (target/i386/cpu-dump.c), as a human-monitor-command
 * returns it, is "\r\n"-separated lines: a "CPU#N" header, then
 * "NAME=value" tokens, several per line, e.g.
 *   CR0=80050033 CR2=ffff895f09601000 CR3=0000000007c10000 CR4=000006f0
 *   EFER=0000000000000d01
 * CR3 has 16 hex digits in long mode and 8 otherwise; CR0 and CR4 have 8,
 * EFER 16.  Segment lines put a space before "=" ("ES =0000 ...") and are
 * of no interest.  The parser works on whitespace-separated tokens rather
 * than fixed columns, so spacing changes across QEMU versions do not
 * matter, and it insists on each register exactly once, so text it does
 * not understand is refused instead of half read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "adapter_priv.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Start of the line after the one @p is in, or the end of the text. */
static const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : p + strlen(p);
}

/* If the line at @p is a "CPU#N" header, N; else -1. */
static long cpu_header(const char *p)
{
	char *end;
	long n;

	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (strncmp(p, "CPU#", 4) || !isdigit((unsigned char)p[4]))
		return -1;
	n = strtol(p + 4, &end, 10);
	return isdigit((unsigned char)*end) ? -1 : n;
}

/* Find [*@begin, *@end) of @vcpu's section.  0 or -ENOENT. */
static int find_section(const char *text, unsigned int vcpu,
			const char **begin, const char **end)
{
	bool headers = false;

	*begin = NULL;
	for (const char *p = text; *p; p = next_line(p)) {
		long n = cpu_header(p);

		if (n < 0)
			continue;
		if (*begin) {
			*end = p;
			return 0;
		}
		headers = true;
		if ((unsigned long)n == vcpu)
			*begin = next_line(p);
	}
	if (*begin || !headers) {
		/* Without headers the whole text is the one CPU's. */
		if (!*begin)
			*begin = text;
		*end = text + strlen(text);
		return 0;
	}
	return -ENOENT;
}

/* The token [@p, @p + @len) is "@name=" followed by 1 to 16 hex digits. */
static int match(const char *p, size_t len, const char *name, uint64_t *val)
{
	size_t n = strlen(name);
	uint64_t v = 0;

	if (len <= n + 1 || strncmp(p, name, n) || p[n] != '=')
		return 0;
	if (len - n - 1 > 16)
		return -EBADMSG;
	for (size_t i = n + 1; i < len; i++) {
		int c = (unsigned char)p[i];

		if (!isxdigit(c))
			return -EBADMSG;
		v = v << 4 | (uint64_t)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	*val = v;
	return 1;
}

int vmsig__hmp_parse_x86_regs(const char *text, unsigned int vcpu,
			      struct vmsig__x86_regs *out)
{
	static const char *const names[] = { "CR0", "CR3", "CR4", "EFER" };
	uint64_t vals[4] = { 0 };
	int seen[4] = { 0 };
	const char *p, *end;
	int r;

	if (!text || !out)
		return -EINVAL;
	r = find_section(text, vcpu, &p, &end);
	if (r)
		return r;
	while (p < end) {
		const char *tok;

		while (p < end && is_space(*p))
			p++;
		tok = p;
		while (p < end && !is_space(*p))
			p++;
		for (int i = 0; i < 4 && p > tok; i++) {
			r = match(tok, (size_t)(p - tok), names[i], &vals[i]);
			if (r < 0)
				return r;
			seen[i] += r;
		}
	}
	for (int i = 0; i < 4; i++)
		if (seen[i] != 1)
			return -EBADMSG;
	out->cr0 = vals[0];
	out->cr3 = vals[1];
	out->cr4 = vals[2];
	out->efer = vals[3];
	return 0;
}
