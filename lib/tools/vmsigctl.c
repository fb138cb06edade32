// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl - look at and drive vmsig from the command line.
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error (see
 * vmsigctl(8)).  The parsing lives in args.c, each command group in its own
 * file.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cmds.h"
#include "vmsig.h"

static int (*const handlers[])(struct ctl *) = {
	[CTL_CMD_STATUS] = ctl_cmd_status,
	[CTL_CMD_LOAD] = ctl_cmd_load,
	[CTL_CMD_UNLOAD] = ctl_cmd_unload,
	[CTL_CMD_ATTACH_INFO] = ctl_cmd_attach_info,
	[CTL_CMD_LIST] = ctl_cmd_list,
	[CTL_CMD_LEASES] = ctl_cmd_leases,
	[CTL_CMD_READ] = ctl_cmd_read,
	[CTL_CMD_WRITE] = ctl_cmd_write,
	[CTL_CMD_CAS] = ctl_cmd_cas,
	[CTL_CMD_WATCH] = ctl_cmd_watch,
	[CTL_CMD_AUDIT] = ctl_cmd_audit,
	[CTL_CMD_TOP] = ctl_cmd_top,
};

int main(int argc, char **argv)
{
	struct ctl_args args;
	struct ctl c = { .args = &args };
	char err[256];
	int rc;

	/* attach parses its own options (attach.c). */
	rc = ctl_attach_dispatch(argc, argv);
	if (rc >= 0)
		return rc;
	if (ctl_parse_args(argc, argv, &args, err, sizeof(err))) {
		fprintf(stderr, "vmsigctl: %s\n", err);
		fprintf(stderr, "Try 'vmsigctl --help'.\n");
		return CTL_EXIT_USAGE;
	}
	if (args.help) {
		ctl_usage(stdout, args.cmd);
		if (args.cmd == CTL_CMD_NONE)
			ctl_attach_usage(stdout);
		return CTL_EXIT_OK;
	}
	if (args.version) {
		printf("vmsigctl %s (ABI %u)\n", vmsig_version(), VMSIG_ABI_VERSION);
		return CTL_EXIT_OK;
	}
	c.out = json_object_new_object();
	if (!c.out) {
		fprintf(stderr, "vmsigctl: out of memory\n");
		return CTL_EXIT_FAIL;
	}
	j_str(c.out, "command", ctl_cmd_name(args.cmd));
	rc = handlers[args.cmd](&c);
	if (rc == CTL_EXIT_USAGE) {
		/* A usage error found late (watch's names): nothing on stdout. */
		fprintf(stderr, "Try 'vmsigctl --help'.\n");
		json_object_put(c.out);
		return rc;
	}
	j_bool(c.out, "ok", rc == CTL_EXIT_OK);
	rc = ctl_finish(&c, rc);
	json_object_put(c.out);
	return rc;
}
