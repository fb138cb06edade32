/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmsig_broker.h - hand endpoint files to local controls, by policy.
 *
 * A broker holds one endpoint file (with the rights it may pass on) and
 * listens on a unix socket.  Each process that connects is identified by
 * the kernel (SO_PEERCRED: uid, gid, pid; SO_PEERGROUPS: its groups), its
 * rights are looked up in a policy, and it receives a reply and, when the
 * policy grants it anything, a new endpoint file derived with exactly
 * those rights (VMSIG_IOC_DERIVE with VMSIG_DERIVE_RIGHTS; the kernel
 * audits the derive) over SCM_RIGHTS.  Rights only ever shrink: the
 * derived file cannot do more than the broker's.  A peer the policy does
 * not name is refused with -EACCES and no file.
 *
 * One broker serves one endpoint: a policy per endpoint is a policy file
 * per broker socket.
 *
 * Policy file format (one rule per line):
 *
 *	# comment; blank lines are ignored
 *	uid <uid|user> rights <list>
 *	gid <gid|group> rights <list>
 *	default deny
 *	default rights <list>
 *
 * <list> is a comma-separated list (no spaces) of right names: the
 * VMSIG_RIGHT_* names lowercased without the prefix (mem_read, mem_write,
 * memctx, emit, submit_input, submit_power, submit_other, lease_input,
 * lease_power, lease_memwrite, bind_sink, admin), or "all", or "none" (a
 * file with no right: it can still read events).  User and group names
 * are resolved when the policy is parsed.
 *
 * Decision: a uid rule naming the peer's uid wins; else the union of the
 * gid rules naming the peer's gid or one of its supplementary groups;
 * else the default rule; without one, deny.  A uid or gid named twice, a
 * second default rule, an unknown right or name is a parse error,
 * reported with its line number.
 *
 * Wire protocol: SOCK_SEQPACKET.  The client connects and sends nothing;
 * the broker answers with one struct vmsig_broker_reply, carrying the
 * endpoint fd as SCM_RIGHTS when @status is 0, and hangs up.
 *
 * Threads: a broker is driven from one thread at a time (its own loop,
 * vmsig_broker_handle() from the caller's epoll loop, or
 * vmsig_broker_run()); vmsig_broker_stop() and vmsig_broker_set_policy()
 * may be called from any thread.
 */
#ifndef LIBVMSIG_VMSIG_BROKER_H
#define LIBVMSIG_VMSIG_BROKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- rights */

/**
 * vmsig_rights_parse() - parse a comma-separated list of right names
 *
 * Return: 0 and *@rights, or -EINVAL (empty list, empty or unknown name).
 */
int vmsig_rights_parse(const char *list, uint64_t *rights);

/**
 * vmsig_rights_format() - @rights as a comma-separated list of names
 *
 * "none" for 0; bits without a name are written as hex.
 * Return: the length of the full string (as snprintf); -EINVAL.
 */
int vmsig_rights_format(uint64_t rights, char *buf, size_t size);

/* ------------------------------------------------------------- policy */

struct vmsig_policy;

/**
 * vmsig_policy_parse() - parse the policy in @text
 * @err: when not NULL, receives "line N: what is wrong" on -EINVAL
 *
 * Return: 0 and *@pol, -EINVAL for a malformed policy, -ENOMEM.
 */
int vmsig_policy_parse(const char *text, struct vmsig_policy **pol,
		       char *err, size_t errlen);

/**
 * vmsig_policy_load() - read and parse the policy file at @path
 *
 * Return: as vmsig_policy_parse(), or -errno of reading the file.
 */
int vmsig_policy_load(const char *path, struct vmsig_policy **pol,
		      char *err, size_t errlen);

/**
 * vmsig_policy_lookup() - the rights of a peer
 * @groups: its supplementary groups (@ngroups of them), may be NULL
 *
 * Return: 0 and *@rights, or -EACCES when the policy denies the peer.
 */
int vmsig_policy_lookup(const struct vmsig_policy *pol, uid_t uid, gid_t gid,
			const gid_t *groups, size_t ngroups, uint64_t *rights);

/** vmsig_policy_free() - free @pol; NULL is a no-op */
void vmsig_policy_free(struct vmsig_policy *pol);

/* ------------------------------------------------------------- broker */

/** First word of every reply ("VMSB"). */
#define VMSIG_BROKER_MAGIC	0x42534d56U
/** Version of struct vmsig_broker_reply. */
#define VMSIG_BROKER_VERSION	1
/** How long a client waits for the reply. */
#define VMSIG_BROKER_TIMEOUT_MS	5000

/**
 * struct vmsig_broker_reply - what the broker answers, fixed size
 * @magic: VMSIG_BROKER_MAGIC
 * @version: VMSIG_BROKER_VERSION
 * @status: 0 (an endpoint fd comes with the reply), -EACCES (the policy
 *	does not grant this peer anything), or the -errno that kept the
 *	broker from deriving a file
 * @ep_id: the endpoint's id
 * @rights: the rights of the fd sent (0 when none is)
 * @message: a human-readable explanation, NUL terminated
 */
struct vmsig_broker_reply {
	uint32_t magic;
	uint32_t version;
	int32_t status;
	uint32_t ep_id;
	uint64_t rights;
	char message[112];
};

/** One decision, for the caller's log (struct vmsig_broker_cfg.on_decision). */
struct vmsig_broker_decision {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int status;		/* as in the reply */
	uint64_t rights;	/* granted */
	const char *message;
};

/**
 * struct vmsig_broker_cfg - how to make a broker
 * @path: the unix socket to create.  An existing socket nobody listens on
 *	is replaced; anything else there is an error.
 * @epfd: the endpoint file to derive from; not owned, must stay open
 * @policy: the policy; not owned, must outlive the broker (or be replaced
 *	with vmsig_broker_set_policy() first)
 * @mode: file mode of the socket; 0 for 0666 (the policy decides, so
 *	anyone may ask)
 * @on_decision: when not NULL, called after each peer was answered
 * @arg: passed to @on_decision
 */
struct vmsig_broker_cfg {
	const char *path;
	int epfd;
	const struct vmsig_policy *policy;
	unsigned int mode;
	void (*on_decision)(void *arg, const struct vmsig_broker_decision *d);
	void *arg;
};

struct vmsig_broker;

/**
 * vmsig_broker_new() - create the socket and start listening
 *
 * Return: 0 and *@b, -EINVAL, -ENAMETOOLONG, -EADDRINUSE (someone listens
 * on @path, or it is not a socket), -errno of VMSIG_IOC_EP_INFO, socket,
 * bind, chmod, listen; -ENOMEM.
 */
int vmsig_broker_new(const struct vmsig_broker_cfg *cfg,
		     struct vmsig_broker **b);

/** vmsig_broker_fd() - the listening socket, to watch for EPOLLIN */
int vmsig_broker_fd(const struct vmsig_broker *b);

/**
 * vmsig_broker_handle() - answer every peer waiting, without blocking
 *
 * A peer that cannot be answered (it left, its reply did not fit) is
 * dropped; that is not an error of the broker.
 * Return: the number of peers answered, or -errno of accept4.
 */
int vmsig_broker_handle(struct vmsig_broker *b);

/**
 * vmsig_broker_run() - answer peers until vmsig_broker_stop()
 *
 * A stop requested before the call makes it return at once.
 * Return: 0 after a stop, or -errno of poll/accept4.
 */
int vmsig_broker_run(struct vmsig_broker *b);

/** vmsig_broker_stop() - make vmsig_broker_run() return; any thread */
void vmsig_broker_stop(struct vmsig_broker *b);

/**
 * vmsig_broker_set_policy() - use @pol from the next peer on; any thread
 *
 * Once it returns the previous policy is no longer used and may be freed.
 */
void vmsig_broker_set_policy(struct vmsig_broker *b,
			     const struct vmsig_policy *pol);

/** vmsig_broker_free() - close and unlink the socket, free @b; NULL is a no-op */
void vmsig_broker_free(struct vmsig_broker *b);

/* ------------------------------------------------------------- client */

/**
 * vmsig_broker_request() - ask the broker at @path for an endpoint file
 * @epfd: receives the fd (O_CLOEXEC) when the reply's status is 0, else -1
 * @reply: receives the whole reply (may be NULL)
 *
 * Return: the reply's status (0, -EACCES, ...), -EPROTO for a reply that
 * is not the broker's (or status 0 without fd), -ETIMEDOUT after
 * VMSIG_BROKER_TIMEOUT_MS, -errno of socket/connect/recvmsg.
 */
int vmsig_broker_request(const char *path, int *epfd,
			 struct vmsig_broker_reply *reply);

/**
 * vmsig_broker_client_connect() - vmsig_broker_request(), short form
 * @rights: receives the rights of the fd (may be NULL)
 */
int vmsig_broker_client_connect(const char *path, int *epfd, uint64_t *rights);

#ifdef __cplusplus
}
#endif

#endif /* LIBVMSIG_VMSIG_BROKER_H */
