/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmsigctl command line: what a command line means, separate from doing it,
 * so the parser can be unit tested without a module or a VM.
 */
#ifndef VMSIGCTL_ARGS_H
#define VMSIGCTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
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
	CTL_CMD_HELP,
};

struct ctl_args {
	enum ctl_cmd cmd;
	bool json;		/* --json */
	bool help;		/* -h, --help, or the help command */
	bool version;		/* -V, --version */
	const char *module;	/* load --module PATH, or NULL */
	int kvm_fd;		/* attach-info --kvm-fd N, or -1 */
	pid_t pid;		/* attach-info --pid PID, or 0 */
};

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
