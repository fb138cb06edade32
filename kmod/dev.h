/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSIG_DEV_H
#define VMSIG_DEV_H

int vmsig_dev_register(void);
void vmsig_dev_unregister(void);

#endif /* VMSIG_DEV_H */
