// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Source compatibility with the original adapter contract: "dummy" below
 * is written the way adapters for the original userspace bus were (only
 * "vmsig_adapter.h", the seed's type names, a vtable with designated
 * initializers, struct vmsig_adapter defined by the adapter, emit through a
 * vmsig_event pointer, -1 for failure).  If this file stops compiling, the
 * contract broke.  It is then run on a bus to show it works, with the
 * endpoint played by a SOCK_SEQPACKET socketpair and ioctl() faked.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmsig_adapter.h"
#include "vmsig_bus.h"

/* The factories keep their exact original signatures. */
const vmsig_adapter_ops* vmsig_memctx_ops(void);
const vmsig_adapter_ops* vmsig_input_ops(void);
const vmsig_adapter_ops* vmsig_vmhost_ops(void);

/* ============================ the adapter, in the seed's style ====== */

#define DUMMY_EV_HELLO 0x0123

struct vmsig_adapter {
	uint32_t endpoint;
	const vmsig_emit* emit;
	int efd;
	int memctx_rc;
};

static vmsig_adapter* dummy_open(const void* cfg, uint32_t endpoint)
{
	vmsig_adapter* a = calloc(1, sizeof(*a));
	(void)cfg;
	if (!a) return NULL;
	a->endpoint = endpoint;
	a->efd = -1;
	return a;
}

static int dummy_attach(vmsig_adapter* a, const vmsig_emit* emit,
			vmsig_fd_reg* reg, int cap)
{
	if (cap < 1) return -1;
	a->efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);	/* ready at once */
	if (a->efd < 0) return -1;
	a->emit = emit;
	reg[0].fd = a->efd;
	reg[0].epoll_events = EPOLLIN;
	reg[0].shape = VMSIG_RDY_EVENTFD;
	reg[0].cookie = 1;
	return 1;
}

static int dummy_on_readiness(vmsig_adapter* a, uint32_t cookie, uint32_t events)
{
	uint64_t n;
	vmsig_event ev;
	vmsig_memctx_reg reg;

	if (cookie != 1 || !(events & EPOLLIN)) return -1;
	if (read(a->efd, &n, sizeof(n)) != sizeof(n)) return 0;
	memset(&reg, 0, sizeof(reg));
	reg.endpoint = a->endpoint;
	reg.root = 0x2000;
	reg.mode = VMSIG_PAGING_X86_64_4LEVEL;
	reg.ram_fd = -1;
	if (a->emit->register_memctx)
		a->memctx_rc = a->emit->register_memctx(a->emit->token, &reg);
	memset(&ev, 0, sizeof(ev));
	ev.type = DUMMY_EV_HELLO;
	ev.source = VMSIG_SRC_SENSOR;
	ev.aux = (int32_t)n;
	return a->emit->emit(a->emit->token, &ev) < 0 ? -1 : 0;
}

static int dummy_submit(vmsig_adapter* a, const vmsig_event* ev)
{
	vmsig_event ack;

	if (ev->type != VMSIG_EV_POWER) return 1;	/* not for this seam */
	memset(&ack, 0, sizeof(ack));
	ack.type = VMSIG_EV_ACT_ACK;
	ack.corr = ev->corr;
	return a->emit->emit(a->emit->token, &ack) < 0 ? -1 : 0;
}

static void dummy_close(vmsig_adapter* a)
{
	if (a->efd >= 0) close(a->efd);
	free(a);
}

static const vmsig_adapter_ops dummy_ops = {
	.name = "dummy",
	.source = VMSIG_SRC_VMHOST,
	.codec = 0,
	.open = dummy_open,
	.attach = dummy_attach,
	.on_readiness = dummy_on_readiness,
	.submit = dummy_submit,
	.close = dummy_close,
};

/* ===================================================== the harness == */

static int memctx_sets;

int __wrap_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	(void)fd;
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == VMSIG_IOC_EP_INFO)
		((struct vmsig_ep_info *)arg)->ep_id = 9;
	if (req == VMSIG_IOC_SET_MEMCTX &&
	    ((struct vmsig_memctx *)arg)->root == 0x2000)
		memctx_sets++;
	return 0;
}

static int next_record(int fd, struct vmsig_event *ev, struct vmsig_bus *bus)
{
	for (int i = 0; i < 100; i++) {
		if (recv(fd, ev, sizeof(*ev), MSG_DONTWAIT) == sizeof(*ev))
			return 0;
		vmsig_bus_run_once(bus, 10);
	}
	return -1;
}

static void seed_adapter_runs_on_the_bus(void **state)
{
	struct vmsig_bus *bus;
	struct vmsig_event ev;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(vmsig_bus_new(sv[0], &bus), 0);
	assert_int_equal(vmsig_bus_add_adapter(bus, &dummy_ops, NULL), 0);

	assert_int_equal(next_record(sv[1], &ev, bus), 0);
	assert_int_equal(ev.type, DUMMY_EV_HELLO);
	assert_int_equal(ev.source, VMSIG_SRC_SENSOR);
	assert_int_equal(ev.aux, 1);
	assert_int_equal(memctx_sets, 1);

	vmsig_event_init(&ev, VMSIG_EV_POWER, VMSIG_DIR_DOWN, VMSIG_SRC_VMHOST);
	ev.corr = 77;
	assert_int_equal(send(sv[1], &ev, sizeof(ev), 0), sizeof(ev));
	assert_int_equal(next_record(sv[1], &ev, bus), 0);
	assert_int_equal(ev.type, VMSIG_EV_ACT_ACK);
	assert_int_equal(ev.corr, 77);
	assert_int_equal(ev.aux, 0);
	assert_int_equal(ev.source, VMSIG_SRC_VMHOST);

	/* Refused (1): the bus answers for it. */
	vmsig_event_init(&ev, VMSIG_EV_INPUT, VMSIG_DIR_DOWN, VMSIG_SRC_VMHOST);
	ev.corr = 78;
	assert_int_equal(send(sv[1], &ev, sizeof(ev), 0), sizeof(ev));
	assert_int_equal(next_record(sv[1], &ev, bus), 0);
	assert_int_equal(ev.corr, 78);
	assert_int_equal(ev.aux, -EOPNOTSUPP);

	vmsig_bus_free(bus);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seed_adapter_runs_on_the_bus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
