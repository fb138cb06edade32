// SPDX-License-Identifier: GPL-2.0
/*
 * The API handshake and the argument conventions every vmsig ioctl shares:
 * size/flags header, copy_struct_from_user() semantics, unknown flags,
 * unknown commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vmsig.h>

#include "kselftest_harness.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/vmsig: %s", strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

/* The argument buffer is larger than the struct so tails can be tested. */
struct big_api {
	struct vmsig_api api;
	unsigned char tail[64];
};

static int get_api(int fd, void *arg)
{
	return ioctl(fd, VMSIG_IOC_GET_API, arg) ? -errno : 0;
}

TEST_F(dev, handshake)
{
	struct vmsig_api api;

	memset(&api, 0xa5, sizeof(api));
	api.size = sizeof(api);
	api.flags = 0;
	ASSERT_EQ(0, get_api(self->fd, &api));
	EXPECT_EQ(sizeof(api), api.size);
	EXPECT_EQ(VMSIG_ABI_VERSION, api.abi_version);
	EXPECT_TRUE(api.features & VMSIG_FEAT_HANDSHAKE);
	/* GET_API is command 0 and must announce itself. */
	EXPECT_TRUE(api.ioctls & 1);
	/* Output garbage in, zeroes out: nothing of the caller's survives. */
	EXPECT_EQ(0, api.reserved0);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0, api.reserved[i]);
}

TEST_F(dev, size_too_small)
{
	struct vmsig_api api = { 0 };

	api.size = offsetof(struct vmsig_api, reserved) - 1;
	EXPECT_EQ(-EINVAL, get_api(self->fd, &api));
	api.size = 0;
	EXPECT_EQ(-EINVAL, get_api(self->fd, &api));
	api.size = 8;
	EXPECT_EQ(-EINVAL, get_api(self->fd, &api));
}

TEST_F(dev, larger_with_zero_tail_is_accepted)
{
	struct big_api big;

	memset(&big, 0, sizeof(big));
	big.api.size = sizeof(big);
	ASSERT_EQ(0, get_api(self->fd, &big));
	EXPECT_EQ(sizeof(big), big.api.size);
	EXPECT_EQ(VMSIG_ABI_VERSION, big.api.abi_version);
	/* The kernel never writes past what it knows. */
	for (size_t i = 0; i < sizeof(big.tail); i++)
		EXPECT_EQ(0, big.tail[i]);
}

TEST_F(dev, larger_with_nonzero_tail_is_e2big)
{
	struct big_api big;

	for (size_t i = 0; i < sizeof(big.tail); i++) {
		memset(&big, 0, sizeof(big));
		big.api.size = sizeof(big);
		big.tail[i] = 1;
		EXPECT_EQ(-E2BIG, get_api(self->fd, &big));
		/* Nothing was written back on failure. */
		EXPECT_EQ(0, big.api.abi_version);
	}
}

TEST_F(dev, oversized_size_is_e2big)
{
	static unsigned char buf[2 * VMSIG_ARG_MAX_SIZE];
	struct vmsig_api *api = (struct vmsig_api *)buf;

	memset(buf, 0, sizeof(buf));
	api->size = VMSIG_ARG_MAX_SIZE + 1;
	EXPECT_EQ(-E2BIG, get_api(self->fd, api));
	api->size = 0xffffffff;
	EXPECT_EQ(-E2BIG, get_api(self->fd, api));
	/* The largest allowed size with a zero tail is fine. */
	api->size = VMSIG_ARG_MAX_SIZE;
	EXPECT_EQ(0, get_api(self->fd, api));
}

TEST_F(dev, every_unknown_flag_is_einval)
{
	for (int bit = 0; bit < 32; bit++) {
		struct vmsig_api api = { .size = sizeof(api) };

		api.flags = 1u << bit;
		EXPECT_EQ(-EINVAL, get_api(self->fd, &api)) TH_LOG("flag bit %d", bit);
	}
}

TEST_F(dev, bad_pointers_are_efault)
{
	struct vmsig_api api = { .size = sizeof(api) };

	EXPECT_EQ(-EFAULT, get_api(self->fd, NULL));
	EXPECT_EQ(-EFAULT, get_api(self->fd, (void *)8));
	/* Readable but not writable: the answer cannot be delivered. */
	void *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	memcpy(ro, &api, sizeof(api));
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, get_api(self->fd, ro));
	munmap(ro, 4096);
}

TEST_F(dev, unknown_commands_are_enotty)
{
	struct vmsig_api api = { .size = sizeof(api) };

	/* Unused numbers of our magic, in every direction. */
	EXPECT_EQ(-ENOTTY, ioctl(self->fd, _IOWR(VMSIG_IOC_MAGIC, 0x0f, struct vmsig_api), &api) ?
		  -errno : 0);
	EXPECT_EQ(-ENOTTY, ioctl(self->fd, _IO(VMSIG_IOC_MAGIC, 0x3f)) ? -errno : 0);
	EXPECT_EQ(-ENOTTY, ioctl(self->fd, _IOR(VMSIG_IOC_MAGIC, 0x00, struct vmsig_api), &api) ?
		  -errno : 0);
	/* Another subsystem's magic with our number. */
	EXPECT_EQ(-ENOTTY, ioctl(self->fd, _IOWR(0xAE, 0x00, struct vmsig_api), &api) ? -errno : 0);
	/* A command number past what the ioctl mask can describe. */
	EXPECT_EQ(-ENOTTY, ioctl(self->fd, _IOWR(VMSIG_IOC_MAGIC, 0xff, struct vmsig_api), &api) ?
		  -errno : 0);
}

TEST_F(dev, size_bits_of_the_command_are_not_authoritative)
{
	struct big_api big;

	memset(&big, 0, sizeof(big));
	big.api.size = sizeof(big);
	/* A newer header would encode a bigger size in the command. */
	EXPECT_EQ(0, ioctl(self->fd, _IOWR(VMSIG_IOC_MAGIC, 0x00, struct big_api), &big));
	EXPECT_EQ(VMSIG_ABI_VERSION, big.api.abi_version);
}

TEST(device_mode_is_0660)
{
	struct stat st;

	ASSERT_EQ(0, stat("/dev/vmsig", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0660, st.st_mode & 07777);
}

TEST_HARNESS_MAIN
