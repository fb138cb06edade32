/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmsig_adapters.h - configuration of the stock adapters.
 *
 * libvmsig ships three adapters (vmsig_adapter.h), all speaking to QEMU
 * through QMP:
 *
 *  vmhost  (vmsig_vmhost_ops(), seam VMSIG_SRC_VMHOST, FD shape): the VM's
 *	run state at attach and QEMU's lifecycle events as VMSIG_EV_VM_STATE;
 *	VMSIG_EV_POWER decisions as QMP commands, answered with ACT_ACK.
 *  input   (vmsig_input_ops(), seam VMSIG_SRC_INPUT, EVENTFD shape):
 *	VMSIG_EV_INPUT decisions as QMP input-send-event, run by a worker
 *	thread; one ACT_ACK per record.
 *  memctx  (vmsig_memctx_ops(), seam VMSIG_SRC_MEMCTX, TIMERFD shape):
 *	samples vCPU 0's CR3, CR4 and EFER ("info registers") on a period and
 *	registers the endpoint's memctx when the address space changes.
 *
 * Each adapter is opened with a pointer to its config struct below (the
 * bus passes it to ops->open() as is); open() copies what it needs, so the
 * struct may go away afterwards.
 *
 * One QMP monitor per adapter: QEMU serves one client at a time on each
 * QMP socket (a second client is accepted only once the first leaves, and
 * meanwhile waits for a greeting that does not come; the adapter then
 * fails with -ETIMEDOUT).  Give QEMU one -qmp option per adapter, e.g.
 *   -qmp unix:/run/vm0/host.sock,server=on,wait=off
 *   -qmp unix:/run/vm0/input.sock,server=on,wait=off
 *   -qmp unix:/run/vm0/memctx.sock,server=on,wait=off
 */
#ifndef LIBVMSIG_VMSIG_ADAPTERS_H
#define LIBVMSIG_VMSIG_ADAPTERS_H

#include <stdint.h>

#include "vmsig_adapter.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Where an adapter finds its QMP monitor; shared by the three configs.
 * @qmp_path: the QMP unix socket (QEMU's -qmp unix:PATH,server=on), or
 * @qmp_fd: when >= 0, used instead of @qmp_path: a connected stream socket
 *	whose peer has not greeted yet.  open() duplicates it, so the caller
 *	keeps (and closes) its own descriptor.  Set it to -1 otherwise (a
 *	zeroed config means fd 0, which is rarely what is meant).
 * @timeout_ms: bound of the handshake and of every command; 0 for the
 *	adapter's default.
 */
struct vmsig_qmp_target {
	const char *qmp_path;
	int qmp_fd;
	int timeout_ms;
};

/* ------------------------------------------------------------- vmhost */

/**
 * struct vmsig_vmhost_cfg - config of the vmhost adapter
 * @qmp: its QMP monitor (default timeout VMSIG_QMP_DEFAULT_TIMEOUT_MS)
 *
 * UP: VMSIG_EV_VM_STATE with @aux a VMSIG_VM_* value:
 *  - at attach, from query-status: VMSIG_VM_RUNNING when QEMU says
 *    "running", VMSIG_VM_SHUTDOWN for RunState "shutdown", else
 *    VMSIG_VM_PAUSED (prelaunch, paused, suspended, inmigrate, io-error,
 *    guest-panicked...); payload.u32[0] has VMSIG_VMHOST_F_STATUS;
 *  - QMP events: RESUME -> RUNNING, STOP -> PAUSED, SHUTDOWN -> SHUTDOWN,
 *    RESET -> RESET, POWERDOWN -> POWERDOWN; payload.u32[0] has
 *    VMSIG_VMHOST_F_GUEST when QEMU says the guest caused it ("guest":
 *    true in SHUTDOWN and RESET).
 *  Run states (RUNNING, PAUSED, SHUTDOWN) are published with
 *  VMSIG_EVF_RETAIN, so a late subscriber first learns the current state;
 *  RESET and POWERDOWN are happenings, not states, and are not retained.
 *  payload.bytes[4..15]: the QMP name (RunState at attach, else the event
 *  name), cut at 11 characters, NUL terminated; for diagnostics only.
 *
 * DOWN: VMSIG_EV_POWER, @aux VMSIG_POWER_PAUSE / RESUME / RESET /
 * POWERDOWN / QUIT -> QMP stop / cont / system_reset / system_powerdown /
 * quit.  The command runs on the loop thread (QEMU answers these at once;
 * the wait is bounded by the timeout).  The ACT_ACK carries 0, or the
 * client's -errno: -EREMOTEIO when QEMU refused, -ETIMEDOUT,
 * -ECONNRESET...  An unknown @aux is answered -EINVAL, another DOWN type
 * -EOPNOTSUPP (by the bus).
 *
 * When QEMU closes the socket (quit, exit) the adapter publishes what QEMU
 * said before and then fails, so the bus drops it.
 */
struct vmsig_vmhost_cfg {
	struct vmsig_qmp_target qmp;
};

/* payload.u32[0] flags of the vmhost adapter's VMSIG_EV_VM_STATE */
#define VMSIG_VMHOST_F_GUEST	0x1U	/* the guest caused it */
#define VMSIG_VMHOST_F_STATUS	0x2U	/* read with query-status at attach */

/* -------------------------------------------------------------- input */

/**
 * struct vmsig_input_cfg - config of the input adapter
 * @qmp: its QMP monitor, used by the worker thread only (default timeout
 *	VMSIG_QMP_DEFAULT_TIMEOUT_MS)
 * @queue_len: most records accepted and not yet answered; 0 for
 *	VMSIG_INPUT_QUEUE_DEFAULT.  A record beyond it is refused with
 *	-EAGAIN (the bus answers it).
 *
 * DOWN: VMSIG_EV_INPUT, payload u16[4] kind, u16[5] code, s32 u32[3] value:
 *  KEY    code a Linux KEY_* code (vmsig_input_key_qcode()), value nonzero:
 *	   pressed, 0: released
 *  QCODE  code a QKeyCode index (vmsig_input_qcode_name()), value as KEY
 *  REL    code 0 x, 1 y: a relative move of value; code 2 wheel: value
 *	   clicks, positive up (buttons wheel-up/wheel-down pressed and
 *	   released, at most VMSIG_INPUT_WHEEL_MAX clicks per record)
 *  ABS    code 0 x, 1 y; value 0..32767 (QEMU's absolute range)
 *  BTN    code: QEMU's InputButton order 0 left, 1 middle, 2 right,
 *	   3 wheel-up, 4 wheel-down, 5 side, 6 extra, 7 wheel-left,
 *	   8 wheel-right; value nonzero: pressed
 * Each record becomes one QMP input-send-event with one event, run by the
 * adapter's worker thread; its completion comes back to the loop through
 * an eventfd and is answered with one ACT_ACK: 0, -EREMOTEIO when QEMU
 * refused it (e.g. no absolute pointer device for ABS), another -errno of
 * the QMP client, -EINVAL for an unknown kind, code or out-of-range value
 * (QEMU is not asked), -ECANCELED when the adapter closed first.
 */
struct vmsig_input_cfg {
	struct vmsig_qmp_target qmp;
	unsigned int queue_len;
};

#define VMSIG_INPUT_QUEUE_DEFAULT	256
#define VMSIG_INPUT_QUEUE_MAX		65536
#define VMSIG_INPUT_ABS_MAX		32767
#define VMSIG_INPUT_WHEEL_MAX		32

/**
 * vmsig_input_qcode_name() - QEMU's name of QKeyCode index @qcode
 *
 * The numbering of VMSIG_INPUT_QCODE records is the order of QEMU's
 * QKeyCode enum (qapi/ui.json) as of QEMU 7.2: 0 "unmapped", 1 "shift",
 * 2 "shift_r", ... 149 "lang2" (150 names).  It is frozen here: names
 * of later QEMUs would be appended, never renumbered.
 *
 * Return: the name, or NULL when @qcode is not in the table.
 */
const char *vmsig_input_qcode_name(unsigned int qcode);

/**
 * vmsig_input_qcode_from_name() - the QKeyCode index of QEMU's key @name
 *
 * Return: the index (>= 0), or -ENOENT.
 */
int vmsig_input_qcode_from_name(const char *name);

/**
 * vmsig_input_key_qcode() - the QKeyCode index for Linux key code @key
 *
 * Covers the keys of a PC keyboard: letters, digits, punctuation, enter,
 * space, escape, backspace, tab, the modifiers, arrows and the navigation
 * block, F1-F12, the keypad, lock keys.
 *
 * Return: the index (>= 0), or -ENOENT for a key without a mapping.
 */
int vmsig_input_key_qcode(unsigned int key);

/* ------------------------------------------------------------- memctx */

/**
 * struct vmsig_memctx_cfg - config of the memctx adapter
 * @qmp: its QMP monitor (default timeout VMSIG_MEMCTX_TIMEOUT_DEFAULT_MS:
 *	commands run on the loop thread, so the bound is kept short)
 * @period_ms: sampling period; 0 for VMSIG_MEMCTX_PERIOD_DEFAULT_MS
 *
 * On every tick: human-monitor-command "info registers" (vCPU 0), parsed
 * for CR3, CR4 and EFER.  In long mode (EFER.LMA) the memctx is
 * (CR3, CR4.LA57 ? VMSIG_PAGING_X86_64_5LEVEL : _4LEVEL); it is registered
 * whenever the mode or CR3 bits 51:12 (what locates the top-level table)
 * differ from the last registration, so PCID changes alone do not bump
 * the epoch.  Outside long mode the memctx is unregistered, once (also
 * on a first sample there: no stale memctx outlives a reboot).  A
 * command that fails or text that cannot be parsed changes nothing; a
 * dead QMP connection fails the adapter.  A registration the bus refuses
 * is tried again on the next tick.
 */
struct vmsig_memctx_cfg {
	struct vmsig_qmp_target qmp;
	unsigned int period_ms;
};

#define VMSIG_MEMCTX_PERIOD_DEFAULT_MS		100
#define VMSIG_MEMCTX_TIMEOUT_DEFAULT_MS		1000

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_ADAPTERS_H */
