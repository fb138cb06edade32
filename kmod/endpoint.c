// SPDX-License-Identifier: GPL-2.0
/*
 * Endpoints and endpoint files.
 *
 * An endpoint is one attached VM.  It lives as long as any endpoint file
 * refers to it; each endpoint file is an anon-inode file whose f_op->owner
 * pins the module, so vmsig cannot be unloaded while endpoints exist.
 *
 * Lock order: ep->lock, then ep->ev_lock, then a ring's lock; ep->tlb.lock
 * is a leaf.  The id registry (an allocating xarray) uses its own internal
 * lock and is never taken under any of them.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <uapi/linux/vmsig.h>

#include "backend.h"
#include "endpoint.h"
#include "events.h"
#include "mem.h"
#include "memctx.h"
#include "uarg.h"

/* Endpoint ids, starting at 1; the xarray's lock protects the mapping. */
static DEFINE_XARRAY_ALLOC1(vmsig_endpoints);

static void vmsig_endpoint_free(struct kref *ref)
{
	struct vmsig_endpoint *ep = container_of(ref, struct vmsig_endpoint, ref);

	xa_erase(&vmsig_endpoints, ep->id);
	if (ep->ops)
		ep->ops->release(ep);
	mutex_destroy(&ep->lock);
	kfree(ep);
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

static const struct vmsig_ioctl vmsig_ep_ioctls[] = {
	VMSIG_IOCTL_ROW(VMSIG_IOC_EP_INFO, struct vmsig_ep_info, reserved, 0,
			true, vmsig_ioc_ep_info),
	VMSIG_IOCTL_ROW(VMSIG_IOC_MEM_READ, struct vmsig_mem_read, reserved,
			VMSIG_READ_EPOCH | VMSIG_READ_NOCACHE, true,
			vmsig_ioc_mem_read),
	VMSIG_IOCTL_ROW(VMSIG_IOC_SET_MEMCTX, struct vmsig_memctx, reserved, 0,
			true, vmsig_ioc_set_memctx),
	VMSIG_IOCTL_ROW(VMSIG_IOC_GET_MEMCTX, struct vmsig_memctx, reserved, 0,
			true, vmsig_ioc_get_memctx),
	VMSIG_IOCTL_ROW(VMSIG_IOC_INVALIDATE_MEMCTX, struct vmsig_memctx,
			reserved, 0, true, vmsig_ioc_invalidate_memctx),
	VMSIG_IOCTL_ROW(VMSIG_IOC_SET_SUB, struct vmsig_sub, reserved, 0,
			true, vmsig_ioc_set_sub),
	VMSIG_IOCTL_ROW(VMSIG_IOC_GET_SUB, struct vmsig_sub, reserved, 0,
			true, vmsig_ioc_get_sub),
	VMSIG_IOCTL_ROW(VMSIG_IOC_GET_COUNTERS, struct vmsig_counters, reserved,
			0, true, vmsig_ioc_get_counters),
	VMSIG_IOCTL_ROW(VMSIG_IOC_BIND_SINK, struct vmsig_sink, reserved,
			VMSIG_SINK_UNBIND, false, vmsig_ioc_bind_sink),
	VMSIG_IOCTL_ROW(VMSIG_IOC_DERIVE, struct vmsig_derive, reserved,
			VMSIG_ATTACH_NONBLOCK, false, vmsig_ioc_derive),
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
				    ARRAY_SIZE(vmsig_ep_ioctls), cmd, arg);
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
static struct file *vmsig_epfile_create(struct vmsig_endpoint *ep, u32 flags)
{
	struct vmsig_epfile *epf;
	struct file *file;
	int fflags = O_RDWR;
	int err;

	epf = kzalloc(sizeof(*epf), GFP_KERNEL_ACCOUNT);
	if (!epf)
		return ERR_PTR(-ENOMEM);
	epf->ep = ep;
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
				 void *karg, s32 *fd_field,
				 const struct vmsig_uarg *u)
{
	struct file *epfile;
	int fd, err;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		vmsig_endpoint_put(ep);
		return fd;
	}
	epfile = vmsig_epfile_create(ep, flags);
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
	struct vmsig_endpoint *ep = vmsig_file_ep(file);
	struct vmsig_derive *d = arg;

	if (d->rights || d->ep_fd || d->reserved0 ||
	    memchr_inv(d->reserved, 0, sizeof(d->reserved)))
		return -EINVAL;
	kref_get(&ep->ref);
	return vmsig_epfile_install(ep, d->flags, d, &d->ep_fd, u);
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
	struct vmsig_endpoint *ep;
	int err;

	err = vmsig_attach_check(at);
	if (err)
		return err;
	ep = vmsig_endpoint_alloc(at->backend);
	if (IS_ERR(ep))
		return PTR_ERR(ep);
	err = vmsig_attach_backend(ep, at);
	if (err)
		goto put_ep;

	at->ep_id = ep->id;
	/* Visible by id from now on; lookups take their own reference. */
	xa_store(&vmsig_endpoints, ep->id, ep, GFP_KERNEL);
	return vmsig_epfile_install(ep, at->flags, at, &at->ep_fd, u);

put_ep:
	vmsig_endpoint_put(ep);
	return err;
}
