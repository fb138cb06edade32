// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * FD shape: a device daemon on a SOCK_SEQPACKET socket.  Each message it
 * sends becomes an UP record; each EX_EV_SEND decision becomes a message
 * to it, answered at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "examples.h"

/* Messages taken per wake-up: epoll is level-triggered, the rest waits. */
#define BATCH 64

struct vmsig_adapter {
	int fd;
	const vmsig_emit *emit;
};

static vmsig_adapter *socket_open(const void *cfg, uint32_t endpoint)
{
	const struct example_socket_cfg *c = cfg;
	vmsig_adapter *a;

	(void)endpoint;
	if (!c || c->fd < 0) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);	/* our own copy */
	if (a->fd < 0) {
		free(a);
		return NULL;			/* errno from fcntl */
	}
	return a;
}

static int socket_attach(vmsig_adapter *a, const vmsig_emit *emit,
			 vmsig_fd_reg *reg, int cap)
{
	if (cap < 1)
		return -1;
	a->emit = emit;
	/* epoll_events 0: the shape picks EPOLLIN | EPOLLRDHUP. */
	reg[0] = (vmsig_fd_reg){ .fd = a->fd, .shape = VMSIG_RDY_FD };
	return 1;
}

static int socket_on_readiness(vmsig_adapter *a, uint32_t cookie,
			       uint32_t events)
{
	(void)cookie;
	(void)events;
	for (int i = 0; i < BATCH; i++) {
		unsigned char buf[16] = { 0 };
		vmsig_event ev;
		/* MSG_TRUNC: the message's real length, even when longer. */
		ssize_t n = recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (n == 0)
			return -1;	/* hang-up (no empty messages here): dropped */
		vmsig_event_init(&ev, EX_EV_MSG, VMSIG_DIR_UP, VMSIG_SRC_SENSOR);
		ev.aux = (int32_t)n;
		memcpy(ev.payload.bytes, buf, sizeof(buf));
		/* An UP record never blocks; a refusal is counted by the bus. */
		a->emit->emit(a->emit->token, &ev);
	}
	return 0;
}

static int socket_submit(vmsig_adapter *a, const vmsig_event *down)
{
	vmsig_event ack;
	ssize_t n;

	if (down->type != EX_EV_SEND)
		return 1;		/* not ours: the bus ACKs -EOPNOTSUPP */
	if (down->aux < 1 || down->aux > 16)
		return -EINVAL;		/* the bus ACKs with this status */
	n = send(a->fd, down->payload.bytes, (size_t)down->aux,
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	/* Done already: answer now, with the corr the record came with. */
	vmsig_event_init(&ack, VMSIG_EV_ACT_ACK, VMSIG_DIR_UP, down->source);
	ack.corr = down->corr;
	ack.aux = n < 0 ? -errno : 0;
	a->emit->emit(a->emit->token, &ack);
	return 0;
}

static void socket_close(vmsig_adapter *a)
{
	close(a->fd);
	free(a);
}

static const vmsig_adapter_ops socket_ops = {
	.name = "socket",
	.source = VMSIG_SRC_SENSOR,
	.codec = VMSIG_CODEC_NONE,
	.open = socket_open,
	.attach = socket_attach,
	.on_readiness = socket_on_readiness,
	.submit = socket_submit,
	.close = socket_close,
};

const vmsig_adapter_ops *example_socket_ops(void)
{
	return &socket_ops;
}
