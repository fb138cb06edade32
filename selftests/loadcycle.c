// SPDX-License-Identifier: GPL-2.0
/*
 * Load/unload cycles: vmsig.ko is unloaded, loaded again, used (handshake,
 * endpoints on every backend, events, DOWN routing, leases, memory), and
 * unloaded again, many times over.  What each cycle proves:
 *
 * - unload is refused (EAGAIN/EWOULDBLOCK, or EBUSY) while /dev/vmsig or
 *   any endpoint file is open anywhere, also in another process;
 * - /dev/vmsig and /sys/module/vmsig disappear with the module and come
 *   back with it;
 * - nothing the module left behind (a KVM VM reference, an mmu notifier on
 *   a live mm, a generic netlink family with listeners, a lease held at
 *   close, a DOWN event in flight at close) breaks the next load or the
 *   kernel.  On the debug kernel, kmemleak sees every cycle's allocations.
 *
 * The module is always left loaded: the VM's init unloads it last and
 * checks that it can.  The system calls are made directly (the test is a
 * static binary and the VM has only busybox insmod/rmmod).
 *
 * VMSIG_LOADCYCLES (environment) sets the number of cycles, default 100.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/vmsig.h>
#include <linux/vmsig_netlink.h>

#include "fdpass.h"
#include "kselftest_harness.h"
#include "vmm.h"
#include "vtest.h"

#define MODULE_PATH	"/lib/modules/vmsig.ko"
#define M		(1ULL << 20)

static int unload(void)
{
	return syscall(SYS_delete_module, "vmsig", O_NONBLOCK) ? -errno : 0;
}

static int load(void)
{
	int fd = open(MODULE_PATH, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* devtmpfs nodes come and go synchronously; allow a moment anyway. */
static bool wait_exists(const char *path, bool want)
{
	for (int i = 0; i < 200; i++) {
		if (exists(path) == want)
			return true;
		usleep(5000);
	}
	return false;
}

static bool refused(int err)
{
	return err == -EAGAIN || err == -EBUSY;
}

/* Whatever happened, leave vmsig loaded for the tests after this one. */
static void ensure_loaded(void)
{
	if (!exists("/sys/module/vmsig"))
		load();
}

/* ------------------------------------------- generic netlink listener --- */

struct nlbuf {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[4096];
};

/* The audit group's id of family "vmsig", or -errno. */
static int genl_audit_group(int sock)
{
	struct nlbuf req = { 0 }, rep;
	struct nlattr *na = (struct nlattr *)req.attrs;
	int len, group = -ENOENT;

	req.nh.nlmsg_type = GENL_ID_CTRL;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.gh.cmd = CTRL_CMD_GETFAMILY;
	req.gh.version = 1;
	na->nla_type = CTRL_ATTR_FAMILY_NAME;
	na->nla_len = NLA_HDRLEN + sizeof(VMSIG_GENL_NAME);
	memcpy((char *)na + NLA_HDRLEN, VMSIG_GENL_NAME, sizeof(VMSIG_GENL_NAME));
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(na->nla_len);
	if (send(sock, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	len = recv(sock, &rep, sizeof(rep), 0);
	if (len < 0)
		return -errno;
	if (rep.nh.nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(&rep.nh))->error ?: -EPROTO;
	len = rep.nh.nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	for (na = (struct nlattr *)rep.attrs; len >= NLA_HDRLEN && na->nla_len >= NLA_HDRLEN;
	     len -= NLA_ALIGN(na->nla_len),
	     na = (struct nlattr *)((char *)na + NLA_ALIGN(na->nla_len))) {
		struct nlattr *grp, *a;
		int glen, alen;

		if ((na->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		glen = na->nla_len - NLA_HDRLEN;
		for (grp = (struct nlattr *)((char *)na + NLA_HDRLEN); glen >= NLA_HDRLEN;
		     glen -= NLA_ALIGN(grp->nla_len),
		     grp = (struct nlattr *)((char *)grp + NLA_ALIGN(grp->nla_len))) {
			int id = -1;
			bool audit = false;

			alen = grp->nla_len - NLA_HDRLEN;
			for (a = (struct nlattr *)((char *)grp + NLA_HDRLEN); alen >= NLA_HDRLEN;
			     alen -= NLA_ALIGN(a->nla_len),
			     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
				if (a->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = *(uint32_t *)((char *)a + NLA_HDRLEN);
				if (a->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
					audit = !strcmp((char *)a + NLA_HDRLEN,
							VMSIG_GENL_MCGRP_AUDIT);
			}
			if (audit && id >= 0)
				group = id;
		}
	}
	return group;
}

/* A socket listening to vmsig's audit records, or -errno. */
static int audit_listener(void)
{
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			  NETLINK_GENERIC);
	struct pollfd pfd;
	int grp, ret;

	if (sock < 0)
		return -errno;
	/* The family request is answered at once; wait for it blocking. */
	pfd = (struct pollfd){ .fd = sock, .events = POLLIN };
	grp = 0;
	ret = genl_audit_group(sock);
	if (ret == -EAGAIN && poll(&pfd, 1, 1000) == 1)
		ret = genl_audit_group(sock);
	grp = ret;
	if (grp < 0) {
		close(sock);
		return grp;
	}
	if (setsockopt(sock, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp))) {
		ret = -errno;
		close(sock);
		return ret;
	}
	return sock;
}

/* Drain what the listener got; the count of messages. */
static int drain(int sock)
{
	static char buf[65536];
	int n = 0;

	while (recv(sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

/* --------------------------------------------------------------- use --- */

/*
 * Use every part of the module once, with files open in this process;
 * unload must be refused at the end.  @vm_fd is a KVM VM of this process;
 * with @child, a VM in a VMM child whose exit kills its endpoint.
 * Returns 0 or the line that failed.
 */
static int use_module(int vm_fd, bool child)
{
	struct vmsig_api api = { .size = sizeof(api) };
	struct vmsig_memctx mc = { .size = sizeof(mc), .root = 0x1000,
				   .mode = VMSIG_PAGING_X86_64_4LEVEL };
	struct vmsig_event ev = vt_up(0x200, VMSIG_SRC_SENSOR, 0, 42), got[8];
	struct vmsig_event down = { .type = 0x8100, .dir = VMSIG_DIR_DOWN,
				    .source = VMSIG_SRC_CONTROL };
	struct vmm_child_cfg cfg = { .nr_slots = 1, .slots = { { 0, M, 0, 0 } } };
	int dev, none, ram, kvm, rd, sink, memfd, ckvm = -1, line = 0;
	struct vmm_child c = { .pid = 0, .sock = -1, .pidfd = -1, .vm_fd = -1 };
	uint64_t tok, v = 0x1122334455667788ULL, back = 0;

#define CHECK(cond) do { if (!(cond) && !line) line = __LINE__; } while (0)
	dev = vt_open_dev();
	if (dev < 0)
		return __LINE__;
	CHECK(!vt_ioctl(dev, VMSIG_IOC_GET_API, &api));
	CHECK(api.abi_version == VMSIG_ABI_VERSION);
	memfd = vt_memfd("cycle", M);
	none = vt_attach(dev, VMSIG_BACKEND_NONE, -1, VMSIG_ATTACH_NONBLOCK);
	ram = vt_attach(dev, VMSIG_BACKEND_RAMFD, memfd, VMSIG_ATTACH_NONBLOCK);
	kvm = vt_attach(dev, VMSIG_BACKEND_KVM, vm_fd, VMSIG_ATTACH_NONBLOCK);
	CHECK(none >= 0 && ram >= 0 && kvm >= 0);
	/* Only endpoint files open now: still pinned. */
	close(dev);
	CHECK(refused(unload()));

	/* Events: fan-out, a retained record, a DOWN event left in flight. */
	rd = vt_derive(none, 0, false, VMSIG_ATTACH_NONBLOCK);
	sink = vt_derive(none, 0, false, VMSIG_ATTACH_NONBLOCK);
	CHECK(rd >= 0 && sink >= 0);
	CHECK(vt_write_ev(none, &ev, 1) == 1);
	CHECK(vt_read_ev(rd, got, 8) == 1 && got[0].payload.u64[0] == 42);
	ev.flags = VMSIG_EVF_RETAIN;
	CHECK(vt_write_ev(none, &ev, 1) == 1);
	CHECK(!vt_bind_sink(sink, VMSIG_SRC_CONTROL, 0));
	CHECK(vt_write_ev(rd, &down, 1) == 1);

	/* Leases and memory; one lease stays held until the file closes. */
	CHECK(!vt_acquire(ram, VMSIG_LEASE_MEMWRITE, &tok));
	CHECK(!vt_mem_write(ram, 0x800, &v, 8, tok));
	CHECK(!vt_mem_read(ram, 0x800, &back, 8) && back == v);
	CHECK(!vt_acquire(none, VMSIG_LEASE_INPUT, &tok));
	CHECK(!vt_ioctl(kvm, VMSIG_IOC_SET_MEMCTX, &mc));
	CHECK(!vt_mem_read(kvm, 0x100, &back, 8));

	if (child && !vmm_child_start(&c, &cfg)) {
		ckvm = vt_attach(none, VMSIG_BACKEND_KVM, c.vm_fd, 0);
		/* An endpoint file is not /dev/vmsig: ENOTTY. */
		CHECK(ckvm == -ENOTTY);
		dev = vt_open_dev();
		ckvm = vt_attach(dev, VMSIG_BACKEND_KVM, c.vm_fd, VMSIG_ATTACH_NONBLOCK);
		close(dev);
		CHECK(ckvm >= 0);
		CHECK(!vt_mem_read(ckvm, 0x100, &back, 8));
		/* The VMM dies under its endpoint, which stays open. */
		CHECK(vmm_child_kill(&c) >= 0);
		CHECK(vt_mem_read(ckvm, 0x100, &back, 8) == -ESRCH);
	}
	CHECK(refused(unload()));

	close(rd);
	close(none);	/* the input lease ends with its file */
	close(sink);	/* the DOWN event gets its -EPIPE ACK into the void */
	close(ram);
	CHECK(refused(unload()));
	close(kvm);
	if (ckvm >= 0)
		close(ckvm);
	vmm_child_release(&c);
	close(memfd);
#undef CHECK
	return line;
}

FIXTURE(cycle) {
	struct vmm vm;
};

FIXTURE_SETUP(cycle)
{
	ASSERT_TRUE(exists("/dev/vmsig")) TH_LOG("vmsig must be loaded to start");
	/* A VM of this very process: vmsig registers on our own live mm. */
	ASSERT_EQ(0, vmm_create(&self->vm));
	ASSERT_NE(NULL, vmm_add_slot(&self->vm, 0, M, 0, 0));
}

FIXTURE_TEARDOWN(cycle)
{
	vmm_destroy(&self->vm);
	ensure_loaded();
}

TEST_F_TIMEOUT(cycle, unload_refused_while_files_are_open, 120)
{
	int dev, ep, sv[2], st;
	char x;
	pid_t pid;

	dev = vt_open_dev();
	ASSERT_LE(0, dev);
	EXPECT_TRUE(refused(unload())) TH_LOG("unloaded under an open /dev/vmsig");
	ASSERT_TRUE(exists("/dev/vmsig"));
	ep = vt_attach(dev, VMSIG_BACKEND_KVM, self->vm.vm_fd, 0);
	ASSERT_LE(0, ep);
	close(dev);
	EXPECT_TRUE(refused(unload())) TH_LOG("unloaded under an endpoint file");

	/* Passed to another process and closed here: still pinned. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		close(ep);
		fd = recv_fd(sv[1]);
		if (fd < 0)
			_exit(1);
		/* Hold it until the parent says so. */
		_exit(read(sv[1], &x, 1) == 1 ? 0 : 2);
	}
	ASSERT_EQ(0, send_fd(sv[0], ep));
	close(ep);
	/* The child may not have received it yet: it is in flight, still held. */
	EXPECT_TRUE(refused(unload())) TH_LOG("unloaded under a passed endpoint file");
	ASSERT_EQ(1, write(sv[0], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	close(sv[0]);
	close(sv[1]);

	/* Every file closed: the unload goes through, and the device goes. */
	ASSERT_EQ(0, unload());
	EXPECT_TRUE(wait_exists("/dev/vmsig", false));
	EXPECT_FALSE(exists("/sys/module/vmsig"));
	EXPECT_EQ(-ENOENT, unload());
	ASSERT_EQ(0, load());
	EXPECT_TRUE(wait_exists("/dev/vmsig", true));
	/* Loading twice is refused. */
	EXPECT_EQ(-EEXIST, load());
}

TEST_F_TIMEOUT(cycle, cycles, 900)
{
	unsigned int n = vt_env_u64("VMSIG_LOADCYCLES", 100);
	uint64_t start = vt_now_ns();
	int lst = audit_listener(), msgs = 0;

	/*
	 * A listener of the audit group stays open across every unload (the
	 * family goes away under it); a fresh one each cycle must hear the
	 * new family's records.
	 */
	ASSERT_LE(0, lst) TH_LOG("audit listener: %s", strerror(-lst));
	TH_LOG("%u cycles", n);
	for (unsigned int i = 0; i < n; i++) {
		int line, fresh;

		ASSERT_EQ(0, unload()) TH_LOG("cycle %u: unload", i);
		ASSERT_TRUE(wait_exists("/dev/vmsig", false)) TH_LOG("cycle %u", i);
		ASSERT_FALSE(exists("/sys/module/vmsig")) TH_LOG("cycle %u", i);
		ASSERT_EQ(-ENOENT, vt_open_dev()) TH_LOG("cycle %u", i);
		ASSERT_EQ(0, load()) TH_LOG("cycle %u: load", i);
		ASSERT_TRUE(wait_exists("/dev/vmsig", true)) TH_LOG("cycle %u", i);
		fresh = audit_listener();
		ASSERT_LE(0, fresh) TH_LOG("cycle %u: audit listener: %s", i, strerror(-fresh));
		/* Every tenth cycle a VMM child dies under its endpoint. */
		line = use_module(self->vm.vm_fd, i % 10 == 0);
		ASSERT_EQ(0, line) TH_LOG("cycle %u: use failed at line %d", i, line);
		EXPECT_LT(0, drain(fresh)) TH_LOG("cycle %u: no audit record", i);
		close(fresh);
	}
	msgs = drain(lst);
	close(lst);
	TH_LOG("%u cycles in %llu ms; the first listener got %d messages", n,
	       (unsigned long long)(vt_now_ns() - start) / 1000000, msgs);
	/* Left loaded and unused, as init expects it. */
	EXPECT_TRUE(exists("/dev/vmsig"));
}

TEST_HARNESS_MAIN
