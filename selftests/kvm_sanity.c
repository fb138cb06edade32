// SPDX-License-Identifier: GPL-2.0
/*
 * Sanity of the test VMM library (selftests/lib/vmm.c): KVM VMs, memslots,
 * patterns, real and long mode guests, the page-table builder, the VMM child
 * and fd passing.  Every vmsig memory test stands on these, so they must
 * fail loudly when KVM is missing or the library is wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fdpass.h"
#include "vmm.h"

#define SEED		0x5eed5eed1234ULL

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static uint64_t load64(const void *p)
{
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
}

/* The runner guarantees KVM: its absence is a failure, never a skip. */
TEST(kvm_present)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("/dev/kvm: %s", strerror(errno));
	ASSERT_EQ(KVM_API_VERSION, ioctl(fd, KVM_GET_API_VERSION, 0));
	ASSERT_LT(0, ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
	ASSERT_LT(0, ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT));
	close(fd);
}

FIXTURE(vm) {
	struct vmm vm;
	struct vmm_vcpu vcpu;
};

FIXTURE_SETUP(vm)
{
	self->vcpu.fd = -1;
	ASSERT_EQ(0, vmm_create(&self->vm));
	ASSERT_EQ(0, vmm_vcpu_create(&self->vm, &self->vcpu, 0));
}

FIXTURE_TEARDOWN(vm)
{
	if (self->vcpu.fd >= 0)
		vmm_vcpu_destroy(&self->vcpu);
	vmm_destroy(&self->vm);
}

/* Real mode: the code runs where it was put, stores, and halts. */
TEST_F(vm, real_mode_hlt)
{
	/*
	 * mov ax, 0xbeef    B8 EF BE
	 * mov [0x0500], ax  A3 00 05   (DS base 0)
	 * hlt               F4
	 */
	static const uint8_t code[] = { 0xb8, 0xef, 0xbe, 0xa3, 0x00, 0x05, 0xf4 };
	uint64_t bitmap[1] = { 0 };
	struct vmm_slot *s;
	uint8_t *mem;

	s = vmm_add_slot(&self->vm, 0, 0x10000, KVM_MEM_LOG_DIRTY_PAGES, 0);
	ASSERT_NE(NULL, s);
	vmm_slot_fill_pattern(s, SEED);
	mem = s->hva;
	memcpy(mem + 0x8000, code, sizeof(code));
	ASSERT_EQ(0, vmm_vcpu_setup_real(&self->vcpu, 0x8000));

	ASSERT_EQ(KVM_EXIT_HLT, vmm_vcpu_run(&self->vcpu));
	ASSERT_EQ(0x8000 + sizeof(code), vmm_vcpu_rip(&self->vcpu));
	ASSERT_EQ(0xef, mem[0x500]);
	ASSERT_EQ(0xbe, mem[0x501]);
	/* Exactly two bytes changed around the store. */
	ASSERT_EQ(-1, vmm_pattern_check(0x400, mem + 0x400, 0x100, SEED));
	ASSERT_EQ(-1, vmm_pattern_check(0x502, mem + 0x502, 0x100, SEED));
	/*
	 * The store dirtied page 0.  The code page (8) may be logged too: KVM
	 * on SVM can map it writable on the fetch fault.  Nothing else.
	 */
	ASSERT_EQ(0, vmm_get_dirty_log(&self->vm, s, bitmap));
	ASSERT_EQ(1ULL, bitmap[0] & 1ULL);
	ASSERT_EQ(0ULL, bitmap[0] & ~0x101ULL);
}

TEST_F(vm, slots_and_patterns)
{
	struct vmm_slot *a, *b, *c, *s;
	uint8_t *p;
	int i, n;

	/* Three slots with gaps between them; one backed by a memfd. */
	a = vmm_add_slot(&self->vm, 0x100000, 0x10000, 0, 0);
	b = vmm_add_slot(&self->vm, 0x10000000, 0x200000, KVM_MEM_LOG_DIRTY_PAGES, 0);
	c = vmm_add_slot(&self->vm, 0x100000000ULL, 0x1000, 0, VMM_SLOT_MEMFD);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, c);
	ASSERT_LE(0, c->memfd);
	ASSERT_NE(a->id, b->id);

	vmm_slot_fill_pattern(a, SEED);
	vmm_slot_fill_pattern(b, SEED);
	vmm_slot_fill_pattern(c, SEED);
	ASSERT_EQ(-1, vmm_pattern_check(a->gpa, a->hva, a->size, SEED));
	ASSERT_EQ(-1, vmm_pattern_check(b->gpa, b->hva, b->size, SEED));
	ASSERT_EQ(-1, vmm_pattern_check(c->gpa, c->hva, c->size, SEED));
	/* Unaligned sub-ranges check too, and the pattern depends on the GPA... */
	p = (uint8_t *)b->hva + 0x1003;
	ASSERT_EQ(-1, vmm_pattern_check(b->gpa + 0x1003, p, 13, SEED));
	ASSERT_NE(-1, vmm_pattern_check(b->gpa + 0x1004, p, 13, SEED));
	/* ...and on the seed. */
	ASSERT_NE(-1, vmm_pattern_check(a->gpa, a->hva, 64, SEED + 1));
	/* A single flipped byte is found at its offset. */
	p = a->hva;
	p[4097] ^= 0x40;
	ASSERT_EQ(4097, vmm_pattern_check(a->gpa, a->hva, a->size, SEED));
	/* Different GPAs do not repeat: 512 words of a page are distinct. */
	for (i = 1, n = 0; i < 512; i++)
		n += vmm_pattern_word(b->gpa + 8 * i, SEED) ==
		     vmm_pattern_word(b->gpa, SEED);
	ASSERT_EQ(0, n);

	/* Lookups: inside, in a gap, across a slot's end. */
	ASSERT_EQ(b, vmm_find_slot(&self->vm, 0x10000000 + 0x1fffff));
	ASSERT_EQ(NULL, vmm_find_slot(&self->vm, 0x100000 + 0x10000));
	ASSERT_EQ((uint8_t *)b->hva + 8, vmm_gpa2hva(&self->vm, b->gpa + 8, 8));
	ASSERT_EQ(NULL, vmm_gpa2hva(&self->vm, a->gpa + a->size - 4, 8));
	ASSERT_EQ(ERANGE, errno);

	/* KVM refuses overlap; the table has room for VMM_MAX_SLOTS only. */
	ASSERT_EQ(NULL, vmm_add_slot(&self->vm, 0x101000, 0x1000, 0, 0));
	ASSERT_EQ(EEXIST, errno);
	for (i = 3; i < VMM_MAX_SLOTS; i++)
		ASSERT_NE(NULL, vmm_add_slot(&self->vm, 0x200000000ULL + i * 0x100000,
					     0x1000, 0, 0));
	ASSERT_EQ(NULL, vmm_add_slot(&self->vm, 0x300000000ULL, 0x1000, 0, 0));
	ASSERT_EQ(ENOSPC, errno);

	/* Removal frees the range and the table entry. */
	ASSERT_EQ(0, vmm_remove_slot(&self->vm, a));
	ASSERT_EQ(NULL, vmm_find_slot(&self->vm, 0x100000));
	s = vmm_add_slot(&self->vm, 0x100000, 0x2000, 0, 0);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0x100000ULL, s->gpa);
}

/*
 * Long mode through the page-table builder.  Three data regions, each mapped
 * at a GVA unrelated to its GPA, one per page size:
 *   4K: G4K .. +16K  -> 0x3000    (slot 0: 0 .. 2M, tables at 1M)
 *   2M: G2M          -> 0x40200000 (slot 1: 0x40000000 .. +4M)
 *   1G: G1G          -> 0x80000000 (slot 2: 0x80000000 .. +2M; the rest of
 *                                   the 1G page has no memslot behind it)
 * The variant picks the page size of the region holding code and counter.
 */
#define G4K		0x00007f0000001000ULL
#define G2M		0x0000000200000000ULL
#define G1G		0xffffffc000000000ULL
#define FAULT_BASE	0xffff800000000000ULL
#define PT_POOL		0x100000ULL

FIXTURE(lm) {
	struct vmm vm;
	struct vmm_vcpu vcpu;
	struct vmm_pt pt;
	uint64_t code_gva, code_gpa;
	uint64_t counter_gva, counter_gpa;
	bool no_la57;
	bool gbpages;
};

/*
 * What this KVM cannot run is skipped, loudly: 5-level paging is then covered
 * by pt_5level_layout and the kernel walker tests; a KVM without 1 GiB guest
 * pages (e.g. kvm_pvm) still runs the 4K and 2M variants.  6.1's harness runs
 * the body even after SKIP() in the setup, hence the check in each body.
 */
#define SKIP_UNSUPPORTED() do { \
	if (self->no_la57) \
		SKIP(return, "KVM refuses CR4.LA57 here: 5-level not runnable"); \
	if (variant->page == VMM_PAGE_1G && !self->gbpages) \
		SKIP(return, "KVM offers no 1 GiB guest pages here"); \
} while (0)

FIXTURE_VARIANT(lm) {
	int levels;
	uint64_t page;
};

FIXTURE_VARIANT_ADD(lm, l4_4k) { .levels = 4, .page = VMM_PAGE_4K };
FIXTURE_VARIANT_ADD(lm, l4_2m) { .levels = 4, .page = VMM_PAGE_2M };
FIXTURE_VARIANT_ADD(lm, l4_1g) { .levels = 4, .page = VMM_PAGE_1G };
FIXTURE_VARIANT_ADD(lm, l5_4k) { .levels = 5, .page = VMM_PAGE_4K };
FIXTURE_VARIANT_ADD(lm, l5_2m) { .levels = 5, .page = VMM_PAGE_2M };
FIXTURE_VARIANT_ADD(lm, l5_1g) { .levels = 5, .page = VMM_PAGE_1G };

FIXTURE_SETUP(lm)
{
	struct vmm_slot *s;
	int i;

	self->vcpu.fd = -1;
	ASSERT_EQ(0, vmm_create(&self->vm));
	if (variant->levels == 5 && !vmm_has_la57(&self->vm)) {
		self->no_la57 = true;
		return;
	}
	self->gbpages = vmm_has_gbpages(&self->vm);
	ASSERT_EQ(0, vmm_vcpu_create(&self->vm, &self->vcpu, 0));

	ASSERT_NE(NULL, s = vmm_add_slot(&self->vm, 0, 0x200000, 0, 0));
	ASSERT_NE(NULL, vmm_add_slot(&self->vm, 0x40000000, 0x400000, 0, 0));
	ASSERT_NE(NULL, vmm_add_slot(&self->vm, 0x80000000, 0x200000, 0, 0));
	for (i = 0; i < VMM_MAX_SLOTS; i++)
		if (self->vm.slots[i].used)
			vmm_slot_fill_pattern(&self->vm.slots[i], SEED);

	ASSERT_EQ(0, vmm_pt_init(&self->pt, &self->vm, variant->levels,
				 PT_POOL, 0x40000));
	ASSERT_EQ(PT_POOL, vmm_pt_cr3(&self->pt));
	ASSERT_EQ(0, vmm_pt_map_range(&self->pt, G4K, 0x3000, 0x4000, VMM_PAGE_4K,
				      VMM_PTE_DEFAULT));
	ASSERT_EQ(0, vmm_pt_map(&self->pt, G2M, 0x40200000, VMM_PAGE_2M,
				VMM_PTE_DEFAULT));
	ASSERT_EQ(0, vmm_pt_map(&self->pt, G1G, 0x80000000, VMM_PAGE_1G,
				VMM_PTE_DEFAULT | VMM_PTE_U));

	switch (variant->page) {
	case VMM_PAGE_4K:
		self->code_gva = G4K + 0x2000;
		self->code_gpa = 0x5000;
		self->counter_gva = G4K + 0x3008;
		self->counter_gpa = 0x6008;
		break;
	case VMM_PAGE_2M:
		self->code_gva = G2M + 0x1000;
		self->code_gpa = 0x40201000;
		self->counter_gva = G2M + 0x100000;
		self->counter_gpa = 0x40300000;
		break;
	default:
		self->code_gva = G1G + 0x1000;
		self->code_gpa = 0x80001000;
		self->counter_gva = G1G + 0x180000;
		self->counter_gpa = 0x80180000;
		break;
	}
}

FIXTURE_TEARDOWN(lm)
{
	if (self->vcpu.fd >= 0)
		vmm_vcpu_destroy(&self->vcpu);
	vmm_destroy(&self->vm);
}

/* The builder's tables, walked by the CPU, agree with the reference walk. */
TEST_F(lm, stores_through_gvas)
{
	const struct vmm_store st[] = {
		{ G4K + 0x10,			0x1111111111111111ULL },
		{ G4K + 0x1ff0,			0x2222222222222222ULL },
		{ G2M + 0x1ff008,		0x3333333333333333ULL },
		{ G1G + 0x100008,		0x4444444444444444ULL },
		{ G1G + 0x1ff000,		0x5555555555555555ULL },
	};
	const uint64_t gpa[] = {
		0x3010, 0x4ff0, 0x403ff008, 0x80100008, 0x801ff000,
	};
	unsigned int i, n = self->gbpages ? 5 : 3;
	int len, level;
	uint64_t got;
	uint8_t *p;

	SKIP_UNSUPPORTED();
	if (!self->gbpages)
		TH_LOG("no 1 GiB guest pages: the 1G targets are walked, not stored to");

	len = vmm_guest_stores(&self->vm, self->code_gpa, st, n);
	ASSERT_LT(0, len);
	ASSERT_EQ(0, vmm_vcpu_setup_long(&self->vcpu, vmm_pt_cr3(&self->pt),
					 variant->levels, self->code_gva, 0));
	ASSERT_EQ(KVM_EXIT_HLT, vmm_vcpu_run(&self->vcpu));
	ASSERT_EQ(self->code_gva + len, vmm_vcpu_rip(&self->vcpu));

	for (i = 0; i < 5; i++) {
		p = vmm_gpa2hva(&self->vm, gpa[i], 16);
		ASSERT_NE(NULL, p);
		if (i < n)
			if (i < n) {
			ASSERT_EQ(st[i].val, load64(p)) TH_LOG("store %u", i);
		} else {
			ASSERT_EQ(-1, vmm_pattern_check(gpa[i], p, 8, SEED));
		}
		else
			ASSERT_EQ(-1, vmm_pattern_check(gpa[i], p, 8, SEED));
		/* A store of exactly 8 bytes: the next 8 kept the pattern. */
		ASSERT_EQ(-1, vmm_pattern_check(gpa[i] + 8, p + 8, 8, SEED));
		ASSERT_EQ(0, vmm_pt_translate(&self->pt, st[i].addr, &got, &level));
		ASSERT_EQ(gpa[i], got);
		ASSERT_EQ(i < 2 ? 1 : i < 3 ? 2 : 3, level);
	}
}

/* The counter loop runs in a thread and stops when told to. */
TEST_F(lm, counter_thread)
{
	uint64_t *cnt, a, b, deadline, rip;

	SKIP_UNSUPPORTED();

	cnt = vmm_gpa2hva(&self->vm, self->counter_gpa, 8);
	ASSERT_NE(NULL, cnt);
	*cnt = 0;
	ASSERT_EQ(15, vmm_guest_counter(&self->vm, self->code_gpa, self->counter_gva));
	ASSERT_EQ(0, vmm_vcpu_setup_long(&self->vcpu, vmm_pt_cr3(&self->pt),
					 variant->levels, self->code_gva, 0));
	ASSERT_EQ(0, vmm_vcpu_thread_start(&self->vcpu));

	/* It advances, and keeps advancing. */
	deadline = now_ms() + 5000;
	while (load64(cnt) < 1000 && now_ms() < deadline)
		usleep(1000);
	a = load64(cnt);
	ASSERT_LE(1000ULL, a);
	deadline = now_ms() + 5000;
	while (load64(cnt) == a && now_ms() < deadline)
		usleep(1000);
	b = load64(cnt);
	ASSERT_LT(a, b);
	ASSERT_TRUE(vmm_vcpu_thread_running(&self->vcpu));

	/* Stopped while running: -EINTR, and the counter freezes. */
	ASSERT_EQ(-EINTR, vmm_vcpu_thread_stop(&self->vcpu));
	ASSERT_FALSE(vmm_vcpu_thread_running(&self->vcpu));
	/* Interrupted inside the loop: at the inc (+10) or the jmp (+13). */
	rip = vmm_vcpu_rip(&self->vcpu);
	ASSERT_TRUE(rip == self->code_gva + 10 || rip == self->code_gva + 13)
		TH_LOG("rip %#llx", (unsigned long long)rip);
	a = load64(cnt);
	usleep(20000);
	ASSERT_EQ(a, load64(cnt));
	/* The rest of the counter's page kept its pattern. */
	ASSERT_EQ(-1, vmm_pattern_check(self->counter_gpa + 8, cnt + 1, 64, SEED));
}

/*
 * Entries the CPU must refuse: each makes the guest's store fault (no IDT,
 * so KVM_EXIT_SHUTDOWN) and leaves memory untouched; the reference walk
 * refuses them too.  Each case gets its own PML4 entry and a fresh vCPU.
 */
TEST_F(lm, faulting_entries)
{
	struct {
		const char *what;
		uint64_t flags;
		int upper;	/* clear P one level above the leaf instead */
		int err;
	} cases[] = {
		{ "valid (control)",	VMM_PTE_DEFAULT,			0, 0 },
		{ "leaf not present",	VMM_PTE_W | VMM_PTE_U,			0, -ENOENT },
		{ "upper not present",	VMM_PTE_DEFAULT,			1, -ENOENT },
		{ "bit 51 reserved",	VMM_PTE_DEFAULT | VMM_PTE_RSVD_HI,	0, -EIO },
		{ "large bit 13",	VMM_PTE_DEFAULT | VMM_PTE_RSVD_LARGE,	0, -EIO },
	};
	int level = variant->page == VMM_PAGE_4K ? 1 :
		    variant->page == VMM_PAGE_2M ? 2 : 3;
	uint64_t target = variant->page == VMM_PAGE_4K ? 0x3000 :
			  variant->page == VMM_PAGE_2M ? 0x40200000 : 0x80000000;
	uint64_t gva, got, *e;
	struct vmm_vcpu v;
	struct vmm_store st;
	unsigned int i;
	uint8_t *p;

	SKIP_UNSUPPORTED();

	p = vmm_gpa2hva(&self->vm, target, 8);
	ASSERT_NE(NULL, p);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* Bit 13 is reserved in large-page entries only. */
		if (cases[i].flags & VMM_PTE_RSVD_LARGE && level == 1)
			continue;
		gva = FAULT_BASE + i * (512ULL << 30);
		ASSERT_EQ(0, vmm_pt_map(&self->pt, gva, target, variant->page,
					cases[i].flags));
		if (cases[i].upper) {
			e = vmm_pt_entry(&self->pt, gva, level + 1, false);
			ASSERT_NE(NULL, e);
			ASSERT_TRUE(!!(*e & VMM_PTE_P));
			*e &= ~VMM_PTE_P;
		}
		ASSERT_EQ(cases[i].err, vmm_pt_translate(&self->pt, gva, &got, NULL))
			TH_LOG("%s", cases[i].what);

		st.addr = gva;
		st.val = 0xbad0bad0bad0bad0ULL + i;
		ASSERT_LT(0, vmm_guest_stores(&self->vm, self->code_gpa, &st, 1));
		ASSERT_EQ(0, vmm_vcpu_create(&self->vm, &v, 1 + i));
		ASSERT_EQ(0, vmm_vcpu_setup_long(&v, vmm_pt_cr3(&self->pt),
						 variant->levels, self->code_gva, 0));
		if (cases[i].err) {
			ASSERT_EQ(KVM_EXIT_SHUTDOWN, vmm_vcpu_run(&v))
				TH_LOG("%s", cases[i].what);
			ASSERT_EQ(-1, vmm_pattern_check(target, p, 8, SEED));
		} else {
			ASSERT_EQ(KVM_EXIT_HLT, vmm_vcpu_run(&v));
			ASSERT_EQ(st.val, load64(p));
			vmm_pattern_fill(target, p, 8, SEED);
		}
		vmm_vcpu_destroy(&v);
	}
}

/*
 * 5-level layout without running it (no LA57 here): the PML5 index is gva
 * bits 56:48, and below the PML5 entry the tree is the 4-level one.
 */
TEST(pt_5level_layout)
{
	const uint64_t gvas[] = { G4K, G4K + 0x1000, G2M + 0x1234, 0x7fffc0000000ULL };
	uint64_t hi = 0x00ab000000000000ULL, got4, got5, *root;
	struct vmm_pt p4, p5;
	struct vmm vm;
	unsigned int i, n;
	int l4, l5;

	ASSERT_EQ(0, vmm_create(&vm));
	ASSERT_NE(NULL, vmm_add_slot(&vm, 0, 0x200000, 0, 0));
	ASSERT_EQ(0, vmm_pt_init(&p4, &vm, 4, 0x100000, 0x40000));
	ASSERT_EQ(0, vmm_pt_init(&p5, &vm, 5, 0x140000, 0x40000));
	ASSERT_EQ(-EINVAL, vmm_pt_init(&p5, &vm, 3, 0x140000, 0x40000));
	ASSERT_EQ(0, vmm_pt_init(&p5, &vm, 5, 0x140000, 0x40000));
	ASSERT_EQ(0x140000ULL, vmm_pt_cr3(&p5));

	ASSERT_EQ(0, vmm_pt_map_range(&p4, G4K, 0x3000, 0x2000, VMM_PAGE_4K, VMM_PTE_DEFAULT));
	ASSERT_EQ(0, vmm_pt_map_range(&p5, G4K, 0x3000, 0x2000, VMM_PAGE_4K, VMM_PTE_DEFAULT));
	ASSERT_EQ(0, vmm_pt_map(&p4, G2M, 0x40200000, VMM_PAGE_2M, VMM_PTE_DEFAULT));
	ASSERT_EQ(0, vmm_pt_map(&p5, G2M, 0x40200000, VMM_PAGE_2M, VMM_PTE_DEFAULT));
	ASSERT_EQ(0, vmm_pt_map(&p4, 0x7fffc0000000ULL, 0x80000000, VMM_PAGE_1G, VMM_PTE_DEFAULT));
	ASSERT_EQ(0, vmm_pt_map(&p5, 0x7fffc0000000ULL, 0x80000000, VMM_PAGE_1G, VMM_PTE_DEFAULT));
	for (i = 0; i < sizeof(gvas) / sizeof(gvas[0]); i++) {
		ASSERT_EQ(0, vmm_pt_translate(&p4, gvas[i], &got4, &l4));
		ASSERT_EQ(0, vmm_pt_translate(&p5, gvas[i], &got5, &l5));
		ASSERT_EQ(got4, got5);
		ASSERT_EQ(l4, l5);
	}
	/* All of that sits under PML5 entry 0, whose table mirrors the PML4. */
	root = vmm_gpa2hva(&vm, vmm_pt_cr3(&p5), 4096);
	ASSERT_NE(NULL, root);
	for (i = 0, n = 0; i < 512; i++)
		n += !!(root[i] & VMM_PTE_P);
	ASSERT_EQ(1U, n);
	ASSERT_TRUE(!!(root[0] & VMM_PTE_P));

	/* Bits 56:48 pick the PML5 entry; that GVA is not canonical in 4-level. */
	ASSERT_EQ(-EINVAL, vmm_pt_map(&p4, hi, 0x80000000, VMM_PAGE_1G, VMM_PTE_DEFAULT));
	ASSERT_EQ(0, vmm_pt_map(&p5, hi, 0x80000000, VMM_PAGE_1G, VMM_PTE_DEFAULT));
	ASSERT_TRUE(!!(root[0xab] & VMM_PTE_P));
	ASSERT_EQ(0, vmm_pt_translate(&p5, hi + 0x12345678, &got5, &l5));
	ASSERT_EQ(0x80000000 + 0x12345678, got5);
	ASSERT_EQ(3, l5);
	ASSERT_EQ(-ENOENT, vmm_pt_translate(&p5, hi + (1ULL << 30), &got5, NULL));
	/* Kernel half: bit 56 set, sign-extended through bit 63. */
	ASSERT_EQ(0, vmm_pt_map(&p5, 0xff00000000000000ULL, 0x3000, VMM_PAGE_4K,
				VMM_PTE_DEFAULT));
	ASSERT_TRUE(!!(root[0x100] & VMM_PTE_P));
	ASSERT_EQ(-EINVAL, vmm_pt_map(&p5, 0x0100000000000000ULL, 0x3000, VMM_PAGE_4K,
				      VMM_PTE_DEFAULT));
	/* Overlaps are refused: 4K inside a 1G page, twice the same page. */
	ASSERT_EQ(-EEXIST, vmm_pt_map(&p5, hi + 0x1000, 0x3000, VMM_PAGE_4K, VMM_PTE_DEFAULT));
	ASSERT_EQ(-EEXIST, vmm_pt_map(&p5, G2M, 0x40200000, VMM_PAGE_2M, VMM_PTE_DEFAULT));
	ASSERT_EQ(-EINVAL, vmm_pt_map(&p5, G2M + 0x1000, 0x40200000, VMM_PAGE_2M,
				      VMM_PTE_DEFAULT));
	vmm_destroy(&vm);
}

TEST(pt_pool_exhaustion)
{
	struct vmm_pt pt;
	struct vmm vm;

	ASSERT_EQ(0, vmm_create(&vm));
	ASSERT_NE(NULL, vmm_add_slot(&vm, 0, 0x10000, 0, 0));
	/* Root + PDPT + PD + PT fill four pages; a new PT needs a fifth. */
	ASSERT_EQ(0, vmm_pt_init(&pt, &vm, 4, 0, 0x4000));
	ASSERT_EQ(0, vmm_pt_map(&pt, 0x1000, 0x1000, VMM_PAGE_4K, VMM_PTE_DEFAULT));
	ASSERT_EQ(0x4000ULL, pt.pool_used);
	ASSERT_EQ(-ENOMEM, vmm_pt_map(&pt, 0x200000, 0x1000, VMM_PAGE_4K,
				      VMM_PTE_DEFAULT));
	/* A pool outside every slot is refused up front. */
	ASSERT_NE(0, vmm_pt_init(&pt, &vm, 4, 0x10000, 0x1000));
	vmm_destroy(&vm);
}

TEST(fdpass)
{
	int sv[2], pfd[2], fd;
	char buf[8] = { 0 };

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, pipe(pfd));

	ASSERT_EQ(0, send_fd(sv[0], pfd[1]));
	fd = recv_fd(sv[1]);
	ASSERT_LE(0, fd);
	ASSERT_NE(pfd[1], fd);
	ASSERT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* The received fd is the same pipe. */
	ASSERT_EQ(4, write(fd, "ping", 4));
	ASSERT_EQ(4, read(pfd[0], buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "ping", 4));
	close(fd);

	/* A message without a descriptor, a bad descriptor, a dead peer. */
	ASSERT_EQ(0, send_fd_msg(sv[0], -1, "x", 1));
	ASSERT_EQ(-1, recv_fd(sv[1]));
	ASSERT_EQ(ENOMSG, errno);
	ASSERT_EQ(-1, send_fd(sv[0], -1));
	ASSERT_EQ(EBADF, errno);
	close(sv[0]);
	ASSERT_EQ(-1, recv_fd(sv[1]));
	ASSERT_EQ(ECONNRESET, errno);
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
}

/*
 * The VMM child: slot 0 at 0 (1M), a gap, slot 1 at 1G (2M, dirty-logged)
 * with the counter at a GVA that is not its GPA.
 */
#define CH_COUNTER_GPA	0x40100000ULL
#define CH_COUNTER_GVA	0x00007f0000000000ULL

FIXTURE(child) {
	struct vmm_child c;
	struct vmm_child_cfg cfg;
};

FIXTURE_VARIANT(child) {
	enum vmm_fd_pass fd_pass;
};

FIXTURE_VARIANT_ADD(child, scm) { .fd_pass = VMM_FD_SCM };
FIXTURE_VARIANT_ADD(child, pidfd) { .fd_pass = VMM_FD_PIDFD };

FIXTURE_SETUP(child)
{
	struct vmm_child_cfg *cfg = &self->cfg;

	self->c.pid = 0;
	self->c.sock = self->c.pidfd = self->c.vm_fd = -1;
	cfg->nr_slots = 2;
	cfg->slots[0] = (struct vmm_slot_cfg){ .gpa = 0, .size = 0x100000 };
	cfg->slots[1] = (struct vmm_slot_cfg){
		.gpa = 0x40000000, .size = 0x200000, .flags = KVM_MEM_LOG_DIRTY_PAGES,
	};
	cfg->pattern = true;
	cfg->seed = SEED;
	cfg->counter = true;
	cfg->counter_cfg = (struct vmm_counter_cfg){
		.pt_gpa = 0x80000, .pt_size = 0x10000,
		.code_gpa = 0x1000,
		.counter_gpa = CH_COUNTER_GPA, .counter_gva = CH_COUNTER_GVA,
	};
	cfg->fd_pass = variant->fd_pass;
}

FIXTURE_TEARDOWN(child)
{
	vmm_child_release(&self->c);
}

static bool is_kvm_vm(int fd)
{
	char path[64], link[64] = { 0 };

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (readlink(path, link, sizeof(link) - 1) < 0)
		return false;
	return !strcmp(link, "anon_inode:kvm-vm");
}

TEST_F(child, vm_fd_counter_kill)
{
	uint8_t buf[4096], out[16];
	uint64_t a, b, deadline, bitmap[8];
	int status, exit;

	ASSERT_EQ(0, vmm_child_start(&self->c, &self->cfg));
	ASSERT_LT(0, self->c.pid);
	ASSERT_LE(0, self->c.child_vm_fd);
	ASSERT_EQ(0x80000ULL, self->c.cr3);
	if (variant->fd_pass == VMM_FD_PIDFD)
		ASSERT_LE(0, self->c.pidfd);

	/*
	 * The parent holds the child's VM.  KVM refuses VM ioctls from any
	 * mm but the creator's with EIO (not ENOTTY, not EBADF): proof that
	 * this is a live KVM VM fd of another process.
	 */
	ASSERT_TRUE(is_kvm_vm(self->c.vm_fd));
	ASSERT_EQ(-1, ioctl(self->c.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
	ASSERT_EQ(EIO, errno);

	/* Patterns read in the child check out in the parent. */
	ASSERT_EQ(0, vmm_child_peek(&self->c, 0x20000, buf, sizeof(buf)));
	ASSERT_EQ(-1, vmm_pattern_check(0x20000, buf, sizeof(buf), SEED));
	ASSERT_EQ(0, vmm_child_peek(&self->c, 0x40001003, buf, 100));
	ASSERT_EQ(-1, vmm_pattern_check(0x40001003, buf, 100, SEED));
	/* A gap and a range crossing a slot's end fail. */
	ASSERT_EQ(-ENOENT, vmm_child_peek(&self->c, 0x100000, buf, 8));
	ASSERT_EQ(-ERANGE, vmm_child_peek(&self->c, 0xffff8, buf, 16));

	/* Writes in the child land. */
	memcpy(out, "vmsig-poke-test!", 16);
	ASSERT_EQ(0, vmm_child_poke(&self->c, 0x30000, out, 16));
	ASSERT_EQ(0, vmm_child_peek(&self->c, 0x30000, buf, 16));
	ASSERT_EQ(0, memcmp(out, buf, 16));

	/* The counter runs. */
	ASSERT_EQ(1, vmm_child_vcpu_state(&self->c, &exit));
	deadline = now_ms() + 5000;
	do {
		ASSERT_EQ(0, vmm_child_peek64(&self->c, CH_COUNTER_GPA, &a));
	} while (a < 1000 && now_ms() < deadline);
	ASSERT_LE(1000ULL, a);
	deadline = now_ms() + 5000;
	do {
		ASSERT_EQ(0, vmm_child_peek64(&self->c, CH_COUNTER_GPA, &b));
	} while (b == a && now_ms() < deadline);
	ASSERT_LT(a, b);

	/* The guest's writes show in the dirty log, on the counter's page. */
	ASSERT_EQ(0, vmm_child_dirty_log(&self->c, 1, bitmap, sizeof(bitmap)));
	ASSERT_EQ(1ULL, bitmap[(CH_COUNTER_GPA - 0x40000000) / 4096 / 64]);
	ASSERT_EQ(0ULL, bitmap[0]);
	/* Slot 0 is not dirty-logged. */
	ASSERT_EQ(-ENOENT, vmm_child_dirty_log(&self->c, 0, bitmap, 64));

	/* SIGKILL and reap; the VM fd outlives its VMM in the parent. */
	status = vmm_child_kill(&self->c);
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(SIGKILL, WTERMSIG(status));
	ASSERT_EQ(0, self->c.pid);
	ASSERT_TRUE(is_kvm_vm(self->c.vm_fd));
	ASSERT_EQ(-ECHILD, vmm_child_kill(&self->c));
}

TEST_F(child, stop_cleanly)
{
	int status;

	self->cfg.counter = false;
	ASSERT_EQ(0, vmm_child_start(&self->c, &self->cfg));
	ASSERT_TRUE(is_kvm_vm(self->c.vm_fd));
	ASSERT_EQ(0, vmm_child_vcpu_state(&self->c, NULL));
	status = vmm_child_stop(&self->c);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

static int fail_setup(struct vmm *vm, void *arg)
{
	return -*(int *)arg;
}

/* Setup errors in the child come back as the start's result. */
TEST_F(child, setup_errors)
{
	int err = EADDRINUSE;

	self->cfg.slots[1].size = 0x1234;
	ASSERT_EQ(-EINVAL, vmm_child_start(&self->c, &self->cfg));
	ASSERT_EQ(0, self->c.pid);
	ASSERT_EQ(-1, self->c.vm_fd);

	self->cfg.slots[1].size = 0x200000;
	self->cfg.setup = fail_setup;
	self->cfg.setup_arg = &err;
	ASSERT_EQ(-EADDRINUSE, vmm_child_start(&self->c, &self->cfg));
	ASSERT_EQ(0, self->c.pid);
}

TEST_HARNESS_MAIN
