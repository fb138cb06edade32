// SPDX-License-Identifier: GPL-2.0
/*
 * Rights of endpoint files.  A file's rights are fixed when it is made
 * (attach and open-by-id: all; derive: a subset of its parent's), so
 * checking them needs no lock.  Every denial is audited.
 */
#include <linux/fs.h>
#include <uapi/linux/vmsig.h>

#include "audit.h"
#include "endpoint.h"
#include "rights.h"

/**
 * vmsig_require() - check that a file has a right, audit when it has not
 * @f: the endpoint file
 * @right: VMSIG_RIGHT_* bits, all needed
 * @op: what was attempted: an ioctl number or VMSIG_AUDIT_OP_WRITE
 *
 * Context: process context; never with a spinlock held (audits).
 * Return: 0 or -EPERM.
 */
int vmsig_require(struct vmsig_epfile *f, u64 right, u32 op)
{
	struct vmsig_audit_rec rec = {
		.what = VMSIG_AUDIT_DENIED, .result = -EPERM,
		.ep_id = f->ep->id, .op = op, .rights = right & ~f->rights,
	};

	if ((f->rights & right) == right)
		return 0;
	vmsig_audit(&rec);
	return -EPERM;
}

/**
 * vmsig_authorize_ioctl() - the rights column of the endpoint ioctl table
 * @file: an endpoint file
 * @right: the rights the command needs (0: none)
 * @nr: the command number, for the audit record
 *
 * Return: 0 or -EPERM.
 */
int vmsig_authorize_ioctl(struct file *file, u64 right, unsigned int nr)
{
	return right ? vmsig_require(file->private_data, right, nr) : 0;
}
