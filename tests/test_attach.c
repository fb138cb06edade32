// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the attach helpers: the /proc scan against a fake /proc tree
 * of symlinks, and a real pidfd_getfd() round trip against a child process
 * holding an eventfd (a real KVM VM fd would need a VM, which unit tests do
 * not create).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmsig_attach.h"
#include "attach_priv.h"

#define NOBODY 65534

/* ------------------------------------------------------ fake /proc -- */

struct fake_fd {
	int num;
	const char *target;
};

static void mkdirf(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* root/PID/fd/N -> target for each entry; @fds == NULL: no fd dir at all. */
static void fake_pid(const char *root, int pid, const struct fake_fd *fds)
{
	char path[PATH_MAX];

	mkdirf("%s/%d", root, pid);
	if (!fds)
		return;
	mkdirf("%s/%d/fd", root, pid);
	for (; fds->target; fds++) {
		snprintf(path, sizeof(path), "%s/%d/fd/%d", root, pid, fds->num);
		assert_int_equal(symlink(fds->target, path), 0);
	}
}

static const struct fake_fd qemu_fds[] = {
	{ 0, "/dev/null" },
	{ 1, "pipe:[4711]" },
	{ 2, "/var/log/qemu/vm0.log" },
	{ 3, "socket:[12345]" },
	{ 9, "/dev/kvm" },
	{ 10, "anon_inode:[eventfd]" },
	{ 11, "anon_inode:kvm-vcpu:0" },
	{ 12, "anon_inode:kvm-vm-lookalike" },	/* only exact names match */
	{ 13, "anon_inode:kvm-vm" },
	{ 14, "anon_inode:kvm-vcpu:1" },
	{ 15, "/memfd:pc.ram (deleted)" },
	{ 0, NULL },
};

static const struct fake_fd other_fds[] = {
	{ 0, "/dev/null" },
	{ 3, "socket:[777]" },
	{ 4, "/dev/kvm" },			/* opened, but no VM made */
	{ 5, "anon_inode:kvm-vcpu:0" },		/* odd, but not a VM fd */
	{ 6, "anon_inode:kvm-v" },
	{ 0, NULL },
};

static const struct fake_fd two_vm_fds[] = {
	{ 20, "anon_inode:kvm-vm" },
	{ 3, "socket:[1]" },
	{ 7, "anon_inode:kvm-vm" },
	{ 0, NULL },
};

static const struct fake_fd no_fds[] = { { 0, NULL } };

static int setup_tree(void **state)
{
	char *root = strdup("/tmp/vmsig-proc-XXXXXX");
	char path[PATH_MAX];

	assert_non_null(mkdtemp(root));
	/* Traversable by the unprivileged child of fake_proc_denied. */
	assert_int_equal(chmod(root, 0755), 0);
	fake_pid(root, 100, qemu_fds);
	fake_pid(root, 200, other_fds);
	fake_pid(root, 300, two_vm_fds);
	fake_pid(root, 400, no_fds);		/* a zombie: no fds left */
	fake_pid(root, 500, NULL);		/* exited between two looks */
	fake_pid(root, 600, qemu_fds);
	snprintf(path, sizeof(path), "%s/600/fd", root);
	assert_int_equal(chmod(path, 0700), 0);
	/* Entries that are no fd numbers are skipped, not misparsed. */
	snprintf(path, sizeof(path), "%s/100/fd/013", root);
	assert_int_equal(symlink("anon_inode:kvm-vm", path), 0);
	snprintf(path, sizeof(path), "%s/100/fd/x", root);
	assert_int_equal(symlink("anon_inode:kvm-vm", path), 0);
	*state = root;
	return 0;
}

static int teardown_tree(void **state)
{
	char cmd[PATH_MAX + 16];
	int r;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	r = system(cmd);
	free(*state);
	return r;
}

static void fake_proc_finds_vm_fd(void **state)
{
	int n = -1;

	assert_int_equal(vmsig__find_kvm_vm_fd_at(*state, 100, &n), 0);
	assert_int_equal(n, 13);
}

static void fake_proc_not_a_vmm(void **state)
{
	int n = -1;

	assert_int_equal(vmsig__find_kvm_vm_fd_at(*state, 200, &n), -ENOENT);
	assert_int_equal(n, -1);
	assert_int_equal(vmsig__find_kvm_vm_fd_at(*state, 400, &n), -ENOENT);
	assert_int_equal(n, -1);
}

static void fake_proc_no_such_pid(void **state)
{
	int n = -1;

	assert_int_equal(vmsig__find_kvm_vm_fd_at(*state, 999, &n), -ESRCH);
	assert_int_equal(vmsig__find_kvm_vm_fd_at(*state, 500, &n), -ESRCH);
	assert_int_equal(n, -1);
}

static void fake_proc_several_vms(void **state)
{
	int n = -1;

	/* Ambiguous: refused, but the lowest is reported for the caller. */
	assert_int_equal(vmsig__find_kvm_vm_fd_at(*state, 300, &n), -EEXIST);
	assert_int_equal(n, 7);
}

static void fake_proc_bad_args(void **state)
{
	int n;

	assert_int_equal(vmsig__find_kvm_vm_fd_at(*state, 0, &n), -EINVAL);
	assert_int_equal(vmsig__find_kvm_vm_fd_at(*state, -5, &n), -EINVAL);
	assert_int_equal(vmsig__find_kvm_vm_fd_at(*state, 100, NULL), -EINVAL);
	assert_int_equal(vmsig__find_kvm_vm_fd_at(NULL, 100, &n), -EINVAL);
	assert_int_equal(vmsig_find_kvm_vm_fd(0, &n), -EINVAL);
}

/* Run @fn in a child as an unprivileged user; return its result. */
static int as_nobody(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		if (setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
			_exit(255);
		_exit(-fn(arg) & 0xff);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 255);
	return -WEXITSTATUS(status);
}

static int find_600(void *root)
{
	int n;

	return vmsig__find_kvm_vm_fd_at(root, 600, &n);
}

static void fake_proc_denied(void **state)
{
	if (geteuid() != 0)
		skip();		/* needs to drop to another uid */
	/* The fd dir is 0700 root: /proc's refusal is passed through. */
	assert_int_equal(as_nobody(find_600, *state), -EACCES);
}

/* --------------------------------------------------------- real /proc -- */

/* A pid that existed and is gone (reaped). */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void real_proc(void **state)
{
	int n = -1;
	pid_t gone = dead_pid();

	(void)state;
	/* This test program is no VMM. */
	assert_int_equal(vmsig_find_kvm_vm_fd(getpid(), &n), -ENOENT);
	assert_int_equal(vmsig_find_kvm_vm_fd(gone, &n), -ESRCH);
	assert_int_equal(n, -1);
	assert_int_equal(vmsig_take_kvm_vm_fd(getpid()), -ENOENT);
	assert_int_equal(vmsig_take_kvm_vm_fd(gone), -ESRCH);
	assert_int_equal(vmsig_take_kvm_vm_fd(0), -EINVAL);
}

static int find_parent(void *arg)
{
	int n;

	(void)arg;
	return vmsig_find_kvm_vm_fd(getppid(), &n);
}

static void real_proc_denied(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	/* An unprivileged user may not list a root process's fds. */
	assert_int_equal(as_nobody(find_parent, NULL), -EACCES);
}

/* ------------------------------------------------------- pidfd_getfd -- */

/* Skip, saying why, when the kernel (or a seccomp filter) lacks pidfds. */
static void need_pidfd(void)
{
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0U);
	int tfd;

	if (fd < 0) {
		print_message("pidfd_open unavailable (%s): skipping\n", strerror(errno));
		skip();
	}
	tfd = (int)syscall(SYS_pidfd_getfd, fd, 0, 0U);
	if (tfd < 0 && (errno == ENOSYS || errno == EPERM)) {
		print_message("pidfd_getfd unavailable (%s): skipping\n", strerror(errno));
		close(fd);
		skip();
	}
	if (tfd >= 0)
		close(tfd);
	close(fd);
}

struct target {
	pid_t pid;
	int efd;	/* the eventfd's number in the child */
	int to[2];	/* parent -> child */
	int from[2];	/* child -> parent */
};

/*
 * A child holding an eventfd with counter 42.  On a byte from the parent it
 * reads its counter (the parent's writes land there if the fd is shared) and
 * reports it back, then exits.
 */
static void target_start(struct target *t)
{
	assert_int_equal(pipe2(t->to, O_CLOEXEC), 0);
	assert_int_equal(pipe2(t->from, O_CLOEXEC), 0);
	t->pid = fork();
	assert_true(t->pid >= 0);
	if (!t->pid) {
		int efd = eventfd(42, 0);
		uint64_t v = 0;
		char c;

		if (write(t->from[1], &efd, sizeof(efd)) != sizeof(efd) ||
		    read(t->to[0], &c, 1) != 1 ||
		    read(efd, &v, sizeof(v)) != sizeof(v))
			_exit(1);
		_exit(write(t->from[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	assert_int_equal(read(t->from[0], &t->efd, sizeof(t->efd)), sizeof(t->efd));
	assert_true(t->efd >= 0);
}

static uint64_t target_finish(struct target *t)
{
	uint64_t v = 0;
	int status;

	assert_int_equal(write(t->to[1], "x", 1), 1);
	assert_int_equal(read(t->from[0], &v, sizeof(v)), sizeof(v));
	assert_int_equal(waitpid(t->pid, &status, 0), t->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(t->to[0]);
	close(t->to[1]);
	close(t->from[0]);
	close(t->from[1]);
	return v;
}

static void take_fd_round_trip(void **state)
{
	struct target t;
	char path[64], link[64];
	uint64_t v = 0;
	ssize_t len;
	int fd;

	(void)state;
	need_pidfd();
	target_start(&t);
	fd = vmsig_take_fd(t.pid, t.efd);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = readlink(path, link, sizeof(link) - 1);
	assert_true(len > 0);
	link[len] = 0;
	assert_string_equal(link, "anon_inode:[eventfd]");
	/* The child's counter, read through our fd: the same object... */
	assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
	assert_int_equal(v, 42);
	/* ...and what we write, the child reads. */
	v = 7;
	assert_int_equal(write(fd, &v, sizeof(v)), sizeof(v));
	close(fd);
	assert_int_equal(target_finish(&t), 7);
}

static void take_fd_errors(void **state)
{
	struct target t;
	pid_t gone = dead_pid();

	(void)state;
	need_pidfd();
	target_start(&t);
	/* No such fd in the target. */
	assert_int_equal(vmsig_take_fd(t.pid, 999), -EBADF);
	assert_int_equal(vmsig_take_fd(gone, 0), -ESRCH);
	assert_int_equal(vmsig_take_fd(0, 0), -EINVAL);
	assert_int_equal(vmsig_take_fd(t.pid, -1), -EINVAL);
	assert_int_equal(target_finish(&t), 42);
}

static struct target *eperm_target;

static int take_from_target(void *arg)
{
	int fd;

	(void)arg;
	fd = vmsig_take_fd(eperm_target->pid, eperm_target->efd);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd;
}

static void take_fd_without_rights(void **state)
{
	struct target t;

	(void)state;
	need_pidfd();
	if (geteuid() != 0)
		skip();
	target_start(&t);
	eperm_target = &t;
	/* An unprivileged user has no ptrace rights over a root process. */
	assert_int_equal(as_nobody(take_from_target, NULL), -EPERM);
	assert_int_equal(target_finish(&t), 42);
}

#define fake_test(f) cmocka_unit_test_setup_teardown(f, setup_tree, teardown_tree)

int main(void)
{
	const struct CMUnitTest tests[] = {
		fake_test(fake_proc_finds_vm_fd),
		fake_test(fake_proc_not_a_vmm),
		fake_test(fake_proc_no_such_pid),
		fake_test(fake_proc_several_vms),
		fake_test(fake_proc_bad_args),
		fake_test(fake_proc_denied),
		cmocka_unit_test(real_proc),
		cmocka_unit_test(real_proc_denied),
		cmocka_unit_test(take_fd_round_trip),
		cmocka_unit_test(take_fd_errors),
		cmocka_unit_test(take_fd_without_rights),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
