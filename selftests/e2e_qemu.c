// SPDX-License-Identifier: GPL-2.0
/*
 * End to end with an unmodified QEMU: inside the test VM, the Debian
 * qemu-system-x86_64 runs the suite's multiboot guest (selftests/e2e/guest/)
 * under nested KVM.  This test is the control: it attaches to QEMU's KVM VM
 * by pid, follows the guest's counter by physical and by virtual address,
 * types a key through QMP and sees the guest record it, changes the guest's
 * command word with a MEMWRITE and sees the guest react, presses the power
 * button and sees the endpoint hang up as QEMU exits.
 *
 * What QEMU is asked to do goes through the small e2e_qmp_* functions (over
 * libvmsig's QMP client).  The second test, e2e_bus.adapters, runs the same
 * loop the way libvmsig means it: a bus with the vmhost, input and memctx
 * adapters, and a control that speaks only vmsig (leased DOWN records,
 * ACKs, the adapters' events).
 *
 * The runner provides QEMU, its libraries and firmware and the guest with
 * run.sh --with-qemu; without the guest the test skips.  Nested KVM under
 * TCG is slow, so every wait is generous and bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/vmsig.h>

#include "kselftest_harness.h"
#include "vmsig_attach.h"
#include "vmsig_qmp.h"
#include "vmsig.h"
#include "vmsig_bus.h"
#include "e2e/guest/layout.h"
#include "e2e/control.h"

#define QEMU_BIN	"/usr/bin/qemu-system-x86_64"
#define GUEST_ELF	"/e2e/guest.elf"
#define QMP_SOCK	"/tmp/e2e-qmp.sock"
#define GUEST_LOG	"/tmp/e2e-guest.log"
#define QEMU_LOG	"/tmp/e2e-qemu.log"

/* Waits, in milliseconds.  Boot covers QEMU start-up and SeaBIOS. */
#define BOOT_MS		180000
#define STEP_MS		30000
#define EXIT_MS		60000
#define QMP_CMD_MS	30000

/* PS/2 scancode set 1 (the controller translates) of the 'a' key. */
#define SC_A_DOWN	0x1e
#define SC_A_UP		0x9e

/* ------------------------------------------------------ vmsig, raw uapi */

static int mem_read(int ep, uint64_t addr, void *buf, uint32_t len, bool virt)
{
	struct vmsig_mem_entry e = {
		.addr = addr, .buf = (uintptr_t)buf, .len = len,
		.flags = virt ? VMSIG_MEM_VIRT : 0,
	};
	struct vmsig_mem_read r = {
		.size = sizeof(r), .entries = (uintptr_t)&e, .count = 1,
	};

	if (ioctl(ep, VMSIG_IOC_MEM_READ, &r) < 0)
		return -errno;
	return e.status;
}

/* One mailbox field of 4 or 8 bytes, by physical or virtual address. */
static int mb_read(int ep, unsigned int off, unsigned int len, bool virt,
		   uint64_t *val)
{
	uint64_t base = virt ? E2E_MAILBOX_VA : E2E_MAILBOX_PA;

	*val = 0;
	return mem_read(ep, base + off, val, len, virt);
}

static int set_memctx(int ep, uint64_t cr3)
{
	struct vmsig_memctx m = {
		.size = sizeof(m), .root = cr3, .mode = VMSIG_PAGING_X86_64_4LEVEL,
	};

	return ioctl(ep, VMSIG_IOC_SET_MEMCTX, &m) < 0 ? -errno : 0;
}

static int lease(int ep, unsigned long cmd, uint32_t cls, uint64_t *token)
{
	struct vmsig_lease l = {
		.size = sizeof(l), .lease_class = cls, .token = *token,
	};

	if (ioctl(ep, cmd, &l) < 0)
		return -errno;
	*token = l.token;
	return 0;
}

static int mem_write_u32(int ep, uint64_t addr, uint32_t v, uint64_t token,
			 bool virt)
{
	struct vmsig_mem_write w = {
		.size = sizeof(w), .flags = virt ? VMSIG_WRITE_VIRT : 0,
		.addr = addr, .buf = (uintptr_t)&v, .len = sizeof(v),
		.token = token,
	};

	return ioctl(ep, VMSIG_IOC_MEM_WRITE, &w) < 0 ? -errno : 0;
}

static int mem_cas_u32(int ep, uint64_t addr, uint32_t expect, uint32_t v,
		       uint64_t token, bool virt, uint32_t *swapped)
{
	struct vmsig_mem_write w = {
		.size = sizeof(w), .addr = addr, .len = sizeof(v),
		.flags = VMSIG_WRITE_CAS | (virt ? VMSIG_WRITE_VIRT : 0),
		.token = token, .expect = expect, .value = v,
	};

	if (ioctl(ep, VMSIG_IOC_MEM_WRITE, &w) < 0)
		return -errno;
	*swapped = w.swapped;
	return 0;
}

/*
 * Wait until a mailbox field satisfies want(); the last value read is left
 * in *val.  Read errors count as "not yet" until the deadline (the guest's
 * memory may not exist yet while QEMU starts), then the last one is returned.
 */
static int mb_wait(int ep, unsigned int off, unsigned int len, bool virt,
		   bool (*want)(uint64_t v, uint64_t arg), uint64_t arg,
		   int timeout_ms, uint64_t *val)
{
	int64_t deadline = e2ec_now_ms() + timeout_ms;
	int err;

	for (;;) {
		err = mb_read(ep, off, len, virt, val);
		if (!err && want(*val, arg))
			return 0;
		if (e2ec_now_ms() > deadline)
			return err ? err : -ETIMEDOUT;
		e2ec_sleep_ms(20);
	}
}

static bool is_eq(uint64_t v, uint64_t arg)
{
	return v == arg;
}

static bool is_ge(uint64_t v, uint64_t arg)
{
	return v >= arg;
}

static bool is_ne(uint64_t v, uint64_t arg)
{
	return v != arg;
}

/* ------------------------------------------------------- QEMU and QMP */

/*
 * The VMM: an unmodified QEMU with KVM, no default devices, the guest as a
 * multiboot kernel.  -cpu qemu64: the vCPU model must not depend on what the
 * nested SVM of the test VM reports.  -machine pc: the i8042 keyboard and
 * the PIIX4 power button the guest polls.  It dies with its parent, so a
 * test killed by a timeout does not leave it running.
 */
static pid_t e2e_qemu_start(void)
{
	static char *const argv[] = {
		QEMU_BIN, "-accel", "kvm", "-cpu", "qemu64", "-machine", "pc",
		"-m", "64", "-smp", "1", "-nodefaults", "-display", "none",
		"-no-user-config", "-kernel", GUEST_ELF,
		"-qmp", "unix:" QMP_SOCK ",server=on,wait=off",
		"-serial", "file:" GUEST_LOG, NULL,
	};
	pid_t pid;
	int fd;

	unlink(QMP_SOCK);
	unlink(GUEST_LOG);
	pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(QEMU_LOG, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execv(QEMU_BIN, argv);
	dprintf(2, "exec %s: %m\n", QEMU_BIN);
	_exit(127);
}

/* QMP after the guest runs: QEMU greets only once its main loop does. */
static int e2e_qmp_open(struct vmsig_qmp **q)
{
	int err = vmsig_qmp_connect(QMP_SOCK, q);

	if (!err)
		err = vmsig_qmp_set_timeout(*q, QMP_CMD_MS);
	return err;
}

/* The guest's CR3, from QEMU's register dump ("... CR3=0000000000101000 ..."). */
static int e2e_qmp_guest_cr3(struct vmsig_qmp *q, uint64_t *cr3)
{
	char *text, *p;
	int err = vmsig_qmp_hmp(q, "info registers", &text);

	if (err)
		return err;
	p = strstr(text, "CR3=");
	err = p ? 0 : -EBADMSG;
	if (p)
		*cr3 = strtoull(p + 4, NULL, 16);
	free(text);
	return err;
}

static json_object *key_event(const char *qcode, bool down)
{
	json_object *key = json_object_new_object();
	json_object *data = json_object_new_object();
	json_object *ev = json_object_new_object();

	json_object_object_add(key, "type", json_object_new_string("qcode"));
	json_object_object_add(key, "data", json_object_new_string(qcode));
	json_object_object_add(data, "down", json_object_new_boolean(down));
	json_object_object_add(data, "key", key);
	json_object_object_add(ev, "type", json_object_new_string("key"));
	json_object_object_add(ev, "data", data);
	return ev;
}

/* Press and release one key (a QKeyCode name) on the guest's keyboard. */
static int e2e_qmp_type_key(struct vmsig_qmp *q, const char *qcode)
{
	json_object *args = json_object_new_object();
	json_object *evs = json_object_new_array();
	int err;

	json_object_array_add(evs, key_event(qcode, true));
	json_object_array_add(evs, key_event(qcode, false));
	json_object_object_add(args, "events", evs);
	err = vmsig_qmp_execute(q, "input-send-event", args, NULL);
	json_object_put(args);
	return err;
}

/* ACPI power button; the guest answers by entering S5. */
static int e2e_qmp_powerdown(struct vmsig_qmp *q)
{
	return vmsig_qmp_execute(q, "system_powerdown", NULL, NULL);
}

static int e2e_qmp_quit(struct vmsig_qmp *q)
{
	return vmsig_qmp_execute(q, "quit", NULL, NULL);
}

/* Was event @name (with data.reason @reason, unless NULL) seen on QMP? */
static bool e2e_qmp_saw_event(struct vmsig_qmp *q, const char *name,
			      const char *reason)
{
	struct vmsig_qmp_event ev;
	json_object *r;
	bool seen = false;

	/* The socket closes with QEMU: whatever was read is queued. */
	vmsig_qmp_read_events(q);
	while (vmsig_qmp_next_event(q, &ev) == 1) {
		if (!strcmp(ev.name, name) &&
		    (!reason || (ev.data &&
				 json_object_object_get_ex(ev.data, "reason", &r) &&
				 !strcmp(json_object_get_string(r), reason))))
			seen = true;
		vmsig_qmp_event_release(&ev);
	}
	return seen;
}

static void dump_file(const char *what, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "# %s: %s: %s\n", what, path, strerror(errno));
		return;
	}
	fprintf(stderr, "# ---- %s (%s) ----\n", what, path);
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "# %s", line);
	fclose(f);
}

/* ------------------------------------------------------------- fixture */

FIXTURE(e2e) {
	pid_t qemu;
	int dev;
	int ep;
	struct vmsig_qmp *qmp;
	int64_t t0;
};

/*
 * Nothing that can fail is set up here: a failing set-up skips the
 * teardown, which stops QEMU and shows its logs, so booting is a step.
 */
FIXTURE_SETUP(e2e)
{
	self->qemu = 0;
	self->dev = -1;
	self->ep = -1;
	self->qmp = NULL;
}

FIXTURE_TEARDOWN(e2e)
{
	int status;

	if (self->qemu > 0 && waitpid(self->qemu, &status, WNOHANG) == 0) {
		/* Still running: the test failed before powering it down. */
		if (self->qmp)
			e2e_qmp_quit(self->qmp);
		if (e2ec_wait_exit(self->qemu, 10000, &status)) {
			kill(self->qemu, SIGKILL);
			waitpid(self->qemu, &status, 0);
		}
	}
	if (!_metadata->passed) {
		dump_file("QEMU", QEMU_LOG);
		dump_file("guest serial", GUEST_LOG);
	}
	vmsig_qmp_close(self->qmp);
	if (self->ep >= 0)
		close(self->ep);
	if (self->dev >= 0)
		close(self->dev);
}

/* -------------------------------------------------------------- steps */

/*
 * Start QEMU, attach to its VM by pid, wait for the guest's magic (read
 * through vmsig), then speak QMP.
 */
static void step_boot(struct __test_metadata *_metadata,
		      FIXTURE_DATA(e2e) *self)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .backend = VMSIG_BACKEND_KVM,
	};
	int64_t deadline;
	uint64_t magic;
	int vm, err, status = 0;

	self->dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->t0 = e2ec_now_ms();
	self->qemu = e2e_qemu_start();
	ASSERT_LT(0, self->qemu);

	/* By pid, as any control would: QEMU creates its VM early in start-up. */
	deadline = e2ec_now_ms() + BOOT_MS;
	for (;;) {
		vm = vmsig_take_kvm_vm_fd(self->qemu);
		if (vm >= 0 || (vm != -ENOENT && vm != -EAGAIN) ||
		    e2ec_now_ms() > deadline)
			break;
		/* A QEMU that cannot start must not cost the whole wait. */
		ASSERT_EQ(0, waitpid(self->qemu, &status, WNOHANG))
			TH_LOG("QEMU exited during start-up, status 0x%x", status);
		e2ec_sleep_ms(20);
	}
	ASSERT_LE(0, vm) TH_LOG("take QEMU's KVM VM fd: %s", strerror(-vm));
	at.fd = vm;
	self->ep = ioctl(self->dev, VMSIG_IOC_ATTACH, &at);
	err = errno;
	/* The endpoint holds the VM now; our copy of the fd is not needed. */
	close(vm);
	ASSERT_LE(0, self->ep) TH_LOG("attach: %s", strerror(err));
	TH_LOG("QEMU pid %d attached after %lld ms", self->qemu,
	       (long long)(e2ec_now_ms() - self->t0));

	/*
	 * The guest writes its magic last in its set-up.  Until its RAM
	 * exists reads fail; they count as "not yet" while QEMU lives.
	 */
	for (;;) {
		err = mb_read(self->ep, E2E_OFF_MAGIC, 8, false, &magic);
		if ((!err && magic == E2E_MAGIC) || e2ec_now_ms() > deadline)
			break;
		ASSERT_EQ(0, waitpid(self->qemu, &status, WNOHANG))
			TH_LOG("QEMU exited during boot, status 0x%x", status);
		e2ec_sleep_ms(20);
	}
	ASSERT_EQ(0, err) TH_LOG("guest magic: %s", strerror(-err));
	ASSERT_EQ(E2E_MAGIC, magic) TH_LOG("no guest magic after %d s",
					   BOOT_MS / 1000);
	TH_LOG("guest running after %lld ms", (long long)(e2ec_now_ms() - self->t0));

	err = e2e_qmp_open(&self->qmp);
	ASSERT_EQ(0, err) TH_LOG("QMP: %s", strerror(-err));
}

static void check_fault(struct __test_metadata *_metadata, int ep)
{
	uint64_t fault = 0, rip = 0;

	ASSERT_EQ(0, mb_read(ep, E2E_OFF_FAULT, 8, false, &fault));
	mb_read(ep, E2E_OFF_FAULT_RIP, 8, false, &rip);
	ASSERT_EQ(0, fault) TH_LOG("guest took exception %llu at 0x%llx",
				   (unsigned long long)fault - 1,
				   (unsigned long long)rip);
}

/* The counter moves, read by guest-physical address. */
static void step_counter_phys(struct __test_metadata *_metadata, int ep)
{
	uint64_t c1, c2;

	ASSERT_EQ(0, mb_read(ep, E2E_OFF_COUNTER, 8, false, &c1));
	ASSERT_EQ(0, mb_wait(ep, E2E_OFF_COUNTER, 8, false, is_ne, c1,
			     STEP_MS, &c2));
	EXPECT_GT(c2, c1);
}

/*
 * CR3 from the VMM, checked against what the guest itself loaded; then the
 * counter by virtual address, through the guest's own page tables.
 */
static void step_memctx(struct __test_metadata *_metadata, int ep,
			struct vmsig_qmp *q)
{
	uint64_t cr3 = 0, guest_cr3, v1, v2, p, junk;
	int err;

	err = e2e_qmp_guest_cr3(q, &cr3);
	ASSERT_EQ(0, err) TH_LOG("info registers: %s", strerror(-err));
	ASSERT_EQ(0, mb_read(ep, E2E_OFF_CR3, 8, false, &guest_cr3));
	ASSERT_EQ(guest_cr3, cr3);

	/* No memctx yet: a virtual read has nothing to translate with. */
	EXPECT_EQ(-ENODATA, mb_read(ep, E2E_OFF_COUNTER, 8, true, &v1));
	ASSERT_EQ(0, set_memctx(ep, cr3));

	ASSERT_EQ(0, mb_read(ep, E2E_OFF_MAGIC, 8, true, &v1));
	EXPECT_EQ(E2E_MAGIC, v1);
	ASSERT_EQ(0, mb_read(ep, E2E_OFF_COUNTER, 8, true, &v1));
	ASSERT_EQ(0, mb_wait(ep, E2E_OFF_COUNTER, 8, true, is_ne, v1,
			     STEP_MS, &v2));
	EXPECT_GT(v2, v1);
	/* Same page both ways: the physical view has caught up or passed. */
	ASSERT_EQ(0, mb_read(ep, E2E_OFF_COUNTER, 8, false, &p));
	EXPECT_GE(p, v2);
	/* The guest maps 2 MiB of higher half: the next 2 MiB is not there. */
	EXPECT_EQ(-ENXIO, mem_read(ep, E2E_KERNBASE + 0x200000, &junk, 8, true));
	/* The identity map is a 2 MiB page: the mailbox's own address works. */
	ASSERT_EQ(0, mem_read(ep, E2E_MAILBOX_PA + E2E_OFF_MAGIC, &v1, 8, true));
	EXPECT_EQ(E2E_MAGIC, v1);
}

/* A key typed through QMP lands in guest memory, read back by vmsig. */
static void step_keyboard(struct __test_metadata *_metadata, int ep,
			  struct vmsig_qmp *q)
{
	uint64_t k0, k1, sc;
	int err;

	ASSERT_EQ(0, mb_read(ep, E2E_OFF_KEY_COUNT, 4, true, &k0));
	err = e2e_qmp_type_key(q, "a");
	ASSERT_EQ(0, err) TH_LOG("input-send-event: %s", strerror(-err));
	/* Press and release: two bytes, the release (make | 0x80) last. */
	ASSERT_EQ(0, mb_wait(ep, E2E_OFF_KEY_COUNT, 4, true, is_ge, k0 + 2,
			     STEP_MS, &k1)) TH_LOG("key count stays %llu",
						  (unsigned long long)k1);
	EXPECT_EQ(k0 + 2, k1);
	ASSERT_EQ(0, mb_read(ep, E2E_OFF_SCANCODE, 4, true, &sc));
	EXPECT_EQ(SC_A_UP, sc);
	EXPECT_EQ(SC_A_DOWN | 0x80, SC_A_UP);
}

/*
 * Under the memwrite lease: one plain write by physical address and one
 * compare-and-swap by virtual address of the command word; the guest acts
 * on each (its counter step changes) and acknowledges it.
 */
static void step_memwrite(struct __test_metadata *_metadata, int ep)
{
	const uint32_t cmd1 = E2E_CMD_STEP(7), cmd2 = E2E_CMD_STEP(1000);
	uint64_t token = 0, v, c1, c2, n0;
	uint32_t swapped = 0;
	int err;

	/* Without the lease nothing is written. */
	EXPECT_EQ(-ESTALE, mem_write_u32(ep, E2E_MAILBOX_PA + E2E_OFF_COMMAND,
					 cmd1, 1, false));
	ASSERT_EQ(0, lease(ep, VMSIG_IOC_LEASE_ACQUIRE, VMSIG_LEASE_MEMWRITE,
			   &token));
	ASSERT_EQ(0, mb_read(ep, E2E_OFF_CMD_COUNT, 4, false, &n0));

	err = mem_write_u32(ep, E2E_MAILBOX_PA + E2E_OFF_COMMAND, cmd1, token,
			    false);
	ASSERT_EQ(0, err) TH_LOG("MEMWRITE: %s", strerror(-err));
	ASSERT_EQ(0, mb_wait(ep, E2E_OFF_ACK, 4, false, is_eq, cmd1, STEP_MS, &v))
		TH_LOG("ack 0x%llx", (unsigned long long)v);
	ASSERT_EQ(0, mb_read(ep, E2E_OFF_STEP, 8, false, &v));
	EXPECT_EQ(7, v);
	/* The ack is written after the step: every later increment is by 7. */
	ASSERT_EQ(0, mb_read(ep, E2E_OFF_COUNTER, 8, false, &c1));
	ASSERT_EQ(0, mb_wait(ep, E2E_OFF_COUNTER, 8, false, is_ne, c1,
			     STEP_MS, &c2));
	EXPECT_EQ(0, (c2 - c1) % 7) TH_LOG("counter %llu -> %llu",
					   (unsigned long long)c1,
					   (unsigned long long)c2);

	/* A CAS that expects the wrong word stores nothing. */
	ASSERT_EQ(0, mem_cas_u32(ep, E2E_MAILBOX_VA + E2E_OFF_COMMAND, cmd2,
				 cmd2, token, true, &swapped));
	EXPECT_EQ(0, swapped);
	ASSERT_EQ(0, mem_cas_u32(ep, E2E_MAILBOX_VA + E2E_OFF_COMMAND, cmd1,
				 cmd2, token, true, &swapped));
	EXPECT_EQ(1, swapped);
	ASSERT_EQ(0, mb_wait(ep, E2E_OFF_ACK, 4, true, is_eq, cmd2, STEP_MS, &v));
	ASSERT_EQ(0, mb_read(ep, E2E_OFF_STEP, 8, true, &v));
	EXPECT_EQ(1000, v);
	ASSERT_EQ(0, mb_read(ep, E2E_OFF_CMD_COUNT, 4, true, &v));
	EXPECT_EQ(n0 + 2, v);

	ASSERT_EQ(0, lease(ep, VMSIG_IOC_LEASE_RELEASE, VMSIG_LEASE_MEMWRITE,
			   &token));
	EXPECT_EQ(-ESTALE, mem_write_u32(ep, E2E_MAILBOX_PA + E2E_OFF_COMMAND,
					 cmd1, token, false));
}

/*
 * Power button: the guest enters S5, QEMU reports SHUTDOWN and exits 0, its
 * address space goes away, and the endpoint says so (LIFECYCLE, then HUP).
 */
static void step_powerdown(struct __test_metadata *_metadata, int ep,
			   struct vmsig_qmp *q, pid_t qemu)
{
	struct epoll_event ee = { .events = EPOLLIN };
	struct vmsig_event evs[64];
	bool lifecycle = false, memwrite = false;
	int epfd, status = 0, err, n, i;
	int64_t deadline;
	ssize_t len;

	err = e2e_qmp_powerdown(q);
	ASSERT_EQ(0, err) TH_LOG("system_powerdown: %s", strerror(-err));
	err = e2ec_wait_exit(qemu, EXIT_MS, &status);
	ASSERT_EQ(0, err) TH_LOG("QEMU still runs after the power button");
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("QEMU status 0x%x", status);
	EXPECT_TRUE(e2e_qmp_saw_event(q, "SHUTDOWN", "guest-shutdown"));

	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	ASSERT_EQ(0, epoll_ctl(epfd, EPOLL_CTL_ADD, ep, &ee));
	deadline = e2ec_now_ms() + STEP_MS;
	/* Drain whatever the run queued, until the endpoint hangs up. */
	for (;;) {
		n = epoll_wait(epfd, &ee, 1, 1000);
		ASSERT_LE(0, n);
		if (n && (ee.events & EPOLLIN)) {
			len = read(ep, evs, sizeof(evs));
			ASSERT_LE(0, len);
			for (i = 0; i < len / (ssize_t)sizeof(evs[0]); i++) {
				if (evs[i].type == VMSIG_EV_LIFECYCLE &&
				    evs[i].aux == VMSIG_LC_VMM_EXIT)
					lifecycle = true;
				if (evs[i].type == VMSIG_EV_MEMWRITE &&
				    evs[i].payload.u64[0] ==
				    E2E_MAILBOX_PA + E2E_OFF_COMMAND && !evs[i].aux)
					memwrite = true;
			}
			if (len)
				continue;
		}
		if (n && (ee.events & EPOLLHUP) && lifecycle)
			break;
		ASSERT_LT(e2ec_now_ms(), deadline) TH_LOG("no hang-up from the endpoint");
	}
	close(epfd);
	EXPECT_TRUE(lifecycle);
	EXPECT_TRUE(memwrite);
	/* The address space is gone: reads say so. */
	EXPECT_EQ(-ESRCH, mb_read(ep, E2E_OFF_COUNTER, 8, false, &(uint64_t){ 0 }));
}

TEST_F_TIMEOUT(e2e, chain, 280)
{
	int64_t t;

	/* The harness runs the test after a SKIP() in the set-up: skip here. */
	if (access(GUEST_ELF, R_OK))
		SKIP(return, "%s missing: the runner was not given --with-qemu",
		     GUEST_ELF);
	/* With the guest the runner brings QEMU too: a missing one is a bug. */
	ASSERT_EQ(0, access(QEMU_BIN, X_OK));
	step_boot(_metadata, self);
	t = e2ec_now_ms();
	step_counter_phys(_metadata, self->ep);
	check_fault(_metadata, self->ep);
	TH_LOG("counter by physical address: %lld ms", (long long)(e2ec_now_ms() - t));
	t = e2ec_now_ms();
	step_memctx(_metadata, self->ep, self->qmp);
	TH_LOG("memctx, counter by virtual address: %lld ms",
	       (long long)(e2ec_now_ms() - t));
	t = e2ec_now_ms();
	step_keyboard(_metadata, self->ep, self->qmp);
	TH_LOG("key typed and seen: %lld ms", (long long)(e2ec_now_ms() - t));
	t = e2ec_now_ms();
	step_memwrite(_metadata, self->ep);
	TH_LOG("memwrite commands: %lld ms", (long long)(e2ec_now_ms() - t));
	check_fault(_metadata, self->ep);
	t = e2ec_now_ms();
	step_powerdown(_metadata, self->ep, self->qmp, self->qemu);
	TH_LOG("power down, hang-up: %lld ms; whole run %lld ms",
	       (long long)(e2ec_now_ms() - t), (long long)(e2ec_now_ms() - self->t0));
}

/* ==================================================================
 * The same loop through libvmsig's bus and its stock adapters
 *
 * Here the test is a control as the library means it: a bus (in its own
 * thread) owns the endpoint file QEMU was attached with and runs the
 * vmhost, input and memctx adapters, each on its own QMP socket; the test
 * speaks only vmsig, from a file derived with a control's rights.  It
 * never talks to QEMU itself: the VM's state comes from vmhost, the CR3
 * from memctx, the key and the power button go down as leased DOWN
 * records that the kernel routes to the adapters.
 * ================================================================== */

#define BUS_PREFIX	"/tmp/e2e-bus"
/* What a control needs, and nothing more: no memctx, no emit, no sink. */
#define BUS_CTL_RIGHTS	(VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_MEM_WRITE | \
			 VMSIG_RIGHT_SUBMIT_INPUT | VMSIG_RIGHT_SUBMIT_POWER | \
			 VMSIG_RIGHT_LEASE_INPUT | VMSIG_RIGHT_LEASE_POWER | \
			 VMSIG_RIGHT_LEASE_MEMWRITE)
/* The memctx adapter blocks the loop for its commands: keep it short. */
#define MEMCTX_CMD_MS	5000

FIXTURE(e2e_bus) {
	struct e2ec_qemu q;
	int dev;
	int ep;			/* the bus's endpoint file */
	int ctl;		/* the control's derived file */
	struct vmsig_bus *bus;
	pthread_t thread;
	bool running;
	int bus_ret;
	struct e2ec_log *log;
	int64_t t0;
};

static void bus_log_event(void *arg, const struct vmsig_event *ev)
{
	int64_t *t0 = arg;
	char line[256];

	fprintf(stderr, "# %6lld ms  %s\n", (long long)(e2ec_now_ms() - *t0),
		e2ec_describe(ev, line, sizeof(line)));
}

static void *bus_thread(void *arg)
{
	FIXTURE_DATA(e2e_bus) *self = arg;

	self->bus_ret = vmsig_bus_run(self->bus);
	return NULL;
}

FIXTURE_SETUP(e2e_bus)
{
	memset(&self->q, 0, sizeof(self->q));
	self->dev = self->ep = self->ctl = -1;
	self->bus = NULL;
	self->running = false;
	self->bus_ret = 0;
	self->log = calloc(1, sizeof(*self->log));
	ASSERT_NE(NULL, self->log);
	self->log->fd = -1;
	self->log->on_event = bus_log_event;
	self->log->arg = &self->t0;
}

FIXTURE_TEARDOWN(e2e_bus)
{
	if (self->running) {
		vmsig_bus_stop(self->bus);
		pthread_join(self->thread, NULL);
	}
	/* Closes the adapters (their QMP connections) and unbinds the seams. */
	vmsig_bus_free(self->bus);
	e2ec_qemu_stop(&self->q);
	if (!_metadata->passed) {
		dump_file("QEMU", self->q.qemu_log);
		dump_file("guest serial", self->q.guest_log);
	}
	if (self->ctl >= 0)
		close(self->ctl);
	if (self->ep >= 0)
		close(self->ep);
	if (self->dev >= 0)
		close(self->dev);
	free(self->log);
}

/*
 * QEMU with three QMP sockets, attached by pid; once the guest runs, a bus
 * on the attach file with the three adapters, a control file derived from
 * it with a control's rights, and the bus's thread.
 */
static void bus_boot(struct __test_metadata *_metadata,
		     FIXTURE_DATA(e2e_bus) *self)
{
	struct vmsig_vmhost_cfg host;
	struct vmsig_input_cfg input;
	struct vmsig_memctx_cfg memctx;
	struct vmsig_rights r = { .size = sizeof(r) };
	int err;

	self->dev = vmsig_open(0);
	ASSERT_LE(0, self->dev) TH_LOG("/dev/vmsig: %s", strerror(-self->dev));
	self->t0 = e2ec_now_ms();
	err = e2ec_boot(BUS_PREFIX, &self->q, self->dev, &self->ep, BOOT_MS);
	ASSERT_EQ(0, err) TH_LOG("QEMU pid %d and its guest: %s", self->q.pid,
				 strerror(-err));
	TH_LOG("guest running after %lld ms", (long long)(e2ec_now_ms() - self->t0));

	err = vmsig_bus_new(self->ep, &self->bus);
	ASSERT_EQ(0, err) TH_LOG("bus: %s", strerror(-err));
	e2ec_adapter_cfgs(&self->q, QMP_CMD_MS, &host, &input, &memctx);
	memctx.qmp.timeout_ms = MEMCTX_CMD_MS;
	err = vmsig_bus_add_adapter(self->bus, vmsig_vmhost_ops(), &host);
	ASSERT_EQ(0, err) TH_LOG("vmhost adapter: %s", strerror(-err));
	err = vmsig_bus_add_adapter(self->bus, vmsig_input_ops(), &input);
	ASSERT_EQ(0, err) TH_LOG("input adapter: %s", strerror(-err));
	err = vmsig_bus_add_adapter(self->bus, vmsig_memctx_ops(), &memctx);
	ASSERT_EQ(0, err) TH_LOG("memctx adapter: %s", strerror(-err));
	ASSERT_EQ(3, vmsig_bus_adapter_count(self->bus));

	self->ctl = vmsig_derive(self->ep, BUS_CTL_RIGHTS,
				 VMSIG_DERIVE_RIGHTS | VMSIG_ATTACH_NONBLOCK);
	ASSERT_LE(0, self->ctl) TH_LOG("derive: %s", strerror(-self->ctl));
	ASSERT_EQ(0, ioctl(self->ctl, VMSIG_IOC_GET_RIGHTS, &r));
	ASSERT_EQ(BUS_CTL_RIGHTS, r.rights);
	self->log->fd = self->ctl;

	ASSERT_EQ(0, pthread_create(&self->thread, NULL, bus_thread, self));
	self->running = true;
}

/* vmhost published the run state at attach; it is retained, so it is replayed. */
static void bus_state(struct __test_metadata *_metadata,
		      FIXTURE_DATA(e2e_bus) *self)
{
	struct e2ec_match m = { .type = VMSIG_EV_VM_STATE,
				.source = VMSIG_SRC_VMHOST, .any_aux = true,
				.any_corr = true };
	struct vmsig_event ev;

	ASSERT_EQ(0, e2ec_expect(self->log, &m, STEP_MS, &ev));
	EXPECT_EQ(VMSIG_VM_RUNNING, ev.aux);
	EXPECT_TRUE(ev.flags & VMSIG_EVF_REPLAY);
	EXPECT_TRUE(ev.payload.u32[0] & VMSIG_VMHOST_F_STATUS);
	EXPECT_EQ(0, strcmp((char *)&ev.payload.bytes[4], "running"));
	/* The control was given no memctx right: that is the adapter's job. */
	EXPECT_EQ(-EPERM, vmsig_set_memctx(self->ctl, 0x1000,
					   VMSIG_PAGING_X86_64_4LEVEL, NULL));
}

/*
 * The counter by physical address; once memctx registered the guest's CR3
 * (the kernel announces it), by virtual address.
 */
static void bus_memory(struct __test_metadata *_metadata,
		       FIXTURE_DATA(e2e_bus) *self)
{
	/* The kernel publishes it on the memctx seam. */
	struct e2ec_match m = { .type = VMSIG_EV_MEMCTX,
				.source = VMSIG_SRC_MEMCTX,
				.aux = VMSIG_PAGING_X86_64_4LEVEL, .any_corr = true };
	struct vmsig_memctx mc;
	struct vmsig_event ev;
	uint64_t c1, c2, cr3, v, p;
	int ctl = self->ctl;

	ASSERT_EQ(0, e2ec_mb_read(ctl, E2E_OFF_COUNTER, 8, false, &c1));
	ASSERT_EQ(0, e2ec_mb_wait_change(ctl, E2E_OFF_COUNTER, 8, false, c1,
					 STEP_MS, &c2));
	EXPECT_GT(c2, c1);

	ASSERT_EQ(0, e2ec_expect(self->log, &m, STEP_MS, &ev))
		TH_LOG("no memctx from the memctx adapter");
	ASSERT_EQ(0, e2ec_mb_read(ctl, E2E_OFF_CR3, 8, false, &cr3));
	EXPECT_EQ(cr3 & ~0xfffULL, ev.payload.u64[0] & ~0xfffULL);
	ASSERT_EQ(0, vmsig_get_memctx(ctl, &mc));
	EXPECT_EQ(VMSIG_PAGING_X86_64_4LEVEL, mc.mode);
	EXPECT_EQ(cr3 & ~0xfffULL, mc.root & ~0xfffULL);

	ASSERT_EQ(0, e2ec_mb_read(ctl, E2E_OFF_MAGIC, 8, true, &v));
	EXPECT_EQ(E2E_MAGIC, v);
	ASSERT_EQ(0, e2ec_mb_read(ctl, E2E_OFF_COUNTER, 8, true, &c1));
	ASSERT_EQ(0, e2ec_mb_wait_change(ctl, E2E_OFF_COUNTER, 8, true, c1,
					 STEP_MS, &c2));
	EXPECT_GT(c2, c1);
	ASSERT_EQ(0, e2ec_mb_read(ctl, E2E_OFF_COUNTER, 8, false, &p));
	EXPECT_GE(p, c2);
}

static void expect_ack(struct __test_metadata *_metadata,
		       FIXTURE_DATA(e2e_bus) *self, uint64_t corr)
{
	struct e2ec_match m = { .type = VMSIG_EV_ACT_ACK, .source = -1,
				.any_aux = true, .corr = corr };
	struct vmsig_event ev;

	ASSERT_EQ(0, e2ec_expect(self->log, &m, STEP_MS, &ev))
		TH_LOG("no ACK for corr %llu", (unsigned long long)corr);
	ASSERT_EQ(0, ev.aux) TH_LOG("corr %llu: %s", (unsigned long long)corr,
				    strerror(-ev.aux));
}

/* A leased key press and release, routed to the input adapter; the guest sees it. */
static void bus_key(struct __test_metadata *_metadata,
		    FIXTURE_DATA(e2e_bus) *self)
{
	struct e2ec_match lm = { .type = VMSIG_EV_LEASE, .source = VMSIG_SRC_KERNEL,
				 .aux = VMSIG_LEASE_INPUT, .any_corr = true };
	struct vmsig_event ev;
	uint64_t token = 0, k0, k1, sc;
	int ctl = self->ctl, err;

	ASSERT_EQ(0, e2ec_mb_read(ctl, E2E_OFF_KEY_COUNT, 4, true, &k0));
	/* No lease, no input: the kernel refuses before any adapter sees it. */
	EXPECT_EQ(-ESTALE, e2ec_submit_key(ctl, E2EC_KEY_A, true, 10, 0));
	err = vmsig_lease_acquire(ctl, VMSIG_LEASE_INPUT, 0, 0, 0, &token, NULL);
	ASSERT_EQ(0, err) TH_LOG("input lease: %s", strerror(-err));
	ASSERT_EQ(0, e2ec_expect(self->log, &lm, STEP_MS, &ev));
	EXPECT_EQ(token, ev.payload.u64[0]);
	EXPECT_EQ(VMSIG_LEASE_EV_GRANTED, ev.payload.u32[3]);

	ASSERT_EQ(0, e2ec_submit_key(ctl, E2EC_KEY_A, true, 11, token));
	ASSERT_EQ(0, e2ec_submit_key(ctl, E2EC_KEY_A, false, 12, token));
	expect_ack(_metadata, self, 11);
	expect_ack(_metadata, self, 12);
	/* Press and release: two bytes, the release (make | 0x80) last. */
	ASSERT_EQ(0, e2ec_mb_wait_eq(ctl, E2E_OFF_KEY_COUNT, 4, true, k0 + 2,
				     STEP_MS, &k1))
		TH_LOG("key count %llu, wanted %llu", (unsigned long long)k1,
		       (unsigned long long)k0 + 2);
	ASSERT_EQ(0, e2ec_mb_read(ctl, E2E_OFF_SCANCODE, 4, true, &sc));
	EXPECT_EQ(E2EC_SC_A_UP, sc);

	ASSERT_EQ(0, vmsig_lease_release(ctl, VMSIG_LEASE_INPUT, token));
	EXPECT_EQ(-ESTALE, e2ec_submit_key(ctl, E2EC_KEY_A, true, 13, token));
}

/* The command word, under the memwrite lease: a write and a CAS; the guest reacts. */
static void bus_memwrite(struct __test_metadata *_metadata,
			 FIXTURE_DATA(e2e_bus) *self)
{
	const uint32_t cmd1 = E2E_CMD_STEP(7), cmd2 = E2E_CMD_STEP(3);
	struct e2ec_match wm = { .type = VMSIG_EV_MEMWRITE,
				 .source = VMSIG_SRC_KERNEL, .any_corr = true };
	struct vmsig_event ev;
	uint64_t token = 0, n0, v, old = 0;
	int ctl = self->ctl, err;

	ASSERT_EQ(0, e2ec_mb_read(ctl, E2E_OFF_CMD_COUNT, 4, false, &n0));
	err = vmsig_lease_acquire(ctl, VMSIG_LEASE_MEMWRITE, 0, 0, 0, &token, NULL);
	ASSERT_EQ(0, err) TH_LOG("memwrite lease: %s", strerror(-err));
	err = vmsig_mem_write(ctl, token, E2E_MAILBOX_PA + E2E_OFF_COMMAND,
			      &cmd1, sizeof(cmd1), 0, 0);
	ASSERT_EQ(0, err) TH_LOG("MEMWRITE: %s", strerror(-err));
	ASSERT_EQ(0, e2ec_expect(self->log, &wm, STEP_MS, &ev));
	EXPECT_EQ(E2E_MAILBOX_PA + E2E_OFF_COMMAND, ev.payload.u64[0]);
	EXPECT_EQ(token, ev.corr);
	ASSERT_EQ(0, e2ec_mb_wait_eq(ctl, E2E_OFF_ACK, 4, false, cmd1, STEP_MS, &v))
		TH_LOG("ack 0x%llx", (unsigned long long)v);
	ASSERT_EQ(0, e2ec_mb_read(ctl, E2E_OFF_STEP, 8, false, &v));
	EXPECT_EQ(7, v);

	/* By virtual address, through the memctx the adapter registered. */
	err = vmsig_mem_cas(ctl, token, E2E_MAILBOX_VA + E2E_OFF_COMMAND, 4,
			    cmd1, cmd2, VMSIG_WRITE_VIRT, 0, &old);
	ASSERT_EQ(1, err) TH_LOG("CAS: %d, found 0x%llx", err,
				 (unsigned long long)old);
	ASSERT_EQ(0, e2ec_mb_wait_eq(ctl, E2E_OFF_ACK, 4, true, cmd2, STEP_MS, &v));
	ASSERT_EQ(0, e2ec_mb_read(ctl, E2E_OFF_STEP, 8, true, &v));
	EXPECT_EQ(3, v);
	ASSERT_EQ(0, e2ec_mb_read(ctl, E2E_OFF_CMD_COUNT, 4, true, &v));
	EXPECT_EQ(n0 + 2, v);
	ASSERT_EQ(0, vmsig_lease_release(ctl, VMSIG_LEASE_MEMWRITE, token));
}

/*
 * The power button as a leased DOWN record: vmhost presses it (QMP
 * system_powerdown) and ACKs, QEMU reports POWERDOWN and, once the guest
 * entered S5, SHUTDOWN; QEMU exits, the endpoint says so and hangs up, and
 * the bus loop ends with it.
 */
static void bus_power(struct __test_metadata *_metadata,
		      FIXTURE_DATA(e2e_bus) *self)
{
	struct e2ec_match pd = { .type = VMSIG_EV_VM_STATE, .source = VMSIG_SRC_VMHOST,
				 .aux = VMSIG_VM_POWERDOWN, .any_corr = true };
	struct e2ec_match sd = { .type = VMSIG_EV_VM_STATE, .source = VMSIG_SRC_VMHOST,
				 .aux = VMSIG_VM_SHUTDOWN, .any_corr = true };
	struct e2ec_match lc = { .type = VMSIG_EV_LIFECYCLE, .source = VMSIG_SRC_KERNEL,
				 .aux = VMSIG_LC_VMM_EXIT, .any_corr = true };
	struct vmsig_bus_stats st;
	struct vmsig_event ev;
	struct timespec ts;
	uint64_t token = 0, v;
	int ctl = self->ctl, err, status = 0;

	EXPECT_EQ(-ESTALE, e2ec_submit(ctl, VMSIG_EV_POWER, VMSIG_SRC_VMHOST,
				       VMSIG_POWER_POWERDOWN, 20, 0));
	err = vmsig_lease_acquire(ctl, VMSIG_LEASE_POWER, 0, 0, 0, &token, NULL);
	ASSERT_EQ(0, err) TH_LOG("power lease: %s", strerror(-err));
	ASSERT_EQ(0, e2ec_submit(ctl, VMSIG_EV_POWER, VMSIG_SRC_VMHOST,
				 VMSIG_POWER_POWERDOWN, 21, token));
	expect_ack(_metadata, self, 21);
	ASSERT_EQ(0, e2ec_expect(self->log, &pd, STEP_MS, &ev))
		TH_LOG("no POWERDOWN state from vmhost");
	ASSERT_EQ(0, e2ec_expect(self->log, &sd, EXIT_MS, &ev))
		TH_LOG("no SHUTDOWN state from vmhost");
	EXPECT_TRUE(ev.payload.u32[0] & VMSIG_VMHOST_F_GUEST);
	ASSERT_EQ(0, e2ec_expect(self->log, &lc, EXIT_MS, &ev))
		TH_LOG("no VMM exit from the endpoint");
	ASSERT_EQ(0, e2ec_wait_eof(self->log, STEP_MS)) TH_LOG("no end of file");

	err = e2ec_wait_exit(self->q.pid, EXIT_MS, &status);
	ASSERT_EQ(0, err) TH_LOG("QEMU still runs after the power button");
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("QEMU status 0x%x", status);
	self->q.pid = 0;
	EXPECT_EQ(-ESRCH, e2ec_mb_read(ctl, E2E_OFF_COUNTER, 8, false, &v));

	/* The endpoint is dead: the loop ends by itself, with -EPIPE. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += STEP_MS / 1000;
	ASSERT_EQ(0, pthread_timedjoin_np(self->thread, NULL, &ts))
		TH_LOG("the bus loop did not end with the endpoint");
	self->running = false;
	EXPECT_EQ(-EPIPE, self->bus_ret);
	vmsig_bus_get_stats(self->bus, &st);
	TH_LOG("bus: %llu emitted, %llu routed, %llu bus ACKs, %llu emit errors, %llu adapters dropped",
	       (unsigned long long)st.emitted, (unsigned long long)st.routed,
	       (unsigned long long)st.bus_acks, (unsigned long long)st.emit_errors,
	       (unsigned long long)st.adapters_failed);
	/* Two keys and the power button went through adapters. */
	EXPECT_GE(st.routed, 3);
	EXPECT_EQ(0, st.bus_acks);
}

TEST_F_TIMEOUT(e2e_bus, adapters, 280)
{
	int64_t t;

	if (access(GUEST_ELF, R_OK))
		SKIP(return, "%s missing: the runner was not given --with-qemu",
		     GUEST_ELF);
	ASSERT_EQ(0, access(QEMU_BIN, X_OK));
	bus_boot(_metadata, self);
	t = e2ec_now_ms();
	bus_state(_metadata, self);
	bus_memory(_metadata, self);
	TH_LOG("state, counter by physical and virtual address: %lld ms",
	       (long long)(e2ec_now_ms() - t));
	t = e2ec_now_ms();
	bus_key(_metadata, self);
	TH_LOG("leased key seen by the guest: %lld ms", (long long)(e2ec_now_ms() - t));
	t = e2ec_now_ms();
	bus_memwrite(_metadata, self);
	TH_LOG("leased memwrite acted on: %lld ms", (long long)(e2ec_now_ms() - t));
	t = e2ec_now_ms();
	bus_power(_metadata, self);
	TH_LOG("power down to hang-up: %lld ms; whole run %lld ms",
	       (long long)(e2ec_now_ms() - t), (long long)(e2ec_now_ms() - self->t0));
}

TEST_HARNESS_MAIN
