// SPDX-License-Identifier: GPL-2.0
/*
 * Audit records: one per authorization decision and per change of a lease,
 * counted per kind and multicast on the "audit" group of the vmsig generic
 * netlink family when somebody listens.
 *
 * Who acted is taken from current: its tgid in the initial pid namespace,
 * its real uid in the initial user namespace and its comm.  (A record of an
 * endpoint freed by its last reference names the task that dropped it.)
 *
 * Locking: none of its own; the counters are atomics.  vmsig_audit() may
 * sleep (GFP_KERNEL allocation, netlink delivery), so callers may hold
 * mutexes but never a spinlock.
 */
#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <linux/uidgid.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <uapi/linux/vmsig_netlink.h>

#include "audit.h"
#include "netlink.h"

/* Records of each kind since the module loaded; [0] counts bad kinds. */
static atomic64_t vmsig_audit_count[__VMSIG_AUDIT_MAX];
/* Records that had listeners but were not delivered to all of them. */
static atomic64_t vmsig_audit_lost;
/* Sequence number of the last record. */
static atomic64_t vmsig_audit_seq;

/* Optional attributes of a record, by kind (see the uapi). */
#define VMSIG_AF_CLASS	BIT(0)
#define VMSIG_AF_TOKEN	BIT(1)
#define VMSIG_AF_HOLDER	BIT(2)
#define VMSIG_AF_ADDR	BIT(3)
#define VMSIG_AF_OP	BIT(4)
#define VMSIG_AF_RIGHTS	BIT(5)
#define VMSIG_AF_LEASE	(VMSIG_AF_CLASS | VMSIG_AF_TOKEN | VMSIG_AF_HOLDER)

static const u8 vmsig_audit_fields[__VMSIG_AUDIT_MAX] = {
	[VMSIG_AUDIT_DERIVE]		= VMSIG_AF_RIGHTS,
	[VMSIG_AUDIT_DENIED]		= VMSIG_AF_OP | VMSIG_AF_RIGHTS,
	[VMSIG_AUDIT_LEASE_GRANT]	= VMSIG_AF_LEASE,
	[VMSIG_AUDIT_LEASE_DENY]	= VMSIG_AF_LEASE,
	[VMSIG_AUDIT_LEASE_RELEASE]	= VMSIG_AF_LEASE,
	[VMSIG_AUDIT_LEASE_EXPIRE]	= VMSIG_AF_LEASE,
	[VMSIG_AUDIT_LEASE_REVOKE]	= VMSIG_AF_LEASE,
	[VMSIG_AUDIT_LEASE_CLOSED]	= VMSIG_AF_LEASE,
	[VMSIG_AUDIT_MEMWRITE]		= VMSIG_AF_CLASS | VMSIG_AF_TOKEN |
					  VMSIG_AF_ADDR,
};

/* The largest record: every attribute present. */
static size_t vmsig_audit_msg_size(void)
{
	return nla_total_size_64bit(sizeof(u64)) * 5 +	/* seq time token addr rights */
	       nla_total_size(sizeof(u32)) * 9 +	/* what .. holder, ep, len, op */
	       nla_total_size(TASK_COMM_LEN);
}

static int vmsig_audit_fill(struct sk_buff *skb, const struct vmsig_audit_rec *r,
			    u64 seq)
{
	u8 f = r->what < __VMSIG_AUDIT_MAX ? vmsig_audit_fields[r->what] : 0;
	char comm[TASK_COMM_LEN];

	get_task_comm(comm, current);
	if (r->token)
		f |= VMSIG_AF_TOKEN;
	if (r->holder_pid)
		f |= VMSIG_AF_HOLDER;
	if (r->op)
		f |= VMSIG_AF_OP;
	if (r->rights)
		f |= VMSIG_AF_RIGHTS;
	/* A token belongs to a lease class: say which. */
	if (f & VMSIG_AF_TOKEN)
		f |= VMSIG_AF_CLASS;

	if (nla_put_u64_64bit(skb, VMSIG_A_AUDIT_SEQ, seq, VMSIG_A_PAD) ||
	    nla_put_u64_64bit(skb, VMSIG_A_AUDIT_TIME_NS, ktime_get_ns(),
			      VMSIG_A_PAD) ||
	    nla_put_u32(skb, VMSIG_A_AUDIT_WHAT, r->what) ||
	    nla_put_s32(skb, VMSIG_A_AUDIT_RESULT, r->result) ||
	    nla_put_u32(skb, VMSIG_A_AUDIT_PID, task_tgid_nr(current)) ||
	    nla_put_u32(skb, VMSIG_A_AUDIT_UID,
			from_kuid_munged(&init_user_ns, current_uid())) ||
	    nla_put_string(skb, VMSIG_A_AUDIT_COMM, comm) ||
	    nla_put_u32(skb, VMSIG_A_EP_ID, r->ep_id))
		return -EMSGSIZE;
	if ((f & VMSIG_AF_CLASS) &&
	    nla_put_u32(skb, VMSIG_A_AUDIT_LEASE_CLASS, r->lease_class))
		return -EMSGSIZE;
	if ((f & VMSIG_AF_TOKEN) &&
	    nla_put_u64_64bit(skb, VMSIG_A_AUDIT_TOKEN, r->token, VMSIG_A_PAD))
		return -EMSGSIZE;
	if ((f & VMSIG_AF_HOLDER) &&
	    nla_put_u32(skb, VMSIG_A_AUDIT_HOLDER_PID, r->holder_pid))
		return -EMSGSIZE;
	if ((f & VMSIG_AF_ADDR) &&
	    (nla_put_u64_64bit(skb, VMSIG_A_AUDIT_ADDR, r->addr, VMSIG_A_PAD) ||
	     nla_put_u32(skb, VMSIG_A_AUDIT_LEN, r->len)))
		return -EMSGSIZE;
	if ((f & VMSIG_AF_OP) && nla_put_u32(skb, VMSIG_A_AUDIT_OP, r->op))
		return -EMSGSIZE;
	if ((f & VMSIG_AF_RIGHTS) &&
	    nla_put_u64_64bit(skb, VMSIG_A_AUDIT_RIGHTS, r->rights, VMSIG_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/**
 * vmsig_audit() - count an audit record and multicast it to listeners
 * @r: what happened; who did it is current
 *
 * The record is counted under its kind, gets the next sequence number, and
 * is sent to the "audit" group when the group has listeners.  A record that
 * cannot be built, that reaches no listener, or that a listener with
 * NETLINK_BROADCAST_ERROR set cannot take, is counted as lost.
 *
 * Context: process context; may sleep.  Callers may hold a mutex, never a
 * spinlock.  Never fails.
 */
void vmsig_audit(const struct vmsig_audit_rec *r)
{
	struct sk_buff *skb;
	void *hdr;
	u64 seq;
	int err;

	might_sleep();
	WARN_ON_ONCE(!r->what || r->what > VMSIG_AUDIT_MAX);
	atomic64_inc(&vmsig_audit_count[r->what <= VMSIG_AUDIT_MAX ? r->what : 0]);
	seq = atomic64_inc_return(&vmsig_audit_seq);

	if (!genl_has_listeners(&vmsig_genl_family, &init_net, VMSIG_MCGRP_AUDIT))
		return;
	skb = genlmsg_new(vmsig_audit_msg_size(), GFP_KERNEL);
	if (!skb)
		goto lost;
	hdr = genlmsg_put(skb, 0, 0, &vmsig_genl_family, 0, VMSIG_CMD_AUDIT);
	if (!hdr || vmsig_audit_fill(skb, r, seq)) {
		nlmsg_free(skb);
		goto lost;
	}
	genlmsg_end(skb, hdr);
	/*
	 * -ESRCH: no listener took it (their sockets were full, or they all
	 * left since genl_has_listeners()); -ENOBUFS: a listener that set
	 * NETLINK_BROADCAST_ERROR could not take it.  Either way, lost.
	 */
	err = genlmsg_multicast(&vmsig_genl_family, skb, 0, VMSIG_MCGRP_AUDIT,
				GFP_KERNEL);
	if (err)
		goto lost;
	return;
lost:
	atomic64_inc(&vmsig_audit_lost);
}

/**
 * vmsig_audit_put_stats() - the counters, as VMSIG_CMD_GET_AUDIT_STATS
 * replies with them
 * @skb: the reply being built
 *
 * Return: 0 or -EMSGSIZE.
 */
int vmsig_audit_put_stats(struct sk_buff *skb)
{
	struct nlattr *kinds;
	int kind;

	kinds = nla_nest_start(skb, VMSIG_A_STATS_KINDS);
	if (!kinds)
		return -EMSGSIZE;
	for (kind = 1; kind <= VMSIG_AUDIT_MAX; kind++)
		if (nla_put_u64_64bit(skb, kind,
				      atomic64_read(&vmsig_audit_count[kind]),
				      VMSIG_AUDIT_UNSPEC))
			goto cancel;
	nla_nest_end(skb, kinds);
	if (nla_put_u64_64bit(skb, VMSIG_A_STATS_LOST,
			      atomic64_read(&vmsig_audit_lost), VMSIG_A_PAD))
		return -EMSGSIZE;
	return 0;
cancel:
	nla_nest_cancel(skb, kinds);
	return -EMSGSIZE;
}
