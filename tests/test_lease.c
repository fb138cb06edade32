// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the lease and memwrite wrappers (lib/lease.c), ioctl
 * mocked: every field passed, every output copied, errors returned as
 * -errno and outputs left alone on failure.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmsig.h"
#include "ioctl_mock.h"

#define SEEN(type) ((const struct type *)ioctl_seen.bytes)

static void acquire_passes_every_field(void **state)
{
	struct vmsig_lease out = { .token = 42, .expires_ns = 5000 };
	const struct vmsig_lease *in = SEEN(vmsig_lease);
	uint64_t token = 0, exp = 0;

	(void)state;
	expect_ioctl(5, VMSIG_IOC_LEASE_ACQUIRE, 0, &out, NULL);
	assert_int_equal(vmsig_lease_acquire(5, VMSIG_LEASE_MEMWRITE, 1000,
					     VMSIG_LEASE_WAIT, 2000, &token, &exp), 0);
	assert_int_equal(token, 42);
	assert_int_equal(exp, 5000);
	assert_int_equal(in->size, sizeof(*in));
	assert_int_equal(in->flags, VMSIG_LEASE_WAIT);
	assert_int_equal(in->lease_class, VMSIG_LEASE_MEMWRITE);
	assert_int_equal(in->reserved0, 0);
	assert_int_equal(in->ttl_ns, 1000);
	assert_int_equal(in->timeout_ns, 2000);
	assert_int_equal(in->token, 0);
	assert_int_equal(in->expires_ns, 0);
	assert_zero(in, offsetof(struct vmsig_lease, reserved), sizeof(*in));

	/* @expires_ns is optional. */
	expect_ioctl(5, VMSIG_IOC_LEASE_ACQUIRE, 0, &out, NULL);
	assert_int_equal(vmsig_lease_acquire(5, VMSIG_LEASE_INPUT, 0, 0, 0,
					     &token, NULL), 0);
	assert_int_equal(in->flags, 0);
	assert_int_equal(in->lease_class, VMSIG_LEASE_INPUT);
}

static void acquire_errors(void **state)
{
	uint64_t token = 7, exp = 8;

	(void)state;
	expect_ioctl(5, VMSIG_IOC_LEASE_ACQUIRE, -EBUSY, NULL, NULL);
	assert_int_equal(vmsig_lease_acquire(5, VMSIG_LEASE_MEMWRITE, 0, 0, 0,
					     &token, &exp), -EBUSY);
	assert_int_equal(token, 7);
	assert_int_equal(exp, 8);
	expect_ioctl(5, VMSIG_IOC_LEASE_ACQUIRE, -ETIMEDOUT, NULL, NULL);
	assert_int_equal(vmsig_lease_acquire(5, VMSIG_LEASE_MEMWRITE, 0,
					     VMSIG_LEASE_WAIT, 1, &token, NULL),
			 -ETIMEDOUT);
	/* Refused without an ioctl: no token pointer, timeout without WAIT. */
	assert_int_equal(vmsig_lease_acquire(5, 0, 0, 0, 0, NULL, NULL), -EINVAL);
	assert_int_equal(vmsig_lease_acquire(5, 0, 0, 0, 10, &token, NULL), -EINVAL);
}

static void renew_release_revoke(void **state)
{
	struct vmsig_lease out = { .token = 99, .expires_ns = 777 };
	const struct vmsig_lease *in = SEEN(vmsig_lease);
	uint64_t exp = 0, tok = 0;

	(void)state;
	expect_ioctl(6, VMSIG_IOC_LEASE_RENEW, 0, &out, NULL);
	assert_int_equal(vmsig_lease_renew(6, VMSIG_LEASE_POWER, 12, 3000, &exp), 0);
	assert_int_equal(exp, 777);
	assert_int_equal(in->size, sizeof(*in));
	assert_int_equal(in->flags, 0);
	assert_int_equal(in->lease_class, VMSIG_LEASE_POWER);
	assert_int_equal(in->token, 12);
	assert_int_equal(in->ttl_ns, 3000);
	assert_int_equal(in->timeout_ns, 0);
	assert_zero(in, offsetof(struct vmsig_lease, reserved), sizeof(*in));
	expect_ioctl(6, VMSIG_IOC_LEASE_RENEW, -ESTALE, NULL, NULL);
	assert_int_equal(vmsig_lease_renew(6, VMSIG_LEASE_POWER, 12, 0, NULL), -ESTALE);

	expect_ioctl(6, VMSIG_IOC_LEASE_RELEASE, 0, NULL, NULL);
	assert_int_equal(vmsig_lease_release(6, VMSIG_LEASE_MEMWRITE, 13), 0);
	assert_int_equal(in->lease_class, VMSIG_LEASE_MEMWRITE);
	assert_int_equal(in->token, 13);
	assert_int_equal(in->ttl_ns, 0);
	expect_ioctl(6, VMSIG_IOC_LEASE_RELEASE, -ESTALE, NULL, NULL);
	assert_int_equal(vmsig_lease_release(6, VMSIG_LEASE_MEMWRITE, 13), -ESTALE);

	expect_ioctl(6, VMSIG_IOC_LEASE_REVOKE, 0, &out, NULL);
	assert_int_equal(vmsig_lease_revoke(6, VMSIG_LEASE_INPUT, &tok), 0);
	assert_int_equal(tok, 99);
	assert_int_equal(in->lease_class, VMSIG_LEASE_INPUT);
	assert_int_equal(in->token, 0);
	expect_ioctl(6, VMSIG_IOC_LEASE_REVOKE, -ENOENT, NULL, NULL);
	assert_int_equal(vmsig_lease_revoke(6, VMSIG_LEASE_INPUT, NULL), -ENOENT);
}

static void write_passes_every_field(void **state)
{
	const struct vmsig_mem_write *in = SEEN(vmsig_mem_write);
	unsigned char data[3] = { 1, 2, 3 };

	(void)state;
	expect_ioctl(7, VMSIG_IOC_MEM_WRITE, 0, NULL, NULL);
	assert_int_equal(vmsig_mem_write(7, 21, 0x1000, data, sizeof(data),
					 VMSIG_WRITE_VIRT, 99), 0);
	assert_int_equal(in->size, sizeof(*in));
	assert_int_equal(in->flags, VMSIG_WRITE_VIRT);
	assert_int_equal(in->addr, 0x1000);
	assert_int_equal(in->buf, (uintptr_t)data);
	assert_int_equal(in->len, 3);
	assert_int_equal(in->token, 21);
	/* @epoch only travels with VMSIG_WRITE_EPOCH. */
	assert_int_equal(in->epoch, 0);
	assert_int_equal(in->expect, 0);
	assert_int_equal(in->value, 0);
	assert_int_equal(in->reserved0, 0);
	assert_int_equal(in->reserved1, 0);
	assert_zero(in, offsetof(struct vmsig_mem_write, reserved), sizeof(*in));

	expect_ioctl(7, VMSIG_IOC_MEM_WRITE, 0, NULL, NULL);
	assert_int_equal(vmsig_mem_write(7, 21, 0x1000, data, 1, VMSIG_WRITE_EPOCH, 99), 0);
	assert_int_equal(in->epoch, 99);
	assert_int_equal(in->flags, VMSIG_WRITE_EPOCH);
}

static void write_errors(void **state)
{
	char b = 0;

	(void)state;
	expect_ioctl(7, VMSIG_IOC_MEM_WRITE, -ESTALE, NULL, NULL);
	assert_int_equal(vmsig_mem_write(7, 1, 0, &b, 1, 0, 0), -ESTALE);
	expect_ioctl(7, VMSIG_IOC_MEM_WRITE, -EOPNOTSUPP, NULL, NULL);
	assert_int_equal(vmsig_mem_write(7, 1, 0, &b, 1, 0, 0), -EOPNOTSUPP);
	/* Refused without an ioctl. */
	assert_int_equal(vmsig_mem_write(7, 1, 0, &b, 0, 0, 0), -EINVAL);
	assert_int_equal(vmsig_mem_write(7, 1, 0, NULL, 1, 0, 0), -EINVAL);
	assert_int_equal(vmsig_mem_write(7, 1, 0, &b, 1, VMSIG_WRITE_CAS, 0), -EINVAL);
	assert_int_equal(vmsig_mem_write(7, 1, 0, &b, VMSIG_MEMWRITE_MAX + 1, 0, 0),
			 -E2BIG);
}

static void cas_swapped(void *arg)
{
	struct vmsig_mem_write *w = arg;

	w->old = w->expect;
	w->swapped = 1;
}

static void cas_not_swapped(void *arg)
{
	struct vmsig_mem_write *w = arg;

	w->old = 0xabcd;
	w->swapped = 0;
}

static void cas_results(void **state)
{
	const struct vmsig_mem_write *in = SEEN(vmsig_mem_write);
	uint64_t old = 0;

	(void)state;
	expect_ioctl(8, VMSIG_IOC_MEM_WRITE, 0, NULL, cas_swapped);
	assert_int_equal(vmsig_mem_cas(8, 4, 0x2000, 4, 0x10, 0x20, 0, 0, &old), 1);
	assert_int_equal(old, 0x10);
	assert_int_equal(in->flags, VMSIG_WRITE_CAS);
	assert_int_equal(in->len, 4);
	assert_int_equal(in->addr, 0x2000);
	assert_int_equal(in->token, 4);
	assert_int_equal(in->expect, 0x10);
	assert_int_equal(in->value, 0x20);
	assert_int_equal(in->buf, 0);
	assert_zero(in, offsetof(struct vmsig_mem_write, reserved), sizeof(*in));

	expect_ioctl(8, VMSIG_IOC_MEM_WRITE, 0, NULL, cas_not_swapped);
	assert_int_equal(vmsig_mem_cas(8, 4, 0x2000, 8, 1, 2, VMSIG_WRITE_VIRT, 0,
				       &old), 0);
	assert_int_equal(old, 0xabcd);
	assert_int_equal(in->flags, VMSIG_WRITE_CAS | VMSIG_WRITE_VIRT);

	old = 5;
	expect_ioctl(8, VMSIG_IOC_MEM_WRITE, -ESTALE, NULL, NULL);
	assert_int_equal(vmsig_mem_cas(8, 4, 0x2000, 8, 1, 2, 0, 0, &old), -ESTALE);
	assert_int_equal(old, 5);
	/* Refused without an ioctl: bad width, values wider than it. */
	assert_int_equal(vmsig_mem_cas(8, 4, 0, 3, 0, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(vmsig_mem_cas(8, 4, 0, 0, 0, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(vmsig_mem_cas(8, 4, 0, 1, 0x100, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(vmsig_mem_cas(8, 4, 0, 2, 0, 0x10000, 0, 0, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acquire_passes_every_field),
		cmocka_unit_test(acquire_errors),
		cmocka_unit_test(renew_release_revoke),
		cmocka_unit_test(write_passes_every_field),
		cmocka_unit_test(write_errors),
		cmocka_unit_test(cas_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
