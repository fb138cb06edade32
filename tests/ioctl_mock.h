/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A cmocka mock of ioctl(2) for the uapi wrapper tests (link with
 * --wrap=ioctl).  Each expected call names the fd and request, a return
 * value (negative: fail with that errno), optionally bytes the "kernel"
 * writes back over the whole argument, and optionally a hook that plays
 * the kernel on the argument.  What the wrapper passed in is kept in
 * ioctl_seen for the test to check field by field.
 */
#ifndef VMSIG_TESTS_IOCTL_MOCK_H
#define VMSIG_TESTS_IOCTL_MOCK_H

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

typedef void (*ioctl_hook_fn)(void *arg);

static union {
	unsigned char bytes[256];
	struct vmsig_attach attach;
	struct vmsig_ep_info ep_info;
	struct vmsig_derive derive;
	struct vmsig_mem_read mem_read;
	struct vmsig_memctx memctx;
	struct vmsig_sub sub;
	struct vmsig_counters counters;
	struct vmsig_sink sink;
} ioctl_seen;

int __wrap_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	const void *out;
	ioctl_hook_fn hook;
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	check_expected(fd);
	check_expected(req);
	memset(&ioctl_seen, 0, sizeof(ioctl_seen));
	memcpy(&ioctl_seen, arg, _IOC_SIZE(req));
	ret = mock_type(int);
	out = mock_ptr_type(const void *);
	hook = mock_ptr_type(ioctl_hook_fn);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	if (out)
		memcpy(arg, out, _IOC_SIZE(req));
	if (hook)
		hook(arg);
	return ret;
}

static inline void expect_ioctl(int fd, unsigned long req, int ret,
				const void *out, ioctl_hook_fn hook)
{
	expect_value(__wrap_ioctl, fd, fd);
	expect_value(__wrap_ioctl, req, req);
	will_return(__wrap_ioctl, ret);
	will_return(__wrap_ioctl, out);
	will_return(__wrap_ioctl, hook);
}

/* Every reserved byte of @p[@off, @end) must be zero. */
static inline void assert_zero(const void *p, size_t off, size_t end)
{
	for (size_t i = off; i < end; i++)
		assert_int_equal(((const unsigned char *)p)[i], 0);
}

#endif /* VMSIG_TESTS_IOCTL_MOCK_H */
