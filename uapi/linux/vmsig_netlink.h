/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmsig generic netlink family: endpoint listings and the audit stream.
 *
 * The family is named VMSIG_GENL_NAME and lives in the initial network
 * namespace only.  It has one multicast group, VMSIG_GENL_MCGRP_AUDIT, that
 * carries one VMSIG_CMD_AUDIT message per authorization decision and per
 * change of a lease, and two commands:
 *
 * - VMSIG_CMD_LIST_ENDPOINTS (dump only): one message per endpoint, in id
 *   order; an optional VMSIG_A_EP_ID in the request lists only that
 *   endpoint.
 * - VMSIG_CMD_GET_AUDIT_STATS (do only): the audit counters.
 *
 * Every command, and joining the audit group, needs CAP_NET_ADMIN (the
 * records name other users' processes); -EPERM otherwise.  Requests are
 * validated strictly: unknown attributes, attributes of the wrong type or
 * length, attributes a command does not take, nonzero genlmsghdr.reserved
 * and unexpected nlmsg_flags all fail with -EINVAL, a value out of its
 * range with -ERANGE (with an extended ACK message naming the attribute).
 * Integers are host-endian; every __u64 attribute is 64-bit aligned with
 * VMSIG_A_PAD (or VMSIG_LEASE_A_PAD inside a lease, or VMSIG_AUDIT_UNSPEC
 * inside VMSIG_A_STATS_KINDS) attributes.
 * Documentation/userspace-api.rst has the full description.
 */
#ifndef _UAPI_LINUX_VMSIG_NETLINK_H
#define _UAPI_LINUX_VMSIG_NETLINK_H

/** VMSIG_GENL_NAME - name of the generic netlink family */
#define VMSIG_GENL_NAME		"vmsig"
/** VMSIG_GENL_VERSION - version of the family; bumped on incompatible change */
#define VMSIG_GENL_VERSION	1
/** VMSIG_GENL_MCGRP_AUDIT - name of the multicast group of audit records */
#define VMSIG_GENL_MCGRP_AUDIT	"audit"
/** VMSIG_AUDIT_COMM_LEN - size of VMSIG_A_AUDIT_COMM, NUL included */
#define VMSIG_AUDIT_COMM_LEN	16

/**
 * enum vmsig_genl_cmd - commands of the vmsig family
 * @VMSIG_CMD_UNSPEC: never used
 * @VMSIG_CMD_LIST_ENDPOINTS: dump: one message per endpoint with VMSIG_A_EP_*
 *	attributes and one VMSIG_A_EP_LEASE per lease class; request: optional
 *	VMSIG_A_EP_ID to list one endpoint (an empty dump when it does not
 *	exist)
 * @VMSIG_CMD_GET_AUDIT_STATS: do: the reply carries VMSIG_A_STATS_KINDS and
 *	VMSIG_A_STATS_LOST; the request takes no attribute
 * @VMSIG_CMD_AUDIT: the command of the multicast audit records (kernel to
 *	userspace only; a request with it fails with -EOPNOTSUPP)
 * @__VMSIG_CMD_MAX: internal
 * @VMSIG_CMD_MAX: highest command number
 */
enum vmsig_genl_cmd {
	VMSIG_CMD_UNSPEC,
	VMSIG_CMD_LIST_ENDPOINTS,
	VMSIG_CMD_GET_AUDIT_STATS,
	VMSIG_CMD_AUDIT,

	__VMSIG_CMD_MAX,
	VMSIG_CMD_MAX = __VMSIG_CMD_MAX - 1,
};

/**
 * enum vmsig_genl_attr - top-level attributes of the vmsig family
 * @VMSIG_A_UNSPEC: never used
 * @VMSIG_A_PAD: padding for the 64-bit attributes; carries nothing
 * @VMSIG_A_EP_ID: u32, the endpoint id (listings, audit records; 0 in an
 *	audit record that concerns no endpoint yet)
 * @VMSIG_A_EP_BACKEND: u32, &enum vmsig_backend
 * @VMSIG_A_EP_VMM_PID: u32, the VMM's pid (kvm backend), 0 when unknown
 * @VMSIG_A_EP_NSUBS: u32, the number of open endpoint files (subscribers)
 * @VMSIG_A_EP_LEASE: nested, &enum vmsig_lease_attr; one per lease class,
 *	in class order
 * @VMSIG_A_AUDIT_SEQ: u64, sequence number of the record: one more than the
 *	previous record's, whether or not anybody listened to it
 * @VMSIG_A_AUDIT_TIME_NS: u64, CLOCK_MONOTONIC time of the decision
 * @VMSIG_A_AUDIT_WHAT: u32, &enum vmsig_audit_kind
 * @VMSIG_A_AUDIT_RESULT: s32, 0 or the negative errno the caller got
 * @VMSIG_A_AUDIT_PID: u32, the acting process's tgid, in the initial pid
 *	namespace
 * @VMSIG_A_AUDIT_UID: u32, its real uid, in the initial user namespace
 * @VMSIG_A_AUDIT_COMM: NUL-terminated string, its command name (at most
 *	VMSIG_AUDIT_COMM_LEN bytes with the NUL)
 * @VMSIG_A_AUDIT_LEASE_CLASS: u32, &enum vmsig_lease_class
 * @VMSIG_A_AUDIT_TOKEN: u64, the lease token involved
 * @VMSIG_A_AUDIT_ADDR: u64, MEMWRITE: the address (physical, or virtual as
 *	given)
 * @VMSIG_A_AUDIT_LEN: u32, MEMWRITE: the length in bytes
 * @VMSIG_A_AUDIT_OP: u32, DENIED: the ioctl number (_IOC_NR) refused, or
 *	VMSIG_AUDIT_OP_WRITE for a refused write()
 * @VMSIG_A_AUDIT_RIGHTS: u64, DENIED: the VMSIG_RIGHT_* bits missing;
 *	DERIVE: the rights of the new file
 * @VMSIG_A_AUDIT_HOLDER_PID: u32, lease records: the holder's tgid
 * @VMSIG_A_STATS_KINDS: nested: attribute type N is a u64, the number of
 *	records of kind N (&enum vmsig_audit_kind) since the module loaded;
 *	type 0 (VMSIG_AUDIT_UNSPEC) is padding
 * @VMSIG_A_STATS_LOST: u64, records made while the group had listeners
 *	that could not be built, reached no listener, or could not be queued
 *	to a listener that set NETLINK_BROADCAST_ERROR (a listener always
 *	learns of its own overrun: recv() fails with ENOBUFS)
 * @__VMSIG_A_MAX: internal
 * @VMSIG_A_MAX: highest attribute number
 *
 * Which audit attributes a record carries: every record has SEQ, TIME_NS,
 * WHAT, RESULT, PID, UID, COMM and EP_ID.  LEASE_CLASS, TOKEN and
 * HOLDER_PID come with the VMSIG_AUDIT_LEASE_* kinds; LEASE_CLASS, TOKEN,
 * ADDR and LEN with VMSIG_AUDIT_MEMWRITE; OP and RIGHTS with
 * VMSIG_AUDIT_DENIED; RIGHTS with VMSIG_AUDIT_DERIVE.  TOKEN, OP, RIGHTS and
 * HOLDER_PID also come with any other kind when they are not zero, and
 * LEASE_CLASS with every record that has a TOKEN (a DENIED write() of a
 * DOWN record with a stale token, for one).
 */
enum vmsig_genl_attr {
	VMSIG_A_UNSPEC,
	VMSIG_A_PAD,
	VMSIG_A_EP_ID,
	VMSIG_A_EP_BACKEND,
	VMSIG_A_EP_VMM_PID,
	VMSIG_A_EP_NSUBS,
	VMSIG_A_EP_LEASE,
	VMSIG_A_AUDIT_SEQ,
	VMSIG_A_AUDIT_TIME_NS,
	VMSIG_A_AUDIT_WHAT,
	VMSIG_A_AUDIT_RESULT,
	VMSIG_A_AUDIT_PID,
	VMSIG_A_AUDIT_UID,
	VMSIG_A_AUDIT_COMM,
	VMSIG_A_AUDIT_LEASE_CLASS,
	VMSIG_A_AUDIT_TOKEN,
	VMSIG_A_AUDIT_ADDR,
	VMSIG_A_AUDIT_LEN,
	VMSIG_A_AUDIT_OP,
	VMSIG_A_AUDIT_RIGHTS,
	VMSIG_A_AUDIT_HOLDER_PID,
	VMSIG_A_STATS_KINDS,
	VMSIG_A_STATS_LOST,

	__VMSIG_A_MAX,
	VMSIG_A_MAX = __VMSIG_A_MAX - 1,
};

/**
 * enum vmsig_lease_attr - attributes inside VMSIG_A_EP_LEASE
 * @VMSIG_LEASE_A_UNSPEC: never used
 * @VMSIG_LEASE_A_PAD: padding for the 64-bit attributes
 * @VMSIG_LEASE_A_CLASS: u32, &enum vmsig_lease_class
 * @VMSIG_LEASE_A_HELD: u8, 1 when somebody holds the lease, else 0
 * @VMSIG_LEASE_A_HOLDER_PID: u32, the holder's tgid (held leases)
 * @VMSIG_LEASE_A_TOKEN: u64, the current grant's fencing token (held
 *	leases)
 * @VMSIG_LEASE_A_EXPIRES_NS: u64, CLOCK_MONOTONIC expiry of the grant, 0 for
 *	none (held leases)
 * @__VMSIG_LEASE_A_MAX: internal
 * @VMSIG_LEASE_A_MAX: highest attribute number
 *
 * A lease that is not held carries only CLASS and HELD.
 */
enum vmsig_lease_attr {
	VMSIG_LEASE_A_UNSPEC,
	VMSIG_LEASE_A_PAD,
	VMSIG_LEASE_A_CLASS,
	VMSIG_LEASE_A_HELD,
	VMSIG_LEASE_A_HOLDER_PID,
	VMSIG_LEASE_A_TOKEN,
	VMSIG_LEASE_A_EXPIRES_NS,

	__VMSIG_LEASE_A_MAX,
	VMSIG_LEASE_A_MAX = __VMSIG_LEASE_A_MAX - 1,
};

/**
 * enum vmsig_audit_kind - what an audit record (VMSIG_A_AUDIT_WHAT) is about
 * @VMSIG_AUDIT_UNSPEC: never a kind; the padding type in VMSIG_A_STATS_KINDS
 * @VMSIG_AUDIT_ATTACH: VMSIG_IOC_ATTACH made an endpoint (or failed to)
 * @VMSIG_AUDIT_DETACH: an endpoint was freed: its last file closed
 * @VMSIG_AUDIT_DERIVE: VMSIG_IOC_DERIVE made a file (RIGHTS: its rights),
 *	or was refused
 * @VMSIG_AUDIT_OPEN_EP: VMSIG_IOC_OPEN_EP opened an endpoint by id, or was
 *	refused
 * @VMSIG_AUDIT_DENIED: an ioctl or write() was refused for a missing right
 *	(OP: what, RIGHTS: the missing rights; RESULT -EPERM)
 * @VMSIG_AUDIT_LEASE_GRANT: a lease was granted (TOKEN: the new token)
 * @VMSIG_AUDIT_LEASE_DENY: an acquire failed: busy, timed out or interrupted
 *	(RESULT: -EBUSY, -ETIMEDOUT, -EINTR, ...)
 * @VMSIG_AUDIT_LEASE_RELEASE: the holder released its lease
 * @VMSIG_AUDIT_LEASE_EXPIRE: a lease's TTL passed
 * @VMSIG_AUDIT_LEASE_REVOKE: an admin revoked a lease
 * @VMSIG_AUDIT_LEASE_CLOSED: the holder's file was finally released
 * @VMSIG_AUDIT_MEMWRITE: a VMSIG_IOC_MEM_WRITE landed (RESULT 0) or was
 *	refused (RESULT: its errno)
 * @__VMSIG_AUDIT_MAX: internal
 * @VMSIG_AUDIT_MAX: highest kind
 */
enum vmsig_audit_kind {
	VMSIG_AUDIT_UNSPEC,
	VMSIG_AUDIT_ATTACH,
	VMSIG_AUDIT_DETACH,
	VMSIG_AUDIT_DERIVE,
	VMSIG_AUDIT_OPEN_EP,
	VMSIG_AUDIT_DENIED,
	VMSIG_AUDIT_LEASE_GRANT,
	VMSIG_AUDIT_LEASE_DENY,
	VMSIG_AUDIT_LEASE_RELEASE,
	VMSIG_AUDIT_LEASE_EXPIRE,
	VMSIG_AUDIT_LEASE_REVOKE,
	VMSIG_AUDIT_LEASE_CLOSED,
	VMSIG_AUDIT_MEMWRITE,

	__VMSIG_AUDIT_MAX,
	VMSIG_AUDIT_MAX = __VMSIG_AUDIT_MAX - 1,
};

/** VMSIG_AUDIT_OP_WRITE - VMSIG_A_AUDIT_OP of a refused write() */
#define VMSIG_AUDIT_OP_WRITE	0x100

#endif /* _UAPI_LINUX_VMSIG_NETLINK_H */
