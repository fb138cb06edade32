/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the reliability selftests (stress, fuzz,
 * loadcycle, infoleak): thin wrappers of the vmsig uapi that answer -errno,
 * a seeded pseudo-random generator whose seed can be printed and replayed,
 * and clocks.
 *
 * Every wrapper returns 0 (or a new fd) on success and a negative errno on
 * failure; none of them touches errno-based global state beyond that.
 */
#ifndef VMSIG_SELFTEST_VTEST_H
#define VMSIG_SELFTEST_VTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vmsig.h>

#define VT_EV_SIZE	sizeof(struct vmsig_event)
#define VT_MS		1000000ULL

/* ----------------------------------------------------------- random --- */

/* xoshiro256** seeded through splitmix64: fast, and the same everywhere. */
struct vt_rng {
	uint64_t s[4];
};

void vt_rng_seed(struct vt_rng *r, uint64_t seed);
uint64_t vt_rand(struct vt_rng *r);
/* Uniform in [0, n); 0 when n is 0. */
uint64_t vt_below(struct vt_rng *r, uint64_t n);
/* True with probability 1/n. */
bool vt_one_in(struct vt_rng *r, uint64_t n);
/*
 * A seed from the environment variable @name (decimal or 0x-hex), or @def
 * when it is unset or unparsable.
 */
uint64_t vt_env_u64(const char *name, uint64_t def);

/* ------------------------------------------------------------ clock --- */

uint64_t vt_now_ns(void);

/* ------------------------------------------------------------- uapi --- */

int vt_ioctl(int fd, unsigned long cmd, void *arg);
/* open("/dev/vmsig"), close-on-exec. */
int vt_open_dev(void);
/* ATTACH with ram_base and ram_size 0; returns the endpoint fd. */
int vt_attach(int dev, uint32_t backend, int fd, uint32_t flags);
/* DERIVE; @rights used only with @with_rights. */
int vt_derive(int ep, uint64_t rights, bool with_rights, uint32_t flags);
int vt_lease(int fd, unsigned long cmd, uint32_t cls, uint32_t flags,
	     uint64_t ttl_ns, uint64_t timeout_ns, uint64_t *token);
int vt_acquire(int fd, uint32_t cls, uint64_t *token);
int vt_acquire_wait(int fd, uint32_t cls, uint64_t timeout_ns, uint64_t *token);
int vt_release(int fd, uint32_t cls, uint64_t token);
int vt_counters(int fd, struct vmsig_counters *c);
/* delivered + dropped + expired + queued == published, in one snapshot. */
bool vt_identity(const struct vmsig_counters *c);
int vt_set_ring(int fd, uint32_t size);
int vt_set_sub(int fd, uint64_t sources, uint64_t kernel_types, uint32_t ring);
int vt_bind_sink(int fd, uint32_t source, uint32_t flags);
int vt_ep_id(int fd, uint32_t *id);
int vt_rights(int fd, uint64_t *rights);
/* One MEM_WRITE of @len bytes (not CAS). */
int vt_mem_write(int ep, uint64_t addr, const void *buf, uint32_t len,
		 uint64_t token);
/* One MEM_READ entry; the entry status, or the ioctl's error. */
int vt_mem_read(int ep, uint64_t addr, void *buf, uint32_t len);
/* write() of @n records; records accepted, or -errno. */
int vt_write_ev(int fd, const struct vmsig_event *ev, int n);
/* read() of up to @max records; records read (0 at EOF), or -errno. */
int vt_read_ev(int fd, struct vmsig_event *ev, int max);
/* An UP event of an adapter type. */
struct vmsig_event vt_up(uint16_t type, uint8_t source, uint8_t prio, uint64_t p0);
/* A memfd of @size bytes; -errno on failure. */
int vt_memfd(const char *name, uint64_t size);

#endif /* VMSIG_SELFTEST_VTEST_H */
