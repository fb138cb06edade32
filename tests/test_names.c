// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the name tables: the naming rule on known values, NULL for
 * unknown ones, and completeness against uapi/linux/vmsig.h itself, read at
 * run time, so a feature or ioctl added to the uapi without a name fails
 * here rather than showing up as "bit7" in vmsigctl.
 */
#include <ctype.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmsig.h"
#include "vmsig_names.h"

#ifndef VMSIG_UAPI_HEADER
#error "the Makefile passes the path of uapi/linux/vmsig.h"
#endif

static void known_features(void **state)
{
	(void)state;
	assert_string_equal(vmsig_feature_name(0), "handshake");
	assert_string_equal(vmsig_feature_name(__builtin_ctzll(VMSIG_FEAT_BACKEND_KVM)),
			    "backend_kvm");
	assert_string_equal(vmsig_feature_name(__builtin_ctzll(VMSIG_FEAT_MEM_READ)),
			    "mem_read");
	assert_string_equal(vmsig_feature_name(__builtin_ctzll(VMSIG_FEAT_MEMCTX)),
			    "memctx");
}

static void known_ioctls(void **state)
{
	(void)state;
	assert_string_equal(vmsig_ioctl_name(_IOC_NR(VMSIG_IOC_GET_API)), "get_api");
	assert_string_equal(vmsig_ioctl_name(_IOC_NR(VMSIG_IOC_ATTACH)), "attach");
	assert_string_equal(vmsig_ioctl_name(_IOC_NR(VMSIG_IOC_EP_INFO)), "ep_info");
	assert_string_equal(vmsig_ioctl_name(_IOC_NR(VMSIG_IOC_INVALIDATE_MEMCTX)),
			    "invalidate_memctx");
}

static void known_enums(void **state)
{
	(void)state;
	assert_string_equal(vmsig_backend_name(VMSIG_BACKEND_NONE), "none");
	assert_string_equal(vmsig_backend_name(VMSIG_BACKEND_KVM), "kvm");
	assert_string_equal(vmsig_backend_name(VMSIG_BACKEND_RAMFD), "ramfd");
	assert_string_equal(vmsig_paging_name(VMSIG_PAGING_X86_64_4LEVEL),
			    "x86_64_4level");
	assert_string_equal(vmsig_paging_name(VMSIG_PAGING_X86_64_5LEVEL),
			    "x86_64_5level");
	assert_null(vmsig_paging_name(0));
}

/* Out-of-range and unassigned values are NULL, never a stray pointer. */
static void unknown_is_null(void **state)
{
	(void)state;
	assert_null(vmsig_feature_name(63));
	assert_null(vmsig_feature_name(64));
	assert_null(vmsig_feature_name(~0U));
	assert_null(vmsig_ioctl_name(0x3f));
	assert_null(vmsig_ioctl_name(64));
	assert_null(vmsig_ioctl_name(~0U));
	assert_null(vmsig_backend_name(1000));
	assert_null(vmsig_backend_name(~0U));
	assert_null(vmsig_paging_name(~0U));
}

/* The header with backslash-newlines joined, so every #define is one line. */
static char *read_header(void)
{
	FILE *f = fopen(VMSIG_UAPI_HEADER, "re");
	char *buf, *w;
	size_t n;

	assert_non_null(f);
	buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	w = buf;
	for (char *r = buf; *r; r++) {
		if (r[0] == '\\' && r[1] == '\n') {
			r++;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	return buf;
}

static void lower(char *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[len] = '\0';
}

/*
 * For every "#define PREFIX<NAME> <value pattern>" of the header, the table
 * must map the captured number to lower(<NAME>).  Returns the match count.
 */
static int check_defines(const char *hdr, const char *re_src, int base,
			 const char *(*name)(unsigned int))
{
	regmatch_t m[3];
	regex_t re;
	int count = 0, bad = 0;

	assert_int_equal(regcomp(&re, re_src, REG_EXTENDED | REG_NEWLINE), 0);
	for (const char *p = hdr; !regexec(&re, p, 3, m, 0); p += m[0].rm_eo) {
		char want[64], num[32];
		size_t len = (size_t)(m[1].rm_eo - m[1].rm_so);
		const char *got;

		assert_true(len < sizeof(want));
		lower(want, p + m[1].rm_so, len);
		snprintf(num, sizeof(num), "%.*s", (int)(m[2].rm_eo - m[2].rm_so),
			 p + m[2].rm_so);
		got = name((unsigned int)strtoul(num, NULL, base));
		if (!got || strcmp(got, want)) {
			/* Go on: one run lists every missing name. */
			print_error("%s (%s) is named '%s' in lib/names.c, want '%s'\n",
				    want, num, got ? got : "(none)", want);
			bad++;
		}
		count++;
	}
	regfree(&re);
	assert_int_equal(bad, 0);
	return count;
}

static void features_complete(void **state)
{
	char *hdr = read_header();

	(void)state;
	assert_true(check_defines(hdr,
		"^#define[ \t]+VMSIG_FEAT_([A-Z0-9_]+)[ \t]+_BITULL\\(([0-9]+)\\)",
		10, vmsig_feature_name) >= 6);
	free(hdr);
}

static void ioctls_complete(void **state)
{
	char *hdr = read_header();

	(void)state;
	assert_true(check_defines(hdr,
		"^#define[ \t]+VMSIG_IOC_([A-Z0-9_]+)[ \t]+_IO[RW]*\\(VMSIG_IOC_MAGIC,[ \t]*0x([0-9a-fA-F]+)",
		16, vmsig_ioctl_name) >= 7);
	free(hdr);
}

static void backends_complete(void **state)
{
	char *hdr = read_header();

	(void)state;
	assert_true(check_defines(hdr,
		"^[ \t]+VMSIG_BACKEND_([A-Z0-9_]+)[ \t]*=[ \t]*([0-9]+),",
		10, vmsig_backend_name) >= 3);
	assert_true(check_defines(hdr,
		"^[ \t]+VMSIG_PAGING_([A-Z0-9_]+)[ \t]*=[ \t]*([0-9]+),",
		10, vmsig_paging_name) >= 2);
	free(hdr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_features),
		cmocka_unit_test(known_ioctls),
		cmocka_unit_test(known_enums),
		cmocka_unit_test(unknown_is_null),
		cmocka_unit_test(features_complete),
		cmocka_unit_test(ioctls_complete),
		cmocka_unit_test(backends_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
