/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the attach helpers shared with their unit tests.  Not exported
 * from the shared library (the version script keeps them local).
 */
#ifndef LIBVMSIG_ATTACH_PRIV_H
#define LIBVMSIG_ATTACH_PRIV_H

#include <sys/types.h>

/* vmsig_find_kvm_vm_fd() under @proc_root instead of "/proc". */
int vmsig__find_kvm_vm_fd_at(const char *proc_root, pid_t pid, int *fdnum);

#endif /* LIBVMSIG_ATTACH_PRIV_H */
