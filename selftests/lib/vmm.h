/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal test VMM on top of /dev/kvm, for the vmsig selftests.
 *
 * It creates VMs with a few anonymous (or memfd) memslots, fills them with a
 * pattern that any process can check from the guest-physical address alone,
 * builds x86-64 page tables inside guest memory, runs tiny hand-assembled
 * guests and can host the whole VM in a forked "VMM child" whose VM fd is
 * handed to the parent.  x86-64 only.
 *
 * Conventions: functions returning int answer 0 (or a positive count) on
 * success and a negative errno on failure; pointer-returning ones answer NULL
 * and set errno.
 *
 * Reserved guest-physical range: vmm_create() gives KVM's real-mode TSS the
 * three pages at VMM_TSS_GPA (only used on Intel CPUs without unrestricted
 * guest).  Do not place memslots there.
 */
#ifndef VMSIG_SELFTEST_VMM_H
#define VMSIG_SELFTEST_VMM_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/kvm.h>

#define VMM_MAX_SLOTS		8
#define VMM_TSS_GPA		0xfffbd000ULL

#define VMM_PAGE_4K		0x1000ULL
#define VMM_PAGE_2M		0x200000ULL
#define VMM_PAGE_1G		0x40000000ULL

/* vmm_add_slot() @vmm_flags: back the slot with a memfd (slot->memfd). */
#define VMM_SLOT_MEMFD		(1U << 0)

struct vmm_slot {
	bool used;
	uint32_t id;		/* KVM slot id */
	uint32_t flags;		/* KVM_MEM_* */
	uint32_t vmm_flags;	/* VMM_SLOT_* */
	uint64_t gpa;
	uint64_t size;
	void *hva;
	int memfd;		/* -1 unless VMM_SLOT_MEMFD */
};

struct vmm {
	int kvm_fd;
	int vm_fd;
	size_t run_size;	/* KVM_GET_VCPU_MMAP_SIZE */
	struct vmm_slot slots[VMM_MAX_SLOTS];
};

struct vmm_vcpu {
	struct vmm *vm;
	int fd;
	struct kvm_run *run;
	/* vmm_vcpu_thread_*() state */
	pthread_t thread;
	bool thread_started;
	int thread_stop;	/* atomic */
	int thread_done;	/* atomic */
	int thread_result;	/* last KVM_RUN result, see vmm_vcpu_run() */
};

/* ------------------------------------------------------------- VM --- */

/* Open /dev/kvm (API 12 required) and create a VM. */
int vmm_create(struct vmm *vm);
/* Close the VM and /dev/kvm, unmap every slot.  Safe to call twice. */
void vmm_destroy(struct vmm *vm);
/* Add a memslot of @size bytes at @gpa (both 4 KiB aligned); KVM_MEM_* @flags. */
struct vmm_slot *vmm_add_slot(struct vmm *vm, uint64_t gpa, uint64_t size,
			      uint32_t flags, uint32_t vmm_flags);
/* Delete a memslot from KVM and unmap it. */
int vmm_remove_slot(struct vmm *vm, struct vmm_slot *slot);
/* The slot holding @gpa, or NULL (ENOENT) in a gap. */
struct vmm_slot *vmm_find_slot(struct vmm *vm, uint64_t gpa);
/* Host pointer for [@gpa, @gpa + @len) if it lies in one slot, else NULL. */
void *vmm_gpa2hva(struct vmm *vm, uint64_t gpa, size_t len);
/* KVM_GET_DIRTY_LOG of @slot into @bitmap (one bit per 4 KiB page). */
int vmm_get_dirty_log(struct vmm *vm, struct vmm_slot *slot, void *bitmap);
/* Whether KVM lets guests use 5-level paging (probed in a scratch VM). */
bool vmm_has_la57(struct vmm *vm);
/* Whether KVM offers 1 GiB pages to guests (CPUID Page1GB; set by vCPU create). */
bool vmm_has_gbpages(struct vmm *vm);

/* -------------------------------------------------------- patterns --- */

/*
 * The pattern is a pure function of (gpa, seed): the 8-byte aligned word at
 * gpa & ~7 is vmm_pattern_word(gpa & ~7, seed), stored little-endian.  A
 * reader in another process needs only the GPA and the seed to verify.
 */
uint64_t vmm_pattern_word(uint64_t gpa, uint64_t seed);
uint8_t vmm_pattern_byte(uint64_t gpa, uint64_t seed);
/* Write the pattern of [@gpa, @gpa + @len) into @buf. */
void vmm_pattern_fill(uint64_t gpa, void *buf, size_t len, uint64_t seed);
/* Fill a whole slot. */
void vmm_slot_fill_pattern(struct vmm_slot *slot, uint64_t seed);
/* -1 if @buf matches the pattern for @gpa, else offset of the first bad byte. */
ssize_t vmm_pattern_check(uint64_t gpa, const void *buf, size_t len, uint64_t seed);

/* ----------------------------------------------------------- vCPU --- */

/* Create vCPU @id, mmap kvm_run and give it KVM's supported CPUID. */
int vmm_vcpu_create(struct vmm *vm, struct vmm_vcpu *vcpu, unsigned int id);
/* Stop its thread if any, unmap kvm_run, close the vCPU. */
void vmm_vcpu_destroy(struct vmm_vcpu *vcpu);
/* Real mode, executing at @code_gpa (< 1 MiB); data segments at base 0. */
int vmm_vcpu_setup_real(struct vmm_vcpu *vcpu, uint64_t code_gpa);
/*
 * 64-bit mode, CPL 0, flat segments, paging with root @cr3; @levels is 4 or
 * 5 (CR4.LA57).  EFER.NXE is set, so bit 63 of an entry means no-execute.
 * The IDT is empty: any guest exception ends in KVM_EXIT_SHUTDOWN.
 */
int vmm_vcpu_setup_long(struct vmm_vcpu *vcpu, uint64_t cr3, int levels,
			uint64_t rip, uint64_t rsp);
/* KVM_RUN once: the KVM_EXIT_* reason, or -errno (-EINTR when kicked). */
int vmm_vcpu_run(struct vmm_vcpu *vcpu);
/* Current RIP, or (uint64_t)-1 on error. */
uint64_t vmm_vcpu_rip(struct vmm_vcpu *vcpu);
/*
 * Run the vCPU in a thread until it exits for any reason but a kick, or
 * until vmm_vcpu_thread_stop().  Kicks use signal VMM_KICK_SIGNAL, whose
 * handler (a no-op, no SA_RESTART) is installed on first use.
 */
#define VMM_KICK_SIGNAL	(SIGRTMAX)
int vmm_vcpu_thread_start(struct vmm_vcpu *vcpu);
/* Whether the thread is still in its run loop. */
bool vmm_vcpu_thread_running(struct vmm_vcpu *vcpu);
/*
 * Stop and join the thread.  Returns the last vmm_vcpu_run() result:
 * -EINTR if the vCPU was still running when stopped, else its exit reason.
 */
int vmm_vcpu_thread_stop(struct vmm_vcpu *vcpu);

/* ------------------------------------------------- guest programs --- */

/* Each writes its code at @gpa (one slot) and returns its length. */
/* hlt (any mode). */
int vmm_guest_hlt(struct vmm *vm, uint64_t gpa);
/* 64-bit: increment the u64 at @counter_addr forever. */
int vmm_guest_counter(struct vmm *vm, uint64_t gpa, uint64_t counter_addr);
/*
 * 64-bit: forever "lock inc" the u64 at @counter_addr, then plain inc the
 * u64 after it (the guest's own count).  The first minus the second is what
 * other writers added, exactly, if they too update it atomically.
 */
int vmm_guest_counter_locked(struct vmm *vm, uint64_t gpa, uint64_t counter_addr);
/* 64-bit: store each value at its address, in order, then hlt. */
struct vmm_store {
	uint64_t addr;
	uint64_t val;
};

int vmm_guest_stores(struct vmm *vm, uint64_t gpa, const struct vmm_store *st,
		     unsigned int n);

/* ---------------------------------------------- x86-64 page tables --- */

#define VMM_PTE_P		(1ULL << 0)
#define VMM_PTE_W		(1ULL << 1)
#define VMM_PTE_U		(1ULL << 2)
#define VMM_PTE_PS		(1ULL << 7)
#define VMM_PTE_NX		(1ULL << 63)
#define VMM_PTE_ADDR		0x000ffffffffff000ULL
/* Reserved in any entry while MAXPHYADDR < 52 (always, in practice). */
#define VMM_PTE_RSVD_HI		(1ULL << 51)
/* Reserved in 2 MiB PDEs (bits 20:13) and 1 GiB PDPTEs (bits 29:13). */
#define VMM_PTE_RSVD_LARGE	(1ULL << 13)
#define VMM_PTE_DEFAULT		(VMM_PTE_P | VMM_PTE_W)

/*
 * Page tables built in a pool of guest memory [pool_gpa, pool_gpa + size).
 * Tables are 4 KiB pages taken from the pool in order; the first one is the
 * root (PML4, or PML5 with 5 levels), so the root is always pool_gpa.
 * Level numbers: 1 = PT, 2 = PD, 3 = PDPT, 4 = PML4, 5 = PML5; the index at
 * level L is gva bits (12 + 9L - 1):(12 + 9(L - 1)), i.e. PML5 = bits 56:48.
 * Intermediate entries are present, writable and user.
 */
struct vmm_pt {
	struct vmm *vm;
	int levels;
	uint64_t pool_gpa;
	uint64_t pool_size;
	uint64_t pool_used;
	uint64_t root;
};

int vmm_pt_init(struct vmm_pt *pt, struct vmm *vm, int levels,
		uint64_t pool_gpa, uint64_t pool_size);
/* The value to load in CR3. */
uint64_t vmm_pt_cr3(const struct vmm_pt *pt);
/*
 * Map @gva to @gpa with one page of @page_size (4K, 2M or 1G).  @flags are
 * the entry's raw bits; VMM_PTE_PS is added for large pages.  Leaving out
 * VMM_PTE_P makes a not-present entry that still carries an address; adding
 * VMM_PTE_RSVD_* makes an entry the CPU must reject.  -EEXIST if a non-zero
 * entry, or a large page above it, is already there; -ENOMEM if the pool is
 * exhausted.
 */
int vmm_pt_map(struct vmm_pt *pt, uint64_t gva, uint64_t gpa,
	       uint64_t page_size, uint64_t flags);
/* vmm_pt_map() over [@gva, @gva + @len) in pages of @page_size. */
int vmm_pt_map_range(struct vmm_pt *pt, uint64_t gva, uint64_t gpa,
		     uint64_t len, uint64_t page_size, uint64_t flags);
/*
 * Host pointer to the entry for @gva at @level, creating the tables above it
 * if @create (only where entries are zero).  Lets a test corrupt any level.
 */
uint64_t *vmm_pt_entry(struct vmm_pt *pt, uint64_t gva, int level, bool create);
/*
 * Reference walk (what the CPU does for a supervisor read): 0 and *@gpa on
 * success; -EINVAL non-canonical @gva; -ENOENT not present; -EIO reserved
 * bit set (bits 51:MAXPHYADDR, PS in PML4E/PML5E, large-page bits 13+).
 * *@level (optional) is the level the walk ended at.
 */
int vmm_pt_translate(struct vmm_pt *pt, uint64_t gva, uint64_t *gpa, int *level);
/* This CPU's MAXPHYADDR (CPUID 0x80000008). */
unsigned int vmm_phys_bits(void);

/*
 * The counter guest in long mode: page tables in [pt_gpa, pt_gpa + pt_size),
 * one 4 KiB page of code and the u64 counter, each mapped by a 4 KiB page
 * at its GVA (0 = identity).  The counter starts at 0.
 */
struct vmm_counter_cfg {
	int levels;		/* 0 means 4 */
	uint64_t pt_gpa;
	uint64_t pt_size;
	uint64_t code_gpa;	/* page aligned */
	uint64_t code_gva;
	uint64_t counter_gpa;	/* 8-byte aligned */
	uint64_t counter_gva;
	bool locked;		/* vmm_guest_counter_locked(); 16 bytes of counter */
};

/* Build it and point @vcpu at it; *@cr3 (optional) gets the root. */
int vmm_counter_setup(struct vmm *vm, struct vmm_vcpu *vcpu,
		      const struct vmm_counter_cfg *cc, uint64_t *cr3);

/* ------------------------------------------------------ VMM child --- */

/* How the parent gets the child's VM fd. */
enum vmm_fd_pass {
	VMM_FD_SCM,	/* SCM_RIGHTS over the socket */
	VMM_FD_PIDFD,	/* pidfd_open() + pidfd_getfd() on the number sent */
};

struct vmm_slot_cfg {
	uint64_t gpa;
	uint64_t size;
	uint32_t flags;		/* KVM_MEM_* */
	uint32_t vmm_flags;	/* VMM_SLOT_* */
};

struct vmm_child_cfg {
	unsigned int nr_slots;
	struct vmm_slot_cfg slots[VMM_MAX_SLOTS];
	bool pattern;		/* fill every slot with the pattern of @seed */
	uint64_t seed;
	/* Optional hook run in the child after the slots, before the vCPU. */
	int (*setup)(struct vmm *vm, void *arg);
	void *setup_arg;
	bool counter;		/* run the counter guest in a vCPU thread */
	struct vmm_counter_cfg counter_cfg;
	enum vmm_fd_pass fd_pass;
};

struct vmm_child {
	pid_t pid;
	int sock;		/* parent's end of the control socket */
	int pidfd;		/* VMM_FD_PIDFD only, else -1 */
	int vm_fd;		/* the child's VM, in the parent */
	int child_vm_fd;	/* its number inside the child */
	uint64_t cr3;		/* counter guest's root, 0 without one */
};

/* Largest payload of one peek/poke/dirty-log request. */
#define VMM_CHILD_IO_MAX	4096

/*
 * Fork a child that builds the VM as @cfg says and hands over its VM fd,
 * then serves requests on the socket until it gets VMM_CMD_QUIT, sees EOF or
 * is killed.  The child dies with the calling thread (PR_SET_PDEATHSIG).
 */
int vmm_child_start(struct vmm_child *c, const struct vmm_child_cfg *cfg);
/* Read/write guest memory inside the child (through its own mapping). */
int vmm_child_peek(struct vmm_child *c, uint64_t gpa, void *buf, size_t len);
int vmm_child_poke(struct vmm_child *c, uint64_t gpa, const void *buf, size_t len);
/* Atomic 8-byte read of an aligned u64, e.g. the running counter. */
int vmm_child_peek64(struct vmm_child *c, uint64_t gpa, uint64_t *val);
/* KVM_GET_DIRTY_LOG of the child's slot @index, @len bytes of bitmap. */
int vmm_child_dirty_log(struct vmm_child *c, unsigned int index, void *bitmap,
			size_t len);
/* Stop the child's vCPU thread (the child keeps serving requests). */
int vmm_child_vcpu_stop(struct vmm_child *c);
/* 1 if the child's vCPU thread runs, 0 if not (*@exit = last result). */
int vmm_child_vcpu_state(struct vmm_child *c, int *exit);
/*
 * Ask the child to exit (or SIGKILL it) and reap it; returns its wait status
 * or -errno.  c->vm_fd stays open: the VM outlives its VMM as long as the
 * parent holds it, which is what teardown tests need.
 */
int vmm_child_stop(struct vmm_child *c);
int vmm_child_kill(struct vmm_child *c);
/* Kill the child if still there and close every fd, c->vm_fd included. */
void vmm_child_release(struct vmm_child *c);

#endif /* VMSIG_SELFTEST_VMM_H */
