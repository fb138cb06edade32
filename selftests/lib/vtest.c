// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the reliability selftests; see vtest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vtest.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void vt_rng_seed(struct vt_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t vt_rand(struct vt_rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

uint64_t vt_below(struct vt_rng *r, uint64_t n)
{
	return n ? vt_rand(r) % n : 0;
}

bool vt_one_in(struct vt_rng *r, uint64_t n)
{
	return vt_below(r, n) == 0;
}

uint64_t vt_env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 0);
	return errno || *end ? def : v;
}

uint64_t vt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int vt_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

int vt_open_dev(void)
{
	int fd = open("/dev/vmsig", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vt_attach(int dev, uint32_t backend, int fd, uint32_t flags)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .flags = flags, .backend = backend, .fd = fd,
	};

	return vt_ioctl(dev, VMSIG_IOC_ATTACH, &at);
}

int vt_derive(int ep, uint64_t rights, bool with_rights, uint32_t flags)
{
	struct vmsig_derive d = {
		.size = sizeof(d),
		.flags = flags | (with_rights ? VMSIG_DERIVE_RIGHTS : 0),
		.rights = with_rights ? rights : 0,
	};

	return vt_ioctl(ep, VMSIG_IOC_DERIVE, &d);
}

int vt_lease(int fd, unsigned long cmd, uint32_t cls, uint32_t flags,
	     uint64_t ttl_ns, uint64_t timeout_ns, uint64_t *token)
{
	struct vmsig_lease l = {
		.size = sizeof(l), .flags = flags, .lease_class = cls,
		.ttl_ns = ttl_ns, .timeout_ns = timeout_ns,
		.token = token ? *token : 0,
	};
	int ret = vt_ioctl(fd, cmd, &l);

	if (!ret && token)
		*token = l.token;
	return ret;
}

int vt_acquire(int fd, uint32_t cls, uint64_t *token)
{
	*token = 0;
	return vt_lease(fd, VMSIG_IOC_LEASE_ACQUIRE, cls, 0, 0, 0, token);
}

int vt_acquire_wait(int fd, uint32_t cls, uint64_t timeout_ns, uint64_t *token)
{
	*token = 0;
	return vt_lease(fd, VMSIG_IOC_LEASE_ACQUIRE, cls, VMSIG_LEASE_WAIT, 0,
			timeout_ns, token);
}

int vt_release(int fd, uint32_t cls, uint64_t token)
{
	return vt_lease(fd, VMSIG_IOC_LEASE_RELEASE, cls, 0, 0, 0, &token);
}

int vt_counters(int fd, struct vmsig_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	return vt_ioctl(fd, VMSIG_IOC_GET_COUNTERS, c);
}

bool vt_identity(const struct vmsig_counters *c)
{
	return c->delivered + c->dropped + c->expired + c->queued == c->published;
}

int vt_set_sub(int fd, uint64_t sources, uint64_t kernel_types, uint32_t ring)
{
	struct vmsig_sub s = {
		.size = sizeof(s), .sources = sources,
		.kernel_types = kernel_types, .ring_size = ring,
	};

	return vt_ioctl(fd, VMSIG_IOC_SET_SUB, &s);
}

int vt_set_ring(int fd, uint32_t size)
{
	struct vmsig_sub s = { .size = sizeof(s) };
	int ret = vt_ioctl(fd, VMSIG_IOC_GET_SUB, &s);

	s.ring_size = size;
	return ret ?: vt_ioctl(fd, VMSIG_IOC_SET_SUB, &s);
}

int vt_bind_sink(int fd, uint32_t source, uint32_t flags)
{
	struct vmsig_sink s = { .size = sizeof(s), .flags = flags, .source = source };

	return vt_ioctl(fd, VMSIG_IOC_BIND_SINK, &s);
}

int vt_ep_id(int fd, uint32_t *id)
{
	struct vmsig_ep_info info = { .size = sizeof(info) };
	int ret = vt_ioctl(fd, VMSIG_IOC_EP_INFO, &info);

	if (!ret)
		*id = info.ep_id;
	return ret;
}

int vt_rights(int fd, uint64_t *rights)
{
	struct vmsig_rights r = { .size = sizeof(r) };
	int ret = vt_ioctl(fd, VMSIG_IOC_GET_RIGHTS, &r);

	if (!ret)
		*rights = r.rights;
	return ret;
}

int vt_mem_write(int ep, uint64_t addr, const void *buf, uint32_t len,
		 uint64_t token)
{
	struct vmsig_mem_write w = {
		.size = sizeof(w), .addr = addr, .buf = (uintptr_t)buf,
		.len = len, .token = token,
	};

	return vt_ioctl(ep, VMSIG_IOC_MEM_WRITE, &w);
}

int vt_mem_read(int ep, uint64_t addr, void *buf, uint32_t len)
{
	struct vmsig_mem_entry e = { .addr = addr, .buf = (uintptr_t)buf, .len = len };
	struct vmsig_mem_read rd = {
		.size = sizeof(rd), .entries = (uintptr_t)&e, .count = 1,
	};

	return vt_ioctl(ep, VMSIG_IOC_MEM_READ, &rd) ?: e.status;
}

int vt_write_ev(int fd, const struct vmsig_event *ev, int n)
{
	ssize_t r = write(fd, ev, n * VT_EV_SIZE);

	return r < 0 ? -errno : (int)(r / VT_EV_SIZE);
}

int vt_read_ev(int fd, struct vmsig_event *ev, int max)
{
	ssize_t r = read(fd, ev, max * VT_EV_SIZE);

	return r < 0 ? -errno : (int)(r / VT_EV_SIZE);
}

struct vmsig_event vt_up(uint16_t type, uint8_t source, uint8_t prio, uint64_t p0)
{
	struct vmsig_event ev = {
		.type = type, .dir = VMSIG_DIR_UP, .prio = prio, .source = source,
	};

	ev.payload.u64[0] = p0;
	return ev;
}

int vt_memfd(const char *name, uint64_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}
