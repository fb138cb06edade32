// SPDX-License-Identifier: GPL-2.0
/*
 * vmsig: a signaling bus between KVM virtual machines and the programs that
 * observe and control them.  Module entry and exit.
 *
 * Locking: none; each part registers and unregisters itself.
 */
#include <linux/module.h>

#include "audit.h"
#include "dev.h"

static int __init vmsig_init(void)
{
	int err;

	/* The family first: attaching audits, and /dev/vmsig allows it. */
	err = vmsig_netlink_init();
	if (err)
		return err;
	err = vmsig_dev_register();
	if (err)
		goto netlink_exit;
	pr_info("vmsig %s loaded\n", VMSIG_VERSION);
	return 0;

netlink_exit:
	vmsig_netlink_exit();
	return err;
}

static void __exit vmsig_exit(void)
{
	vmsig_dev_unregister();
	vmsig_netlink_exit();
}

module_init(vmsig_init);
module_exit(vmsig_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmsig: signaling bus for KVM virtual machines");
MODULE_VERSION(VMSIG_VERSION);
