// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the stock adapters share: reaching their QMP monitor (a path or a
 * caller's socket, with the adapter's own timeout) and answering DOWN
 * records through the bus's emit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmsig_qmp.h"
#include "qmp_priv.h"
#include "adapter_priv.h"

int vmsig__qmp_dest_init(struct vmsig__qmp_dest *d,
			 const struct vmsig_qmp_target *t, int def_ms)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (!t || t->timeout_ms < 0 || (t->qmp_fd < 0 && (!t->qmp_path ||
							  !*t->qmp_path)))
		return -EINVAL;
	d->timeout_ms = t->timeout_ms ? t->timeout_ms : def_ms;
	if (t->qmp_fd >= 0) {
		/* Our own copy: the caller's config need not outlive open(). */
		d->fd = fcntl(t->qmp_fd, F_DUPFD_CLOEXEC, 0);
		return d->fd < 0 ? -errno : 0;
	}
	d->path = strdup(t->qmp_path);
	return d->path ? 0 : -ENOMEM;
}

void vmsig__qmp_dest_fini(struct vmsig__qmp_dest *d)
{
	free(d->path);
	d->path = NULL;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int vmsig__qmp_dest_connect(struct vmsig__qmp_dest *d, struct vmsig_qmp **qp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = d->fd, r;

	d->fd = -1;
	if (fd < 0) {
		if (!d->path)
			return -EINVAL;
		if (strlen(d->path) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		strcpy(sa.sun_path, d->path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			r = -errno;
			close(fd);
			return r;
		}
	}
	/* Not vmsig_qmp_connect(): its handshake waits a fixed 5 s. */
	r = vmsig__qmp_open_fd_ms(fd, d->timeout_ms, qp);
	if (!r)
		r = vmsig_qmp_set_timeout(*qp, d->timeout_ms);
	return r;
}

void vmsig__qmp_discard_events(struct vmsig_qmp *q)
{
	struct vmsig_qmp_event ev;

	while (vmsig_qmp_next_event(q, &ev) > 0)
		vmsig_qmp_event_release(&ev);
}

bool vmsig__qmp_err_is_dead(int err)
{
	switch (err) {
	case 0:
	case -EREMOTEIO:	/* QEMU refused this command */
	case -ETIMEDOUT:	/* late replies are recognised and dropped */
	case -EBADMSG:		/* one bad line; the framing survived */
	case -ENOMEM:
	case -ENOBUFS:
	case -EINVAL:
		return false;
	}
	/* -ECONNRESET, -EPIPE, -EMSGSIZE and read errors are sticky. */
	return true;
}

int vmsig__adapter_ack(const vmsig_emit *emit, const vmsig_event *down,
		       int status)
{
	vmsig_event ack;

	/* The kernel matches the ACK to the record by corr, for this sink. */
	vmsig_event_init(&ack, VMSIG_EV_ACT_ACK, VMSIG_DIR_UP, down->source);
	ack.corr = down->corr;
	ack.aux = status;
	return emit->emit(emit->token, &ack);
}
