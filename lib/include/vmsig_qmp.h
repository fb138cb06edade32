/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmsig QMP client - a small client for QEMU's monitor protocol.
 *
 * QMP is newline-delimited JSON over a stream socket.  The client sends one
 * command at a time (vmsig_qmp_execute() is synchronous, bounded by a
 * timeout) and correlates the reply by an "id" it assigns; asynchronous events
 * that arrive meanwhile are queued and handed out by vmsig_qmp_next_event().
 * For an event loop, watch vmsig_qmp_fd() for EPOLLIN, call
 * vmsig_qmp_read_events() when it fires, then vmsig_qmp_next_event() until it
 * returns 0.
 *
 * Because the client buffers what it reads, events can sit in its queue
 * without the socket being readable: after vmsig_qmp_execute() always drain
 * vmsig_qmp_next_event() too (vmsig_qmp_pending() tells whether any wait).
 *
 * Errors (all returned as -errno):
 *   -ETIMEDOUT    no reply within the timeout.  The client stays usable; a
 *                 reply arriving later is recognised by its id and dropped.
 *   -EREMOTEIO    QEMU answered with an "error"; see vmsig_qmp_error().
 *   -EBADMSG      a line was not valid JSON, or not a QMP message.  The line
 *                 is dropped; because newline framing is intact the client
 *                 stays usable (the command's real reply, if it comes later,
 *                 is dropped as stale).
 *   -EMSGSIZE     a line exceeded VMSIG_QMP_MAX_MSG bytes.  The framing is lost,
 *                 so the client is dead: every later call returns -EMSGSIZE.
 *   -ECONNRESET   the peer closed the connection (or reset it).  Sticky.
 *   -EPIPE        a command was only partly sent before a timeout, so QEMU's
 *                 view of the stream is corrupt.  Sticky.
 * After a sticky error only vmsig_qmp_next_event() (already queued events),
 * vmsig_qmp_error() and vmsig_qmp_close() remain meaningful.
 *
 * One struct vmsig_qmp must not be used by two threads at once; distinct
 * clients are independent.  JSON values are json-c objects: values handed to
 * the caller carry a reference the caller drops with json_object_put().
 */
#ifndef LIBVMSIG_VMSIG_QMP_H
#define LIBVMSIG_VMSIG_QMP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;
struct vmsig_qmp;

/** Largest QMP line (message) accepted, newline excluded. */
#define VMSIG_QMP_MAX_MSG (1024 * 1024)
/** Default timeout of the handshake and of every command, in milliseconds. */
#define VMSIG_QMP_DEFAULT_TIMEOUT_MS 5000
/** Events queued beyond this many are dropped (and counted). */
#define VMSIG_QMP_MAX_EVENTS 4096
/** Room needed for the longest RunState name QEMU reports, with its NUL. */
#define VMSIG_QMP_STATUS_MAX 32

/** One asynchronous QMP event. */
struct vmsig_qmp_event {
	const char *name;		/* "event" member, e.g. "STOP"; in @msg */
	int64_t ts_sec;			/* "timestamp": -1 when absent */
	int64_t ts_usec;
	struct json_object *data;	/* "data" member or NULL; borrowed from @msg */
	struct json_object *msg;	/* the whole message; owned by the event */
};

/**
 * vmsig_qmp_connect() - connect to a QMP unix socket and negotiate
 * @path: the socket's path (QEMU's -qmp unix:PATH,server)
 * @qp: receives the client
 *
 * Reads the greeting, sends qmp_capabilities and checks its return.
 *
 * Return: 0, -ENAMETOOLONG, -errno of socket()/connect(), -EPROTO when the
 * peer does not greet like QMP, or any error of vmsig_qmp_execute().
 */
int vmsig_qmp_connect(const char *path, struct vmsig_qmp **qp);

/**
 * vmsig_qmp_open_fd() - adopt a connected stream socket and negotiate
 * @fd: the socket; owned by the client from now on, even on failure.  It is
 *      switched to O_NONBLOCK and FD_CLOEXEC.
 * @qp: receives the client
 *
 * Return: as vmsig_qmp_connect().
 */
int vmsig_qmp_open_fd(int fd, struct vmsig_qmp **qp);

/** vmsig_qmp_close() - close the socket, free queued events; NULL is a no-op */
void vmsig_qmp_close(struct vmsig_qmp *q);

/**
 * vmsig_qmp_set_timeout() - timeout of later vmsig_qmp_execute() calls
 * @ms: milliseconds, > 0
 *
 * Return: 0 or -EINVAL.
 */
int vmsig_qmp_set_timeout(struct vmsig_qmp *q, int ms);

/**
 * vmsig_qmp_execute() - run one command and wait for its reply
 * @cmd: command name, e.g. "query-status"
 * @args: a JSON object of arguments, or NULL; not consumed
 * @reply: when not NULL, receives the reply's "return" value (caller owns it)
 *
 * Events received while waiting are queued.
 *
 * Return: 0 or -errno (see the top of this header).  -EINVAL when @cmd is
 * empty or @args is not an object.
 */
int vmsig_qmp_execute(struct vmsig_qmp *q, const char *cmd,
		      struct json_object *args, struct json_object **reply);

/**
 * vmsig_qmp_error() - why the last vmsig_qmp_execute() returned -EREMOTEIO
 * @class: when not NULL, receives QEMU's error class, e.g. "GenericError"
 * @desc: when not NULL, receives QEMU's description
 *
 * The strings stay valid until the next command or vmsig_qmp_close().
 *
 * Return: 0, or -ENODATA when the last command did not fail remotely.
 */
int vmsig_qmp_error(const struct vmsig_qmp *q, const char **class,
		    const char **desc);

/** vmsig_qmp_fd() - the socket, to watch for EPOLLIN; owned by the client */
int vmsig_qmp_fd(const struct vmsig_qmp *q);

/**
 * vmsig_qmp_read_events() - read what the socket has, without blocking
 *
 * Queues every event read; stale replies are dropped.
 *
 * Return: the number of events queued by this call, or -errno.  On -EBADMSG
 * the remaining input was still processed and events read are queued.
 */
int vmsig_qmp_read_events(struct vmsig_qmp *q);

/**
 * vmsig_qmp_next_event() - take the oldest queued event
 * @ev: filled on success; release with vmsig_qmp_event_release()
 *
 * Return: 1 when an event was taken, 0 when the queue is empty.
 */
int vmsig_qmp_next_event(struct vmsig_qmp *q, struct vmsig_qmp_event *ev);

/** vmsig_qmp_event_release() - drop an event's message and clear it */
void vmsig_qmp_event_release(struct vmsig_qmp_event *ev);

/** vmsig_qmp_pending() - how many events are queued */
unsigned int vmsig_qmp_pending(const struct vmsig_qmp *q);

/** vmsig_qmp_events_dropped() - events lost to the VMSIG_QMP_MAX_EVENTS bound */
uint64_t vmsig_qmp_events_dropped(const struct vmsig_qmp *q);

/**
 * vmsig_qmp_status() - query-status
 * @running: when not NULL, receives 1 when the guest runs, else 0
 * @status: when not NULL, receives the RunState name ("running", "paused"...)
 * @size: size of @status; VMSIG_QMP_STATUS_MAX is enough for QEMU's names
 *
 * Return: 0, -ENOBUFS when @status is too small, -EBADMSG when the reply
 * lacks the fields, or any error of vmsig_qmp_execute().
 */
int vmsig_qmp_status(struct vmsig_qmp *q, int *running, char *status,
		     size_t size);

/**
 * vmsig_qmp_hmp() - human-monitor-command
 * @cmdline: the HMP command line, e.g. "info registers"
 * @text: receives the output as a malloc()ed string (caller frees)
 *
 * Return: 0, -EBADMSG when the reply is not a string, -ENOMEM, or any error
 * of vmsig_qmp_execute().
 */
int vmsig_qmp_hmp(struct vmsig_qmp *q, const char *cmdline, char **text);

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_QMP_H */
