// SPDX-License-Identifier: GPL-2.0
/*
 * vmsig_demo - the full loop, narrated (make demo).
 *
 * Runs inside the test VM (the runner's --demo with --with-qemu; the VM's
 * /init starts it as /bin/vmsig_demo): an unmodified QEMU runs the suite's
 * small guest (selftests/e2e/guest/) under KVM, and this program is a
 * control built on libvmsig.  It attaches to QEMU by pid, runs the bus with
 * the stock vmhost, input and memctx adapters, and then, speaking only
 * vmsig from a file with a control's rights: sees the VM's state, reads
 * the guest's counter by physical and by virtual address, types a key
 * under the input lease, changes the guest's command word with a leased
 * MEMWRITE, and presses the power button under the power lease.  Every
 * record the control receives is printed, decoded, as it arrives.
 *
 * Each step ends with a check mark or a cross; the first failed step ends
 * the demo, which then exits 1.  The last line is the summary.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmsig.h"
#include "vmsig_bus.h"
#include "e2e/control.h"

#define NSTEPS		7
#define BOOT_MS		60000
#define STEP_MS		20000

#define OK_MARK		"\u2714"	/* check mark */
#define FAIL_MARK	"\u2718"	/* cross */

/* What a control needs, and nothing more. */
#define CTL_RIGHTS	(VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_MEM_WRITE | \
			 VMSIG_RIGHT_SUBMIT_INPUT | VMSIG_RIGHT_SUBMIT_POWER | \
			 VMSIG_RIGHT_LEASE_INPUT | VMSIG_RIGHT_LEASE_POWER | \
			 VMSIG_RIGHT_LEASE_MEMWRITE)
#define CTL_RIGHTS_NAMES "mem_read,mem_write,submit_input,submit_power," \
			 "lease_input,lease_power,lease_memwrite"

static struct {
	struct e2ec_qemu q;
	int dev, ep, ctl;
	struct vmsig_bus *bus;
	pthread_t thread;
	bool running;
	int bus_ret;
	struct e2ec_log log;
	int64_t t0;
	int step, passed;
} d = { .dev = -1, .ep = -1, .ctl = -1 };

static double secs(void)
{
	return (double)(e2ec_now_ms() - d.t0) / 1000.0;
}

static void step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void step(const char *fmt, ...)
{
	va_list ap;

	d.step++;
	printf("\n[%d/%d] ", d.step, NSTEPS);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void say(const char *fmt, ...)
{
	va_list ap;

	printf("      ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void ok(const char *fmt, ...)
{
	va_list ap;

	d.passed++;
	printf("  " OK_MARK "   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("  (%.2f s)\n", secs());
	fflush(stdout);
}

static int fail(const char *fmt, ...)
{
	va_list ap;

	printf("  " FAIL_MARK "   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return -1;
}

/* Every record the control reads, as it reads it. */
static void on_event(void *arg, const struct vmsig_event *ev)
{
	char line[256];

	(void)arg;
	printf("      <- event %s\n", e2ec_describe(ev, line, sizeof(line)));
	fflush(stdout);
}

static void *bus_main(void *arg)
{
	(void)arg;
	d.bus_ret = vmsig_bus_run(d.bus);
	return NULL;
}

static int expect(const struct e2ec_match *m, int timeout_ms,
		  struct vmsig_event *ev, const char *what)
{
	int err = e2ec_expect(&d.log, m, timeout_ms, ev);

	if (err)
		return fail("no %s: %s", what, strerror(-err));
	return 0;
}

static int expect_ack(uint64_t corr, const char *what)
{
	struct e2ec_match m = { .type = VMSIG_EV_ACT_ACK, .source = -1,
				.any_aux = true, .corr = corr };
	struct vmsig_event ev;

	if (expect(&m, STEP_MS, &ev, "ACK"))
		return -1;
	if (ev.aux)
		return fail("%s answered %d (%s)", what, ev.aux, strerror(-ev.aux));
	return 0;
}

/* ------------------------------------------------------------ steps */

static int step_qemu(void)
{
	step("Start an unmodified QEMU (qemu-system-x86_64 -accel kvm) with the demo guest");
	if (access(E2EC_GUEST_ELF, R_OK) || access(E2EC_QEMU_BIN, X_OK))
		return fail("%s or %s is missing: the VM was booted without --with-qemu",
			    E2EC_QEMU_BIN, E2EC_GUEST_ELF);
	if (e2ec_qemu_start("/tmp/demo", &d.q) < 0)
		return fail("fork: %s", strerror(errno));
	say("QEMU pid %d, one QMP socket per adapter: %s, %s, %s", d.q.pid,
	    d.q.host_sock, d.q.input_sock, d.q.memctx_sock);
	ok("QEMU started");
	return 0;
}

static int step_attach(void)
{
	struct vmsig_ep_info info = { 0 };
	struct vmsig_api api;
	int err;

	step("Attach to QEMU by pid: take its KVM VM fd (pidfd_getfd) and hand it to /dev/vmsig");
	d.dev = vmsig_open(0);
	if (d.dev < 0)
		return fail("/dev/vmsig: %s", strerror(-d.dev));
	err = vmsig_get_api(d.dev, &api);
	if (err)
		return fail("API handshake: %s", strerror(-err));
	say("vmsig ABI %u, libvmsig %s", api.abi_version, vmsig_version());
	d.ep = e2ec_attach_pid(d.dev, d.q.pid, BOOT_MS);
	if (d.ep < 0)
		return fail("attach to pid %d: %s", d.q.pid, strerror(-d.ep));
	vmsig_ep_info(d.ep, &info);
	say("endpoint %u on the KVM backend (VMM pid %u)", info.ep_id, info.vmm_pid);
	err = e2ec_wait_guest(d.ep, d.q.pid, BOOT_MS);
	if (err)
		return fail("the guest did not come up: %s", strerror(-err));
	say("the guest runs: its magic \"VMSIGE2E\" is at guest-physical 0x%x",
	    E2E_MAILBOX_PA);
	ok("attached to QEMU pid %d", d.q.pid);
	return 0;
}

static int step_bus(void)
{
	struct e2ec_match m = { .type = VMSIG_EV_VM_STATE, .source = VMSIG_SRC_VMHOST,
				.any_aux = true, .any_corr = true };
	struct vmsig_vmhost_cfg host;
	struct vmsig_input_cfg input;
	struct vmsig_memctx_cfg memctx;
	struct vmsig_event ev;
	int err;

	step("Run the bus with the stock adapters (vmhost, input, memctx over QMP); a control subscribes");
	err = vmsig_bus_new(d.ep, &d.bus);
	if (err)
		return fail("bus: %s", strerror(-err));
	e2ec_adapter_cfgs(&d.q, 10000, &host, &input, &memctx);
	memctx.qmp.timeout_ms = 2000;
	if ((err = vmsig_bus_add_adapter(d.bus, vmsig_vmhost_ops(), &host)))
		return fail("vmhost adapter: %s", strerror(-err));
	if ((err = vmsig_bus_add_adapter(d.bus, vmsig_input_ops(), &input)))
		return fail("input adapter: %s", strerror(-err));
	if ((err = vmsig_bus_add_adapter(d.bus, vmsig_memctx_ops(), &memctx)))
		return fail("memctx adapter: %s", strerror(-err));
	d.ctl = vmsig_derive(d.ep, CTL_RIGHTS, VMSIG_DERIVE_RIGHTS | VMSIG_ATTACH_NONBLOCK);
	if (d.ctl < 0)
		return fail("derive the control's file: %s", strerror(-d.ctl));
	say("control file derived with rights %s", CTL_RIGHTS_NAMES);
	d.log.fd = d.ctl;
	d.log.on_event = on_event;
	if ((err = pthread_create(&d.thread, NULL, bus_main, NULL)))
		return fail("bus thread: %s", strerror(err));
	d.running = true;
	if (expect(&m, STEP_MS, &ev, "VM state from vmhost"))
		return -1;
	if (ev.aux != VMSIG_VM_RUNNING)
		return fail("the VM is %s, not running", vmsig_vm_state_name((uint32_t)ev.aux));
	ok("%d adapters on the bus; the VM state (retained) says: running",
	   vmsig_bus_adapter_count(d.bus));
	return 0;
}

static int step_memory(void)
{
	struct e2ec_match m = { .type = VMSIG_EV_MEMCTX, .source = -1,
				.aux = VMSIG_PAGING_X86_64_4LEVEL, .any_corr = true };
	struct vmsig_event ev;
	uint64_t c1, c2, v1, v2;
	int err;

	step("Read guest memory: the guest's counter by physical, then by virtual address");
	if ((err = e2ec_mb_read(d.ctl, E2E_OFF_COUNTER, 8, false, &c1)) ||
	    (err = e2ec_mb_wait_change(d.ctl, E2E_OFF_COUNTER, 8, false, c1, STEP_MS, &c2)))
		return fail("counter by physical address: %s", strerror(-err));
	say("counter at guest-physical 0x%x: %llu, then %llu",
	    E2E_MAILBOX_PA + E2E_OFF_COUNTER, (unsigned long long)c1,
	    (unsigned long long)c2);
	if (expect(&m, STEP_MS, &ev, "memctx from the memctx adapter"))
		return -1;
	say("the memctx adapter registered the guest's CR3 0x%llx (read from QEMU)",
	    (unsigned long long)ev.payload.u64[0]);
	if ((err = e2ec_mb_read(d.ctl, E2E_OFF_COUNTER, 8, true, &v1)) ||
	    (err = e2ec_mb_wait_change(d.ctl, E2E_OFF_COUNTER, 8, true, v1, STEP_MS, &v2)))
		return fail("counter by virtual address: %s", strerror(-err));
	say("counter at guest-virtual 0x%llx: %llu, then %llu (the guest's own page tables)",
	    (unsigned long long)(E2E_MAILBOX_VA + E2E_OFF_COUNTER),
	    (unsigned long long)v1, (unsigned long long)v2);
	if (v1 < c2)
		return fail("the virtual view (%llu) is behind the physical one (%llu)",
			    (unsigned long long)v1, (unsigned long long)c2);
	ok("the counter moves, seen both ways");
	return 0;
}

static int step_key(void)
{
	uint64_t token = 0, k0, k1, sc;
	int err;

	step("Press a key under the input lease: the kernel routes it to the input adapter");
	if ((err = e2ec_mb_read(d.ctl, E2E_OFF_KEY_COUNT, 4, true, &k0)))
		return fail("key count: %s", strerror(-err));
	err = e2ec_submit_key(d.ctl, E2EC_KEY_A, true, 100, 0);
	say("without the lease the kernel refuses the key: %s", strerror(-err));
	if (err != -ESTALE)
		return fail("expected %s", strerror(ESTALE));
	err = vmsig_lease_acquire(d.ctl, VMSIG_LEASE_INPUT, 0, 0, 0, &token, NULL);
	if (err)
		return fail("input lease: %s", strerror(-err));
	say("input lease granted, token %llu; 'a' pressed and released", (unsigned long long)token);
	if ((err = e2ec_submit_key(d.ctl, E2EC_KEY_A, true, 101, token)) ||
	    (err = e2ec_submit_key(d.ctl, E2EC_KEY_A, false, 102, token)))
		return fail("submit the key: %s", strerror(-err));
	if (expect_ack(101, "the press") || expect_ack(102, "the release"))
		return -1;
	if ((err = e2ec_mb_wait_eq(d.ctl, E2E_OFF_KEY_COUNT, 4, true, k0 + 2, STEP_MS, &k1)))
		return fail("the guest read %llu bytes from its keyboard, not 2",
			    (unsigned long long)(k1 - k0));
	if ((err = e2ec_mb_read(d.ctl, E2E_OFF_SCANCODE, 4, true, &sc)))
		return fail("scancode: %s", strerror(-err));
	say("the guest's keyboard controller gave it 2 bytes, the last 0x%02llx ('a' released)",
	    (unsigned long long)sc);
	vmsig_lease_release(d.ctl, VMSIG_LEASE_INPUT, token);
	if (sc != E2EC_SC_A_UP)
		return fail("scancode 0x%llx, expected 0x%x", (unsigned long long)sc,
			    E2EC_SC_A_UP);
	ok("the guest saw the key");
	return 0;
}

static int step_memwrite(void)
{
	const uint32_t cmd = E2E_CMD_STEP(1000);
	struct e2ec_match m = { .type = VMSIG_EV_MEMWRITE, .source = -1,
				.any_corr = true };
	uint64_t token = 0, v, c1, c2;
	int err;

	step("Write guest memory under the memwrite lease: the guest's command word");
	err = vmsig_lease_acquire(d.ctl, VMSIG_LEASE_MEMWRITE, 0, 0, 0, &token, NULL);
	if (err)
		return fail("memwrite lease: %s", strerror(-err));
	say("memwrite lease granted, token %llu; writing 0x%08x (\"count by 1000\")",
	    (unsigned long long)token, cmd);
	err = vmsig_mem_write(d.ctl, token, E2E_MAILBOX_PA + E2E_OFF_COMMAND, &cmd,
			      sizeof(cmd), 0, 0);
	if (err)
		return fail("MEMWRITE: %s", strerror(-err));
	if (expect(&m, STEP_MS, NULL, "MEMWRITE record"))
		return -1;
	if ((err = e2ec_mb_wait_eq(d.ctl, E2E_OFF_ACK, 4, false, cmd, STEP_MS, &v)))
		return fail("the guest did not acknowledge the command (ack 0x%llx)",
			    (unsigned long long)v);
	vmsig_lease_release(d.ctl, VMSIG_LEASE_MEMWRITE, token);
	if ((err = e2ec_mb_read(d.ctl, E2E_OFF_COUNTER, 8, true, &c1)) ||
	    (err = e2ec_mb_wait_change(d.ctl, E2E_OFF_COUNTER, 8, true, c1, STEP_MS, &c2)))
		return fail("counter: %s", strerror(-err));
	say("the guest acknowledged it; its counter now goes %llu -> %llu",
	    (unsigned long long)c1, (unsigned long long)c2);
	if ((c2 - c1) % 1000)
		return fail("the counter does not step by 1000");
	ok("the guest reacted to the write");
	return 0;
}

static int step_power(void)
{
	struct e2ec_match pd = { .type = VMSIG_EV_VM_STATE, .source = VMSIG_SRC_VMHOST,
				 .aux = VMSIG_VM_POWERDOWN, .any_corr = true };
	struct e2ec_match sd = { .type = VMSIG_EV_VM_STATE, .source = VMSIG_SRC_VMHOST,
				 .aux = VMSIG_VM_SHUTDOWN, .any_corr = true };
	struct e2ec_match lc = { .type = VMSIG_EV_LIFECYCLE, .source = -1,
				 .aux = VMSIG_LC_VMM_EXIT, .any_corr = true };
	uint64_t token = 0;
	int err, status = 0;

	step("Power down under the power lease: the vmhost adapter presses the ACPI power button");
	err = vmsig_lease_acquire(d.ctl, VMSIG_LEASE_POWER, 0, 0, 0, &token, NULL);
	if (err)
		return fail("power lease: %s", strerror(-err));
	say("power lease granted, token %llu; submitting POWERDOWN", (unsigned long long)token);
	err = e2ec_submit(d.ctl, VMSIG_EV_POWER, VMSIG_SRC_VMHOST, VMSIG_POWER_POWERDOWN,
			  201, token);
	if (err)
		return fail("submit: %s", strerror(-err));
	if (expect_ack(201, "the power button") ||
	    expect(&pd, STEP_MS, NULL, "POWERDOWN state") ||
	    expect(&sd, STEP_MS, NULL, "SHUTDOWN state") ||
	    expect(&lc, STEP_MS, NULL, "VMM exit from the endpoint"))
		return -1;
	if ((err = e2ec_wait_eof(&d.log, STEP_MS)))
		return fail("the endpoint did not hang up: %s", strerror(-err));
	if ((err = e2ec_wait_exit(d.q.pid, STEP_MS, &status)))
		return fail("QEMU still runs");
	d.q.pid = 0;
	say("QEMU exited with status %d; the endpoint hung up (end of file)",
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fail("QEMU did not exit cleanly (status 0x%x)", status);
	ok("the guest powered off");
	return 0;
}

int main(void)
{
	static int (*const steps[NSTEPS])(void) = {
		step_qemu, step_attach, step_bus, step_memory, step_key,
		step_memwrite, step_power,
	};
	int i, rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	d.t0 = e2ec_now_ms();
	d.log.fd = -1;
	printf("vmsig demo: an unmodified QEMU runs a small guest under KVM inside this VM,\n"
	       "and a control built on libvmsig watches and drives it through /dev/vmsig.\n");
	for (i = 0; i < NSTEPS; i++) {
		if (steps[i]()) {
			rc = 1;
			break;
		}
	}
	if (d.running) {
		vmsig_bus_stop(d.bus);
		pthread_join(d.thread, NULL);
	}
	vmsig_bus_free(d.bus);
	e2ec_qemu_stop(&d.q);
	if (rc) {
		char line[256];
		FILE *f = fopen(d.q.qemu_log, "r");

		while (f && fgets(line, sizeof(line), f))
			printf("      qemu: %s", line);
		if (f)
			fclose(f);
	}
	if (d.ctl >= 0)
		close(d.ctl);
	if (d.ep >= 0)
		close(d.ep);
	if (d.dev >= 0)
		close(d.dev);
	printf("\nvmsig demo: %d/%d steps passed in %.1f s%s\n", d.passed, NSTEPS, secs(),
	       rc ? " -- FAILED" : "");
	return rc;
}
