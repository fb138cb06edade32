// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl status: module state from libkmod and /sys/module, then the API
 * handshake on /dev/vmsig with features and ioctls decoded by name.
 *
 * The VM runner's demo prints this, and scripts parse its --json form:
 * change the wording of existing lines and keys only on purpose.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <libkmod.h>

#include "cmds.h"
#include "vmsig.h"
#include "vmsig_names.h"

/* Decode the bits of @mask into names: array @key of @api, and stdout. */
static void show_bits(struct ctl *c, struct json_object *api, const char *key,
		      uint64_t mask, const char *(*name)(unsigned int),
		      const char *unknown_fmt)
{
	struct json_object *arr = json_object_new_array();
	char buf[32];

	json_object_object_add(api, key, arr);
	for (unsigned int bit = 0; bit < 64; bit++) {
		const char *n;

		if (!(mask & (1ULL << bit)))
			continue;
		n = name(bit);
		if (!n) {
			/* A newer module: still show that the bit is set. */
			snprintf(buf, sizeof(buf), unknown_fmt, bit);
			n = buf;
		}
		json_object_array_add(arr, json_object_new_string(n));
		if (ctl_human(c))
			printf(" %s", n);
	}
}

static int show_api(struct ctl *c)
{
	struct json_object *api = json_object_new_object();
	struct vmsig_api a;
	int fd, err;

	j_null(c->out, "api");
	fd = vmsig_open(0);
	if (fd < 0) {
		json_object_put(api);
		ctl_fail(c, fd, "cannot open %s", VMSIG_DEV_PATH);
		if (fd == -EACCES || fd == -EPERM)
			ctl_hint(c, "members of group vmsig may open it (udev rule 60-vmsig.rules)");
		return CTL_EXIT_FAIL;
	}
	err = vmsig_get_api(fd, &a);
	close(fd);
	if (err == -EPROTO) {
		json_object_put(api);
		ctl_fail(c, 0, "the module speaks ABI version %u, vmsigctl speaks %u",
			 a.abi_version, VMSIG_ABI_VERSION);
		ctl_hint(c, "install a vmsigctl and a module of the same release");
		return CTL_EXIT_FAIL;
	}
	if (err) {
		json_object_put(api);
		return ctl_fail(c, err, "API handshake failed");
	}
	j_int(api, "abi_version", a.abi_version);
	j_u64(api, "features", a.features);
	j_u64(api, "ioctls", a.ioctls);
	if (ctl_human(c))
		printf("ABI:       %u\nfeatures: ", a.abi_version);
	show_bits(c, api, "feature_names", a.features, vmsig_feature_name, "bit%u");
	if (ctl_human(c))
		printf("\nioctls:   ");
	show_bits(c, api, "ioctl_names", a.ioctls, vmsig_ioctl_name, "0x%02x");
	if (ctl_human(c))
		printf("\n");
	json_object_object_add(c->out, "api", api);
	return CTL_EXIT_OK;
}

int ctl_cmd_status(struct ctl *c)
{
	struct json_object *mod;
	struct ctl_modstate st;
	struct kmod_ctx *kctx;
	int err;

	kctx = ctl_kmod_new();
	if (!kctx)
		return ctl_fail(c, -ENOMEM, "libkmod");
	err = ctl_mod_state(kctx, &st);
	kmod_unref(kctx);
	if (err)
		return ctl_fail(c, err, "cannot query the module state");

	mod = json_object_new_object();
	j_bool(mod, "loaded", st.loaded);
	j_str(mod, "state", st.state);
	j_str(mod, "version", st.loaded ? st.version : NULL);
	if (st.loaded)
		j_int(mod, "refcnt", st.refcnt);
	else
		j_null(mod, "refcnt");
	j_str(mod, "installed", st.installed[0] ? st.installed : NULL);
	json_object_object_add(c->out, "module", mod);
	j_str(c->out, "kernel", st.release);
	j_str(c->out, "library", vmsig_version());

	if (ctl_human(c)) {
		printf("module:    %s", st.loaded ? "loaded" : "not loaded");
		if (st.loaded)
			printf(" (%s), version %s, %d open file%s", st.state,
			       st.version[0] ? st.version : "unknown", st.refcnt,
			       st.refcnt == 1 ? "" : "s");
		printf("\ninstalled: %s\nkernel:    %s\nlibrary:   %s\n",
		       st.installed[0] ? st.installed : "no", st.release,
		       vmsig_version());
	}
	if (!st.loaded) {
		j_null(c->out, "api");
		ctl_fail(c, 0, "vmsig is not loaded");
		ctl_hint(c, st.installed[0] ? "load it with 'vmsigctl load'" :
			 "it is not installed for this kernel either: make dkms-install, then vmsigctl load");
		return CTL_EXIT_FAIL;
	}
	return show_api(c);
}
