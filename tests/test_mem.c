// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unit tests of the guest-memory and memctx wrappers, ioctl mocked. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmsig.h"
#include "ioctl_mock.h"

/* What the fake kernel does with a MEM_READ: set by each test. */
static int kernel_status;	/* status of every entry */
static uint64_t kernel_epoch;

/* Plays MEM_READ: checks each entry, fills its buffer with its index. */
static void fake_mem_read(void *arg)
{
	struct vmsig_mem_read *rd = arg;
	struct vmsig_mem_entry *e = (void *)(uintptr_t)rd->entries;

	rd->done = 0;
	for (uint32_t i = 0; i < rd->count; i++) {
		assert_int_equal(e[i].status, 0);
		assert_int_equal(e[i].reserved, 0);
		e[i].status = kernel_status;
		if (!kernel_status) {
			memset((void *)(uintptr_t)e[i].buf, 'A' + (int)i, e[i].len);
			rd->done++;
		}
	}
	rd->epoch = kernel_epoch;
}

static void mem_read_struct_and_outputs(void **state)
{
	struct vmsig_mem_entry e[2];
	char a[4], b[8];
	uint64_t epoch = 6;
	uint32_t done = 99;
	struct vmsig_mem_read *in = &ioctl_seen.mem_read;

	(void)state;
	memset(e, 0, sizeof(e));
	e[0] = (struct vmsig_mem_entry){ .addr = 0x1000, .buf = (uintptr_t)a, .len = 4 };
	e[1] = (struct vmsig_mem_entry){ .addr = 0xffff800000000000ULL,
		.buf = (uintptr_t)b, .len = 8, .flags = VMSIG_MEM_VIRT };
	kernel_status = 0;
	kernel_epoch = 6;
	expect_ioctl(5, VMSIG_IOC_MEM_READ, 0, NULL, fake_mem_read);
	assert_int_equal(vmsig_mem_read(5, e, 2, VMSIG_READ_EPOCH |
					 VMSIG_READ_NOCACHE, &epoch, &done), 0);
	assert_int_equal(in->size, sizeof(*in));
	assert_int_equal(in->flags, VMSIG_READ_EPOCH | VMSIG_READ_NOCACHE);
	assert_ptr_equal((void *)(uintptr_t)in->entries, e);
	assert_int_equal(in->count, 2);
	assert_int_equal(in->done, 0);
	assert_int_equal(in->epoch, 6);
	assert_zero(in, offsetof(struct vmsig_mem_read, reserved), sizeof(*in));
	assert_int_equal(done, 2);
	assert_int_equal(epoch, 6);
	assert_memory_equal(a, "AAAA", 4);
	assert_memory_equal(b, "BBBBBBBB", 8);

	/* Optional outputs may be NULL; the epoch out is the kernel's. */
	kernel_epoch = 9;
	epoch = 1;
	expect_ioctl(5, VMSIG_IOC_MEM_READ, 0, NULL, fake_mem_read);
	assert_int_equal(vmsig_mem_read(5, e, 1, 0, &epoch, NULL), 0);
	assert_int_equal(epoch, 9);
	expect_ioctl(5, VMSIG_IOC_MEM_READ, 0, NULL, fake_mem_read);
	assert_int_equal(vmsig_mem_read(5, e, 1, 0, NULL, NULL), 0);
}

static void mem_read_errors(void **state)
{
	struct vmsig_mem_entry e = { 0 };
	uint64_t epoch = 3;
	uint32_t done = 42;

	(void)state;
	/* VMSIG_READ_EPOCH with nowhere to take the epoch from. */
	assert_int_equal(vmsig_mem_read(5, &e, 1, VMSIG_READ_EPOCH, NULL, NULL),
			 -EINVAL);
	expect_ioctl(5, VMSIG_IOC_MEM_READ, -ESTALE, NULL, NULL);
	assert_int_equal(vmsig_mem_read(5, &e, 1, VMSIG_READ_EPOCH, &epoch, &done),
			 -ESTALE);
	assert_int_equal(epoch, 3);
	assert_int_equal(done, 42);
	expect_ioctl(5, VMSIG_IOC_MEM_READ, -EOPNOTSUPP, NULL, NULL);
	assert_int_equal(vmsig_mem_read(5, &e, 1, 0, NULL, NULL), -EOPNOTSUPP);
}

static void batch_builder_limits(void **state)
{
	struct vmsig_mem_entry e[6];
	struct vmsig_read_batch b;
	char buf[16];

	(void)state;
	memset(e, 0x5a, sizeof(e));	/* add must clear what it reuses */
	vmsig_read_batch_init(&b, e, 6);
	assert_int_equal(b.cap, 6);
	assert_int_equal(vmsig_read_batch_add_phys(&b, 0x2000, buf, 16), 0);
	assert_int_equal(vmsig_read_batch_add_virt(&b, 0x7000, buf, 8), 1);
	assert_int_equal(e[0].addr, 0x2000);
	assert_ptr_equal((void *)(uintptr_t)e[0].buf, buf);
	assert_int_equal(e[0].len, 16);
	assert_int_equal(e[0].flags, 0);
	assert_int_equal(e[0].status, 0);
	assert_int_equal(e[0].reserved, 0);
	assert_int_equal(e[1].flags, VMSIG_MEM_VIRT);
	assert_int_equal(b.total, 24);

	/* One entry above the per-entry limit; then the batch total. */
	assert_int_equal(vmsig_read_batch_add_phys(&b, 0, buf,
			 (size_t)VMSIG_MEM_MAX_LEN + 1), -E2BIG);
	vmsig_read_batch_reset(&b);
	assert_int_equal(b.count, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(vmsig_read_batch_add_phys(&b, 0, buf,
				 VMSIG_MEM_MAX_LEN), i);
	assert_int_equal(b.total, VMSIG_MEM_MAX_TOTAL);
	assert_int_equal(vmsig_read_batch_add_phys(&b, 0, buf, 1), -E2BIG);
	assert_int_equal(vmsig_read_batch_add_phys(&b, 0, buf, 0), 4);
	assert_int_equal(vmsig_read_batch_add_phys(&b, 0, buf, 0), 5);
	assert_int_equal(vmsig_read_batch_add_phys(&b, 0, buf, 0), -ENOSPC);

	/* The capacity is clamped to what one ioctl takes. */
	vmsig_read_batch_init(&b, e, VMSIG_MEM_MAX_ENTRIES + 10);
	assert_int_equal(b.cap, VMSIG_MEM_MAX_ENTRIES);
}

static void batch_submit(void **state)
{
	struct vmsig_mem_entry e[4];
	struct vmsig_read_batch b;
	char x[2], y[3];

	(void)state;
	vmsig_read_batch_init(&b, e, 4);
	vmsig_read_batch_add_phys(&b, 0x10, x, sizeof(x));
	vmsig_read_batch_add_virt(&b, 0x20, y, sizeof(y));
	b.epoch = 4;
	kernel_status = 0;
	kernel_epoch = 4;
	expect_ioctl(5, VMSIG_IOC_MEM_READ, 0, NULL, fake_mem_read);
	assert_int_equal(vmsig_read_batch_submit(5, &b, VMSIG_READ_EPOCH), 0);
	assert_int_equal(ioctl_seen.mem_read.count, 2);
	assert_int_equal(ioctl_seen.mem_read.epoch, 4);
	assert_int_equal(ioctl_seen.mem_read.flags, VMSIG_READ_EPOCH);
	assert_int_equal(b.done, 2);
	assert_memory_equal(y, "BBB", 3);

	/* Per-entry failures are in the entries; the batch still ran. */
	kernel_status = -ENXIO;
	kernel_epoch = 5;
	expect_ioctl(5, VMSIG_IOC_MEM_READ, 0, NULL, fake_mem_read);
	assert_int_equal(vmsig_read_batch_submit(5, &b, 0), 0);
	assert_int_equal(b.done, 0);
	assert_int_equal(b.epoch, 5);
	assert_int_equal(e[1].status, -ENXIO);
}

static void one_shot_reads(void **state)
{
	char buf[5];

	(void)state;
	kernel_status = 0;
	expect_ioctl(5, VMSIG_IOC_MEM_READ, 0, NULL, fake_mem_read);
	assert_int_equal(vmsig_read_phys(5, 0xabc000, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, "AAAAA", 5);
	assert_int_equal(ioctl_seen.mem_read.count, 1);
	assert_int_equal(ioctl_seen.mem_read.flags, 0);

	/* The entry's status is the answer. */
	kernel_status = -EFAULT;
	expect_ioctl(5, VMSIG_IOC_MEM_READ, 0, NULL, fake_mem_read);
	assert_int_equal(vmsig_read_virt(5, 0x400000, buf, sizeof(buf)), -EFAULT);
	kernel_status = -ENODATA;
	expect_ioctl(5, VMSIG_IOC_MEM_READ, 0, NULL, fake_mem_read);
	assert_int_equal(vmsig_read_virt(5, 0x400000, buf, sizeof(buf)), -ENODATA);

	/* So is the ioctl's error. */
	expect_ioctl(5, VMSIG_IOC_MEM_READ, -EOPNOTSUPP, NULL, NULL);
	assert_int_equal(vmsig_read_phys(5, 0, buf, 1), -EOPNOTSUPP);

	/* Too long for one entry: refused before any ioctl. */
	assert_int_equal(vmsig_read_phys(5, 0, buf, (size_t)VMSIG_MEM_MAX_LEN + 1),
			 -E2BIG);
}

/* Checks the entry of a one-shot virtual read as the kernel gets it. */
static void check_virt_entry(void *arg)
{
	struct vmsig_mem_read *rd = arg;
	struct vmsig_mem_entry *e = (void *)(uintptr_t)rd->entries;

	assert_int_equal(rd->count, 1);
	assert_int_equal(e->addr, 0x400123);
	assert_int_equal(e->len, 3);
	assert_int_equal(e->flags, VMSIG_MEM_VIRT);
	e->status = 0;
}

static void one_shot_virt_entry(void **state)
{
	char buf[3];

	(void)state;
	expect_ioctl(5, VMSIG_IOC_MEM_READ, 0, NULL, check_virt_entry);
	assert_int_equal(vmsig_read_virt(5, 0x400123, buf, 3), 0);
}

static void memctx_set_get_invalidate(void **state)
{
	struct vmsig_memctx out = { .epoch = 12 };
	struct vmsig_memctx get_out = { .root = 0x1234000, .epoch = 12,
		.mode = VMSIG_PAGING_X86_64_5LEVEL };
	struct vmsig_memctx *in = &ioctl_seen.memctx;
	struct vmsig_memctx mc;
	uint64_t epoch = 0;

	(void)state;
	expect_ioctl(5, VMSIG_IOC_SET_MEMCTX, 0, &out, NULL);
	assert_int_equal(vmsig_set_memctx(5, 0x1234000, VMSIG_PAGING_X86_64_4LEVEL,
					  &epoch), 0);
	assert_int_equal(in->size, sizeof(*in));
	assert_int_equal(in->flags, 0);
	assert_int_equal(in->root, 0x1234000);
	assert_int_equal(in->mode, VMSIG_PAGING_X86_64_4LEVEL);
	assert_int_equal(in->reserved0, 0);
	assert_int_equal(in->epoch, 0);
	assert_zero(in, offsetof(struct vmsig_memctx, reserved), sizeof(*in));
	assert_int_equal(epoch, 12);
	expect_ioctl(5, VMSIG_IOC_SET_MEMCTX, 0, &out, NULL);
	assert_int_equal(vmsig_set_memctx(5, 1, 1, NULL), 0);
	expect_ioctl(5, VMSIG_IOC_SET_MEMCTX, -EINVAL, NULL, NULL);
	assert_int_equal(vmsig_set_memctx(5, 1, 7, &epoch), -EINVAL);
	assert_int_equal(epoch, 12);

	memset(&mc, 0xff, sizeof(mc));
	expect_ioctl(5, VMSIG_IOC_GET_MEMCTX, 0, &get_out, NULL);
	assert_int_equal(vmsig_get_memctx(5, &mc), 0);
	assert_int_equal(in->size, sizeof(*in));
	assert_zero(in, offsetof(struct vmsig_memctx, flags), sizeof(*in));
	assert_int_equal(mc.root, 0x1234000);
	assert_int_equal(mc.mode, VMSIG_PAGING_X86_64_5LEVEL);
	assert_int_equal(mc.epoch, 12);
	expect_ioctl(5, VMSIG_IOC_GET_MEMCTX, -EFAULT, NULL, NULL);
	assert_int_equal(vmsig_get_memctx(5, &mc), -EFAULT);

	out.epoch = 13;
	expect_ioctl(5, VMSIG_IOC_INVALIDATE_MEMCTX, 0, &out, NULL);
	assert_int_equal(vmsig_invalidate_memctx(5, &epoch), 0);
	assert_int_equal(in->size, sizeof(*in));
	assert_zero(in, offsetof(struct vmsig_memctx, flags), sizeof(*in));
	assert_int_equal(epoch, 13);
	expect_ioctl(5, VMSIG_IOC_INVALIDATE_MEMCTX, -EOPNOTSUPP, NULL, NULL);
	assert_int_equal(vmsig_invalidate_memctx(5, NULL), -EOPNOTSUPP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mem_read_struct_and_outputs),
		cmocka_unit_test(mem_read_errors),
		cmocka_unit_test(batch_builder_limits),
		cmocka_unit_test(batch_submit),
		cmocka_unit_test(one_shot_reads),
		cmocka_unit_test(one_shot_virt_entry),
		cmocka_unit_test(memctx_set_get_invalidate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
