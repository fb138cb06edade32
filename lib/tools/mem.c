// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl read, write and cas: guest memory for people.
 *
 * Reads need only the endpoint file.  Writes are fenced: each command takes
 * the endpoint's memwrite lease (failing at once when somebody else holds
 * it, or waiting with --wait), writes with its token, and releases it; the
 * lease would end anyway when vmsigctl exits and its file closes.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "vmsig.h"
#include "vmsig_nl.h"

/* Explain a failed access of guest memory at @addr. */
static int mem_fail(struct ctl *c, int err, const char *what, uint64_t addr,
		    uint64_t len)
{
	ctl_fail(c, err, "%s %" PRIu64 " byte%s at 0x%" PRIx64, what, len,
		 len == 1 ? "" : "s", addr);
	switch (-err) {
	case EFAULT:
		ctl_hint(c, "no guest memory at some byte of the range (a gap between memory slots, or beyond RAM)");
		break;
	case ENODATA:
		ctl_hint(c, "virtual addresses need a memory context: give --cr3 (the guest's CR3), or run the memctx adapter");
		break;
	case ENXIO:
		ctl_hint(c, "a page-table entry on the walk is not present: the address is not mapped in this address space");
		break;
	case EIO:
		ctl_hint(c, "a page-table entry on the walk has reserved bits set: is --cr3 (and --la57) right?");
		break;
	case ESRCH:
		ctl_hint(c, "the VMM's address space is gone: the VM's process exited");
		break;
	case EOPNOTSUPP:
		ctl_hint(c, "this endpoint has no guest memory, or (writes) the VM logs dirty pages in a dirty ring, which vmsig cannot push to: it refuses rather than lose the write");
		break;
	case EROFS:
		ctl_hint(c, "the range touches a read-only memory slot (ROM)");
		break;
	case EPERM:
		ctl_hint(c, "this endpoint file lacks the right (or, for a RAM file, it is sealed against writes)");
		break;
	case ESTALE:
		ctl_hint(c, "the memwrite lease ended before the write (revoked, or expired)");
		break;
	case EBADF:
		ctl_hint(c, "the RAM file of this endpoint is not open for writing");
		break;
	default:
		break;
	}
	return CTL_EXIT_FAIL;
}

/* Open the endpoint and set the memctx; fd or -errno (explained). */
static int open_mem_endpoint(struct ctl *c)
{
	int ep = ctl_open_endpoint(c, 0), err;

	if (ep < 0)
		return ep;
	err = ctl_apply_memctx(c, ep);
	if (err) {
		close(ep);
		return err;
	}
	return ep;
}

/* xxd's layout, with the guest address as the offset column. */
static void hexdump(FILE *f, uint64_t addr, const uint8_t *buf, size_t len)
{
	int aw = addr + len > 0x100000000ULL ? 16 : 8;

	for (size_t off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;
		char hex[48], *h = hex;
		char asc[17];

		for (size_t i = 0; i < 16; i++) {
			if (i < n)
				h += sprintf(h, "%02x", buf[off + i]);
			else
				h += sprintf(h, "  ");
			if (i % 2 && i < 15)
				*h++ = ' ';
			asc[i] = i < n ? (isprint(buf[off + i]) ? (char)buf[off + i] : '.') : '\0';
		}
		*h = '\0';
		asc[n] = '\0';
		fprintf(f, "%0*" PRIx64 ": %s  %s\n", aw, addr + off, hex, asc);
	}
}

static char *to_hex(const uint8_t *buf, size_t len)
{
	char *s = malloc(2 * len + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < len; i++)
		sprintf(s + 2 * i, "%02x", buf[i]);
	s[2 * len] = '\0';
	return s;
}

int ctl_cmd_read(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	uint8_t *buf;
	int ep, err, rc = CTL_EXIT_FAIL;

	j_u64(c->out, "addr", a->addr);
	j_int(c->out, "len", a->len);
	j_bool(c->out, "virt", a->virt);
	ep = open_mem_endpoint(c);
	if (ep < 0)
		return CTL_EXIT_FAIL;
	buf = malloc(a->len);
	if (!buf) {
		rc = ctl_fail(c, -ENOMEM, "cannot allocate %u bytes", a->len);
		goto out;
	}
	err = a->virt ? vmsig_read_virt(ep, a->addr, buf, a->len) :
			vmsig_read_phys(ep, a->addr, buf, a->len);
	if (err) {
		mem_fail(c, err, "cannot read", a->addr, a->len);
		goto out;
	}
	if (a->format == CTL_FMT_RAW) {
		if (fwrite(buf, 1, a->len, stdout) != a->len) {
			rc = ctl_fail(c, -errno, "cannot write to stdout");
			goto out;
		}
	} else if (ctl_human(c)) {
		hexdump(stdout, a->addr, buf, a->len);
	} else {
		char *hex = to_hex(buf, a->len);

		if (!hex) {
			rc = ctl_fail(c, -ENOMEM, "cannot allocate the output");
			goto out;
		}
		j_str(c->out, "data", hex);
		free(hex);
	}
	rc = CTL_EXIT_OK;
out:
	free(buf);
	close(ep);
	return rc;
}

/* Who holds @ep_id's memwrite lease, best effort (needs CAP_NET_ADMIN). */
static int holder_of(const struct vmsig_nl_endpoint *ep, void *arg)
{
	for (uint32_t i = 0; i < ep->nleases; i++)
		if (ep->leases[i].lease_class == VMSIG_LEASE_MEMWRITE && ep->leases[i].held)
			*(uint32_t *)arg = ep->leases[i].holder_pid;
	return 0;
}

static uint32_t memwrite_holder(int ep)
{
	struct vmsig_ep_info info;
	struct vmsig_nl *nl;
	uint32_t pid = 0;

	if (vmsig_ep_info(ep, &info) || vmsig_nl_open(&nl))
		return 0;
	vmsig_nl_list_endpoints(nl, info.ep_id, holder_of, &pid);
	vmsig_nl_close(nl);
	return pid;
}

/* Take the memwrite lease: token, or -errno (explained). */
static int take_lease(struct ctl *c, int ep, uint64_t *token)
{
	const struct ctl_args *a = c->args;
	uint32_t holder;
	int err;

	if (a->has_wait)
		ctl_catch_signals();	/* Ctrl-C ends the wait cleanly */
	err = vmsig_lease_acquire(ep, VMSIG_LEASE_MEMWRITE, 0,
				  a->has_wait ? VMSIG_LEASE_WAIT : 0, a->wait_ns,
				  token, NULL);
	if (!err) {
		j_u64(c->out, "token", *token);
		return 0;
	}
	switch (-err) {
	case EBUSY:
		holder = memwrite_holder(ep);
		if (holder)
			ctl_fail(c, err, "the memwrite lease is held by process %u", holder);
		else
			ctl_fail(c, err, "the memwrite lease is held by another file");
		ctl_hint(c, "--wait SECONDS waits for it; vmsigctl leases shows the holders");
		break;
	case ETIMEDOUT:
		ctl_fail(c, err, "the memwrite lease was not free within --wait");
		break;
	case EINTR:
		ctl_fail(c, err, "interrupted while waiting for the memwrite lease");
		break;
	case EPERM:
		ctl_fail(c, err, "cannot take the memwrite lease");
		ctl_hint(c, "this endpoint file lacks the lease_memwrite right");
		break;
	default:
		ctl_fail(c, err, "cannot take the memwrite lease");
		break;
	}
	return err;
}

static void give_lease(int ep, uint64_t token)
{
	/* -ESTALE: it ended already (revoked, expired); nothing to give. */
	vmsig_lease_release(ep, VMSIG_LEASE_MEMWRITE, token);
}

int ctl_cmd_write(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	uint32_t flags = a->virt ? VMSIG_WRITE_VIRT : 0;
	uint8_t word[8], *buf = word;
	size_t len;
	uint64_t token;
	int ep, err, rc = CTL_EXIT_FAIL;

	if (a->hex) {
		len = a->hex_len;
		buf = malloc(len);
		if (!buf)
			return ctl_fail(c, -ENOMEM, "cannot allocate %zu bytes", len);
		ctl_parse_hex(a->hex, buf, len);
	} else {
		len = a->width;
		for (size_t i = 0; i < len; i++)	/* little-endian, as x86 */
			word[i] = (uint8_t)(a->value >> (8 * i));
		j_u64(c->out, "value", a->value);
	}
	j_u64(c->out, "addr", a->addr);
	j_int(c->out, "len", (int64_t)len);
	j_bool(c->out, "virt", a->virt);
	ep = open_mem_endpoint(c);
	if (ep < 0)
		goto out_buf;
	if (take_lease(c, ep, &token))
		goto out;
	err = vmsig_mem_write(ep, token, a->addr, buf, len, flags, 0);
	give_lease(ep, token);
	if (err) {
		mem_fail(c, err, "cannot write", a->addr, len);
		goto out;
	}
	if (ctl_human(c))
		printf("wrote %zu byte%s at 0x%" PRIx64 "%s (memwrite lease token %" PRIu64 ")\n",
		       len, len == 1 ? "" : "s", a->addr, a->virt ? " (virtual)" : "", token);
	rc = CTL_EXIT_OK;
out:
	close(ep);
out_buf:
	if (buf != word)
		free(buf);
	return rc;
}

int ctl_cmd_cas(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	uint32_t flags = a->virt ? VMSIG_WRITE_VIRT : 0;
	uint64_t token, old = 0;
	int ep, ret, rc = CTL_EXIT_FAIL;
	int digits = 2 * (int)a->width;

	j_u64(c->out, "addr", a->addr);
	j_int(c->out, "width", a->width);
	j_bool(c->out, "virt", a->virt);
	j_u64(c->out, "expect", a->expect);
	j_u64(c->out, "new", a->value);
	ep = open_mem_endpoint(c);
	if (ep < 0)
		return CTL_EXIT_FAIL;
	if (take_lease(c, ep, &token))
		goto out;
	ret = vmsig_mem_cas(ep, token, a->addr, a->width, a->expect, a->value,
			    flags, 0, &old);
	give_lease(ep, token);
	if (ret < 0) {
		mem_fail(c, ret, "cannot compare-and-swap", a->addr, a->width);
		goto out;
	}
	j_bool(c->out, "swapped", ret == 1);
	j_u64(c->out, "old", old);
	if (ret == 1) {
		if (ctl_human(c))
			printf("swapped: 0x%0*" PRIx64 " -> 0x%0*" PRIx64 " at 0x%" PRIx64 "\n",
			       digits, old, digits, a->value, a->addr);
		rc = CTL_EXIT_OK;
	} else {
		/* Not an error of the call, but the swap did not happen: exit 1. */
		ctl_fail(c, 0, "not swapped: found 0x%0*" PRIx64 ", expected 0x%0*" PRIx64,
			 digits, old, digits, a->expect);
	}
out:
	close(ep);
	return rc;
}
