// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl - look at and drive vmsig from the command line.
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmsig.h"

static const struct {
	uint64_t bit;
	const char *name;
} features[] = {
	{ VMSIG_FEAT_HANDSHAKE, "handshake" },
};

static int cmd_status(void)
{
	struct vmsig_api api;
	int fd, err;

	fd = vmsig_open(0);
	if (fd < 0) {
		fprintf(stderr, "vmsigctl: cannot open %s: %s%s\n", VMSIG_DEV_PATH,
			strerror(-fd), fd == -ENOENT ? " (is the module loaded?)" : "");
		return 1;
	}
	err = vmsig_get_api(fd, &api);
	close(fd);
	if (err) {
		fprintf(stderr, "vmsigctl: handshake failed: %s\n", strerror(-err));
		return 1;
	}
	printf("vmsig ABI version %u (library %s, ABI %u)\n", api.abi_version,
	       vmsig_version(), VMSIG_ABI_VERSION);
	printf("features: 0x%016llx", (unsigned long long)api.features);
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (api.features & features[i].bit)
			printf(" %s", features[i].name);
	printf("\nioctls:   0x%016llx\n", (unsigned long long)api.ioctls);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vmsigctl status\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "status"))
		return cmd_status();
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
