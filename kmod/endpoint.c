// SPDX-License-Identifier: GPL-2.0
/*
 * Endpoints and endpoint files.
 *
 * An endpoint is one attached VM.  It lives as long as any endpoint file
 * refers to it; each endpoint file is an anon-inode file whose f_op->owner
 * pins the module, so vmsig cannot be unloaded while endpoints exist.
 *
 * Lock order: ep->lease_lock, then ep->lock, then ep->ev_lock, then a
 * ring's lock; ep->tlb.lock is a leaf (Documentation/design.rst has the
 * whole list).  The id registry (an allocating xarray) uses its own internal
 * lock and is never taken under any of them.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/rcupdate.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <uapi/linux/vmsig.h>

#include "audit.h"
#include "backend.h"
#include "endpoint.h"
#include "events.h"
#include "mem.h"
#include "memctx.h"
#include "rights.h"
#include "uarg.h"

/*
 * Endpoint ids, starting at 1; the xarray's lock protects the mapping.
 * Lookups by id run under RCU and take a reference only if the endpoint
 * is not already dying; endpoints are freed after a grace period.
 */
static DEFINE_XARRAY_ALLOC1(vmsig_endpoints);

static void vmsig_endpoint_free(struct kref *ref)
{
	struct vmsig_endpoint *ep = container_of(ref, struct vmsig_endpoint, ref);

	struct vmsig_audit_rec rec = { .what = VMSIG_AUDIT_DETACH, .ep_id = ep->id };

	/* An endpoint whose attach failed was never visible: nothing to audit. */
	bool attached = xa_erase(&vmsig_endpoints, ep->id);

	if (ep->ops)
		ep->ops->release(ep);
	if (attached)
		vmsig_audit(&rec);
	mutex_destroy(&ep->lock);
	mutex_destroy(&ep->lease_lock);
	kfree_rcu(ep, rcu);
}

/**
 * vmsig_endpoint_put() - drop a reference to an endpoint
 * @ep: the endpoint
 *
 * Context: process context; the last put releases the backend (which may
 * destroy a KVM VM whose VMM already closed it) and may sleep.
 */
void vmsig_endpoint_put(struct vmsig_endpoint *ep)
{
	kref_put(&ep->ref, vmsig_endpoint_free);
}

static struct vmsig_endpoint *vmsig_endpoint_alloc(u32 backend)
{
	struct vmsig_endpoint *ep;
	int err;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return ERR_PTR(-ENOMEM);
	kref_init(&ep->ref);
	mutex_init(&ep->lock);
	vmsig_tlb_init(&ep->tlb);
	vmsig_events_init(ep);
	vmsig_lease_init(ep);
	ep->backend = backend;
	/* Reserve the id now; the endpoint becomes visible only once built. */
	err = xa_alloc(&vmsig_endpoints, &ep->id, NULL, xa_limit_31b, GFP_KERNEL);
	if (err) {
		kfree(ep);
		return ERR_PTR(err == -EBUSY ? -ENOSPC : err);
	}
	return ep;
}

static int vmsig_epfile_release(struct inode *inode, struct file *file)
{
	struct vmsig_epfile *epf = file->private_data;

	vmsig_lease_file_closed(epf);
	vmsig_events_leave(epf);
	vmsig_ring_free(&epf->ring);
	vmsig_endpoint_put(epf->ep);
	kfree(epf);
	return 0;
}

static ssize_t vmsig_epfile_read(struct file *file, char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct vmsig_epfile *epf = file->private_data;

	return vmsig_ring_read(&epf->ring, buf, count,
			       file->f_flags & O_NONBLOCK);
}

static ssize_t vmsig_epfile_write(struct file *file, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	return vmsig_events_write(file->private_data, buf, count);
}

static __poll_t vmsig_epfile_poll(struct file *file, poll_table *pt)
{
	struct vmsig_epfile *epf = file->private_data;

	return vmsig_ring_poll(&epf->ring, file, pt);
}

static long vmsig_ioc_derive(struct file *file, void *arg,
			     const struct vmsig_uarg *u);

static long vmsig_ioc_ep_info(struct file *file, void *arg,
			      const struct vmsig_uarg *u)
{
	struct vmsig_endpoint *ep = vmsig_file_ep(file);
	struct vmsig_ep_info *info = arg;
	u64 epoch;

	mutex_lock(&ep->lock);
	epoch = ep->memctx.epoch;
	mutex_unlock(&ep->lock);

	*info = (struct vmsig_ep_info) {
		.size = info->size,
		.ep_id = ep->id,
		.backend = ep->backend,
		.vmm_pid = ep->ops && ep->ops->vmm_pid ? ep->ops->vmm_pid(ep) : 0,
		.epoch = epoch,
	};
	return 0;
}

static long vmsig_ioc_get_rights(struct file *file, void *arg,
				 const struct vmsig_uarg *u)
{
	struct vmsig_epfile *epf = file->private_data;
	struct vmsig_rights *r = arg;

	*r = (struct vmsig_rights) { .size = r->size, .rights = epf->rights };
	return 0;
}

/* The rights column: what each command needs beyond being an endpoint file. */
static const struct vmsig_ioctl vmsig_ep_ioctls[] = {
	VMSIG_IOCTL_ROW(VMSIG_IOC_EP_INFO, struct vmsig_ep_info, reserved, 0,
			true, vmsig_ioc_ep_info),
	VMSIG_IOCTL_ROW_R(VMSIG_IOC_MEM_READ, struct vmsig_mem_read, reserved,
			  VMSIG_READ_EPOCH | VMSIG_READ_NOCACHE, true,
			  VMSIG_RIGHT_MEM_READ, vmsig_ioc_mem_read),
	VMSIG_IOCTL_ROW_R(VMSIG_IOC_SET_MEMCTX, struct vmsig_memctx, reserved, 0,
			  true, VMSIG_RIGHT_MEMCTX, vmsig_ioc_set_memctx),
	VMSIG_IOCTL_ROW(VMSIG_IOC_GET_MEMCTX, struct vmsig_memctx, reserved, 0,
			true, vmsig_ioc_get_memctx),
	VMSIG_IOCTL_ROW_R(VMSIG_IOC_INVALIDATE_MEMCTX, struct vmsig_memctx,
			  reserved, 0, true, VMSIG_RIGHT_MEMCTX,
			  vmsig_ioc_invalidate_memctx),
	VMSIG_IOCTL_ROW(VMSIG_IOC_SET_SUB, struct vmsig_sub, reserved, 0,
			true, vmsig_ioc_set_sub),
	VMSIG_IOCTL_ROW(VMSIG_IOC_GET_SUB, struct vmsig_sub, reserved, 0,
			true, vmsig_ioc_get_sub),
	VMSIG_IOCTL_ROW(VMSIG_IOC_GET_COUNTERS, struct vmsig_counters, reserved,
			0, true, vmsig_ioc_get_counters),
	VMSIG_IOCTL_ROW_R(VMSIG_IOC_BIND_SINK, struct vmsig_sink, reserved,
			  VMSIG_SINK_UNBIND, false, VMSIG_RIGHT_BIND_SINK,
			  vmsig_ioc_bind_sink),
	VMSIG_IOCTL_ROW(VMSIG_IOC_DERIVE, struct vmsig_derive, reserved,
			VMSIG_ATTACH_NONBLOCK | VMSIG_DERIVE_RIGHTS, false,
			vmsig_ioc_derive),
	VMSIG_IOCTL_ROW(VMSIG_IOC_GET_RIGHTS, struct vmsig_rights, reserved, 0,
			true, vmsig_ioc_get_rights),
	/* Lease ioctls check the right of the class they name. */
	VMSIG_IOCTL_ROW(VMSIG_IOC_LEASE_ACQUIRE, struct vmsig_lease, reserved,
			VMSIG_LEASE_WAIT, true, vmsig_ioc_lease_acquire),
	VMSIG_IOCTL_ROW(VMSIG_IOC_LEASE_RENEW, struct vmsig_lease, reserved, 0,
			true, vmsig_ioc_lease_renew),
	VMSIG_IOCTL_ROW(VMSIG_IOC_LEASE_RELEASE, struct vmsig_lease, reserved, 0,
			true, vmsig_ioc_lease_release),
	VMSIG_IOCTL_ROW_R(VMSIG_IOC_LEASE_REVOKE, struct vmsig_lease, reserved,
			  0, true, VMSIG_RIGHT_ADMIN, vmsig_ioc_lease_revoke),
	VMSIG_IOCTL_ROW_R(VMSIG_IOC_MEM_WRITE, struct vmsig_mem_write, reserved,
			  VMSIG_WRITE_VIRT | VMSIG_WRITE_CAS | VMSIG_WRITE_EPOCH,
			  true, VMSIG_RIGHT_MEM_WRITE, vmsig_ioc_mem_write),
};

/**
 * vmsig_endpoint_ioctl_mask() - command numbers endpoint files implement
 *
 * Return: bit N set for every implemented endpoint command number N.
 */
u64 vmsig_endpoint_ioctl_mask(void)
{
	return vmsig_ioctl_mask(vmsig_ep_ioctls, ARRAY_SIZE(vmsig_ep_ioctls));
}

static long vmsig_epfile_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	return vmsig_ioctl_dispatch(file, vmsig_ep_ioctls,
				    ARRAY_SIZE(vmsig_ep_ioctls), cmd, arg,
				    vmsig_authorize_ioctl);
}

static const struct file_operations vmsig_epfile_fops = {
	.owner		= THIS_MODULE,
	.release	= vmsig_epfile_release,
	.read		= vmsig_epfile_read,
	.write		= vmsig_epfile_write,
	.poll		= vmsig_epfile_poll,
	.unlocked_ioctl	= vmsig_epfile_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * A new file on @ep, subscribed to it.  On success the file owns the
 * caller's reference to @ep; on failure the caller keeps it.
 */
static struct file *vmsig_epfile_create(struct vmsig_endpoint *ep, u32 flags,
					u64 rights)
{
	struct vmsig_epfile *epf;
	struct file *file;
	int fflags = O_RDWR;
	int err;

	epf = kzalloc(sizeof(*epf), GFP_KERNEL_ACCOUNT);
	if (!epf)
		return ERR_PTR(-ENOMEM);
	epf->ep = ep;
	epf->rights = rights;
	err = vmsig_ring_init(&epf->ring, ep->id);
	if (err) {
		kfree(epf);
		return ERR_PTR(err);
	}
	if (flags & VMSIG_ATTACH_NONBLOCK)
		fflags |= O_NONBLOCK;
	file = anon_inode_getfile("[vmsig-endpoint]", &vmsig_epfile_fops, epf,
				  fflags);
	if (IS_ERR(file)) {
		vmsig_ring_free(&epf->ring);
		kfree(epf);
		return file;
	}
	/* From here on, release() undoes everything, leave() included. */
	vmsig_events_join(epf);
	return file;
}

/*
 * Give @ep a new file and an fd for it, copying @karg (whose @fd_field was
 * set to the new fd) to the caller before the fd is installed.  Consumes a
 * reference to @ep on success and on failure.
 */
static long vmsig_epfile_install(struct vmsig_endpoint *ep, u32 flags,
				 u64 rights, void *karg, s32 *fd_field,
				 const struct vmsig_uarg *u)
{
	struct file *epfile;
	int fd, err;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		vmsig_endpoint_put(ep);
		return fd;
	}
	epfile = vmsig_epfile_create(ep, flags, rights);
	if (IS_ERR(epfile)) {
		put_unused_fd(fd);
		vmsig_endpoint_put(ep);
		return PTR_ERR(epfile);
	}
	*fd_field = fd;
	err = vmsig_uarg_copy_out(u, karg);
	if (err) {
		/* The file owns the endpoint reference: its release puts it. */
		fput(epfile);
		put_unused_fd(fd);
		return err;
	}
	fd_install(fd, epfile);
	return fd;
}

/**
 * vmsig_ioc_derive() - VMSIG_IOC_DERIVE: another subscriber file
 * @file: an endpoint file
 * @arg: &struct vmsig_derive
 * @u: where @arg came from
 *
 * Return: the new fd, or a negative errno (see the uapi).
 */
static long vmsig_ioc_derive(struct file *file, void *arg,
			     const struct vmsig_uarg *u)
{
	struct vmsig_epfile *epf = file->private_data;
	struct vmsig_endpoint *ep = epf->ep;
	struct vmsig_derive *d = arg;
	struct vmsig_audit_rec rec = { .what = VMSIG_AUDIT_DERIVE, .ep_id = ep->id };
	u64 rights = epf->rights;
	long ret;

	if (d->ep_fd || d->reserved0 || memchr_inv(d->reserved, 0, sizeof(d->reserved)))
		return -EINVAL;
	if (d->flags & VMSIG_DERIVE_RIGHTS) {
		if (d->rights & ~VMSIG_RIGHTS_ALL)
			return -EINVAL;
		rights = d->rights;
	} else if (d->rights) {
		return -EINVAL;
	}
	rec.rights = rights;
	/* Rights only shrink. */
	if (rights & ~epf->rights) {
		rec.result = -EPERM;
		vmsig_audit(&rec);
		return -EPERM;
	}
	kref_get(&ep->ref);
	ret = vmsig_epfile_install(ep, d->flags & VMSIG_ATTACH_NONBLOCK, rights,
				   d, &d->ep_fd, u);
	rec.result = ret < 0 ? ret : 0;
	vmsig_audit(&rec);
	return ret;
}

static int vmsig_attach_backend(struct vmsig_endpoint *ep,
				const struct vmsig_attach *at)
{
	switch (at->backend) {
	case VMSIG_BACKEND_NONE:
		return at->fd == -1 ? 0 : -EINVAL;
	case VMSIG_BACKEND_KVM:
		return vmsig_kvm_attach(ep, at->fd);
	case VMSIG_BACKEND_RAMFD:
		return vmsig_ramfd_attach(ep, at->fd, at->ram_base, at->ram_size);
	}
	return -EINVAL;
}

static int vmsig_attach_check(const struct vmsig_attach *at)
{
	if (at->backend > VMSIG_BACKEND_RAMFD || at->ep_id || at->ep_fd ||
	    memchr_inv(at->reserved, 0, sizeof(at->reserved)))
		return -EINVAL;
	if (at->backend != VMSIG_BACKEND_RAMFD && (at->ram_base || at->ram_size))
		return -EINVAL;
	if (at->backend == VMSIG_BACKEND_KVM && !vmsig_kvm_available())
		return -EOPNOTSUPP;
	return 0;
}

/**
 * vmsig_ioc_attach() - VMSIG_IOC_ATTACH: create an endpoint and its file
 * @file: the /dev/vmsig file
 * @arg: &struct vmsig_attach
 * @u: where @arg came from; the result is copied there before the new fd
 *     is installed, so no failure leaves an fd behind
 *
 * Return: the new endpoint fd, or a negative errno (see the uapi).
 */
long vmsig_ioc_attach(struct file *file, void *arg, const struct vmsig_uarg *u)
{
	struct vmsig_attach *at = arg;
	struct vmsig_audit_rec rec = { .what = VMSIG_AUDIT_ATTACH };
	struct vmsig_endpoint *ep;
	long ret;
	int err;

	err = vmsig_attach_check(at);
	if (err)
		goto out;
	ep = vmsig_endpoint_alloc(at->backend);
	if (IS_ERR(ep)) {
		err = PTR_ERR(ep);
		goto out;
	}
	err = vmsig_attach_backend(ep, at);
	if (err) {
		vmsig_endpoint_put(ep);
		goto out;
	}
	at->ep_id = ep->id;
	rec.ep_id = ep->id;
	/* Visible by id from now on; lookups take their own reference. */
	xa_store(&vmsig_endpoints, ep->id, ep, GFP_KERNEL);
	ret = vmsig_epfile_install(ep, at->flags, VMSIG_RIGHTS_ALL, at,
				   &at->ep_fd, u);
	rec.result = ret < 0 ? ret : 0;
	vmsig_audit(&rec);
	return ret;
out:
	rec.result = err;
	vmsig_audit(&rec);
	return err;
}

/* A referenced endpoint by id, or NULL when there is none (or it is dying). */
static struct vmsig_endpoint *vmsig_endpoint_find(unsigned long *id)
{
	struct vmsig_endpoint *ep;

	rcu_read_lock();
	for (;;) {
		ep = xa_find(&vmsig_endpoints, id, ULONG_MAX, XA_PRESENT);
		if (!ep || kref_get_unless_zero(&ep->ref))
			break;
		(*id)++;
	}
	rcu_read_unlock();
	return ep;
}

/**
 * vmsig_endpoint_next() - iterate over the endpoints, for listings
 * @id: in: the smallest id wanted; out: the id found
 *
 * Return: the endpoint with the smallest id >= *@id, referenced (drop it
 * with vmsig_endpoint_put()), or NULL when there is none.
 */
struct vmsig_endpoint *vmsig_endpoint_next(unsigned long *id)
{
	return vmsig_endpoint_find(id);
}

/**
 * vmsig_endpoint_nsubs() - how many files an endpoint has
 * @ep: the endpoint
 *
 * Return: the number of endpoint files (subscribers) now.
 */
u32 vmsig_endpoint_nsubs(struct vmsig_endpoint *ep)
{
	struct vmsig_epfile *f;
	u32 n = 0;

	spin_lock(&ep->ev_lock);
	list_for_each_entry(f, &ep->subs, node)
		n++;
	spin_unlock(&ep->ev_lock);
	return n;
}

/**
 * vmsig_ioc_open_ep() - VMSIG_IOC_OPEN_EP: a new file on an endpoint by id
 * @file: the /dev/vmsig file
 * @arg: &struct vmsig_open_ep
 * @u: where @arg came from
 *
 * Return: the new fd, or a negative errno (see the uapi).
 */
long vmsig_ioc_open_ep(struct file *file, void *arg, const struct vmsig_uarg *u)
{
	struct vmsig_open_ep *op = arg;
	struct vmsig_audit_rec rec = { .what = VMSIG_AUDIT_OPEN_EP, .ep_id = op->ep_id };
	unsigned long id = op->ep_id;
	struct vmsig_endpoint *ep;
	long ret;

	if (op->ep_fd || memchr_inv(op->reserved, 0, sizeof(op->reserved)))
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN)) {
		ret = -EPERM;
		goto out;
	}
	ep = id ? vmsig_endpoint_find(&id) : NULL;
	if (ep && id != op->ep_id) {
		vmsig_endpoint_put(ep);
		ep = NULL;
	}
	if (!ep) {
		ret = -ENOENT;
		goto out;
	}
	ret = vmsig_epfile_install(ep, op->flags, VMSIG_RIGHTS_ALL, op, &op->ep_fd, u);
out:
	rec.result = ret < 0 ? ret : 0;
	vmsig_audit(&rec);
	return ret;
}
