/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A control built on libvmsig, for the programs that drive the end-to-end
 * guest with the stock adapters: selftests/e2e_qemu.c (the "bus" test),
 * selftests/e2e_ctl.c (vmsigctl attach) and selftests/demo/vmsig_demo.c
 * (make demo).  Header-only and free of the kselftest harness, so the demo
 * can use it too.
 *
 * What is here:
 *  - starting the unmodified QEMU with the guest and one QMP socket per
 *    stock adapter (QEMU serves one client per QMP socket);
 *  - an event log over a control's endpoint file: every record read is
 *    kept, and a step waits for the first record not yet taken that
 *    matches what it expects, so records that arrive in another order than
 *    the steps ask for them (the POWERDOWN state comes before the ACK of
 *    the power button) are not lost;
 *  - a one-line decoding of the records a control sees, and submitting
 *    DOWN records with a lease token.
 */
#ifndef VMSIG_E2E_CONTROL_H
#define VMSIG_E2E_CONTROL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vmsig.h>

#include "vmsig.h"
#include "vmsig_adapters.h"
#include "vmsig_attach.h"
#include "vmsig_names.h"
#include "guest/layout.h"

#define E2EC_QEMU_BIN	"/usr/bin/qemu-system-x86_64"
#define E2EC_GUEST_ELF	"/e2e/guest.elf"

/* Linux KEY_A; the guest sees PS/2 set 1 (the controller translates). */
#define E2EC_KEY_A	30
#define E2EC_SC_A_DOWN	0x1e
#define E2EC_SC_A_UP	0x9e

#define E2EC_UNUSED __attribute__((unused))

static E2EC_UNUSED int64_t e2ec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static E2EC_UNUSED void e2ec_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------- QEMU */

/* Where one QEMU run keeps its sockets and logs: PREFIX-host.sock, ... */
struct e2ec_qemu {
	pid_t pid;
	char host_sock[64];	/* vmhost adapter */
	char input_sock[64];	/* input adapter */
	char memctx_sock[64];	/* memctx adapter */
	char qemu_log[64];	/* QEMU's stdout and stderr */
	char guest_log[64];	/* the guest's serial port */
};

/*
 * Start QEMU with the guest and three QMP sockets named after @prefix
 * ("/tmp/e2e-bus"); as selftests/e2e_qemu.c's raw test otherwise
 * (-cpu qemu64, -machine pc for the i8042 and the PIIX4 power button).
 * QEMU dies with its parent.  Returns the pid, or -errno of fork.
 */
static E2EC_UNUSED pid_t e2ec_qemu_start(const char *prefix, struct e2ec_qemu *q)
{
	char qmp[3][96], serial[96];
	pid_t pid;
	int fd;

	memset(q, 0, sizeof(*q));
	snprintf(q->host_sock, sizeof(q->host_sock), "%s-host.sock", prefix);
	snprintf(q->input_sock, sizeof(q->input_sock), "%s-input.sock", prefix);
	snprintf(q->memctx_sock, sizeof(q->memctx_sock), "%s-memctx.sock", prefix);
	snprintf(q->qemu_log, sizeof(q->qemu_log), "%s-qemu.log", prefix);
	snprintf(q->guest_log, sizeof(q->guest_log), "%s-guest.log", prefix);
	snprintf(qmp[0], sizeof(qmp[0]), "unix:%s,server=on,wait=off", q->host_sock);
	snprintf(qmp[1], sizeof(qmp[1]), "unix:%s,server=on,wait=off", q->input_sock);
	snprintf(qmp[2], sizeof(qmp[2]), "unix:%s,server=on,wait=off", q->memctx_sock);
	snprintf(serial, sizeof(serial), "file:%s", q->guest_log);
	unlink(q->host_sock);
	unlink(q->input_sock);
	unlink(q->memctx_sock);
	unlink(q->guest_log);

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid) {
		q->pid = pid;
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(q->qemu_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execl(E2EC_QEMU_BIN, E2EC_QEMU_BIN, "-accel", "kvm", "-cpu", "qemu64",
	      "-machine", "pc", "-m", "64", "-smp", "1", "-nodefaults",
	      "-display", "none", "-no-user-config", "-kernel", E2EC_GUEST_ELF,
	      "-qmp", qmp[0], "-qmp", qmp[1], "-qmp", qmp[2],
	      "-serial", serial, (char *)NULL);
	dprintf(2, "exec %s: %m\n", E2EC_QEMU_BIN);
	_exit(127);
}

/* Wait for @pid to exit, at most @timeout_ms; 0, -ETIMEDOUT or -errno. */
static E2EC_UNUSED int e2ec_wait_exit(pid_t pid, int timeout_ms, int *status)
{
	int64_t deadline = e2ec_now_ms() + timeout_ms;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0)
			return -errno;
		if (e2ec_now_ms() > deadline)
			return -ETIMEDOUT;
		e2ec_sleep_ms(20);
	}
}

/* Stop a QEMU that is still running: SIGTERM (a clean quit), then SIGKILL. */
static E2EC_UNUSED void e2ec_qemu_stop(struct e2ec_qemu *q)
{
	int status;

	if (q->pid <= 0)
		return;
	if (waitpid(q->pid, &status, WNOHANG) == 0) {
		kill(q->pid, SIGTERM);
		if (e2ec_wait_exit(q->pid, 10000, &status)) {
			kill(q->pid, SIGKILL);
			waitpid(q->pid, &status, 0);
		}
	}
	q->pid = 0;
}

/*
 * Take QEMU's VM by pid (it creates it early in start-up) and attach an
 * endpoint; the VM fd is closed, the endpoint holds the VM.  Returns the
 * endpoint fd or -errno; -ECHILD when QEMU exited first.
 */
static E2EC_UNUSED int e2ec_attach_pid(int dev, pid_t pid, int timeout_ms)
{
	int64_t deadline = e2ec_now_ms() + timeout_ms;
	int vm, ep, status;

	for (;;) {
		vm = vmsig_take_kvm_vm_fd(pid);
		if (vm >= 0 || (vm != -ENOENT && vm != -EAGAIN))
			break;
		if (waitpid(pid, &status, WNOHANG) != 0)
			return -ECHILD;
		if (e2ec_now_ms() > deadline)
			return -ETIMEDOUT;
		e2ec_sleep_ms(20);
	}
	if (vm < 0)
		return vm;
	ep = vmsig_attach_kvm(dev, vm);
	close(vm);
	return ep;
}

/* Read one mailbox field of @len (4 or 8) bytes by physical or virtual address. */
static E2EC_UNUSED int e2ec_mb_read(int ep, unsigned int off, unsigned int len,
				    bool virt, uint64_t *val)
{
	*val = 0;
	return virt ? vmsig_read_virt(ep, E2E_MAILBOX_VA + off, val, len) :
		      vmsig_read_phys(ep, E2E_MAILBOX_PA + off, val, len);
}

/*
 * Wait until the guest runs (its magic, read by physical address); reads
 * fail until its RAM exists.  0, -ECHILD when QEMU exited, -ETIMEDOUT.
 */
static E2EC_UNUSED int e2ec_wait_guest(int ep, pid_t pid, int timeout_ms)
{
	int64_t deadline = e2ec_now_ms() + timeout_ms;
	uint64_t magic;
	int status;

	for (;;) {
		if (!e2ec_mb_read(ep, E2E_OFF_MAGIC, 8, false, &magic) &&
		    magic == E2E_MAGIC)
			return 0;
		if (waitpid(pid, &status, WNOHANG) != 0)
			return -ECHILD;
		if (e2ec_now_ms() > deadline)
			return -ETIMEDOUT;
		e2ec_sleep_ms(20);
	}
}

/* How long a first start may take before it counts as stalled (normal: ~2 s). */
#ifndef E2EC_FIRST_BOOT_MS
#define E2EC_FIRST_BOOT_MS	60000
#endif

/*
 * Start QEMU, attach an endpoint to its VM (in *@ep) and wait until the
 * guest runs.  The one retry policy of the end-to-end tests lives here, and
 * it is explicit: QEMU's start-up under nested KVM on TCG was once seen to
 * stall before it created a vCPU (no task blocked in the kernel, the next
 * QEMU of the same boot fine).  A guest that is not running after
 * E2EC_FIRST_BOOT_MS has its QEMU stopped and started once more, and that
 * is reported on stderr, which the test's output keeps.  Nothing after the
 * guest runs gets a second chance.  Returns 0, or -errno of the last try
 * (with *@ep closed and QEMU left for the caller's teardown).
 */
static E2EC_UNUSED int e2ec_boot(const char *prefix, struct e2ec_qemu *q, int dev,
				 int *ep, int timeout_ms)
{
	int err;

	*ep = -1;
	for (int attempt = 1; attempt <= 2; attempt++) {
		pid_t pid = e2ec_qemu_start(prefix, q);

		if (pid < 0)
			return pid;
		*ep = e2ec_attach_pid(dev, q->pid, timeout_ms);
		if (*ep < 0)
			return *ep;
		err = e2ec_wait_guest(*ep, q->pid,
				      attempt == 1 ? E2EC_FIRST_BOOT_MS : timeout_ms);
		if (!err)
			return 0;
		close(*ep);
		*ep = -1;
		if (err != -ETIMEDOUT || attempt == 2)
			return err;
		dprintf(2, "# e2e: RETRY: QEMU pid %d did not run the guest in %d ms; "
			"stopping it and starting again (the one retry)\n",
			q->pid, E2EC_FIRST_BOOT_MS);
		e2ec_qemu_stop(q);
	}
	return -ETIMEDOUT;
}

/* Wait until mailbox field @off differs from @old; the new value in *val. */
static E2EC_UNUSED int e2ec_mb_wait_change(int ep, unsigned int off, unsigned int len,
					   bool virt, uint64_t old, int timeout_ms,
					   uint64_t *val)
{
	int64_t deadline = e2ec_now_ms() + timeout_ms;
	int err;

	for (;;) {
		err = e2ec_mb_read(ep, off, len, virt, val);
		if (!err && *val != old)
			return 0;
		if (e2ec_now_ms() > deadline)
			return err ? err : -ETIMEDOUT;
		e2ec_sleep_ms(10);
	}
}

/* Wait until mailbox field @off equals @want. */
static E2EC_UNUSED int e2ec_mb_wait_eq(int ep, unsigned int off, unsigned int len,
				       bool virt, uint64_t want, int timeout_ms,
				       uint64_t *val)
{
	int64_t deadline = e2ec_now_ms() + timeout_ms;
	int err;

	for (;;) {
		err = e2ec_mb_read(ep, off, len, virt, val);
		if (!err && *val == want)
			return 0;
		if (e2ec_now_ms() > deadline)
			return err ? err : -ETIMEDOUT;
		e2ec_sleep_ms(10);
	}
}

/* The three stock adapters' configs, on @q's sockets. */
static E2EC_UNUSED void e2ec_adapter_cfgs(const struct e2ec_qemu *q, int timeout_ms,
					  struct vmsig_vmhost_cfg *host,
					  struct vmsig_input_cfg *input,
					  struct vmsig_memctx_cfg *memctx)
{
	*host = (struct vmsig_vmhost_cfg){
		.qmp = { .qmp_path = q->host_sock, .qmp_fd = -1, .timeout_ms = timeout_ms },
	};
	*input = (struct vmsig_input_cfg){
		.qmp = { .qmp_path = q->input_sock, .qmp_fd = -1, .timeout_ms = timeout_ms },
	};
	*memctx = (struct vmsig_memctx_cfg){
		.qmp = { .qmp_path = q->memctx_sock, .qmp_fd = -1, .timeout_ms = timeout_ms },
		.period_ms = 50,
	};
}

/* --------------------------------------------------------- decoding */

static E2EC_UNUSED const char *e2ec_power_name(int32_t a)
{
	static const char *const n[] = {
		[VMSIG_POWER_PAUSE] = "pause", [VMSIG_POWER_RESUME] = "resume",
		[VMSIG_POWER_RESET] = "reset", [VMSIG_POWER_POWERDOWN] = "powerdown",
		[VMSIG_POWER_QUIT] = "quit",
	};

	return a > 0 && a <= VMSIG_POWER_QUIT ? n[a] : "?";
}

/* One line: "vm_state (vmhost) running [replay]". */
static E2EC_UNUSED char *e2ec_describe(const struct vmsig_event *ev, char *buf, size_t size)
{
	const char *type = vmsig_event_type_name(ev->type);
	const char *src = vmsig_source_name(ev->source);
	const char *n;
	char tbuf[16], what[160];

	if (!type) {
		snprintf(tbuf, sizeof(tbuf), "0x%04x", ev->type);
		type = tbuf;
	}
	switch (ev->type) {
	case VMSIG_EV_VM_STATE:
		n = vmsig_vm_state_name((uint32_t)ev->aux);
		snprintf(what, sizeof(what), "%s (QMP %.11s)%s", n ? n : "?",
			 (const char *)&ev->payload.bytes[4],
			 ev->payload.u32[0] & VMSIG_VMHOST_F_GUEST ? ", caused by the guest" : "");
		break;
	case VMSIG_EV_LIFECYCLE:
		snprintf(what, sizeof(what), "%s", ev->aux == VMSIG_LC_VMM_EXIT ?
			 "vmm_exit: the VMM's address space is gone" : "?");
		break;
	case VMSIG_EV_MEMCTX:
		n = vmsig_paging_name((uint32_t)ev->aux);
		snprintf(what, sizeof(what), "%s CR3 0x%llx epoch %llu",
			 n ? n : "invalidated",
			 (unsigned long long)ev->payload.u64[0],
			 (unsigned long long)ev->payload.u64[1]);
		break;
	case VMSIG_EV_ACT_ACK:
		snprintf(what, sizeof(what), "corr %llu status %d%s%s",
			 (unsigned long long)ev->corr, ev->aux,
			 ev->aux ? " " : " (done)", ev->aux ? strerror(-ev->aux) : "");
		break;
	case VMSIG_EV_LEASE:
		n = vmsig_lease_class_name((uint32_t)ev->aux);
		snprintf(what, sizeof(what), "%s %s, token %llu, holder pid %u",
			 n ? n : "?", vmsig_lease_change_name(ev->payload.u32[3]) ?: "?",
			 (unsigned long long)ev->payload.u64[0], ev->payload.u32[2]);
		break;
	case VMSIG_EV_MEMWRITE:
		snprintf(what, sizeof(what), "%s%u bytes at 0x%llx%s, token %llu, status %d",
			 ev->payload.u32[3] & VMSIG_WRITE_CAS ? "cas " : "",
			 ev->payload.u32[2], (unsigned long long)ev->payload.u64[0],
			 ev->payload.u32[3] & VMSIG_WRITE_VIRT ? " (virtual)" : "",
			 (unsigned long long)ev->corr, ev->aux);
		break;
	case VMSIG_EV_DROPPED:
		snprintf(what, sizeof(what), "%llu records lost",
			 (unsigned long long)ev->payload.u64[0]);
		break;
	case VMSIG_EV_POWER:
		snprintf(what, sizeof(what), "%s", e2ec_power_name(ev->aux));
		break;
	case VMSIG_EV_INPUT:
		snprintf(what, sizeof(what), "kind %u code %u value %d",
			 ev->payload.u16[4], ev->payload.u16[5], (int32_t)ev->payload.u32[3]);
		break;
	default:
		snprintf(what, sizeof(what), "aux %d", ev->aux);
		break;
	}
	snprintf(buf, size, "#%llu %s (%s) %s%s", (unsigned long long)ev->seq, type,
		 src ? src : "?", what, ev->flags & VMSIG_EVF_REPLAY ? " [retained, replayed]" : "");
	return buf;
}

/* -------------------------------------------------------- event log */

#define E2EC_LOG_MAX 1024

/* Every record a control file gave, and which of them a step took. */
struct e2ec_log {
	int fd;			/* the control's endpoint file, O_NONBLOCK */
	int n;
	bool eof;		/* the endpoint is dead and drained */
	struct vmsig_event ev[E2EC_LOG_MAX];
	bool taken[E2EC_LOG_MAX];
	/* Called for each record as it is read (printing, logging). */
	void (*on_event)(void *arg, const struct vmsig_event *ev);
	void *arg;
};

/* What a step waits for; a field of -1 (or any_*) matches anything. */
struct e2ec_match {
	int type;
	int source;
	bool any_aux;
	int32_t aux;
	bool any_corr;
	uint64_t corr;
};

static E2EC_UNUSED bool e2ec_matches(const struct vmsig_event *ev,
				     const struct e2ec_match *m)
{
	return (m->type < 0 || ev->type == m->type) &&
	       (m->source < 0 || ev->source == m->source) &&
	       (m->any_aux || ev->aux == m->aux) &&
	       (m->any_corr || ev->corr == m->corr);
}

/* Read what is queued (waiting up to @timeout_ms for something). */
static E2EC_UNUSED int e2ec_pump(struct e2ec_log *l, int timeout_ms)
{
	struct vmsig_event evs[32];
	int r, i;

	if (l->eof)
		return -EPIPE;
	r = vmsig_wait_events(l->fd, timeout_ms);
	if (r == -EPIPE) {
		l->eof = true;
		return r;
	}
	if (r <= 0)
		return r;
	r = vmsig_read_events(l->fd, evs, 32);
	if (r == -EPIPE)
		l->eof = true;
	for (i = 0; i < r && l->n < E2EC_LOG_MAX; i++) {
		l->ev[l->n] = evs[i];
		l->taken[l->n] = false;
		l->n++;
		if (l->on_event)
			l->on_event(l->arg, &evs[i]);
	}
	return r;
}

/*
 * Wait for the first record not taken yet that matches @m, and take it.
 * Returns 0 (the record in *@out, when not NULL), -ETIMEDOUT, or -EPIPE
 * when the endpoint hung up without one.
 */
static E2EC_UNUSED int e2ec_expect(struct e2ec_log *l, const struct e2ec_match *m,
				   int timeout_ms, struct vmsig_event *out)
{
	int64_t deadline = e2ec_now_ms() + timeout_ms;
	int i = 0, r;

	for (;;) {
		for (; i < l->n; i++) {
			if (l->taken[i] || !e2ec_matches(&l->ev[i], m))
				continue;
			l->taken[i] = true;
			if (out)
				*out = l->ev[i];
			return 0;
		}
		if (l->eof)
			return -EPIPE;
		if (e2ec_now_ms() > deadline)
			return -ETIMEDOUT;
		r = e2ec_pump(l, 100);
		if (r < 0 && r != -EPIPE && r != -EINTR && r != -EAGAIN)
			return r;
	}
}

/* Wait until the endpoint hangs up (every record read). */
static E2EC_UNUSED int e2ec_wait_eof(struct e2ec_log *l, int timeout_ms)
{
	int64_t deadline = e2ec_now_ms() + timeout_ms;
	int r;

	while (!l->eof) {
		if (e2ec_now_ms() > deadline)
			return -ETIMEDOUT;
		r = e2ec_pump(l, 100);
		if (r < 0 && r != -EPIPE && r != -EINTR && r != -EAGAIN)
			return r;
	}
	return 0;
}

/* Submit one DOWN record carrying lease @token; @corr names its ACK. */
static E2EC_UNUSED int e2ec_submit(int fd, uint16_t type, uint8_t source, int32_t aux,
				   uint64_t corr, uint64_t token)
{
	struct vmsig_event ev;

	vmsig_event_init(&ev, type, VMSIG_DIR_DOWN, source);
	ev.aux = aux;
	ev.corr = corr;
	ev.payload.u64[0] = token;
	return vmsig_submit_down(fd, &ev);
}

/* A key press (@down) or release of Linux key @key, under input lease @token. */
static E2EC_UNUSED int e2ec_submit_key(int fd, unsigned int key, bool down,
				       uint64_t corr, uint64_t token)
{
	struct vmsig_event ev;

	vmsig_event_init(&ev, VMSIG_EV_INPUT, VMSIG_DIR_DOWN, VMSIG_SRC_INPUT);
	ev.corr = corr;
	ev.payload.u64[0] = token;
	ev.payload.u16[4] = VMSIG_INPUT_KEY;
	ev.payload.u16[5] = (uint16_t)key;
	ev.payload.u32[3] = down ? 1 : 0;
	return vmsig_submit_down(fd, &ev);
}

#endif /* VMSIG_E2E_CONTROL_H */
