/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmsigctl commands.  Each returns an exit status (CTL_EXIT_*) and leaves
 * its result in c->out for --json.
 */
#ifndef VMSIGCTL_CMDS_H
#define VMSIGCTL_CMDS_H

#include <limits.h>
#include <stdbool.h>

#include "out.h"

/* The module's name, as libkmod and /sys/module know it. */
#define CTL_MODULE "vmsig"

/* What the running kernel says about the module. */
struct ctl_modstate {
	bool loaded;
	const char *state;	/* "live", "coming", "going"; NULL if not loaded */
	int refcnt;		/* open files (and dependent modules); -1 unknown */
	char version[128];	/* /sys/module/vmsig/version; "" unknown */
	char installed[PATH_MAX]; /* path from modules.dep; "" when not installed */
	char release[65];	/* uname -r */
};

struct kmod_ctx;

/* libkmod context for the running kernel, quiet unless VMSIGCTL_DEBUG is set. */
struct kmod_ctx *ctl_kmod_new(void);
/* Fill @st; returns 0 or -errno from libkmod. */
int ctl_mod_state(struct kmod_ctx *kctx, struct ctl_modstate *st);

int ctl_cmd_status(struct ctl *c);
int ctl_cmd_load(struct ctl *c);
int ctl_cmd_unload(struct ctl *c);
int ctl_cmd_attach_info(struct ctl *c);

#endif /* VMSIGCTL_CMDS_H */
