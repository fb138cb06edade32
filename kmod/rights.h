/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSIG_RIGHTS_H
#define VMSIG_RIGHTS_H

#include <linux/types.h>

struct file;
struct vmsig_epfile;

int vmsig_require(struct vmsig_epfile *f, u64 right, u32 op);
int vmsig_authorize_ioctl(struct file *file, u64 right, unsigned int nr);

#endif /* VMSIG_RIGHTS_H */
