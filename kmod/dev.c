// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/vmsig: the factory device.  An open file of it carries no state; it
 * answers the API handshake and creates endpoints.
 *
 * Locking: none of its own.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <uapi/linux/vmsig.h>

#include "backend.h"
#include "dev.h"
#include "endpoint.h"
#include "uarg.h"

static long vmsig_get_api(struct file *file, void *arg,
			  const struct vmsig_uarg *u);

static const struct vmsig_ioctl vmsig_dev_ioctls[] = {
	VMSIG_IOCTL_ROW(VMSIG_IOC_GET_API, struct vmsig_api, reserved, 0,
			true, vmsig_get_api),
	VMSIG_IOCTL_ROW(VMSIG_IOC_ATTACH, struct vmsig_attach, reserved,
			VMSIG_ATTACH_NONBLOCK, false, vmsig_ioc_attach),
	VMSIG_IOCTL_ROW(VMSIG_IOC_OPEN_EP, struct vmsig_open_ep, reserved,
			VMSIG_ATTACH_NONBLOCK, false, vmsig_ioc_open_ep),
};

/* Features this build implements; grows with every subsystem. */
static u64 vmsig_features(void)
{
	u64 feat = VMSIG_FEAT_HANDSHAKE | VMSIG_FEAT_BACKEND_NONE |
		   VMSIG_FEAT_BACKEND_RAMFD | VMSIG_FEAT_MEM_READ |
		   VMSIG_FEAT_MEMCTX | VMSIG_FEAT_EVENTS | VMSIG_FEAT_DERIVE |
		   VMSIG_FEAT_LEASES | VMSIG_FEAT_MEMWRITE | VMSIG_FEAT_RIGHTS |
		   VMSIG_FEAT_AUDIT;

	if (vmsig_kvm_available())
		feat |= VMSIG_FEAT_BACKEND_KVM;
	return feat;
}

static long vmsig_get_api(struct file *file, void *arg,
			  const struct vmsig_uarg *u)
{
	struct vmsig_api *api = arg;

	/* Every field after the header is output: start from zero. */
	*api = (struct vmsig_api) {
		.size = api->size,
		.abi_version = VMSIG_ABI_VERSION,
		.features = vmsig_features(),
		.ioctls = vmsig_ioctl_mask(vmsig_dev_ioctls,
					   ARRAY_SIZE(vmsig_dev_ioctls)) |
			  vmsig_endpoint_ioctl_mask(),
	};
	return 0;
}

static long vmsig_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	return vmsig_ioctl_dispatch(file, vmsig_dev_ioctls,
				    ARRAY_SIZE(vmsig_dev_ioctls), cmd, arg, NULL);
}

static const struct file_operations vmsig_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= vmsig_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice vmsig_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vmsig",
	.fops	= &vmsig_dev_fops,
	.mode	= 0660,
};

/**
 * vmsig_dev_register() - create /dev/vmsig
 *
 * Return: 0 or the misc_register() error.
 */
int vmsig_dev_register(void)
{
	return misc_register(&vmsig_miscdev);
}

/**
 * vmsig_dev_unregister() - remove /dev/vmsig
 */
void vmsig_dev_unregister(void)
{
	misc_deregister(&vmsig_miscdev);
}
