// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unit tests of vmsigctl's command-line parser (lib/tools/args.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"

static struct ctl_args a;
static char err[256];

/* Parse a NULL-terminated list of words after "vmsigctl". */
#define PARSE(...) parse((const char *[]){ "vmsigctl", __VA_ARGS__, NULL })

static int parse(const char **words)
{
	int argc = 0;

	while (words[argc])
		argc++;
	return ctl_parse_args(argc, (char *const *)words, &a, err, sizeof(err));
}

static void expect_usage_error(int ret, const char *needle)
{
	assert_int_equal(ret, -EINVAL);
	if (!strstr(err, needle)) {
		print_error("error '%s' lacks '%s'\n", err, needle);
		fail();
	}
}

static void commands(void **state)
{
	(void)state;
	assert_int_equal(PARSE("status"), 0);
	assert_int_equal(a.cmd, CTL_CMD_STATUS);
	assert_false(a.json);
	assert_null(a.module);
	assert_int_equal(a.kvm_fd, -1);
	assert_int_equal(a.pid, 0);
	assert_int_equal(PARSE("load"), 0);
	assert_int_equal(a.cmd, CTL_CMD_LOAD);
	assert_int_equal(PARSE("unload"), 0);
	assert_int_equal(a.cmd, CTL_CMD_UNLOAD);
	assert_string_equal(ctl_cmd_name(CTL_CMD_ATTACH_INFO), "attach-info");
	assert_null(ctl_cmd_name(CTL_CMD_NONE));
}

static void json_anywhere(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--json", "status"), 0);
	assert_true(a.json);
	assert_int_equal(PARSE("status", "--json"), 0);
	assert_true(a.json);
	assert_int_equal(a.cmd, CTL_CMD_STATUS);
	assert_int_equal(PARSE("load", "--module", "/m.ko", "--json"), 0);
	assert_true(a.json);
}

static void load_module(void **state)
{
	(void)state;
	assert_int_equal(PARSE("load", "--module", "/lib/modules/vmsig.ko"), 0);
	assert_string_equal(a.module, "/lib/modules/vmsig.ko");
	assert_int_equal(PARSE("load", "--module=rel/vmsig.ko"), 0);
	assert_string_equal(a.module, "rel/vmsig.ko");
	expect_usage_error(PARSE("load", "--module"), "needs a value");
	expect_usage_error(PARSE("load", "--module="), "needs a path");
	expect_usage_error(PARSE("load", "--module", "a", "--module", "b"), "twice");
	expect_usage_error(PARSE("status", "--module", "a"), "belongs to 'load'");
	expect_usage_error(PARSE("unload", "--module", "a"), "belongs to 'load'");
}

static void attach_info(void **state)
{
	(void)state;
	assert_int_equal(PARSE("attach-info", "--pid", "1234"), 0);
	assert_int_equal(a.cmd, CTL_CMD_ATTACH_INFO);
	assert_int_equal(a.pid, 1234);
	assert_int_equal(a.kvm_fd, -1);
	assert_int_equal(PARSE("attach-info", "--kvm-fd=0"), 0);
	assert_int_equal(a.kvm_fd, 0);
	assert_int_equal(a.pid, 0);
	assert_int_equal(PARSE("attach-info", "--kvm-fd", "2147483647"), 0);
	assert_int_equal(a.kvm_fd, 2147483647);
	expect_usage_error(PARSE("attach-info"), "exactly one");
	expect_usage_error(PARSE("attach-info", "--pid", "1", "--kvm-fd", "3"),
			   "exactly one");
	expect_usage_error(PARSE("attach-info", "--pid", "0"), "not a process id");
	expect_usage_error(PARSE("attach-info", "--pid", "-5"), "not a process id");
	expect_usage_error(PARSE("attach-info", "--pid", "+5"), "not a process id");
	expect_usage_error(PARSE("attach-info", "--pid", " 5"), "not a process id");
	expect_usage_error(PARSE("attach-info", "--pid", "12x"), "not a process id");
	expect_usage_error(PARSE("attach-info", "--pid", "2147483648"), "not a process id");
	expect_usage_error(PARSE("attach-info", "--kvm-fd", "-1"), "not a file descriptor");
	expect_usage_error(PARSE("attach-info", "--kvm-fd", ""), "not a file descriptor");
	expect_usage_error(PARSE("load", "--pid", "5"), "belongs to 'attach-info'");
}

static void usage_errors(void **state)
{
	(void)state;
	expect_usage_error(parse((const char *[]){ "vmsigctl", NULL }), "no command");
	expect_usage_error(PARSE("--json"), "no command");
	expect_usage_error(PARSE("frobnicate"), "unknown command 'frobnicate'");
	expect_usage_error(PARSE("status", "--bogus"), "unknown option '--bogus'");
	expect_usage_error(PARSE("status", "--bogus=1"), "unknown option '--bogus'");
	expect_usage_error(PARSE("status", "extra"), "unexpected argument 'extra'");
	expect_usage_error(PARSE("status", "load"), "unexpected argument 'load'");
	expect_usage_error(PARSE("-"), "unknown command '-'");
}

static void help_and_version(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--help"), 0);
	assert_true(a.help);
	assert_int_equal(a.cmd, CTL_CMD_NONE);
	assert_int_equal(PARSE("-h"), 0);
	assert_true(a.help);
	assert_int_equal(PARSE("help"), 0);
	assert_true(a.help);
	assert_int_equal(a.cmd, CTL_CMD_NONE);
	assert_int_equal(PARSE("help", "attach-info"), 0);
	assert_true(a.help);
	assert_int_equal(a.cmd, CTL_CMD_ATTACH_INFO);
	/* A command's help needs none of its required options. */
	assert_int_equal(PARSE("attach-info", "--help"), 0);
	assert_true(a.help);
	expect_usage_error(PARSE("help", "bogus"), "no help for 'bogus'");
	assert_int_equal(PARSE("--version"), 0);
	assert_true(a.version);
	assert_int_equal(PARSE("-V"), 0);
	assert_true(a.version);
}

static void usage_text(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	ctl_usage(f, CTL_CMD_NONE);
	fclose(f);
	for (int cmd = CTL_CMD_STATUS; cmd <= CTL_CMD_HELP; cmd++)
		assert_non_null(strstr(buf, ctl_cmd_name(cmd)));
	assert_non_null(strstr(buf, "Exit status"));
	free(buf);
	f = open_memstream(&buf, &len);
	ctl_usage(f, CTL_CMD_LOAD);
	fclose(f);
	assert_non_null(strstr(buf, "load [--module PATH]"));
	assert_null(strstr(buf, "attach-info"));
	free(buf);
}

static void listings(void **state)
{
	(void)state;
	assert_int_equal(PARSE("list"), 0);
	assert_int_equal(a.cmd, CTL_CMD_LIST);
	assert_int_equal(a.ep_id, 0);
	assert_int_equal(PARSE("leases", "--ep", "7", "--json"), 0);
	assert_int_equal(a.cmd, CTL_CMD_LEASES);
	assert_int_equal(a.ep_id, 7);
	expect_usage_error(PARSE("list", "--ep", "0"), "not an endpoint id");
	expect_usage_error(PARSE("list", "--pid", "3"), "belongs to 'attach-info', 'read'");
	expect_usage_error(PARSE("list", "extra"), "unexpected argument 'extra'");
}

static void read_args(void **state)
{
	(void)state;
	assert_int_equal(PARSE("read", "0x1000", "16", "--ep", "3"), 0);
	assert_int_equal(a.cmd, CTL_CMD_READ);
	assert_int_equal(a.addr, 0x1000);
	assert_int_equal(a.len, 16);
	assert_int_equal(a.ep_id, 3);
	assert_false(a.virt);
	assert_int_equal(a.format, CTL_FMT_HEX);
	assert_int_equal(PARSE("read", "--pid", "9", "4096", "0x10", "--format=raw"), 0);
	assert_int_equal(a.addr, 4096);
	assert_int_equal(a.len, 16);
	assert_int_equal(a.pid, 9);
	assert_int_equal(a.format, CTL_FMT_RAW);
	assert_int_equal(PARSE("read", "0xffff800000001000", "8", "--virt", "--cr3",
			       "0x1234000", "--la57", "--kvm-fd", "5"), 0);
	assert_true(a.virt);
	assert_true(a.has_cr3);
	assert_int_equal(a.cr3, 0x1234000);
	assert_true(a.la57);
	assert_int_equal(a.addr, 0xffff800000001000ULL);
	assert_int_equal(a.kvm_fd, 5);
	expect_usage_error(PARSE("read", "0x1000", "--ep", "1"), "read needs ADDR LEN");
	expect_usage_error(PARSE("read", "1", "2", "3", "--ep", "1"), "unexpected argument '3'");
	expect_usage_error(PARSE("read", "0x1000", "16"), "exactly one of --ep");
	expect_usage_error(PARSE("read", "0x1000", "16", "--ep", "1", "--pid", "2"),
			   "exactly one of --ep");
	expect_usage_error(PARSE("read", "0x1000", "0", "--ep", "1"), "LEN: 0 is not between");
	expect_usage_error(PARSE("read", "0x1000", "67108865", "--ep", "1"), "is not between");
	expect_usage_error(PARSE("read", "0xg", "1", "--ep", "1"), "ADDR: '0xg' is not a number");
	expect_usage_error(PARSE("read", "12k", "1", "--ep", "1"), "is not a number");
	expect_usage_error(PARSE("read", "1", "2", "--ep", "1", "--format", "bin"),
			   "neither hex nor raw");
	expect_usage_error(PARSE("read", "1", "2", "--ep", "1", "--format", "raw", "--json"),
			   "both want stdout");
	expect_usage_error(PARSE("read", "1", "2", "--ep", "1", "--la57"), "goes with --cr3");
	expect_usage_error(PARSE("read", "1", "2", "--ep", "1", "--cr3", "0x1000"), "add --virt");
	expect_usage_error(PARSE("read", "1", "2", "--ep", "1", "--virt=1"), "takes no value");
}

static void write_args(void **state)
{
	uint8_t buf[8];

	(void)state;
	assert_int_equal(PARSE("write", "0x10", "0xff", "--ep", "2"), 0);
	assert_int_equal(a.cmd, CTL_CMD_WRITE);
	assert_int_equal(a.addr, 0x10);
	assert_true(a.has_value);
	assert_int_equal(a.value, 0xff);
	assert_int_equal(a.width, CTL_WIDTH_DEFAULT);
	assert_false(a.has_wait);
	assert_int_equal(PARSE("write", "0x10", "0xffffffffffffffff", "--width", "8",
			       "--wait", "1.5", "--ep", "2"), 0);
	assert_int_equal(a.value, UINT64_MAX);
	assert_true(a.has_wait);
	assert_int_equal(a.wait_ns, 1500000000ULL);
	assert_int_equal(PARSE("write", "0x10", "--hex", "de ad:be ef00", "--ep", "2"), 0);
	assert_false(a.has_value);
	assert_string_equal(a.hex, "de ad:be ef00");
	assert_int_equal(a.hex_len, 5);
	assert_int_equal(ctl_parse_hex(a.hex, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "\xde\xad\xbe\xef\x00", 5);
	assert_int_equal(ctl_parse_hex("0102", buf, 1), -EINVAL);
	assert_int_equal(ctl_parse_hex("", NULL, 0), -EINVAL);
	assert_int_equal(ctl_parse_hex("abc", NULL, 0), -EINVAL);
	assert_int_equal(ctl_parse_hex("0x12", NULL, 0), -EINVAL);
	expect_usage_error(PARSE("write", "0x10", "--ep", "2"), "exactly one of VALUE and --hex");
	expect_usage_error(PARSE("write", "0x10", "1", "--hex", "01", "--ep", "2"),
			   "exactly one of VALUE and --hex");
	expect_usage_error(PARSE("write", "0x10", "--hex", "01", "--width", "1", "--ep", "2"),
			   "--width goes with VALUE");
	expect_usage_error(PARSE("write", "0x10", "0x100", "--width", "1", "--ep", "2"),
			   "does not fit in 1 byte");
	expect_usage_error(PARSE("write", "0x10", "0x100000000", "--ep", "2"),
			   "does not fit in 4 bytes");
	expect_usage_error(PARSE("write", "0", "1", "--width", "3", "--ep", "2"),
			   "not 1, 2, 4 or 8");
	expect_usage_error(PARSE("write", "0", "--hex", "zz", "--ep", "2"), "pairs of hex digits");
	expect_usage_error(PARSE("write", "0", "1", "--wait", "-1", "--ep", "2"),
			   "not a number of seconds");
	expect_usage_error(PARSE("write", "0", "1", "--wait", "1e9", "--ep", "2"),
			   "not a number of seconds");
}

static void cas_args(void **state)
{
	(void)state;
	assert_int_equal(PARSE("cas", "0x1000", "1", "0x2", "--width", "2", "--pid", "4"), 0);
	assert_int_equal(a.cmd, CTL_CMD_CAS);
	assert_int_equal(a.addr, 0x1000);
	assert_int_equal(a.expect, 1);
	assert_int_equal(a.value, 2);
	assert_int_equal(a.width, 2);
	expect_usage_error(PARSE("cas", "0x1000", "1", "2", "--ep", "1"), "needs --width");
	expect_usage_error(PARSE("cas", "0x1001", "1", "2", "--width", "2", "--ep", "1"),
			   "aligned");
	expect_usage_error(PARSE("cas", "0x1000", "0x10000", "2", "--width", "2", "--ep", "1"),
			   "must fit");
	expect_usage_error(PARSE("cas", "0x1000", "1", "--width", "2", "--ep", "1"),
			   "cas needs ADDR EXPECT NEW");
	expect_usage_error(PARSE("cas", "0", "1", "2", "--width", "1", "--ep", "1",
				 "--hex", "00"), "belongs to 'write'");
}

static void stream_args(void **state)
{
	(void)state;
	assert_int_equal(PARSE("watch", "--ep", "1", "--types", "memctx,0x100",
			       "--sources=kernel", "--count", "3"), 0);
	assert_int_equal(a.cmd, CTL_CMD_WATCH);
	assert_string_equal(a.types, "memctx,0x100");
	assert_string_equal(a.sources, "kernel");
	assert_int_equal(a.count, 3);
	expect_usage_error(PARSE("watch"), "exactly one of --ep");
	expect_usage_error(PARSE("watch", "--ep", "1", "--types", "a,,b"), "comma-separated");
	expect_usage_error(PARSE("watch", "--ep", "1", "--types", ","), "comma-separated");
	expect_usage_error(PARSE("watch", "--ep", "1", "--count", "0"), "positive count");
	expect_usage_error(PARSE("watch", "--ep", "1", "0x10"), "unexpected argument");

	assert_int_equal(PARSE("audit"), 0);
	assert_int_equal(a.cmd, CTL_CMD_AUDIT);
	assert_false(a.follow);
	assert_false(a.stats);
	assert_int_equal(PARSE("audit", "--follow"), 0);
	assert_true(a.follow);
	assert_int_equal(PARSE("audit", "--stats", "--json"), 0);
	assert_true(a.stats);
	assert_int_equal(PARSE("audit", "--count", "5"), 0);
	assert_int_equal(a.count, 5);
	expect_usage_error(PARSE("audit", "--stats", "--follow"), "one of --follow");
	expect_usage_error(PARSE("audit", "--count", "2", "--follow"), "one of --follow");

	assert_int_equal(PARSE("top"), 0);
	assert_int_equal(a.cmd, CTL_CMD_TOP);
	assert_false(a.once);
	assert_int_equal(PARSE("top", "--once", "--json"), 0);
	assert_true(a.once);
	expect_usage_error(PARSE("top", "--once=yes"), "takes no value");
	expect_usage_error(PARSE("top", "--follow"), "belongs to 'audit'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commands),
		cmocka_unit_test(json_anywhere),
		cmocka_unit_test(load_module),
		cmocka_unit_test(attach_info),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(help_and_version),
		cmocka_unit_test(usage_text),
		cmocka_unit_test(listings),
		cmocka_unit_test(read_args),
		cmocka_unit_test(write_args),
		cmocka_unit_test(cas_args),
		cmocka_unit_test(stream_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
