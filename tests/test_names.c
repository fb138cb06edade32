// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the name tables: the naming rule on known values, NULL for
 * unknown ones, and completeness against uapi/linux/vmsig.h itself, read at
 * run time, so a feature or ioctl added to the uapi without a name fails
 * here rather than showing up as "bit7" in vmsigctl.
 */
#include <ctype.h>
#include <errno.h>
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

/* Whether @name is in the NULL-terminated @skip (limits, not values). */
static int skip_name(const char *const *skip, const char *name)
{
	for (; skip && *skip; skip++)
		if (!strcmp(*skip, name))
			return 1;
	return 0;
}

/*
 * For every "#define PREFIX<NAME> <value pattern>" of the header, the table
 * must map the captured number to lower(<NAME>).  Returns the match count.
 */
static int check_defines_skip(const char *hdr, const char *re_src, int base,
			      const char *(*name)(unsigned int),
			      const char *const *skip)
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
		if (skip_name(skip, want))
			continue;
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

static int check_defines(const char *hdr, const char *re_src, int base,
			 const char *(*name)(unsigned int))
{
	return check_defines_skip(hdr, re_src, base, name, NULL);
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

static void known_event_names(void **state)
{
	(void)state;
	assert_string_equal(vmsig_event_type_name(VMSIG_EV_DROPPED), "dropped");
	assert_string_equal(vmsig_event_type_name(VMSIG_EV_MEMCTX), "memctx");
	assert_string_equal(vmsig_event_type_name(VMSIG_EV_ACT_ACK), "act_ack");
	assert_string_equal(vmsig_event_type_name(VMSIG_EV_VM_STATE), "vm_state");
	assert_string_equal(vmsig_event_type_name(VMSIG_EV_INPUT), "input");
	assert_string_equal(vmsig_source_name(VMSIG_SRC_KERNEL), "kernel");
	assert_string_equal(vmsig_source_name(VMSIG_SRC_VMHOST), "vmhost");
	assert_string_equal(vmsig_lease_class_name(VMSIG_LEASE_MEMWRITE), "memwrite");
	assert_string_equal(vmsig_lease_change_name(VMSIG_LEASE_EV_REVOKED), "revoked");
	assert_string_equal(vmsig_vm_state_name(VMSIG_VM_PAUSED), "paused");
	assert_null(vmsig_event_type_name(0));
	assert_null(vmsig_event_type_name(0x1234));
	assert_null(vmsig_event_type_name(~0U));
	assert_null(vmsig_source_name(VMSIG_SRC_MAX));
	assert_null(vmsig_source_name(~0U));
	assert_null(vmsig_lease_class_name(VMSIG_LEASE_CLASSES));
	assert_null(vmsig_lease_class_name(~0U));
	assert_null(vmsig_lease_change_name(0));
	assert_null(vmsig_lease_change_name(~0U));
	assert_null(vmsig_vm_state_name(0));
	assert_null(vmsig_vm_state_name(~0U));
}

/* from_name() is the inverse of name() and refuses what it does not know. */
static void reverse_lookups(void **state)
{
	(void)state;
	for (unsigned int t = 0; t <= 0xffff; t++) {
		const char *n = vmsig_event_type_name(t);

		if (n)
			assert_int_equal(vmsig_event_type_from_name(n), (int)t);
	}
	for (unsigned int s = 0; s < VMSIG_SRC_MAX; s++)
		assert_int_equal(vmsig_source_from_name(vmsig_source_name(s)), (int)s);
	for (unsigned int c = 0; c < VMSIG_LEASE_CLASSES; c++)
		assert_int_equal(vmsig_lease_class_from_name(vmsig_lease_class_name(c)),
				 (int)c);
	assert_int_equal(vmsig_event_type_from_name("bogus"), -ENOENT);
	assert_int_equal(vmsig_event_type_from_name(""), -ENOENT);
	assert_int_equal(vmsig_event_type_from_name(NULL), -ENOENT);
	assert_int_equal(vmsig_event_type_from_name("MEMCTX"), -ENOENT);
	assert_int_equal(vmsig_source_from_name("max"), -ENOENT);
	assert_int_equal(vmsig_source_from_name(NULL), -ENOENT);
	assert_int_equal(vmsig_lease_class_from_name("classes"), -ENOENT);
	assert_int_equal(vmsig_lease_class_from_name(NULL), -ENOENT);
}

static const char *event_type_name_u(unsigned int t)
{
	return vmsig_event_type_name(t);
}

/* Every event type, source, lease class, lease change and VM state. */
static void events_complete(void **state)
{
	static const char *const limits[] = { "kernel_max", "up_min", "down_min", NULL };
	static const char *const src_max[] = { "max", NULL };
	static const char *const classes[] = { "classes", NULL };
	char *hdr = read_header();

	(void)state;
	assert_true(check_defines_skip(hdr,
		"^#define[ \t]+VMSIG_EV_([A-Z0-9_]+)[ \t]+0x([0-9a-fA-F]+)",
		16, event_type_name_u, limits) >= 9);
	assert_true(check_defines_skip(hdr,
		"^[ \t]+VMSIG_SRC_([A-Z0-9_]+)[ \t]*=[ \t]*([0-9]+),",
		10, vmsig_source_name, src_max) >= 6);
	assert_true(check_defines_skip(hdr,
		"^[ \t]+VMSIG_LEASE_([A-Z0-9_]+)[ \t]*=[ \t]*([0-9]+),",
		10, vmsig_lease_class_name, classes) >= 3);
	assert_true(check_defines(hdr,
		"^#define[ \t]+VMSIG_LEASE_EV_([A-Z0-9_]+)[ \t]+([0-9]+)",
		10, vmsig_lease_change_name) >= 5);
	assert_true(check_defines(hdr,
		"^#define[ \t]+VMSIG_VM_([A-Z0-9_]+)[ \t]+([0-9]+)",
		10, vmsig_vm_state_name) >= 5);
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
		cmocka_unit_test(known_event_names),
		cmocka_unit_test(reverse_lookups),
		cmocka_unit_test(events_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
