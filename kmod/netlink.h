/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vmsig generic netlink family, shared by the audit records (audit.c)
 * and the commands (netlink.c).
 */
#ifndef VMSIG_NETLINK_H
#define VMSIG_NETLINK_H

#include <net/genetlink.h>

/* Index of the audit group in the family's multicast groups. */
enum vmsig_mcgrp {
	VMSIG_MCGRP_AUDIT,
};

extern struct genl_family vmsig_genl_family;

int vmsig_audit_put_stats(struct sk_buff *skb);

#endif /* VMSIG_NETLINK_H */
