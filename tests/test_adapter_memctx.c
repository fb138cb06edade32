// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the memctx adapter and its "info registers" parser.  The
 * texts are what qemu-system-x86_64 7.2 (Debian 12) answered to
 * human-monitor-command "info registers" (trimmed after the FPU lines):
 * at reset (real mode), and in a Linux 6.1 guest with 4-level paging and,
 * under -cpu max, 5-level paging (CR4.LA57).  The adapter runs on a real
 * bus (fake_endpoint.h) against a fake QEMU (fake_qmp.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_qmp.h"
#include "fake_endpoint.h"
#include "adapter_priv.h"
#include "vmsig_adapters.h"

#define FPU_LINES \
	"FCW=037f FSW=0000 [ST=0] FTW=00 MXCSR=00001f80\r\n" \
	"FPR0=0000000000000000 0000 FPR1=0000000000000000 0000\r\n"

static const char text_reset[] =
	"\r\nCPU#0\r\n"
	"EAX=00000000 EBX=00000000 ECX=00000000 EDX=00060fb1\r\n"
	"ESI=00000000 EDI=00000000 EBP=00000000 ESP=00000000\r\n"
	"EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\r\n"
	"ES =0000 00000000 0000ffff 00009300\r\n"
	"CS =f000 ffff0000 0000ffff 00009b00\r\n"
	"GDT=     00000000 0000ffff\r\n"
	"IDT=     00000000 0000ffff\r\n"
	"CR0=60000010 CR2=00000000 CR3=00000000 CR4=00000000\r\n"
	"DR0=0000000000000000 DR1=0000000000000000 DR2=0000000000000000 DR3=0000000000000000 \r\n"
	"DR6=00000000ffff0ff0 DR7=0000000000000400\r\n"
	"EFER=0000000000000000\r\n" FPU_LINES;

#define LONG_MODE_TEXT(cpu, cr3, cr4) \
	"\r\nCPU#" cpu "\r\n" \
	"RAX=00000003a2617823 RBX=0000000000000834 RCX=00000000009eb0d8 RDX=0000000000252540\r\n" \
	"RSI=0000000000000000 RDI=00000003a23c52e3 RBP=ffffcd9740013e10 RSP=ffffcd9740013d98\r\n" \
	"R8 =0000000000000000 R9 =0000000000275b0a R10=0000000000000003 R11=ffffffff834d4448\r\n" \
	"R12=0000000000000001 R13=0000000000000898 R14=000000000000005e R15=0000000000000000\r\n" \
	"RIP=ffffffff823f77a3 RFL=00000283 [--S---C] CPL=0 II=0 A20=1 SMM=0 HLT=0\r\n" \
	"ES =0000 0000000000000000 00000000 00000000\r\n" \
	"CS =0010 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 [-RA]\r\n" \
	"SS =0018 0000000000000000 ffffffff 00cf9300 DPL=0 DS   [-WA]\r\n" \
	"TR =0040 fffffe0000003000 00004087 00008900 DPL=0 TSS64-avl\r\n" \
	"GDT=     fffffe0000001000 0000007f\r\n" \
	"IDT=     fffffe0000000000 00000fff\r\n" \
	"CR0=80050033 CR2=ffff895f09601000 CR3=" cr3 " CR4=" cr4 "\r\n" \
	"DR0=0000000000000000 DR1=0000000000000000 DR2=0000000000000000 DR3=0000000000000000 \r\n" \
	"DR6=00000000ffff0ff0 DR7=0000000000000400\r\n" \
	"EFER=0000000000000d01\r\n" FPU_LINES

/* Linux 6.1, 4-level paging. */
static const char text_4level[] =
	LONG_MODE_TEXT("0", "0000000007c10000", "000006f0");
/* The same address space, another PCID (CR3 bits 11:0). */
static const char text_4level_pcid[] =
	LONG_MODE_TEXT("0", "0000000007c10003", "000006f0");
/* Another process. */
static const char text_4level_other[] =
	LONG_MODE_TEXT("0", "0000000001234000", "000006f0");
/* Linux 6.1 under -cpu max: 5-level paging. */
static const char text_5level[] =
	LONG_MODE_TEXT("0", "000000001d410000", "00751ef0");
/* "info registers -a" of a 2-vCPU guest. */
static const char text_two_cpus[] =
	LONG_MODE_TEXT("0", "000000001d410000", "00751ef0")
	LONG_MODE_TEXT("1", "0000000002222000", "000006f0");

static struct fake_qmp fq;

static int setup(void **state)
{
	(void)state;
	if (fq_start(&fq))
		return -1;
	return fe_setup();
}

static int teardown(void **state)
{
	(void)state;
	fe_teardown();
	assert_string_equal(fq_stop(&fq), "");
	return 0;
}

static void add_memctx(const char *first_text)
{
	struct vmsig_memctx_cfg cfg = { .qmp = { .qmp_fd = fq.client },
					.period_ms = 5 };

	fq_set_hmp(&fq, first_text);
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, vmsig_memctx_ops(), &cfg), 0);
	fq_drop_client(&fq);
	/* Publish only: it is no seam's sink. */
	assert_int_equal(fe_count(VMSIG_IOC_BIND_SINK), 0);
}

/* Run the bus until QEMU was asked @n more times. */
static void ticks(int n)
{
	int want = fq_ncmds(&fq) + n;

	for (int i = 0; i < 500 && fq_ncmds(&fq) < want; i++)
		vmsig_bus_run_once(fe_bus, 10);
	assert_true(fq_ncmds(&fq) >= want);
	/* The sample that answer fed is applied in the same dispatch. */
	vmsig_bus_run_once(fe_bus, 0);
}

static void expect_set(int nth, uint64_t root, uint32_t mode)
{
	struct fe_rec r;

	assert_true(fe_logged(VMSIG_IOC_SET_MEMCTX, nth, &r));
	assert_int_equal(r.arg.memctx.size, sizeof(struct vmsig_memctx));
	assert_int_equal(r.arg.memctx.root, root);
	assert_int_equal(r.arg.memctx.mode, mode);
}

/* ------------------------------------------------------- parser tests */

static void parse_qemu_texts(void **state)
{
	struct vmsig__x86_regs r;

	(void)state;
	assert_int_equal(vmsig__hmp_parse_x86_regs(text_reset, 0, &r), 0);
	assert_int_equal(r.cr0, 0x60000010);
	assert_int_equal(r.cr3, 0);
	assert_int_equal(r.efer, 0);
	assert_int_equal(vmsig__hmp_parse_x86_regs(text_4level, 0, &r), 0);
	assert_int_equal(r.cr0, 0x80050033);
	assert_int_equal(r.cr3, 0x7c10000);
	assert_int_equal(r.cr4, 0x6f0);
	assert_int_equal(r.efer, 0xd01);
	assert_true(r.efer & VMSIG__EFER_LMA);
	assert_false(r.cr4 & VMSIG__CR4_LA57);
	assert_int_equal(vmsig__hmp_parse_x86_regs(text_5level, 0, &r), 0);
	assert_int_equal(r.cr3, 0x1d410000);
	assert_true(r.cr4 & VMSIG__CR4_LA57);
	/* One section per vCPU. */
	assert_int_equal(vmsig__hmp_parse_x86_regs(text_two_cpus, 0, &r), 0);
	assert_int_equal(r.cr3, 0x1d410000);
	assert_int_equal(vmsig__hmp_parse_x86_regs(text_two_cpus, 1, &r), 0);
	assert_int_equal(r.cr3, 0x2222000);
	assert_int_equal(vmsig__hmp_parse_x86_regs(text_two_cpus, 2, &r), -ENOENT);
	/* No header at all: the text is the one CPU's. */
	assert_int_equal(vmsig__hmp_parse_x86_regs(
		"CR0=80050033 CR2=0 CR3=0000000000001000 CR4=00001000\nEFER=500\n",
		0, &r), 0);
	assert_int_equal(r.cr3, 0x1000);
	assert_int_equal(r.cr4, 0x1000);
	assert_int_equal(r.efer, 0x500);
}

static void parse_refuses_what_it_does_not_understand(void **state)
{
	static const char *const bad[] = {
		"",
		"\r\n",
		"garbage",
		"unknown command: 'info'\r\n",
		/* One register missing. */
		"CR0=80050033 CR3=0000000007c10000 CR4=000006f0\r\n",
		"CR0=80050033 CR3=0000000007c10000 EFER=0000000000000d01\r\n",
		/* Not hex, empty, too long. */
		"CR0=1 CR3=00000000zzzz0000 CR4=6f0 EFER=d01\r\n",
		"CR0=1 CR3= CR4=6f0 EFER=d01\r\n",
		"CR0=1 CR3=00000000000000000 CR4=6f0 EFER=d01\r\n",
		/* Twice: which one is it? */
		"CR0=1 CR3=1000 CR3=2000 CR4=6f0 EFER=d01\r\n",
		/* Headers, but not vCPU 0's. */
		"CPU#1\r\nCR0=1 CR3=1000 CR4=6f0 EFER=d01\r\n",
		/* The registers belong to vCPU 1, not to 0's empty section. */
		"CPU#0\r\nCPU#1\r\nCR0=1 CR3=1000 CR4=6f0 EFER=d01\r\n",
	};
	struct vmsig__x86_regs r;

	(void)state;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(vmsig__hmp_parse_x86_regs(bad[i], 0, &r) < 0);
	assert_int_equal(vmsig__hmp_parse_x86_regs(NULL, 0, &r), -EINVAL);
}

/* ------------------------------------------------------ adapter tests */

static void tick_registers_the_memctx(void **state)
{
	(void)state;
	add_memctx(text_4level);
	ticks(1);
	assert_string_equal(fq_cmd(&fq, 1), "human-monitor-command");
	assert_true(fq_args_are(&fq, 1, "{\"command-line\": \"info registers\"}"));
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 1);
	expect_set(0, 0x7c10000, VMSIG_PAGING_X86_64_4LEVEL);
	assert_int_equal(fe_count(VMSIG_IOC_INVALIDATE_MEMCTX), 0);
}

static void registers_only_changes(void **state)
{
	(void)state;
	add_memctx(text_4level);
	ticks(5);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 1);
	/* A PCID change alone is the same address space. */
	fq_set_hmp(&fq, text_4level_pcid);
	ticks(3);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 1);
	fq_set_hmp(&fq, text_4level_other);
	ticks(3);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 2);
	expect_set(1, 0x1234000, VMSIG_PAGING_X86_64_4LEVEL);
	/* Same root, other paging mode: a new memctx. */
	fq_set_hmp(&fq, LONG_MODE_TEXT("0", "0000000001234000", "00751ef0"));
	ticks(3);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 3);
	expect_set(2, 0x1234000, VMSIG_PAGING_X86_64_5LEVEL);
	fq_set_hmp(&fq, text_5level);
	ticks(3);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 4);
	expect_set(3, 0x1d410000, VMSIG_PAGING_X86_64_5LEVEL);
}

static void leaving_long_mode_unregisters(void **state)
{
	(void)state;
	add_memctx(text_4level);
	ticks(2);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 1);
	/* The guest reset: real mode again. */
	fq_set_hmp(&fq, text_reset);
	ticks(4);
	assert_int_equal(fe_count(VMSIG_IOC_INVALIDATE_MEMCTX), 1);
	/* Back in long mode: registered again, even with the old root. */
	fq_set_hmp(&fq, text_4level);
	ticks(2);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 2);
	expect_set(1, 0x7c10000, VMSIG_PAGING_X86_64_4LEVEL);
}

static void first_sample_in_real_mode_unregisters_once(void **state)
{
	(void)state;
	add_memctx(text_reset);
	ticks(4);
	assert_int_equal(fe_count(VMSIG_IOC_INVALIDATE_MEMCTX), 1);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 0);
}

static void malformed_text_changes_nothing(void **state)
{
	(void)state;
	add_memctx(text_4level);
	ticks(2);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 1);
	fq_set_hmp(&fq, "CR0=80050033 CR3=00000000deadb000\r\n");
	ticks(3);
	fq_set_hmp(&fq, "\xff\xfe not registers at all");
	ticks(3);
	fq_set_hmp(&fq, "");
	ticks(3);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 1);
	assert_int_equal(fe_count(VMSIG_IOC_INVALIDATE_MEMCTX), 0);
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 1);
}

static void qmp_errors(void **state)
{
	(void)state;
	add_memctx(text_4level);
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "human-monitor-command",
					   .err = "no CPU" });
	ticks(3);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 0);
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 1);
	/* A reply that is no string. */
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "human-monitor-command",
					   .ret = "{}" });
	ticks(2);
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), 0);
	/* QEMU exits: the adapter goes. */
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "human-monitor-command",
					   .hangup = true });
	for (int i = 0; i < 100 && vmsig_bus_adapter_count(fe_bus); i++)
		vmsig_bus_run_once(fe_bus, 10);
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 0);
}

static void refused_registration_is_retried(void **state)
{
	(void)state;
	fe_fail_req = VMSIG_IOC_SET_MEMCTX;
	fe_fail_errno = EAGAIN;
	add_memctx(text_4level);
	ticks(3);
	assert_true(fe_count(VMSIG_IOC_SET_MEMCTX) >= 2);
	fe_fail_req = 0;
	int before = fe_count(VMSIG_IOC_SET_MEMCTX);

	ticks(3);
	/* Accepted once, then left alone. */
	assert_int_equal(fe_count(VMSIG_IOC_SET_MEMCTX), before + 1);
}

static void config_checks(void **state)
{
	struct vmsig_memctx_cfg none = { .qmp = { .qmp_fd = -1 } };

	(void)state;
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, vmsig_memctx_ops(), &none),
			 -EINVAL);
	none.qmp.timeout_ms = -5;
	none.qmp.qmp_path = "/nonexistent";
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, vmsig_memctx_ops(), &none),
			 -EINVAL);
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, vmsig_memctx_ops(), NULL),
			 -EINVAL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_qemu_texts),
		cmocka_unit_test(parse_refuses_what_it_does_not_understand),
		T(tick_registers_the_memctx),
		T(registers_only_changes),
		T(leaving_long_mode_unregisters),
		T(first_sample_in_real_mode_unregisters_once),
		T(malformed_text_changes_nothing),
		T(qmp_errors),
		T(refused_registration_is_retried),
		T(config_checks),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
