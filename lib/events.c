// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The event ring of an endpoint file: subscription, counters, sink binding,
 * and reading/writing whole 64-byte records.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmsig.h"

_Static_assert(sizeof(struct vmsig_event) == 64, "a record is one cache line");

int vmsig_set_sub(int epfd, uint64_t sources, uint64_t kernel_types,
		  uint32_t ring_size)
{
	struct vmsig_sub sub;

	memset(&sub, 0, sizeof(sub));
	sub.size = sizeof(sub);
	sub.sources = sources;
	sub.kernel_types = kernel_types;
	sub.ring_size = ring_size;
	return ioctl(epfd, VMSIG_IOC_SET_SUB, &sub) < 0 ? -errno : 0;
}

int vmsig_get_sub(int epfd, struct vmsig_sub *sub)
{
	memset(sub, 0, sizeof(*sub));
	sub->size = sizeof(*sub);
	return ioctl(epfd, VMSIG_IOC_GET_SUB, sub) < 0 ? -errno : 0;
}

int vmsig_get_counters(int epfd, struct vmsig_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	return ioctl(epfd, VMSIG_IOC_GET_COUNTERS, c) < 0 ? -errno : 0;
}

static int sink_ioctl(int epfd, uint32_t source, uint32_t flags)
{
	struct vmsig_sink s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = flags;
	s.source = source;
	return ioctl(epfd, VMSIG_IOC_BIND_SINK, &s) < 0 ? -errno : 0;
}

int vmsig_bind_sink(int epfd, uint32_t source)
{
	return sink_ioctl(epfd, source, 0);
}

int vmsig_unbind_sink(int epfd, uint32_t source)
{
	return sink_ioctl(epfd, source, VMSIG_SINK_UNBIND);
}

void vmsig_event_init(struct vmsig_event *ev, uint16_t type, uint8_t dir,
		      uint8_t source)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->dir = dir;
	ev->source = source;
	ev->version = VMSIG_EVENT_VERSION;
}

int vmsig_read_events(int epfd, struct vmsig_event *evs, size_t max)
{
	ssize_t n;

	if (!max)
		return 0;
	/* A count is returned as int; no ring holds more records anyway. */
	if (max > 2 * VMSIG_RING_MAX)
		max = 2 * VMSIG_RING_MAX;
	n = read(epfd, evs, max * sizeof(*evs));
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -EPIPE;	/* dead and drained: nothing will ever come */
	/* The kernel hands out whole records only; anything else is a bug. */
	if (n % sizeof(*evs))
		return -EIO;
	return (int)(n / sizeof(*evs));
}

int vmsig_wait_events(int epfd, int timeout_ms)
{
	struct pollfd p = { .fd = epfd, .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	/* Records still queued on a dead endpoint are worth reading first. */
	if (p.revents & POLLIN)
		return 1;
	if (p.revents & (POLLHUP | POLLERR))
		return -EPIPE;
	return -EBADF;	/* POLLNVAL */
}

int vmsig_write_events(int epfd, const struct vmsig_event *evs, size_t n)
{
	size_t done = 0;

	/* The count must fit the return value; anything less is written whole. */
	if (n > INT_MAX)
		return -E2BIG;
	while (done < n) {
		ssize_t w = write(epfd, evs + done, (n - done) * sizeof(*evs));

		if (w < 0) {
			/* Retry only the interruption; report refusals. */
			if (errno == EINTR)
				continue;
			return done ? (int)done : -errno;
		}
		/* Whole records only, so a short write means a refusal. */
		if (w == 0 || w % sizeof(*evs))
			return done ? (int)done : -EIO;
		done += (size_t)w / sizeof(*evs);
	}
	return (int)done;
}

int vmsig_submit_down(int epfd, struct vmsig_event *ev)
{
	int ret;

	if (ev->type < VMSIG_EV_DOWN_MIN)
		return -EINVAL;
	ev->dir = VMSIG_DIR_DOWN;
	if (!ev->version)
		ev->version = VMSIG_EVENT_VERSION;
	ret = vmsig_write_events(epfd, ev, 1);
	return ret < 0 ? ret : 0;
}

int vmsig_ack(int epfd, const struct vmsig_event *down, int status)
{
	struct vmsig_event ack;
	int ret;

	vmsig_event_init(&ack, VMSIG_EV_ACT_ACK, VMSIG_DIR_UP, down->source);
	ack.corr = down->corr;
	ack.aux = status;
	ret = vmsig_write_events(epfd, &ack, 1);
	return ret < 0 ? ret : 0;
}
