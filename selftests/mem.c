// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory reads, always cross-process: a forked VMM child owns the VM
 * and its memory, this process only holds the VM fd (or the RAM memfd) and
 * reads through vmsig.  Every expected byte comes from the pattern function
 * (a pure function of the guest-physical address) or from the child itself
 * over its control socket, never from a shared mapping.
 *
 * Guest-physical layout (both variants):
 *   [0, 2M)      slot 0, memfd; page tables at 1M, counter guest at 1.75M
 *   [2M, 4M)     kvm: slot 1 (anonymous); ramfd: second half of slot 0
 *   [4M, 6M)     gap
 *   [6M, 7M)     kvm only: slot 2
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vmsig.h>

#include "kselftest_harness.h"
#include "vmm.h"

#define SEED		0x5eed0123456789abULL
#define M		(1ULL << 20)
#define PT4_POOL	(1 * M)
#define PT5_POOL	(1 * M + 512 * 1024)
#define POOL_SIZE	(256 * 1024)

/* Guest-virtual addresses the page tables map. */
#define GVA_4K		0x00007f0000001000ULL	/* -> 0x3000 */
#define GVA_4K_NEXT	0x00007f0000002000ULL	/* -> 2M + 0x1000 */
#define GVA_NP		0x00007f0000003000ULL	/* not present */
#define GVA_2M		0x00007f0000200000ULL	/* -> 2M (2 MiB page) */
#define GVA_RSVD	0x00007f0000400000ULL	/* 2 MiB page, reserved bit */
#define GVA_1G		0x00007f0040000000ULL	/* -> 0 (1 GiB page) */
#define GVA_HIGH	0xffff800000005000ULL	/* -> 0x5000 */
#define GVA_57		0x00ff000000001000ULL	/* 5-level only -> 0x7000 */

/* What the child's setup hook tells the parent, through a shared page. */
struct layout {
	uint64_t cr3_4;
	uint64_t cr3_5;
	uint64_t pte_4k_gpa;	/* the 4-level PTE of GVA_4K */
};

static uint64_t pte_gpa(struct vmm *vm, uint64_t *pte)
{
	for (int i = 0; i < VMM_MAX_SLOTS; i++) {
		struct vmm_slot *s = &vm->slots[i];

		if (s->used && (char *)pte >= (char *)s->hva &&
		    (char *)pte < (char *)s->hva + s->size)
			return s->gpa + ((char *)pte - (char *)s->hva);
	}
	return 0;
}

static int build_tables(struct vmm *vm, void *arg)
{
	struct layout *l = arg;
	struct vmm_pt pt4, pt5;
	int err;

	err = vmm_pt_init(&pt4, vm, 4, PT4_POOL, POOL_SIZE);
	err = err ?: vmm_pt_map(&pt4, GVA_4K, 0x3000, VMM_PAGE_4K, VMM_PTE_DEFAULT);
	err = err ?: vmm_pt_map(&pt4, GVA_4K_NEXT, 2 * M + 0x1000, VMM_PAGE_4K,
				VMM_PTE_DEFAULT);
	err = err ?: vmm_pt_map(&pt4, GVA_NP, 0x4000, VMM_PAGE_4K, VMM_PTE_W);
	err = err ?: vmm_pt_map(&pt4, GVA_2M, 2 * M, VMM_PAGE_2M, VMM_PTE_DEFAULT);
	err = err ?: vmm_pt_map(&pt4, GVA_RSVD, 2 * M, VMM_PAGE_2M,
				VMM_PTE_DEFAULT | VMM_PTE_RSVD_LARGE);
	err = err ?: vmm_pt_map(&pt4, GVA_1G, 0, VMM_PAGE_1G, VMM_PTE_DEFAULT);
	err = err ?: vmm_pt_map(&pt4, GVA_HIGH, 0x5000, VMM_PAGE_4K, VMM_PTE_DEFAULT);
	err = err ?: vmm_pt_init(&pt5, vm, 5, PT5_POOL, POOL_SIZE);
	err = err ?: vmm_pt_map(&pt5, GVA_4K, 0x3000, VMM_PAGE_4K, VMM_PTE_DEFAULT);
	err = err ?: vmm_pt_map(&pt5, GVA_57, 0x7000, VMM_PAGE_4K, VMM_PTE_DEFAULT);
	err = err ?: vmm_pt_map(&pt5, GVA_2M, 2 * M, VMM_PAGE_2M, VMM_PTE_DEFAULT);
	if (err)
		return err;
	l->cr3_4 = vmm_pt_cr3(&pt4);
	l->cr3_5 = vmm_pt_cr3(&pt5);
	l->pte_4k_gpa = pte_gpa(vm, vmm_pt_entry(&pt4, GVA_4K, 1, false));
	return l->pte_4k_gpa ? 0 : -ENOENT;
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static void entry(struct vmsig_mem_entry *e, uint64_t addr, void *buf,
		  uint32_t len, uint32_t flags)
{
	*e = (struct vmsig_mem_entry) {
		.addr = addr, .buf = (uintptr_t)buf, .len = len, .flags = flags,
		.status = 12345,	/* must be overwritten */
	};
}

/* One batch; returns the ioctl result, statuses are in @e. */
static int read_batch(int ep, struct vmsig_mem_entry *e, uint32_t n,
		      uint32_t flags, uint64_t *epoch, uint32_t *done)
{
	struct vmsig_mem_read rd = {
		.size = sizeof(rd), .flags = flags, .entries = (uintptr_t)e,
		.count = n, .epoch = epoch ? *epoch : 0,
	};
	int ret = xioctl(ep, VMSIG_IOC_MEM_READ, &rd);

	if (!ret && epoch)
		*epoch = rd.epoch;
	if (done)
		*done = rd.done;
	return ret;
}

/* Read one range; returns the entry status (or the ioctl error). */
static int read1(int ep, uint64_t addr, void *buf, uint32_t len, uint32_t flags)
{
	struct vmsig_mem_entry e;
	int ret;

	entry(&e, addr, buf, len, flags);
	ret = read_batch(ep, &e, 1, 0, NULL, NULL);
	return ret ?: e.status;
}

static int set_memctx(int ep, uint64_t root, uint32_t mode, uint64_t *epoch)
{
	struct vmsig_memctx mc = { .size = sizeof(mc), .root = root, .mode = mode };
	int ret = xioctl(ep, VMSIG_IOC_SET_MEMCTX, &mc);

	if (epoch)
		*epoch = mc.epoch;
	return ret;
}

static bool pattern_ok(uint64_t gpa, const void *buf, size_t len)
{
	return vmm_pattern_check(gpa, buf, len, SEED) < 0;
}

static int attach(int dev, uint32_t backend, int fd, uint64_t size)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .backend = backend, .fd = fd, .ram_size = size,
	};
	int ret = ioctl(dev, VMSIG_IOC_ATTACH, &at);

	return ret < 0 ? -errno : ret;
}

/* Reopen the child's slot-0 memfd through /proc: the ramfd variant's RAM. */
static int child_memfd(pid_t pid)
{
	char path[64], target[256];

	for (int fd = 0; fd < 64; fd++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (strstr(target, "/memfd:vmm-slot"))
			return open(path, O_RDWR | O_CLOEXEC);
	}
	return -1;
}

FIXTURE(mem) {
	int dev;
	int ep;
	int ramfd;
	struct vmm_child child;
	struct layout *layout;
};

FIXTURE_VARIANT(mem) {
	uint32_t backend;
	enum vmm_fd_pass pass;
};

FIXTURE_VARIANT_ADD(mem, kvm) {
	.backend = VMSIG_BACKEND_KVM,
	.pass = VMM_FD_SCM,
};

FIXTURE_VARIANT_ADD(mem, kvm_pidfd_getfd) {
	.backend = VMSIG_BACKEND_KVM,
	.pass = VMM_FD_PIDFD,
};

FIXTURE_VARIANT_ADD(mem, ramfd) {
	.backend = VMSIG_BACKEND_RAMFD,
	.pass = VMM_FD_SCM,
};

FIXTURE_SETUP(mem)
{
	struct vmm_child_cfg cfg = {
		.pattern = true, .seed = SEED, .setup = build_tables,
		.fd_pass = variant->pass,
	};

	self->ramfd = -1;
	self->layout = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->layout);
	cfg.setup_arg = self->layout;
	if (variant->backend == VMSIG_BACKEND_KVM) {
		cfg.nr_slots = 3;
		cfg.slots[0] = (struct vmm_slot_cfg){ 0, 2 * M, 0, VMM_SLOT_MEMFD };
		cfg.slots[1] = (struct vmm_slot_cfg){ 2 * M, 2 * M, 0, 0 };
		cfg.slots[2] = (struct vmm_slot_cfg){ 6 * M, 1 * M, 0, 0 };
	} else {
		cfg.nr_slots = 1;
		cfg.slots[0] = (struct vmm_slot_cfg){ 0, 4 * M, 0, VMM_SLOT_MEMFD };
	}
	ASSERT_EQ(0, vmm_child_start(&self->child, &cfg));
	self->dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	if (variant->backend == VMSIG_BACKEND_KVM) {
		self->ep = attach(self->dev, VMSIG_BACKEND_KVM, self->child.vm_fd, 0);
	} else {
		self->ramfd = child_memfd(self->child.pid);
		ASSERT_LE(0, self->ramfd);
		self->ep = attach(self->dev, VMSIG_BACKEND_RAMFD, self->ramfd, 0);
	}
	ASSERT_LE(0, self->ep) TH_LOG("attach: %s", strerror(-self->ep));
}

FIXTURE_TEARDOWN(mem)
{
	close(self->ep);
	close(self->dev);
	if (self->ramfd >= 0)
		close(self->ramfd);
	vmm_child_release(&self->child);
	munmap(self->layout, 4096);
}

TEST_F(mem, physical_patterns)
{
	static const uint64_t at[] = { 0, 0x800, 0x3ff8, 2 * M + 0x1234, 4 * M - 64 };
	uint8_t buf[64];

	for (unsigned int i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(0, read1(self->ep, at[i], buf, sizeof(buf), 0));
		EXPECT_TRUE(pattern_ok(at[i], buf, sizeof(buf))) TH_LOG("gpa %#lx", at[i]);
	}
	/* A slot of the kvm variant only. */
	if (variant->backend == VMSIG_BACKEND_KVM) {
		ASSERT_EQ(0, read1(self->ep, 6 * M + 0x10, buf, sizeof(buf), 0));
		EXPECT_TRUE(pattern_ok(6 * M + 0x10, buf, sizeof(buf)));
	}
}

TEST_F(mem, across_page_and_slot_boundaries)
{
	static uint8_t big[3 * 4096 + 100];

	/* Page boundary. */
	ASSERT_EQ(0, read1(self->ep, 0x1ff0, big, 32, 0));
	EXPECT_TRUE(pattern_ok(0x1ff0, big, 32));
	/* Slot boundary (kvm: two memslots; ramfd: inside one file). */
	ASSERT_EQ(0, read1(self->ep, 2 * M - 4096 - 50, big, sizeof(big), 0));
	EXPECT_TRUE(pattern_ok(2 * M - 4096 - 50, big, sizeof(big)));
}

TEST_F(mem, gap_fails_only_its_entry)
{
	uint8_t a[16], b[16], c[16];
	struct vmsig_mem_entry e[3];
	uint32_t done;

	entry(&e[0], 0x100, a, sizeof(a), 0);
	entry(&e[1], 4 * M + 0x100, b, sizeof(b), 0);	/* in the gap */
	entry(&e[2], 4 * M - 8, c, sizeof(c), 0);	/* runs into the gap */
	ASSERT_EQ(0, read_batch(self->ep, e, 3, 0, NULL, &done));
	EXPECT_EQ(0, e[0].status);
	EXPECT_EQ(-EFAULT, e[1].status);
	EXPECT_EQ(-EFAULT, e[2].status);
	EXPECT_EQ(1, done);
	EXPECT_TRUE(pattern_ok(0x100, a, sizeof(a)));
	/* Far beyond any memory. */
	EXPECT_EQ(-EFAULT, read1(self->ep, 1ULL << 40, a, 8, 0));
	EXPECT_EQ(-EFAULT, read1(self->ep, ~0ULL - 7, a, 8, 0));
}

TEST_F(mem, bad_user_buffers_fail_only_their_entry)
{
	struct vmsig_mem_entry e[4];
	uint8_t ok[8];
	uint32_t done;
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	entry(&e[0], 0x200, NULL, 8, 0);
	entry(&e[1], 0x200, ro, 8, 0);
	entry(&e[2], 0x200, (void *)(uintptr_t)0xffffffffff600000ULL, 8, 0);
	entry(&e[3], 0x200, ok, 8, 0);
	ASSERT_EQ(0, read_batch(self->ep, e, 4, 0, NULL, &done));
	EXPECT_EQ(-EFAULT, e[0].status);
	EXPECT_EQ(-EFAULT, e[1].status);
	EXPECT_EQ(-EFAULT, e[2].status);
	EXPECT_EQ(0, e[3].status);
	EXPECT_EQ(1, done);
	EXPECT_TRUE(pattern_ok(0x200, ok, 8));
	munmap(ro, 4096);
}

TEST_F(mem, zero_length_and_empty_batch)
{
	struct vmsig_mem_entry e;
	uint32_t done;

	/* Zero length succeeds without touching memory or the buffer. */
	entry(&e, 4 * M + 0x100, NULL, 0, 0);
	ASSERT_EQ(0, read_batch(self->ep, &e, 1, 0, NULL, &done));
	EXPECT_EQ(0, e.status);
	EXPECT_EQ(1, done);
	/* An empty batch needs no entry array at all. */
	EXPECT_EQ(0, read_batch(self->ep, NULL, 0, 0, NULL, &done));
	EXPECT_EQ(0, done);
}

TEST_F(mem, limits_and_bad_entries)
{
	struct vmsig_mem_entry *many;
	struct vmsig_mem_entry e[5];
	uint8_t buf[16];
	uint32_t done;

	/* Too many entries: the batch is refused before anything is read. */
	many = calloc(VMSIG_MEM_MAX_ENTRIES + 1, sizeof(*many));
	ASSERT_NE(NULL, many);
	EXPECT_EQ(-E2BIG, read_batch(self->ep, many, VMSIG_MEM_MAX_ENTRIES + 1, 0,
				     NULL, NULL));
	/* Too many bytes in total, each entry within its own limit. */
	for (int i = 0; i < 5; i++)
		entry(&many[i], 0, buf, VMSIG_MEM_MAX_LEN, 0);
	EXPECT_EQ(-E2BIG, read_batch(self->ep, many, 5, 0, NULL, NULL));
	EXPECT_EQ(12345, many[0].status);	/* untouched */
	free(many);

	entry(&e[0], 0x10, buf, VMSIG_MEM_MAX_LEN + 1, 0);
	entry(&e[1], ~0ULL - 3, buf, 8, 0);
	entry(&e[2], 0x10, buf, 8, 1u << 5);
	entry(&e[3], 0x10, buf, 8, 0);
	e[3].reserved = 1;
	entry(&e[4], 0x10, buf, 8, 0);
	ASSERT_EQ(0, read_batch(self->ep, e, 5, 0, NULL, &done));
	EXPECT_EQ(-E2BIG, e[0].status);
	EXPECT_EQ(-EOVERFLOW, e[1].status);
	EXPECT_EQ(-EINVAL, e[2].status);
	EXPECT_EQ(-EINVAL, e[3].status);
	EXPECT_EQ(0, e[4].status);
	EXPECT_EQ(1, done);
}

TEST_F(mem, batch_argument_rules)
{
	struct vmsig_mem_read rd = { .size = sizeof(rd), .count = 1 };
	struct vmsig_mem_entry e;
	uint8_t buf[8];

	entry(&e, 0, buf, 8, 0);
	rd.entries = (uintptr_t)&e;
	rd.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_MEM_READ, &rd));
	rd.reserved[0] = 0;
	rd.done = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_MEM_READ, &rd));
	rd.done = 0;
	rd.flags = 1u << 7;
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_MEM_READ, &rd));
	rd.flags = 0;
	rd.entries = 8;
	EXPECT_EQ(-EFAULT, xioctl(self->ep, VMSIG_IOC_MEM_READ, &rd));
	/* The entry array must be writable: statuses go back into it. */
	void *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	memcpy(ro, &e, sizeof(e));
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	rd.entries = (uintptr_t)ro;
	EXPECT_EQ(-EFAULT, xioctl(self->ep, VMSIG_IOC_MEM_READ, &rd));
	munmap(ro, 4096);
}

TEST_F(mem, large_single_read)
{
	uint64_t start = 2 * M - 512 * 1024 + 8;
	size_t len = 4 * M - 8 - start;	/* up to the last word before the gap */
	uint8_t *buf = malloc(len);

	ASSERT_NE(NULL, buf);
	/* Spans both halves of guest RAM below the gap, page tables included. */
	ASSERT_EQ(0, read1(self->ep, start, buf, len, 0));
	/* Past the page-table pools, everything is pattern. */
	EXPECT_TRUE(pattern_ok(start + M, buf + M, len - M));
	/* One byte more runs into the gap and fails whole. */
	EXPECT_EQ(-EFAULT, read1(self->ep, start, buf, len + 9, 0));
	free(buf);
}

TEST_F(mem, virtual_4level)
{
	uint8_t buf[64];
	uint64_t epoch;

	/* Without memctx there is nothing to translate with. */
	EXPECT_EQ(-ENODATA, read1(self->ep, GVA_4K, buf, 8, VMSIG_MEM_VIRT));
	/* PCID bits in CR3 are ignored. */
	ASSERT_EQ(0, set_memctx(self->ep, self->layout->cr3_4 | 0x5,
				VMSIG_PAGING_X86_64_4LEVEL, &epoch));
	EXPECT_EQ(1, epoch);

	ASSERT_EQ(0, read1(self->ep, GVA_4K + 0x10, buf, 32, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(0x3010, buf, 32));
	/* Crossing a virtual page boundary lands in another slot. */
	ASSERT_EQ(0, read1(self->ep, GVA_4K + 4096 - 16, buf, 32, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(0x3000 + 4096 - 16, buf, 16));
	EXPECT_TRUE(pattern_ok(2 * M + 0x1000, buf + 16, 16));
	/* 2 MiB and 1 GiB pages. */
	ASSERT_EQ(0, read1(self->ep, GVA_2M + 0x12345, buf, 64, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(2 * M + 0x12345, buf, 64));
	ASSERT_EQ(0, read1(self->ep, GVA_1G + 0x2345, buf, 64, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(0x2345, buf, 64));
	ASSERT_EQ(0, read1(self->ep, GVA_1G + 2 * M + 0x100, buf, 64, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(2 * M + 0x100, buf, 64));
	/* The upper canonical half. */
	ASSERT_EQ(0, read1(self->ep, GVA_HIGH + 8, buf, 8, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(0x5008, buf, 8));
	/* Failures of the walk, each on its own entry. */
	EXPECT_EQ(-ENXIO, read1(self->ep, GVA_NP, buf, 8, VMSIG_MEM_VIRT));
	EXPECT_EQ(-ENXIO, read1(self->ep, 0x1000, buf, 8, VMSIG_MEM_VIRT));
	EXPECT_EQ(-EIO, read1(self->ep, GVA_RSVD, buf, 8, VMSIG_MEM_VIRT));
	EXPECT_EQ(-EINVAL, read1(self->ep, 0x0000800000000000ULL, buf, 8, VMSIG_MEM_VIRT));
	EXPECT_EQ(-EINVAL, read1(self->ep, GVA_57, buf, 8, VMSIG_MEM_VIRT));
	/* A translation that ends in the gap. */
	EXPECT_EQ(-EFAULT, read1(self->ep, GVA_1G + 4 * M + 8, buf, 8, VMSIG_MEM_VIRT));
}

/*
 * One batch, many addresses per 2 MiB region: later walks finish from the
 * remembered upper part of earlier ones, which must change no result.
 */
TEST_F(mem, virtual_batch_shares_walks)
{
	static const struct { uint64_t gva, gpa; int status; } want[] = {
		{ GVA_4K + 8, 0x3008, 0 },
		{ GVA_NP, 0, -ENXIO },			/* same PT, entry absent */
		{ GVA_4K_NEXT + 16, 2 * M + 0x1010, 0 },
		{ GVA_4K + 0x100, 0x3100, 0 },
		{ GVA_2M + 0x1000, 2 * M + 0x1000, 0 },	/* 2 MiB leaf */
		{ GVA_2M + 0x1ff000, 4 * M - 0x1000, 0 },
		{ GVA_RSVD, 0, -EIO },
		{ GVA_1G + 0x5000, 0x5000, 0 },		/* 1 GiB leaf */
		{ GVA_1G + 0x7008, 0x7008, 0 },
		{ GVA_1G + 2 * M + 8, 2 * M + 8, 0 },
	};
	enum { N = sizeof(want) / sizeof(want[0]) };
	struct vmsig_mem_entry e[N];
	uint64_t v[N];

	ASSERT_EQ(0, set_memctx(self->ep, self->layout->cr3_4,
				VMSIG_PAGING_X86_64_4LEVEL, NULL));
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < N; i++)
			entry(&e[i], want[i].gva, &v[i], 8, VMSIG_MEM_VIRT);
		/* Without the cross-batch cache, so only the batch's walks help. */
		ASSERT_EQ(0, read_batch(self->ep, e, N, pass ? 0 : VMSIG_READ_NOCACHE,
					NULL, NULL));
		for (int i = 0; i < N; i++) {
			EXPECT_EQ(want[i].status, e[i].status) TH_LOG("entry %d", i);
			if (!want[i].status)
				EXPECT_TRUE(pattern_ok(want[i].gpa, &v[i], 8))
					TH_LOG("entry %d", i);
		}
	}
}

TEST_F(mem, virtual_5level)
{
	uint8_t buf[32];

	ASSERT_EQ(0, set_memctx(self->ep, self->layout->cr3_5,
				VMSIG_PAGING_X86_64_5LEVEL, NULL));
	ASSERT_EQ(0, read1(self->ep, GVA_57 + 0x20, buf, 32, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(0x7020, buf, 32));
	ASSERT_EQ(0, read1(self->ep, GVA_4K, buf, 32, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(0x3000, buf, 32));
	ASSERT_EQ(0, read1(self->ep, GVA_2M + 0x1000, buf, 32, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(2 * M + 0x1000, buf, 32));
	/* 57-bit canonical form: bit 56 extends into 63:57. */
	EXPECT_EQ(-EINVAL, read1(self->ep, 0x0100000000000000ULL, buf, 8, VMSIG_MEM_VIRT));
	EXPECT_EQ(-ENXIO, read1(self->ep, GVA_HIGH, buf, 8, VMSIG_MEM_VIRT));
	/* The same root read as 4-level tables would mean something else. */
	ASSERT_EQ(0, set_memctx(self->ep, self->layout->cr3_5,
				VMSIG_PAGING_X86_64_4LEVEL, NULL));
	EXPECT_NE(0, read1(self->ep, GVA_57, buf, 8, VMSIG_MEM_VIRT));
}

TEST_F(mem, memctx_rules)
{
	struct vmsig_memctx mc = { .size = sizeof(mc) };

	EXPECT_EQ(-EINVAL, set_memctx(self->ep, self->layout->cr3_4, 0, NULL));
	EXPECT_EQ(-EINVAL, set_memctx(self->ep, self->layout->cr3_4, 3, NULL));
	mc.mode = VMSIG_PAGING_X86_64_4LEVEL;
	mc.reserved0 = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_SET_MEMCTX, &mc));
	mc.reserved0 = 0;
	mc.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_SET_MEMCTX, &mc));
	mc.reserved[1] = 0;
	mc.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_SET_MEMCTX, &mc));
	/* Invalidate takes no root. */
	mc = (struct vmsig_memctx){ .size = sizeof(mc), .root = 0x1000 };
	EXPECT_EQ(-EINVAL, xioctl(self->ep, VMSIG_IOC_INVALIDATE_MEMCTX, &mc));
	/* Failed calls changed nothing. */
	mc = (struct vmsig_memctx){ .size = sizeof(mc) };
	ASSERT_EQ(0, xioctl(self->ep, VMSIG_IOC_GET_MEMCTX, &mc));
	EXPECT_EQ(0, mc.epoch);
	EXPECT_EQ(0, mc.mode);
}

TEST_F(mem, epochs)
{
	struct vmsig_memctx mc = { .size = sizeof(mc) };
	struct vmsig_mem_entry e[2];
	uint8_t v[8], p[8];
	uint64_t epoch, e1, e2;

	ASSERT_EQ(0, set_memctx(self->ep, self->layout->cr3_4,
				VMSIG_PAGING_X86_64_4LEVEL, &e1));
	ASSERT_EQ(0, xioctl(self->ep, VMSIG_IOC_GET_MEMCTX, &mc));
	EXPECT_EQ(self->layout->cr3_4, mc.root);
	EXPECT_EQ(VMSIG_PAGING_X86_64_4LEVEL, mc.mode);
	EXPECT_EQ(e1, mc.epoch);

	entry(&e[0], GVA_4K, v, 8, VMSIG_MEM_VIRT);
	epoch = e1;
	ASSERT_EQ(0, read_batch(self->ep, e, 1, VMSIG_READ_EPOCH, &epoch, NULL));
	EXPECT_EQ(0, e[0].status);
	EXPECT_EQ(e1, epoch);

	/* A new memctx: reads made for the old one are refused whole. */
	ASSERT_EQ(0, set_memctx(self->ep, self->layout->cr3_4,
				VMSIG_PAGING_X86_64_4LEVEL, &e2));
	EXPECT_EQ(e1 + 1, e2);
	epoch = e1;
	entry(&e[0], GVA_4K, v, 8, VMSIG_MEM_VIRT);
	EXPECT_EQ(-ESTALE, read_batch(self->ep, e, 1, VMSIG_READ_EPOCH, &epoch, NULL));
	EXPECT_EQ(12345, e[0].status);
	/* Without the flag the batch simply reports the epoch it used. */
	epoch = 0;
	ASSERT_EQ(0, read_batch(self->ep, e, 1, 0, &epoch, NULL));
	EXPECT_EQ(e2, epoch);

	/* Invalidate: no memctx, a new epoch; physical reads go on. */
	mc = (struct vmsig_memctx){ .size = sizeof(mc) };
	ASSERT_EQ(0, xioctl(self->ep, VMSIG_IOC_INVALIDATE_MEMCTX, &mc));
	EXPECT_EQ(e2 + 1, mc.epoch);
	entry(&e[0], GVA_4K, v, 8, VMSIG_MEM_VIRT);
	entry(&e[1], 0x3000, p, 8, 0);
	ASSERT_EQ(0, read_batch(self->ep, e, 2, 0, NULL, NULL));
	EXPECT_EQ(-ENODATA, e[0].status);
	EXPECT_EQ(0, e[1].status);
	EXPECT_TRUE(pattern_ok(0x3000, p, 8));
}

TEST_F(mem, translation_cache_follows_epochs)
{
	uint64_t pte, moved = 0x6000;
	uint8_t buf[8];

	ASSERT_EQ(0, set_memctx(self->ep, self->layout->cr3_4,
				VMSIG_PAGING_X86_64_4LEVEL, NULL));
	ASSERT_EQ(0, read1(self->ep, GVA_4K, buf, 8, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(0x3000, buf, 8));

	/* The guest remaps the page (the child writes the PTE). */
	ASSERT_EQ(0, vmm_child_peek64(&self->child, self->layout->pte_4k_gpa, &pte));
	EXPECT_EQ(0x3000, pte & VMM_PTE_ADDR);
	pte = (pte & ~VMM_PTE_ADDR) | moved;
	ASSERT_EQ(0, vmm_child_poke(&self->child, self->layout->pte_4k_gpa, &pte, 8));

	/* Cached: the old translation, until the epoch moves. */
	ASSERT_EQ(0, read1(self->ep, GVA_4K, buf, 8, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(0x3000, buf, 8));
	/* Uncached: the walk sees the new PTE. */
	struct vmsig_mem_entry e;

	entry(&e, GVA_4K, buf, 8, VMSIG_MEM_VIRT);
	ASSERT_EQ(0, read_batch(self->ep, &e, 1, VMSIG_READ_NOCACHE, NULL, NULL));
	ASSERT_EQ(0, e.status);
	EXPECT_TRUE(pattern_ok(moved, buf, 8));
	/* A new memctx flushes the cache. */
	ASSERT_EQ(0, set_memctx(self->ep, self->layout->cr3_4,
				VMSIG_PAGING_X86_64_4LEVEL, NULL));
	ASSERT_EQ(0, read1(self->ep, GVA_4K, buf, 8, VMSIG_MEM_VIRT));
	EXPECT_TRUE(pattern_ok(moved, buf, 8));
}

TEST_F(mem, sees_what_the_vmm_writes)
{
	uint64_t v = 0x1122334455667788ULL, got = 0;

	ASSERT_EQ(0, vmm_child_poke(&self->child, 0x9008, &v, 8));
	ASSERT_EQ(0, read1(self->ep, 0x9008, &got, 8, 0));
	EXPECT_EQ(v, got);
}

TEST_F(mem, many_entries_one_batch)
{
	enum { N = 4096 };
	struct vmsig_mem_entry *e = calloc(N, sizeof(*e));
	uint64_t *val = calloc(N, sizeof(*val));
	uint32_t done;

	ASSERT_NE(NULL, e);
	ASSERT_NE(NULL, val);
	srandom(7);
	for (int i = 0; i < N; i++) {
		/* Scattered 8-byte reads in the first MiB and above 2M. */
		uint64_t gpa = (random() % (M / 8)) * 8;

		if (i & 1)
			gpa += 2 * M;
		entry(&e[i], gpa, &val[i], 8, 0);
	}
	ASSERT_EQ(0, read_batch(self->ep, e, N, 0, NULL, &done));
	EXPECT_EQ(N, done);
	for (int i = 0; i < N; i++)
		EXPECT_TRUE(pattern_ok(e[i].addr, &val[i], 8));
	free(e);
	free(val);
}

/* A vCPU of the child increments a counter; this process watches it. */
TEST(running_vcpu_changes_are_visible)
{
	struct vmm_child_cfg cfg = {
		.nr_slots = 1,
		.slots = { { 0, 2 * M, 0, 0 } },
		.counter = true,
		.counter_cfg = {
			.pt_gpa = 1 * M, .pt_size = 64 * 1024,
			.code_gpa = 0x10000, .code_gva = 0x400000,
			.counter_gpa = 0x20000, .counter_gva = 0x7f0000000000ULL,
		},
	};
	struct vmm_child c;
	uint64_t first = 0, later = 0, virt = 0;
	int dev, ep;

	ASSERT_EQ(0, vmm_child_start(&c, &cfg));
	dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	ep = attach(dev, VMSIG_BACKEND_KVM, c.vm_fd, 0);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, set_memctx(ep, c.cr3, VMSIG_PAGING_X86_64_4LEVEL, NULL));

	/* Wait (bounded) for the guest to start counting. */
	for (int i = 0; i < 2000 && !first; i++) {
		ASSERT_EQ(0, read1(ep, 0x20000, &first, 8, 0));
		usleep(1000);
	}
	ASSERT_NE(0, first) TH_LOG("the guest never counted");
	for (int i = 0; i < 2000 && later <= first; i++) {
		ASSERT_EQ(0, read1(ep, 0x20000, &later, 8, 0));
		usleep(1000);
	}
	EXPECT_GT(later, first);
	/* The same counter through the guest's own virtual address. */
	ASSERT_EQ(0, read1(ep, 0x7f0000000000ULL, &virt, 8, VMSIG_MEM_VIRT));
	EXPECT_GE(virt, later);
	EXPECT_EQ(1, vmm_child_vcpu_state(&c, NULL));
	close(ep);
	close(dev);
	vmm_child_release(&c);
}

struct reader {
	int ep;
	int stop;
	int last;
	long ok;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	uint64_t v;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		r->last = read1(r->ep, 0x3000, &v, 8, 0);
		if (!r->last)
			r->ok++;
	}
	return NULL;
}

/* The VMM dies under a stream of reads: clean errors, no hang, no leak. */
TEST(vmm_killed_during_reads)
{
	struct vmm_child_cfg cfg = {
		.nr_slots = 1, .slots = { { 0, 2 * M, 0, 0 } },
		.pattern = true, .seed = SEED,
	};
	struct reader r = { 0 };
	struct vmm_child c;
	pthread_t t;
	uint64_t v;
	int dev;

	ASSERT_EQ(0, vmm_child_start(&c, &cfg));
	dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	r.ep = attach(dev, VMSIG_BACKEND_KVM, c.vm_fd, 0);
	ASSERT_LE(0, r.ep);
	ASSERT_EQ(0, pthread_create(&t, NULL, read_loop, &r));
	while (__atomic_load_n(&r.ok, __ATOMIC_RELAXED) < 50)
		usleep(1000);
	ASSERT_LT(0, vmm_child_kill(&c));
	usleep(20000);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(t, NULL));
	/* The VMM's memory is gone; the VM itself is still held open. */
	EXPECT_EQ(-ESRCH, read1(r.ep, 0x3000, &v, 8, 0));
	EXPECT_EQ(-ESRCH, r.last);
	close(r.ep);
	close(dev);
	vmm_child_release(&c);
}

/*
 * A pointer that can never be this process's memory: random pointers into
 * the low half could land in the test's own data and corrupt it.
 */
static uint64_t bad_pointer(void)
{
	return random() % 2 ? 0xffff800000000000ULL | (uint64_t)random() :
			      (uint64_t)(random() % 4096);
}

/*
 * Random arguments for every endpoint command: nothing may crash, hang or
 * answer with an errno the uapi does not document for it.
 */
TEST(fuzz_arguments)
{
	static const unsigned long cmds[] = {
		VMSIG_IOC_EP_INFO, VMSIG_IOC_MEM_READ, VMSIG_IOC_SET_MEMCTX,
		VMSIG_IOC_GET_MEMCTX, VMSIG_IOC_INVALIDATE_MEMCTX, VMSIG_IOC_ATTACH,
		VMSIG_IOC_SET_SUB, VMSIG_IOC_GET_SUB, VMSIG_IOC_GET_COUNTERS,
		VMSIG_IOC_BIND_SINK, VMSIG_IOC_DERIVE,
	};
	const int ncmds = sizeof(cmds) / sizeof(cmds[0]);
	unsigned int seed = getenv("VMSIG_SEED") ? atoi(getenv("VMSIG_SEED")) : 1;
	uint64_t buf[64];
	uint64_t target[8];
	uint32_t hdr[2];
	int dev, memfd, ep;

	TH_LOG("seed %u (set VMSIG_SEED to replay)", seed);
	srandom(seed);
	dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	memfd = memfd_create("fuzz", MFD_CLOEXEC);
	ASSERT_EQ(0, ftruncate(memfd, M));
	ep = attach(dev, VMSIG_BACKEND_RAMFD, memfd, 0);
	ASSERT_LE(0, ep);
	for (int i = 0; i < 3000; i++) {
		unsigned long cmd = cmds[random() % ncmds];
		struct vmsig_mem_entry *e = (void *)&buf[8];
		int ret;

		for (int j = 0; j < 64; j++)
			buf[j] = random() % 4 ? random() % 64 : ((uint64_t)random() << 33) ^ random();
		hdr[0] = random() % 3 ? 8 + random() % 120 : random();
		hdr[1] = random() % 2 ? 0 : (uint32_t)buf[0];
		memcpy(buf, hdr, sizeof(hdr));
		if (cmd == VMSIG_IOC_MEM_READ) {
			buf[1] = random() % 4 ? (uintptr_t)e : bad_pointer();
			buf[2] = random() % 4;
			for (int j = 0; j < 3; j++) {
				e[j].buf = random() % 3 ? (uintptr_t)target : bad_pointer();
				e[j].len = random() % 3 ? random() % 64 : random();
				e[j].flags = random() % 3 ? 0 : random();
			}
		}
		ret = xioctl(cmd == VMSIG_IOC_ATTACH ? dev : ep, cmd, buf);
		if (cmd == VMSIG_IOC_ATTACH && ret == 0) {
			struct vmsig_attach at;

			memcpy(&at, buf, sizeof(at));
			close(at.ep_fd);
		}
		if (cmd == VMSIG_IOC_DERIVE && ret == 0) {
			struct vmsig_derive d;

			memcpy(&d, buf, sizeof(d));
			close(d.ep_fd);
		}
		EXPECT_TRUE(ret == 0 || ret == -EINVAL || ret == -E2BIG ||
			    ret == -EFAULT || ret == -EBADF || ret == -ESTALE ||
			    ret == -EOPNOTSUPP || ret == -EBUSY || ret == -ENOENT)
			TH_LOG("cmd %#lx iteration %d: %d", cmd, i, ret);
	}
	close(ep);
	close(memfd);
	close(dev);
}

TEST_HARNESS_MAIN
