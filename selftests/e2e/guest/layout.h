/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory layout of the vmsig end-to-end guest, shared by the guest
 * (selftests/e2e/guest/) and the tests that watch it through vmsig.
 *
 * The guest is a multiboot (v1) image that QEMU loads with -kernel.  It
 * switches to long mode with its own 4-level page tables and then lives in a
 * loop: every wakeup (a 100 Hz PIT tick) it adds E2E_OFF_STEP to the
 * counter, drains the PS/2 keyboard controller, acts on the command word and
 * polls the ACPI power button; then it halts until the next interrupt.
 *
 * Everything a test looks at is in one 4 KiB page, the mailbox, at a fixed
 * guest-physical address.  The same page is mapped at a fixed higher-half
 * virtual address through a 4 KiB page-table entry (PML4 -> PDPT -> PD ->
 * PT), and the guest itself only ever touches the mailbox through that
 * virtual address, so a test reading the virtual address exercises the very
 * mapping the guest uses.  The low 1 GiB is also identity-mapped with 2 MiB
 * pages (for the code), so the physical address of the mailbox is a valid
 * virtual address too.
 *
 * Only plain constants here: the header is included by freestanding guest
 * code and by hosted tests alike.  All fields are little-endian, naturally
 * aligned, and written by the guest with single stores, so an 8-byte read
 * through vmsig never sees a torn value.
 */
#ifndef VMSIG_E2E_GUEST_LAYOUT_H
#define VMSIG_E2E_GUEST_LAYOUT_H

/* 64-bit constants: C needs the suffix, assembler and linker script refuse it. */
#ifdef __ASSEMBLER__
#define E2E_U64(x)		x
#else
#define E2E_U64(x)		x##ULL
#endif

/* Where the image is linked and loaded (multiboot, ELF32 physical). */
#define E2E_LOAD_PA		0x00100000
/* The mailbox page: guest-physical and higher-half virtual address. */
#define E2E_MAILBOX_PA		0x00180000
#define E2E_KERNBASE		E2E_U64(0xffffffff80000000)
#define E2E_MAILBOX_VA		(E2E_KERNBASE + E2E_MAILBOX_PA)
#define E2E_MAILBOX_SIZE	0x1000

/* Mailbox fields: byte offsets into the page, and their width. */
#define E2E_OFF_MAGIC		0x00	/* u64, E2E_MAGIC once the guest runs */
#define E2E_OFF_COUNTER		0x08	/* u64, += step at every wakeup */
#define E2E_OFF_STEP		0x10	/* u64, 1 at boot; set by a command */
#define E2E_OFF_TICKS		0x18	/* u64, timer interrupts taken */
#define E2E_OFF_KEY_COUNT	0x20	/* u32, bytes read from the keyboard */
#define E2E_OFF_SCANCODE	0x24	/* u32, the last of them (set 1) */
#define E2E_OFF_COMMAND		0x28	/* u32, written by the host */
#define E2E_OFF_ACK		0x2c	/* u32, = command once acted on */
#define E2E_OFF_CR3		0x30	/* u64, CR3 as the guest loaded it */
#define E2E_OFF_CMD_COUNT	0x38	/* u32, commands acted on */
#define E2E_OFF_PM_BASE		0x3c	/* u32, ACPI PM I/O base, 0: none */
#define E2E_OFF_FAULT		0x40	/* u64, vector+1 of a CPU exception */
#define E2E_OFF_FAULT_RIP	0x48	/* u64, its RIP */

/* "VMSIGE2E" read as a little-endian u64. */
#define E2E_MAGIC		E2E_U64(0x4532454749534d56)

/*
 * Commands.  The host writes a nonzero word to E2E_OFF_COMMAND (with a
 * MEMWRITE); at its next wakeup the guest acts on it, bumps
 * E2E_OFF_CMD_COUNT and copies the word to E2E_OFF_ACK.  A word equal to
 * the ack is not acted on again; write another word for another command.
 * Unknown opcodes are acknowledged and otherwise ignored.
 *
 *   E2E_CMD_STEP(n): the counter advances by n (1..0xffff) per wakeup.
 */
#define E2E_CMD_OP_MASK		0xffff0000U
#define E2E_CMD_ARG_MASK	0x0000ffffU
#define E2E_CMD_OP_STEP		0x53540000U	/* "ST" */
#define E2E_CMD_STEP(n)		(E2E_CMD_OP_STEP | ((n) & E2E_CMD_ARG_MASK))

/* The timer that paces the loop. */
#define E2E_TICK_HZ		100

/*
 * Power: the guest finds the PIIX4 power-management function (PCI 00:01.3,
 * QEMU's -machine pc) that SeaBIOS set up, enables the power-button event
 * and polls its status at every wakeup.  When QMP system_powerdown presses
 * the button, the guest enters S5 (SLP_TYP 0, QEMU's soft-off), so QEMU
 * reports SHUTDOWN (reason guest-shutdown) and exits.  E2E_OFF_PM_BASE is 0
 * when no such device was found (then only QMP quit ends QEMU).
 */

#endif /* VMSIG_E2E_GUEST_LAYOUT_H */
