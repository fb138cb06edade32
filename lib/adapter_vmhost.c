// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The vmhost adapter: QEMU's run state and lifecycle events up, power
 * decisions down, over one QMP connection (vmsig_adapters.h has the
 * contract).  FD shape: the loop watches the QMP socket itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <json-c/json.h>

#include "vmsig_qmp.h"
#include "adapter_priv.h"

struct vmsig_adapter {
	uint32_t endpoint;
	struct vmsig__qmp_dest dest;
	struct vmsig_qmp *qmp;
	const vmsig_emit *emit;
};

static vmsig_adapter *vmhost_open(const void *cfg, uint32_t endpoint)
{
	const struct vmsig_vmhost_cfg *c = cfg;
	vmsig_adapter *a = calloc(1, sizeof(*a));
	int r;

	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	r = vmsig__qmp_dest_init(&a->dest, c ? &c->qmp : NULL,
				 VMSIG_QMP_DEFAULT_TIMEOUT_MS);
	if (r) {
		vmsig__qmp_dest_fini(&a->dest);
		free(a);
		errno = -r;
		return NULL;
	}
	a->endpoint = endpoint;
	return a;
}

static int publish(vmsig_adapter *a, int32_t state, uint32_t flags,
		   const char *name)
{
	vmsig_event ev;

	vmsig_event_init(&ev, VMSIG_EV_VM_STATE, VMSIG_DIR_UP, VMSIG_SRC_VMHOST);
	ev.aux = state;
	/* A state is what a late subscriber needs first; a happening is not. */
	if (state == VMSIG_VM_RUNNING || state == VMSIG_VM_PAUSED ||
	    state == VMSIG_VM_SHUTDOWN)
		ev.flags = VMSIG_EVF_RETAIN;
	ev.payload.u32[0] = flags;
	strncpy((char *)&ev.payload.bytes[4], name, 11);
	return a->emit->emit(a->emit->token, &ev);
}

/* QMP event name -> VMSIG_VM_*, 0 for events this seam does not carry. */
static int32_t event_state(const char *name)
{
	static const struct { const char *name; int32_t state; } map[] = {
		{ "RESUME", VMSIG_VM_RUNNING },
		{ "STOP", VMSIG_VM_PAUSED },
		{ "SHUTDOWN", VMSIG_VM_SHUTDOWN },
		{ "RESET", VMSIG_VM_RESET },
		{ "POWERDOWN", VMSIG_VM_POWERDOWN },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(name, map[i].name))
			return map[i].state;
	return 0;
}

/* Publish every queued QMP event; they can queue during any command. */
static void drain_events(vmsig_adapter *a)
{
	struct vmsig_qmp_event ev;

	while (vmsig_qmp_next_event(a->qmp, &ev) > 0) {
		int32_t state = event_state(ev.name);
		json_object *g;
		uint32_t flags = 0;

		if (state) {
			if (ev.data && json_object_object_get_ex(ev.data, "guest", &g) &&
			    json_object_is_type(g, json_type_boolean) &&
			    json_object_get_boolean(g))
				flags |= VMSIG_VMHOST_F_GUEST;
			/* A full ring or a dead endpoint: nothing to retry. */
			publish(a, state, flags, ev.name);
		}
		vmsig_qmp_event_release(&ev);
	}
}

static int vmhost_attach(vmsig_adapter *a, const vmsig_emit *emit,
			 vmsig_fd_reg *reg, int cap)
{
	char status[VMSIG_QMP_STATUS_MAX];
	int running, r, state;

	if (cap < 1)
		return -1;
	a->emit = emit;
	r = vmsig__qmp_dest_connect(&a->dest, &a->qmp);
	if (!r)
		r = vmsig_qmp_status(a->qmp, &running, status, sizeof(status));
	if (r) {
		errno = -r;
		return -1;
	}
	if (running)
		state = VMSIG_VM_RUNNING;
	else if (!strcmp(status, "shutdown"))
		state = VMSIG_VM_SHUTDOWN;
	else
		state = VMSIG_VM_PAUSED;
	/* Events that came with the reply happened before the status. */
	drain_events(a);
	publish(a, state, VMSIG_VMHOST_F_STATUS, status);
	reg[0] = (vmsig_fd_reg){ .fd = vmsig_qmp_fd(a->qmp),
				 .epoll_events = EPOLLIN | EPOLLRDHUP,
				 .shape = VMSIG_RDY_FD, .cookie = 0 };
	return 1;
}

static int vmhost_on_readiness(vmsig_adapter *a, uint32_t cookie,
			       uint32_t events)
{
	int r;

	(void)cookie;
	(void)events;
	r = vmsig_qmp_read_events(a->qmp);
	/* What QEMU said before it left still counts (SHUTDOWN on quit). */
	drain_events(a);
	return vmsig__qmp_err_is_dead(r < 0 ? r : 0) ? -1 : 0;
}

static const char *power_command(int32_t action)
{
	switch (action) {
	case VMSIG_POWER_PAUSE:
		return "stop";
	case VMSIG_POWER_RESUME:
		return "cont";
	case VMSIG_POWER_RESET:
		return "system_reset";
	case VMSIG_POWER_POWERDOWN:
		return "system_powerdown";
	case VMSIG_POWER_QUIT:
		return "quit";
	}
	return NULL;
}

static int vmhost_submit(vmsig_adapter *a, const vmsig_event *ev)
{
	const char *cmd;
	int r;

	if (ev->type != VMSIG_EV_POWER)
		return 1;
	cmd = power_command(ev->aux);
	if (!cmd)
		return -EINVAL;		/* the bus answers with this status */
	r = vmsig_qmp_execute(a->qmp, cmd, NULL, NULL);
	/* The STOP/RESUME an action causes reaches controls before its ACK. */
	drain_events(a);
	vmsig__adapter_ack(a->emit, ev, r);
	return 0;
}

static void vmhost_close(vmsig_adapter *a)
{
	if (!a)
		return;
	vmsig_qmp_close(a->qmp);
	vmsig__qmp_dest_fini(&a->dest);
	free(a);
}

static const vmsig_adapter_ops vmhost_ops = {
	.name = "vmhost",
	.source = VMSIG_SRC_VMHOST,
	.codec = VMSIG_CODEC_NONE,
	.open = vmhost_open,
	.attach = vmhost_attach,
	.on_readiness = vmhost_on_readiness,
	.submit = vmhost_submit,
	.close = vmhost_close,
};

const vmsig_adapter_ops *vmsig_vmhost_ops(void)
{
	return &vmhost_ops;
}
