// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unit tests of the handshake wrapper, with ioctl() and open() mocked. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <cmocka.h>

#include "vmsig.h"

int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_open(const char *path, int flags, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct vmsig_api *api;
	va_list ap;
	int ret;

	va_start(ap, req);
	api = va_arg(ap, struct vmsig_api *);
	va_end(ap);
	check_expected(fd);
	check_expected(req);
	/* The wrapper must announce its struct size and no flags. */
	assert_int_equal(api->size, sizeof(*api));
	assert_int_equal(api->flags, 0);
	ret = mock_type(int);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	api->abi_version = mock_type(uint32_t);
	api->features = mock_type(uint64_t);
	api->ioctls = mock_type(uint64_t);
	return 0;
}

int __wrap_open(const char *path, int flags, ...)
{
	int ret;

	check_expected(path);
	assert_true(flags & O_CLOEXEC);
	ret = mock_type(int);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

static void expect_handshake(int ret, uint32_t abi, uint64_t feat, uint64_t ioctls)
{
	expect_value(__wrap_ioctl, fd, 7);
	expect_value(__wrap_ioctl, req, VMSIG_IOC_GET_API);
	will_return(__wrap_ioctl, ret);
	if (ret < 0)
		return;
	will_return(__wrap_ioctl, abi);
	will_return(__wrap_ioctl, feat);
	will_return(__wrap_ioctl, ioctls);
}

static void handshake_ok(void **state)
{
	struct vmsig_api api;

	(void)state;
	expect_handshake(0, VMSIG_ABI_VERSION, VMSIG_FEAT_HANDSHAKE, 1);
	assert_int_equal(vmsig_get_api(7, &api), 0);
	assert_int_equal(api.abi_version, VMSIG_ABI_VERSION);
	assert_true(vmsig_has_feature(&api, VMSIG_FEAT_HANDSHAKE));
	assert_false(vmsig_has_feature(&api, VMSIG_FEAT_HANDSHAKE | (1ULL << 63)));
	assert_int_equal(api.ioctls, 1);
}

static void handshake_errno_is_returned(void **state)
{
	struct vmsig_api api;

	(void)state;
	expect_handshake(-ENOTTY, 0, 0, 0);
	assert_int_equal(vmsig_get_api(7, &api), -ENOTTY);
	expect_handshake(-EFAULT, 0, 0, 0);
	assert_int_equal(vmsig_get_api(7, &api), -EFAULT);
}

static void handshake_rejects_other_abi(void **state)
{
	struct vmsig_api api;

	(void)state;
	expect_handshake(0, VMSIG_ABI_VERSION + 1, 0, 0);
	assert_int_equal(vmsig_get_api(7, &api), -EPROTO);
}

static void open_reports_missing_module(void **state)
{
	(void)state;
	expect_string(__wrap_open, path, VMSIG_DEV_PATH);
	will_return(__wrap_open, -ENOENT);
	assert_int_equal(vmsig_open(0), -ENOENT);
	expect_string(__wrap_open, path, VMSIG_DEV_PATH);
	will_return(__wrap_open, 5);
	assert_int_equal(vmsig_open(0), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handshake_ok),
		cmocka_unit_test(handshake_errno_is_returned),
		cmocka_unit_test(handshake_rejects_other_abi),
		cmocka_unit_test(open_reports_missing_module),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
