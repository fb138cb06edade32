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
int ctl_cmd_list(struct ctl *c);
int ctl_cmd_leases(struct ctl *c);
int ctl_cmd_read(struct ctl *c);
int ctl_cmd_write(struct ctl *c);
int ctl_cmd_cas(struct ctl *c);
int ctl_cmd_watch(struct ctl *c);
int ctl_cmd_audit(struct ctl *c);
int ctl_cmd_top(struct ctl *c);

/*
 * attach (attach.c) parses its own command line: when the command word is
 * "attach" (or "help attach") it runs and returns the exit status, else -1.
 */
int ctl_attach_dispatch(int argc, char **argv);
/* attach's synopsis, for the list of commands. */
void ctl_attach_usage(FILE *f);

/* ------------------------------------------------ shared helpers (ep.c) */

#include <stdint.h>
#include <sys/types.h>

struct vmsig_nl;

/* Take @pid's KVM VM fd, explaining failures (ctl_fail); fd or -errno. */
int ctl_take_vm_fd(struct ctl *c, pid_t pid);

/* Open /dev/vmsig, explaining failures; fd or -errno. */
int ctl_open_dev(struct ctl *c);

/*
 * The endpoint file the command works on, from --ep, --pid or --kvm-fd:
 * opened by id (VMSIG_IOC_OPEN_EP), or a new endpoint attached to the VM.
 * @flags: VMSIG_ATTACH_NONBLOCK or 0.  Puts "ep_id" in the JSON object and
 * explains failures.  Returns the fd or -errno.
 */
int ctl_open_endpoint(struct ctl *c, uint32_t flags);

/* Set the memctx from --cr3/--la57, when given; 0 or -errno (explained). */
int ctl_apply_memctx(struct ctl *c, int ep);

/* Connect to the generic netlink family, explaining failures; 0 or -errno. */
int ctl_nl_open(struct ctl *c, struct vmsig_nl **nl);

/* Say why a netlink request failed (-EPERM: CAP_NET_ADMIN); CTL_EXIT_FAIL. */
int ctl_nl_fail(struct ctl *c, int err, const char *what);

/* "kvm", or the number for a backend this vmsigctl does not know. */
const char *ctl_backend_name(uint32_t backend, char *buf, size_t size);

/* CLOCK_MONOTONIC now, in nanoseconds. */
uint64_t ctl_now_ns(void);

/*
 * SIGINT and SIGTERM set a flag instead of killing (no SA_RESTART, so a
 * blocking call returns EINTR); ctl_interrupted() reads it.
 */
void ctl_catch_signals(void);
int ctl_interrupted(void);

#endif /* VMSIGCTL_CMDS_H */
