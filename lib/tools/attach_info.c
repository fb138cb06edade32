// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl attach-info: attach to a VM, print the endpoint's info, detach.
 * The endpoint lives only as long as this command: closing its file at exit
 * detaches.  It shows that attaching works (rights, KVM, the module) and
 * what the module sees of the VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "vmsig.h"
#include "vmsig_names.h"

static void print_info(const struct vmsig_ep_info *info, const char *backend)
{
	printf("endpoint:  %u\nbackend:   %s\n", info->ep_id, backend);
	if (info->vmm_pid)
		printf("vmm pid:   %u\n", info->vmm_pid);
	else
		printf("vmm pid:   none (gone, or not in this pid namespace)\n");
	printf("epoch:     %llu\n", (unsigned long long)info->epoch);
}

int ctl_cmd_attach_info(struct ctl *c)
{
	struct vmsig_ep_info info;
	int vmfd, dev = -1, ep = -1, ret = CTL_EXIT_FAIL, err;
	char unknown[16];
	const char *backend;

	if (c->args->pid) {
		j_int(c->out, "pid", c->args->pid);
		vmfd = ctl_take_vm_fd(c, c->args->pid);
		if (vmfd < 0)
			return CTL_EXIT_FAIL;
	} else {
		vmfd = c->args->kvm_fd;
		j_int(c->out, "kvm_fd", vmfd);
		if (fcntl(vmfd, F_GETFD) < 0)
			return ctl_fail(c, -errno, "--kvm-fd %d", vmfd);
	}

	dev = vmsig_open(0);
	if (dev < 0) {
		ctl_fail(c, dev, "cannot open %s", VMSIG_DEV_PATH);
		if (dev == -ENOENT)
			ctl_hint(c, "load the module first: vmsigctl load");
		goto out;
	}
	ep = vmsig_attach_kvm(dev, vmfd);
	if (ep < 0) {
		ctl_fail(c, ep, "attach failed");
		if (ep == -EINVAL)
			ctl_hint(c, "the descriptor is not a KVM VM");
		else if (ep == -EOPNOTSUPP)
			ctl_hint(c, "this kernel's vmsig has no KVM backend (see vmsigctl status)");
		goto out;
	}
	err = vmsig_ep_info(ep, &info);
	if (err) {
		ctl_fail(c, err, "endpoint info failed");
		goto out;
	}
	backend = vmsig_backend_name(info.backend);
	if (!backend) {
		snprintf(unknown, sizeof(unknown), "%u", info.backend);
		backend = unknown;
	}
	j_int(c->out, "ep_id", info.ep_id);
	j_str(c->out, "backend", backend);
	j_int(c->out, "vmm_pid", info.vmm_pid);
	j_u64(c->out, "epoch", info.epoch);
	if (ctl_human(c))
		print_info(&info, backend);
	ret = CTL_EXIT_OK;
out:
	if (ep >= 0)
		close(ep);
	if (dev >= 0)
		close(dev);
	/* A descriptor given by the caller stays theirs. */
	if (c->args->pid)
		close(vmfd);
	return ret;
}
