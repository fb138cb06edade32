// SPDX-License-Identifier: GPL-2.0
/*
 * vmsig: a signaling bus between KVM virtual machines and the programs that
 * observe and control them.  Module entry and exit.
 */
#include <linux/module.h>

#include "dev.h"

static int __init vmsig_init(void)
{
	int err;

	err = vmsig_dev_register();
	if (err)
		return err;
	pr_info("vmsig %s loaded\n", VMSIG_VERSION);
	return 0;
}

static void __exit vmsig_exit(void)
{
	vmsig_dev_unregister();
}

module_init(vmsig_init);
module_exit(vmsig_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmsig: signaling bus for KVM virtual machines");
MODULE_VERSION(VMSIG_VERSION);
