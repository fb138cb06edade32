/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The endpoint side of the adapter tests, the way tests/test_bus.c plays
 * it: a real bus on one end of a SOCK_SEQPACKET socketpair (the endpoint
 * file), the test as the kernel on the other end, and ioctl() faked (link
 * with --wrap=ioctl): every vmsig command is logged; EP_INFO answers id
 * FE_EP_ID; one request can be made to fail.
 */
#ifndef VMSIG_TESTS_FAKE_ENDPOINT_H
#define VMSIG_TESTS_FAKE_ENDPOINT_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmsig_bus.h"

#define FE_EP_ID 42

struct fe_rec {
	unsigned long req;
	union {
		unsigned char bytes[128];
		struct vmsig_sink sink;
		struct vmsig_memctx memctx;
	} arg;
};

static pthread_mutex_t fe_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fe_rec fe_log[256];
static int fe_n;
static unsigned long fe_fail_req;
static int fe_fail_errno;
static int fe_sv[2] = { -1, -1 };
static struct vmsig_bus *fe_bus;

int __wrap_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ret = 0;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&fe_lock);
	if (fd != fe_sv[0]) {
		ret = -EBADF;
	} else {
		if (fe_n < 256) {
			fe_log[fe_n].req = req;
			memcpy(fe_log[fe_n].arg.bytes, arg, _IOC_SIZE(req));
			fe_n++;
		}
		if (req == fe_fail_req)
			ret = -fe_fail_errno;
		else if (req == VMSIG_IOC_EP_INFO)
			((struct vmsig_ep_info *)arg)->ep_id = FE_EP_ID;
	}
	pthread_mutex_unlock(&fe_lock);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/* The @nth (0-based) logged call of @req, copied to @out; false if none. */
static inline bool fe_logged(unsigned long req, int nth, struct fe_rec *out)
{
	bool found = false;

	pthread_mutex_lock(&fe_lock);
	for (int i = 0; i < fe_n && !found; i++) {
		if (fe_log[i].req == req && nth-- == 0) {
			if (out)
				*out = fe_log[i];
			found = true;
		}
	}
	pthread_mutex_unlock(&fe_lock);
	return found;
}

static inline int fe_count(unsigned long req)
{
	int n = 0;

	while (fe_logged(req, n, NULL))
		n++;
	return n;
}

static inline int fe_setup(void)
{
	fe_n = 0;
	fe_fail_req = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fe_sv) < 0)
		return -1;
	return vmsig_bus_new(fe_sv[0], &fe_bus);
}

static inline void fe_teardown(void)
{
	vmsig_bus_free(fe_bus);
	fe_bus = NULL;
	close(fe_sv[0]);
	close(fe_sv[1]);
	fe_sv[0] = fe_sv[1] = -1;
}

/* A record the bus wrote, without waiting; false when none is queued. */
static inline bool fe_take(struct vmsig_event *ev)
{
	return recv(fe_sv[1], ev, sizeof(*ev), MSG_DONTWAIT) == sizeof(*ev);
}

/*
 * Run the bus until a record of @type reaches the "kernel" (about 3 s at
 * most); records of other types are skipped.
 */
static inline bool fe_pump_for(uint16_t type, struct vmsig_event *out)
{
	struct vmsig_event ev;

	for (int i = 0; i < 300; i++) {
		while (fe_take(&ev)) {
			if (ev.type == type) {
				if (out)
					*out = ev;
				return true;
			}
		}
		if (vmsig_bus_run_once(fe_bus, 10) < 0)
			return false;
	}
	return false;
}

/* Run the bus for about @ms milliseconds. */
static inline void fe_run_for(int ms)
{
	for (int i = 0; i < ms / 10 + 1; i++)
		vmsig_bus_run_once(fe_bus, 10);
}

/* The kernel routes DOWN record @ev (source, type, aux, payload set). */
static inline void fe_send_down(struct vmsig_event *ev, uint64_t corr)
{
	ev->dir = VMSIG_DIR_DOWN;
	ev->version = VMSIG_EVENT_VERSION;
	ev->corr = corr;
	ev->ep_id = FE_EP_ID;
	if (send(fe_sv[1], ev, sizeof(*ev), 0) != sizeof(*ev))
		abort();
}

#endif /* VMSIG_TESTS_FAKE_ENDPOINT_H */
