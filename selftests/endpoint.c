// SPDX-License-Identifier: GPL-2.0
/*
 * Endpoints: attach for each backend, every attach argument rule, the none
 * backend's answers to memory operations, and fd hygiene (no fd left behind
 * by a failed attach).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/vmsig.h>

#include "kselftest_harness.h"

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* Attach; returns the endpoint fd or -errno. */
static int attach(int dev, __u32 backend, int fd, __u64 base, __u64 size,
		  struct vmsig_attach *out)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .backend = backend, .fd = fd,
		.ram_base = base, .ram_size = size,
	};
	int ret = ioctl(dev, VMSIG_IOC_ATTACH, &at);

	if (out)
		*out = at;
	return ret < 0 ? -errno : ret;
}

/* The lowest free descriptor: a failed attach must not move it. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

static int make_memfd(size_t size)
{
	int fd = memfd_create("vmsig-test", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, size)) {
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE(ep) {
	int dev;
	int kvm;
	int vm;
};

FIXTURE_SETUP(ep)
{
	self->dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->kvm);
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
}

FIXTURE_TEARDOWN(ep)
{
	close(self->vm);
	close(self->kvm);
	close(self->dev);
}

TEST_F(ep, handshake_announces_endpoints)
{
	struct vmsig_api api = { .size = sizeof(api) };

	ASSERT_EQ(0, xioctl(self->dev, VMSIG_IOC_GET_API, &api));
	EXPECT_TRUE(api.features & VMSIG_FEAT_BACKEND_NONE);
	EXPECT_TRUE(api.features & VMSIG_FEAT_BACKEND_KVM);
	EXPECT_TRUE(api.features & VMSIG_FEAT_BACKEND_RAMFD);
	EXPECT_TRUE(api.features & VMSIG_FEAT_MEM_READ);
	EXPECT_TRUE(api.features & VMSIG_FEAT_MEMCTX);
	EXPECT_TRUE(api.ioctls & (1ULL << _IOC_NR(VMSIG_IOC_ATTACH)));
	EXPECT_TRUE(api.ioctls & (1ULL << _IOC_NR(VMSIG_IOC_MEM_READ)));
	EXPECT_TRUE(api.ioctls & (1ULL << _IOC_NR(VMSIG_IOC_INVALIDATE_MEMCTX)));
}

TEST_F(ep, attach_each_backend)
{
	struct vmsig_ep_info info = { .size = sizeof(info) };
	struct vmsig_attach a, b, c;
	int memfd = make_memfd(1 << 20);
	int e1, e2, e3;

	ASSERT_LE(0, memfd);
	e1 = attach(self->dev, VMSIG_BACKEND_NONE, -1, 0, 0, &a);
	ASSERT_LE(0, e1);
	EXPECT_EQ(e1, a.ep_fd);
	EXPECT_LT(0, a.ep_id);
	e2 = attach(self->dev, VMSIG_BACKEND_KVM, self->vm, 0, 0, &b);
	ASSERT_LE(0, e2);
	e3 = attach(self->dev, VMSIG_BACKEND_RAMFD, memfd, 0x100000, 0, &c);
	ASSERT_LE(0, e3);
	/* Endpoints of many VMs coexist, each with its own id. */
	EXPECT_NE(a.ep_id, b.ep_id);
	EXPECT_NE(b.ep_id, c.ep_id);
	EXPECT_NE(a.ep_id, c.ep_id);
	/* Endpoint fds are close-on-exec. */
	EXPECT_EQ(FD_CLOEXEC, fcntl(e1, F_GETFD) & FD_CLOEXEC);

	ASSERT_EQ(0, xioctl(e2, VMSIG_IOC_EP_INFO, &info));
	EXPECT_EQ(b.ep_id, info.ep_id);
	EXPECT_EQ(VMSIG_BACKEND_KVM, info.backend);
	/* This process created the VM. */
	EXPECT_EQ(getpid(), info.vmm_pid);
	EXPECT_EQ(0, info.epoch);
	ASSERT_EQ(0, xioctl(e3, VMSIG_IOC_EP_INFO, &info));
	EXPECT_EQ(VMSIG_BACKEND_RAMFD, info.backend);
	EXPECT_EQ(0, info.vmm_pid);
	close(e1);
	close(e2);
	close(e3);
	close(memfd);
}

TEST_F(ep, nonblock_flag_sets_o_nonblock)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .flags = VMSIG_ATTACH_NONBLOCK,
		.backend = VMSIG_BACKEND_NONE, .fd = -1,
	};
	int fd = ioctl(self->dev, VMSIG_IOC_ATTACH, &at);

	ASSERT_LE(0, fd);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	at.flags = 1u << 1;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, VMSIG_IOC_ATTACH, &at));
}

TEST_F(ep, attach_argument_rules)
{
	int memfd = make_memfd(1 << 20);
	int pipefd[2];
	int before = lowest_free_fd();

	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, pipe(pipefd));
	before = lowest_free_fd();
	/* Unknown backend. */
	EXPECT_EQ(-EINVAL, attach(self->dev, 3, -1, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, attach(self->dev, ~0u, -1, 0, 0, NULL));
	/* none takes no fd and no RAM window. */
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_NONE, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_NONE, -1, 4096, 0, NULL));
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_KVM, self->vm, 0, 4096, NULL));
	/* kvm: not a VM, not open. */
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_KVM, memfd, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_KVM, self->kvm, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_KVM, self->dev, 0, 0, NULL));
	EXPECT_EQ(-EBADF, attach(self->dev, VMSIG_BACKEND_KVM, 999, 0, 0, NULL));
	EXPECT_EQ(-EBADF, attach(self->dev, VMSIG_BACKEND_KVM, -1, 0, 0, NULL));
	/* ramfd: not shmem, misaligned, too large, above 2^52. */
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_RAMFD, pipefd[0], 0, 0, NULL));
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_RAMFD, self->vm, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_RAMFD, memfd, 100, 0, NULL));
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_RAMFD, memfd, 0, 100, NULL));
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_RAMFD, memfd, 0, 2 << 20, NULL));
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_RAMFD, memfd,
				  0xfffffffffff00000ULL, 1 << 20, NULL));
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_RAMFD, memfd,
				  (1ULL << 52) - 4096, 1 << 20, NULL));
	EXPECT_EQ(-EBADF, attach(self->dev, VMSIG_BACKEND_RAMFD, 999, 0, 0, NULL));
	/* Nothing above left a descriptor behind. */
	EXPECT_EQ(before, lowest_free_fd());
	close(pipefd[0]);
	close(pipefd[1]);
	close(memfd);
}

TEST_F(ep, ramfd_needs_a_readable_nonempty_file)
{
	int memfd = make_memfd(1 << 20);
	char path[64];
	int wronly, empty;

	ASSERT_LE(0, memfd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	wronly = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, wronly);
	EXPECT_EQ(-EBADF, attach(self->dev, VMSIG_BACKEND_RAMFD, wronly, 0, 0, NULL));
	empty = make_memfd(0);
	ASSERT_LE(0, empty);
	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_RAMFD, empty, 0, 0, NULL));
	close(empty);
	close(wronly);
	close(memfd);
}

TEST_F(ep, attach_reserved_fields_and_outputs_must_be_zero)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .backend = VMSIG_BACKEND_NONE, .fd = -1,
	};
	int before = lowest_free_fd();

	at.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, VMSIG_IOC_ATTACH, &at));
	at.reserved[1] = 0;
	at.ep_id = 5;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, VMSIG_IOC_ATTACH, &at));
	at.ep_id = 0;
	at.ep_fd = 3;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, VMSIG_IOC_ATTACH, &at));
	EXPECT_EQ(before, lowest_free_fd());
}

TEST_F(ep, result_not_deliverable_leaves_no_fd)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .backend = VMSIG_BACKEND_KVM, .fd = self->vm,
	};
	int before = lowest_free_fd();
	void *ro;

	/* The argument is readable but the result cannot be written back. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memcpy(ro, &at, sizeof(at));
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, xioctl(self->dev, VMSIG_IOC_ATTACH, ro));
	EXPECT_EQ(before, lowest_free_fd());
	munmap(ro, 4096);
}

TEST_F(ep, none_backend_has_no_memory)
{
	struct vmsig_mem_entry e = { .addr = 0, .len = 8 };
	struct vmsig_mem_read rd = { .size = sizeof(rd), .count = 1 };
	struct vmsig_memctx mc = { .size = sizeof(mc), .mode = VMSIG_PAGING_X86_64_4LEVEL };
	__u64 buf;
	int fd = attach(self->dev, VMSIG_BACKEND_NONE, -1, 0, 0, NULL);

	ASSERT_LE(0, fd);
	e.buf = (__u64)(unsigned long)&buf;
	rd.entries = (__u64)(unsigned long)&e;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(fd, VMSIG_IOC_MEM_READ, &rd));
	EXPECT_EQ(-EOPNOTSUPP, xioctl(fd, VMSIG_IOC_SET_MEMCTX, &mc));
	mc.mode = 0;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(fd, VMSIG_IOC_INVALIDATE_MEMCTX, &mc));
	/* Reading the (empty) memctx is fine. */
	EXPECT_EQ(0, xioctl(fd, VMSIG_IOC_GET_MEMCTX, &mc));
	EXPECT_EQ(0, mc.mode);
	close(fd);
}

TEST_F(ep, endpoint_commands_are_not_device_commands)
{
	struct vmsig_ep_info info = { .size = sizeof(info) };
	struct vmsig_api api = { .size = sizeof(api) };
	int fd = attach(self->dev, VMSIG_BACKEND_NONE, -1, 0, 0, NULL);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, xioctl(self->dev, VMSIG_IOC_EP_INFO, &info));
	EXPECT_EQ(-ENOTTY, xioctl(fd, VMSIG_IOC_GET_API, &api));
	close(fd);
}

TEST_F(ep, endpoint_outlives_the_vm_fd)
{
	struct vmsig_ep_info info = { .size = sizeof(info) };
	int fd = attach(self->dev, VMSIG_BACKEND_KVM, self->vm, 0, 0, NULL);

	ASSERT_LE(0, fd);
	/* The endpoint holds the VM: closing the VMM's fd frees nothing. */
	close(self->vm);
	self->vm = open("/dev/null", O_RDONLY);
	EXPECT_EQ(0, xioctl(fd, VMSIG_IOC_EP_INFO, &info));
	EXPECT_EQ(VMSIG_BACKEND_KVM, info.backend);
	close(fd);
}

TEST_HARNESS_MAIN
