// SPDX-License-Identifier: GPL-2.0
/*
 * vmsigctl in the VM: status, load/unload through libkmod and attach-info,
 * run as a user would (the real binary, /bin/vmsigctl, copied in by the
 * runner's --extra) with the --json output parsed and checked field by
 * field, and the human output checked for its key lines.
 *
 * Some tests unload vmsig.  /init loaded it before the tests and unloads it
 * after them, so every test leaves it loaded, even when it fails half-way
 * (the fixture's teardown loads it back without vmsigctl).
 */
#include <errno.h>
#include <fcntl.h>
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
	char out[16384];	/* stdout */
	char err[4096];		/* stderr */
	json_object *json;	/* stdout parsed, when it is JSON */
};

static void read_memfd(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Run vmsigctl with @argv (NULL-terminated, without argv[0]); @keep_fd, when
 * not negative, is handed to it as descriptor @keep_fd.
 */
static void run_ctl(struct run *r, int keep_fd, const char *const *argv)
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
		execv(VMSIGCTL, (char *const *)args);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		r->rc = WEXITSTATUS(st);
	read_memfd(out, r->out, sizeof(r->out));
	read_memfd(err, r->err, sizeof(r->err));
	r->json = json_tokener_parse(r->out);
}

#define CTL(r, ...) run_ctl(r, -1, (const char *const[]){ __VA_ARGS__, NULL })
#define CTL_FD(r, fd, ...) run_ctl(r, fd, (const char *const[]){ __VA_ARGS__, NULL })

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

TEST_HARNESS_MAIN
