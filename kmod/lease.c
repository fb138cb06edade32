// SPDX-License-Identifier: GPL-2.0
/*
 * Leases: exclusive use of a class of destructive actions (input, power,
 * memory writes) on one endpoint, with fencing tokens.
 *
 * A grant gets a token larger than every earlier token of its class.  An
 * action under a lease carries the token, and the action is checked and
 * performed under ep->lease_lock, the same lock every lease change takes:
 * a write in flight cannot land after the revoke that ends its lease.
 *
 * A lease ends on release, TTL expiry, admin revoke, or the final release
 * of the holder's file.  Expiry is noticed lazily, by whoever next looks at
 * the class under the lock (an acquire, a check, a waiter whose sleep was
 * timed to the expiry), so no timer is needed.  Every change is a
 * VMSIG_EV_LEASE event and an audit record.
 *
 * Lock order: ep->lease_lock, then ep->lock, then ep->ev_lock.
 */
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>

#include "audit.h"
#include "endpoint.h"
#include "events.h"
#include "lease.h"
#include "rights.h"
#include "uarg.h"

static const u64 vmsig_lease_right[VMSIG_LEASE_CLASSES] = {
	[VMSIG_LEASE_INPUT] = VMSIG_RIGHT_LEASE_INPUT,
	[VMSIG_LEASE_POWER] = VMSIG_RIGHT_LEASE_POWER,
	[VMSIG_LEASE_MEMWRITE] = VMSIG_RIGHT_LEASE_MEMWRITE,
};

/**
 * vmsig_lease_init() - every class free
 * @ep: a new endpoint
 */
void vmsig_lease_init(struct vmsig_endpoint *ep)
{
	mutex_init(&ep->lease_lock);
	init_waitqueue_head(&ep->lease_wq);
}

static void __vmsig_lease_record(struct vmsig_endpoint *ep, u32 cls, u32 what,
				 u32 ev_kind, s32 result)
{
	struct vmsig_lease_slot *sl = &ep->lease[cls];
	struct vmsig_audit_rec rec = {
		.what = what, .result = result, .ep_id = ep->id,
		.lease_class = cls, .token = sl->token,
		.holder_pid = sl->holder_pid,
	};

	lockdep_assert_held(&ep->lease_lock);
	if (ev_kind)
		vmsig_events_kernel(ep, VMSIG_EV_LEASE, VMSIG_SRC_KERNEL, cls,
				    sl->token,
				    (u64)ev_kind << 32 | sl->holder_pid, false);
	vmsig_audit(&rec);
}

/* End the current grant of @cls; ep->lease_lock held. */
static void __vmsig_lease_end(struct vmsig_endpoint *ep, u32 cls, u32 what,
			      u32 ev_kind)
{
	lockdep_assert_held(&ep->lease_lock);
	__vmsig_lease_record(ep, cls, what, ev_kind, 0);
	ep->lease[cls].holder = NULL;
	ep->lease[cls].expires_ns = 0;
	wake_up_all(&ep->lease_wq);
}

static void __vmsig_lease_expire_due(struct vmsig_endpoint *ep, u32 cls)
{
	struct vmsig_lease_slot *sl = &ep->lease[cls];

	lockdep_assert_held(&ep->lease_lock);
	if (sl->holder && sl->expires_ns && ktime_get_ns() >= sl->expires_ns)
		__vmsig_lease_end(ep, cls, VMSIG_AUDIT_LEASE_EXPIRE,
				  VMSIG_LEASE_EV_EXPIRED);
}

/**
 * __vmsig_lease_check() - is @token this file's current grant of @cls?
 * @f: the file acting under the lease
 * @cls: &enum vmsig_lease_class
 * @token: the token the action carries
 *
 * The caller holds ep->lease_lock across the check *and* the action, which
 * is what makes the token a fence.
 *
 * Return: 0, or -ESTALE (never held, released, expired, revoked, or held by
 * another file).
 */
int __vmsig_lease_check(struct vmsig_epfile *f, u32 cls, u64 token)
{
	struct vmsig_endpoint *ep = f->ep;

	lockdep_assert_held(&ep->lease_lock);
	__vmsig_lease_expire_due(ep, cls);
	if (ep->lease[cls].holder != f || ep->lease[cls].token != token)
		return -ESTALE;
	return 0;
}

static u64 vmsig_expiry(u64 ttl_ns)
{
	return ttl_ns ? ktime_get_ns() + ttl_ns : 0;
}

/* Grant @cls to @f; ep->lease_lock held, the class free. */
static void __vmsig_lease_grant(struct vmsig_epfile *f, u32 cls,
				struct vmsig_lease *l)
{
	struct vmsig_endpoint *ep = f->ep;
	struct vmsig_lease_slot *sl = &ep->lease[cls];

	lockdep_assert_held(&ep->lease_lock);
	sl->holder = f;
	sl->token = ++sl->last_token;
	sl->expires_ns = vmsig_expiry(l->ttl_ns);
	sl->holder_pid = task_tgid_nr(current);
	l->token = sl->token;
	l->expires_ns = sl->expires_ns;
	__vmsig_lease_record(ep, cls, VMSIG_AUDIT_LEASE_GRANT,
			     VMSIG_LEASE_EV_GRANTED, 0);
}

static int vmsig_lease_args(const struct vmsig_lease *l)
{
	if (l->lease_class >= VMSIG_LEASE_CLASSES || l->reserved0 ||
	    memchr_inv(l->reserved, 0, sizeof(l->reserved)))
		return -EINVAL;
	return 0;
}

/* Lock-free hint for waiters; the decision is made again under the lock. */
static bool vmsig_lease_may_be_free(struct vmsig_endpoint *ep, u32 cls)
{
	return !READ_ONCE(ep->lease[cls].holder);
}

/* Sleep until the lease may have freed, a signal, or @timeout jiffies. */
static long vmsig_lease_wait(struct vmsig_endpoint *ep, u32 cls, long timeout)
{
	return wait_event_interruptible_timeout(ep->lease_wq,
						vmsig_lease_may_be_free(ep, cls),
						timeout);
}

/*
 * How long a waiter may sleep: until its own deadline (0: none) or the
 * holder's expiry, whichever comes first; MAX_SCHEDULE_TIMEOUT for neither.
 */
static long __vmsig_lease_sleep(struct vmsig_endpoint *ep, u32 cls, u64 deadline)
{
	u64 until = deadline, exp = ep->lease[cls].expires_ns, now = ktime_get_ns();

	lockdep_assert_held(&ep->lease_lock);
	if (exp && (!until || exp < until))
		until = exp;
	if (!until)
		return MAX_SCHEDULE_TIMEOUT;
	return until > now ? nsecs_to_jiffies(until - now) + 1 : 1;
}

/**
 * vmsig_ioc_lease_acquire() - VMSIG_IOC_LEASE_ACQUIRE
 * @file: an endpoint file
 * @arg: &struct vmsig_lease
 * @u: unused
 *
 * Return: 0 or a negative errno (see the uapi).
 */
long vmsig_ioc_lease_acquire(struct file *file, void *arg,
			     const struct vmsig_uarg *u)
{
	struct vmsig_epfile *f = file->private_data;
	struct vmsig_endpoint *ep = f->ep;
	struct vmsig_lease *l = arg;
	u64 deadline = 0;
	int err;

	err = vmsig_lease_args(l);
	if (err || l->token)
		return err ?: -EINVAL;
	err = vmsig_require(f, vmsig_lease_right[l->lease_class],
			    _IOC_NR(VMSIG_IOC_LEASE_ACQUIRE));
	if (err)
		return err;
	if ((l->flags & VMSIG_LEASE_WAIT) && l->timeout_ns)
		deadline = ktime_get_ns() + l->timeout_ns;

	mutex_lock(&ep->lease_lock);
	for (;;) {
		long sleep;

		__vmsig_lease_expire_due(ep, l->lease_class);
		if (ep->lease[l->lease_class].holder == f) {
			err = -EALREADY;
			break;
		}
		if (!ep->lease[l->lease_class].holder) {
			__vmsig_lease_grant(f, l->lease_class, l);
			err = 0;
			break;
		}
		if (!(l->flags & VMSIG_LEASE_WAIT)) {
			err = -EBUSY;
			break;
		}
		if (deadline && ktime_get_ns() >= deadline) {
			err = -ETIMEDOUT;
			break;
		}
		sleep = __vmsig_lease_sleep(ep, l->lease_class, deadline);
		mutex_unlock(&ep->lease_lock);
		sleep = vmsig_lease_wait(ep, l->lease_class, sleep);
		mutex_lock(&ep->lease_lock);
		if (sleep < 0) {
			err = -EINTR;
			break;
		}
	}
	if (err && err != -EALREADY) {
		struct vmsig_audit_rec rec = {
			.what = VMSIG_AUDIT_LEASE_DENY, .result = err,
			.ep_id = ep->id, .lease_class = l->lease_class,
			.token = ep->lease[l->lease_class].token,
			.holder_pid = ep->lease[l->lease_class].holder_pid,
		};

		vmsig_audit(&rec);
	}
	mutex_unlock(&ep->lease_lock);
	return err;
}

/*
 * Renew (new TTL) or release the caller's current grant of @l->lease_class;
 * both act only for the holder's file with its current token.
 */
static long vmsig_lease_holder_op(struct file *file, struct vmsig_lease *l,
				  bool release)
{
	struct vmsig_epfile *f = file->private_data;
	struct vmsig_endpoint *ep = f->ep;
	int err = vmsig_lease_args(l);

	if (err)
		return err;
	mutex_lock(&ep->lease_lock);
	err = __vmsig_lease_check(f, l->lease_class, l->token);
	if (!err && release)
		__vmsig_lease_end(ep, l->lease_class, VMSIG_AUDIT_LEASE_RELEASE,
				  VMSIG_LEASE_EV_RELEASED);
	else if (!err)
		ep->lease[l->lease_class].expires_ns = vmsig_expiry(l->ttl_ns);
	/* An output field: the expiry of the grant, 0 once it has ended. */
	if (!err)
		l->expires_ns = release ? 0 : ep->lease[l->lease_class].expires_ns;
	mutex_unlock(&ep->lease_lock);
	return err;
}

/**
 * vmsig_ioc_lease_renew() - VMSIG_IOC_LEASE_RENEW
 * @file: the holding endpoint file
 * @arg: &struct vmsig_lease
 * @u: unused
 *
 * Return: 0 or a negative errno (see the uapi).
 */
long vmsig_ioc_lease_renew(struct file *file, void *arg,
			   const struct vmsig_uarg *u)
{
	return vmsig_lease_holder_op(file, arg, false);
}

/**
 * vmsig_ioc_lease_release() - VMSIG_IOC_LEASE_RELEASE
 * @file: the holding endpoint file
 * @arg: &struct vmsig_lease
 * @u: unused
 *
 * Return: 0 or a negative errno (see the uapi).
 */
long vmsig_ioc_lease_release(struct file *file, void *arg,
			     const struct vmsig_uarg *u)
{
	return vmsig_lease_holder_op(file, arg, true);
}

/**
 * vmsig_ioc_lease_revoke() - VMSIG_IOC_LEASE_REVOKE (admin)
 * @file: an endpoint file with VMSIG_RIGHT_ADMIN (checked by the table)
 * @arg: &struct vmsig_lease
 * @u: unused
 *
 * Return: 0 or a negative errno (see the uapi).
 */
long vmsig_ioc_lease_revoke(struct file *file, void *arg,
			    const struct vmsig_uarg *u)
{
	struct vmsig_endpoint *ep = vmsig_file_ep(file);
	struct vmsig_lease *l = arg;
	int err = vmsig_lease_args(l);

	if (err || l->token)
		return err ?: -EINVAL;
	mutex_lock(&ep->lease_lock);
	__vmsig_lease_expire_due(ep, l->lease_class);
	if (ep->lease[l->lease_class].holder) {
		l->token = ep->lease[l->lease_class].token;
		__vmsig_lease_end(ep, l->lease_class, VMSIG_AUDIT_LEASE_REVOKE,
				  VMSIG_LEASE_EV_REVOKED);
	} else {
		err = -ENOENT;
	}
	mutex_unlock(&ep->lease_lock);
	l->expires_ns = 0;
	return err;
}

/**
 * vmsig_lease_file_closed() - the final release of a file ends its leases
 * @f: the file being released
 */
void vmsig_lease_file_closed(struct vmsig_epfile *f)
{
	struct vmsig_endpoint *ep = f->ep;
	u32 cls;

	mutex_lock(&ep->lease_lock);
	for (cls = 0; cls < VMSIG_LEASE_CLASSES; cls++)
		if (ep->lease[cls].holder == f)
			__vmsig_lease_end(ep, cls, VMSIG_AUDIT_LEASE_CLOSED,
					  VMSIG_LEASE_EV_CLOSED);
	mutex_unlock(&ep->lease_lock);
}

/**
 * vmsig_lease_snapshot() - the leases of an endpoint, for listings
 * @ep: the endpoint
 * @info: one entry per class
 */
void vmsig_lease_snapshot(struct vmsig_endpoint *ep,
			  struct vmsig_lease_info info[VMSIG_LEASE_CLASSES])
{
	u32 cls;

	mutex_lock(&ep->lease_lock);
	for (cls = 0; cls < VMSIG_LEASE_CLASSES; cls++) {
		struct vmsig_lease_slot *sl = &ep->lease[cls];

		__vmsig_lease_expire_due(ep, cls);
		info[cls] = (struct vmsig_lease_info) {
			.held = sl->holder,
			.holder_pid = sl->holder ? sl->holder_pid : 0,
			.token = sl->holder ? sl->token : 0,
			.expires_ns = sl->holder ? sl->expires_ns : 0,
		};
	}
	mutex_unlock(&ep->lease_lock);
}
