/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmsig - the "vmsig" generic netlink family: endpoint listings, audit
 * counters and the audit stream (uapi/linux/vmsig_netlink.h), over libnl-3.
 *
 * Every function returns 0 (or a non-negative count) on success and -errno
 * on failure; nothing is global, so distinct handles may be used from
 * distinct threads.  Commands and joining the audit group need
 * CAP_NET_ADMIN (-EPERM otherwise); the family exists only while the vmsig
 * module is loaded (-ENOENT otherwise) and only in the initial network
 * namespace.
 */
#ifndef LIBVMSIG_VMSIG_NL_H
#define LIBVMSIG_VMSIG_NL_H

#include <stdint.h>
#include <linux/netlink.h>
#include <linux/vmsig.h>
#include <linux/vmsig_netlink.h>

#ifdef __cplusplus
extern "C" {
#endif

/** struct vmsig_nl - a connection to the family (opaque) */
struct vmsig_nl;

/**
 * vmsig_nl_open() - connect to the vmsig generic netlink family
 * @nlp: set to the new handle
 *
 * Return: 0, -ENOENT when the family is not registered (module not
 * loaded), or -errno.
 */
int vmsig_nl_open(struct vmsig_nl **nlp);

/** vmsig_nl_close() - close a handle and its audit subscription; NULL is ok */
void vmsig_nl_close(struct vmsig_nl *nl);

/** VMSIG_NL_LEASES_MAX - lease classes a listing entry keeps */
#define VMSIG_NL_LEASES_MAX	8

/**
 * struct vmsig_nl_lease - one lease class of a listed endpoint
 * @lease_class: &enum vmsig_lease_class
 * @held: 1 when somebody holds it
 * @holder_pid: the holder's pid (held leases)
 * @reserved: zero
 * @token: the current grant's fencing token (held leases)
 * @expires_ns: CLOCK_MONOTONIC expiry, 0 for none (held leases)
 */
struct vmsig_nl_lease {
	uint32_t lease_class;
	uint32_t held;
	uint32_t holder_pid;
	uint32_t reserved;
	uint64_t token;
	uint64_t expires_ns;
};

/**
 * struct vmsig_nl_endpoint - one endpoint of VMSIG_CMD_LIST_ENDPOINTS
 * @ep_id: the endpoint id
 * @backend: &enum vmsig_backend
 * @vmm_pid: the VMM's pid, 0 when unknown
 * @nsubs: open endpoint files
 * @nleases: used entries of @leases
 * @leases: the lease classes, in class order
 */
struct vmsig_nl_endpoint {
	uint32_t ep_id;
	uint32_t backend;
	uint32_t vmm_pid;
	uint32_t nsubs;
	uint32_t nleases;
	struct vmsig_nl_lease leases[VMSIG_NL_LEASES_MAX];
};

/**
 * typedef vmsig_nl_endpoint_fn - called once per listed endpoint
 * @ep: the endpoint (valid during the call only)
 * @arg: the caller's argument
 *
 * Return: 0 to go on; a negative errno stops the calls and is returned by
 * vmsig_nl_list_endpoints().
 */
typedef int (*vmsig_nl_endpoint_fn)(const struct vmsig_nl_endpoint *ep,
				    void *arg);

/**
 * vmsig_nl_list_endpoints() - list endpoints
 * @nl: the handle
 * @ep_id: list only this endpoint, or 0 for all of them
 * @fn: called for each, in id order
 * @arg: passed to @fn
 *
 * Return: the number of endpoints listed, @fn's negative return, or -errno.
 */
int vmsig_nl_list_endpoints(struct vmsig_nl *nl, uint32_t ep_id,
			    vmsig_nl_endpoint_fn fn, void *arg);

/** VMSIG_NL_KINDS_MAX - audit kinds struct vmsig_nl_audit_stats keeps */
#define VMSIG_NL_KINDS_MAX	32

/**
 * struct vmsig_nl_audit_stats - the audit counters
 * @kinds: records of each kind (&enum vmsig_audit_kind) since the module
 *	loaded; [0] is unused
 * @lost: records made while somebody listened that reached no listener or
 *	could not be queued to one (see VMSIG_A_STATS_LOST)
 */
struct vmsig_nl_audit_stats {
	uint64_t kinds[VMSIG_NL_KINDS_MAX];
	uint64_t lost;
};

/**
 * vmsig_nl_audit_stats() - read the audit counters
 * @nl: the handle
 * @st: filled
 *
 * Return: 0 or -errno.
 */
int vmsig_nl_audit_stats(struct vmsig_nl *nl, struct vmsig_nl_audit_stats *st);

/* Which optional fields of struct vmsig_nl_audit a record carried. */
#define VMSIG_NL_AUDIT_HAS_CLASS	(1U << 0)
#define VMSIG_NL_AUDIT_HAS_TOKEN	(1U << 1)
#define VMSIG_NL_AUDIT_HAS_HOLDER	(1U << 2)
#define VMSIG_NL_AUDIT_HAS_ADDR		(1U << 3)	/* @addr and @len */
#define VMSIG_NL_AUDIT_HAS_OP		(1U << 4)
#define VMSIG_NL_AUDIT_HAS_RIGHTS	(1U << 5)

/**
 * struct vmsig_nl_audit - one decoded audit record
 * @seq: the record's sequence number (a gap means records not seen)
 * @time_ns: CLOCK_MONOTONIC time of the decision
 * @what: &enum vmsig_audit_kind
 * @result: 0 or the negative errno the actor got
 * @pid: the actor's pid (initial pid namespace)
 * @uid: the actor's uid (initial user namespace)
 * @comm: the actor's command name
 * @ep_id: the endpoint, 0 when none
 * @present: VMSIG_NL_AUDIT_HAS_* for the fields below
 * @lease_class: &enum vmsig_lease_class
 * @len: MEMWRITE: bytes
 * @token: the lease token involved
 * @addr: MEMWRITE: the address
 * @op: DENIED: the ioctl number (_IOC_NR) or VMSIG_AUDIT_OP_WRITE
 * @holder_pid: lease records: the holder's pid
 * @rights: DENIED: the missing rights; DERIVE: the new file's rights
 */
struct vmsig_nl_audit {
	uint64_t seq;
	uint64_t time_ns;
	uint32_t what;
	int32_t result;
	uint32_t pid;
	uint32_t uid;
	char comm[VMSIG_AUDIT_COMM_LEN];
	uint32_t ep_id;
	uint32_t present;
	uint32_t lease_class;
	uint32_t len;
	uint64_t token;
	uint64_t addr;
	uint32_t op;
	uint32_t holder_pid;
	uint64_t rights;
};

/**
 * vmsig_nl_audit_subscribe() - start receiving audit records
 * @nl: the handle
 *
 * Opens a second socket in @nl that joins the "audit" group, so requests
 * on @nl keep working while records queue.  Only records of decisions made
 * after this call arrive.
 *
 * Return: 0, -EALREADY when subscribed, -EPERM without CAP_NET_ADMIN, or
 * -errno.
 */
int vmsig_nl_audit_subscribe(struct vmsig_nl *nl);

/**
 * vmsig_nl_audit_fd() - the subscription's socket, to poll for POLLIN
 * @nl: the handle
 *
 * Return: the fd, or -ENOTCONN when not subscribed.
 */
int vmsig_nl_audit_fd(const struct vmsig_nl *nl);

/**
 * vmsig_nl_audit_next() - the next audit record
 * @nl: a subscribed handle
 * @rec: filled
 * @timeout_ms: longest wait: 0 does not wait, -1 waits forever
 *
 * Return: 0 with a record; -EAGAIN when none came in time; -ENOBUFS when
 * the socket overflowed and records were lost (the next call goes on with
 * the records after the loss); -ENOTCONN when not subscribed; -errno.
 */
int vmsig_nl_audit_next(struct vmsig_nl *nl, struct vmsig_nl_audit *rec,
			int timeout_ms);

/**
 * vmsig_nl_decode_audit() - decode a VMSIG_CMD_AUDIT message
 * @nlh: the message (its nlmsg_type, the family id, is not checked)
 * @rec: filled
 *
 * Return: 0, or -EPROTO for a message that is not a well-formed record.
 */
int vmsig_nl_decode_audit(const struct nlmsghdr *nlh, struct vmsig_nl_audit *rec);

/**
 * vmsig_nl_decode_endpoint() - decode a VMSIG_CMD_LIST_ENDPOINTS message
 * @nlh: the message
 * @ep: filled
 *
 * Return: 0, or -EPROTO for a malformed message.
 */
int vmsig_nl_decode_endpoint(const struct nlmsghdr *nlh,
			     struct vmsig_nl_endpoint *ep);

/**
 * vmsig_nl_decode_stats() - decode a VMSIG_CMD_GET_AUDIT_STATS reply
 * @nlh: the message
 * @st: filled
 *
 * Return: 0, or -EPROTO for a malformed message.
 */
int vmsig_nl_decode_stats(const struct nlmsghdr *nlh,
			  struct vmsig_nl_audit_stats *st);

/**
 * vmsig_audit_kind_name() - "attach", "lease_grant", ... for a kind
 * @what: &enum vmsig_audit_kind
 *
 * Return: a static string, or NULL for an unknown kind.
 */
const char *vmsig_audit_kind_name(uint32_t what);

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_NL_H */
