/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linker script of the vmsig end-to-end guest, run through the C
 * preprocessor for layout.h.  Linked as ELF64 (the code is 64-bit), then
 * converted to ELF32 for QEMU's multiboot loader; every address is below
 * 4 GiB and identity-mapped, so nothing is lost in the conversion.
 */
#include "layout.h"

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(_start)

SECTIONS
{
	. = E2E_LOAD_PA;
	/* The multiboot header must be in the first 8 KiB of the image. */
	.text : {
		KEEP(*(.multiboot))
		*(.text .text.*)
	}
	.rodata : { *(.rodata .rodata.*) }
	.data : { *(.data .data.*) }
	.bss : {
		__bss_start = .;
		*(.bss .bss.*)
		*(COMMON)
		. = ALIGN(4);
		__bss_end = .;
	}
	ASSERT(. <= E2E_MAILBOX_PA, "the guest image runs into its mailbox")

	/*
	 * The mailbox is part of the image (as zeroed memory), so QEMU's
	 * multiboot loader puts its boot information above it, not on it.
	 */
	. = E2E_MAILBOX_PA;
	.mailbox (NOLOAD) : { . += E2E_MAILBOX_SIZE; }

	/DISCARD/ : { *(.eh_frame*) *(.note*) *(.comment) }
}
