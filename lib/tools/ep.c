// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl helpers shared by the commands: reaching an endpoint (by id, by
 * a QEMU's pid, by an inherited VM fd), the netlink family, signals and
 * clocks, each with the messages that explain what went wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "vmsig.h"
#include "vmsig_attach.h"
#include "vmsig_names.h"
#include "vmsig_nl.h"

int ctl_take_vm_fd(struct ctl *c, pid_t pid)
{
	int fd = vmsig_take_kvm_vm_fd(pid);

	if (fd >= 0)
		return fd;
	switch (-fd) {
	case ESRCH:
		ctl_fail(c, fd, "no process %d", (int)pid);
		break;
	case ENOENT:
		ctl_fail(c, 0, "process %d holds no KVM VM (is it a KVM VMM such as QEMU with -accel kvm?)",
			 (int)pid);
		break;
	case EPERM:
	case EACCES:
		ctl_fail(c, fd, "cannot take process %d's VM", (int)pid);
		ctl_hint(c, "taking another process's fd needs ptrace rights over it: run as its user (and check kernel.yama.ptrace_scope) or as root");
		break;
	case EEXIST:
		ctl_fail(c, 0, "process %d runs several VMs; pass one with --kvm-fd",
			 (int)pid);
		break;
	case ENOSYS:
		ctl_fail(c, fd, "cannot take process %d's VM", (int)pid);
		ctl_hint(c, "pidfd_getfd(2) needs Linux 5.6 or later");
		break;
	default:
		ctl_fail(c, fd, "cannot take process %d's VM", (int)pid);
		break;
	}
	return fd;
}

int ctl_open_dev(struct ctl *c)
{
	int dev = vmsig_open(0);

	if (dev >= 0)
		return dev;
	ctl_fail(c, dev, "cannot open %s", VMSIG_DEV_PATH);
	if (dev == -ENOENT)
		ctl_hint(c, "load the module first: vmsigctl load");
	else if (dev == -EACCES || dev == -EPERM)
		ctl_hint(c, "members of group vmsig may open it (udev rule 60-vmsig.rules)");
	return dev;
}

static int open_by_id(struct ctl *c, int dev, uint32_t ep_id, uint32_t flags)
{
	int ep = vmsig_open_ep(dev, ep_id, flags);

	if (ep >= 0)
		return ep;
	if (ep == -ENOENT) {
		ctl_fail(c, 0, "no endpoint %u", ep_id);
		ctl_hint(c, "vmsigctl list shows the endpoints");
	} else if (ep == -EPERM) {
		ctl_fail(c, ep, "cannot open endpoint %u", ep_id);
		ctl_hint(c, "opening an endpoint by id needs CAP_SYS_ADMIN; without it, use --pid with the VMM's pid");
	} else {
		ctl_fail(c, ep, "cannot open endpoint %u", ep_id);
	}
	return ep;
}

static int attach_vm(struct ctl *c, int dev, int vmfd, uint32_t flags)
{
	uint32_t ep_id;
	int ep = vmsig_attach(dev, VMSIG_BACKEND_KVM, vmfd, 0, 0, flags, &ep_id);

	if (ep >= 0)
		return ep;
	ctl_fail(c, ep, "attach failed");
	if (ep == -EINVAL)
		ctl_hint(c, "the descriptor is not a KVM VM");
	else if (ep == -EOPNOTSUPP)
		ctl_hint(c, "this kernel's vmsig has no KVM backend (see vmsigctl status)");
	return ep;
}

int ctl_open_endpoint(struct ctl *c, uint32_t flags)
{
	const struct ctl_args *a = c->args;
	struct vmsig_ep_info info;
	int dev, vmfd = -1, ep;

	if (a->pid) {
		j_int(c->out, "pid", a->pid);
		vmfd = ctl_take_vm_fd(c, a->pid);
		if (vmfd < 0)
			return vmfd;
	} else if (a->kvm_fd >= 0) {
		j_int(c->out, "kvm_fd", a->kvm_fd);
		if (fcntl(a->kvm_fd, F_GETFD) < 0) {
			ctl_fail(c, -errno, "--kvm-fd %d", a->kvm_fd);
			return -EBADF;
		}
	}
	dev = ctl_open_dev(c);
	if (dev < 0) {
		if (a->pid)
			close(vmfd);
		return dev;
	}
	if (a->ep_id)
		ep = open_by_id(c, dev, a->ep_id, flags);
	else
		ep = attach_vm(c, dev, a->pid ? vmfd : a->kvm_fd, flags);
	close(dev);
	/* A descriptor given by the caller stays theirs. */
	if (a->pid)
		close(vmfd);
	if (ep < 0)
		return ep;
	if (!vmsig_ep_info(ep, &info))
		j_int(c->out, "ep_id", info.ep_id);
	return ep;
}

int ctl_apply_memctx(struct ctl *c, int ep)
{
	const struct ctl_args *a = c->args;
	uint32_t mode = a->la57 ? VMSIG_PAGING_X86_64_5LEVEL : VMSIG_PAGING_X86_64_4LEVEL;
	uint64_t epoch;
	int err;

	if (!a->has_cr3)
		return 0;
	err = vmsig_set_memctx(ep, a->cr3, mode, &epoch);
	if (err) {
		ctl_fail(c, err, "cannot set the memctx (CR3 0x%llx)",
			 (unsigned long long)a->cr3);
		if (err == -EOPNOTSUPP)
			ctl_hint(c, "this endpoint has no guest memory");
		return err;
	}
	j_u64(c->out, "cr3", a->cr3);
	j_str(c->out, "paging", vmsig_paging_name(mode));
	j_u64(c->out, "epoch", epoch);
	return 0;
}

int ctl_nl_fail(struct ctl *c, int err, const char *what)
{
	ctl_fail(c, err, "%s", what);
	if (err == -EPERM || err == -EACCES)
		ctl_hint(c, "the vmsig netlink family answers only callers with CAP_NET_ADMIN (run as root)");
	else if (err == -ENOENT)
		ctl_hint(c, "vmsig is not loaded: vmsigctl load");
	return CTL_EXIT_FAIL;
}

int ctl_nl_open(struct ctl *c, struct vmsig_nl **nl)
{
	int err = vmsig_nl_open(nl);

	if (!err)
		return 0;
	if (err == -ENOENT) {
		ctl_fail(c, 0, "vmsig is not loaded (no \"%s\" generic netlink family)",
			 VMSIG_GENL_NAME);
		ctl_hint(c, "load it with 'vmsigctl load'");
	} else {
		ctl_nl_fail(c, err, "cannot reach the vmsig netlink family");
	}
	return err;
}

const char *ctl_backend_name(uint32_t backend, char *buf, size_t size)
{
	const char *n = vmsig_backend_name(backend);

	if (n)
		return n;
	snprintf(buf, size, "%u", backend);
	return buf;
}

uint64_t ctl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

void ctl_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed pipe ends the output: let write() fail with EPIPE. */
	signal(SIGPIPE, SIG_IGN);
}

int ctl_interrupted(void)
{
	return interrupted;
}
