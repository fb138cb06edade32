// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The "vmsig" generic netlink family over libnl-3: listings, audit counters
 * and the audit stream.  A handle has one socket for requests and, once
 * subscribed, a second one that only receives audit records, so replies and
 * records never interleave.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "vmsig_nl.h"

/* Room for a burst of records on the subscription socket. */
#define VMSIG_NL_RCVBUF		(1 << 20)
#define VMSIG_NL_RBUF		65536

struct vmsig_nl {
	struct nl_sock *sk;
	int family;
	int audit_grp;
	struct nl_sock *asub;
	unsigned char *rbuf;
	size_t rlen;
	size_t roff;
};

/* libnl's errors as errno values. */
static int vmsig_nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_SUCCESS:	return 0;
	case NLE_INTR:		return -EINTR;
	case NLE_BAD_SOCK:	return -EBADF;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_EXIST:		return -EEXIST;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_MSGSIZE:	return -EMSGSIZE;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:	return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_NOATTR:	return -ENOENT;
	case NLE_BUSY:		return -EBUSY;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_PERM:		return -EPERM;
	case NLE_NODEV:		return -ENODEV;
	default:		return -EPROTO;
	}
}

/* ------------------------------------------------------------ decoding */

static struct nla_policy vmsig_nl_policy[VMSIG_A_MAX + 1] = {
	[VMSIG_A_EP_ID]			= { .type = NLA_U32 },
	[VMSIG_A_EP_BACKEND]		= { .type = NLA_U32 },
	[VMSIG_A_EP_VMM_PID]		= { .type = NLA_U32 },
	[VMSIG_A_EP_NSUBS]		= { .type = NLA_U32 },
	[VMSIG_A_EP_LEASE]		= { .type = NLA_NESTED },
	[VMSIG_A_AUDIT_SEQ]		= { .type = NLA_U64 },
	[VMSIG_A_AUDIT_TIME_NS]		= { .type = NLA_U64 },
	[VMSIG_A_AUDIT_WHAT]		= { .type = NLA_U32 },
	[VMSIG_A_AUDIT_RESULT]		= { .type = NLA_U32 },
	[VMSIG_A_AUDIT_PID]		= { .type = NLA_U32 },
	[VMSIG_A_AUDIT_UID]		= { .type = NLA_U32 },
	[VMSIG_A_AUDIT_COMM]		= { .type = NLA_STRING,
					    .maxlen = VMSIG_AUDIT_COMM_LEN },
	[VMSIG_A_AUDIT_LEASE_CLASS]	= { .type = NLA_U32 },
	[VMSIG_A_AUDIT_TOKEN]		= { .type = NLA_U64 },
	[VMSIG_A_AUDIT_ADDR]		= { .type = NLA_U64 },
	[VMSIG_A_AUDIT_LEN]		= { .type = NLA_U32 },
	[VMSIG_A_AUDIT_OP]		= { .type = NLA_U32 },
	[VMSIG_A_AUDIT_RIGHTS]		= { .type = NLA_U64 },
	[VMSIG_A_AUDIT_HOLDER_PID]	= { .type = NLA_U32 },
	[VMSIG_A_STATS_KINDS]		= { .type = NLA_NESTED },
	[VMSIG_A_STATS_LOST]		= { .type = NLA_U64 },
};

static struct nla_policy vmsig_nl_lease_policy[VMSIG_LEASE_A_MAX + 1] = {
	[VMSIG_LEASE_A_CLASS]		= { .type = NLA_U32 },
	[VMSIG_LEASE_A_HELD]		= { .type = NLA_U8 },
	[VMSIG_LEASE_A_HOLDER_PID]	= { .type = NLA_U32 },
	[VMSIG_LEASE_A_TOKEN]		= { .type = NLA_U64 },
	[VMSIG_LEASE_A_EXPIRES_NS]	= { .type = NLA_U64 },
};

/* Check the generic header and command, and parse the attributes. */
static int vmsig_nl_parse(const struct nlmsghdr *nlh, uint8_t cmd,
			  struct nlattr **tb)
{
	struct nlmsghdr *h = (struct nlmsghdr *)nlh;
	struct genlmsghdr *gh;

	if (!genlmsg_valid_hdr(h, 0))
		return -EPROTO;
	gh = nlmsg_data(h);
	if (gh->cmd != cmd)
		return -EPROTO;
	if (genlmsg_parse(h, 0, tb, VMSIG_A_MAX, vmsig_nl_policy) < 0)
		return -EPROTO;
	return 0;
}

static uint32_t vmsig_u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static uint64_t vmsig_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

int vmsig_nl_decode_audit(const struct nlmsghdr *nlh, struct vmsig_nl_audit *rec)
{
	struct nlattr *tb[VMSIG_A_MAX + 1];
	int err;

	memset(rec, 0, sizeof(*rec));
	err = vmsig_nl_parse(nlh, VMSIG_CMD_AUDIT, tb);
	if (err)
		return err;
	if (!tb[VMSIG_A_AUDIT_WHAT] || !tb[VMSIG_A_AUDIT_SEQ])
		return -EPROTO;
	rec->seq = vmsig_u64(tb, VMSIG_A_AUDIT_SEQ);
	rec->time_ns = vmsig_u64(tb, VMSIG_A_AUDIT_TIME_NS);
	rec->what = vmsig_u32(tb, VMSIG_A_AUDIT_WHAT);
	rec->result = (int32_t)vmsig_u32(tb, VMSIG_A_AUDIT_RESULT);
	rec->pid = vmsig_u32(tb, VMSIG_A_AUDIT_PID);
	rec->uid = vmsig_u32(tb, VMSIG_A_AUDIT_UID);
	if (tb[VMSIG_A_AUDIT_COMM])
		nla_strlcpy(rec->comm, tb[VMSIG_A_AUDIT_COMM], sizeof(rec->comm));
	rec->ep_id = vmsig_u32(tb, VMSIG_A_EP_ID);
	if (tb[VMSIG_A_AUDIT_LEASE_CLASS]) {
		rec->present |= VMSIG_NL_AUDIT_HAS_CLASS;
		rec->lease_class = nla_get_u32(tb[VMSIG_A_AUDIT_LEASE_CLASS]);
	}
	if (tb[VMSIG_A_AUDIT_TOKEN]) {
		rec->present |= VMSIG_NL_AUDIT_HAS_TOKEN;
		rec->token = nla_get_u64(tb[VMSIG_A_AUDIT_TOKEN]);
	}
	if (tb[VMSIG_A_AUDIT_HOLDER_PID]) {
		rec->present |= VMSIG_NL_AUDIT_HAS_HOLDER;
		rec->holder_pid = nla_get_u32(tb[VMSIG_A_AUDIT_HOLDER_PID]);
	}
	if (tb[VMSIG_A_AUDIT_ADDR]) {
		rec->present |= VMSIG_NL_AUDIT_HAS_ADDR;
		rec->addr = nla_get_u64(tb[VMSIG_A_AUDIT_ADDR]);
		rec->len = vmsig_u32(tb, VMSIG_A_AUDIT_LEN);
	}
	if (tb[VMSIG_A_AUDIT_OP]) {
		rec->present |= VMSIG_NL_AUDIT_HAS_OP;
		rec->op = nla_get_u32(tb[VMSIG_A_AUDIT_OP]);
	}
	if (tb[VMSIG_A_AUDIT_RIGHTS]) {
		rec->present |= VMSIG_NL_AUDIT_HAS_RIGHTS;
		rec->rights = nla_get_u64(tb[VMSIG_A_AUDIT_RIGHTS]);
	}
	return 0;
}

static int vmsig_nl_decode_lease(struct nlattr *nest, struct vmsig_nl_lease *l)
{
	struct nlattr *tb[VMSIG_LEASE_A_MAX + 1];

	if (nla_parse_nested(tb, VMSIG_LEASE_A_MAX, nest, vmsig_nl_lease_policy) < 0 ||
	    !tb[VMSIG_LEASE_A_CLASS] || !tb[VMSIG_LEASE_A_HELD])
		return -EPROTO;
	memset(l, 0, sizeof(*l));
	l->lease_class = nla_get_u32(tb[VMSIG_LEASE_A_CLASS]);
	l->held = !!nla_get_u8(tb[VMSIG_LEASE_A_HELD]);
	l->holder_pid = vmsig_u32(tb, VMSIG_LEASE_A_HOLDER_PID);
	l->token = vmsig_u64(tb, VMSIG_LEASE_A_TOKEN);
	l->expires_ns = vmsig_u64(tb, VMSIG_LEASE_A_EXPIRES_NS);
	return 0;
}

int vmsig_nl_decode_endpoint(const struct nlmsghdr *nlh,
			     struct vmsig_nl_endpoint *ep)
{
	struct nlmsghdr *h = (struct nlmsghdr *)nlh;
	struct nlattr *tb[VMSIG_A_MAX + 1];
	struct nlattr *a;
	int err, rem;

	memset(ep, 0, sizeof(*ep));
	err = vmsig_nl_parse(nlh, VMSIG_CMD_LIST_ENDPOINTS, tb);
	if (err)
		return err;
	if (!tb[VMSIG_A_EP_ID])
		return -EPROTO;
	ep->ep_id = vmsig_u32(tb, VMSIG_A_EP_ID);
	ep->backend = vmsig_u32(tb, VMSIG_A_EP_BACKEND);
	ep->vmm_pid = vmsig_u32(tb, VMSIG_A_EP_VMM_PID);
	ep->nsubs = vmsig_u32(tb, VMSIG_A_EP_NSUBS);
	/* VMSIG_A_EP_LEASE repeats: walk every attribute, not the table. */
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(h), 0),
			  genlmsg_attrlen(nlmsg_data(h), 0), rem) {
		if (nla_type(a) != VMSIG_A_EP_LEASE)
			continue;
		if (ep->nleases == VMSIG_NL_LEASES_MAX)
			break;
		err = vmsig_nl_decode_lease(a, &ep->leases[ep->nleases]);
		if (err)
			return err;
		ep->nleases++;
	}
	return 0;
}

int vmsig_nl_decode_stats(const struct nlmsghdr *nlh,
			  struct vmsig_nl_audit_stats *st)
{
	struct nlattr *tb[VMSIG_A_MAX + 1];
	struct nlattr *a;
	int err, rem;

	memset(st, 0, sizeof(*st));
	err = vmsig_nl_parse(nlh, VMSIG_CMD_GET_AUDIT_STATS, tb);
	if (err)
		return err;
	if (!tb[VMSIG_A_STATS_KINDS] || !tb[VMSIG_A_STATS_LOST])
		return -EPROTO;
	nla_for_each_nested(a, tb[VMSIG_A_STATS_KINDS], rem) {
		int kind = nla_type(a);

		if (kind == VMSIG_AUDIT_UNSPEC || kind >= VMSIG_NL_KINDS_MAX)
			continue;	/* padding, or a kind too new to keep */
		if (nla_len(a) != sizeof(uint64_t))
			return -EPROTO;
		st->kinds[kind] = nla_get_u64(a);
	}
	st->lost = nla_get_u64(tb[VMSIG_A_STATS_LOST]);
	return 0;
}

static const char *const vmsig_audit_kind_names[] = {
	[VMSIG_AUDIT_ATTACH]		= "attach",
	[VMSIG_AUDIT_DETACH]		= "detach",
	[VMSIG_AUDIT_DERIVE]		= "derive",
	[VMSIG_AUDIT_OPEN_EP]		= "open_ep",
	[VMSIG_AUDIT_DENIED]		= "denied",
	[VMSIG_AUDIT_LEASE_GRANT]	= "lease_grant",
	[VMSIG_AUDIT_LEASE_DENY]	= "lease_deny",
	[VMSIG_AUDIT_LEASE_RELEASE]	= "lease_release",
	[VMSIG_AUDIT_LEASE_EXPIRE]	= "lease_expire",
	[VMSIG_AUDIT_LEASE_REVOKE]	= "lease_revoke",
	[VMSIG_AUDIT_LEASE_CLOSED]	= "lease_closed",
	[VMSIG_AUDIT_MEMWRITE]		= "memwrite",
};

const char *vmsig_audit_kind_name(uint32_t what)
{
	if (what >= sizeof(vmsig_audit_kind_names) / sizeof(vmsig_audit_kind_names[0]))
		return NULL;
	return vmsig_audit_kind_names[what];
}

/* ------------------------------------------------------------ requests */

int vmsig_nl_open(struct vmsig_nl **nlp)
{
	struct vmsig_nl *nl;
	int err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		err = -ENOMEM;
		goto fail;
	}
	err = genl_connect(nl->sk);
	if (err < 0)
		goto fail_nl;
	nl->family = genl_ctrl_resolve(nl->sk, VMSIG_GENL_NAME);
	if (nl->family < 0) {
		err = nl->family;
		goto fail_nl;
	}
	nl->audit_grp = genl_ctrl_resolve_grp(nl->sk, VMSIG_GENL_NAME,
					      VMSIG_GENL_MCGRP_AUDIT);
	if (nl->audit_grp < 0) {
		err = nl->audit_grp;
		goto fail_nl;
	}
	*nlp = nl;
	return 0;

fail_nl:
	err = vmsig_nl_errno(err);
fail:
	vmsig_nl_close(nl);
	return err;
}

void vmsig_nl_close(struct vmsig_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->asub);
	nl_socket_free(nl->sk);
	free(nl->rbuf);
	free(nl);
}

/* One request's progress, seen by the libnl callbacks. */
struct vmsig_nl_req {
	int err;		/* the kernel's errno, or a decoding error */
	int done;
	int count;
	uint8_t cmd;
	vmsig_nl_endpoint_fn fn;
	void *arg;
	int fn_err;
	struct vmsig_nl_audit_stats *st;
};

static int vmsig_nl_on_valid(struct nl_msg *msg, void *arg)
{
	struct vmsig_nl_req *req = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct vmsig_nl_endpoint ep;
	int err;

	if (req->cmd == VMSIG_CMD_GET_AUDIT_STATS) {
		err = vmsig_nl_decode_stats(nlh, req->st);
		if (err && !req->err)
			req->err = err;
		req->count++;
		return NL_OK;
	}
	err = vmsig_nl_decode_endpoint(nlh, &ep);
	if (err) {
		if (!req->err)
			req->err = err;
		return NL_OK;
	}
	req->count++;
	/* Keep reading the dump to its end even once @fn said stop. */
	if (!req->fn_err && req->fn) {
		err = req->fn(&ep, req->arg);
		if (err < 0)
			req->fn_err = err;
	}
	return NL_OK;
}

static int vmsig_nl_on_error(struct sockaddr_nl *nla, struct nlmsgerr *e,
			     void *arg)
{
	struct vmsig_nl_req *req = arg;

	(void)nla;
	req->err = e->error ? e->error : -EPROTO;
	req->done = 1;
	return NL_STOP;
}

static int vmsig_nl_on_done(struct nl_msg *msg, void *arg)
{
	struct vmsig_nl_req *req = arg;

	(void)msg;
	req->done = 1;
	return NL_STOP;
}

/* Send @cmd (a dump with @flags NLM_F_DUMP) and read its answer. */
static int vmsig_nl_request(struct vmsig_nl *nl, uint8_t cmd, int flags,
			    uint32_t ep_id, struct vmsig_nl_req *req)
{
	struct nl_msg *msg;
	struct nl_cb *cb;
	int err;

	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	req->cmd = cmd;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, VMSIG_GENL_VERSION) ||
	    (ep_id && nla_put_u32(msg, VMSIG_A_EP_ID, ep_id) < 0)) {
		err = -EMSGSIZE;
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, vmsig_nl_on_valid, req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, vmsig_nl_on_done, req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, vmsig_nl_on_done, req);
	nl_cb_err(cb, NL_CB_CUSTOM, vmsig_nl_on_error, req);
	err = nl_send_auto(nl->sk, msg);
	if (err < 0) {
		err = vmsig_nl_errno(err);
		goto out;
	}
	err = 0;
	while (!req->done) {
		err = nl_recvmsgs(nl->sk, cb);
		if (req->done)
			break;
		if (err < 0) {
			err = vmsig_nl_errno(err);
			break;
		}
	}
	if (req->err)
		err = req->err;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return err;
}

int vmsig_nl_list_endpoints(struct vmsig_nl *nl, uint32_t ep_id,
			    vmsig_nl_endpoint_fn fn, void *arg)
{
	struct vmsig_nl_req req = { .fn = fn, .arg = arg };
	int err;

	err = vmsig_nl_request(nl, VMSIG_CMD_LIST_ENDPOINTS, NLM_F_DUMP, ep_id,
			       &req);
	if (err)
		return err;
	if (req.fn_err)
		return req.fn_err;
	return req.count;
}

int vmsig_nl_audit_stats(struct vmsig_nl *nl, struct vmsig_nl_audit_stats *st)
{
	struct vmsig_nl_req req = { .st = st };
	int err;

	memset(st, 0, sizeof(*st));
	err = vmsig_nl_request(nl, VMSIG_CMD_GET_AUDIT_STATS, 0, 0, &req);
	if (err)
		return err;
	return req.count == 1 ? 0 : -EPROTO;
}

/* --------------------------------------------------------- audit stream */

int vmsig_nl_audit_subscribe(struct vmsig_nl *nl)
{
	struct nl_sock *sk;
	int err, one = 1;

	if (nl->asub)
		return -EALREADY;
	if (!nl->rbuf) {
		nl->rbuf = malloc(VMSIG_NL_RBUF);
		if (!nl->rbuf)
			return -ENOMEM;
	}
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	nl_socket_disable_seq_check(sk);
	err = genl_connect(sk);
	if (err < 0)
		goto fail;
	err = nl_socket_set_buffer_size(sk, VMSIG_NL_RCVBUF, 0);
	if (err < 0)
		goto fail;
	/* Our overruns count in VMSIG_A_STATS_LOST too. */
	if (setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_BROADCAST_ERROR,
		       &one, sizeof(one))) {
		err = -errno;
		nl_socket_free(sk);
		return err;
	}
	err = nl_socket_add_membership(sk, nl->audit_grp);
	if (err < 0)
		goto fail;
	nl->asub = sk;
	nl->rlen = 0;
	nl->roff = 0;
	return 0;
fail:
	nl_socket_free(sk);
	return vmsig_nl_errno(err);
}

int vmsig_nl_audit_fd(const struct vmsig_nl *nl)
{
	return nl->asub ? nl_socket_get_fd(nl->asub) : -ENOTCONN;
}

/* The next record already received, if any: 0, or -EAGAIN when none. */
static int vmsig_nl_audit_pop(struct vmsig_nl *nl, struct vmsig_nl_audit *rec)
{
	while (nl->roff < nl->rlen) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(nl->rbuf + nl->roff);
		int left = (int)(nl->rlen - nl->roff);

		if (!nlmsg_ok(nlh, left)) {
			nl->roff = nl->rlen;
			return -EPROTO;
		}
		nl->roff += NLMSG_ALIGN(nlh->nlmsg_len);
		if (nlh->nlmsg_type != nl->family)
			continue;
		if (vmsig_nl_decode_audit(nlh, rec) == 0)
			return 0;
	}
	return -EAGAIN;
}

int vmsig_nl_audit_next(struct vmsig_nl *nl, struct vmsig_nl_audit *rec,
			int timeout_ms)
{
	struct pollfd pfd;
	ssize_t n;
	int err;

	if (!nl->asub)
		return -ENOTCONN;
	for (;;) {
		err = vmsig_nl_audit_pop(nl, rec);
		if (err != -EAGAIN)
			return err;
		pfd.fd = nl_socket_get_fd(nl->asub);
		pfd.events = POLLIN;
		err = poll(&pfd, 1, timeout_ms);
		if (err < 0)
			return -errno;
		if (err == 0)
			return -EAGAIN;
		n = recv(pfd.fd, nl->rbuf, VMSIG_NL_RBUF, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		if (n > VMSIG_NL_RBUF)
			return -EMSGSIZE;
		nl->rlen = (size_t)n;
		nl->roff = 0;
	}
}
