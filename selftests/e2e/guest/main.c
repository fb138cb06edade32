// SPDX-License-Identifier: GPL-2.0
/*
 * The vmsig end-to-end guest, 64-bit part.  boot.S arrives here in long
 * mode with paging on; see layout.h for what a test can watch and change.
 *
 * Freestanding: no libc, no libgcc, no header but layout.h, so the host's
 * plain gcc builds it (no multilib).  Built with -mgeneral-regs-only: the
 * guest never enables SSE.
 */
#include "layout.h"

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define MB(off, type)	(*(volatile type *)(E2E_MAILBOX_VA + (off)))

/* I/O ports */
#define COM1		0x3f8
#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define PIT_CH0		0x40
#define PIT_MODE	0x43
#define KBD_DATA	0x60
#define KBD_STATUS	0x64
#define KBD_CMD		0x64
#define PCI_ADDR	0xcf8
#define PCI_DATA	0xcfc

#define KBD_ST_OBF	0x01	/* output buffer full: a byte to read */
#define KBD_ST_IBF	0x02	/* input buffer full: controller busy */
#define KBD_ST_AUX	0x20	/* the byte is from the mouse */

#define PIT_HZ		1193182
#define VEC_IRQ0	0x20

/* ACPI PM1 registers, from the PM I/O base (PIIX4 PM, PCI 00:01.3). */
#define PM1_STS		0x00
#define PM1_EN		0x02
#define PM1_CNT		0x04
#define PM1_PWRBTN	0x0100
#define PM1_SLP_EN	0x2000	/* with SLP_TYP 0: QEMU's soft-off (S5) */

extern const u64 e2e_exc_stubs[32];
void e2e_irq_timer(void);
void e2e_irq_ignore(void);
void e2e_main(void);
void e2e_fault(u64 vec, u64 rip);

/* gcc may emit calls to these even in freestanding code. */
void *memset(void *s, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

void *memset(void *s, int c, unsigned long n)
{
	u8 *p = s;

	while (n--)
		*p++ = (u8)c;
	return s;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	u8 *dp = d;
	const u8 *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(u16 port, u16 v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* The serial log (QEMU -serial file:...): only for people reading it. */
static void putc_serial(char c)
{
	int i;

	for (i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (u8)c);
}

static void puts_serial(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc_serial('\r');
		putc_serial(*s);
	}
}

static void puthex(u64 v)
{
	char buf[19];
	int i;

	buf[0] = '0';
	buf[1] = 'x';
	for (i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	buf[18] = 0;
	puts_serial(buf);
}

/* Called from boot.S with interrupts off; records and stops for good. */
void e2e_fault(u64 vec, u64 rip)
{
	MB(E2E_OFF_FAULT_RIP, u64) = rip;
	MB(E2E_OFF_FAULT, u64) = vec + 1;
	puts_serial("vmsig-e2e: CPU exception ");
	puthex(vec);
	puts_serial(" at ");
	puthex(rip);
	puts_serial("\n");
	for (;;)
		asm volatile("cli; hlt");
}

/* ------------------------------------------------------------ interrupts */

struct idt_gate {
	u16 off0;
	u16 sel;
	u8 ist;
	u8 type;	/* 0x8e: present, DPL 0, 64-bit interrupt gate */
	u16 off1;
	u32 off2;
	u32 zero;
} __attribute__((packed));

static struct idt_gate idt[48] __attribute__((aligned(16)));

static void set_gate(int vec, u64 handler)
{
	idt[vec].off0 = (u16)handler;
	idt[vec].sel = 0x08;
	idt[vec].ist = 0;
	idt[vec].type = 0x8e;
	idt[vec].off1 = (u16)(handler >> 16);
	idt[vec].off2 = (u32)(handler >> 32);
	idt[vec].zero = 0;
}

static void setup_idt(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) desc;
	int i;

	for (i = 0; i < 32; i++)
		set_gate(i, e2e_exc_stubs[i]);
	set_gate(VEC_IRQ0, (u64)e2e_irq_timer);
	for (i = VEC_IRQ0 + 1; i < VEC_IRQ0 + 16; i++)
		set_gate(i, (u64)e2e_irq_ignore);
	desc.limit = sizeof(idt) - 1;
	desc.base = (u64)idt;
	asm volatile("lidt %0" : : "m"(desc));
}

/*
 * The legacy PICs moved off the exception vectors, every line masked but
 * IRQ 0; the PIT at E2E_TICK_HZ.  The timer only wakes the loop from hlt:
 * a halted guest costs the test VM (TCG, one thread for two vCPUs) nothing,
 * a spinning one would slow every other test down.
 */
static void setup_timer(void)
{
	u16 div = PIT_HZ / E2E_TICK_HZ;

	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, VEC_IRQ0);
	outb(PIC2_DATA, VEC_IRQ0 + 8);
	outb(PIC1_DATA, 0x04);
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01);
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xfe);
	outb(PIC2_DATA, 0xff);

	outb(PIT_MODE, 0x34);	/* channel 0, lobyte/hibyte, rate generator */
	outb(PIT_CH0, (u8)div);
	outb(PIT_CH0, (u8)(div >> 8));
}

/* -------------------------------------------------------------- keyboard */

static int kbd_wait_write(void)
{
	int i;

	for (i = 0; i < 100000; i++)
		if (!(inb(KBD_STATUS) & KBD_ST_IBF))
			return 0;
	return -1;
}

/*
 * Polled, no IRQ: translation on (scancode set 1 at port 0x60), keyboard
 * interrupt off, mouse port off so no mouse byte is mistaken for a key.
 * SeaBIOS initialised the keyboard already; scanning is enabled again in
 * case it was left off.  Only the first ACK (0xfa) is eaten here: any later
 * byte is a key and counted.
 */
static void setup_kbd(void)
{
	int i;

	for (i = 0; i < 64 && (inb(KBD_STATUS) & KBD_ST_OBF); i++)
		inb(KBD_DATA);
	if (kbd_wait_write())
		return;
	outb(KBD_CMD, 0x60);		/* write the controller config byte */
	if (kbd_wait_write())
		return;
	outb(KBD_DATA, 0x64);		/* XLATE | AUX off | SYS, no IRQs */
	if (kbd_wait_write())
		return;
	outb(KBD_DATA, 0xf4);		/* keyboard: enable scanning */
	for (i = 0; i < 100000; i++) {
		if (inb(KBD_STATUS) & KBD_ST_OBF) {
			inb(KBD_DATA);
			break;
		}
	}
}

static void poll_kbd(void)
{
	u8 st, b;
	int i;

	/* Bounded: a stuck controller must not starve the rest of the loop. */
	for (i = 0; i < 16; i++) {
		st = inb(KBD_STATUS);
		if (!(st & KBD_ST_OBF))
			break;
		b = inb(KBD_DATA);
		if (st & KBD_ST_AUX)
			continue;
		MB(E2E_OFF_SCANCODE, u32) = b;
		/* Scancode first: a reader seeing the count sees the byte. */
		MB(E2E_OFF_KEY_COUNT, u32) = MB(E2E_OFF_KEY_COUNT, u32) + 1;
	}
}

/* --------------------------------------------------------------- command */

static void poll_command(void)
{
	u32 cmd = MB(E2E_OFF_COMMAND, u32);

	if (!cmd || cmd == MB(E2E_OFF_ACK, u32))
		return;
	switch (cmd & E2E_CMD_OP_MASK) {
	case E2E_CMD_OP_STEP:
		if (cmd & E2E_CMD_ARG_MASK)
			MB(E2E_OFF_STEP, u64) = cmd & E2E_CMD_ARG_MASK;
		break;
	}
	MB(E2E_OFF_CMD_COUNT, u32) = MB(E2E_OFF_CMD_COUNT, u32) + 1;
	/* Last: whoever sees the ack sees the command's effect (x86 TSO). */
	MB(E2E_OFF_ACK, u32) = cmd;
	puts_serial("vmsig-e2e: command ");
	puthex(cmd);
	puts_serial("\n");
}

/* ----------------------------------------------------------------- power */

static u32 pci_read(u32 bdf, u32 reg)
{
	outl(PCI_ADDR, 0x80000000U | (bdf << 8) | (reg & 0xfc));
	return inl(PCI_DATA);
}

/* The PIIX4 PM function's I/O base when SeaBIOS enabled it, else 0. */
static u16 find_pm(void)
{
	u32 bdf = (0 << 8) | (1 << 3) | 3;	/* 00:01.3 */

	if (pci_read(bdf, 0x00) != 0x71138086)
		return 0;
	if (!(pci_read(bdf, 0x80) & 1))	/* PMIOSE: PM I/O space enabled */
		return 0;
	return (u16)(pci_read(bdf, 0x40) & 0xffc0);
}

static void poll_power(u16 pm)
{
	if (!pm || !(inw(pm + PM1_STS) & PM1_PWRBTN))
		return;
	puts_serial("vmsig-e2e: power button, entering S5\n");
	outw(pm + PM1_STS, PM1_PWRBTN);		/* write 1 to clear */
	outw(pm + PM1_CNT, PM1_SLP_EN);
}

/* ------------------------------------------------------------------ main */

void e2e_main(void)
{
	u64 cr3;
	u16 pm;

	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	/* Through the higher-half mapping, like everything after it. */
	memset((void *)E2E_MAILBOX_VA, 0, E2E_MAILBOX_SIZE);
	MB(E2E_OFF_STEP, u64) = 1;
	MB(E2E_OFF_CR3, u64) = cr3;

	setup_idt();
	setup_timer();
	setup_kbd();
	pm = find_pm();
	if (pm)
		outw(pm + PM1_EN, PM1_PWRBTN);
	MB(E2E_OFF_PM_BASE, u32) = pm;

	puts_serial("vmsig-e2e: long mode, cr3 ");
	puthex(cr3);
	puts_serial(", mailbox ");
	puthex(E2E_MAILBOX_VA);
	puts_serial(", pm ");
	puthex(pm);
	puts_serial("\n");
	/* Last: a test waits for the magic before trusting any other field. */
	MB(E2E_OFF_MAGIC, u64) = E2E_MAGIC;

	asm volatile("sti");
	for (;;) {
		MB(E2E_OFF_COUNTER, u64) = MB(E2E_OFF_COUNTER, u64) +
					   MB(E2E_OFF_STEP, u64);
		poll_kbd();
		poll_command();
		poll_power(pm);
		asm volatile("hlt");
	}
}
