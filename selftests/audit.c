// SPDX-License-Identifier: GPL-2.0
/*
 * The "vmsig" generic netlink family: a libnl-3 listener on the audit group
 * gets exactly one record per decision of a scripted sequence, with the
 * right fields; GET_AUDIT_STATS moves by exactly the records seen; the
 * endpoint listing matches reality (backends, subscribers, a held lease and
 * its token, a dump spread over several messages); requests are validated
 * strictly; everything needs CAP_NET_ADMIN; a listener that falls behind is
 * told, and the records it missed are counted as lost.
 *
 * The listener is libvmsig's (lib/netlink.c, on libnl-3); the malformed
 * requests are built with libnl directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vmsig.h>
#include <linux/vmsig_netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "vmsig_nl.h"

#define M	(1ULL << 20)
#define MS	1000000ULL

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int attach(int dev, uint32_t backend, int fd, uint32_t *ep_id)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .backend = backend, .fd = fd,
		.flags = VMSIG_ATTACH_NONBLOCK,
	};
	int ret = ioctl(dev, VMSIG_IOC_ATTACH, &at);

	if (ep_id)
		*ep_id = at.ep_id;
	return ret < 0 ? -errno : ret;
}

/* An attach refused for its arguments (a none endpoint has no RAM). */
static int attach_sized(int dev, uint32_t backend, int fd, uint64_t ram_size)
{
	struct vmsig_attach at = {
		.size = sizeof(at), .backend = backend, .fd = fd,
		.ram_size = ram_size,
	};
	int ret = ioctl(dev, VMSIG_IOC_ATTACH, &at);

	return ret < 0 ? -errno : ret;
}

static int derive(int ep, uint64_t rights)
{
	struct vmsig_derive d = {
		.size = sizeof(d), .flags = VMSIG_DERIVE_RIGHTS, .rights = rights,
	};
	int ret = ioctl(ep, VMSIG_IOC_DERIVE, &d);

	return ret < 0 ? -errno : ret;
}

static int open_ep(int dev, uint32_t ep_id)
{
	struct vmsig_open_ep op = { .size = sizeof(op), .ep_id = ep_id };
	int ret = ioctl(dev, VMSIG_IOC_OPEN_EP, &op);

	return ret < 0 ? -errno : ret;
}

static int lease_op(int fd, unsigned long cmd, uint32_t cls, uint64_t ttl,
		    uint64_t *token)
{
	struct vmsig_lease l = {
		.size = sizeof(l), .lease_class = cls, .ttl_ns = ttl,
		.token = token ? *token : 0,
	};
	int ret = xioctl(fd, cmd, &l);

	if (!ret && token)
		*token = l.token;
	return ret;
}

static int acquire(int fd, uint32_t cls, uint64_t ttl, uint64_t *token)
{
	*token = 0;
	return lease_op(fd, VMSIG_IOC_LEASE_ACQUIRE, cls, ttl, token);
}

static int mem_write(int ep, uint64_t addr, const void *buf, uint32_t len,
		     uint64_t token)
{
	struct vmsig_mem_write w = {
		.size = sizeof(w), .addr = addr, .buf = (uintptr_t)buf,
		.len = len, .token = token,
	};

	return xioctl(ep, VMSIG_IOC_MEM_WRITE, &w);
}

/* ------------------------------------------------------------ listings --- */

#define LIST_MAX	512

struct listing {
	int n;
	struct vmsig_nl_endpoint ep[LIST_MAX];
};

static int collect(const struct vmsig_nl_endpoint *ep, void *arg)
{
	struct listing *l = arg;

	if (l->n == LIST_MAX)
		return -ENOSPC;
	l->ep[l->n++] = *ep;
	return 0;
}

static const struct vmsig_nl_endpoint *find_ep(const struct listing *l,
					       uint32_t id)
{
	for (int i = 0; i < l->n; i++)
		if (l->ep[i].ep_id == id)
			return &l->ep[i];
	return NULL;
}

/* --------------------------------------------------------------- audit --- */

FIXTURE(audit) {
	struct vmsig_nl *nl;
	int dev;
	char comm[16];
	bool have_seq;
	uint64_t seq;
	uint64_t got[VMSIG_NL_KINDS_MAX];
	struct vmsig_nl_audit_stats before;
};

FIXTURE_SETUP(audit)
{
	ASSERT_EQ(0, vmsig_nl_open(&self->nl));
	ASSERT_EQ(0, vmsig_nl_audit_subscribe(self->nl));
	ASSERT_EQ(0, vmsig_nl_audit_stats(self->nl, &self->before));
	self->dev = open("/dev/vmsig", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, prctl(PR_GET_NAME, self->comm));
}

FIXTURE_TEARDOWN(audit)
{
	close(self->dev);
	vmsig_nl_close(self->nl);
}

/*
 * The next record: of @kind, with @res and @ep, made by this process, and
 * numbered right after the previous one (no record missed or unseen).
 * Records are sent before the system call that decided returns, so they
 * are queued by the time we look.
 */
#define NEXT(r, kind, res, ep) do {						\
	ASSERT_EQ(0, vmsig_nl_audit_next(self->nl, &(r), 2000));		\
	TH_LOG("record %llu: %s result %d ep %u",				\
	       (unsigned long long)(r).seq, vmsig_audit_kind_name((r).what),	\
	       (r).result, (r).ep_id);						\
	ASSERT_EQ((kind), (r).what);						\
	EXPECT_EQ((res), (r).result);						\
	EXPECT_EQ((ep), (r).ep_id);						\
	EXPECT_EQ((uint32_t)getpid(), (r).pid);					\
	EXPECT_EQ((uint32_t)getuid(), (r).uid);					\
	EXPECT_STREQ(self->comm, (r).comm);					\
	EXPECT_NE(0, (r).time_ns);						\
	if (self->have_seq)							\
		EXPECT_EQ(self->seq + 1, (r).seq);				\
	self->have_seq = true;							\
	self->seq = (r).seq;							\
	self->got[(r).what]++;							\
} while (0)

/* Nothing more was decided. */
#define NO_MORE() do {								\
	struct vmsig_nl_audit __r;						\
	int __e = vmsig_nl_audit_next(self->nl, &__r, 0);			\
	if (!__e)								\
		TH_LOG("unexpected record: %s",					\
		       vmsig_audit_kind_name(__r.what));			\
	ASSERT_EQ(-EAGAIN, __e);						\
} while (0)

TEST_F(audit, one_record_per_decision)
{
	struct vmsig_nl_audit_stats after;
	struct vmsig_nl_audit r;
	struct vmsig_event up = { .type = 0x200, .source = VMSIG_SRC_SENSOR };
	struct vmsig_event down = { .type = VMSIG_EV_POWER, .dir = VMSIG_DIR_DOWN,
				    .source = VMSIG_SRC_VMHOST,
				    .aux = VMSIG_POWER_RESET };
	uint32_t id_ram, id_none, pid = getpid();
	int memfd, ep, ep2, ro, wr, byid;
	uint64_t t1, t2, tp, tx, v = 0x1122334455667788ULL, got = 0;
	const struct vmsig_nl_endpoint *a, *b;
	struct listing *l;

	memfd = memfd_create("ram", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, 2 * M));

	/* Attach: a ramfd endpoint and a none endpoint; a refused attach. */
	ep = attach(self->dev, VMSIG_BACKEND_RAMFD, memfd, &id_ram);
	ASSERT_LE(0, ep);
	NEXT(r, VMSIG_AUDIT_ATTACH, 0, id_ram);
	EXPECT_EQ(0, r.present);
	ep2 = attach(self->dev, VMSIG_BACKEND_NONE, -1, &id_none);
	ASSERT_LE(0, ep2);
	NEXT(r, VMSIG_AUDIT_ATTACH, 0, id_none);
	EXPECT_EQ(-EINVAL, attach_sized(self->dev, VMSIG_BACKEND_NONE, -1, M));
	NEXT(r, VMSIG_AUDIT_ATTACH, -EINVAL, 0);
	NO_MORE();

	/* Derive: a read-only file, and a refused widening of it. */
	ro = derive(ep, VMSIG_RIGHT_MEM_READ);
	ASSERT_LE(0, ro);
	NEXT(r, VMSIG_AUDIT_DERIVE, 0, id_ram);
	EXPECT_EQ(VMSIG_NL_AUDIT_HAS_RIGHTS, r.present);
	EXPECT_EQ(VMSIG_RIGHT_MEM_READ, r.rights);
	EXPECT_EQ(-EPERM, derive(ro, VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_MEM_WRITE));
	NEXT(r, VMSIG_AUDIT_DERIVE, -EPERM, id_ram);
	EXPECT_EQ(VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_MEM_WRITE, r.rights);
	NO_MORE();

	/* Denials of the read-only file: lease, write memory, emit. */
	EXPECT_EQ(-EPERM, acquire(ro, VMSIG_LEASE_MEMWRITE, 0, &tx));
	NEXT(r, VMSIG_AUDIT_DENIED, -EPERM, id_ram);
	EXPECT_EQ(_IOC_NR(VMSIG_IOC_LEASE_ACQUIRE), r.op);
	EXPECT_EQ(VMSIG_RIGHT_LEASE_MEMWRITE, r.rights);
	EXPECT_EQ(-EPERM, mem_write(ro, 0x1000, &v, 8, 1));
	NEXT(r, VMSIG_AUDIT_DENIED, -EPERM, id_ram);
	EXPECT_EQ(_IOC_NR(VMSIG_IOC_MEM_WRITE), r.op);
	EXPECT_EQ(VMSIG_RIGHT_MEM_WRITE, r.rights);
	EXPECT_EQ(-1, write(ro, &up, sizeof(up)));
	EXPECT_EQ(EPERM, errno);
	NEXT(r, VMSIG_AUDIT_DENIED, -EPERM, id_ram);
	EXPECT_EQ(VMSIG_AUDIT_OP_WRITE, r.op);
	EXPECT_EQ(VMSIG_RIGHT_EMIT, r.rights);
	NO_MORE();

	/* A destructive DOWN record with a token that is not current. */
	down.payload.u64[0] = 12345;
	EXPECT_EQ(-1, write(ep, &down, sizeof(down)));
	EXPECT_EQ(ESTALE, errno);
	NEXT(r, VMSIG_AUDIT_DENIED, -ESTALE, id_ram);
	EXPECT_EQ(VMSIG_AUDIT_OP_WRITE, r.op);
	EXPECT_EQ(12345, r.token);
	EXPECT_TRUE(r.present & VMSIG_NL_AUDIT_HAS_CLASS);
	EXPECT_EQ(VMSIG_LEASE_POWER, r.lease_class);
	NO_MORE();

	/* Lease grant, then a second file finds it busy. */
	ASSERT_EQ(0, acquire(ep, VMSIG_LEASE_MEMWRITE, 0, &t1));
	NEXT(r, VMSIG_AUDIT_LEASE_GRANT, 0, id_ram);
	EXPECT_EQ(VMSIG_LEASE_MEMWRITE, r.lease_class);
	EXPECT_EQ(t1, r.token);
	EXPECT_EQ(pid, r.holder_pid);
	EXPECT_TRUE(r.present & VMSIG_NL_AUDIT_HAS_CLASS);
	wr = derive(ep, VMSIG_RIGHTS_ALL);
	ASSERT_LE(0, wr);
	NEXT(r, VMSIG_AUDIT_DERIVE, 0, id_ram);
	EXPECT_EQ(VMSIG_RIGHTS_ALL, r.rights);
	EXPECT_EQ(-EBUSY, acquire(wr, VMSIG_LEASE_MEMWRITE, 0, &tx));
	NEXT(r, VMSIG_AUDIT_LEASE_DENY, -EBUSY, id_ram);
	EXPECT_EQ(VMSIG_LEASE_MEMWRITE, r.lease_class);
	EXPECT_EQ(pid, r.holder_pid);
	NO_MORE();

	/* A MEMWRITE under the lease lands and is audited with its range. */
	ASSERT_EQ(0, mem_write(ep, 0x1000, &v, 8, t1));
	NEXT(r, VMSIG_AUDIT_MEMWRITE, 0, id_ram);
	EXPECT_EQ(VMSIG_NL_AUDIT_HAS_CLASS | VMSIG_NL_AUDIT_HAS_TOKEN |
		  VMSIG_NL_AUDIT_HAS_ADDR, r.present & ~VMSIG_NL_AUDIT_HAS_HOLDER);
	EXPECT_EQ(0x1000, r.addr);
	EXPECT_EQ(8, r.len);
	EXPECT_EQ(t1, r.token);
	EXPECT_EQ(VMSIG_LEASE_MEMWRITE, r.lease_class);
	ASSERT_EQ(8, pread(memfd, &got, 8, 0x1000));
	EXPECT_EQ(v, got);
	NO_MORE();

	/* The listing matches: backends, subscribers, the held lease. */
	l = calloc(1, sizeof(*l));
	ASSERT_NE(NULL, l);
	ASSERT_LE(2, vmsig_nl_list_endpoints(self->nl, 0, collect, l));
	a = find_ep(l, id_ram);
	b = find_ep(l, id_none);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(VMSIG_BACKEND_RAMFD, a->backend);
	EXPECT_EQ(VMSIG_BACKEND_NONE, b->backend);
	EXPECT_EQ(3, a->nsubs);	/* ep, ro, wr */
	EXPECT_EQ(1, b->nsubs);
	EXPECT_EQ(0, a->vmm_pid);
	EXPECT_EQ(0, b->vmm_pid);
	ASSERT_EQ(VMSIG_LEASE_CLASSES, a->nleases);
	ASSERT_EQ(VMSIG_LEASE_CLASSES, b->nleases);
	for (uint32_t c = 0; c < VMSIG_LEASE_CLASSES; c++) {
		EXPECT_EQ(c, a->leases[c].lease_class);
		EXPECT_EQ(c == VMSIG_LEASE_MEMWRITE, a->leases[c].held);
		EXPECT_EQ(0, b->leases[c].held);
	}
	EXPECT_EQ(t1, a->leases[VMSIG_LEASE_MEMWRITE].token);
	EXPECT_EQ(pid, a->leases[VMSIG_LEASE_MEMWRITE].holder_pid);
	EXPECT_EQ(0, a->leases[VMSIG_LEASE_MEMWRITE].expires_ns);
	/* Ids ascend; asking for one endpoint lists exactly it. */
	for (int i = 1; i < l->n; i++)
		EXPECT_LT(l->ep[i - 1].ep_id, l->ep[i].ep_id);
	l->n = 0;
	ASSERT_EQ(1, vmsig_nl_list_endpoints(self->nl, id_none, collect, l));
	EXPECT_EQ(id_none, l->ep[0].ep_id);
	/* Listing decides nothing. */
	NO_MORE();

	/* Release; grant again with a larger token; revoke; the stale write. */
	ASSERT_EQ(0, lease_op(ep, VMSIG_IOC_LEASE_RELEASE, VMSIG_LEASE_MEMWRITE,
			      0, &t1));
	NEXT(r, VMSIG_AUDIT_LEASE_RELEASE, 0, id_ram);
	EXPECT_EQ(t1, r.token);
	ASSERT_EQ(0, acquire(ep, VMSIG_LEASE_MEMWRITE, 0, &t2));
	EXPECT_LT(t1, t2);
	NEXT(r, VMSIG_AUDIT_LEASE_GRANT, 0, id_ram);
	EXPECT_EQ(t2, r.token);
	ASSERT_EQ(0, lease_op(ep, VMSIG_IOC_LEASE_REVOKE, VMSIG_LEASE_MEMWRITE,
			      0, NULL));
	NEXT(r, VMSIG_AUDIT_LEASE_REVOKE, 0, id_ram);
	EXPECT_EQ(t2, r.token);
	EXPECT_EQ(VMSIG_LEASE_MEMWRITE, r.lease_class);
	EXPECT_EQ(-ESTALE, mem_write(ep, 0x1000, &v, 8, t2));
	NEXT(r, VMSIG_AUDIT_MEMWRITE, -ESTALE, id_ram);
	EXPECT_EQ(t2, r.token);
	NO_MORE();

	/* A TTL passes; the listing is who notices, and says it is free. */
	ASSERT_EQ(0, acquire(ep, VMSIG_LEASE_INPUT, 1 * MS, &tx));
	NEXT(r, VMSIG_AUDIT_LEASE_GRANT, 0, id_ram);
	EXPECT_EQ(VMSIG_LEASE_INPUT, r.lease_class);
	usleep(20000);
	l->n = 0;
	ASSERT_EQ(1, vmsig_nl_list_endpoints(self->nl, id_ram, collect, l));
	EXPECT_EQ(0, l->ep[0].leases[VMSIG_LEASE_INPUT].held);
	NEXT(r, VMSIG_AUDIT_LEASE_EXPIRE, 0, id_ram);
	EXPECT_EQ(VMSIG_LEASE_INPUT, r.lease_class);
	EXPECT_EQ(tx, r.token);
	NO_MORE();

	/* The holder's file closes with a lease held. */
	ASSERT_EQ(0, acquire(wr, VMSIG_LEASE_POWER, 0, &tp));
	NEXT(r, VMSIG_AUDIT_LEASE_GRANT, 0, id_ram);
	close(wr);
	NEXT(r, VMSIG_AUDIT_LEASE_CLOSED, 0, id_ram);
	EXPECT_EQ(VMSIG_LEASE_POWER, r.lease_class);
	EXPECT_EQ(tp, r.token);
	NO_MORE();

	/* Open by id (admin), and an id that does not exist. */
	byid = open_ep(self->dev, id_none);
	ASSERT_LE(0, byid);
	NEXT(r, VMSIG_AUDIT_OPEN_EP, 0, id_none);
	EXPECT_EQ(-ENOENT, open_ep(self->dev, 0x7ffffff0));
	NEXT(r, VMSIG_AUDIT_OPEN_EP, -ENOENT, 0x7ffffff0);
	close(byid);
	NO_MORE();

	/* Detach: only when the endpoint's last file closes. */
	close(ep2);
	NEXT(r, VMSIG_AUDIT_DETACH, 0, id_none);
	close(ro);
	NO_MORE();
	close(ep);
	NEXT(r, VMSIG_AUDIT_DETACH, 0, id_ram);
	NO_MORE();

	/* The counters moved by exactly the records seen, none lost. */
	ASSERT_EQ(0, vmsig_nl_audit_stats(self->nl, &after));
	for (int k = 1; k <= VMSIG_AUDIT_MAX; k++) {
		TH_LOG("%s: %llu", vmsig_audit_kind_name(k),
		       (unsigned long long)self->got[k]);
		EXPECT_EQ(self->got[k], after.kinds[k] - self->before.kinds[k]);
	}
	EXPECT_EQ(self->before.lost, after.lost);
	/* Reading the counters is no decision either. */
	NO_MORE();
	free(l);
	close(memfd);
}

/*
 * An attach refused by its backend (after the endpoint was set up) is one
 * decision: one ATTACH record, no DETACH of an endpoint that never was.
 */
TEST_F(audit, a_refused_attach_is_one_record)
{
	struct vmsig_nl_audit r;

	EXPECT_EQ(-EINVAL, attach(self->dev, VMSIG_BACKEND_NONE, 0, NULL));
	NEXT(r, VMSIG_AUDIT_ATTACH, -EINVAL, 0);
	NO_MORE();
}

/*
 * A listener that does not keep up is told, and the loss is counted: with
 * NETLINK_BROADCAST_ERROR (as libvmsig sets it) and without.
 */
TEST_F(audit, a_slow_listener_loses_counted_records)
{
	struct vmsig_nl_audit_stats after;
	struct vmsig_nl_audit r;
	int small = 1, ep, i, n = 400, e, pass;
	int afd = vmsig_nl_audit_fd(self->nl);
	uint32_t id;
	uint64_t lost;

	ep = attach(self->dev, VMSIG_BACKEND_NONE, -1, &id);
	ASSERT_LE(0, ep);
	NEXT(r, VMSIG_AUDIT_ATTACH, 0, id);
	/* The smallest receive buffer the kernel allows. */
	ASSERT_EQ(0, setsockopt(afd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	for (pass = 0; pass < 2; pass++) {
		int seen = 0, overruns = 0, berr = !pass;

		ASSERT_EQ(0, setsockopt(afd, SOL_NETLINK, NETLINK_BROADCAST_ERROR,
					&berr, sizeof(berr)));
		ASSERT_EQ(0, vmsig_nl_audit_stats(self->nl, &self->before));
		for (i = 0; i < n; i++) {
			int fd = derive(ep, VMSIG_RIGHT_MEM_READ);

			ASSERT_LE(0, fd);
			close(fd);
		}
		for (;;) {
			e = vmsig_nl_audit_next(self->nl, &r, 0);
			if (e == -ENOBUFS) {
				overruns++;
				continue;
			}
			if (e)
				break;
			EXPECT_EQ(VMSIG_AUDIT_DERIVE, r.what);
			seen++;
		}
		EXPECT_EQ(-EAGAIN, e);
		ASSERT_EQ(0, vmsig_nl_audit_stats(self->nl, &after));
		lost = after.lost - self->before.lost;
		TH_LOG("broadcast error %d: %d records, %d seen, %llu lost, %d overruns",
		       berr, n, seen, (unsigned long long)lost, overruns);
		EXPECT_EQ(n, after.kinds[VMSIG_AUDIT_DERIVE] -
			     self->before.kinds[VMSIG_AUDIT_DERIVE]);
		EXPECT_LT(0, lost);
		EXPECT_LT(0, overruns);
		EXPECT_EQ(n, seen + lost);
	}
	close(ep);
}

/* A dump longer than one message batch resumes where it stopped. */
TEST_F(audit, a_long_listing_resumes_in_order)
{
	enum { N = 300 };
	uint32_t ids[N];
	int fds[N], i, j, found = 0;
	struct listing *l = calloc(1, sizeof(*l));

	ASSERT_NE(NULL, l);
	for (i = 0; i < N; i++) {
		fds[i] = attach(self->dev, VMSIG_BACKEND_NONE, -1, &ids[i]);
		ASSERT_LE(0, fds[i]);
	}
	ASSERT_LE(N, vmsig_nl_list_endpoints(self->nl, 0, collect, l));
	for (i = 1; i < l->n; i++)
		ASSERT_LT(l->ep[i - 1].ep_id, l->ep[i].ep_id);
	for (i = 0; i < N; i++)
		for (j = 0; j < l->n; j++)
			if (l->ep[j].ep_id == ids[i] && l->ep[j].nsubs == 1 &&
			    l->ep[j].backend == VMSIG_BACKEND_NONE)
				found++;
	EXPECT_EQ(N, found);
	/* The callback can stop the listing; the handle stays usable. */
	EXPECT_EQ(-ENOSPC, vmsig_nl_list_endpoints(self->nl, 0, collect, l));
	l->n = 0;
	ASSERT_EQ(1, vmsig_nl_list_endpoints(self->nl, ids[N / 2], collect, l));
	EXPECT_EQ(ids[N / 2], l->ep[0].ep_id);
	for (i = 0; i < N; i++)
		close(fds[i]);
	l->n = 0;
	ASSERT_EQ(0, vmsig_nl_list_endpoints(self->nl, ids[0], collect, l));
	free(l);
}

/* ------------------------------------------------ requests, raw libnl --- */

struct raw {
	int err;
	int done;
	int valid;
};

static int raw_valid(struct nl_msg *msg, void *arg)
{
	((struct raw *)arg)->valid++;
	return NL_OK;
}

static int raw_done(struct nl_msg *msg, void *arg)
{
	((struct raw *)arg)->done = 1;
	return NL_STOP;
}

static int raw_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct raw *raw = arg;

	raw->err = e->error;
	raw->done = 1;
	return NL_STOP;
}

enum { A_NONE, A_EP_ID, A_EP_ID_U8, A_EP_ID_ZERO, A_UNKNOWN, A_WHAT };

/* Send one request; the kernel's errno (0 when acknowledged). */
static int raw_request(uint8_t cmd, int nlflags, int attr, uint8_t reserved,
		       int *valid)
{
	struct raw raw = { 0 };
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = nlmsg_alloc();
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	struct genlmsghdr *gh;
	int family, err;

	if (!sk || !msg || !cb || genl_connect(sk))
		return -ENOMEM;
	family = genl_ctrl_resolve(sk, VMSIG_GENL_NAME);
	if (family < 0)
		return -ENOENT;
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, nlflags, cmd,
		    VMSIG_GENL_VERSION);
	gh = nlmsg_data(nlmsg_hdr(msg));
	gh->reserved = reserved;
	switch (attr) {
	case A_EP_ID:
		nla_put_u32(msg, VMSIG_A_EP_ID, 1);
		break;
	case A_EP_ID_U8:
		nla_put_u8(msg, VMSIG_A_EP_ID, 1);
		break;
	case A_EP_ID_ZERO:
		nla_put_u32(msg, VMSIG_A_EP_ID, 0);
		break;
	case A_UNKNOWN:
		nla_put_u32(msg, VMSIG_A_MAX + 1, 1);
		break;
	case A_WHAT:
		nla_put_u32(msg, VMSIG_A_AUDIT_WHAT, VMSIG_AUDIT_ATTACH);
		break;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, raw_valid, &raw);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, raw_done, &raw);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, raw_done, &raw);
	nl_cb_err(cb, NL_CB_CUSTOM, raw_error, &raw);
	err = nl_send_auto(sk, msg);
	while (err >= 0 && !raw.done)
		err = nl_recvmsgs(sk, cb);
	if (valid)
		*valid = raw.valid;
	nl_cb_put(cb);
	nlmsg_free(msg);
	nl_socket_free(sk);
	return raw.done ? raw.err : -EIO;
}

TEST(requests_are_validated_strictly)
{
	int valid = 0;

	/* Well-formed requests work. */
	EXPECT_EQ(0, raw_request(VMSIG_CMD_GET_AUDIT_STATS, 0, A_NONE, 0, &valid));
	EXPECT_EQ(1, valid);
	EXPECT_EQ(0, raw_request(VMSIG_CMD_LIST_ENDPOINTS, NLM_F_DUMP, A_EP_ID, 0,
				 NULL));
	/* An attribute the command does not take. */
	EXPECT_EQ(-EINVAL, raw_request(VMSIG_CMD_GET_AUDIT_STATS, 0, A_EP_ID, 0,
				       NULL));
	EXPECT_EQ(-EINVAL, raw_request(VMSIG_CMD_LIST_ENDPOINTS, NLM_F_DUMP,
				       A_WHAT, 0, NULL));
	/* Wrong length, out of range, unknown to the family. */
	EXPECT_EQ(-EINVAL, raw_request(VMSIG_CMD_LIST_ENDPOINTS, NLM_F_DUMP,
				       A_EP_ID_U8, 0, NULL));
	EXPECT_EQ(-ERANGE, raw_request(VMSIG_CMD_LIST_ENDPOINTS, NLM_F_DUMP,
				       A_EP_ID_ZERO, 0, NULL));
	EXPECT_EQ(-EINVAL, raw_request(VMSIG_CMD_LIST_ENDPOINTS, NLM_F_DUMP,
				       A_UNKNOWN, 0, NULL));
	/* A nonzero reserved header field. */
	EXPECT_EQ(-EINVAL, raw_request(VMSIG_CMD_GET_AUDIT_STATS, 0, A_NONE, 1,
				       NULL));
	/* Not a request; not a dump; not a command. */
	EXPECT_EQ(-EOPNOTSUPP, raw_request(VMSIG_CMD_AUDIT, 0, A_NONE, 0, NULL));
	EXPECT_EQ(-EOPNOTSUPP, raw_request(VMSIG_CMD_LIST_ENDPOINTS, 0, A_NONE, 0,
					   NULL));
	EXPECT_EQ(-EOPNOTSUPP, raw_request(VMSIG_CMD_MAX + 1, 0, A_NONE, 0, NULL));
}

TEST(everything_needs_cap_net_admin)
{
	int st;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		struct vmsig_nl_audit_stats s;
		struct vmsig_nl *nl;
		int n = 0;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		if (vmsig_nl_open(&nl))
			_exit(11);
		if (vmsig_nl_list_endpoints(nl, 0, NULL, NULL) != -EPERM)
			n |= 1;
		if (vmsig_nl_audit_stats(nl, &s) != -EPERM)
			n |= 2;
		if (vmsig_nl_audit_subscribe(nl) != -EPERM)
			n |= 4;
		vmsig_nl_close(nl);
		_exit(n);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_HARNESS_MAIN
