// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of libvmsig's decoding of the vmsig generic netlink family:
 * messages are built here with libnl's nlmsg/nla API, the way the kernel
 * lays them out, and decoded with the library's decoders.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "vmsig_nl.h"

#define FAMILY_ID	0x1234

static struct nl_msg *new_msg(uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, 0, 0, FAMILY_ID, 0, 0, cmd,
				    VMSIG_GENL_VERSION));
	return msg;
}

/* A u64 the way the kernel puts it: a padding attribute first if needed. */
static void put_u64(struct nl_msg *msg, int type, uint64_t v, int pad)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if ((nlh->nlmsg_len + NLA_HDRLEN) % 8)
		assert_int_equal(nla_put(msg, pad, 0, NULL), 0);
	assert_int_equal(nla_put_u64(msg, type, v), 0);
}

static struct nl_msg *full_audit_record(void)
{
	struct nl_msg *msg = new_msg(VMSIG_CMD_AUDIT);

	put_u64(msg, VMSIG_A_AUDIT_SEQ, 77, VMSIG_A_PAD);
	put_u64(msg, VMSIG_A_AUDIT_TIME_NS, 123456789ULL, VMSIG_A_PAD);
	nla_put_u32(msg, VMSIG_A_AUDIT_WHAT, VMSIG_AUDIT_MEMWRITE);
	nla_put_u32(msg, VMSIG_A_AUDIT_RESULT, (uint32_t)-ESTALE);
	nla_put_u32(msg, VMSIG_A_AUDIT_PID, 4242);
	nla_put_u32(msg, VMSIG_A_AUDIT_UID, 1000);
	nla_put_string(msg, VMSIG_A_AUDIT_COMM, "writer");
	nla_put_u32(msg, VMSIG_A_EP_ID, 3);
	nla_put_u32(msg, VMSIG_A_AUDIT_LEASE_CLASS, VMSIG_LEASE_MEMWRITE);
	put_u64(msg, VMSIG_A_AUDIT_TOKEN, 9, VMSIG_A_PAD);
	put_u64(msg, VMSIG_A_AUDIT_ADDR, 0xfffff000ULL, VMSIG_A_PAD);
	nla_put_u32(msg, VMSIG_A_AUDIT_LEN, 8);
	nla_put_u32(msg, VMSIG_A_AUDIT_OP, 0x1f);
	put_u64(msg, VMSIG_A_AUDIT_RIGHTS, VMSIG_RIGHT_MEM_WRITE, VMSIG_A_PAD);
	nla_put_u32(msg, VMSIG_A_AUDIT_HOLDER_PID, 4243);
	return msg;
}

static void audit_every_field(void **state)
{
	struct nl_msg *msg = full_audit_record();
	struct vmsig_nl_audit rec;

	(void)state;
	assert_int_equal(vmsig_nl_decode_audit(nlmsg_hdr(msg), &rec), 0);
	assert_int_equal(rec.seq, 77);
	assert_int_equal(rec.time_ns, 123456789ULL);
	assert_int_equal(rec.what, VMSIG_AUDIT_MEMWRITE);
	assert_int_equal(rec.result, -ESTALE);
	assert_int_equal(rec.pid, 4242);
	assert_int_equal(rec.uid, 1000);
	assert_string_equal(rec.comm, "writer");
	assert_int_equal(rec.ep_id, 3);
	assert_int_equal(rec.present,
			 VMSIG_NL_AUDIT_HAS_CLASS | VMSIG_NL_AUDIT_HAS_TOKEN |
			 VMSIG_NL_AUDIT_HAS_ADDR | VMSIG_NL_AUDIT_HAS_OP |
			 VMSIG_NL_AUDIT_HAS_RIGHTS | VMSIG_NL_AUDIT_HAS_HOLDER);
	assert_int_equal(rec.lease_class, VMSIG_LEASE_MEMWRITE);
	assert_int_equal(rec.token, 9);
	assert_int_equal(rec.addr, 0xfffff000ULL);
	assert_int_equal(rec.len, 8);
	assert_int_equal(rec.op, 0x1f);
	assert_int_equal(rec.rights, VMSIG_RIGHT_MEM_WRITE);
	assert_int_equal(rec.holder_pid, 4243);
	nlmsg_free(msg);
}

static void audit_minimal(void **state)
{
	struct nl_msg *msg = new_msg(VMSIG_CMD_AUDIT);
	struct vmsig_nl_audit rec;

	(void)state;
	put_u64(msg, VMSIG_A_AUDIT_SEQ, 1, VMSIG_A_PAD);
	nla_put_u32(msg, VMSIG_A_AUDIT_WHAT, VMSIG_AUDIT_ATTACH);
	nla_put_u32(msg, VMSIG_A_AUDIT_RESULT, 0);
	nla_put_u32(msg, VMSIG_A_EP_ID, 1);
	/* An attribute from a newer kernel is ignored. */
	nla_put_u32(msg, VMSIG_A_MAX + 5, 0xdead);
	memset(&rec, 0xff, sizeof(rec));
	assert_int_equal(vmsig_nl_decode_audit(nlmsg_hdr(msg), &rec), 0);
	assert_int_equal(rec.what, VMSIG_AUDIT_ATTACH);
	assert_int_equal(rec.present, 0);
	assert_int_equal(rec.token, 0);
	assert_string_equal(rec.comm, "");
	nlmsg_free(msg);
}

static void audit_malformed(void **state)
{
	struct vmsig_nl_audit rec;
	struct nl_msg *msg;

	(void)state;
	/* Not an audit record. */
	msg = new_msg(VMSIG_CMD_GET_AUDIT_STATS);
	put_u64(msg, VMSIG_A_AUDIT_SEQ, 1, VMSIG_A_PAD);
	nla_put_u32(msg, VMSIG_A_AUDIT_WHAT, VMSIG_AUDIT_ATTACH);
	assert_int_equal(vmsig_nl_decode_audit(nlmsg_hdr(msg), &rec), -EPROTO);
	nlmsg_free(msg);

	/* No kind. */
	msg = new_msg(VMSIG_CMD_AUDIT);
	put_u64(msg, VMSIG_A_AUDIT_SEQ, 1, VMSIG_A_PAD);
	assert_int_equal(vmsig_nl_decode_audit(nlmsg_hdr(msg), &rec), -EPROTO);
	nlmsg_free(msg);

	/* A u32 attribute one byte long. */
	msg = new_msg(VMSIG_CMD_AUDIT);
	put_u64(msg, VMSIG_A_AUDIT_SEQ, 1, VMSIG_A_PAD);
	nla_put_u8(msg, VMSIG_A_AUDIT_WHAT, VMSIG_AUDIT_ATTACH);
	assert_int_equal(vmsig_nl_decode_audit(nlmsg_hdr(msg), &rec), -EPROTO);
	nlmsg_free(msg);

	/* A comm longer than the kernel ever sends. */
	msg = new_msg(VMSIG_CMD_AUDIT);
	put_u64(msg, VMSIG_A_AUDIT_SEQ, 1, VMSIG_A_PAD);
	nla_put_u32(msg, VMSIG_A_AUDIT_WHAT, VMSIG_AUDIT_ATTACH);
	nla_put_string(msg, VMSIG_A_AUDIT_COMM, "a-name-far-too-long-for-comm");
	assert_int_equal(vmsig_nl_decode_audit(nlmsg_hdr(msg), &rec), -EPROTO);
	nlmsg_free(msg);
}

static void audit_truncated(void **state)
{
	struct nl_msg *msg = full_audit_record();
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct vmsig_nl_audit rec;

	(void)state;
	/* Shorter than the generic header. */
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	assert_int_equal(vmsig_nl_decode_audit(nlh, &rec), -EPROTO);
	nlmsg_free(msg);
}

static void put_lease(struct nl_msg *msg, uint32_t cls, int held,
		      uint32_t pid, uint64_t token, uint64_t expires)
{
	struct nlattr *nest = nla_nest_start(msg, VMSIG_A_EP_LEASE);

	assert_non_null(nest);
	nla_put_u32(msg, VMSIG_LEASE_A_CLASS, cls);
	nla_put_u8(msg, VMSIG_LEASE_A_HELD, held);
	if (held) {
		nla_put_u32(msg, VMSIG_LEASE_A_HOLDER_PID, pid);
		put_u64(msg, VMSIG_LEASE_A_TOKEN, token, VMSIG_LEASE_A_PAD);
		put_u64(msg, VMSIG_LEASE_A_EXPIRES_NS, expires, VMSIG_LEASE_A_PAD);
	}
	nla_nest_end(msg, nest);
}

static void endpoint_with_leases(void **state)
{
	struct nl_msg *msg = new_msg(VMSIG_CMD_LIST_ENDPOINTS);
	struct vmsig_nl_endpoint ep;

	(void)state;
	nla_put_u32(msg, VMSIG_A_EP_ID, 5);
	nla_put_u32(msg, VMSIG_A_EP_BACKEND, VMSIG_BACKEND_RAMFD);
	nla_put_u32(msg, VMSIG_A_EP_VMM_PID, 0);
	nla_put_u32(msg, VMSIG_A_EP_NSUBS, 2);
	put_lease(msg, VMSIG_LEASE_INPUT, 0, 0, 0, 0);
	put_lease(msg, VMSIG_LEASE_POWER, 1, 99, 7, 5000000000ULL);
	put_lease(msg, VMSIG_LEASE_MEMWRITE, 0, 0, 0, 0);
	assert_int_equal(vmsig_nl_decode_endpoint(nlmsg_hdr(msg), &ep), 0);
	assert_int_equal(ep.ep_id, 5);
	assert_int_equal(ep.backend, VMSIG_BACKEND_RAMFD);
	assert_int_equal(ep.vmm_pid, 0);
	assert_int_equal(ep.nsubs, 2);
	assert_int_equal(ep.nleases, 3);
	assert_int_equal(ep.leases[0].lease_class, VMSIG_LEASE_INPUT);
	assert_int_equal(ep.leases[0].held, 0);
	assert_int_equal(ep.leases[1].lease_class, VMSIG_LEASE_POWER);
	assert_int_equal(ep.leases[1].held, 1);
	assert_int_equal(ep.leases[1].holder_pid, 99);
	assert_int_equal(ep.leases[1].token, 7);
	assert_int_equal(ep.leases[1].expires_ns, 5000000000ULL);
	assert_int_equal(ep.leases[2].lease_class, VMSIG_LEASE_MEMWRITE);
	assert_int_equal(ep.leases[2].held, 0);
	nlmsg_free(msg);
}

static void endpoint_lease_overflow_and_errors(void **state)
{
	struct vmsig_nl_endpoint ep;
	struct nl_msg *msg;
	struct nlattr *nest;
	int i;

	(void)state;
	/* More classes than the struct keeps: the first ones are kept. */
	msg = new_msg(VMSIG_CMD_LIST_ENDPOINTS);
	nla_put_u32(msg, VMSIG_A_EP_ID, 1);
	for (i = 0; i < VMSIG_NL_LEASES_MAX + 3; i++)
		put_lease(msg, i, 0, 0, 0, 0);
	assert_int_equal(vmsig_nl_decode_endpoint(nlmsg_hdr(msg), &ep), 0);
	assert_int_equal(ep.nleases, VMSIG_NL_LEASES_MAX);
	assert_int_equal(ep.leases[VMSIG_NL_LEASES_MAX - 1].lease_class,
			 VMSIG_NL_LEASES_MAX - 1);
	nlmsg_free(msg);

	/* A lease without its class. */
	msg = new_msg(VMSIG_CMD_LIST_ENDPOINTS);
	nla_put_u32(msg, VMSIG_A_EP_ID, 1);
	nest = nla_nest_start(msg, VMSIG_A_EP_LEASE);
	nla_put_u8(msg, VMSIG_LEASE_A_HELD, 0);
	nla_nest_end(msg, nest);
	assert_int_equal(vmsig_nl_decode_endpoint(nlmsg_hdr(msg), &ep), -EPROTO);
	nlmsg_free(msg);

	/* No endpoint id. */
	msg = new_msg(VMSIG_CMD_LIST_ENDPOINTS);
	nla_put_u32(msg, VMSIG_A_EP_BACKEND, 0);
	assert_int_equal(vmsig_nl_decode_endpoint(nlmsg_hdr(msg), &ep), -EPROTO);
	nlmsg_free(msg);
}

static void stats(void **state)
{
	struct nl_msg *msg = new_msg(VMSIG_CMD_GET_AUDIT_STATS);
	struct vmsig_nl_audit_stats st;
	struct nlattr *nest;
	int k;

	(void)state;
	nest = nla_nest_start(msg, VMSIG_A_STATS_KINDS);
	for (k = VMSIG_AUDIT_ATTACH; k <= VMSIG_AUDIT_MAX; k++)
		put_u64(msg, k, 100 + k, VMSIG_AUDIT_UNSPEC);
	/* A kind too new for the struct is skipped. */
	put_u64(msg, VMSIG_NL_KINDS_MAX + 1, 5, VMSIG_AUDIT_UNSPEC);
	nla_nest_end(msg, nest);
	put_u64(msg, VMSIG_A_STATS_LOST, 3, VMSIG_A_PAD);
	assert_int_equal(vmsig_nl_decode_stats(nlmsg_hdr(msg), &st), 0);
	assert_int_equal(st.kinds[0], 0);
	for (k = VMSIG_AUDIT_ATTACH; k <= VMSIG_AUDIT_MAX; k++)
		assert_int_equal(st.kinds[k], 100 + k);
	for (; k < VMSIG_NL_KINDS_MAX; k++)
		assert_int_equal(st.kinds[k], 0);
	assert_int_equal(st.lost, 3);
	nlmsg_free(msg);

	/* No lost counter. */
	msg = new_msg(VMSIG_CMD_GET_AUDIT_STATS);
	nest = nla_nest_start(msg, VMSIG_A_STATS_KINDS);
	nla_nest_end(msg, nest);
	assert_int_equal(vmsig_nl_decode_stats(nlmsg_hdr(msg), &st), -EPROTO);
	nlmsg_free(msg);

	/* A counter that is not a u64. */
	msg = new_msg(VMSIG_CMD_GET_AUDIT_STATS);
	nest = nla_nest_start(msg, VMSIG_A_STATS_KINDS);
	nla_put_u32(msg, VMSIG_AUDIT_ATTACH, 1);
	nla_nest_end(msg, nest);
	put_u64(msg, VMSIG_A_STATS_LOST, 0, VMSIG_A_PAD);
	assert_int_equal(vmsig_nl_decode_stats(nlmsg_hdr(msg), &st), -EPROTO);
	nlmsg_free(msg);
}

static void kind_names(void **state)
{
	uint32_t k;

	(void)state;
	assert_null(vmsig_audit_kind_name(VMSIG_AUDIT_UNSPEC));
	for (k = VMSIG_AUDIT_ATTACH; k <= VMSIG_AUDIT_MAX; k++)
		assert_non_null(vmsig_audit_kind_name(k));
	assert_null(vmsig_audit_kind_name(VMSIG_AUDIT_MAX + 1));
	assert_string_equal(vmsig_audit_kind_name(VMSIG_AUDIT_LEASE_GRANT),
			    "lease_grant");
	assert_string_equal(vmsig_audit_kind_name(VMSIG_AUDIT_MEMWRITE),
			    "memwrite");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(audit_every_field),
		cmocka_unit_test(audit_minimal),
		cmocka_unit_test(audit_malformed),
		cmocka_unit_test(audit_truncated),
		cmocka_unit_test(endpoint_with_leases),
		cmocka_unit_test(endpoint_lease_overflow_and_errors),
		cmocka_unit_test(stats),
		cmocka_unit_test(kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
