// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The memctx adapter: keeps the endpoint's memctx (the guest's page-table
 * root and paging mode) in step with vCPU 0 (vmsig_adapters.h has the
 * contract).
 *
 * TIMERFD shape.  QEMU announces no address-space switch, so the adapter
 * samples: on every tick it asks for "info registers" over its own QMP
 * connection and registers a memctx when what it reads differs from what
 * it registered last.  The command runs on the loop thread; its timeout is
 * kept short for that reason (HMP answers at once when QEMU is healthy).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vmsig_qmp.h"
#include "adapter_priv.h"

/* CR3 bits 51:12: where the top-level table is; the rest is PCID/flags. */
#define CR3_ROOT_MASK 0x000ffffffffff000ULL

enum ctx_state { CTX_UNKNOWN, CTX_NONE, CTX_SET };

struct vmsig_adapter {
	uint32_t endpoint;
	unsigned int period_ms;
	struct vmsig__qmp_dest dest;
	struct vmsig_qmp *qmp;
	const vmsig_emit *emit;
	int tfd;
	enum ctx_state state;
	uint64_t root;		/* CTX_SET: the CR3 registered */
	uint32_t mode;		/* CTX_SET: its paging mode */
};

static vmsig_adapter *memctx_open(const void *cfg, uint32_t endpoint)
{
	const struct vmsig_memctx_cfg *c = cfg;
	vmsig_adapter *a = calloc(1, sizeof(*a));
	int r = -ENOMEM;

	if (!a)
		goto fail;
	a->tfd = -1;
	r = -EINVAL;
	if (!c)
		goto fail;
	r = vmsig__qmp_dest_init(&a->dest, &c->qmp,
				 VMSIG_MEMCTX_TIMEOUT_DEFAULT_MS);
	if (r)
		goto fail;
	a->period_ms = c->period_ms ? c->period_ms : VMSIG_MEMCTX_PERIOD_DEFAULT_MS;
	a->endpoint = endpoint;
	return a;
fail:
	if (a)
		vmsig__qmp_dest_fini(&a->dest);
	free(a);
	errno = -r;
	return NULL;
}

static int memctx_attach(vmsig_adapter *a, const vmsig_emit *emit,
			 vmsig_fd_reg *reg, int cap)
{
	struct itimerspec its = { 0 };
	int r;

	if (cap < 1)
		return -1;
	a->emit = emit;
	r = vmsig__qmp_dest_connect(&a->dest, &a->qmp);
	if (r) {
		errno = -r;
		return -1;
	}
	a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->tfd < 0)
		return -1;
	its.it_interval.tv_sec = a->period_ms / 1000;
	its.it_interval.tv_nsec = (long)(a->period_ms % 1000) * 1000000;
	/* The first sample comes at once, not one period late. */
	its.it_value.tv_nsec = 1;
	if (timerfd_settime(a->tfd, 0, &its, NULL) < 0)
		return -1;
	reg[0] = (vmsig_fd_reg){ .fd = a->tfd, .epoll_events = EPOLLIN,
				 .shape = VMSIG_RDY_TIMERFD, .cookie = 0 };
	return 1;
}

/* Bring the endpoint's memctx in line with what vCPU 0 runs on. */
static void apply(vmsig_adapter *a, const struct vmsig__x86_regs *regs)
{
	vmsig_memctx_reg reg = { .endpoint = a->endpoint, .ram_fd = -1 };

	if (!(regs->efer & VMSIG__EFER_LMA)) {
		/* No 64-bit address space (firmware, boot, real mode). */
		if (a->state != CTX_NONE && a->emit->unregister_memctx)
			a->emit->unregister_memctx(a->emit->token, a->endpoint);
		a->state = CTX_NONE;
		return;
	}
	reg.root = regs->cr3;
	reg.mode = regs->cr4 & VMSIG__CR4_LA57 ? VMSIG_PAGING_X86_64_5LEVEL :
						 VMSIG_PAGING_X86_64_4LEVEL;
	if (a->state == CTX_SET && a->mode == reg.mode &&
	    (a->root & CR3_ROOT_MASK) == (reg.root & CR3_ROOT_MASK))
		return;
	if (!a->emit->register_memctx)
		return;
	/* On failure the state stays, so the next tick tries again. */
	if (a->emit->register_memctx(a->emit->token, &reg) == 0) {
		a->state = CTX_SET;
		a->root = reg.root;
		a->mode = reg.mode;
	}
}

static int memctx_on_readiness(vmsig_adapter *a, uint32_t cookie,
			       uint32_t events)
{
	struct vmsig__x86_regs regs;
	uint64_t ticks;
	char *text = NULL;
	int r;

	(void)cookie;
	(void)events;
	/* Ticks missed while the loop was busy collapse into this sample. */
	if (read(a->tfd, &ticks, sizeof(ticks)) < 0)
		return errno == EAGAIN ? 0 : -1;
	r = vmsig_qmp_hmp(a->qmp, "info registers", &text);
	vmsig__qmp_discard_events(a->qmp);
	if (r)
		/* One failed sample changes nothing; a dead QEMU ends us. */
		return vmsig__qmp_err_is_dead(r) ? -1 : 0;
	if (!vmsig__hmp_parse_x86_regs(text, 0, &regs))
		apply(a, &regs);
	free(text);
	return 0;
}

static void memctx_close(vmsig_adapter *a)
{
	if (!a)
		return;
	vmsig_qmp_close(a->qmp);
	vmsig__qmp_dest_fini(&a->dest);
	if (a->tfd >= 0)
		close(a->tfd);
	free(a);
}

static const vmsig_adapter_ops memctx_ops = {
	.name = "memctx",
	.source = VMSIG_SRC_MEMCTX,
	.codec = VMSIG_CODEC_NONE,
	.open = memctx_open,
	.attach = memctx_attach,
	.on_readiness = memctx_on_readiness,
	/* Publish only: the memctx events come from the kernel itself. */
	.submit = NULL,
	.close = memctx_close,
};

const vmsig_adapter_ops *vmsig_memctx_ops(void)
{
	return &memctx_ops;
}
