// SPDX-License-Identifier: GPL-2.0
/*
 * Leases and fencing tokens, MEMWRITE (all-or-nothing, fenced, CAS, dirty
 * logged, seen by a running vCPU) and per-file rights.  Memory is always
 * checked from another process: the VMM child's own view of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/vmsig.h>

#include "fdpass.h"
#include "kselftest_harness.h"
#include "vmm.h"

#define M		(1ULL << 20)
#define SEED		0x1ea5e5eedULL
#define MS		1000000ULL

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int lease_op(int fd, unsigned long cmd, uint32_t cls, uint32_t flags,
		    uint64_t ttl, uint64_t timeout, uint64_t *token)
{
	struct vmsig_lease l = {
		.size = sizeof(l), .flags = flags, .lease_class = cls,
		.ttl_ns = ttl, .timeout_ns = timeout, .token = token ? *token : 0,
	};
	int ret = xioctl(fd, cmd, &l);

	if (!ret && token)
		*token = l.token;
	return ret;
}

static int acquire(int fd, uint32_t cls, uint64_t *token)
{
	*token = 0;
	return lease_op(fd, VMSIG_IOC_LEASE_ACQUIRE, cls, 0, 0, 0, token);
}

static int release(int fd, uint32_t cls, uint64_t token)
{
	return lease_op(fd, VMSIG_IOC_LEASE_RELEASE, cls, 0, 0, 0, &token);
}

static int derive(int ep, uint64_t rights, bool with_rights)
{
	struct vmsig_derive d = {
		.size = sizeof(d), .rights = with_rights ? rights : 0,
		.flags = with_rights ? VMSIG_DERIVE_RIGHTS : 0,
	};
	int ret = ioctl(ep, VMSIG_IOC_DERIVE, &d);

	return ret < 0 ? -errno : ret;
}

static int mem_write(int ep, uint64_t addr, const void *buf, uint32_t len,
		     uint64_t token, uint32_t flags)
{
	struct vmsig_mem_write w = {
		.size = sizeof(w), .flags = flags, .addr = addr,
		.buf = (uintptr_t)buf, .len = len, .token = token,
	};

	return xioctl(ep, VMSIG_IOC_MEM_WRITE, &w);
}

static int cas(int ep, uint64_t addr, uint32_t len, uint64_t expect,
	       uint64_t value, uint64_t token, uint64_t *old)
{
	struct vmsig_mem_write w = {
		.size = sizeof(w), .flags = VMSIG_WRITE_CAS, .addr = addr,
		.len = len, .token = token, .expect = expect, .value = value,
	};
	int ret = xioctl(ep, VMSIG_IOC_MEM_WRITE, &w);

	if (old)
		*old = w.old;
	return ret ?: (w.swapped ? 1 : 0);
}

static int read64(int ep, uint64_t gpa, uint64_t *v)
{
	struct vmsig_mem_entry e = { .addr = gpa, .buf = (uintptr_t)v, .len = 8 };
	struct vmsig_mem_read rd = {
		.size = sizeof(rd), .entries = (uintptr_t)&e, .count = 1,
	};

	return xioctl(ep, VMSIG_IOC_MEM_READ, &rd) ?: e.status;
}

static int attach(int dev, uint32_t backend, int fd)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .backend = backend, .fd = fd,
		.flags = VMSIG_ATTACH_NONBLOCK,
	};
	int ret = ioctl(dev, VMSIG_IOC_ATTACH, &at);

	return ret < 0 ? -errno : ret;
}

/* ------------------------------------------------------------ leases --- */

FIXTURE(lease) {
	int dev;
	int ep;
};

FIXTURE_SETUP(lease)
{
	self->dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->ep = attach(self->dev, VMSIG_BACKEND_NONE, -1);
	ASSERT_LE(0, self->ep);
}

FIXTURE_TEARDOWN(lease)
{
	close(self->ep);
	close(self->dev);
}

TEST_F(lease, exclusive_with_growing_tokens)
{
	int a = derive(self->ep, 0, false), b = derive(self->ep, 0, false);
	uint64_t ta, tb, t;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, acquire(a, VMSIG_LEASE_POWER, &ta));
	EXPECT_LT(0, ta);
	EXPECT_EQ(-EBUSY, acquire(b, VMSIG_LEASE_POWER, &tb));
	EXPECT_EQ(-EALREADY, acquire(a, VMSIG_LEASE_POWER, &t));
	/* A waiter with a deadline gives up with ETIMEDOUT. */
	tb = 0;
	EXPECT_EQ(-ETIMEDOUT, lease_op(b, VMSIG_IOC_LEASE_ACQUIRE, VMSIG_LEASE_POWER,
				       VMSIG_LEASE_WAIT, 0, 30 * MS, &tb));
	/* Classes are independent. */
	ASSERT_EQ(0, acquire(b, VMSIG_LEASE_INPUT, &t));
	/* Only the holder's current token releases. */
	EXPECT_EQ(-ESTALE, release(b, VMSIG_LEASE_POWER, ta));
	EXPECT_EQ(-ESTALE, release(a, VMSIG_LEASE_POWER, ta + 1));
	ASSERT_EQ(0, release(a, VMSIG_LEASE_POWER, ta));
	EXPECT_EQ(-ESTALE, release(a, VMSIG_LEASE_POWER, ta));
	ASSERT_EQ(0, acquire(b, VMSIG_LEASE_POWER, &tb));
	EXPECT_GT(tb, ta);
	ASSERT_EQ(0, release(b, VMSIG_LEASE_POWER, tb));
	ASSERT_EQ(0, acquire(a, VMSIG_LEASE_POWER, &ta));
	EXPECT_GT(ta, tb);
	/* Argument rules. */
	EXPECT_EQ(-EINVAL, acquire(b, VMSIG_LEASE_CLASSES, &t));
	t = 5;
	EXPECT_EQ(-EINVAL, lease_op(b, VMSIG_IOC_LEASE_ACQUIRE, VMSIG_LEASE_MEMWRITE,
				    0, 0, 0, &t));
	EXPECT_EQ(-EINVAL, lease_op(b, VMSIG_IOC_LEASE_RENEW, VMSIG_LEASE_MEMWRITE,
				    VMSIG_LEASE_WAIT, 0, 0, &t));
	close(a);
	close(b);
}

struct waiter {
	int fd;
	uint32_t cls;
	uint64_t timeout;
	uint64_t token;
	int ret;
};

static void *wait_lease(void *arg)
{
	struct waiter *w = arg;

	w->token = 0;
	w->ret = lease_op(w->fd, VMSIG_IOC_LEASE_ACQUIRE, w->cls, VMSIG_LEASE_WAIT,
			  0, w->timeout, &w->token);
	return NULL;
}

TEST_F(lease, killed_holder_frees_the_lease_for_a_waiter)
{
	struct waiter w = { .cls = VMSIG_LEASE_INPUT };
	uint64_t child_token = 0;
	int pipefd[2];
	pthread_t t;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* A file only this process holds: its death is the last close. */
		int mine = derive(self->ep, 0, false);
		uint64_t tok;

		close(self->ep);
		if (mine < 0 || acquire(mine, VMSIG_LEASE_INPUT, &tok))
			_exit(1);
		if (write(pipefd[1], &tok, sizeof(tok)) != sizeof(tok))
			_exit(2);
		pause();
		_exit(0);
	}
	ASSERT_EQ(sizeof(child_token), read(pipefd[0], &child_token, sizeof(child_token)));
	w.fd = derive(self->ep, 0, false);
	ASSERT_LE(0, w.fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_lease, &w));
	usleep(50 * 1000);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, w.ret);
	EXPECT_GT(w.token, child_token);
	close(w.fd);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(lease, ttl_expires_and_renew_extends)
{
	struct waiter w = { .cls = VMSIG_LEASE_MEMWRITE, .timeout = 5000 * MS };
	int a = derive(self->ep, 0, false);
	uint64_t ta = 0, t;
	pthread_t th;

	w.fd = derive(self->ep, 0, false);
	ASSERT_LE(0, a);
	ASSERT_LE(0, w.fd);
	/* Renewed to no TTL, it outlives its first TTL. */
	ASSERT_EQ(0, lease_op(a, VMSIG_IOC_LEASE_ACQUIRE, VMSIG_LEASE_MEMWRITE, 0,
			      40 * MS, 0, &ta));
	t = ta;
	ASSERT_EQ(0, lease_op(a, VMSIG_IOC_LEASE_RENEW, VMSIG_LEASE_MEMWRITE, 0, 0, 0, &t));
	usleep(80 * 1000);
	EXPECT_EQ(-EBUSY, acquire(w.fd, VMSIG_LEASE_MEMWRITE, &t));
	/* A short TTL again: the waiter gets the lease when it passes. */
	t = ta;
	ASSERT_EQ(0, lease_op(a, VMSIG_IOC_LEASE_RENEW, VMSIG_LEASE_MEMWRITE, 0,
			      50 * MS, 0, &t));
	ASSERT_EQ(0, pthread_create(&th, NULL, wait_lease, &w));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, w.ret);
	EXPECT_GT(w.token, ta);
	/* The expired holder's token is worthless now. */
	t = ta;
	EXPECT_EQ(-ESTALE, lease_op(a, VMSIG_IOC_LEASE_RENEW, VMSIG_LEASE_MEMWRITE,
				    0, 0, 0, &t));
	EXPECT_EQ(-ESTALE, release(a, VMSIG_LEASE_MEMWRITE, ta));
	close(a);
	close(w.fd);
}

TEST_F(lease, last_copy_of_the_file_ends_the_lease)
{
	int a = derive(self->ep, 0, false), b = derive(self->ep, 0, false);
	int sv[2], copy;
	uint64_t t, tb;
	pid_t pid;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, acquire(a, VMSIG_LEASE_POWER, &t));
	copy = dup(a);
	close(a);
	EXPECT_EQ(-EBUSY, acquire(b, VMSIG_LEASE_POWER, &tb));
	/* Passed to another process and closed here: the other copy holds it. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd, x;

		close(copy);
		close(self->ep);
		close(b);
		fd = recv_fd(sv[1]);
		if (fd < 0)
			_exit(1);
		/* Wait for the parent's word, then exit with the file open. */
		_exit(read(sv[1], &x, sizeof(x)) == sizeof(x) ? 0 : 2);
	}
	ASSERT_EQ(0, send_fd(sv[0], copy));
	close(copy);
	usleep(20 * 1000);
	EXPECT_EQ(-EBUSY, acquire(b, VMSIG_LEASE_POWER, &tb));
	ASSERT_EQ(sizeof(int), write(sv[0], &pid, sizeof(int)));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, acquire(b, VMSIG_LEASE_POWER, &tb));
	EXPECT_GT(tb, t);
	close(sv[0]);
	close(sv[1]);
	close(b);
}

TEST_F(lease, revoke_is_for_admins)
{
	int a = derive(self->ep, 0, false);
	int weak = derive(self->ep, VMSIG_RIGHTS_ALL & ~VMSIG_RIGHT_ADMIN, true);
	uint64_t t, r;

	ASSERT_LE(0, a);
	ASSERT_LE(0, weak);
	EXPECT_EQ(-ENOENT, lease_op(self->ep, VMSIG_IOC_LEASE_REVOKE,
				    VMSIG_LEASE_INPUT, 0, 0, 0, NULL));
	ASSERT_EQ(0, acquire(a, VMSIG_LEASE_INPUT, &t));
	EXPECT_EQ(-EPERM, lease_op(weak, VMSIG_IOC_LEASE_REVOKE, VMSIG_LEASE_INPUT,
				   0, 0, 0, NULL));
	r = 0;
	ASSERT_EQ(0, lease_op(self->ep, VMSIG_IOC_LEASE_REVOKE, VMSIG_LEASE_INPUT,
			      0, 0, 0, &r));
	EXPECT_EQ(t, r);
	EXPECT_EQ(-ESTALE, release(a, VMSIG_LEASE_INPUT, t));
	close(a);
	close(weak);
}

TEST_F(lease, every_change_is_an_event)
{
	struct vmsig_event ev[16];
	int a = derive(self->ep, 0, false), obs = derive(self->ep, 0, false);
	uint64_t t1, t2, t3;
	int n;

	ASSERT_LE(0, a);
	ASSERT_LE(0, obs);
	ASSERT_EQ(0, acquire(a, VMSIG_LEASE_POWER, &t1));
	ASSERT_EQ(0, release(a, VMSIG_LEASE_POWER, t1));
	ASSERT_EQ(0, acquire(a, VMSIG_LEASE_POWER, &t2));
	ASSERT_EQ(0, lease_op(self->ep, VMSIG_IOC_LEASE_REVOKE, VMSIG_LEASE_POWER,
			      0, 0, 0, NULL));
	ASSERT_EQ(0, acquire(a, VMSIG_LEASE_MEMWRITE, &t3));
	close(a);
	n = read(obs, ev, sizeof(ev)) / (int)sizeof(ev[0]);
	ASSERT_EQ(6, n);
	static const uint32_t kinds[] = {
		VMSIG_LEASE_EV_GRANTED, VMSIG_LEASE_EV_RELEASED,
		VMSIG_LEASE_EV_GRANTED, VMSIG_LEASE_EV_REVOKED,
		VMSIG_LEASE_EV_GRANTED, VMSIG_LEASE_EV_CLOSED,
	};
	const uint64_t tokens[] = { t1, t1, t2, t2, t3, t3 };

	for (int i = 0; i < n; i++) {
		EXPECT_EQ(VMSIG_EV_LEASE, ev[i].type);
		EXPECT_EQ(kinds[i], ev[i].payload.u32[3]) TH_LOG("event %d", i);
		EXPECT_EQ(tokens[i], ev[i].payload.u64[0]) TH_LOG("event %d", i);
		EXPECT_EQ(getpid(), ev[i].payload.u32[2]);
		EXPECT_EQ(i < 4 ? VMSIG_LEASE_POWER : VMSIG_LEASE_MEMWRITE, ev[i].aux);
	}
	close(obs);
}

TEST_F(lease, destructive_down_events_need_the_current_token)
{
	struct vmsig_event ev = { .type = VMSIG_EV_POWER, .dir = VMSIG_DIR_DOWN,
				  .source = VMSIG_SRC_VMHOST, .aux = VMSIG_POWER_RESET };
	struct vmsig_sink s = { .size = sizeof(s), .source = VMSIG_SRC_VMHOST };
	int sink = derive(self->ep, 0, false), ctl = derive(self->ep, 0, false);
	struct vmsig_event got[4];
	uint64_t t;

	struct vmsig_sub quiet = { .size = sizeof(quiet) };

	ASSERT_LE(0, sink);
	ASSERT_LE(0, ctl);
	/* The sink hears DOWN events only, not the lease events below. */
	ASSERT_EQ(0, xioctl(sink, VMSIG_IOC_SET_SUB, &quiet));
	ASSERT_EQ(0, xioctl(sink, VMSIG_IOC_BIND_SINK, &s));
	EXPECT_EQ(-1, write(ctl, &ev, sizeof(ev)));
	EXPECT_EQ(ESTALE, errno);
	ASSERT_EQ(0, acquire(ctl, VMSIG_LEASE_POWER, &t));
	ev.payload.u64[0] = t + 1;
	EXPECT_EQ(-1, write(ctl, &ev, sizeof(ev)));
	EXPECT_EQ(ESTALE, errno);
	ev.payload.u64[0] = t;
	EXPECT_EQ(sizeof(ev), write(ctl, &ev, sizeof(ev)));
	/* Another file cannot use the holder's token. */
	EXPECT_EQ(-1, write(self->ep, &ev, sizeof(ev)));
	EXPECT_EQ(ESTALE, errno);
	/* After a revoke the same token is refused before reaching the sink. */
	ASSERT_EQ(0, lease_op(self->ep, VMSIG_IOC_LEASE_REVOKE, VMSIG_LEASE_POWER,
			      0, 0, 0, NULL));
	EXPECT_EQ(-1, write(ctl, &ev, sizeof(ev)));
	EXPECT_EQ(ESTALE, errno);
	ASSERT_EQ(1, read(sink, got, sizeof(got)) / (int)sizeof(got[0]));
	/* Non-destructive DOWN types need no lease. */
	ev.type = 0x8100;
	s.source = VMSIG_SRC_CONTROL;
	ev.source = VMSIG_SRC_CONTROL;
	ASSERT_EQ(0, xioctl(sink, VMSIG_IOC_BIND_SINK, &s));
	EXPECT_EQ(sizeof(ev), write(ctl, &ev, sizeof(ev)));
	close(sink);
	close(ctl);
}

/* ------------------------------------------------------------ rights --- */

TEST_F(lease, a_read_only_file_can_only_read)
{
	struct vmsig_rights r = { .size = sizeof(r) };
	struct vmsig_event up = { .type = 0x200, .source = VMSIG_SRC_SENSOR };
	struct vmsig_memctx mc = { .size = sizeof(mc), .mode = VMSIG_PAGING_X86_64_4LEVEL };
	struct vmsig_sink s = { .size = sizeof(s), .source = VMSIG_SRC_INPUT };
	int memfd = memfd_create("ram", MFD_CLOEXEC);
	int ep, ro, sub, same;
	uint64_t t, v;

	ASSERT_EQ(0, ftruncate(memfd, M));
	ep = attach(self->dev, VMSIG_BACKEND_RAMFD, memfd);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, xioctl(ep, VMSIG_IOC_GET_RIGHTS, &r));
	EXPECT_EQ(VMSIG_RIGHTS_ALL, r.rights);
	ro = derive(ep, VMSIG_RIGHT_MEM_READ, true);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, xioctl(ro, VMSIG_IOC_GET_RIGHTS, &r));
	EXPECT_EQ(VMSIG_RIGHT_MEM_READ, r.rights);

	EXPECT_EQ(0, read64(ro, 0x100, &v));
	EXPECT_EQ(-EPERM, mem_write(ro, 0x100, &v, 8, 1, 0));
	for (uint32_t c = 0; c < VMSIG_LEASE_CLASSES; c++)
		EXPECT_EQ(-EPERM, acquire(ro, c, &t));
	EXPECT_EQ(-EPERM, xioctl(ro, VMSIG_IOC_BIND_SINK, &s));
	EXPECT_EQ(-EPERM, xioctl(ro, VMSIG_IOC_SET_MEMCTX, &mc));
	EXPECT_EQ(-EPERM, lease_op(ro, VMSIG_IOC_LEASE_REVOKE, 0, 0, 0, 0, NULL));
	EXPECT_EQ(-1, write(ro, &up, sizeof(up)));
	EXPECT_EQ(EPERM, errno);
	up.type = 0x8100;
	up.dir = VMSIG_DIR_DOWN;
	EXPECT_EQ(-1, write(ro, &up, sizeof(up)));
	EXPECT_EQ(EPERM, errno);
	/* Rights only shrink. */
	EXPECT_EQ(-EPERM, derive(ro, VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_EMIT, true));
	EXPECT_EQ(-EINVAL, derive(ro, VMSIG_RIGHTS_ALL + 1, true));
	sub = derive(ro, 0, true);
	ASSERT_LE(0, sub);
	ASSERT_EQ(0, fcntl(sub, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EPERM, read64(sub, 0x100, &v));
	same = derive(ro, 0, false);
	ASSERT_LE(0, same);
	ASSERT_EQ(0, xioctl(same, VMSIG_IOC_GET_RIGHTS, &r));
	EXPECT_EQ(VMSIG_RIGHT_MEM_READ, r.rights);
	/* Reading events needs no right. */
	EXPECT_EQ(-1, read(sub, &up, sizeof(up)));
	EXPECT_EQ(EAGAIN, errno);
	close(same);
	close(sub);
	close(ro);
	close(ep);
	close(memfd);
}

TEST_F(lease, open_by_id_needs_cap_sys_admin)
{
	struct vmsig_ep_info info = { .size = sizeof(info) };
	struct vmsig_open_ep op = { .size = sizeof(op) };
	int fd, st;
	pid_t pid;

	ASSERT_EQ(0, xioctl(self->ep, VMSIG_IOC_EP_INFO, &info));
	op.ep_id = info.ep_id;
	fd = ioctl(self->dev, VMSIG_IOC_OPEN_EP, &op);
	ASSERT_LE(0, fd);
	EXPECT_EQ(fd, op.ep_fd);
	info.ep_id = 0;
	ASSERT_EQ(0, xioctl(fd, VMSIG_IOC_EP_INFO, &info));
	EXPECT_EQ(op.ep_id, info.ep_id);
	close(fd);
	op.ep_fd = 0;
	op.ep_id = 0x7ffffff0;
	EXPECT_EQ(-ENOENT, xioctl(self->dev, VMSIG_IOC_OPEN_EP, &op));
	op.ep_id = 0;
	EXPECT_EQ(-ENOENT, xioctl(self->dev, VMSIG_IOC_OPEN_EP, &op));
	/* Without the capability: refused. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		op.ep_id = info.ep_id;
		if (setresuid(65534, 65534, 65534))
			_exit(3);
		_exit(xioctl(self->dev, VMSIG_IOC_OPEN_EP, &op) == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

/* ----------------------------------------------------------- memwrite --- */

/* Slot 0 [0, 2M) logs dirty pages; slot 1 [2M, 4M); a gap from 4M. */
FIXTURE(mw) {
	int dev;
	int ep;
	struct vmm_child child;
};

static void start_child(struct __test_metadata *_metadata, struct vmm_child *c,
			bool counter, bool locked)
{
	struct vmm_child_cfg cfg = {
		.nr_slots = 2,
		.slots = {
			{ 0, 2 * M, KVM_MEM_LOG_DIRTY_PAGES, VMM_SLOT_MEMFD },
			{ 2 * M, 2 * M, 0, 0 },
		},
		.pattern = true, .seed = SEED,
		.counter = counter,
		.counter_cfg = {
			.pt_gpa = 3 * M, .pt_size = 64 * 1024,
			.code_gpa = 3 * M + 512 * 1024, .counter_gpa = 3 * M + 768 * 1024,
			.locked = locked,
		},
	};

	ASSERT_EQ(0, vmm_child_start(c, &cfg));
}

FIXTURE_SETUP(mw)
{
	start_child(_metadata, &self->child, false, false);
	self->dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->ep = attach(self->dev, VMSIG_BACKEND_KVM, self->child.vm_fd);
	ASSERT_LE(0, self->ep);
}

FIXTURE_TEARDOWN(mw)
{
	close(self->ep);
	close(self->dev);
	vmm_child_release(&self->child);
}

static uint64_t peek64(struct vmm_child *c, uint64_t gpa)
{
	uint64_t v = 0xdeadbeefdeadbeefULL;

	vmm_child_peek64(c, gpa, &v);
	return v;
}

TEST_F(mw, write_lands_only_under_the_lease)
{
	uint64_t v = 0x0123456789abcdefULL, t;
	uint8_t buf[100], back[100];

	EXPECT_EQ(-ESTALE, mem_write(self->ep, 0x2000, &v, 8, 0, 0));
	EXPECT_EQ(-ESTALE, mem_write(self->ep, 0x2000, &v, 8, 1, 0));
	ASSERT_EQ(0, acquire(self->ep, VMSIG_LEASE_MEMWRITE, &t));
	EXPECT_EQ(-ESTALE, mem_write(self->ep, 0x2000, &v, 8, t + 1, 0));
	EXPECT_EQ(vmm_pattern_word(0x2000, SEED), peek64(&self->child, 0x2000));
	ASSERT_EQ(0, mem_write(self->ep, 0x2000, &v, 8, t, 0));
	EXPECT_EQ(v, peek64(&self->child, 0x2000));
	/* Unaligned, odd-sized, across a page and a memslot boundary. */
	for (unsigned int i = 0; i < sizeof(buf); i++)
		buf[i] = i * 7 + 1;
	ASSERT_EQ(0, mem_write(self->ep, 2 * M - 37, buf, sizeof(buf), t, 0));
	/* The child reads each memslot through its own mapping. */
	ASSERT_EQ(0, vmm_child_peek(&self->child, 2 * M - 37, back, 37));
	ASSERT_EQ(0, vmm_child_peek(&self->child, 2 * M, back + 37, sizeof(back) - 37));
	EXPECT_EQ(0, memcmp(buf, back, sizeof(buf)));
	/* The bytes around it are untouched. */
	ASSERT_EQ(0, vmm_child_peek(&self->child, 2 * M - 45, back, 8));
	EXPECT_EQ(-1, vmm_pattern_check(2 * M - 45, back, 8, SEED));
}

TEST_F(mw, argument_rules)
{
	uint64_t v = 1, t;
	struct vmsig_mem_write w = { .size = sizeof(w), .len = 8, .buf = (uintptr_t)&v };

	ASSERT_EQ(0, acquire(self->ep, VMSIG_LEASE_MEMWRITE, &t));
	w.token = t;
	EXPECT_EQ(-EINVAL, mem_write(self->ep, 0, &v, 0, t, 0));
	EXPECT_EQ(-EINVAL, mem_write(self->ep, 0, &v, VMSIG_MEMWRITE_MAX + 1, t, 0));
	EXPECT_EQ(-EINVAL, mem_write(self->ep, ~0ULL - 3, &v, 8, t, 0));
	EXPECT_EQ(-EFAULT, mem_write(self->ep, 0, NULL, 8, t, 0));
	w.reserved0 = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_MEM_WRITE, &w));
	w.reserved0 = 0;
	w.expect = 1;	/* CAS fields without CAS */
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_MEM_WRITE, &w));
	w.expect = 0;
	w.flags = 0x80;
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_MEM_WRITE, &w));
	/* CAS: 1/2/4/8 bytes, naturally aligned, values that fit. */
	EXPECT_EQ(-EINVAL, cas(self->ep, 0x1000, 3, 0, 0, t, NULL));
	EXPECT_EQ(-EINVAL, cas(self->ep, 0x1002, 4, 0, 0, t, NULL));
	EXPECT_EQ(-EINVAL, cas(self->ep, 0x1000, 2, 0, 0x10000, t, NULL));
	EXPECT_EQ(-EINVAL, cas(self->ep, 0x1000, 16, 0, 0, t, NULL));
	/* Virtual without memctx. */
	EXPECT_EQ(-ENODATA, mem_write(self->ep, 0x1000, &v, 8, t, VMSIG_WRITE_VIRT));
	/* Epoch. */
	w = (struct vmsig_mem_write){ .size = sizeof(w), .flags = VMSIG_WRITE_EPOCH,
				      .len = 8, .buf = (uintptr_t)&v, .token = t, .epoch = 9 };
	EXPECT_EQ(-ESTALE, xioctl(self->ep, VMSIG_IOC_MEM_WRITE, &w));
	EXPECT_EQ(vmm_pattern_word(0, SEED), peek64(&self->child, 0));
}

TEST_F(mw, a_range_with_a_gap_writes_nothing)
{
	static uint8_t buf[3 * 4096];
	uint8_t back[64];
	uint64_t t;

	ASSERT_EQ(0, acquire(self->ep, VMSIG_LEASE_MEMWRITE, &t));
	memset(buf, 0x5a, sizeof(buf));
	/* Two pages of slot 1, then the gap at 4M. */
	EXPECT_EQ(-EFAULT, mem_write(self->ep, 4 * M - 2 * 4096, buf, sizeof(buf), t, 0));
	ASSERT_EQ(0, vmm_child_peek(&self->child, 4 * M - 2 * 4096, back, sizeof(back)));
	EXPECT_EQ(-1, vmm_pattern_check(4 * M - 2 * 4096, back, sizeof(back), SEED));
	ASSERT_EQ(0, vmm_child_peek(&self->child, 4 * M - 64, back, sizeof(back)));
	EXPECT_EQ(-1, vmm_pattern_check(4 * M - 64, back, sizeof(back), SEED));
}

TEST_F(mw, revoked_token_cannot_write)
{
	int a = derive(self->ep, 0, false), b = derive(self->ep, 0, false);
	uint64_t ta, tb, v = 42;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, acquire(a, VMSIG_LEASE_MEMWRITE, &ta));
	ASSERT_EQ(0, lease_op(self->ep, VMSIG_IOC_LEASE_REVOKE, VMSIG_LEASE_MEMWRITE,
			      0, 0, 0, NULL));
	ASSERT_EQ(0, acquire(b, VMSIG_LEASE_MEMWRITE, &tb));
	EXPECT_EQ(-ESTALE, mem_write(a, 0x3000, &v, 8, ta, 0));
	EXPECT_EQ(-ESTALE, mem_write(a, 0x3000, &v, 8, tb, 0));
	EXPECT_EQ(vmm_pattern_word(0x3000, SEED), peek64(&self->child, 0x3000));
	ASSERT_EQ(0, mem_write(b, 0x3000, &v, 8, tb, 0));
	EXPECT_EQ(42, peek64(&self->child, 0x3000));
	close(a);
	close(b);
}

TEST_F(mw, dirty_log_reports_exactly_the_written_pages)
{
	uint8_t bm[2 * M / 4096 / 8];
	static uint8_t two[4096 + 16];
	uint64_t t, v = 7;

	/* Harvest (and so clear) what the log holds now. */
	ASSERT_EQ(0, vmm_child_dirty_log(&self->child, 0, bm, sizeof(bm)));
	ASSERT_EQ(0, acquire(self->ep, VMSIG_LEASE_MEMWRITE, &t));
	ASSERT_EQ(0, mem_write(self->ep, 3 * 4096 + 8, &v, 8, t, 0));
	ASSERT_EQ(0, mem_write(self->ep, 5 * 4096, &v, 1, t, 0));
	ASSERT_EQ(0, mem_write(self->ep, 10 * 4096 - 8, two, sizeof(two), t, 0));
	/* CAS that does not swap writes nothing, so dirties nothing. */
	ASSERT_EQ(0, cas(self->ep, 20 * 4096, 8, 1, 2, t, NULL));
	/* Slot 1 does not log; writing there must not touch slot 0's log. */
	ASSERT_EQ(0, mem_write(self->ep, 2 * M + 4096, &v, 8, t, 0));
	ASSERT_EQ(0, vmm_child_dirty_log(&self->child, 0, bm, sizeof(bm)));
	for (unsigned int pg = 0; pg < 2 * M / 4096; pg++) {
		bool dirty = bm[pg / 8] & (1 << (pg % 8));
		/* 4112 bytes from page 9 offset 4088 end in page 11. */
		bool want = pg == 3 || pg == 5 || pg == 9 || pg == 10 || pg == 11;

		EXPECT_EQ(want, dirty) TH_LOG("page %u", pg);
	}
}

TEST_F(mw, compare_and_swap)
{
	uint64_t t, old, base = vmm_pattern_word(0x4000, SEED);

	ASSERT_EQ(0, acquire(self->ep, VMSIG_LEASE_MEMWRITE, &t));
	EXPECT_EQ(0, cas(self->ep, 0x4000, 8, base + 1, 99, t, &old));
	EXPECT_EQ(base, old);
	EXPECT_EQ(base, peek64(&self->child, 0x4000));
	EXPECT_EQ(1, cas(self->ep, 0x4000, 8, base, 99, t, &old));
	EXPECT_EQ(base, old);
	EXPECT_EQ(99, peek64(&self->child, 0x4000));
	/* Narrow CAS touches only its bytes. */
	EXPECT_EQ(1, cas(self->ep, 0x4002, 2, 0, 0xbeef, t, &old));
	EXPECT_EQ(99 | 0xbeefULL << 16, peek64(&self->child, 0x4000));
	EXPECT_EQ(1, cas(self->ep, 0x4007, 1, 0, 0xff, t, &old));
	EXPECT_EQ(99 | 0xbeefULL << 16 | 0xffULL << 56, peek64(&self->child, 0x4000));
}

TEST_F(mw, virtual_write_through_the_memctx)
{
	struct vmsig_memctx mc = { .size = sizeof(mc), .mode = VMSIG_PAGING_X86_64_4LEVEL };
	struct vmm_child c;
	uint64_t t, v = 0xfeedULL, counter_gva;
	int ep;

	/* The counter guest's tables map its counter; write through them. */
	start_child(_metadata, &c, true, false);
	ep = attach(self->dev, VMSIG_BACKEND_KVM, c.vm_fd);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, vmm_child_vcpu_stop(&c));
	mc.root = c.cr3;
	ASSERT_EQ(0, xioctl(ep, VMSIG_IOC_SET_MEMCTX, &mc));
	counter_gva = 3 * M + 768 * 1024;	/* identity mapped */
	ASSERT_EQ(0, acquire(ep, VMSIG_LEASE_MEMWRITE, &t));
	ASSERT_EQ(0, mem_write(ep, counter_gva + 8, &v, 8, t, VMSIG_WRITE_VIRT));
	EXPECT_EQ(v, peek64(&c, 3 * M + 768 * 1024 + 8));
	EXPECT_EQ(-ENXIO, mem_write(ep, 0x7f0000000000ULL, &v, 8, t, VMSIG_WRITE_VIRT));
	close(ep);
	vmm_child_release(&c);
}

TEST_F(mw, a_running_vcpu_sees_the_write)
{
	const uint64_t gpa = 3 * M + 768 * 1024, big = 1ULL << 40;
	struct vmm_child c;
	uint64_t t, v = 0;
	int ep;

	start_child(_metadata, &c, true, false);
	ep = attach(self->dev, VMSIG_BACKEND_KVM, c.vm_fd);
	ASSERT_LE(0, ep);
	for (int i = 0; i < 2000 && !v; i++) {
		ASSERT_EQ(0, read64(ep, gpa, &v));
		usleep(1000);
	}
	ASSERT_NE(0, v);
	ASSERT_LT(v, big);
	ASSERT_EQ(0, acquire(ep, VMSIG_LEASE_MEMWRITE, &t));
	ASSERT_EQ(0, mem_write(ep, gpa, &big, 8, t, 0));
	/* The guest goes on counting from the value it found in memory. */
	for (int i = 0; i < 2000 && v <= big; i++) {
		ASSERT_EQ(0, read64(ep, gpa, &v));
		usleep(1000);
	}
	EXPECT_GT(v, big);
	EXPECT_LT(v, big + (1ULL << 36));
	close(ep);
	vmm_child_release(&c);
}

TEST_F(mw, cas_loses_no_increment_against_a_running_vcpu)
{
	const uint64_t gpa = 3 * M + 768 * 1024, step = 1000;
	uint64_t t, shared, own, old, added = 0;
	int ok = 0, failed = 0, ep;
	struct vmm_child c;

	start_child(_metadata, &c, true, true);
	ep = attach(self->dev, VMSIG_BACKEND_KVM, c.vm_fd);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, acquire(ep, VMSIG_LEASE_MEMWRITE, &t));
	/* Let the guest start counting before racing it. */
	shared = 0;
	for (int i = 0; i < 2000 && !shared; i++) {
		ASSERT_EQ(0, read64(ep, gpa, &shared));
		usleep(1000);
	}
	ASSERT_NE(0, shared) TH_LOG("the guest never counted");
	for (int round = 0; round < 300; round++) {
		int r;

		ASSERT_EQ(0, read64(ep, gpa, &shared));
		/* Every other round, give the vCPU time to move the counter. */
		if (round & 1)
			usleep(200);
		r = cas(ep, gpa, 8, shared, shared + step, t, &old);
		ASSERT_LE(0, r);
		if (r) {
			ok++;
			added += step;
		} else {
			failed++;
			EXPECT_GT(old, shared);
		}
	}
	ASSERT_EQ(0, vmm_child_vcpu_stop(&c));
	shared = peek64(&c, gpa);
	own = peek64(&c, gpa + 8);
	TH_LOG("%d swaps, %d misses, guest count %lu", ok, failed, own);
	EXPECT_GT(ok, 0);
	EXPECT_GT(failed, 0);
	EXPECT_GT(own, 0);
	/* Every guest increment and every swap is there, none lost. */
	EXPECT_EQ(own + added, shared);
	close(ep);
	vmm_child_release(&c);
}

static int enable_dirty_ring(struct vmm *vm, void *arg)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DIRTY_LOG_RING, .args = { 65536 } };

	return ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

TEST(dirty_ring_vms_are_refused_not_lost)
{
	struct vmm_child_cfg cfg = {
		.nr_slots = 2,
		.slots = {
			{ 0, M, KVM_MEM_LOG_DIRTY_PAGES, 0 },
			{ M, M, 0, 0 },
		},
		.pattern = true, .seed = SEED, .setup = enable_dirty_ring,
	};
	struct vmm_child c;
	uint64_t t, v = 5;
	int dev, ep;

	ASSERT_EQ(0, vmm_child_start(&c, &cfg));
	dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ep = attach(dev, VMSIG_BACKEND_KVM, c.vm_fd);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, acquire(ep, VMSIG_LEASE_MEMWRITE, &t));
	EXPECT_EQ(-EOPNOTSUPP, mem_write(ep, 0x1000, &v, 8, t, 0));
	EXPECT_EQ(vmm_pattern_word(0x1000, SEED), peek64(&c, 0x1000));
	/* A slot that does not log can be written. */
	EXPECT_EQ(0, mem_write(ep, M + 0x1000, &v, 8, t, 0));
	EXPECT_EQ(5, peek64(&c, M + 0x1000));
	close(ep);
	close(dev);
	vmm_child_release(&c);
}

TEST(ramfd_writes_respect_the_file)
{
	int memfd = memfd_create("ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	struct vmsig_attach at = { .size = sizeof(at), .backend = VMSIG_BACKEND_RAMFD };
	uint64_t t, t_ro, v = 0x77, got = 0;
	char path[64];
	int ro, ep, ep_ro, st;
	pid_t pid;

	ASSERT_EQ(0, ftruncate(memfd, M));
	at.fd = memfd;
	ep = ioctl(dev, VMSIG_IOC_ATTACH, &at);
	ASSERT_LE(0, ep);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	at = (struct vmsig_attach){ .size = sizeof(at), .backend = VMSIG_BACKEND_RAMFD };
	at.fd = ro;
	ep_ro = ioctl(dev, VMSIG_IOC_ATTACH, &at);
	ASSERT_LE(0, ep_ro);
	ASSERT_EQ(0, acquire(ep, VMSIG_LEASE_MEMWRITE, &t));
	ASSERT_EQ(0, mem_write(ep, 0x800, &v, 8, t, 0));
	/* Another process sees it through its own mapping of the file. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint64_t *p = mmap(NULL, M, PROT_READ, MAP_SHARED, memfd, 0);

		_exit(p != MAP_FAILED && p[0x100] == 0x77 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	/* The RAM file was opened read-only for this endpoint. */
	ASSERT_EQ(0, acquire(ep_ro, VMSIG_LEASE_MEMWRITE, &t_ro));
	EXPECT_EQ(-EBADF, mem_write(ep_ro, 0x800, &v, 8, t_ro, 0));
	/* A write seal is honoured, and the refused write changed nothing. */
	ASSERT_EQ(0, fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE));
	v = 0x99;
	EXPECT_EQ(-EPERM, mem_write(ep, 0x800, &v, 8, t, 0));
	ASSERT_EQ(0, read64(ep, 0x800, &got));
	EXPECT_EQ(0x77, got);
	close(ep_ro);
	close(ro);
	close(ep);
	close(memfd);
	close(dev);
}

TEST_HARNESS_MAIN
