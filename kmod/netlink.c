// SPDX-License-Identifier: GPL-2.0
/*
 * The "vmsig" generic netlink family: endpoint listings, audit counters and
 * the "audit" multicast group (whose records audit.c sends).
 *
 * The family lives in the initial network namespace only.  Every command
 * needs CAP_NET_ADMIN (GENL_ADMIN_PERM), and so does joining the audit
 * group where the kernel can enforce it (VMSIG_GENL_MCGRP_ADMIN).  Requests
 * are validated strictly against one policy that types every attribute of
 * the family; each command then refuses the attributes it does not take.
 *
 * Lock order: none of its own.  A listing takes ep->lease_lock (through
 * vmsig_lease_snapshot()) and then, separately, ep->ev_lock (through
 * vmsig_endpoint_nsubs()), never one inside the other, and holds neither
 * while it builds the message.
 */
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <uapi/linux/vmsig.h>
#include <uapi/linux/vmsig_netlink.h>

#include "audit.h"
#include "backend.h"
#include "endpoint.h"
#include "lease.h"
#include "netlink.h"

static const struct nla_policy vmsig_lease_policy[VMSIG_LEASE_A_MAX + 1] = {
	[VMSIG_LEASE_A_PAD]		= { .type = NLA_REJECT },
	[VMSIG_LEASE_A_CLASS]		= NLA_POLICY_MAX(NLA_U32,
							 VMSIG_LEASE_CLASSES - 1),
	[VMSIG_LEASE_A_HELD]		= NLA_POLICY_MAX(NLA_U8, 1),
	[VMSIG_LEASE_A_HOLDER_PID]	= { .type = NLA_U32 },
	[VMSIG_LEASE_A_TOKEN]		= { .type = NLA_U64 },
	[VMSIG_LEASE_A_EXPIRES_NS]	= { .type = NLA_U64 },
};

/* Inside VMSIG_A_STATS_KINDS the attribute type is the audit kind. */
static const struct nla_policy vmsig_stats_kinds_policy[VMSIG_AUDIT_MAX + 1] = {
	[VMSIG_AUDIT_UNSPEC]				= { .type = NLA_REJECT },
	[VMSIG_AUDIT_ATTACH ... VMSIG_AUDIT_MAX]	= { .type = NLA_U64 },
};

/*
 * Every attribute of the family, typed; commands take a few of them.  The
 * audit attributes describe what a refused request carried (a length, a
 * class, rights), so they are not range-checked beyond their type.
 */
static const struct nla_policy vmsig_genl_policy[VMSIG_A_MAX + 1] = {
	[VMSIG_A_PAD]			= { .type = NLA_REJECT },
	[VMSIG_A_EP_ID]			= NLA_POLICY_MIN(NLA_U32, 1),
	[VMSIG_A_EP_BACKEND]		= NLA_POLICY_MAX(NLA_U32,
							 VMSIG_BACKEND_RAMFD),
	[VMSIG_A_EP_VMM_PID]		= { .type = NLA_U32 },
	[VMSIG_A_EP_NSUBS]		= { .type = NLA_U32 },
	[VMSIG_A_EP_LEASE]		= NLA_POLICY_NESTED(vmsig_lease_policy),
	[VMSIG_A_AUDIT_SEQ]		= { .type = NLA_U64 },
	[VMSIG_A_AUDIT_TIME_NS]		= { .type = NLA_U64 },
	[VMSIG_A_AUDIT_WHAT]		= NLA_POLICY_RANGE(NLA_U32,
							   VMSIG_AUDIT_ATTACH,
							   VMSIG_AUDIT_MAX),
	[VMSIG_A_AUDIT_RESULT]		= NLA_POLICY_RANGE(NLA_S32, -MAX_ERRNO, 0),
	[VMSIG_A_AUDIT_PID]		= { .type = NLA_U32 },
	[VMSIG_A_AUDIT_UID]		= { .type = NLA_U32 },
	[VMSIG_A_AUDIT_COMM]		= { .type = NLA_NUL_STRING,
					    .len = VMSIG_AUDIT_COMM_LEN - 1 },
	[VMSIG_A_AUDIT_LEASE_CLASS]	= { .type = NLA_U32 },
	[VMSIG_A_AUDIT_TOKEN]		= { .type = NLA_U64 },
	[VMSIG_A_AUDIT_ADDR]		= { .type = NLA_U64 },
	[VMSIG_A_AUDIT_LEN]		= { .type = NLA_U32 },
	[VMSIG_A_AUDIT_OP]		= NLA_POLICY_MAX(NLA_U32,
							 VMSIG_AUDIT_OP_WRITE),
	[VMSIG_A_AUDIT_RIGHTS]		= { .type = NLA_U64 },
	[VMSIG_A_AUDIT_HOLDER_PID]	= { .type = NLA_U32 },
	[VMSIG_A_STATS_KINDS]		= NLA_POLICY_NESTED(vmsig_stats_kinds_policy),
	[VMSIG_A_STATS_LOST]		= { .type = NLA_U64 },
};

/*
 * Refuse the attributes a command does not take.  The policy has already
 * checked the type of every attribute present.
 */
static int vmsig_nl_only(struct nlattr **attrs, u64 allowed,
			 struct netlink_ext_ack *extack)
{
	int i;

	BUILD_BUG_ON(VMSIG_A_MAX >= 64);
	if (!attrs)
		return 0;
	for (i = 1; i <= VMSIG_A_MAX; i++) {
		if (attrs[i] && !(allowed & BIT_ULL(i))) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[i],
					    "attribute not taken by this command");
			return -EINVAL;
		}
	}
	return 0;
}

static int vmsig_nl_put_lease(struct sk_buff *skb, u32 cls,
			      const struct vmsig_lease_info *li)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, VMSIG_A_EP_LEASE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VMSIG_LEASE_A_CLASS, cls) ||
	    nla_put_u8(skb, VMSIG_LEASE_A_HELD, li->held))
		goto cancel;
	if (li->held &&
	    (nla_put_u32(skb, VMSIG_LEASE_A_HOLDER_PID, li->holder_pid) ||
	     nla_put_u64_64bit(skb, VMSIG_LEASE_A_TOKEN, li->token,
			       VMSIG_LEASE_A_PAD) ||
	     nla_put_u64_64bit(skb, VMSIG_LEASE_A_EXPIRES_NS, li->expires_ns,
			       VMSIG_LEASE_A_PAD)))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* One VMSIG_CMD_LIST_ENDPOINTS message for @ep; may sleep. */
static int vmsig_nl_fill_ep(struct sk_buff *skb, struct netlink_callback *cb,
			    struct vmsig_endpoint *ep)
{
	struct vmsig_lease_info li[VMSIG_LEASE_CLASSES];
	u32 vmm_pid = ep->ops && ep->ops->vmm_pid ? ep->ops->vmm_pid(ep) : 0;
	u32 nsubs = vmsig_endpoint_nsubs(ep);
	void *hdr;
	u32 cls;

	vmsig_lease_snapshot(ep, li);
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &vmsig_genl_family, NLM_F_MULTI,
			  VMSIG_CMD_LIST_ENDPOINTS);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VMSIG_A_EP_ID, ep->id) ||
	    nla_put_u32(skb, VMSIG_A_EP_BACKEND, ep->backend) ||
	    nla_put_u32(skb, VMSIG_A_EP_VMM_PID, vmm_pid) ||
	    nla_put_u32(skb, VMSIG_A_EP_NSUBS, nsubs))
		goto cancel;
	for (cls = 0; cls < VMSIG_LEASE_CLASSES; cls++)
		if (vmsig_nl_put_lease(skb, cls, &li[cls]))
			goto cancel;
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * The dump's state in cb->args: [0] the next endpoint id to look at, [1]
 * the one endpoint asked for (0: all), [2] nonzero once the end was seen.
 */
static int vmsig_nl_list_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = vmsig_genl_dump_attrs(cb);
	int err;

	err = vmsig_nl_only(attrs, BIT_ULL(VMSIG_A_EP_ID), cb->extack);
	if (err)
		return err;
	cb->args[0] = 1;
	cb->args[1] = 0;
	cb->args[2] = 0;
	if (attrs && attrs[VMSIG_A_EP_ID]) {
		cb->args[1] = nla_get_u32(attrs[VMSIG_A_EP_ID]);
		cb->args[0] = cb->args[1];
	}
	return 0;
}

static int vmsig_nl_list_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long id = cb->args[0];
	unsigned long only = cb->args[1];
	struct vmsig_endpoint *ep;
	int err;

	while (!cb->args[2]) {
		ep = vmsig_endpoint_next(&id);
		if (!ep || (only && id != only)) {
			if (ep)
				vmsig_endpoint_put(ep);
			cb->args[2] = 1;
			break;
		}
		err = vmsig_nl_fill_ep(skb, cb, ep);
		vmsig_endpoint_put(ep);
		if (err) {
			/* Not even one endpoint fits an empty message. */
			if (!skb->len)
				return err;
			break;
		}
		cb->args[0] = ++id;
	}
	return skb->len;
}

static int vmsig_nl_get_audit_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = vmsig_nl_only(info->attrs, 0, info->extack);
	if (err)
		return err;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vmsig_genl_family, 0,
				VMSIG_CMD_GET_AUDIT_STATS);
	if (!hdr || vmsig_audit_put_stats(msg)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * struct genl_ops is the same in 6.1 and 6.12 and is the one kind of op
 * with a .start in both; the family's policy applies to each op.
 */
static const struct genl_ops vmsig_genl_ops[] = {
	{
		.cmd	= VMSIG_CMD_LIST_ENDPOINTS,
		.flags	= GENL_ADMIN_PERM,
		.start	= vmsig_nl_list_start,
		.dumpit	= vmsig_nl_list_dump,
	},
	{
		.cmd	= VMSIG_CMD_GET_AUDIT_STATS,
		.flags	= GENL_ADMIN_PERM,
		.doit	= vmsig_nl_get_audit_stats,
	},
};

static const struct genl_multicast_group vmsig_genl_mcgrps[] = {
	[VMSIG_MCGRP_AUDIT] = {
		.name	= VMSIG_GENL_MCGRP_AUDIT,
		.flags	= VMSIG_GENL_MCGRP_ADMIN,
	},
};

struct genl_family vmsig_genl_family __ro_after_init = {
	.name		= VMSIG_GENL_NAME,
	.version	= VMSIG_GENL_VERSION,
	.maxattr	= VMSIG_A_MAX,
	.policy		= vmsig_genl_policy,
	.netnsok	= false,
	.parallel_ops	= true,
	/* Strict validation of every command, and of those added later. */
	.resv_start_op	= VMSIG_CMD_LIST_ENDPOINTS,
	.ops		= vmsig_genl_ops,
	.n_ops		= ARRAY_SIZE(vmsig_genl_ops),
	.mcgrps		= vmsig_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vmsig_genl_mcgrps),
	.module		= THIS_MODULE,
};

/**
 * vmsig_netlink_init() - register the vmsig generic netlink family
 *
 * Context: module init, before any endpoint exists.
 * Return: 0 or the genl_register_family() error.
 */
int vmsig_netlink_init(void)
{
	return genl_register_family(&vmsig_genl_family);
}

/**
 * vmsig_netlink_exit() - unregister the family
 *
 * Context: module exit; no endpoint exists and none can be made.
 */
void vmsig_netlink_exit(void)
{
	genl_unregister_family(&vmsig_genl_family);
}
