/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of the vmsig end-to-end guest: multiboot (v1) header, the switch
 * from the 32-bit protected mode multiboot leaves us in to 64-bit long mode
 * with 4-level paging, and the interrupt entry stubs.
 *
 * Assembled as a 64-bit object (the 32-bit part is .code32) and converted to
 * ELF32 after linking: QEMU's multiboot loader refuses ELF64 images.
 */
#include "layout.h"

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0

#define PTE_P		0x001
#define PTE_W		0x002
#define PTE_PS		0x080

#define CR0_PE		0x00000001
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100

#define SEL_CODE64	0x08
#define SEL_DATA	0x10

/* The mailbox fields the stubs touch, as sign-extended 32-bit addresses. */
#define MB_TICKS	(E2E_MAILBOX_VA + E2E_OFF_TICKS)

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	cld
	movl $stack_top, %esp

	/* Zero .bss ourselves rather than trust what the loader left. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	/*
	 * Page tables.  PML4[0] -> pdpt_lo[0] -> pd_lo: the low 1 GiB
	 * identity-mapped with 2 MiB pages (code, data, stack, page tables).
	 * PML4[511] -> pdpt_hi[510] -> pd_hi[0] -> pt_hi: virtual
	 * E2E_KERNBASE + [0, 2 MiB) -> physical [0, 2 MiB) with 4 KiB pages,
	 * through which the guest reaches its mailbox: a full 4-level walk.
	 */
	movl $pdpt_lo + (PTE_P | PTE_W), pml4
	movl $pdpt_hi + (PTE_P | PTE_W), pml4 + 511 * 8
	movl $pd_lo + (PTE_P | PTE_W), pdpt_lo
	movl $pd_hi + (PTE_P | PTE_W), pdpt_hi + 510 * 8
	movl $pt_hi + (PTE_P | PTE_W), pd_hi

	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_PS), %eax
	movl %eax, pd_lo(, %ecx, 8)
	movl %ecx, %eax
	shll $12, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, pt_hi(, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 1b

	/* Long mode: PAE, CR3, EFER.LME, then paging. */
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE), %eax
	movl %eax, %cr0

	lgdt gdt_desc
	ljmp $SEL_CODE64, $long_entry

	.code64
long_entry:
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $stack_top, %rsp
	xorl %ebp, %ebp
	call e2e_main
	/* e2e_main never returns; should it, stay put. */
2:	cli
	hlt
	jmp 2b

/*
 * IRQ 0 (PIT): count the tick, end the interrupt at the master PIC.  The
 * loop itself runs in e2e_main after the hlt this interrupt ends.
 */
	.globl e2e_irq_timer
e2e_irq_timer:
	pushq %rax
	lock incq MB_TICKS
	movb $0x20, %al
	outb %al, $0x20
	popq %rax
	iretq

/*
 * Every other PIC vector.  The PICs mask all lines but IRQ 0, so only a
 * spurious IRQ 7/15 can land here, and those must not be acknowledged.
 */
	.globl e2e_irq_ignore
e2e_irq_ignore:
	iretq

/* CPU exceptions 0-31: e2e_fault(vector, rip) records them and stops. */
.macro EXC vec
exc\vec:
	.if \vec != 8 && (\vec < 10 || \vec > 14) && \vec != 17 && \vec != 21 && \vec != 29 && \vec != 30
	pushq $0		/* no error code: make the frame uniform */
	.endif
	pushq $\vec
	jmp exc_common
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	EXC \v
.endr

exc_common:
	movq (%rsp), %rdi		/* vector */
	movq 16(%rsp), %rsi		/* RIP, above the error code */
	andq $-16, %rsp
	call e2e_fault
3:	cli
	hlt
	jmp 3b

	.section .rodata
	.balign 8
	.globl e2e_exc_stubs
e2e_exc_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad exc\v
.endr

	.balign 8
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff	/* 0x10: data, DPL 0 */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.bss
	.balign 4096
pml4:		.skip 4096
pdpt_lo:	.skip 4096
pd_lo:		.skip 4096
pdpt_hi:	.skip 4096
pd_hi:		.skip 4096
pt_hi:		.skip 4096
	.balign 16
stack:		.skip 16384
stack_top:
