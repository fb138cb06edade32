/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: connecting to a unix socket by path. */
#ifndef LIBVMSIG_UNIX_SOCK_H
#define LIBVMSIG_UNIX_SOCK_H

/*
 * A connected AF_UNIX socket of @type (SOCK_STREAM, SOCK_SEQPACKET), close-
 * on-exec.  Returns the fd, -EINVAL for an empty path, -ENAMETOOLONG when
 * it does not fit sun_path, or the -errno of socket()/connect().
 */
int vmsig__unix_connect(const char *path, int type);

#endif /* LIBVMSIG_UNIX_SOCK_H */
