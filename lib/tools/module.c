// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl load / unload, and the module state status reports, through
 * libkmod: it resolves the installed module and its dependencies (kvm) from
 * modules.dep the way modprobe does, and decompresses modules as needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <libkmod.h>

#include "cmds.h"

static void log_to_stderr(void *data, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	(void)data; (void)priority; (void)file; (void)line; (void)fn;
	fputs("libkmod: ", stderr);
	vfprintf(stderr, format, args);
}

struct kmod_ctx *ctl_kmod_new(void)
{
	struct kmod_ctx *kctx = kmod_new(NULL, NULL);

	if (!kctx)
		return NULL;
	/*
	 * libkmod logs every missing index file at error level; vmsigctl
	 * explains failures itself, so its log is only shown on request.
	 */
	if (getenv("VMSIGCTL_DEBUG")) {
		kmod_set_log_fn(kctx, log_to_stderr, NULL);
		kmod_set_log_priority(kctx, LOG_DEBUG);
	} else {
		kmod_set_log_priority(kctx, LOG_EMERG);
	}
	return kctx;
}

/* First line of a small file, without its newline; "" when unreadable. */
static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* The installed module for the running kernel, via modules.dep. */
static int lookup_installed(struct kmod_ctx *kctx, struct kmod_module **modp)
{
	struct kmod_list *list = NULL;
	int err;

	*modp = NULL;
	err = kmod_module_new_from_lookup(kctx, CTL_MODULE, &list);
	if (err < 0)
		return err;
	if (!list)
		return -ENOENT;
	*modp = kmod_module_get_module(list);
	kmod_module_unref_list(list);
	/* Built into the kernel, or only an alias: no file to load. */
	if (!kmod_module_get_path(*modp)) {
		kmod_module_unref(*modp);
		*modp = NULL;
		return -ENOENT;
	}
	return 0;
}

int ctl_mod_state(struct kmod_ctx *kctx, struct ctl_modstate *st)
{
	struct kmod_module *mod, *inst;
	struct utsname u;
	int state, err;

	memset(st, 0, sizeof(*st));
	st->refcnt = -1;
	if (!uname(&u))
		snprintf(st->release, sizeof(st->release), "%s", u.release);
	if (!lookup_installed(kctx, &inst)) {
		snprintf(st->installed, sizeof(st->installed), "%s",
			 kmod_module_get_path(inst));
		kmod_module_unref(inst);
	}
	err = kmod_module_new_from_name(kctx, CTL_MODULE, &mod);
	if (err < 0)
		return err;
	state = kmod_module_get_initstate(mod);
	if (state >= 0 && state != KMOD_MODULE_BUILTIN) {
		st->loaded = true;
		st->state = kmod_module_initstate_str(state);
		st->refcnt = kmod_module_get_refcnt(mod);
		read_line("/sys/module/" CTL_MODULE "/version", st->version,
			  sizeof(st->version));
	}
	kmod_module_unref(mod);
	return 0;
}

/* The word of a kernel's vermagic that names its release. */
static bool vermagic_matches(const char *vermagic, const char *release)
{
	size_t n = strcspn(vermagic, " ");

	return strlen(release) == n && !strncmp(vermagic, release, n);
}

/* Load dependency @name of the module at @path unless it is loaded. */
static int load_dep(struct ctl *c, struct kmod_ctx *kctx, const char *name,
		    const char *release)
{
	struct kmod_module *dep;
	struct kmod_list *list = NULL;
	int err;

	if (kmod_module_new_from_name(kctx, name, &dep) >= 0) {
		int state = kmod_module_get_initstate(dep);

		kmod_module_unref(dep);
		if (state >= 0)
			return CTL_EXIT_OK;
	}
	err = kmod_module_new_from_lookup(kctx, name, &list);
	if (err < 0 || !list)
		return ctl_fail(c, 0, "%s needs module %s, which is neither loaded nor installed for %s",
				c->args->module, name, release);
	err = kmod_module_probe_insert_module(kmod_module_get_module(list), 0,
					      NULL, NULL, NULL, NULL);
	kmod_module_unref_list(list);
	if (err < 0)
		return ctl_fail(c, err, "loading dependency %s failed", name);
	return CTL_EXIT_OK;
}

/*
 * A module given by path: check it was built for this kernel, and load what
 * its "depends" names first (modprobe would, insmod would not).
 */
static int prepare_path_module(struct ctl *c, struct kmod_ctx *kctx,
			       struct kmod_module *mod, const char *release)
{
	struct kmod_list *info = NULL, *l;
	int ret = CTL_EXIT_OK, err;

	err = kmod_module_get_info(mod, &info);
	if (err < 0)
		return ctl_fail(c, err, "%s is not a kernel module",
				c->args->module);
	kmod_list_foreach(l, info) {
		const char *key = kmod_module_info_get_key(l);
		const char *val = kmod_module_info_get_value(l);
		char deps[256], *name, *save;

		if (!val)
			continue;
		if (!strcmp(key, "vermagic") && !vermagic_matches(val, release)) {
			ret = ctl_fail(c, 0, "%s was built for kernel %.*s, but %s is running",
				       c->args->module, (int)strcspn(val, " "), val,
				       release);
			ctl_hint(c, "build it for this kernel (make module), or install it with make dkms-install");
			break;
		}
		if (strcmp(key, "depends"))
			continue;
		snprintf(deps, sizeof(deps), "%s", val);
		for (name = strtok_r(deps, ",", &save); name && !ret;
		     name = strtok_r(NULL, ",", &save))
			ret = load_dep(c, kctx, name, release);
		if (ret)
			break;
	}
	kmod_module_info_free_list(info);
	return ret;
}

/* Explain a failed insertion; the kernel's own reason is in its log. */
static int insert_failed(struct ctl *c, int err, const char *what)
{
	ctl_fail(c, err, "loading %s failed", what);
	switch (-err) {
	case EPERM:
		ctl_hint(c, "loading modules needs root (CAP_SYS_MODULE), and module loading must not be disabled (kernel.modules_disabled, lockdown)");
		break;
	case EKEYREJECTED:
	case ENOKEY:
		ctl_hint(c, "the kernel enforces module signatures (Secure Boot): DKMS-built modules are signed with the MOK key (make dkms-install)");
		break;
	case ENOEXEC:
		ctl_hint(c, "the file is not a module for the running kernel");
		break;
	default:
		ctl_hint(c, "the kernel log (dmesg) says why");
		break;
	}
	return CTL_EXIT_FAIL;
}

static int load_installed(struct ctl *c, struct kmod_ctx *kctx,
			  const struct ctl_modstate *st)
{
	struct kmod_module *mod;
	int err;

	err = lookup_installed(kctx, &mod);
	if (err) {
		ctl_fail(c, 0, "vmsig is not installed for the running kernel %s",
			 st->release);
		ctl_hint(c, "install it from the source tree with 'make dkms-install' (every installed kernel) or 'make install', or load a built module with 'vmsigctl load --module PATH'");
		return CTL_EXIT_FAIL;
	}
	j_str(c->out, "path", kmod_module_get_path(mod));
	/* Dependencies first, as modprobe does; a live module is skipped. */
	err = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
	if (err < 0 && err != -EEXIST)
		insert_failed(c, err, kmod_module_get_path(mod));
	kmod_module_unref(mod);
	return err < 0 && err != -EEXIST ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

static int load_path(struct ctl *c, struct kmod_ctx *kctx,
		     const struct ctl_modstate *st)
{
	const char *path = c->args->module;
	struct kmod_module *mod;
	int ret, err;

	j_str(c->out, "path", path);
	/* libkmod would report a missing file as a bad module. */
	if (access(path, R_OK))
		return ctl_fail(c, -errno, "cannot read %s", path);
	err = kmod_module_new_from_path(kctx, path, &mod);
	if (err < 0)
		return ctl_fail(c, err, "%s is not a kernel module", path);
	ret = prepare_path_module(c, kctx, mod, st->release);
	if (!ret) {
		err = kmod_module_insert_module(mod, 0, NULL);
		if (err < 0 && err != -EEXIST)
			ret = insert_failed(c, err, path);
	}
	kmod_module_unref(mod);
	return ret;
}

int ctl_cmd_load(struct ctl *c)
{
	struct ctl_modstate st;
	struct kmod_ctx *kctx;
	int ret, err;

	kctx = ctl_kmod_new();
	if (!kctx)
		return ctl_fail(c, -ENOMEM, "libkmod");
	err = ctl_mod_state(kctx, &st);
	if (err) {
		ret = ctl_fail(c, err, "cannot query the module state");
		goto out;
	}
	j_bool(c->out, "already_loaded", st.loaded);
	if (st.loaded) {
		/* Idempotent, like modprobe: the goal state holds. */
		j_bool(c->out, "loaded", true);
		j_str(c->out, "version", st.version);
		if (ctl_human(c))
			printf("vmsig is already loaded (version %s)\n", st.version);
		ret = CTL_EXIT_OK;
		goto out;
	}
	ret = c->args->module ? load_path(c, kctx, &st) : load_installed(c, kctx, &st);
	if (!ret) {
		err = ctl_mod_state(kctx, &st);
		if (err || !st.loaded)
			ret = ctl_fail(c, err, "vmsig did not appear after loading");
	}
	j_bool(c->out, "loaded", !ret);
	if (!ret) {
		j_str(c->out, "version", st.version);
		if (ctl_human(c))
			printf("vmsig loaded (version %s)\n", st.version);
	}
out:
	kmod_unref(kctx);
	return ret;
}

int ctl_cmd_unload(struct ctl *c)
{
	struct kmod_module *mod = NULL;
	struct ctl_modstate st;
	struct kmod_list *holders;
	struct kmod_ctx *kctx;
	int ret = CTL_EXIT_OK, err;

	kctx = ctl_kmod_new();
	if (!kctx)
		return ctl_fail(c, -ENOMEM, "libkmod");
	err = ctl_mod_state(kctx, &st);
	if (err) {
		ret = ctl_fail(c, err, "cannot query the module state");
		goto out;
	}
	j_bool(c->out, "was_loaded", st.loaded);
	if (!st.loaded) {
		j_bool(c->out, "loaded", false);
		if (ctl_human(c))
			printf("vmsig is not loaded\n");
		goto out;
	}
	/* Until removed: every refusal below leaves it loaded. */
	j_bool(c->out, "loaded", true);
	err = kmod_module_new_from_name(kctx, CTL_MODULE, &mod);
	if (err < 0) {
		ret = ctl_fail(c, err, "libkmod");
		goto out;
	}
	holders = kmod_module_get_holders(mod);
	if (holders) {
		ret = ctl_fail(c, 0, "vmsig is used by module %s",
			       kmod_module_get_name(kmod_module_get_module(holders)));
		kmod_module_unref_list(holders);
		goto out;
	}
	/* Every open /dev/vmsig and endpoint file pins the module. */
	if (st.refcnt > 0) {
		j_int(c->out, "refcnt", st.refcnt);
		ret = ctl_fail(c, 0, "vmsig is in use: %d open file%s on /dev/vmsig or its endpoints",
			       st.refcnt, st.refcnt == 1 ? "" : "s");
		ctl_hint(c, "stop the programs attached to VMs first (fuser -v /dev/vmsig shows who holds the device)");
		goto out;
	}
	err = kmod_module_remove_module(mod, 0);
	if (err == -EBUSY || err == -EAGAIN) {
		/* A file was opened between the check and the removal. */
		ret = ctl_fail(c, err, "vmsig is in use");
	} else if (err == -EPERM) {
		ret = ctl_fail(c, err, "unloading vmsig failed");
		ctl_hint(c, "unloading modules needs root (CAP_SYS_MODULE)");
	} else if (err < 0 && err != -ENOENT) {
		ret = ctl_fail(c, err, "unloading vmsig failed");
	}
	j_bool(c->out, "loaded", !!ret);
	if (!ret && ctl_human(c))
		printf("vmsig unloaded\n");
out:
	kmod_module_unref(mod);
	kmod_unref(kctx);
	return ret;
}
