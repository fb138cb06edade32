// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the vmhost adapter, run on a real bus (fake_endpoint.h)
 * against a fake QEMU (fake_qmp.h) whose messages are the ones QEMU 7.2
 * sends (captured from qemu-system-x86_64 7.2, Debian 12).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_qmp.h"
#include "fake_endpoint.h"
#include "vmsig_adapters.h"

#define ST_RUNNING "{\"status\": \"running\", \"singlestep\": false, \"running\": true}"
#define ST_PRELAUNCH "{\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}"

static struct fake_qmp fq;

static int setup(void **state)
{
	(void)state;
	if (fq_start(&fq))
		return -1;
	return fe_setup();
}

static int teardown(void **state)
{
	(void)state;
	fe_teardown();
	assert_string_equal(fq_stop(&fq), "");
	return 0;
}

/* Put the adapter on the bus, talking to the fake; its status reply is @st. */
static void add_vmhost(const char *st)
{
	struct vmsig_vmhost_cfg cfg = { .qmp = { .qmp_fd = fq.client,
						 .timeout_ms = 2000 } };

	fq_set_rule(&fq, (struct fq_rule){ .cmd = "query-status", .ret = st });
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, vmsig_vmhost_ops(), &cfg), 0);
	/* The adapter has its own copy; ours would keep the socket open. */
	fq_drop_client(&fq);
}

static void expect_state(int32_t state, uint8_t flags, uint32_t pflags,
			 const char *name)
{
	struct vmsig_event ev;

	assert_true(fe_pump_for(VMSIG_EV_VM_STATE, &ev));
	assert_int_equal(ev.dir, VMSIG_DIR_UP);
	assert_int_equal(ev.source, VMSIG_SRC_VMHOST);
	assert_int_equal(ev.aux, state);
	assert_int_equal(ev.flags, flags);
	assert_int_equal(ev.payload.u32[0], pflags);
	assert_string_equal((const char *)&ev.payload.bytes[4], name);
}

static void power(int32_t action, uint64_t corr)
{
	struct vmsig_event ev;

	vmsig_event_init(&ev, VMSIG_EV_POWER, VMSIG_DIR_DOWN, VMSIG_SRC_VMHOST);
	ev.aux = action;
	ev.payload.u64[0] = 7;	/* the lease token; the kernel checked it */
	fe_send_down(&ev, corr);
}

static void expect_ack(uint64_t corr, int32_t status)
{
	struct vmsig_event ack;

	assert_true(fe_pump_for(VMSIG_EV_ACT_ACK, &ack));
	assert_int_equal(ack.corr, corr);
	assert_int_equal(ack.aux, status);
	assert_int_equal(ack.source, VMSIG_SRC_VMHOST);
	assert_int_equal(ack.dir, VMSIG_DIR_UP);
	assert_int_equal(ack.flags, 0);
}

/* ------------------------------------------------------------- tests */

static void status_at_attach_running(void **state)
{
	struct fe_rec r;

	(void)state;
	add_vmhost(ST_RUNNING);
	/* It serves the vmhost seam. */
	assert_true(fe_logged(VMSIG_IOC_BIND_SINK, 0, &r));
	assert_int_equal(r.arg.sink.source, VMSIG_SRC_VMHOST);
	expect_state(VMSIG_VM_RUNNING, VMSIG_EVF_RETAIN, VMSIG_VMHOST_F_STATUS,
		     "running");
	assert_string_equal(fq_cmd(&fq, 0), "qmp_capabilities");
	assert_string_equal(fq_cmd(&fq, 1), "query-status");
	assert_true(fq_args_are(&fq, 1, NULL));
}

static void status_at_attach_prelaunch(void **state)
{
	(void)state;
	/* qemu -S: not running yet, which controls see as paused. */
	add_vmhost(ST_PRELAUNCH);
	expect_state(VMSIG_VM_PAUSED, VMSIG_EVF_RETAIN, VMSIG_VMHOST_F_STATUS,
		     "prelaunch");
}

static void status_at_attach_shutdown(void **state)
{
	(void)state;
	/* qemu -no-shutdown after the guest powered off. */
	add_vmhost("{\"status\": \"shutdown\", \"singlestep\": false, \"running\": false}");
	expect_state(VMSIG_VM_SHUTDOWN, VMSIG_EVF_RETAIN, VMSIG_VMHOST_F_STATUS,
		     "shutdown");
}

static void async_events(void **state)
{
	(void)state;
	add_vmhost(ST_RUNNING);
	expect_state(VMSIG_VM_RUNNING, VMSIG_EVF_RETAIN, VMSIG_VMHOST_F_STATUS,
		     "running");
	fq_send(&fq,
		"{\"timestamp\": {\"seconds\": 1795568996, \"microseconds\": 532678}, \"event\": \"STOP\"}\r\n"
		"{\"timestamp\": {\"seconds\": 1795568996, \"microseconds\": 532847}, \"event\": \"RESUME\"}\r\n"
		/* Not a seam event: ignored. */
		"{\"timestamp\": {\"seconds\": 1795568996, \"microseconds\": 532900}, \"event\": \"NIC_RX_FILTER_CHANGED\", \"data\": {\"path\": \"/machine/peripheral-anon/device[0]/virtio-backend\"}}\r\n"
		"{\"timestamp\": {\"seconds\": 1795568996, \"microseconds\": 536148}, \"event\": \"RESET\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-system-reset\"}}\r\n"
		"{\"timestamp\": {\"seconds\": 1795568996, \"microseconds\": 560553}, \"event\": \"RESET\", \"data\": {\"guest\": true, \"reason\": \"guest-reset\"}}\r\n"
		"{\"timestamp\": {\"seconds\": 1795568996, \"microseconds\": 836934}, \"event\": \"POWERDOWN\"}\r\n"
		"{\"timestamp\": {\"seconds\": 1795568997, \"microseconds\": 177763}, \"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n");
	expect_state(VMSIG_VM_PAUSED, VMSIG_EVF_RETAIN, 0, "STOP");
	expect_state(VMSIG_VM_RUNNING, VMSIG_EVF_RETAIN, 0, "RESUME");
	/* Happenings are not retained: a late subscriber wants the state. */
	expect_state(VMSIG_VM_RESET, 0, 0, "RESET");
	expect_state(VMSIG_VM_RESET, 0, VMSIG_VMHOST_F_GUEST, "RESET");
	expect_state(VMSIG_VM_POWERDOWN, 0, 0, "POWERDOWN");
	expect_state(VMSIG_VM_SHUTDOWN, VMSIG_EVF_RETAIN, VMSIG_VMHOST_F_GUEST,
		     "SHUTDOWN");
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 1);
}

static void power_actions(void **state)
{
	static const struct {
		int32_t action;
		const char *cmd;
	} cases[] = {
		{ VMSIG_POWER_PAUSE, "stop" },
		{ VMSIG_POWER_RESUME, "cont" },
		{ VMSIG_POWER_RESET, "system_reset" },
		{ VMSIG_POWER_POWERDOWN, "system_powerdown" },
		{ VMSIG_POWER_QUIT, "quit" },
	};

	(void)state;
	add_vmhost(ST_RUNNING);
	for (unsigned int i = 0; i < 5; i++) {
		power(cases[i].action, 1000 + i);
		expect_ack(1000 + i, 0);
		/* capabilities, status, then one command per action */
		assert_string_equal(fq_cmd(&fq, 2 + (int)i), cases[i].cmd);
		assert_true(fq_args_are(&fq, 2 + (int)i, NULL));
	}
}

static void pause_publishes_stop_before_ack(void **state)
{
	struct vmsig_event ev;

	(void)state;
	add_vmhost(ST_RUNNING);
	assert_true(fe_pump_for(VMSIG_EV_VM_STATE, NULL));
	/* QEMU sends STOP before the reply to "stop". */
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "stop",
		.before = "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n" });
	power(VMSIG_POWER_PAUSE, 5);
	assert_true(fe_pump_for(VMSIG_EV_VM_STATE, &ev));
	assert_int_equal(ev.aux, VMSIG_VM_PAUSED);
	/* The ACK was written after it. */
	assert_true(fe_take(&ev));
	assert_int_equal(ev.type, VMSIG_EV_ACT_ACK);
	assert_int_equal(ev.corr, 5);
	assert_int_equal(ev.aux, 0);
}

static void power_qmp_error(void **state)
{
	(void)state;
	add_vmhost(ST_RUNNING);
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "system_powerdown",
					   .err = "no ACPI here" });
	power(VMSIG_POWER_POWERDOWN, 9);
	expect_ack(9, -EREMOTEIO);
	/* One refusal does not end the adapter. */
	power(VMSIG_POWER_RESET, 10);
	expect_ack(10, 0);
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 1);
}

static void power_unknown_or_not_power(void **state)
{
	struct vmsig_event ev;

	(void)state;
	add_vmhost(ST_RUNNING);
	power(99, 11);
	expect_ack(11, -EINVAL);
	vmsig_event_init(&ev, 0x9000, VMSIG_DIR_DOWN, VMSIG_SRC_VMHOST);
	fe_send_down(&ev, 12);
	expect_ack(12, -EOPNOTSUPP);
	/* Neither reached QEMU. */
	assert_int_equal(fq_ncmds(&fq), 2);
}

static void quit_ends_the_adapter(void **state)
{
	(void)state;
	add_vmhost(ST_RUNNING);
	/* What QEMU 7.2 does on quit: SHUTDOWN, the reply, then EOF. */
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "quit",
		.before = "{\"timestamp\": {\"seconds\": 1795568997, \"microseconds\": 177763}, \"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n"
			  "{\"return\": {}}\r\n",
		.hangup = true });
	expect_state(VMSIG_VM_RUNNING, VMSIG_EVF_RETAIN, VMSIG_VMHOST_F_STATUS,
		     "running");
	power(VMSIG_POWER_QUIT, 13);
	expect_state(VMSIG_VM_SHUTDOWN, VMSIG_EVF_RETAIN, 0, "SHUTDOWN");
	expect_ack(13, 0);
	for (int i = 0; i < 100 && vmsig_bus_adapter_count(fe_bus); i++)
		vmsig_bus_run_once(fe_bus, 10);
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 0);
}

static void attach_failures(void **state)
{
	struct vmsig_vmhost_cfg none = { .qmp = { .qmp_fd = -1 } };
	struct vmsig_vmhost_cfg cfg = { .qmp = { .qmp_fd = fq.client,
						 .timeout_ms = 2000 } };

	(void)state;
	/* Nowhere to connect to. */
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, vmsig_vmhost_ops(), &none),
			 -EINVAL);
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, vmsig_vmhost_ops(), NULL),
			 -EINVAL);
	/* A path where nobody listens: the bus passes the adapter's errno on. */
	none.qmp.qmp_path = "/nonexistent/vmsig-test-qmp.sock";
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, vmsig_vmhost_ops(), &none),
			 -ENOENT);
	/* QEMU answers query-status with an error. */
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "query-status", .err = "nope" });
	assert_int_equal(vmsig_bus_add_adapter(fe_bus, vmsig_vmhost_ops(), &cfg),
			 -EREMOTEIO);
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 0);
	assert_int_equal(fe_count(VMSIG_IOC_BIND_SINK), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(status_at_attach_running),
		T(status_at_attach_prelaunch),
		T(status_at_attach_shutdown),
		T(async_events),
		T(power_actions),
		T(pause_publishes_stop_before_ack),
		T(power_qmp_error),
		T(power_unknown_or_not_power),
		T(quit_ends_the_adapter),
		T(attach_failures),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
