/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSIG_EVENTS_H
#define VMSIG_EVENTS_H

#include <linux/types.h>

struct file;
struct vmsig_endpoint;
struct vmsig_epfile;
struct vmsig_event;
struct vmsig_uarg;

void vmsig_events_init(struct vmsig_endpoint *ep);
void vmsig_events_join(struct vmsig_epfile *f);
void vmsig_events_leave(struct vmsig_epfile *f);
void vmsig_events_publish_kernel(struct vmsig_endpoint *ep,
				 struct vmsig_event *ev);
void vmsig_events_kernel(struct vmsig_endpoint *ep, u16 type, u8 source,
			 s32 aux, u64 p0, u64 p1, bool retain);
void vmsig_events_vmm_exit(struct vmsig_endpoint *ep);
ssize_t vmsig_events_write(struct vmsig_epfile *f, const char __user *buf,
			   size_t count);

long vmsig_ioc_set_sub(struct file *file, void *arg, const struct vmsig_uarg *u);
long vmsig_ioc_get_sub(struct file *file, void *arg, const struct vmsig_uarg *u);
long vmsig_ioc_get_counters(struct file *file, void *arg,
			    const struct vmsig_uarg *u);
long vmsig_ioc_bind_sink(struct file *file, void *arg,
			 const struct vmsig_uarg *u);

#endif /* VMSIG_EVENTS_H */
