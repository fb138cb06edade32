/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File-descriptor passing over unix sockets (SCM_RIGHTS).
 *
 * Every function returns -1 with errno set on failure.  Received descriptors
 * are close-on-exec.
 */
#ifndef VMSIG_SELFTEST_FDPASS_H
#define VMSIG_SELFTEST_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Send @fd with a one-byte payload.  Returns 0. */
int send_fd(int sock, int fd);

/* Receive one descriptor sent by send_fd().  Returns the new fd. */
int recv_fd(int sock);

/*
 * Send @len bytes of @buf (at least one) in one message, with @fd attached
 * unless @fd is negative.  Returns 0 once the whole message is sent.
 */
int send_fd_msg(int sock, int fd, const void *buf, size_t len);

/*
 * Receive one message into @buf.  *@fd is the attached descriptor, or -1 if
 * the message carried none.  Returns the payload length (0 on EOF).  Fails
 * with EMSGSIZE if the payload or the control data was truncated; any
 * descriptor received with a truncated message is closed.
 */
ssize_t recv_fd_msg(int sock, void *buf, size_t len, int *fd);

#endif /* VMSIG_SELFTEST_FDPASS_H */
