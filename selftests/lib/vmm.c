// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal test VMM on top of /dev/kvm, for the vmsig selftests.  See vmm.h.
 */
#include <cpuid.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "vmm.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_MP	(1ULL << 1)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NE	(1ULL << 5)
#define X86_CR0_WP	(1ULL << 16)
#define X86_CR0_AM	(1ULL << 18)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define X86_CR4_LA57	(1ULL << 12)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define EFER_NXE	(1ULL << 11)

/* ------------------------------------------------------------- VM --- */

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2 *c;
	int nent = 64;

	for (;;) {
		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = nent;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
			return c;
		free(c);
		if (errno != E2BIG || nent >= 4096)
			return NULL;
		nent *= 2;
	}
}

int vmm_create(struct vmm *vm)
{
	int i, r;

	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	for (i = 0; i < VMM_MAX_SLOTS; i++)
		vm->slots[i].memfd = -1;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return -errno;
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		r = r < 0 ? -errno : -EPROTO;
		goto err;
	}
	r = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < (int)sizeof(struct kvm_run)) {
		r = r < 0 ? -errno : -EPROTO;
		goto err;
	}
	vm->run_size = r;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		r = -errno;
		goto err;
	}
	/* Only Intel without unrestricted guest uses it; a no-op elsewhere. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VMM_TSS_GPA)) {
		r = -errno;
		goto err;
	}
	return 0;
err:
	vmm_destroy(vm);
	return r;
}

static void slot_unmap(struct vmm_slot *s)
{
	if (s->hva)
		munmap(s->hva, s->size);
	if (s->memfd >= 0)
		close(s->memfd);
	memset(s, 0, sizeof(*s));
	s->memfd = -1;
}

void vmm_destroy(struct vmm *vm)
{
	int i;

	/* Close the VM first: KVM must not see slots vanish under it. */
	if (vm->vm_fd > 0)
		close(vm->vm_fd);
	if (vm->kvm_fd > 0)
		close(vm->kvm_fd);
	for (i = 0; i < VMM_MAX_SLOTS; i++)
		if (vm->slots[i].used)
			slot_unmap(&vm->slots[i]);
	vm->vm_fd = -1;
	vm->kvm_fd = -1;
}

struct vmm_slot *vmm_add_slot(struct vmm *vm, uint64_t gpa, uint64_t size,
			      uint32_t flags, uint32_t vmm_flags)
{
	struct kvm_userspace_memory_region r = { 0 };
	struct vmm_slot *s = NULL;
	int i, mflags;

	if (!size || (gpa | size) & (VMM_PAGE_4K - 1) ||
	    (vmm_flags & ~VMM_SLOT_MEMFD)) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < VMM_MAX_SLOTS && !s; i++)
		if (!vm->slots[i].used)
			s = &vm->slots[i];
	if (!s) {
		errno = ENOSPC;
		return NULL;
	}
	s->id = s - vm->slots;
	s->memfd = -1;
	mflags = MAP_NORESERVE;
	if (vmm_flags & VMM_SLOT_MEMFD) {
		s->memfd = memfd_create("vmm-slot", MFD_CLOEXEC);
		if (s->memfd < 0 || ftruncate(s->memfd, size))
			goto err;
		mflags |= MAP_SHARED;
	} else {
		mflags |= MAP_PRIVATE | MAP_ANONYMOUS;
	}
	s->hva = mmap(NULL, size, PROT_READ | PROT_WRITE, mflags, s->memfd, 0);
	if (s->hva == MAP_FAILED) {
		s->hva = NULL;
		goto err;
	}
	s->size = size;
	r.slot = s->id;
	r.flags = flags;
	r.guest_phys_addr = gpa;
	r.memory_size = size;
	r.userspace_addr = (uintptr_t)s->hva;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		goto err;
	s->used = true;
	s->flags = flags;
	s->vmm_flags = vmm_flags;
	s->gpa = gpa;
	return s;
err:
	i = errno;
	slot_unmap(s);
	errno = i;
	return NULL;
}

int vmm_remove_slot(struct vmm *vm, struct vmm_slot *s)
{
	struct kvm_userspace_memory_region r = { .slot = s->id };

	if (!s->used)
		return -EINVAL;
	/* memory_size 0 deletes the slot. */
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		return -errno;
	slot_unmap(s);
	return 0;
}

struct vmm_slot *vmm_find_slot(struct vmm *vm, uint64_t gpa)
{
	int i;

	for (i = 0; i < VMM_MAX_SLOTS; i++) {
		struct vmm_slot *s = &vm->slots[i];

		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size)
			return s;
	}
	errno = ENOENT;
	return NULL;
}

void *vmm_gpa2hva(struct vmm *vm, uint64_t gpa, size_t len)
{
	struct vmm_slot *s = vmm_find_slot(vm, gpa);

	if (!s)
		return NULL;
	if (len > s->size - (gpa - s->gpa)) {
		errno = ERANGE;
		return NULL;
	}
	return (char *)s->hva + (gpa - s->gpa);
}

int vmm_get_dirty_log(struct vmm *vm, struct vmm_slot *slot, void *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot->id, .dirty_bitmap = bitmap };

	return ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) ? -errno : 0;
}

static bool cpuid_has(struct vmm *vm, uint32_t fn, uint32_t reg, uint32_t bit)
{
	struct kvm_cpuid2 *c = supported_cpuid(vm->kvm_fd);
	bool ret = false;
	unsigned int i;

	for (i = 0; c && i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		uint32_t r[] = { e->eax, e->ebx, e->ecx, e->edx };

		if (e->function == fn && e->index == 0)
			ret = r[reg] & (1U << bit);
	}
	free(c);
	return ret;
}

bool vmm_has_la57(struct vmm *vm)
{
	struct vmm_vcpu vcpu;
	struct vmm probe;
	bool ret;

	if (!cpuid_has(vm, 7, 2, 16))		/* CPUID.7.0:ECX.LA57 */
		return false;
	/*
	 * Some KVMs (kvm_pvm on a 4-level host) advertise LA57 yet refuse
	 * CR4.LA57: ask for it for real, in a throwaway VM.
	 */
	if (vmm_create(&probe))
		return false;
	ret = !vmm_vcpu_create(&probe, &vcpu, 0);
	if (ret) {
		ret = !vmm_vcpu_setup_long(&vcpu, 0, 5, 0, 0);
		vmm_vcpu_destroy(&vcpu);
	}
	vmm_destroy(&probe);
	return ret;
}

bool vmm_has_gbpages(struct vmm *vm)
{
	return cpuid_has(vm, 0x80000001, 3, 26);	/* EDX.Page1GB */
}

/* -------------------------------------------------------- patterns --- */

/* splitmix64's finaliser: cheap, and every input bit reaches every output. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t vmm_pattern_word(uint64_t gpa, uint64_t seed)
{
	return mix64((gpa & ~7ULL) ^ mix64(seed + 0x9e3779b97f4a7c15ULL));
}

uint8_t vmm_pattern_byte(uint64_t gpa, uint64_t seed)
{
	return vmm_pattern_word(gpa, seed) >> (8 * (gpa & 7));
}

void vmm_pattern_fill(uint64_t gpa, void *buf, size_t len, uint64_t seed)
{
	uint8_t *p = buf;
	uint64_t w;

	while (len && (gpa & 7)) {
		*p++ = vmm_pattern_byte(gpa++, seed);
		len--;
	}
	for (; len >= 8; len -= 8, gpa += 8, p += 8) {
		w = htole64(vmm_pattern_word(gpa, seed));
		memcpy(p, &w, 8);
	}
	while (len--)
		*p++ = vmm_pattern_byte(gpa++, seed);
}

void vmm_slot_fill_pattern(struct vmm_slot *slot, uint64_t seed)
{
	vmm_pattern_fill(slot->gpa, slot->hva, slot->size, seed);
}

ssize_t vmm_pattern_check(uint64_t gpa, const void *buf, size_t len, uint64_t seed)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != vmm_pattern_byte(gpa + i, seed))
			return i;
	return -1;
}

/* ----------------------------------------------------------- vCPU --- */

int vmm_vcpu_create(struct vmm *vm, struct vmm_vcpu *vcpu, unsigned int id)
{
	struct kvm_cpuid2 *cpuid;
	int r;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0)
		return -errno;
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		r = -errno;
		vcpu->run = NULL;
		goto err;
	}
	/*
	 * KVM checks control registers against the guest's CPUID: EFER.LME
	 * needs LM, EFER.NXE needs NX, CR4.LA57 needs LA57, and 1 GiB pages
	 * need PDPE1GB with shadow paging.  Give the guest all KVM supports.
	 */
	cpuid = supported_cpuid(vm->kvm_fd);
	if (!cpuid) {
		r = -errno;
		goto err;
	}
	r = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) ? -errno : 0;
	free(cpuid);
	if (r)
		goto err;
	return 0;
err:
	vmm_vcpu_destroy(vcpu);
	return r;
}

void vmm_vcpu_destroy(struct vmm_vcpu *vcpu)
{
	if (vcpu->thread_started)
		vmm_vcpu_thread_stop(vcpu);
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->run_size);
	if (vcpu->fd > 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

static int set_rip(struct vmm_vcpu *vcpu, uint64_t rip, uint64_t rsp)
{
	struct kvm_regs regs = { 0 };

	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = 2;	/* bit 1 always reads as one */
	return ioctl(vcpu->fd, KVM_SET_REGS, &regs) ? -errno : 0;
}

int vmm_vcpu_setup_real(struct vmm_vcpu *vcpu, uint64_t code_gpa)
{
	struct kvm_sregs sregs;
	struct kvm_segment *data[] = {
		&sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss,
	};
	unsigned int i;

	if (code_gpa >= 0x100000)
		return -EINVAL;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs))
		return -errno;
	/*
	 * Reset state runs at 0xfffffff0 (CS base 0xffff0000).  Keep the
	 * base equal to selector << 4: vm86-based real mode (Intel without
	 * unrestricted guest) insists on it.
	 */
	sregs.cs.base = code_gpa & ~0xffffULL;
	sregs.cs.selector = sregs.cs.base >> 4;
	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
		data[i]->base = 0;
		data[i]->selector = 0;
	}
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs))
		return -errno;
	return set_rip(vcpu, code_gpa & 0xffff, 0);
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, bool code)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->present = 1;
	s->s = 1;		/* code/data, not system */
	s->g = 1;
	if (code) {
		s->type = 0xb;	/* execute/read, accessed */
		s->l = 1;	/* 64-bit; D must then be 0 */
	} else {
		s->type = 0x3;	/* read/write, accessed */
		s->db = 1;
	}
}

int vmm_vcpu_setup_long(struct vmm_vcpu *vcpu, uint64_t cr3, int levels,
			uint64_t rip, uint64_t rsp)
{
	struct kvm_sregs sregs;

	if (levels != 4 && levels != 5)
		return -EINVAL;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs))
		return -errno;
	/*
	 * No GDT: the hidden segment state is loaded directly.  TR and LDTR
	 * keep their reset values, which VMX/SVM entry checks accept.
	 */
	seg_flat(&sregs.cs, 0x8, true);
	seg_flat(&sregs.ds, 0x10, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	/* NE and ET: VMX requires them; WP so CPL 0 honours read-only. */
	sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		    X86_CR0_WP | X86_CR0_AM | X86_CR0_PG;
	sregs.cr3 = cr3;
	sregs.cr4 = X86_CR4_PAE | (levels == 5 ? X86_CR4_LA57 : 0);
	sregs.efer = EFER_LME | EFER_LMA | EFER_NXE;
	/* No IDT: any exception becomes a triple fault, KVM_EXIT_SHUTDOWN. */
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs))
		return -errno;
	return set_rip(vcpu, rip, rsp);
}

int vmm_vcpu_run(struct vmm_vcpu *vcpu)
{
	if (ioctl(vcpu->fd, KVM_RUN, 0))
		return -errno;
	return vcpu->run->exit_reason;
}

uint64_t vmm_vcpu_rip(struct vmm_vcpu *vcpu)
{
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs))
		return (uint64_t)-1;
	return regs.rip;
}

static void kick_handler(int sig)
{
	/* Only there to make KVM_RUN return -EINTR. */
}

static pthread_once_t kick_once = PTHREAD_ONCE_INIT;

static void kick_install(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(VMM_KICK_SIGNAL, &sa, NULL);
}

static void *vcpu_thread(void *arg)
{
	struct vmm_vcpu *vcpu = arg;
	sigset_t set;
	int r = -EINTR;

	sigemptyset(&set);
	sigaddset(&set, VMM_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (!__atomic_load_n(&vcpu->thread_stop, __ATOMIC_SEQ_CST)) {
		r = vmm_vcpu_run(vcpu);
		if (r != -EINTR)
			break;
	}
	vcpu->thread_result = r;
	__atomic_store_n(&vcpu->thread_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

int vmm_vcpu_thread_start(struct vmm_vcpu *vcpu)
{
	int r;

	if (vcpu->thread_started)
		return -EBUSY;
	pthread_once(&kick_once, kick_install);
	vcpu->thread_stop = 0;
	vcpu->thread_done = 0;
	vcpu->thread_result = 0;
	r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	if (r)
		return -r;
	vcpu->thread_started = true;
	return 0;
}

bool vmm_vcpu_thread_running(struct vmm_vcpu *vcpu)
{
	return vcpu->thread_started &&
	       !__atomic_load_n(&vcpu->thread_done, __ATOMIC_SEQ_CST);
}

int vmm_vcpu_thread_stop(struct vmm_vcpu *vcpu)
{
	if (!vcpu->thread_started)
		return -EINVAL;
	__atomic_store_n(&vcpu->thread_stop, 1, __ATOMIC_SEQ_CST);
	/*
	 * immediate_exit covers the window where the thread is between its
	 * stop check and KVM_RUN; the signal covers a thread inside KVM_RUN.
	 */
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(vcpu->thread, VMM_KICK_SIGNAL);
	pthread_join(vcpu->thread, NULL);
	vcpu->run->immediate_exit = 0;
	vcpu->thread_started = false;
	return vcpu->thread_result;
}

/* ------------------------------------------------- guest programs --- */

static int put_code(struct vmm *vm, uint64_t gpa, const uint8_t *code, size_t len)
{
	void *p = vmm_gpa2hva(vm, gpa, len);

	if (!p)
		return -errno;
	memcpy(p, code, len);
	return len;
}

static uint8_t *emit_imm64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
	return p + 8;
}

int vmm_guest_hlt(struct vmm *vm, uint64_t gpa)
{
	static const uint8_t code[] = { 0xf4 };		/* hlt */

	return put_code(vm, gpa, code, sizeof(code));
}

int vmm_guest_counter(struct vmm *vm, uint64_t gpa, uint64_t counter_addr)
{
	uint8_t code[15], *p = code;

	*p++ = 0x48;			/* REX.W                        */
	*p++ = 0xb8;			/* mov rax, imm64               */
	p = emit_imm64(p, counter_addr);
	*p++ = 0x48;			/* 1: REX.W                     */
	*p++ = 0xff;			/* inc qword ptr [rax]: FF /0,  */
	*p++ = 0x00;			/*    ModRM mod=00 reg=0 rm=rax */
	*p++ = 0xeb;			/* jmp rel8                     */
	*p++ = 0xfb;			/*    -5: back to 1:            */
	return put_code(vm, gpa, code, p - code);
}

int vmm_guest_counter_locked(struct vmm *vm, uint64_t gpa, uint64_t counter_addr)
{
	uint8_t code[20], *p = code;

	*p++ = 0x48;			/* REX.W                          */
	*p++ = 0xb8;			/* mov rax, imm64                 */
	p = emit_imm64(p, counter_addr);
	*p++ = 0xf0;			/* 1: lock                        */
	*p++ = 0x48;			/*    REX.W                       */
	*p++ = 0xff;			/*    inc qword ptr [rax]: FF /0  */
	*p++ = 0x00;			/*    ModRM mod=00 reg=0 rm=rax   */
	*p++ = 0x48;			/* REX.W                          */
	*p++ = 0xff;			/* inc qword ptr [rax+8]: FF /0,  */
	*p++ = 0x40;			/*    ModRM mod=01 reg=0 rm=rax   */
	*p++ = 0x08;			/*    disp8 8                     */
	*p++ = 0xeb;			/* jmp rel8                       */
	*p++ = 0xf6;			/*    -10: back to 1:             */
	return put_code(vm, gpa, code, p - code);
}

int vmm_guest_stores(struct vmm *vm, uint64_t gpa, const struct vmm_store *st,
		     unsigned int n)
{
	uint8_t *code, *p;
	int r;

	code = malloc(23 * (size_t)n + 1);
	if (!code)
		return -ENOMEM;
	for (p = code; n; n--, st++) {
		*p++ = 0x48;		/* REX.W                        */
		*p++ = 0xb8;		/* mov rax, imm64 (address)     */
		p = emit_imm64(p, st->addr);
		*p++ = 0x48;		/* REX.W                        */
		*p++ = 0xbb;		/* mov rbx, imm64 (value)       */
		p = emit_imm64(p, st->val);
		*p++ = 0x48;		/* REX.W                        */
		*p++ = 0x89;		/* mov [rax], rbx: 89 /r,       */
		*p++ = 0x18;		/*    ModRM mod=00 reg=rbx rm=rax */
	}
	*p++ = 0xf4;			/* hlt                          */
	r = put_code(vm, gpa, code, p - code);
	free(code);
	return r;
}

/* ---------------------------------------------- x86-64 page tables --- */

static unsigned int pt_index(uint64_t gva, int level)
{
	return (gva >> (12 + 9 * (level - 1))) & 511;
}

static uint64_t level_size(int level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

static bool canonical(uint64_t gva, int levels)
{
	int bits = levels == 5 ? 57 : 48;

	return (uint64_t)((int64_t)(gva << (64 - bits)) >> (64 - bits)) == gva;
}

/* A zeroed table from the pool; 0 is a valid address, so it comes in *gpa. */
static int pt_alloc(struct vmm_pt *pt, uint64_t *gpa)
{
	void *p;

	if (pt->pool_size - pt->pool_used < VMM_PAGE_4K)
		return -ENOMEM;
	*gpa = pt->pool_gpa + pt->pool_used;
	p = vmm_gpa2hva(pt->vm, *gpa, VMM_PAGE_4K);
	if (!p)
		return -errno;
	memset(p, 0, VMM_PAGE_4K);	/* the pool may hold a pattern */
	pt->pool_used += VMM_PAGE_4K;
	return 0;
}

int vmm_pt_init(struct vmm_pt *pt, struct vmm *vm, int levels,
		uint64_t pool_gpa, uint64_t pool_size)
{
	memset(pt, 0, sizeof(*pt));
	if ((levels != 4 && levels != 5) ||
	    (pool_gpa | pool_size) & (VMM_PAGE_4K - 1))
		return -EINVAL;
	if (!vmm_gpa2hva(vm, pool_gpa, pool_size))
		return -errno;
	pt->vm = vm;
	pt->levels = levels;
	pt->pool_gpa = pool_gpa;
	pt->pool_size = pool_size;
	return pt_alloc(pt, &pt->root);
}

uint64_t vmm_pt_cr3(const struct vmm_pt *pt)
{
	return pt->root;
}

uint64_t *vmm_pt_entry(struct vmm_pt *pt, uint64_t gva, int level, bool create)
{
	uint64_t table = pt->root, *e, next;
	int l;

	if (level < 1 || level > pt->levels || !canonical(gva, pt->levels)) {
		errno = EINVAL;
		return NULL;
	}
	for (l = pt->levels; ; l--) {
		e = vmm_gpa2hva(pt->vm, table, VMM_PAGE_4K);
		if (!e)
			return NULL;
		e += pt_index(gva, l);
		if (l == level)
			return e;
		if (!(*e & VMM_PTE_P)) {
			/* Never replace an entry a test made not-present. */
			if (*e || !create) {
				errno = *e ? EEXIST : ENOENT;
				return NULL;
			}
			int r = pt_alloc(pt, &next);

			if (r) {
				errno = -r;
				return NULL;
			}
			*e = next | VMM_PTE_P | VMM_PTE_W | VMM_PTE_U;
		} else if (l <= 3 && (*e & VMM_PTE_PS)) {
			errno = EEXIST;		/* a large page covers gva */
			return NULL;
		}
		table = *e & VMM_PTE_ADDR;
	}
}

int vmm_pt_map(struct vmm_pt *pt, uint64_t gva, uint64_t gpa,
	       uint64_t page_size, uint64_t flags)
{
	uint64_t *e;
	int level;

	if (page_size == VMM_PAGE_4K)
		level = 1;
	else if (page_size == VMM_PAGE_2M)
		level = 2;
	else if (page_size == VMM_PAGE_1G)
		level = 3;
	else
		return -EINVAL;
	if ((gva | gpa) & (page_size - 1) || gpa & ~VMM_PTE_ADDR)
		return -EINVAL;
	e = vmm_pt_entry(pt, gva, level, true);
	if (!e)
		return -errno;
	if (*e)
		return -EEXIST;
	*e = gpa | flags | (level > 1 ? VMM_PTE_PS : 0);
	return 0;
}

int vmm_pt_map_range(struct vmm_pt *pt, uint64_t gva, uint64_t gpa,
		     uint64_t len, uint64_t page_size, uint64_t flags)
{
	uint64_t off;
	int r;

	if (len & (page_size - 1))
		return -EINVAL;
	for (off = 0; off < len; off += page_size) {
		r = vmm_pt_map(pt, gva + off, gpa + off, page_size, flags);
		if (r)
			return r;
	}
	return 0;
}

unsigned int vmm_phys_bits(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000008, &a, &b, &c, &d))
		return 36;	/* the architectural default */
	return a & 0xff;
}

int vmm_pt_translate(struct vmm_pt *pt, uint64_t gva, uint64_t *gpa, int *level)
{
	uint64_t rsvd = VMM_PTE_ADDR & ~((1ULL << vmm_phys_bits()) - 1);
	uint64_t table = pt->root, e, *tab, sz;
	int l, r = 0;

	if (!canonical(gva, pt->levels))
		return -EINVAL;
	for (l = pt->levels; l >= 1; l--) {
		tab = vmm_gpa2hva(pt->vm, table, VMM_PAGE_4K);
		if (!tab) {
			r = -EFAULT;
			break;
		}
		e = tab[pt_index(gva, l)];
		if (!(e & VMM_PTE_P)) {
			r = -ENOENT;
			break;
		}
		if (e & rsvd || (l >= 4 && (e & VMM_PTE_PS))) {
			r = -EIO;
			break;
		}
		if (l == 1 || (l <= 3 && (e & VMM_PTE_PS))) {
			sz = level_size(l);
			/* Large pages: bit 12 is PAT, bits up to the size - 1 reserved. */
			if (l > 1 && (e & (sz - 1) & ~0x1fffULL)) {
				r = -EIO;
				break;
			}
			*gpa = (e & VMM_PTE_ADDR & ~(sz - 1)) | (gva & (sz - 1));
			break;
		}
		table = e & VMM_PTE_ADDR;
	}
	if (level)
		*level = l;
	return r;
}

int vmm_counter_setup(struct vmm *vm, struct vmm_vcpu *vcpu,
		      const struct vmm_counter_cfg *cc, uint64_t *cr3)
{
	uint64_t code_gva = cc->code_gva ? cc->code_gva : cc->code_gpa;
	uint64_t cnt_gva = cc->counter_gva ? cc->counter_gva : cc->counter_gpa;
	uint64_t pmask = ~(VMM_PAGE_4K - 1);
	int levels = cc->levels ? cc->levels : 4;
	uint64_t *counter;
	struct vmm_pt pt;
	int r;

	if (cc->counter_gpa & 7 || (cnt_gva & ~pmask) != (cc->counter_gpa & ~pmask))
		return -EINVAL;
	/* The locked variant keeps its own count in the next word, same page. */
	if (cc->locked && (cc->counter_gpa & ~pmask) > VMM_PAGE_4K - 16)
		return -EINVAL;
	counter = vmm_gpa2hva(vm, cc->counter_gpa, cc->locked ? 16 : 8);
	if (!counter)
		return -errno;
	r = vmm_pt_init(&pt, vm, levels, cc->pt_gpa, cc->pt_size);
	if (r)
		return r;
	r = vmm_pt_map(&pt, code_gva, cc->code_gpa, VMM_PAGE_4K, VMM_PTE_DEFAULT);
	if (r)
		return r;
	/* The counter may share the code's page; it must then map the same. */
	if ((cnt_gva & pmask) != code_gva ||
	    (cc->counter_gpa & pmask) != cc->code_gpa) {
		r = vmm_pt_map(&pt, cnt_gva & pmask, cc->counter_gpa & pmask,
			       VMM_PAGE_4K, VMM_PTE_DEFAULT | VMM_PTE_NX);
		if (r)
			return r;
	}
	if (cc->locked)
		r = vmm_guest_counter_locked(vm, cc->code_gpa, cnt_gva);
	else
		r = vmm_guest_counter(vm, cc->code_gpa, cnt_gva);
	if (r < 0)
		return r;
	counter[0] = 0;
	if (cc->locked)
		counter[1] = 0;
	r = vmm_vcpu_setup_long(vcpu, vmm_pt_cr3(&pt), levels, code_gva, 0);
	if (r)
		return r;
	if (cr3)
		*cr3 = vmm_pt_cr3(&pt);
	return 0;
}

/* ------------------------------------------------------ VMM child --- */

enum {
	VMM_CMD_PEEK = 1,
	VMM_CMD_POKE,
	VMM_CMD_PEEK64,
	VMM_CMD_DIRTY_LOG,
	VMM_CMD_VCPU_STATE,
	VMM_CMD_VCPU_STOP,
	VMM_CMD_QUIT,
};

struct vmm_hello {
	int32_t err;
	int32_t vm_fd;
	uint64_t cr3;
};

struct vmm_req {
	uint32_t op;
	uint32_t len;
	uint64_t gpa;		/* or slot index for VMM_CMD_DIRTY_LOG */
	uint8_t data[VMM_CHILD_IO_MAX];
};

struct vmm_rep {
	int32_t err;
	int32_t val32;
	uint64_t val;
	uint8_t data[VMM_CHILD_IO_MAX];
};

#define REQ_HDR	offsetof(struct vmm_req, data)
#define REP_HDR	offsetof(struct vmm_rep, data)

static void child_serve(int sock, struct vmm *vm, struct vmm_vcpu *vcpu,
			bool have_vcpu)
{
	struct vmm_req *req = malloc(sizeof(*req));
	struct vmm_rep *rep = malloc(sizeof(*rep));
	size_t out;
	ssize_t n;
	void *p;
	int fd;

	if (!req || !rep)
		return;
	for (;;) {
		n = recv_fd_msg(sock, req, sizeof(*req), &fd);
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			return;		/* EOF: the parent is gone */
		memset(rep, 0, REP_HDR);
		out = REP_HDR;
		if ((size_t)n < REQ_HDR || req->len > VMM_CHILD_IO_MAX) {
			rep->err = -EINVAL;
			goto reply;
		}
		switch (req->op) {
		case VMM_CMD_PEEK:
		case VMM_CMD_POKE:
			p = vmm_gpa2hva(vm, req->gpa, req->len);
			if (!p) {
				rep->err = -errno;
			} else if (req->op == VMM_CMD_PEEK) {
				memcpy(rep->data, p, req->len);
				out += req->len;
			} else if ((size_t)n != REQ_HDR + req->len) {
				rep->err = -EINVAL;
			} else {
				memcpy(p, req->data, req->len);
			}
			break;
		case VMM_CMD_PEEK64:
			p = vmm_gpa2hva(vm, req->gpa, 8);
			if (!p)
				rep->err = -errno;
			else if (req->gpa & 7)
				rep->err = -EINVAL;
			else
				rep->val = __atomic_load_n((uint64_t *)p,
							   __ATOMIC_RELAXED);
			break;
		case VMM_CMD_DIRTY_LOG: {
			struct vmm_slot *s = req->gpa < VMM_MAX_SLOTS ?
					     &vm->slots[req->gpa] : NULL;

			if (!s || !s->used ||
			    req->len < (s->size / VMM_PAGE_4K + 63) / 64 * 8) {
				rep->err = -EINVAL;
				break;
			}
			memset(rep->data, 0, req->len);
			rep->err = vmm_get_dirty_log(vm, s, rep->data);
			if (!rep->err)
				out += req->len;
			break;
		}
		case VMM_CMD_VCPU_STATE:
			rep->val32 = have_vcpu && vmm_vcpu_thread_running(vcpu);
			rep->val = have_vcpu ? (uint64_t)(int64_t)vcpu->thread_result : 0;
			break;
		case VMM_CMD_VCPU_STOP:
			rep->err = have_vcpu ? 0 : -ENOENT;
			if (have_vcpu)
				rep->val = (uint64_t)(int64_t)vmm_vcpu_thread_stop(vcpu);
			break;
		case VMM_CMD_QUIT:
			send_fd_msg(sock, -1, rep, out);
			return;
		default:
			rep->err = -EOPNOTSUPP;
		}
reply:
		if (send_fd_msg(sock, -1, rep, out))
			return;
	}
}

static void __attribute__((noreturn))
child_main(int sock, const struct vmm_child_cfg *cfg)
{
	struct vmm_hello hello = { .vm_fd = -1 };
	struct vmm_vcpu vcpu = { .fd = -1 };
	bool have_vcpu = false;
	struct vmm_slot *s;
	struct vmm vm;
	unsigned int i;
	int r;

	r = vmm_create(&vm);
	for (i = 0; !r && i < cfg->nr_slots; i++) {
		s = vmm_add_slot(&vm, cfg->slots[i].gpa, cfg->slots[i].size,
				 cfg->slots[i].flags, cfg->slots[i].vmm_flags);
		if (!s)
			r = -errno;
		else if (cfg->pattern)
			vmm_slot_fill_pattern(s, cfg->seed);
	}
	if (!r && cfg->setup)
		r = cfg->setup(&vm, cfg->setup_arg);
	if (!r && cfg->counter) {
		r = vmm_vcpu_create(&vm, &vcpu, 0);
		have_vcpu = !r;
		if (!r)
			r = vmm_counter_setup(&vm, &vcpu, &cfg->counter_cfg,
					      &hello.cr3);
		if (!r)
			r = vmm_vcpu_thread_start(&vcpu);
	}
	hello.err = r;
	hello.vm_fd = r ? -1 : vm.vm_fd;
	r = send_fd_msg(sock, !r && cfg->fd_pass == VMM_FD_SCM ? vm.vm_fd : -1,
			&hello, sizeof(hello));
	if (!r && !hello.err)
		child_serve(sock, &vm, &vcpu, have_vcpu);
	if (have_vcpu)
		vmm_vcpu_destroy(&vcpu);
	vmm_destroy(&vm);
	_exit(hello.err ? 1 : 0);
}

static int reap(struct vmm_child *c)
{
	int status;
	pid_t p;

	do {
		p = waitpid(c->pid, &status, 0);
	} while (p < 0 && errno == EINTR);
	if (p < 0)
		return -errno;
	c->pid = 0;
	if (c->sock >= 0)
		close(c->sock);
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->sock = -1;
	c->pidfd = -1;
	return status;
}

int vmm_child_start(struct vmm_child *c, const struct vmm_child_cfg *cfg)
{
	struct vmm_hello hello;
	pid_t parent = getpid();
	int sv[2], fd, r;
	ssize_t n;

	memset(c, 0, sizeof(*c));
	c->sock = c->pidfd = c->vm_fd = c->child_vm_fd = -1;
	if (cfg->nr_slots > VMM_MAX_SLOTS)
		return -EINVAL;
	/* SEQPACKET: one request, one message, and EOF when a side dies. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	c->pid = fork();
	if (c->pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		c->pid = 0;
		return r;
	}
	if (!c->pid) {
		close(sv[0]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(1);
		child_main(sv[1], cfg);
	}
	close(sv[1]);
	c->sock = sv[0];

	n = recv_fd_msg(c->sock, &hello, sizeof(hello), &fd);
	if (n != sizeof(hello)) {
		r = n < 0 ? -errno : -EPIPE;
		goto err;
	}
	if (hello.err) {
		r = hello.err < 0 ? hello.err : -EPROTO;
		goto err;
	}
	c->child_vm_fd = hello.vm_fd;
	c->cr3 = hello.cr3;
	if (cfg->fd_pass == VMM_FD_SCM) {
		if (fd < 0) {
			r = -ENOMSG;
			goto err;
		}
		c->vm_fd = fd;
		return 0;
	}
	if (fd >= 0)
		close(fd);
	/* glibc 2.36 wraps neither call. */
	c->pidfd = syscall(SYS_pidfd_open, c->pid, 0);
	if (c->pidfd < 0) {
		r = -errno;
		goto err;
	}
	c->vm_fd = syscall(SYS_pidfd_getfd, c->pidfd, c->child_vm_fd, 0);
	if (c->vm_fd < 0) {
		r = -errno;
		goto err;
	}
	return 0;
err:
	if (fd >= 0 && fd != c->vm_fd)
		close(fd);
	vmm_child_release(c);
	return r;
}

static int child_call(struct vmm_child *c, const struct vmm_req *req,
		      size_t len, struct vmm_rep *rep, size_t *rep_len)
{
	ssize_t n;
	int fd;

	if (c->sock < 0)
		return -ENOTCONN;
	if (send_fd_msg(c->sock, -1, req, len))
		return -errno;
	n = recv_fd_msg(c->sock, rep, sizeof(*rep), &fd);
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n < REP_HDR)
		return -EPIPE;
	if (rep_len)
		*rep_len = n - REP_HDR;
	return rep->err;
}

static int child_io(struct vmm_child *c, uint32_t op, uint64_t gpa,
		    void *in, const void *out, size_t len)
{
	struct vmm_req *req = malloc(sizeof(*req));
	struct vmm_rep *rep = malloc(sizeof(*rep));
	size_t got, sent = REQ_HDR;
	int r;

	r = -ENOMEM;
	if (!req || !rep)
		goto out;
	r = -EINVAL;
	if (len > VMM_CHILD_IO_MAX)
		goto out;
	req->op = op;
	req->len = len;
	req->gpa = gpa;
	if (out) {
		memcpy(req->data, out, len);
		sent += len;
	}
	r = child_call(c, req, sent, rep, &got);
	if (!r && in) {
		if (got != len)
			r = -EPROTO;
		else
			memcpy(in, rep->data, len);
	}
out:
	free(req);
	free(rep);
	return r;
}

int vmm_child_peek(struct vmm_child *c, uint64_t gpa, void *buf, size_t len)
{
	return child_io(c, VMM_CMD_PEEK, gpa, buf, NULL, len);
}

int vmm_child_poke(struct vmm_child *c, uint64_t gpa, const void *buf, size_t len)
{
	return child_io(c, VMM_CMD_POKE, gpa, NULL, buf, len);
}

int vmm_child_dirty_log(struct vmm_child *c, unsigned int index, void *bitmap,
			size_t len)
{
	return child_io(c, VMM_CMD_DIRTY_LOG, index, bitmap, NULL, len);
}

int vmm_child_peek64(struct vmm_child *c, uint64_t gpa, uint64_t *val)
{
	struct vmm_req req = { .op = VMM_CMD_PEEK64, .gpa = gpa };
	struct vmm_rep rep;
	int r;

	r = child_call(c, &req, REQ_HDR, &rep, NULL);
	if (!r)
		*val = rep.val;
	return r;
}

int vmm_child_vcpu_state(struct vmm_child *c, int *exit)
{
	struct vmm_req req = { .op = VMM_CMD_VCPU_STATE };
	struct vmm_rep rep;
	int r;

	r = child_call(c, &req, REQ_HDR, &rep, NULL);
	if (r)
		return r;
	if (exit)
		*exit = (int)(int64_t)rep.val;
	return rep.val32;
}

int vmm_child_vcpu_stop(struct vmm_child *c)
{
	struct vmm_req req = { .op = VMM_CMD_VCPU_STOP };
	struct vmm_rep rep;
	int r;

	r = child_call(c, &req, REQ_HDR, &rep, NULL);
	return r ?: rep.err;
}

int vmm_child_stop(struct vmm_child *c)
{
	struct vmm_req req = { .op = VMM_CMD_QUIT };
	struct vmm_rep rep;

	if (c->pid <= 0)
		return -ECHILD;
	/* Whatever the answer, the child exits once it sees QUIT or EOF. */
	child_call(c, &req, REQ_HDR, &rep, NULL);
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
	return reap(c);
}

int vmm_child_kill(struct vmm_child *c)
{
	if (c->pid <= 0)
		return -ECHILD;
	if (kill(c->pid, SIGKILL))
		return -errno;
	return reap(c);
}

void vmm_child_release(struct vmm_child *c)
{
	if (c->pid > 0)
		vmm_child_kill(c);
	if (c->sock >= 0)
		close(c->sock);
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->vm_fd >= 0)
		close(c->vm_fd);
	c->sock = c->pidfd = c->vm_fd = -1;
}
