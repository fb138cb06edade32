/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the QMP client shared with its unit tests.  Not exported from
 * the shared library (the version script keeps them local).
 */
#ifndef LIBVMSIG_QMP_PRIV_H
#define LIBVMSIG_QMP_PRIV_H

struct vmsig_qmp;

/*
 * vmsig_qmp_open_fd() with the handshake bounded by @timeout_ms instead of
 * VMSIG_QMP_DEFAULT_TIMEOUT_MS, so tests of a silent peer need not wait 5 s.
 */
int vmsig__qmp_open_fd_ms(int fd, int timeout_ms, struct vmsig_qmp **qp);

#endif /* LIBVMSIG_QMP_PRIV_H */
