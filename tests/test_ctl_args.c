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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
