// SPDX-License-Identifier: GPL-2.0
/*
 * vmsig_bugs: a module with the bugs the debug lane must catch, one per
 * parameter, so check-debug-selftest can show each is reported:
 *
 *   leak=1    a kmalloc() only this module's data points to (kmemleak,
 *             reported once the module is unloaded)
 *   lockdep=1 two mutexes taken in both orders (lockdep circular dependency;
 *             one thread, so nothing deadlocks)
 *   sleep=1   a GFP_KERNEL allocation under a spinlock (DEBUG_ATOMIC_SLEEP;
 *             it does not really sleep, which would panic the guest)
 *   uaf=1     a read after kfree() (KASAN; panics with panic_on_warn=1)
 *
 * It lives in selftests/debug-kernel/ and is built only against the debug
 * kernel; it is never part of vmsig.ko.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

static bool leak, lockdep, sleep, uaf;
module_param(leak, bool, 0444);
module_param(lockdep, bool, 0444);
module_param(sleep, bool, 0444);
module_param(uaf, bool, 0444);

static void *leaked;
static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DEFINE_SPINLOCK(lock_s);

static int __init vmsig_bugs_init(void)
{
	if (leak) {
		/* Freed by nobody: unreferenced once the module is gone. */
		leaked = kmalloc(128, GFP_KERNEL);
		if (!leaked)
			return -ENOMEM;
	}
	if (lockdep) {
		mutex_lock(&lock_a);
		mutex_lock(&lock_b);
		mutex_unlock(&lock_b);
		mutex_unlock(&lock_a);
		mutex_lock(&lock_b);
		mutex_lock(&lock_a);
		mutex_unlock(&lock_a);
		mutex_unlock(&lock_b);
	}
	if (sleep) {
		void *p;

		spin_lock(&lock_s);
		p = kmalloc(16, GFP_KERNEL);
		spin_unlock(&lock_s);
		kfree(p);
	}
	if (uaf) {
		char *p = kmalloc(64, GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		kfree(p);
		pr_info("vmsig_bugs: read after free: %d\n", READ_ONCE(p[8]));
	}
	return 0;
}

static void __exit vmsig_bugs_exit(void)
{
}

module_init(vmsig_bugs_init);
module_exit(vmsig_bugs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmsig debug lane proof: deliberate kernel bugs");
