/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSIG_LEASE_H
#define VMSIG_LEASE_H

#include <linux/types.h>
#include <uapi/linux/vmsig.h>

struct file;
struct vmsig_endpoint;
struct vmsig_epfile;
struct vmsig_uarg;

/**
 * struct vmsig_lease_slot - one lease class of an endpoint
 * @holder: the file holding it, NULL when free
 * @token: the current grant's token (meaningful while held)
 * @last_token: the largest token ever granted for the class
 * @expires_ns: CLOCK_MONOTONIC expiry of the grant, 0 for none
 * @holder_pid: tgid of the process that acquired it
 */
struct vmsig_lease_slot {
	struct vmsig_epfile *holder;
	u64 token;
	u64 last_token;
	u64 expires_ns;
	u32 holder_pid;
};

/**
 * struct vmsig_lease_info - a lease as listings show it
 * @held: whether somebody holds it
 * @holder_pid: the holder's tgid
 * @token: the current grant's token
 * @expires_ns: expiry, 0 for none
 */
struct vmsig_lease_info {
	bool held;
	u32 holder_pid;
	u64 token;
	u64 expires_ns;
};

void vmsig_lease_init(struct vmsig_endpoint *ep);
int __vmsig_lease_check(struct vmsig_epfile *f, u32 cls, u64 token);
void vmsig_lease_file_closed(struct vmsig_epfile *f);
void vmsig_lease_snapshot(struct vmsig_endpoint *ep,
			  struct vmsig_lease_info info[VMSIG_LEASE_CLASSES]);

long vmsig_ioc_lease_acquire(struct file *file, void *arg,
			     const struct vmsig_uarg *u);
long vmsig_ioc_lease_renew(struct file *file, void *arg,
			   const struct vmsig_uarg *u);
long vmsig_ioc_lease_release(struct file *file, void *arg,
			     const struct vmsig_uarg *u);
long vmsig_ioc_lease_revoke(struct file *file, void *arg,
			    const struct vmsig_uarg *u);

#endif /* VMSIG_LEASE_H */
