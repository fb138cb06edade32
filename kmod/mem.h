/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSIG_MEM_H
#define VMSIG_MEM_H

#include <linux/types.h>

#include "backend.h"

struct file;
struct vmsig_uarg;

int vmsig_mem_begin(struct vmsig_endpoint *ep, struct vmsig_mem_session *s);
void vmsig_mem_end(struct vmsig_mem_session *s);
int vmsig_mem_read_pte(struct vmsig_mem_session *s, u64 gpa, u64 *pte);

long vmsig_ioc_mem_read(struct file *file, void *arg,
			const struct vmsig_uarg *u);
long vmsig_ioc_mem_write(struct file *file, void *arg,
			 const struct vmsig_uarg *u);

#endif /* VMSIG_MEM_H */
