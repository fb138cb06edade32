// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control broker's server side: a listening unix socket; every peer
 * is identified by the kernel, judged by the policy and answered with one
 * reply and, when granted, a derived endpoint file (vmsig_broker.h).
 *
 * A peer needs no state of its own: the kernel took its credentials at
 * connect() and the reply fits an empty socket buffer, so each accepted
 * connection is answered and closed at once, never blocking the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmsig.h"
#include "vmsig_broker.h"

#define BACKLOG 16
/* More groups than this and the peer is judged on the first ones only. */
#define MAX_GROUPS 1024

struct vmsig_broker {
	int lfd;		/* listening socket */
	int wakefd;		/* eventfd for vmsig_broker_stop() */
	int epfd;		/* not ours */
	uint32_t ep_id;
	char *path;
	pthread_mutex_t lock;	/* guards @policy */
	const struct vmsig_policy *policy;
	void (*on_decision)(void *arg, const struct vmsig_broker_decision *d);
	void *arg;
	atomic_bool stop;
};

/* The socket at @path, if nobody listens on it, is left over: remove it. */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EADDRINUSE;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	r = r < 0 ? errno : 0;
	close(fd);
	if (r != ECONNREFUSED)
		return -EADDRINUSE;	/* alive (or not ours to judge) */
	return unlink(sa->sun_path) < 0 ? -errno : 0;
}

int vmsig_broker_new(const struct vmsig_broker_cfg *cfg,
		     struct vmsig_broker **bp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vmsig_ep_info info;
	struct vmsig_broker *b;
	int r;

	if (!bp)
		return -EINVAL;
	*bp = NULL;
	if (!cfg || !cfg->path || !*cfg->path || cfg->epfd < 0 || !cfg->policy)
		return -EINVAL;
	if (strlen(cfg->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, cfg->path);
	r = vmsig_ep_info(cfg->epfd, &info);
	if (r)
		return r;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->lfd = b->wakefd = -1;
	b->epfd = cfg->epfd;
	b->ep_id = info.ep_id;
	b->policy = cfg->policy;
	b->on_decision = cfg->on_decision;
	b->arg = cfg->arg;
	atomic_init(&b->stop, false);
	pthread_mutex_init(&b->lock, NULL);
	r = clear_stale(&sa);
	if (r)
		goto fail;
	b->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	b->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->lfd < 0 || b->wakefd < 0 ||
	    bind(b->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto fail;
	}
	/* From here on the path is ours, to remove on free. */
	b->path = strdup(cfg->path);
	if (!b->path) {
		unlink(cfg->path);
		r = -ENOMEM;
		goto fail;
	}
	if (chmod(b->path, cfg->mode ? cfg->mode : 0666) < 0 ||
	    listen(b->lfd, BACKLOG) < 0) {
		r = -errno;
		goto fail;
	}
	*bp = b;
	return 0;
fail:
	vmsig_broker_free(b);
	return r;
}

int vmsig_broker_fd(const struct vmsig_broker *b)
{
	return b ? b->lfd : -EINVAL;
}

void vmsig_broker_set_policy(struct vmsig_broker *b,
			     const struct vmsig_policy *pol)
{
	if (!b || !pol)
		return;
	pthread_mutex_lock(&b->lock);
	b->policy = pol;
	pthread_mutex_unlock(&b->lock);
}

/* The peer's supplementary groups; 0 of them when the kernel cannot say. */
static size_t peer_groups(int fd, gid_t *groups, size_t max)
{
	socklen_t len = (socklen_t)(max * sizeof(*groups));

	/* SO_PEERGROUPS (Linux 4.13) fails with ERANGE beyond @max groups. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return 0;
	return len / sizeof(*groups);
}

static void set_message(struct vmsig_broker_reply *rep, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->message, sizeof(rep->message), fmt, ap);
	va_end(ap);
}

static int send_reply(int fd, const struct vmsig_broker_reply *rep, int epfd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)rep, .iov_len = sizeof(*rep) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (epfd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &epfd, sizeof(int));
	}
	return sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Judge and answer one connected peer. */
static void serve(struct vmsig_broker *b, int fd)
{
	struct vmsig_broker_reply rep = { .magic = VMSIG_BROKER_MAGIC,
					  .version = VMSIG_BROKER_VERSION,
					  .ep_id = b->ep_id };
	struct vmsig_broker_decision d = { 0 };
	gid_t *groups = malloc(MAX_GROUPS * sizeof(*groups));
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t ngroups = 0;
	char names[256];
	uint64_t rights = 0;
	int r, dfd = -1;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		/* Without an identity the policy cannot speak: refuse. */
		rep.status = -errno;
		set_message(&rep, "vmsig broker: cannot identify the peer: %s",
			    strerror(errno));
		goto answer;
	}
	d.pid = cred.pid;
	d.uid = cred.uid;
	d.gid = cred.gid;
	if (groups)
		ngroups = peer_groups(fd, groups, MAX_GROUPS);
	pthread_mutex_lock(&b->lock);
	r = vmsig_policy_lookup(b->policy, cred.uid, cred.gid, groups, ngroups,
				&rights);
	pthread_mutex_unlock(&b->lock);
	if (r) {
		rep.status = r;
		set_message(&rep, "vmsig broker: uid %u gid %u is not allowed on endpoint %u",
			    (unsigned int)cred.uid, (unsigned int)cred.gid,
			    b->ep_id);
		goto answer;
	}
	dfd = vmsig_derive(b->epfd, rights, VMSIG_DERIVE_RIGHTS);
	if (dfd < 0) {
		rep.status = dfd;
		set_message(&rep, "vmsig broker: cannot derive the endpoint file: %s",
			    strerror(-dfd));
		goto answer;
	}
	rep.rights = rights;
	vmsig_rights_format(rights, names, sizeof(names));
	set_message(&rep, "granted %s", names);
answer:
	r = send_reply(fd, &rep, dfd);
	/* Sent or not, our copy goes: the peer holds its own now. */
	if (dfd >= 0)
		close(dfd);
	d.status = r ? r : rep.status;
	d.rights = r ? 0 : rep.rights;
	d.message = r ? "vmsig broker: the reply could not be sent" : rep.message;
	if (b->on_decision)
		b->on_decision(b->arg, &d);
	free(groups);
}

int vmsig_broker_handle(struct vmsig_broker *b)
{
	int n = 0;

	if (!b)
		return -EINVAL;
	for (;;) {
		int fd = accept4(b->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return n;
			/* A peer that left before we got to it is not our error. */
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			return n ? n : -errno;
		}
		serve(b, fd);
		close(fd);
		n++;
	}
}

int vmsig_broker_run(struct vmsig_broker *b)
{
	int r = 0;

	if (!b)
		return -EINVAL;
	while (!atomic_load(&b->stop)) {
		struct pollfd p[2] = { { .fd = b->lfd, .events = POLLIN },
				       { .fd = b->wakefd, .events = POLLIN } };
		uint64_t v;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if ((p[1].revents & POLLIN) && read(b->wakefd, &v, sizeof(v)) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			r = vmsig_broker_handle(b);
			if (r < 0)
				break;
			r = 0;
		}
	}
	/* The stop is consumed, so the broker can run again. */
	atomic_store(&b->stop, false);
	return r;
}

void vmsig_broker_stop(struct vmsig_broker *b)
{
	uint64_t one = 1;

	if (!b)
		return;
	atomic_store(&b->stop, true);
	if (write(b->wakefd, &one, sizeof(one)) < 0)
		return;
}

void vmsig_broker_free(struct vmsig_broker *b)
{
	if (!b)
		return;
	if (b->lfd >= 0)
		close(b->lfd);
	if (b->wakefd >= 0)
		close(b->wakefd);
	if (b->path)
		unlink(b->path);
	free(b->path);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
