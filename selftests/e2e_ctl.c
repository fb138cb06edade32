// SPDX-License-Identifier: GPL-2.0
/*
 * vmsigctl attach, end to end: inside the test VM, an unmodified QEMU runs
 * the suite's guest (selftests/e2e/guest/) with one QMP socket per stock
 * adapter; "vmsigctl attach --pid ... --serve SOCKET --policy FILE" runs as
 * a child, attached to QEMU by pid with the bus and the three adapters, and
 * serves derived endpoint files.  This test is a control that connects
 * through the broker: it checks the rights the policy granted, sees the
 * retained VM state, types a key under the input lease (routed by the
 * kernel to the input adapter inside vmsigctl) and reads the guest's
 * scancode back; then it stops vmsigctl with SIGTERM, which must detach
 * cleanly (exit 0, every seam unbound), and checks vmsigctl's --json lines.
 *
 * Needs the runner's --with-qemu (QEMU and the guest) and vmsigctl as
 * /bin/vmsigctl (--extra); skips without the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/vmsig.h>

#include "kselftest_harness.h"
#include "vmsig.h"
#include "vmsig_broker.h"
#include "e2e/control.h"

#define VMSIGCTL	"/bin/vmsigctl"
#define PREFIX		"/tmp/e2e-ctl"
#define BROKER_SOCK	"/tmp/e2e-ctl-broker.sock"
#define POLICY		"/tmp/e2e-ctl.policy"
#define CTL_OUT		"/tmp/e2e-ctl-attach.out"
#define CTL_ERR		"/tmp/e2e-ctl-attach.err"

#define BOOT_MS		180000
#define STEP_MS		30000

/* What the policy grants root: read memory and type, nothing else. */
#define GRANTED (VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_LEASE_INPUT | \
		 VMSIG_RIGHT_SUBMIT_INPUT)

static void dump(const char *what, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	fprintf(stderr, "# ---- %s (%s) ----\n", what, path);
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "# %s", line);
	fclose(f);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

/* vmsigctl --json attach ... as a child, its output in files. */
static pid_t start_vmsigctl(const struct e2ec_qemu *q, bool serve)
{
	char pid[16];
	pid_t p;
	int fd;

	snprintf(pid, sizeof(pid), "%d", q->pid);
	/* No output of an earlier run may be mistaken for this one's. */
	unlink(CTL_OUT);
	unlink(CTL_ERR);
	p = fork();
	if (p)
		return p;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(CTL_OUT, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		dup2(fd, 1);
	fd = open(CTL_ERR, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		dup2(fd, 2);
	if (serve)
		execl(VMSIGCTL, VMSIGCTL, "--json", "attach", "--pid", pid,
		      "--qmp", q->host_sock, "--qmp-input", q->input_sock,
		      "--qmp-memctx", q->memctx_sock, "--serve", BROKER_SOCK,
		      "--policy", POLICY, (char *)NULL);
	else
		execl(VMSIGCTL, VMSIGCTL, "--json", "attach", "--pid", pid,
		      "--qmp", q->host_sock, "--qmp-input", q->input_sock,
		      "--qmp-memctx", q->memctx_sock, (char *)NULL);
	dprintf(2, "exec %s: %m\n", VMSIGCTL);
	_exit(127);
}

/* What vmsigctl printed: one JSON object per line; counts what the test wants. */
struct ctl_seen {
	int lines, bad, attached, adapters, serving, granted, vm_state, vmm_exit;
	bool final_ok;
	char reason[32];
};

static void read_ctl_output(struct ctl_seen *s, pid_t qemu)
{
	char line[4096];
	FILE *f = fopen(CTL_OUT, "r");

	memset(s, 0, sizeof(*s));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		json_object *o = json_tokener_parse(line), *v;
		const char *ev = NULL;

		s->lines++;
		if (!o || !json_object_is_type(o, json_type_object)) {
			s->bad++;
			json_object_put(o);
			continue;
		}
		if (json_object_object_get_ex(o, "event", &v))
			ev = json_object_get_string(v);
		if (ev && !strcmp(ev, "attached") &&
		    json_object_object_get_ex(o, "pid", &v) &&
		    json_object_get_int(v) == qemu)
			s->attached++;
		else if (ev && !strcmp(ev, "adapter"))
			s->adapters++;
		else if (ev && !strcmp(ev, "serving"))
			s->serving++;
		else if (ev && !strcmp(ev, "broker") &&
			 json_object_object_get_ex(o, "status", &v) &&
			 json_object_get_int(v) == 0)
			s->granted++;
		else if (ev && !strcmp(ev, "record") &&
			 json_object_object_get_ex(o, "type", &v) &&
			 !strcmp(json_object_get_string(v), "vm_state"))
			s->vm_state++;
		else if (ev && !strcmp(ev, "record") &&
			 json_object_object_get_ex(o, "type", &v) &&
			 !strcmp(json_object_get_string(v), "lifecycle"))
			s->vmm_exit++;
		else if (!ev && json_object_object_get_ex(o, "command", &v) &&
			 !strcmp(json_object_get_string(v), "attach")) {
			s->final_ok = json_object_object_get_ex(o, "ok", &v) &&
				      json_object_get_boolean(v);
			if (json_object_object_get_ex(o, "reason", &v))
				snprintf(s->reason, sizeof(s->reason), "%s",
					 json_object_get_string(v));
		}
		json_object_put(o);
	}
	fclose(f);
}

FIXTURE(e2e_ctl) {
	struct e2ec_qemu q;
	pid_t ctl;
	int fd;
	struct e2ec_log *log;
};

FIXTURE_SETUP(e2e_ctl)
{
	memset(&self->q, 0, sizeof(self->q));
	self->ctl = 0;
	self->fd = -1;
	self->log = calloc(1, sizeof(*self->log));
	ASSERT_NE(NULL, self->log);
}

FIXTURE_TEARDOWN(e2e_ctl)
{
	int status;

	if (self->ctl > 0) {
		kill(self->ctl, SIGKILL);
		waitpid(self->ctl, &status, 0);
	}
	e2ec_qemu_stop(&self->q);
	if (!_metadata->passed) {
		dump("vmsigctl stdout", CTL_OUT);
		dump("vmsigctl stderr", CTL_ERR);
		dump("QEMU", self->q.qemu_log);
		dump("guest serial", self->q.guest_log);
	}
	if (self->fd >= 0)
		close(self->fd);
	free(self->log);
}

TEST_F_TIMEOUT(e2e_ctl, attach_serve, 280)
{
	struct e2ec_match vs = { .type = VMSIG_EV_VM_STATE, .source = VMSIG_SRC_VMHOST,
				 .any_aux = true, .any_corr = true };
	struct e2ec_match ack = { .type = VMSIG_EV_ACT_ACK, .source = -1,
				  .any_aux = true };
	struct vmsig_rights r = { .size = sizeof(r) };
	struct vmsig_event ev;
	struct ctl_seen seen;
	uint64_t rights = 0, token = 0, k0, k1, sc;
	int64_t t0 = e2ec_now_ms(), deadline;
	int dev, probe, err, status = 0;

	if (access(E2EC_GUEST_ELF, R_OK))
		SKIP(return, "%s missing: the runner was not given --with-qemu",
		     E2EC_GUEST_ELF);
	ASSERT_EQ(0, access(E2EC_QEMU_BIN, X_OK));
	ASSERT_EQ(0, access(VMSIGCTL, X_OK)) TH_LOG("the runner brings vmsigctl with --extra");
	ASSERT_EQ(0, write_file(POLICY, "# e2e_ctl: root reads memory and types\n"
					"uid 0 rights mem_read,lease_input,submit_input\n"
					"default deny\n"));

	/* QEMU, and its guest running (seen through an endpoint of our own). */
	dev = vmsig_open(0);
	ASSERT_LE(0, dev);
	err = e2ec_boot(PREFIX, &self->q, dev, &probe, BOOT_MS);
	close(dev);
	if (probe >= 0)
		close(probe);
	ASSERT_EQ(0, err) TH_LOG("QEMU and its guest: %s", strerror(-err));
	TH_LOG("guest running after %lld ms", (long long)(e2ec_now_ms() - t0));

	/* vmsigctl attach --serve; a control asks the broker until it answers. */
	self->ctl = start_vmsigctl(&self->q, true);
	ASSERT_LT(0, self->ctl);
	deadline = e2ec_now_ms() + STEP_MS;
	for (;;) {
		err = vmsig_broker_client_connect(BROKER_SOCK, &self->fd, &rights);
		if (!err || (err != -ENOENT && err != -ECONNREFUSED) ||
		    e2ec_now_ms() > deadline)
			break;
		ASSERT_EQ(0, waitpid(self->ctl, &status, WNOHANG))
			TH_LOG("vmsigctl exited, status 0x%x", status);
		e2ec_sleep_ms(20);
	}
	ASSERT_EQ(0, err) TH_LOG("broker: %s", strerror(-err));
	TH_LOG("connected through the broker after %lld ms",
	       (long long)(e2ec_now_ms() - t0));

	/* Exactly what the policy says, and the kernel agrees. */
	EXPECT_EQ(GRANTED, rights);
	ASSERT_EQ(0, ioctl(self->fd, VMSIG_IOC_GET_RIGHTS, &r));
	EXPECT_EQ(GRANTED, r.rights);
	EXPECT_EQ(-EPERM, vmsig_lease_acquire(self->fd, VMSIG_LEASE_POWER, 0, 0, 0,
					      &token, NULL));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fcntl(self->fd, F_GETFL) | O_NONBLOCK));
	self->log->fd = self->fd;

	/* The vmhost adapter inside vmsigctl published the state: retained. */
	ASSERT_EQ(0, e2ec_expect(self->log, &vs, STEP_MS, &ev));
	EXPECT_EQ(VMSIG_VM_RUNNING, ev.aux);
	EXPECT_TRUE(ev.flags & VMSIG_EVF_REPLAY);

	/* A key, under the input lease, through vmsigctl's input adapter. */
	ASSERT_EQ(0, e2ec_mb_read(self->fd, E2E_OFF_KEY_COUNT, 4, false, &k0));
	err = vmsig_lease_acquire(self->fd, VMSIG_LEASE_INPUT, 0, 0, 0, &token, NULL);
	ASSERT_EQ(0, err) TH_LOG("input lease: %s", strerror(-err));
	ASSERT_EQ(0, e2ec_submit_key(self->fd, E2EC_KEY_A, true, 1, token));
	ASSERT_EQ(0, e2ec_submit_key(self->fd, E2EC_KEY_A, false, 2, token));
	ack.corr = 1;
	ASSERT_EQ(0, e2ec_expect(self->log, &ack, STEP_MS, &ev));
	EXPECT_EQ(0, ev.aux);
	ack.corr = 2;
	ASSERT_EQ(0, e2ec_expect(self->log, &ack, STEP_MS, &ev));
	EXPECT_EQ(0, ev.aux);
	ASSERT_EQ(0, e2ec_mb_wait_eq(self->fd, E2E_OFF_KEY_COUNT, 4, false, k0 + 2,
				     STEP_MS, &k1));
	ASSERT_EQ(0, e2ec_mb_read(self->fd, E2E_OFF_SCANCODE, 4, false, &sc));
	EXPECT_EQ(E2EC_SC_A_UP, sc);
	TH_LOG("key typed and seen after %lld ms", (long long)(e2ec_now_ms() - t0));

	/* SIGTERM: vmsigctl detaches cleanly and says so. */
	ASSERT_EQ(0, kill(self->ctl, SIGTERM));
	err = e2ec_wait_exit(self->ctl, STEP_MS, &status);
	ASSERT_EQ(0, err) TH_LOG("vmsigctl still runs after SIGTERM");
	self->ctl = 0;
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("vmsigctl status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Its seams are unbound: nobody takes input any more. */
	EXPECT_EQ(-ENXIO, e2ec_submit_key(self->fd, E2EC_KEY_A, true, 3, token));
	/* The broker's socket went with it. */
	EXPECT_NE(0, access(BROKER_SOCK, F_OK));

	read_ctl_output(&seen, self->q.pid);
	EXPECT_EQ(0, seen.bad) TH_LOG("%d of %d lines are not JSON objects",
				      seen.bad, seen.lines);
	EXPECT_EQ(1, seen.attached);
	EXPECT_EQ(3, seen.adapters);
	EXPECT_EQ(1, seen.serving);
	EXPECT_EQ(1, seen.granted);
	EXPECT_LE(1, seen.vm_state);
	EXPECT_TRUE(seen.final_ok);
	EXPECT_EQ(0, strcmp(seen.reason, "signal")) TH_LOG("reason '%s'", seen.reason);
}

/*
 * Without --serve, until the VM goes away: QEMU quits (SIGTERM), and
 * vmsigctl prints the endpoint's last records and exits 0 by itself.
 */
TEST_F_TIMEOUT(e2e_ctl, attach_until_vm_exit, 280)
{
	struct ctl_seen seen;
	int64_t deadline;
	int dev, probe, err, status = 0;
	char line[4096];
	bool running = false;
	FILE *f;

	if (access(E2EC_GUEST_ELF, R_OK))
		SKIP(return, "%s missing: the runner was not given --with-qemu",
		     E2EC_GUEST_ELF);
	ASSERT_EQ(0, access(VMSIGCTL, X_OK));
	dev = vmsig_open(0);
	ASSERT_LE(0, dev);
	err = e2ec_boot(PREFIX, &self->q, dev, &probe, BOOT_MS);
	close(dev);
	if (probe >= 0)
		close(probe);
	ASSERT_EQ(0, err) TH_LOG("QEMU and its guest: %s", strerror(-err));

	self->ctl = start_vmsigctl(&self->q, false);
	ASSERT_LT(0, self->ctl);
	/* Running once it says so (its adapters are up). */
	deadline = e2ec_now_ms() + STEP_MS;
	while (!running && e2ec_now_ms() < deadline) {
		f = fopen(CTL_OUT, "r");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "\"event\":\"running\""))
				running = true;
		if (f)
			fclose(f);
		ASSERT_EQ(0, waitpid(self->ctl, &status, WNOHANG))
			TH_LOG("vmsigctl exited, status 0x%x", status);
		e2ec_sleep_ms(20);
	}
	ASSERT_TRUE(running);

	/* QEMU quits; vmsigctl must notice and end by itself. */
	ASSERT_EQ(0, kill(self->q.pid, SIGTERM));
	ASSERT_EQ(0, e2ec_wait_exit(self->q.pid, STEP_MS, &status));
	self->q.pid = 0;
	err = e2ec_wait_exit(self->ctl, STEP_MS, &status);
	ASSERT_EQ(0, err) TH_LOG("vmsigctl still runs after the VM exited");
	self->ctl = 0;
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("vmsigctl status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));

	read_ctl_output(&seen, 0);
	EXPECT_EQ(0, seen.bad);
	EXPECT_EQ(3, seen.adapters);
	EXPECT_EQ(0, seen.serving);
	EXPECT_LE(1, seen.vm_state);
	EXPECT_EQ(1, seen.vmm_exit) TH_LOG("the lifecycle record was not printed");
	EXPECT_TRUE(seen.final_ok);
	EXPECT_EQ(0, strcmp(seen.reason, "vm_exit")) TH_LOG("reason '%s'", seen.reason);
}

TEST_HARNESS_MAIN
