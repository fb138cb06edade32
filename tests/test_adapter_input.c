// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the input adapter, on a real bus (fake_endpoint.h) against
 * a fake QEMU (fake_qmp.h): the exact input-send-event each record becomes,
 * one ACK per record, the worker thread and its eventfd, QMP failures, and
 * the key tables (checked against names QEMU 7.2 reports in
 * query-qmp-schema).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <linux/input-event-codes.h>
#include <cmocka.h>

#include "fake_qmp.h"
#include "fake_endpoint.h"
#include "vmsig_adapters.h"

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

static void add_input(unsigned int queue_len)
{
	struct vmsig_input_cfg cfg = { .qmp = { .qmp_fd = fq.client,
						.timeout_ms = 2000 },
				       .queue_len = queue_len };
	struct fe_rec r;

	assert_int_equal(vmsig_bus_add_adapter(fe_bus, vmsig_input_ops(), &cfg), 0);
	fq_drop_client(&fq);
	assert_true(fe_logged(VMSIG_IOC_BIND_SINK, 0, &r));
	assert_int_equal(r.arg.sink.source, VMSIG_SRC_INPUT);
}

static void input(uint16_t kind, uint16_t code, int32_t value, uint64_t corr)
{
	struct vmsig_event ev;

	vmsig_event_init(&ev, VMSIG_EV_INPUT, VMSIG_DIR_DOWN, VMSIG_SRC_INPUT);
	ev.payload.u64[0] = 3;	/* the input lease token */
	ev.payload.u16[4] = kind;
	ev.payload.u16[5] = code;
	ev.payload.u32[3] = (uint32_t)value;
	fe_send_down(&ev, corr);
}

static void expect_ack(uint64_t corr, int32_t status)
{
	struct vmsig_event ack;

	assert_true(fe_pump_for(VMSIG_EV_ACT_ACK, &ack));
	assert_int_equal(ack.corr, corr);
	assert_int_equal(ack.aux, status);
	assert_int_equal(ack.source, VMSIG_SRC_INPUT);
	assert_int_equal(ack.dir, VMSIG_DIR_UP);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define KEY(down, name) \
	"{\"type\": \"key\", \"data\": {\"down\": " #down ", " \
	"\"key\": {\"type\": \"qcode\", \"data\": \"" name "\"}}}"
#define BTN(down, name) \
	"{\"type\": \"btn\", \"data\": {\"down\": " #down ", \"button\": \"" name "\"}}"
#define AXIS(type, axis, v) \
	"{\"type\": \"" type "\", \"data\": {\"axis\": \"" axis "\", \"value\": " #v "}}"
#define EVENTS(...) "{\"events\": [" __VA_ARGS__ "]}"

/* ------------------------------------------------------------- tests */

static void records_become_input_send_event(void **state)
{
	static const struct {
		uint16_t kind, code;
		int32_t value;
		const char *args;
	} cases[] = {
		{ VMSIG_INPUT_KEY, KEY_A, 1, EVENTS(KEY(true, "a")) },
		{ VMSIG_INPUT_KEY, KEY_A, 0, EVENTS(KEY(false, "a")) },
		{ VMSIG_INPUT_KEY, KEY_ENTER, 1, EVENTS(KEY(true, "ret")) },
		{ VMSIG_INPUT_KEY, KEY_LEFTSHIFT, 1, EVENTS(KEY(true, "shift")) },
		{ VMSIG_INPUT_KEY, KEY_F12, 0, EVENTS(KEY(false, "f12")) },
		/* Linux autorepeat (2) is a press for QEMU. */
		{ VMSIG_INPUT_KEY, KEY_SPACE, 2, EVENTS(KEY(true, "spc")) },
		{ VMSIG_INPUT_QCODE, 36, 1, EVENTS(KEY(true, "a")) },
		{ VMSIG_INPUT_QCODE, 149, 0, EVENTS(KEY(false, "lang2")) },
		{ VMSIG_INPUT_REL, 0, 5, EVENTS(AXIS("rel", "x", 5)) },
		{ VMSIG_INPUT_REL, 1, -3, EVENTS(AXIS("rel", "y", -3)) },
		{ VMSIG_INPUT_REL, 2, 2, EVENTS(BTN(true, "wheel-up") ", "
						BTN(false, "wheel-up") ", "
						BTN(true, "wheel-up") ", "
						BTN(false, "wheel-up")) },
		{ VMSIG_INPUT_REL, 2, -1, EVENTS(BTN(true, "wheel-down") ", "
						 BTN(false, "wheel-down")) },
		{ VMSIG_INPUT_ABS, 0, 0, EVENTS(AXIS("abs", "x", 0)) },
		{ VMSIG_INPUT_ABS, 1, 32767, EVENTS(AXIS("abs", "y", 32767)) },
		{ VMSIG_INPUT_BTN, 0, 1, EVENTS(BTN(true, "left")) },
		{ VMSIG_INPUT_BTN, 1, 1, EVENTS(BTN(true, "middle")) },
		{ VMSIG_INPUT_BTN, 2, 0, EVENTS(BTN(false, "right")) },
		{ VMSIG_INPUT_BTN, 6, 1, EVENTS(BTN(true, "extra")) },
	};
	const unsigned int n = sizeof(cases) / sizeof(cases[0]);

	(void)state;
	add_input(0);
	for (unsigned int i = 0; i < n; i++) {
		input(cases[i].kind, cases[i].code, cases[i].value, 500 + i);
		expect_ack(500 + i, 0);
		assert_string_equal(fq_cmd(&fq, 1 + (int)i), "input-send-event");
		assert_true(fq_args_are(&fq, 1 + (int)i, cases[i].args));
	}
	assert_int_equal(fq_ncmds(&fq), 1 + (int)n);
}

static void bad_records_never_reach_qemu(void **state)
{
	static const struct {
		uint16_t kind, code;
		int32_t value;
	} cases[] = {
		{ 0, 0, 0 },			/* no kind */
		{ 9, 0, 1 },			/* unknown kind */
		{ VMSIG_INPUT_KEY, KEY_RESERVED, 1 },	/* no mapping */
		{ VMSIG_INPUT_KEY, 0x2ff, 1 },	/* beyond the table */
		{ VMSIG_INPUT_QCODE, 150, 1 },	/* beyond QKeyCode */
		{ VMSIG_INPUT_REL, 3, 1 },	/* no such axis */
		{ VMSIG_INPUT_REL, 2, 0 },	/* wheel: nothing to do */
		{ VMSIG_INPUT_REL, 2, 33 },	/* wheel: too many clicks */
		{ VMSIG_INPUT_ABS, 0, 32768 },
		{ VMSIG_INPUT_ABS, 1, -1 },
		{ VMSIG_INPUT_ABS, 2, 5 },
		{ VMSIG_INPUT_BTN, 9, 1 },
	};

	(void)state;
	add_input(0);
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		input(cases[i].kind, cases[i].code, cases[i].value, 600 + i);
		expect_ack(600 + i, -EINVAL);
	}
	/* A record of another DOWN type on this seam: not for us. */
	{
		struct vmsig_event ev;

		vmsig_event_init(&ev, 0x9001, VMSIG_DIR_DOWN, VMSIG_SRC_INPUT);
		fe_send_down(&ev, 700);
		expect_ack(700, -EOPNOTSUPP);
	}
	assert_int_equal(fq_ncmds(&fq), 1);	/* qmp_capabilities only */
}

static void qmp_error_is_the_ack_status(void **state)
{
	(void)state;
	add_input(0);
	/* QEMU 7.2 without an absolute pointer device says this. */
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "input-send-event",
		.err = "Input handler not found for event type abs" });
	input(VMSIG_INPUT_ABS, 0, 100, 1);
	expect_ack(1, -EREMOTEIO);
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "input-send-event" });
	input(VMSIG_INPUT_KEY, KEY_B, 1, 2);
	expect_ack(2, 0);
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 1);
}

static void worker_runs_off_the_loop(void **state)
{
	int64_t t0, t1;
	int n;

	(void)state;
	add_input(0);
	/* A QEMU that takes 400 ms per command. */
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "input-send-event",
					   .delay_ms = 400 });
	for (int i = 0; i < 3; i++)
		input(VMSIG_INPUT_KEY, KEY_1 + i, 1, 10 + (uint64_t)i);
	/* Routing the three records does not wait for QEMU. */
	t0 = mono_ms();
	n = 0;
	while (n < 3 && mono_ms() - t0 < 1000) {
		struct vmsig_bus_stats st;

		vmsig_bus_run_once(fe_bus, 10);
		vmsig_bus_get_stats(fe_bus, &st);
		n = (int)st.routed;
	}
	t1 = mono_ms();
	assert_int_equal(n, 3);
	assert_true(t1 - t0 < 350);
	/* The answers come back, in order, through the eventfd. */
	expect_ack(10, 0);
	expect_ack(11, 0);
	expect_ack(12, 0);
	assert_true(mono_ms() - t0 >= 1150);
	assert_true(fq_args_are(&fq, 3, EVENTS(KEY(true, "3"))));
}

static void queue_bound(void **state)
{
	(void)state;
	add_input(2);
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "input-send-event",
					   .delay_ms = 200 });
	input(VMSIG_INPUT_BTN, 0, 1, 1);
	input(VMSIG_INPUT_BTN, 0, 0, 2);
	input(VMSIG_INPUT_BTN, 1, 1, 3);
	/* The third is refused at once, the others answered later. */
	expect_ack(3, -EAGAIN);
	expect_ack(1, 0);
	expect_ack(2, 0);
	/* Room again. */
	input(VMSIG_INPUT_BTN, 1, 0, 4);
	expect_ack(4, 0);
}

static void qemu_gone_ends_the_adapter(void **state)
{
	(void)state;
	add_input(0);
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "input-send-event",
					   .hangup = true });
	input(VMSIG_INPUT_KEY, KEY_Q, 1, 21);
	expect_ack(21, -ECONNRESET);
	for (int i = 0; i < 100 && vmsig_bus_adapter_count(fe_bus); i++)
		vmsig_bus_run_once(fe_bus, 10);
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 0);
	/* Its seam was given back. */
	assert_int_equal(fe_count(VMSIG_IOC_BIND_SINK), 2);
}

static void qemu_exit_ends_the_adapter_at_once(void **state)
{
	(void)state;
	add_input(0);
	input(VMSIG_INPUT_KEY, KEY_Q, 1, 22);
	expect_ack(22, 0);
	/* No record needed to notice. */
	fq_hangup(&fq);
	for (int i = 0; i < 100 && vmsig_bus_adapter_count(fe_bus); i++)
		vmsig_bus_run_once(fe_bus, 10);
	assert_int_equal(vmsig_bus_adapter_count(fe_bus), 0);
	assert_int_equal(fe_count(VMSIG_IOC_BIND_SINK), 2);
}

static void close_answers_what_is_left(void **state)
{
	struct vmsig_event ev;
	int64_t acks[3] = { 1, 1, 1 };

	(void)state;
	add_input(8);
	fq_set_rule(&fq, (struct fq_rule){ .cmd = "input-send-event",
					   .delay_ms = 300 });
	input(VMSIG_INPUT_KEY, KEY_X, 1, 31);
	input(VMSIG_INPUT_KEY, KEY_X, 0, 32);
	input(VMSIG_INPUT_KEY, KEY_Y, 1, 33);
	/* Route them; the worker is then busy with the first. */
	while (fq_ncmds(&fq) < 2)
		vmsig_bus_run_once(fe_bus, 10);
	vmsig_bus_free(fe_bus);
	fe_bus = NULL;
	/* Every record answered before the seam was unbound. */
	for (int i = 0; i < 3; i++) {
		assert_true(fe_take(&ev));
		assert_int_equal(ev.type, VMSIG_EV_ACT_ACK);
		assert_true(ev.corr >= 31 && ev.corr <= 33);
		acks[ev.corr - 31] = ev.aux;
	}
	assert_int_equal(acks[0], 0);
	assert_int_equal(acks[1], -ECANCELED);
	assert_int_equal(acks[2], -ECANCELED);
	assert_true(fe_logged(VMSIG_IOC_BIND_SINK, 1, NULL));
}

static void key_tables(void **state)
{
	static const struct {
		unsigned int key;
		const char *qcode;
	} keys[] = {
		{ KEY_A, "a" }, { KEY_M, "m" }, { KEY_Z, "z" }, { KEY_Q, "q" },
		{ KEY_0, "0" }, { KEY_1, "1" }, { KEY_9, "9" },
		{ KEY_ENTER, "ret" }, { KEY_SPACE, "spc" }, { KEY_ESC, "esc" },
		{ KEY_BACKSPACE, "backspace" }, { KEY_TAB, "tab" },
		{ KEY_LEFTSHIFT, "shift" }, { KEY_RIGHTSHIFT, "shift_r" },
		{ KEY_LEFTCTRL, "ctrl" }, { KEY_RIGHTCTRL, "ctrl_r" },
		{ KEY_LEFTALT, "alt" }, { KEY_RIGHTALT, "alt_r" },
		{ KEY_LEFTMETA, "meta_l" }, { KEY_RIGHTMETA, "meta_r" },
		{ KEY_UP, "up" }, { KEY_DOWN, "down" }, { KEY_LEFT, "left" },
		{ KEY_RIGHT, "right" }, { KEY_HOME, "home" }, { KEY_END, "end" },
		{ KEY_PAGEUP, "pgup" }, { KEY_PAGEDOWN, "pgdn" },
		{ KEY_INSERT, "insert" }, { KEY_DELETE, "delete" },
		{ KEY_F1, "f1" }, { KEY_F5, "f5" }, { KEY_F10, "f10" },
		{ KEY_F11, "f11" }, { KEY_F12, "f12" },
		{ KEY_MINUS, "minus" }, { KEY_EQUAL, "equal" },
		{ KEY_LEFTBRACE, "bracket_left" }, { KEY_RIGHTBRACE, "bracket_right" },
		{ KEY_SEMICOLON, "semicolon" }, { KEY_APOSTROPHE, "apostrophe" },
		{ KEY_GRAVE, "grave_accent" }, { KEY_BACKSLASH, "backslash" },
		{ KEY_COMMA, "comma" }, { KEY_DOT, "dot" }, { KEY_SLASH, "slash" },
		{ KEY_CAPSLOCK, "caps_lock" }, { KEY_NUMLOCK, "num_lock" },
		{ KEY_KP0, "kp_0" }, { KEY_KP7, "kp_7" }, { KEY_KPENTER, "kp_enter" },
		{ KEY_KPASTERISK, "kp_multiply" }, { KEY_KPSLASH, "kp_divide" },
		{ KEY_102ND, "less" }, { KEY_SYSRQ, "sysrq" }, { KEY_PAUSE, "pause" },
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int q = vmsig_input_key_qcode(keys[i].key);

		assert_true(q >= 0);
		assert_string_equal(vmsig_input_qcode_name((unsigned int)q),
				    keys[i].qcode);
	}
	assert_int_equal(vmsig_input_key_qcode(KEY_RESERVED), -ENOENT);
	assert_int_equal(vmsig_input_key_qcode(100000), -ENOENT);
	/* QEMU 7.2's QKeyCode enum: first, a few known values, last. */
	assert_string_equal(vmsig_input_qcode_name(0), "unmapped");
	assert_string_equal(vmsig_input_qcode_name(1), "shift");
	assert_string_equal(vmsig_input_qcode_name(35), "ret");
	assert_string_equal(vmsig_input_qcode_name(36), "a");
	assert_string_equal(vmsig_input_qcode_name(60), "spc");
	assert_string_equal(vmsig_input_qcode_name(149), "lang2");
	assert_null(vmsig_input_qcode_name(150));
	assert_int_equal(vmsig_input_qcode_from_name("kp_enter"), 78);
	assert_int_equal(vmsig_input_qcode_from_name("nosuchkey"), -ENOENT);
	assert_int_equal(vmsig_input_qcode_from_name(NULL), -ENOENT);
	for (unsigned int i = 0; i < 150; i++)
		assert_int_equal(vmsig_input_qcode_from_name(
					 vmsig_input_qcode_name(i)), (int)i);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(records_become_input_send_event),
		T(bad_records_never_reach_qemu),
		T(qmp_error_is_the_ack_status),
		T(worker_runs_off_the_loop),
		T(queue_bound),
		T(qemu_gone_ends_the_adapter),
		T(qemu_exit_ends_the_adapter_at_once),
		T(close_answers_what_is_left),
		cmocka_unit_test(key_tables),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
