/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmsigctl command line: what a command line means, separate from doing it,
 * so the parser can be unit tested without a module or a VM.
 */
#ifndef VMSIGCTL_ARGS_H
#define VMSIGCTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit statuses, documented in vmsigctl(8). */
#define CTL_EXIT_OK	0
#define CTL_EXIT_FAIL	1
#define CTL_EXIT_USAGE	2

enum ctl_cmd {
	CTL_CMD_NONE = 0,	/* only global options were given */
	CTL_CMD_STATUS,
	CTL_CMD_LOAD,
	CTL_CMD_UNLOAD,
	CTL_CMD_ATTACH_INFO,
	CTL_CMD_LIST,
	CTL_CMD_LEASES,
	CTL_CMD_READ,
	CTL_CMD_WRITE,
	CTL_CMD_CAS,
	CTL_CMD_WATCH,
	CTL_CMD_AUDIT,
	CTL_CMD_TOP,
	CTL_CMD_HELP,		/* last: tests walk STATUS..HELP */
};

/* read --format */
enum ctl_format {
	CTL_FMT_HEX = 0,	/* xxd-like dump, the default */
	CTL_FMT_RAW,		/* the bytes themselves on stdout */
};

/* write's default --width, as devmem's */
#define CTL_WIDTH_DEFAULT	4

struct ctl_args {
	enum ctl_cmd cmd;
	bool json;		/* --json */
	bool help;		/* -h, --help, or the help command */
	bool version;		/* -V, --version */
	const char *module;	/* load --module PATH, or NULL */
	int kvm_fd;		/* --kvm-fd N, or -1 */
	pid_t pid;		/* --pid PID, or 0 */
	uint32_t ep_id;		/* --ep ID, or 0 (ids start at 1) */

	/* read, write, cas: ADDR and the values, checked by the parser */
	uint64_t addr;		/* ADDR */
	uint32_t len;		/* read LEN, 1..VMSIG_MEM_MAX_LEN */
	bool has_value;		/* write VALUE given */
	uint64_t value;		/* write VALUE, cas NEW */
	uint64_t expect;	/* cas EXPECT */
	const char *hex;	/* write --hex BYTES (validated), or NULL */
	size_t hex_len;		/* bytes in @hex */
	unsigned int width;	/* --width (write: CTL_WIDTH_DEFAULT if absent) */
	bool virt;		/* --virt */
	enum ctl_format format;	/* read --format */
	bool has_cr3;		/* --cr3 given */
	uint64_t cr3;		/* --cr3 VALUE */
	bool la57;		/* --la57: 5-level paging with --cr3 */
	bool has_wait;		/* --wait given */
	uint64_t wait_ns;	/* --wait SECONDS; 0 waits without limit */

	/* watch, audit, top */
	const char *types;	/* watch --types a,b (names resolved by watch) */
	const char *sources;	/* watch --sources a,b */
	long count;		/* --count N: stop after N records; 0 none */
	bool follow;		/* audit --follow */
	bool stats;		/* audit --stats */
	bool once;		/* top --once */
};

/*
 * ctl_parse_hex() - decode hex BYTES ("deadbeef", "de ad be ef", "de:ad")
 * @s: the text: pairs of hex digits, optionally separated by spaces or ':'
 * @out: receives the bytes, or NULL to only count them
 * @cap: room in @out
 *
 * Return: the number of bytes, or -EINVAL (malformed, empty, or more than
 * @cap when @out is given).
 */
long ctl_parse_hex(const char *s, uint8_t *out, size_t cap);

/**
 * ctl_parse_args() - parse a vmsigctl command line
 * @argc, @argv: as main() got them; never modified, strings are borrowed
 * @a: filled in
 * @err, @errlen: receives a one-line reason on failure
 *
 * Global options (--json, --help, --version) may stand before or after the
 * command; a command's options follow it as "--opt VALUE" or "--opt=VALUE".
 *
 * Return: 0, or -EINVAL for a usage error (exit status 2).
 */
int ctl_parse_args(int argc, char *const argv[], struct ctl_args *a,
		   char *err, size_t errlen);

/* The name of @cmd as typed ("attach-info"), or NULL for CTL_CMD_NONE. */
const char *ctl_cmd_name(enum ctl_cmd cmd);

/* Print the usage of @cmd (CTL_CMD_NONE: of every command) to @f. */
void ctl_usage(FILE *f, enum ctl_cmd cmd);

#endif /* VMSIGCTL_ARGS_H */
