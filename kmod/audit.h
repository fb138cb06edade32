/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Audit records: one per authorization decision and per change of a lease,
 * published on the "audit" multicast group of the vmsig generic netlink
 * family and counted per kind.
 */
#ifndef VMSIG_AUDIT_H
#define VMSIG_AUDIT_H

#include <linux/types.h>
#include <uapi/linux/vmsig_netlink.h>

/**
 * struct vmsig_audit_rec - what happened; who did it is taken from current
 * @what: VMSIG_AUDIT_* (uapi/linux/vmsig_netlink.h)
 * @result: 0 or the negative errno the caller got
 * @ep_id: the endpoint (0 when none yet)
 * @lease_class: &enum vmsig_lease_class, for lease records
 * @token: the lease token involved, 0 when none
 * @addr: MEMWRITE: the address written (physical or virtual as given)
 * @len: MEMWRITE: bytes
 * @op: DENIED: the ioctl number (_IOC_NR) or VMSIG_AUDIT_OP_WRITE
 * @rights: DENIED: the right that was missing; DERIVE: the new rights
 * @holder_pid: lease records: the holder's pid (tgid), 0 if unknown
 */
struct vmsig_audit_rec {
	u32 what;
	s32 result;
	u32 ep_id;
	u32 lease_class;
	u64 token;
	u64 addr;
	u32 len;
	u32 op;
	u64 rights;
	u32 holder_pid;
};

/*
 * Context: process context; may be called with a mutex held, never with a
 * spinlock held.  Never fails: a record that cannot be sent is counted.
 */
void vmsig_audit(const struct vmsig_audit_rec *r);

int vmsig_netlink_init(void);
void vmsig_netlink_exit(void);

#endif /* VMSIG_AUDIT_H */
