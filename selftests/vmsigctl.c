// SPDX-License-Identifier: GPL-2.0
/*
 * vmsigctl in the VM: status, load/unload through libkmod, attach-info,
 * list/leases, read/write/cas, watch, audit and top, run as a user would (the real binary, /bin/vmsigctl, copied in by the
 * runner's --extra) with the --json output parsed and checked field by
 * field, and the human output checked for its key lines.
 *
 * Some tests unload vmsig.  /init loaded it before the tests and unloads it
 * after them, so every test leaves it loaded, even when it fails half-way
 * (the fixture's teardown loads it back without vmsigctl).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/vmsig.h>

#include "kselftest_harness.h"
#include "vmm.h"

#define VMSIGCTL "/bin/vmsigctl"
#define MODULE_KO "/lib/modules/vmsig.ko"
#define SYS_MODULE "/sys/module/vmsig"

struct run {
	int rc;			/* exit status, or -1 when not exited */
	size_t out_len;		/* bytes in @out (raw output may hold NULs) */
	char out[16384];	/* stdout */
	char err[4096];		/* stderr */
	json_object *json;	/* stdout parsed, when it is JSON */
};

static size_t read_memfd(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

/*
 * Run vmsigctl with @argv (NULL-terminated, without argv[0]); @keep_fd, when
 * not negative, is handed to it as descriptor @keep_fd.
 */
static void run_ctl_as(struct run *r, int keep_fd, uid_t uid, const char *const *argv)
{
	const char *args[16] = { VMSIGCTL };
	int out = memfd_create("out", 0), err = memfd_create("err", 0), st;
	pid_t pid;

	for (int i = 0; argv[i] && i < 14; i++)
		args[i + 1] = argv[i];
	memset(r, 0, sizeof(*r));
	r->rc = -1;
	if (out < 0 || err < 0)
		return;
	pid = fork();
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		/* dup2() onto itself would keep FD_CLOEXEC: clear it instead. */
		if (keep_fd >= 0)
			fcntl(keep_fd, F_SETFD, 0);
		/* An unprivileged user: no capabilities survive the exec. */
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(126);
		execv(VMSIGCTL, (char *const *)args);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		r->rc = WEXITSTATUS(st);
	r->out_len = read_memfd(out, r->out, sizeof(r->out));
	read_memfd(err, r->err, sizeof(r->err));
	r->json = json_tokener_parse(r->out);
}

static void run_ctl(struct run *r, int keep_fd, const char *const *argv)
{
	run_ctl_as(r, keep_fd, 0, argv);
}

#define CTL(r, ...) run_ctl(r, -1, (const char *const[]){ __VA_ARGS__, NULL })
#define CTL_FD(r, fd, ...) run_ctl(r, fd, (const char *const[]){ __VA_ARGS__, NULL })
#define CTL_AS(r, uid, ...) run_ctl_as(r, -1, uid, (const char *const[]){ __VA_ARGS__, NULL })

static void run_free(struct run *r)
{
	json_object_put(r->json);
	r->json = NULL;
}

/* Member at dotted @path ("module.loaded") of @o, or NULL. */
static json_object *jget(json_object *o, const char *path)
{
	char buf[128], *save, *key;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && o; key = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
	return o;
}

static int jtype(json_object *o, const char *path)
{
	return json_object_get_type(jget(o, path));
}

static const char *jstr(json_object *o, const char *path)
{
	json_object *v = jget(o, path);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static int64_t jint(json_object *o, const char *path)
{
	return json_object_get_int64(jget(o, path));
}

static int jbool(json_object *o, const char *path)
{
	json_object *v = jget(o, path);

	return json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : -1;
}

/* Whether the string array at @path holds @s. */
static int jhas(json_object *o, const char *path, const char *s)
{
	json_object *a = jget(o, path);

	if (!json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return 1;
	return 0;
}

static int loaded(void)
{
	return access(SYS_MODULE, F_OK) == 0;
}

/* Load vmsig.ko without vmsigctl, so teardown works when vmsigctl does not. */
static int ensure_loaded(void)
{
	int fd, ret;

	if (loaded())
		return 0;
	fd = open(MODULE_KO, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret == -EEXIST ? 0 : ret;
}

static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (fd >= 0)
		close(fd);
}

FIXTURE(ctl) {
	struct run r;
};

FIXTURE_SETUP(ctl)
{
	ASSERT_EQ(0, access(VMSIGCTL, X_OK))
		TH_LOG("%s missing: run.sh needs --extra build/bin/vmsigctl", VMSIGCTL);
	ASSERT_EQ(0, ensure_loaded());
}

FIXTURE_TEARDOWN(ctl)
{
	run_free(&self->r);
	EXPECT_EQ(0, ensure_loaded());
}

TEST_F(ctl, status_json)
{
	struct vmsig_api api = { .size = sizeof(api) };
	json_object *j;
	char version[128];
	int dev;

	dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, ioctl(dev, VMSIG_IOC_GET_API, &api));
	close(dev);
	read_file(SYS_MODULE "/version", version, sizeof(version));

	CTL(&self->r, "status", "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", self->r.out);
	EXPECT_STREQ("status", jstr(j, "command"));
	EXPECT_EQ(1, jbool(j, "ok"));
	EXPECT_EQ(1, jbool(j, "module.loaded"));
	EXPECT_STREQ("live", jstr(j, "module.state"));
	EXPECT_STREQ(version, jstr(j, "module.version"));
	/* vmsigctl reads the count before it opens the device itself. */
	EXPECT_EQ(0, jint(j, "module.refcnt"));
	/* The VM has no /lib/modules/<release>: nothing is installed. */
	EXPECT_EQ(json_type_null, jtype(j, "module.installed"));
	EXPECT_NE(0, strlen(jstr(j, "kernel")));
	EXPECT_NE(0, strlen(jstr(j, "library")));
	EXPECT_EQ(VMSIG_ABI_VERSION, jint(j, "api.abi_version"));
	EXPECT_EQ(api.features, json_object_get_uint64(jget(j, "api.features")));
	EXPECT_EQ(api.ioctls, json_object_get_uint64(jget(j, "api.ioctls")));
	EXPECT_TRUE(jhas(j, "api.feature_names", "handshake"));
	EXPECT_TRUE(jhas(j, "api.ioctl_names", "get_api"));
	EXPECT_EQ(!!(api.features & VMSIG_FEAT_BACKEND_KVM),
		  jhas(j, "api.feature_names", "backend_kvm"));
	EXPECT_EQ(!!(api.ioctls & (1ULL << _IOC_NR(VMSIG_IOC_EP_INFO))),
		  jhas(j, "api.ioctl_names", "ep_info"));
	/* One name per set bit, none invented. */
	EXPECT_EQ(__builtin_popcountll(api.features),
		  json_object_array_length(jget(j, "api.feature_names")));
	EXPECT_EQ(__builtin_popcountll(api.ioctls),
		  json_object_array_length(jget(j, "api.ioctl_names")));
	EXPECT_EQ(json_type_null, jtype(j, "error"));
	EXPECT_STREQ("", self->r.err);
}

TEST_F(ctl, status_human)
{
	CTL(&self->r, "status");
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(NULL, self->r.json);
	EXPECT_NE(NULL, strstr(self->r.out, "module:    loaded (live), version "));
	EXPECT_NE(NULL, strstr(self->r.out, "\nABI:       1\n"));
	EXPECT_NE(NULL, strstr(self->r.out, "\nfeatures:  handshake"));
	/* Numbered order; commands added later may come in between. */
	EXPECT_NE(NULL, strstr(self->r.out, "\nioctls:    get_api attach "));
	EXPECT_NE(NULL, strstr(self->r.out, " ep_info "));
}

TEST_F(ctl, usage_errors)
{
	CTL(&self->r, "frobnicate");
	EXPECT_EQ(2, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown command 'frobnicate'"));
	run_free(&self->r);
	CTL(&self->r, "attach-info", "--json");
	EXPECT_EQ(2, self->r.rc);
	EXPECT_STREQ("", self->r.out);
	run_free(&self->r);
	CTL(&self->r, "--help");
	EXPECT_EQ(0, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.out, "attach-info"));
}

/* An open /dev/vmsig, then an endpoint alone, each pin the module. */
TEST_F(ctl, unload_refused_while_in_use)
{
	struct vmsig_attach at = { .size = sizeof(at), .backend = VMSIG_BACKEND_NONE, .fd = -1 };
	int dev, ep;

	dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	CTL(&self->r, "unload", "--json");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_EQ(0, jbool(self->r.json, "ok"));
	EXPECT_EQ(1, jbool(self->r.json, "loaded"));
	EXPECT_EQ(1, jint(self->r.json, "refcnt"));
	EXPECT_NE(NULL, strstr(jstr(self->r.json, "error"), "in use"));
	EXPECT_NE(NULL, strstr(self->r.err, "vmsig is in use: 1 open file on"));
	EXPECT_TRUE(loaded());
	run_free(&self->r);

	ep = ioctl(dev, VMSIG_IOC_ATTACH, &at);
	ASSERT_LE(0, ep) TH_LOG("attach none: %s", strerror(errno));
	close(dev);
	CTL(&self->r, "unload");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "in use"));
	EXPECT_TRUE(loaded());
	close(ep);
}

TEST_F(ctl, unload_and_load)
{
	json_object *j;

	CTL(&self->r, "unload", "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(1, jbool(j, "ok"));
	EXPECT_EQ(1, jbool(j, "was_loaded"));
	EXPECT_EQ(0, jbool(j, "loaded"));
	EXPECT_FALSE(loaded());
	EXPECT_NE(0, access("/dev/vmsig", F_OK));
	run_free(&self->r);

	/* Unloading what is not loaded is not an error. */
	CTL(&self->r, "unload", "--json");
	EXPECT_EQ(0, self->r.rc);
	EXPECT_EQ(0, jbool(self->r.json, "was_loaded"));
	run_free(&self->r);

	CTL(&self->r, "status", "--json");
	j = self->r.json;
	EXPECT_EQ(1, self->r.rc);
	EXPECT_EQ(0, jbool(j, "module.loaded"));
	EXPECT_EQ(json_type_null, jtype(j, "module.state"));
	EXPECT_EQ(json_type_null, jtype(j, "api"));
	EXPECT_STREQ("vmsig is not loaded", jstr(j, "error"));
	run_free(&self->r);

	CTL(&self->r, "status");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.out, "module:    not loaded\n"));
	EXPECT_NE(NULL, strstr(self->r.err, "vmsig is not loaded"));
	run_free(&self->r);

	/* The listings need the netlink family, which comes with the module. */
	CTL(&self->r, "list", "--json");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(jstr(self->r.json, "error"), "vmsig is not loaded"));
	EXPECT_NE(NULL, strstr(jstr(self->r.json, "hint"), "vmsigctl load"));
	run_free(&self->r);
	CTL(&self->r, "top", "--once");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "vmsig is not loaded"));
	run_free(&self->r);

	/* No /lib/modules/<release> in the VM: the helpful message. */
	CTL(&self->r, "load", "--json");
	j = self->r.json;
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(jstr(j, "error"), "not installed for the running kernel"));
	EXPECT_NE(NULL, strstr(jstr(j, "hint"), "make dkms-install"));
	EXPECT_FALSE(loaded());
	run_free(&self->r);

	CTL(&self->r, "load", "--module", "/nonexistent.ko");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "cannot read /nonexistent.ko"));
	run_free(&self->r);
	CTL(&self->r, "load", "--module", "/init");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "not a kernel module"));
	EXPECT_FALSE(loaded());
	run_free(&self->r);

	CTL(&self->r, "load", "--module", MODULE_KO, "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(1, jbool(j, "ok"));
	EXPECT_EQ(1, jbool(j, "loaded"));
	EXPECT_EQ(0, jbool(j, "already_loaded"));
	EXPECT_STREQ(MODULE_KO, jstr(j, "path"));
	EXPECT_NE(0, strlen(jstr(j, "version")));
	EXPECT_TRUE(loaded());
	EXPECT_EQ(0, access("/dev/vmsig", F_OK));
	run_free(&self->r);

	CTL(&self->r, "load", "--module", MODULE_KO);
	EXPECT_EQ(0, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.out, "already loaded"));
	run_free(&self->r);

	CTL(&self->r, "status", "--json");
	EXPECT_EQ(0, self->r.rc);
	EXPECT_EQ(1, jbool(self->r.json, "module.loaded"));
	EXPECT_EQ(VMSIG_ABI_VERSION, jint(self->r.json, "api.abi_version"));
}

/* The test process is the VMM: it made the VM, so it is vmm_pid. */
TEST_F(ctl, attach_info_kvm_fd)
{
	struct vmm vm;
	json_object *j;
	char fdstr[16];

	ASSERT_EQ(0, vmm_create(&vm));
	snprintf(fdstr, sizeof(fdstr), "%d", vm.vm_fd);
	CTL_FD(&self->r, vm.vm_fd, "attach-info", "--kvm-fd", fdstr, "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(1, jbool(j, "ok"));
	EXPECT_STREQ("kvm", jstr(j, "backend"));
	EXPECT_EQ(getpid(), jint(j, "vmm_pid"));
	EXPECT_LT(0, jint(j, "ep_id"));
	EXPECT_EQ(json_type_int, jtype(j, "epoch"));
	run_free(&self->r);

	CTL_FD(&self->r, vm.vm_fd, "attach-info", "--kvm-fd", fdstr);
	EXPECT_EQ(0, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.out, "backend:   kvm\n"));
	vmm_destroy(&vm);
}

/* --pid takes the VM fd out of the VMM with pidfd_getfd(). */
TEST_F(ctl, attach_info_pid)
{
	char pid[16];
	struct vmm vm;
	json_object *j;

	ASSERT_EQ(0, vmm_create(&vm));
	snprintf(pid, sizeof(pid), "%d", getpid());
	CTL(&self->r, "attach-info", "--pid", pid, "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ("kvm", jstr(j, "backend"));
	EXPECT_EQ(getpid(), jint(j, "vmm_pid"));
	EXPECT_EQ(getpid(), jint(j, "pid"));
	vmm_destroy(&vm);
	run_free(&self->r);

	/* Without a VM there is nothing to take. */
	CTL(&self->r, "attach-info", "--pid", pid, "--json");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(jstr(self->r.json, "error"), "holds no KVM VM"));
}

TEST_F(ctl, attach_info_not_a_vm)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char fdstr[16];

	ASSERT_LE(0, fd);
	snprintf(fdstr, sizeof(fdstr), "%d", fd);
	CTL_FD(&self->r, fd, "attach-info", "--kvm-fd", fdstr, "--json");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_EQ(EINVAL, jint(self->r.json, "errno"));
	EXPECT_NE(NULL, strstr(jstr(self->r.json, "error"), "attach failed"));
	run_free(&self->r);
	close(fd);

	/* A descriptor that is not open in vmsigctl. */
	CTL(&self->r, "attach-info", "--kvm-fd", "999");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "--kvm-fd 999"));
}


/* --------------------------------------------- endpoints and memory --- */

#define SLOT_GPA	0x100000ULL
#define SLOT_SIZE	0x10000ULL
#define PT_GPA		0x200000ULL
#define PT_SIZE		0x10000ULL
#define GVA		0x7f0000400000ULL
#define SEED		0x5eedULL

/* A VM of our own (we are its VMM) with one patterned slot and an endpoint. */
struct epvm {
	struct vmm vm;
	struct vmm_slot *slot;
	int ep;
	uint32_t ep_id;
	char id[16];
};

static int epvm_create(struct epvm *e)
{
	struct vmsig_attach at = { .size = sizeof(at), .backend = VMSIG_BACKEND_KVM };
	int dev, ret;

	memset(e, 0, sizeof(*e));
	e->ep = -1;
	ret = vmm_create(&e->vm);
	if (ret)
		return ret;
	e->slot = vmm_add_slot(&e->vm, SLOT_GPA, SLOT_SIZE, 0, 0);
	if (!e->slot)
		return -errno;
	vmm_slot_fill_pattern(e->slot, SEED);
	dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	at.fd = e->vm.vm_fd;
	e->ep = ioctl(dev, VMSIG_IOC_ATTACH, &at);
	ret = e->ep < 0 ? -errno : 0;
	close(dev);
	e->ep_id = at.ep_id;
	snprintf(e->id, sizeof(e->id), "%u", at.ep_id);
	return ret;
}

static void epvm_destroy(struct epvm *e)
{
	if (e->ep >= 0)
		close(e->ep);
	e->ep = -1;
	vmm_destroy(&e->vm);
}

static int lease_op(int ep, unsigned long cmd, uint64_t ttl_ns, uint64_t *token)
{
	struct vmsig_lease l = {
		.size = sizeof(l), .lease_class = VMSIG_LEASE_MEMWRITE,
		.ttl_ns = ttl_ns, .token = cmd == VMSIG_IOC_LEASE_ACQUIRE ? 0 : *token,
	};

	if (ioctl(ep, cmd, &l))
		return -errno;
	if (cmd == VMSIG_IOC_LEASE_ACQUIRE)
		*token = l.token;
	return 0;
}

/* The entry of @arr whose @key is @val, or NULL. */
static json_object *jfind(json_object *arr, const char *key, int64_t val)
{
	if (!json_object_is_type(arr, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);

		if (jint(o, key) == val)
			return o;
	}
	return NULL;
}

static json_object *jfind_str(json_object *arr, const char *key, const char *val)
{
	if (!json_object_is_type(arr, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);

		if (!strcmp(jstr(o, key), val))
			return o;
	}
	return NULL;
}

static void hex_of(const void *p, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", ((const uint8_t *)p)[i]);
}

TEST_F(ctl, list_and_leases)
{
	json_object *j, *ep, *l;
	uint64_t token = 0;
	struct epvm e;
	char line[64];

	ASSERT_EQ(0, epvm_create(&e));
	ASSERT_EQ(0, lease_op(e.ep, VMSIG_IOC_LEASE_ACQUIRE, 30ULL * 1000000000, &token));

	CTL(&self->r, "list", "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(1, jbool(j, "ok"));
	ep = jfind(jget(j, "endpoints"), "ep_id", e.ep_id);
	ASSERT_NE(NULL, ep) TH_LOG("endpoint %u not listed: %s", e.ep_id, self->r.out);
	EXPECT_STREQ("kvm", jstr(ep, "backend"));
	EXPECT_EQ(getpid(), jint(ep, "vmm_pid"));
	EXPECT_EQ(1, jint(ep, "subscribers"));
	EXPECT_EQ(VMSIG_LEASE_CLASSES, json_object_array_length(jget(ep, "leases")));
	l = jfind_str(jget(ep, "leases"), "class", "memwrite");
	ASSERT_NE(NULL, l);
	EXPECT_EQ(1, jbool(l, "held"));
	EXPECT_EQ(getpid(), jint(l, "holder_pid"));
	EXPECT_EQ(0, jbool(jfind_str(jget(ep, "leases"), "class", "input"), "held"));
	run_free(&self->r);

	CTL(&self->r, "list");
	EXPECT_EQ(0, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.out, "BACKEND"));
	snprintf(line, sizeof(line), "memwrite:%d", getpid());
	EXPECT_NE(NULL, strstr(self->r.out, line)) TH_LOG("%s", self->r.out);
	run_free(&self->r);

	CTL(&self->r, "leases", "--ep", e.id, "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(1, jint(j, "held"));
	EXPECT_EQ(VMSIG_LEASE_CLASSES, json_object_array_length(jget(j, "leases")));
	l = jfind_str(jget(j, "leases"), "class", "memwrite");
	ASSERT_NE(NULL, l);
	EXPECT_EQ(e.ep_id, jint(l, "ep_id"));
	EXPECT_EQ(getpid(), jint(l, "holder_pid"));
	EXPECT_EQ(token, json_object_get_uint64(jget(l, "token")));
	EXPECT_LT(0, jint(l, "expires_in_ms"));
	EXPECT_GE(30000, jint(l, "expires_in_ms"));
	run_free(&self->r);

	CTL(&self->r, "leases", "--ep", e.id);
	EXPECT_EQ(0, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.out, "memwrite"));
	EXPECT_NE(NULL, strstr(self->r.out, "in "));
	run_free(&self->r);

	CTL(&self->r, "list", "--ep", "999999", "--json");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_STREQ("no endpoint 999999", jstr(self->r.json, "error"));
	run_free(&self->r);

	/* The family answers CAP_NET_ADMIN only. */
	CTL_AS(&self->r, 65534, "list", "--json");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_EQ(EPERM, jint(self->r.json, "errno"));
	EXPECT_NE(NULL, strstr(jstr(self->r.json, "hint"), "CAP_NET_ADMIN"));
	epvm_destroy(&e);
}

TEST_F(ctl, read_memory)
{
	uint8_t want[256];
	char hex[2 * sizeof(want) + 1], cr3[32], addr[32];
	struct vmm_pt pt;
	struct epvm e;
	json_object *j;

	ASSERT_EQ(0, epvm_create(&e));
	vmm_pattern_fill(SLOT_GPA + 0x10, want, 64, SEED);
	hex_of(want, 64, hex);

	CTL(&self->r, "read", "0x100010", "64", "--ep", e.id, "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(SLOT_GPA + 0x10, jint(j, "addr"));
	EXPECT_EQ(64, jint(j, "len"));
	EXPECT_EQ(0, jbool(j, "virt"));
	EXPECT_EQ(e.ep_id, jint(j, "ep_id"));
	EXPECT_STREQ(hex, jstr(j, "data"));
	run_free(&self->r);

	/* xxd's layout, the guest address as offset. */
	CTL(&self->r, "read", "0x100010", "20", "--ep", e.id);
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(0, strncmp(self->r.out, "00100010: ", 10)) TH_LOG("%s", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out, "\n00100020: "));
	run_free(&self->r);

	CTL(&self->r, "read", "1048592", "200", "--format", "raw", "--ep", e.id);
	ASSERT_EQ(0, self->r.rc);
	vmm_pattern_fill(SLOT_GPA + 0x10, want, 200, SEED);
	ASSERT_EQ(200, self->r.out_len);
	EXPECT_EQ(0, memcmp(want, self->r.out, 200));
	run_free(&self->r);

	/* A gap between slots. */
	CTL(&self->r, "read", "0x900000", "16", "--ep", e.id, "--json");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_EQ(EFAULT, jint(self->r.json, "errno"));
	EXPECT_NE(NULL, strstr(jstr(self->r.json, "hint"), "no guest memory"));
	run_free(&self->r);

	/* Virtual: no memctx yet, then one given with --cr3. */
	CTL(&self->r, "read", "0x7f0000400000", "16", "--virt", "--ep", e.id, "--json");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_EQ(ENODATA, jint(self->r.json, "errno"));
	EXPECT_NE(NULL, strstr(jstr(self->r.json, "hint"), "--cr3"));
	run_free(&self->r);

	ASSERT_NE(NULL, vmm_add_slot(&e.vm, PT_GPA, PT_SIZE, 0, 0));
	ASSERT_EQ(0, vmm_pt_init(&pt, &e.vm, 4, PT_GPA, PT_SIZE));
	ASSERT_EQ(0, vmm_pt_map(&pt, GVA, SLOT_GPA + 0x3000, VMM_PAGE_4K, VMM_PTE_DEFAULT));
	snprintf(cr3, sizeof(cr3), "0x%llx", (unsigned long long)vmm_pt_cr3(&pt));
	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)GVA + 0x20);
	vmm_pattern_fill(SLOT_GPA + 0x3020, want, 32, SEED);
	hex_of(want, 32, hex);
	CTL(&self->r, "read", addr, "32", "--virt", "--cr3", cr3, "--ep", e.id, "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(1, jbool(j, "virt"));
	EXPECT_STREQ("x86_64_4level", jstr(j, "paging"));
	EXPECT_STREQ(hex, jstr(j, "data"));
	run_free(&self->r);

	/* The memctx stays on the endpoint: --virt alone works now. */
	CTL(&self->r, "read", addr, "32", "--virt", "--ep", e.id, "--json");
	EXPECT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(hex, jstr(self->r.json, "data"));
	run_free(&self->r);

	CTL(&self->r, "read", "0x1000", "0", "--ep", e.id);
	EXPECT_EQ(2, self->r.rc);
	run_free(&self->r);
	CTL(&self->r, "read", "0x1000", "16", "--ep", "999999");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "no endpoint 999999"));
	epvm_destroy(&e);
}

/* --pid attaches a new endpoint to the VM of a VMM, here ourselves. */
TEST_F(ctl, read_by_pid)
{
	char pid[16], hex[65];
	uint8_t want[32];
	struct epvm e;

	ASSERT_EQ(0, epvm_create(&e));
	snprintf(pid, sizeof(pid), "%d", getpid());
	vmm_pattern_fill(SLOT_GPA, want, 32, SEED);
	hex_of(want, 32, hex);
	CTL(&self->r, "read", "0x100000", "32", "--pid", pid, "--json");
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(hex, jstr(self->r.json, "data"));
	EXPECT_NE(e.ep_id, jint(self->r.json, "ep_id"));
	epvm_destroy(&e);
}

TEST_F(ctl, write_and_cas)
{
	uint8_t *mem;
	uint64_t token = 0;
	struct epvm e;
	json_object *j;

	ASSERT_EQ(0, epvm_create(&e));
	mem = e.slot->hva;

	CTL(&self->r, "write", "0x100100", "0x11223344", "--ep", e.id, "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(4, jint(j, "len"));
	EXPECT_LT(0, jint(j, "token"));
	EXPECT_EQ(0x11223344, *(uint32_t *)(mem + 0x100));
	/* Only @width bytes: the pattern after it is intact. */
	EXPECT_EQ(vmm_pattern_byte(SLOT_GPA + 0x104, SEED), mem[0x104]);
	run_free(&self->r);

	CTL(&self->r, "write", "0x100201", "--hex", "de ad:be ef01", "--ep", e.id);
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "wrote 5 bytes at 0x100201"));
	EXPECT_EQ(0, memcmp(mem + 0x201, "\xde\xad\xbe\xef\x01", 5));
	run_free(&self->r);

	CTL(&self->r, "cas", "0x100100", "0x11223344", "0x55", "--width", "4",
	    "--ep", e.id, "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(1, jbool(j, "swapped"));
	EXPECT_EQ(0x11223344, jint(j, "old"));
	EXPECT_EQ(0x55, *(uint32_t *)(mem + 0x100));
	run_free(&self->r);

	/* A CAS that finds another value: exit 1, old value reported. */
	CTL(&self->r, "cas", "0x100100", "0x11223344", "0x66", "--width", "4",
	    "--ep", e.id, "--json");
	j = self->r.json;
	EXPECT_EQ(1, self->r.rc);
	EXPECT_EQ(0, jbool(j, "swapped"));
	EXPECT_EQ(0x55, jint(j, "old"));
	EXPECT_NE(NULL, strstr(jstr(j, "error"), "not swapped"));
	EXPECT_EQ(0x55, *(uint32_t *)(mem + 0x100));
	run_free(&self->r);

	/* Somebody else holds the lease: refused at once, or after --wait. */
	ASSERT_EQ(0, lease_op(e.ep, VMSIG_IOC_LEASE_ACQUIRE, 0, &token));
	CTL(&self->r, "write", "0x100100", "1", "--ep", e.id, "--json");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_EQ(EBUSY, jint(self->r.json, "errno"));
	EXPECT_NE(NULL, strstr(jstr(self->r.json, "error"), "held by process"));
	EXPECT_NE(NULL, strstr(jstr(self->r.json, "hint"), "--wait"));
	run_free(&self->r);
	CTL(&self->r, "write", "0x100100", "1", "--wait", "0.2", "--ep", e.id, "--json");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_EQ(ETIMEDOUT, jint(self->r.json, "errno"));
	EXPECT_EQ(0x55, *(uint32_t *)(mem + 0x100));
	run_free(&self->r);
	ASSERT_EQ(0, lease_op(e.ep, VMSIG_IOC_LEASE_RELEASE, 0, &token));

	CTL(&self->r, "write", "0x100100", "0x1ff", "--width", "1", "--ep", e.id);
	EXPECT_EQ(2, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "does not fit"));
	run_free(&self->r);
	CTL(&self->r, "write", "0x900000", "1", "--ep", e.id);
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "no guest memory"));
	epvm_destroy(&e);
}

/* ------------------------------------------------ streaming commands --- */

/* A vmsigctl running in the background, its stdout read line by line. */
struct bg {
	pid_t pid;
	int out;
	char buf[65536];
	size_t len;
	char line[4096];
};

static int bg_start(struct bg *b, const char *const *argv)
{
	const char *args[16] = { VMSIGCTL };
	int p[2];

	for (int i = 0; argv[i] && i < 14; i++)
		args[i + 1] = argv[i];
	memset(b, 0, sizeof(*b));
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	b->pid = fork();
	if (b->pid < 0)
		return -errno;
	if (b->pid == 0) {
		dup2(p[1], 1);
		execv(VMSIGCTL, (char *const *)args);
		_exit(127);
	}
	close(p[1]);
	b->out = p[0];
	return 0;
}

#define BG(b, ...) bg_start(b, (const char *const[]){ __VA_ARGS__, NULL })

/* The next line of output (without its newline), or NULL on timeout or EOF. */
static const char *bg_line(struct bg *b, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(b->buf, '\n', b->len);
		struct pollfd pfd = { .fd = b->out, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - b->buf);

			snprintf(b->line, sizeof(b->line), "%.*s", (int)l, b->buf);
			memmove(b->buf, nl + 1, b->len - l - 1);
			b->len -= l + 1;
			return b->line;
		}
		if (poll(&pfd, 1, timeout_ms) <= 0 || b->len == sizeof(b->buf))
			return NULL;
		n = read(b->out, b->buf + b->len, sizeof(b->buf) - b->len);
		if (n <= 0)
			return NULL;
		b->len += (size_t)n;
	}
}

/* The next line parsed as JSON, or NULL. */
static json_object *bg_json(struct bg *b, int timeout_ms)
{
	const char *l = bg_line(b, timeout_ms);

	return l ? json_tokener_parse(l) : NULL;
}

/* Send @sig (0: none) and reap; the exit status, or -1. */
static int bg_stop(struct bg *b, int sig)
{
	int st;

	if (sig)
		kill(b->pid, sig);
	if (waitpid(b->pid, &st, 0) != b->pid)
		return -1;
	close(b->out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int publish_flags(int ep, uint16_t type, uint8_t source, int32_t aux,
			 uint8_t flags)
{
	struct vmsig_event ev = {
		.type = type, .dir = VMSIG_DIR_UP, .source = source, .flags = flags,
		.version = VMSIG_EVENT_VERSION, .aux = aux,
	};

	ev.payload.u64[0] = 0x1122334455667788ULL;
	return write(ep, &ev, sizeof(ev)) == sizeof(ev) ? 0 : -errno;
}

static int publish(int ep, uint16_t type, uint8_t source, int32_t aux)
{
	return publish_flags(ep, type, source, aux, 0);
}

static int memwrite4(int ep, uint64_t token, uint64_t gpa, uint32_t v)
{
	struct vmsig_mem_write w = {
		.size = sizeof(w), .addr = gpa, .buf = (uintptr_t)&v, .len = 4,
		.token = token,
	};

	return ioctl(ep, VMSIG_IOC_MEM_WRITE, &w) ? -errno : 0;
}

TEST_F(ctl, watch_decodes)
{
	struct vmsig_memctx mc = { .size = sizeof(mc), .root = 0x5000,
				   .mode = VMSIG_PAGING_X86_64_4LEVEL };
	json_object *ev, *fin;
	uint64_t token = 0;
	struct epvm e;
	struct bg b;
	int found_state = 0, found_grant = 0, found_release = 0, found_write = 0;

	ASSERT_EQ(0, epvm_create(&e));
	/* Retained: the watcher gets it first, which shows it is subscribed. */
	ASSERT_EQ(0, ioctl(e.ep, VMSIG_IOC_SET_MEMCTX, &mc));
	ASSERT_EQ(0, BG(&b, "watch", "--json", "--ep", e.id));
	ev = bg_json(&b, 5000);
	ASSERT_NE(NULL, ev) TH_LOG("no replayed memctx event");
	EXPECT_STREQ("memctx", jstr(ev, "type"));
	/* Raised by the kernel, on the memctx seam. */
	EXPECT_STREQ("memctx", jstr(ev, "source"));
	EXPECT_EQ(1, jbool(ev, "replay"));
	EXPECT_EQ(e.ep_id, jint(ev, "ep_id"));
	EXPECT_STREQ("x86_64_4level", jstr(ev, "decoded.paging"));
	EXPECT_EQ(0x5000, jint(ev, "decoded.root"));
	EXPECT_EQ(mc.epoch, (uint64_t)jint(ev, "decoded.epoch"));
	json_object_put(ev);

	ASSERT_EQ(0, publish(e.ep, VMSIG_EV_VM_STATE, VMSIG_SRC_VMHOST, VMSIG_VM_PAUSED));
	ASSERT_EQ(0, publish(e.ep, 0x4242, VMSIG_SRC_SENSOR, 7));
	ASSERT_EQ(0, lease_op(e.ep, VMSIG_IOC_LEASE_ACQUIRE, 0, &token));
	ASSERT_EQ(0, memwrite4(e.ep, token, SLOT_GPA + 8, 0xabcd));
	ASSERT_EQ(0, lease_op(e.ep, VMSIG_IOC_LEASE_RELEASE, 0, &token));

	for (int i = 0; i < 5; i++) {
		const char *type;

		ev = bg_json(&b, 5000);
		ASSERT_NE(NULL, ev) TH_LOG("event %d missing", i);
		type = jstr(ev, "type");
		if (!strcmp(type, "vm_state")) {
			found_state = 1;
			EXPECT_STREQ("vmhost", jstr(ev, "source"));
			EXPECT_STREQ("paused", jstr(ev, "decoded.state"));
			EXPECT_STREQ("up", jstr(ev, "dir"));
		} else if (!strcmp(type, "0x4242")) {
			/* Not a type vmsigctl knows: raw, payload in hex. */
			EXPECT_STREQ("sensor", jstr(ev, "source"));
			EXPECT_EQ(7, jint(ev, "aux"));
			EXPECT_STREQ("88776655443322110000000000000000", jstr(ev, "payload"));
			EXPECT_EQ(NULL, jget(ev, "decoded"));
		} else if (!strcmp(type, "lease")) {
			EXPECT_STREQ("memwrite", jstr(ev, "decoded.class"));
			EXPECT_EQ(token, (uint64_t)jint(ev, "decoded.token"));
			EXPECT_EQ(getpid(), jint(ev, "decoded.holder_pid"));
			if (!strcmp(jstr(ev, "decoded.change"), "granted"))
				found_grant = 1;
			if (!strcmp(jstr(ev, "decoded.change"), "released"))
				found_release = 1;
		} else if (!strcmp(type, "memwrite")) {
			found_write = 1;
			EXPECT_EQ(SLOT_GPA + 8, (uint64_t)jint(ev, "decoded.addr"));
			EXPECT_EQ(4, jint(ev, "decoded.len"));
			EXPECT_EQ(0, jint(ev, "decoded.status"));
			EXPECT_EQ(0, jbool(ev, "decoded.virt"));
			EXPECT_EQ(token, (uint64_t)jint(ev, "decoded.token"));
		} else {
			TH_LOG("unexpected event %s", type);
			EXPECT_TRUE(0);
		}
		json_object_put(ev);
	}
	EXPECT_TRUE(found_state && found_grant && found_release && found_write);

	/* SIGINT ends it cleanly, with the command's own object last. */
	kill(b.pid, SIGINT);
	fin = bg_json(&b, 5000);
	ASSERT_NE(NULL, fin);
	EXPECT_STREQ("watch", jstr(fin, "command"));
	EXPECT_EQ(1, jbool(fin, "ok"));
	EXPECT_STREQ("signal", jstr(fin, "end"));
	EXPECT_EQ(6, jint(fin, "events"));
	json_object_put(fin);
	EXPECT_EQ(0, bg_stop(&b, 0));
	epvm_destroy(&e);
}

/* --types filters, human lines, and the end of stream when the VMM exits. */
TEST_F(ctl, watch_types_and_eof)
{
	struct vmm_child_cfg cfg = { .nr_slots = 1,
		.slots = { { .gpa = 0, .size = 0x100000 } } };
	struct vmsig_attach at = { .size = sizeof(at), .backend = VMSIG_BACKEND_KVM };
	struct vmm_child child;
	const char *l;
	char id[16];
	int dev, ep;
	struct bg b;

	ASSERT_EQ(0, vmm_child_start(&child, &cfg));
	dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	at.fd = child.vm_fd;
	ep = ioctl(dev, VMSIG_IOC_ATTACH, &at);
	ASSERT_LE(0, ep);
	close(dev);
	snprintf(id, sizeof(id), "%u", at.ep_id);

	/* Retained, so the first line proves the subscription. */
	ASSERT_EQ(0, publish_flags(ep, VMSIG_EV_VM_STATE, VMSIG_SRC_VMHOST, VMSIG_VM_RUNNING,
				   VMSIG_EVF_RETAIN));
	ASSERT_EQ(0, BG(&b, "watch", "--types", "vm_state,lifecycle", "--ep", id));
	l = bg_line(&b, 5000);
	ASSERT_NE(NULL, l);
	EXPECT_NE(NULL, strstr(l, " vm_state  vmhost  normal running [replay]")) TH_LOG("%s", l);
	/* Filtered out: another type. */
	ASSERT_EQ(0, publish(ep, 0x4242, VMSIG_SRC_SENSOR, 0));
	ASSERT_EQ(0, publish(ep, VMSIG_EV_VM_STATE, VMSIG_SRC_VMHOST, VMSIG_VM_SHUTDOWN));
	l = bg_line(&b, 5000);
	ASSERT_NE(NULL, l);
	EXPECT_NE(NULL, strstr(l, " vm_state  vmhost  normal shutdown")) TH_LOG("%s", l);

	/* The VMM exits: lifecycle event, then end of stream, exit 0. */
	EXPECT_LE(0, vmm_child_stop(&child));
	l = bg_line(&b, 10000);
	ASSERT_NE(NULL, l);
	EXPECT_NE(NULL, strstr(l, " lifecycle kernel  normal vmm_exit")) TH_LOG("%s", l);
	EXPECT_EQ(NULL, bg_line(&b, 10000));
	EXPECT_EQ(0, bg_stop(&b, 0));
	close(ep);
	vmm_child_release(&child);

	CTL(&self->r, "watch", "--types", "bogus", "--ep", "1", "--json");
	EXPECT_EQ(2, self->r.rc);
	EXPECT_STREQ("", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown event type 'bogus'"));
}

static int derive_once(int ep)
{
	struct vmsig_derive d = { .size = sizeof(d) };
	int fd = ioctl(ep, VMSIG_IOC_DERIVE, &d);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

TEST_F(ctl, audit_follow_and_stats)
{
	json_object *rec = NULL, *fin, *j;
	uint64_t token = 0;
	struct epvm e;
	struct bg b;
	int i;

	ASSERT_EQ(0, epvm_create(&e));
	ASSERT_EQ(0, BG(&b, "audit", "--follow", "--json"));
	/* Records reach listeners that joined: decide until one shows up. */
	for (i = 0; i < 50 && !rec; i++) {
		ASSERT_EQ(0, derive_once(e.ep));
		rec = bg_json(&b, 100);
	}
	ASSERT_NE(NULL, rec) TH_LOG("audit --follow printed nothing");
	EXPECT_STREQ("derive", jstr(rec, "what"));
	json_object_put(rec);

	ASSERT_EQ(0, lease_op(e.ep, VMSIG_IOC_LEASE_ACQUIRE, 0, &token));
	for (i = 0; i < 100; i++) {
		rec = bg_json(&b, 5000);
		ASSERT_NE(NULL, rec);
		if (!strcmp(jstr(rec, "what"), "lease_grant"))
			break;
		json_object_put(rec);
	}
	ASSERT_GT(100, i);
	EXPECT_EQ(0, jint(rec, "result"));
	EXPECT_EQ(getpid(), jint(rec, "pid"));
	EXPECT_EQ(0, jint(rec, "uid"));
	EXPECT_EQ(e.ep_id, jint(rec, "ep_id"));
	EXPECT_STREQ("memwrite", jstr(rec, "lease_class"));
	EXPECT_EQ(token, (uint64_t)jint(rec, "token"));
	EXPECT_EQ(getpid(), jint(rec, "holder_pid"));
	EXPECT_NE(0, strlen(jstr(rec, "comm")));
	json_object_put(rec);

	kill(b.pid, SIGINT);
	/* Skip what else was recorded, up to the command's own object. */
	for (fin = bg_json(&b, 5000); fin && !jget(fin, "command"); fin = bg_json(&b, 5000))
		json_object_put(fin);
	ASSERT_NE(NULL, fin);
	EXPECT_STREQ("audit", jstr(fin, "command"));
	EXPECT_EQ(1, jbool(fin, "ok"));
	EXPECT_LE(2, jint(fin, "records"));
	json_object_put(fin);
	EXPECT_EQ(0, bg_stop(&b, 0));

	/* Plain audit: the next record, then exit. */
	ASSERT_EQ(0, BG(&b, "audit"));
	for (i = 0; i < 50; i++) {
		const char *l;

		ASSERT_EQ(0, derive_once(e.ep));
		l = bg_line(&b, 100);
		if (l) {
			EXPECT_NE(NULL, strstr(l, " derive ")) TH_LOG("%s", l);
			break;
		}
	}
	EXPECT_GT(50, i);
	EXPECT_EQ(0, bg_stop(&b, 0));

	CTL(&self->r, "audit", "--stats", "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_LE(1, jint(j, "kinds.attach"));
	EXPECT_LE(1, jint(j, "kinds.lease_grant"));
	EXPECT_LE(2, jint(j, "kinds.derive"));
	EXPECT_EQ(json_type_int, jtype(j, "lost"));
	EXPECT_LE(jint(j, "kinds.attach"), jint(j, "total"));
	run_free(&self->r);

	CTL_AS(&self->r, 65534, "audit", "--stats");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "CAP_NET_ADMIN"));
	epvm_destroy(&e);
}

TEST_F(ctl, top_once)
{
	uint64_t token = 0;
	struct epvm e;
	json_object *j, *ep;

	ASSERT_EQ(0, epvm_create(&e));
	ASSERT_EQ(0, lease_op(e.ep, VMSIG_IOC_LEASE_ACQUIRE, 0, &token));
	CTL(&self->r, "top", "--once", "--json");
	j = self->r.json;
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(1, jint(j, "frames"));
	EXPECT_EQ(1, jbool(j, "rates"));
	ep = jfind(jget(j, "endpoints"), "ep_id", e.ep_id);
	ASSERT_NE(NULL, ep) TH_LOG("%s", self->r.out);
	/* top's own subscriber is not counted. */
	EXPECT_EQ(1, jint(ep, "subscribers"));
	EXPECT_EQ(json_type_double, jtype(ep, "events_per_s"));
	EXPECT_EQ(getpid(), jint(jfind_str(jget(ep, "leases"), "class", "memwrite"),
				 "holder_pid"));
	EXPECT_EQ(json_type_int, jtype(j, "audit_total"));
	run_free(&self->r);

	CTL(&self->r, "top", "--once");
	ASSERT_EQ(0, self->r.rc) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(0, strncmp(self->r.out, "vmsig top ", 10)) TH_LOG("%s", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out, "EVENTS/S"));
	/* No escape sequences when not live. */
	EXPECT_EQ(NULL, strchr(self->r.out, '\033'));
	epvm_destroy(&e);

	/* Without CAP_NET_ADMIN there is nothing to show. */
	run_free(&self->r);
	CTL_AS(&self->r, 65534, "top", "--once", "--json");
	EXPECT_EQ(1, self->r.rc);
	EXPECT_NE(NULL, strstr(jstr(self->r.json, "hint"), "CAP_NET_ADMIN"));
}

TEST_F(ctl, new_usage_errors)
{
	CTL(&self->r, "read", "0x1000", "--ep", "1");
	EXPECT_EQ(2, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "read needs ADDR LEN"));
	run_free(&self->r);
	CTL(&self->r, "cas", "0x1000", "1", "2", "--ep", "1");
	EXPECT_EQ(2, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.err, "--width"));
	run_free(&self->r);
	CTL(&self->r, "read", "0x1000", "4", "--json");
	EXPECT_EQ(2, self->r.rc);
	EXPECT_STREQ("", self->r.out);
	run_free(&self->r);
	CTL(&self->r, "--help");
	EXPECT_EQ(0, self->r.rc);
	EXPECT_NE(NULL, strstr(self->r.out, "watch"));
	EXPECT_NE(NULL, strstr(self->r.out, "top [--once]"));
}

TEST_HARNESS_MAIN
