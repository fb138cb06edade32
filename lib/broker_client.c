// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control broker's client side: connect, take the reply and the
 * endpoint file that comes with it (vmsig_broker.h).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unix_sock.h"
#include "vmsig_broker.h"

/* Room for more fds than the broker sends, so extra ones can be closed. */
#define MAX_FDS 4

/* Take the SCM_RIGHTS fds of @msg: the first into *@fd, close the rest. */
static int take_fds(struct msghdr *msg, int *fd)
{
	int n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n++ == 0)
				*fd = f;
			else
				close(f);	/* not something we asked for */
		}
	}
	return n;
}

int vmsig_broker_request(const char *path, int *epfd,
			 struct vmsig_broker_reply *out)
{
	struct vmsig_broker_reply rep;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct pollfd p;
	ssize_t n;
	int fd, got = -1, r;

	if (!epfd)
		return -EINVAL;
	*epfd = -1;
	fd = vmsig__unix_connect(path, SOCK_SEQPACKET);
	if (fd < 0)
		return fd;
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	do
		r = poll(&p, 1, VMSIG_BROKER_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		r = r ? -errno : -ETIMEDOUT;
		goto out;
	}
	memset(&rep, 0, sizeof(rep));
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	take_fds(&msg, &got);
	r = -EPROTO;
	if ((size_t)n != sizeof(rep) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    rep.magic != VMSIG_BROKER_MAGIC || rep.version != VMSIG_BROKER_VERSION ||
	    (rep.status == 0) != (got >= 0) || rep.status > 0)
		goto out;
	rep.message[sizeof(rep.message) - 1] = 0;
	if (out)
		*out = rep;
	*epfd = got;
	got = -1;
	r = rep.status;
out:
	if (got >= 0)
		close(got);
	close(fd);
	return r;
}

int vmsig_broker_client_connect(const char *path, int *epfd, uint64_t *rights)
{
	struct vmsig_broker_reply rep;
	int r = vmsig_broker_request(path, epfd, &rep);

	if (rights)
		*rights = r == 0 ? rep.rights : 0;
	return r;
}
