/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmsig attach helpers - take a running VMM's KVM VM fd.
 *
 * KVM hands a VMM an anonymous-inode fd per VM ("anon_inode:kvm-vm" in
 * /proc/PID/fd).  These helpers find it and duplicate it into the caller with
 * pidfd_getfd(2), which needs ptrace-attach rights over the target
 * (PTRACE_MODE_ATTACH_REALCREDS: same uid and not dumpable-protected, or
 * CAP_SYS_PTRACE) and Linux 5.6 or later.
 */
#ifndef LIBVMSIG_VMSIG_ATTACH_H
#define LIBVMSIG_VMSIG_ATTACH_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** readlink(2) target of a KVM VM fd in /proc/PID/fd. */
#define VMSIG_KVM_VM_LINK "anon_inode:kvm-vm"

/**
 * vmsig_find_kvm_vm_fd() - the number of @pid's KVM VM fd
 * @pid: the VMM process
 * @fdnum: receives the fd number in @pid
 *
 * Return: 0; -ESRCH when @pid does not exist; -ENOENT when it holds no KVM
 * VM fd (not a KVM VMM, or a zombie); -EACCES or -EPERM when /proc refuses to
 * show its fds; -EEXIST when it holds several, with *fdnum set to the lowest
 * (one VMM process usually runs one VM; pick explicitly with vmsig_take_fd());
 * -EINVAL for a bad argument.
 */
int vmsig_find_kvm_vm_fd(pid_t pid, int *fdnum);

/**
 * vmsig_take_fd() - duplicate fd @targetfd of process @pid into the caller
 *
 * The new fd refers to the same open file and has FD_CLOEXEC set.
 *
 * Return: the new fd; -ESRCH when @pid does not exist (or exited); -EBADF
 * when @pid has no fd @targetfd; -EPERM when the caller lacks ptrace-attach
 * rights over @pid; -ENOSYS when the kernel lacks pidfd_open/pidfd_getfd;
 * -EMFILE; -EINVAL for a bad argument.
 */
int vmsig_take_fd(pid_t pid, int targetfd);

/**
 * vmsig_take_kvm_vm_fd() - find and take @pid's KVM VM fd
 *
 * The pidfd is opened before the scan, so a pid recycled meanwhile can only
 * make the take fail, never hand out another process's fd; the taken fd is
 * checked to be a KVM VM fd, so a fd number reused meanwhile is detected
 * (and the scan retried a few times).
 *
 * Return: the new fd (FD_CLOEXEC), or an error of vmsig_find_kvm_vm_fd() or
 * vmsig_take_fd(); -EAGAIN when the target kept changing its fds.
 */
int vmsig_take_kvm_vm_fd(pid_t pid);

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_ATTACH_H */
