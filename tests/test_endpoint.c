// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unit tests of the endpoint wrappers (attach, ep_info, derive, open_ep), ioctl mocked. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmsig.h"
#include "ioctl_mock.h"

static void attach_passes_every_field(void **state)
{
	struct vmsig_attach out = { .ep_id = 5, .ep_fd = 9 };
	struct vmsig_attach *in = &ioctl_seen.attach;
	uint32_t ep_id = 0;

	(void)state;
	expect_ioctl(3, VMSIG_IOC_ATTACH, 9, &out, NULL);
	assert_int_equal(vmsig_attach(3, VMSIG_BACKEND_RAMFD, 11, 0x100000,
				      0x2000, VMSIG_ATTACH_NONBLOCK, &ep_id), 9);
	assert_int_equal(ep_id, 5);
	assert_int_equal(in->size, sizeof(*in));
	assert_int_equal(in->flags, VMSIG_ATTACH_NONBLOCK);
	assert_int_equal(in->backend, VMSIG_BACKEND_RAMFD);
	assert_int_equal(in->fd, 11);
	assert_int_equal(in->ram_base, 0x100000);
	assert_int_equal(in->ram_size, 0x2000);
	assert_int_equal(in->ep_id, 0);
	assert_int_equal(in->ep_fd, 0);
	assert_zero(in, offsetof(struct vmsig_attach, reserved), sizeof(*in));
}

static void attach_returns_errno(void **state)
{
	uint32_t ep_id = 77;

	(void)state;
	expect_ioctl(3, VMSIG_IOC_ATTACH, -EOPNOTSUPP, NULL, NULL);
	assert_int_equal(vmsig_attach(3, VMSIG_BACKEND_KVM, 4, 0, 0, 0, &ep_id),
			 -EOPNOTSUPP);
	assert_int_equal(ep_id, 77);	/* untouched on failure */
	expect_ioctl(3, VMSIG_IOC_ATTACH, -EBADF, NULL, NULL);
	assert_int_equal(vmsig_attach(3, VMSIG_BACKEND_KVM, 4, 0, 0, 0, NULL),
			 -EBADF);
}

static void attach_conveniences(void **state)
{
	struct vmsig_attach *in = &ioctl_seen.attach;

	(void)state;
	expect_ioctl(3, VMSIG_IOC_ATTACH, 10, NULL, NULL);
	assert_int_equal(vmsig_attach_kvm(3, 6), 10);
	assert_int_equal(in->backend, VMSIG_BACKEND_KVM);
	assert_int_equal(in->fd, 6);
	assert_int_equal(in->flags, 0);
	assert_int_equal(in->ram_base, 0);
	assert_int_equal(in->ram_size, 0);

	expect_ioctl(3, VMSIG_IOC_ATTACH, 11, NULL, NULL);
	assert_int_equal(vmsig_attach_ramfd(3, 7, 0x1000, 0x4000), 11);
	assert_int_equal(in->backend, VMSIG_BACKEND_RAMFD);
	assert_int_equal(in->fd, 7);
	assert_int_equal(in->ram_base, 0x1000);
	assert_int_equal(in->ram_size, 0x4000);

	expect_ioctl(3, VMSIG_IOC_ATTACH, 12, NULL, NULL);
	assert_int_equal(vmsig_attach_none(3), 12);
	assert_int_equal(in->backend, VMSIG_BACKEND_NONE);
	assert_int_equal(in->fd, -1);

	expect_ioctl(3, VMSIG_IOC_ATTACH, -ENOSPC, NULL, NULL);
	assert_int_equal(vmsig_attach_none(3), -ENOSPC);
}

static void ep_info_fills_struct(void **state)
{
	struct vmsig_ep_info out = { .size = sizeof(out), .ep_id = 8,
		.backend = VMSIG_BACKEND_KVM, .vmm_pid = 1234, .epoch = 3 };
	struct vmsig_ep_info info;

	(void)state;
	memset(&info, 0xff, sizeof(info));	/* the wrapper must clear it */
	expect_ioctl(4, VMSIG_IOC_EP_INFO, 0, &out, NULL);
	assert_int_equal(vmsig_ep_info(4, &info), 0);
	assert_int_equal(ioctl_seen.ep_info.size, sizeof(info));
	assert_zero(&ioctl_seen.ep_info, offsetof(struct vmsig_ep_info, flags),
		    sizeof(info));
	assert_int_equal(info.ep_id, 8);
	assert_int_equal(info.backend, VMSIG_BACKEND_KVM);
	assert_int_equal(info.vmm_pid, 1234);
	assert_int_equal(info.epoch, 3);

	expect_ioctl(4, VMSIG_IOC_EP_INFO, -EFAULT, NULL, NULL);
	assert_int_equal(vmsig_ep_info(4, &info), -EFAULT);
}

static void derive_passes_rights_and_flags(void **state)
{
	struct vmsig_derive *in = &ioctl_seen.derive;

	(void)state;
	expect_ioctl(4, VMSIG_IOC_DERIVE, 13, NULL, NULL);
	assert_int_equal(vmsig_derive(4, 0, VMSIG_ATTACH_NONBLOCK), 13);
	assert_int_equal(in->size, sizeof(*in));
	assert_int_equal(in->flags, VMSIG_ATTACH_NONBLOCK);
	assert_int_equal(in->rights, 0);
	assert_int_equal(in->ep_fd, 0);
	assert_int_equal(in->reserved0, 0);
	assert_zero(in, offsetof(struct vmsig_derive, reserved), sizeof(*in));

	expect_ioctl(4, VMSIG_IOC_DERIVE, -EINVAL, NULL, NULL);
	assert_int_equal(vmsig_derive(4, 1, 0), -EINVAL);
	assert_int_equal(in->rights, 1);
	expect_ioctl(4, VMSIG_IOC_DERIVE, -EMFILE, NULL, NULL);
	assert_int_equal(vmsig_derive(4, 0, 0), -EMFILE);
}

static void get_rights_returns_the_mask(void **state)
{
	struct vmsig_rights out = { .size = sizeof(out),
		.rights = VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_EMIT };
	const struct vmsig_rights *in = (const void *)ioctl_seen.bytes;
	uint64_t rights = ~0ULL;

	(void)state;
	expect_ioctl(5, VMSIG_IOC_GET_RIGHTS, 0, &out, NULL);
	assert_int_equal(vmsig_get_rights(5, &rights), 0);
	assert_int_equal(in->size, sizeof(*in));
	assert_int_equal(in->flags, 0);
	assert_int_equal(rights, VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_EMIT);

	expect_ioctl(5, VMSIG_IOC_GET_RIGHTS, -ENOTTY, NULL, NULL);
	assert_int_equal(vmsig_get_rights(5, &rights), -ENOTTY);
}

static void open_ep_passes_id_and_flags(void **state)
{
	const struct vmsig_open_ep *in = (const void *)ioctl_seen.bytes;

	(void)state;
	expect_ioctl(3, VMSIG_IOC_OPEN_EP, 14, NULL, NULL);
	assert_int_equal(vmsig_open_ep(3, 9, VMSIG_ATTACH_NONBLOCK), 14);
	assert_int_equal(in->size, sizeof(*in));
	assert_int_equal(in->flags, VMSIG_ATTACH_NONBLOCK);
	assert_int_equal(in->ep_id, 9);
	assert_int_equal(in->ep_fd, 0);
	assert_zero(in, offsetof(struct vmsig_open_ep, reserved), sizeof(*in));

	expect_ioctl(3, VMSIG_IOC_OPEN_EP, -EPERM, NULL, NULL);
	assert_int_equal(vmsig_open_ep(3, 9, 0), -EPERM);
	expect_ioctl(3, VMSIG_IOC_OPEN_EP, -ENOENT, NULL, NULL);
	assert_int_equal(vmsig_open_ep(3, 1000, 0), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attach_passes_every_field),
		cmocka_unit_test(attach_returns_errno),
		cmocka_unit_test(attach_conveniences),
		cmocka_unit_test(ep_info_fills_struct),
		cmocka_unit_test(derive_passes_rights_and_flags),
		cmocka_unit_test(open_ep_passes_id_and_flags),
		cmocka_unit_test(get_rights_returns_the_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
