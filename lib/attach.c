// SPDX-License-Identifier: LGPL-2.1-or-later
/* Attach helpers: find a VMM's KVM VM fd in /proc and take it by pidfd. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmsig_attach.h"
#include "attach_priv.h"

/* Both arrived with Linux 5.3/5.6; the numbers are shared by all arches. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/*
 * Called through syscall(): glibc grew wrappers only in 2.36 and the library
 * should build against older ones too.
 */
static int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0U);
}

static int sys_pidfd_getfd(int pidfd, int targetfd)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, targetfd, 0U);
}

/* /proc/PID/fd entry name -> fd number, or -1 for anything else. */
static int parse_fdnum(const char *s)
{
	long v = 0;

	if (!*s || (*s == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
	}
	return (int)v;
}

static bool link_is_kvm_vm(int dirfd, const char *name, int *err)
{
	/* Longer targets are truncated, so they can never match exactly. */
	char target[sizeof(VMSIG_KVM_VM_LINK) + 1];
	ssize_t len = readlinkat(dirfd, name, target, sizeof(target));

	*err = 0;
	if (len < 0) {
		/* ENOENT: the fd was closed while we looked; not an error. */
		if (errno != ENOENT)
			*err = -errno;
		return false;
	}
	return (size_t)len == sizeof(VMSIG_KVM_VM_LINK) - 1 &&
	       !memcmp(target, VMSIG_KVM_VM_LINK, (size_t)len);
}

int vmsig__find_kvm_vm_fd_at(const char *proc_root, pid_t pid, int *fdnum)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int n, best = -1, count = 0, err = 0;
	DIR *d;

	if (!proc_root || pid <= 0 || !fdnum)
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/%d", proc_root, (int)pid);
	if (n < 0 || (size_t)n + sizeof("/fd") > sizeof(path))
		return -ENAMETOOLONG;
	/* Tell "no such process" apart from "no such fd directory". */
	if (stat(path, &st) < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	strcat(path, "/fd");
	d = opendir(path);
	if (!d)
		/* The process exited between the two looks. */
		return errno == ENOENT ? -ESRCH : -errno;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			err = -errno;
			break;
		}
		n = parse_fdnum(de->d_name);
		if (n < 0)
			continue;
		if (link_is_kvm_vm(dirfd(d), de->d_name, &err)) {
			count++;
			if (best < 0 || n < best)
				best = n;
		}
		if (err)
			break;
	}
	closedir(d);
	if (err)
		return err;
	if (!count)
		return -ENOENT;
	*fdnum = best;
	return count > 1 ? -EEXIST : 0;
}

int vmsig_find_kvm_vm_fd(pid_t pid, int *fdnum)
{
	return vmsig__find_kvm_vm_fd_at("/proc", pid, fdnum);
}

int vmsig_take_fd(pid_t pid, int targetfd)
{
	int pidfd, fd;

	if (pid <= 0 || targetfd < 0)
		return -EINVAL;
	pidfd = sys_pidfd_open(pid);
	if (pidfd < 0)
		return -errno;
	fd = sys_pidfd_getfd(pidfd, targetfd);
	if (fd < 0)
		fd = -errno;
	close(pidfd);
	return fd;
}

/* Is our own @fd a KVM VM fd?  1, 0 or -errno. */
static int fd_is_kvm_vm(int fd)
{
	char name[16];
	int err;
	bool yes;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return -errno;
	snprintf(name, sizeof(name), "%d", fd);
	yes = link_is_kvm_vm(dirfd(d), name, &err);
	closedir(d);
	return err ? err : yes;
}

int vmsig_take_kvm_vm_fd(pid_t pid)
{
	int pidfd, fd = -EAGAIN, n, tries, r;

	if (pid <= 0)
		return -EINVAL;
	/*
	 * Pin the process first: if @pid is recycled during the scan, the
	 * pidfd still names the old process and pidfd_getfd() fails -ESRCH.
	 */
	pidfd = sys_pidfd_open(pid);
	if (pidfd < 0)
		return -errno;
	for (tries = 0; tries < 3; tries++) {
		r = vmsig_find_kvm_vm_fd(pid, &n);
		if (r < 0) {
			fd = r;
			break;
		}
		fd = sys_pidfd_getfd(pidfd, n);
		if (fd < 0) {
			fd = -errno;
			/* Closed since the scan: look again. */
			if (fd == -EBADF) {
				fd = -EAGAIN;
				continue;
			}
			break;
		}
		/* The number may have been reused for another file meanwhile. */
		r = fd_is_kvm_vm(fd);
		if (r == 1)
			break;
		close(fd);
		fd = r < 0 ? r : -EAGAIN;
		if (r < 0)
			break;
	}
	close(pidfd);
	return fd;
}
