// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded random generator of ioctl, read, write and poll sequences on
 * /dev/vmsig and endpoint files, with the file population itself changing
 * under it (attach, derive with random rights, open by id, dup, close, the
 * RAM file truncated or sealed, the VMM killed).
 *
 * Arguments are mostly valid structs with a few things wrong: sizes (short,
 * long with zero or nonzero tail, huge), flags, reserved fields, pointers
 * to unmapped (PROT_NONE) and read-only pages, structs straddling into a
 * guard page, huge lengths, addr + len overflow, real, stale and foreign
 * lease tokens, random event records.  Every pointer the kernel may write
 * through lies in dedicated mappings surrounded by guard pages, never in
 * the test's own memory.
 *
 * Checked: every errno is one uapi/linux/vmsig.h documents for that
 * command (the tables below), or ENOTTY for what is no command of that
 * file; read() returns whole, well-formed records; the counter identity
 * holds on every file; nothing hangs; the kernel stays healthy (the VM
 * runner fails the run on any WARN, BUG, KASAN or lockdep report).
 *
 * VMSIG_FUZZ_SEED (decimal or 0x-hex) and VMSIG_FUZZ_ITERS come from the
 * environment; the VM runner passes them with --env (make vmtest
 * VMTEST_ENV="VMSIG_FUZZ_SEED=... VMSIG_FUZZ_ITERS=..."), see
 * Documentation/testing.rst.  VMSIG_FUZZ_VERBOSE=1 prints every operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vmsig.h>

#include "kselftest_harness.h"
#include "vmm.h"
#include "vtest.h"

#define DEFAULT_SEED	0x5eedf00dULL
#define DEFAULT_ITERS	20000
#define PAGE		4096UL
#define ARENA		(64 * PAGE)
#define MAX_DEV		4
#define MAX_EP		24
#define MAX_TOK		32
#define MAX_CORR	32
#define MAX_ENT		8
#define RAM_SIZE	(1UL << 20)

/* ------------------------------------------------------ errno tables --- */

#define CONV	EFAULT, EINVAL, E2BIG	/* the argument conventions */
#define NEWFD	EMFILE, ENFILE, ENOMEM	/* calls that make a file */

struct cmd {
	const char *name;
	unsigned long cmd;
	bool dev;		/* a /dev/vmsig command, else an endpoint one */
	int err[16];		/* documented errnos, 0-terminated */
};

static const struct cmd cmds[] = {
	{ "GET_API", VMSIG_IOC_GET_API, true, { CONV } },
	{ "ATTACH", VMSIG_IOC_ATTACH, true,
	  { CONV, NEWFD, EBADF, EOPNOTSUPP, ENOSPC } },
	{ "OPEN_EP", VMSIG_IOC_OPEN_EP, true, { CONV, NEWFD, EPERM, ENOENT } },
	{ "EP_INFO", VMSIG_IOC_EP_INFO, false, { CONV } },
	{ "MEM_READ", VMSIG_IOC_MEM_READ, false,
	  { CONV, EOPNOTSUPP, ESTALE, ENOMEM, EINTR, EPERM } },
	{ "SET_MEMCTX", VMSIG_IOC_SET_MEMCTX, false, { CONV, EOPNOTSUPP, EPERM } },
	{ "GET_MEMCTX", VMSIG_IOC_GET_MEMCTX, false, { CONV } },
	{ "INVALIDATE_MEMCTX", VMSIG_IOC_INVALIDATE_MEMCTX, false,
	  { CONV, EOPNOTSUPP, EPERM } },
	{ "SET_SUB", VMSIG_IOC_SET_SUB, false, { CONV, EBUSY, ENOMEM } },
	{ "GET_SUB", VMSIG_IOC_GET_SUB, false, { CONV } },
	{ "GET_COUNTERS", VMSIG_IOC_GET_COUNTERS, false, { CONV } },
	{ "BIND_SINK", VMSIG_IOC_BIND_SINK, false, { CONV, EBUSY, ENOENT, EPERM } },
	{ "DERIVE", VMSIG_IOC_DERIVE, false, { CONV, NEWFD, EPERM } },
	{ "GET_RIGHTS", VMSIG_IOC_GET_RIGHTS, false, { CONV } },
	{ "LEASE_ACQUIRE", VMSIG_IOC_LEASE_ACQUIRE, false,
	  { CONV, EPERM, EBUSY, EALREADY, ETIMEDOUT, EINTR } },
	{ "LEASE_RENEW", VMSIG_IOC_LEASE_RENEW, false, { CONV, ESTALE } },
	{ "LEASE_RELEASE", VMSIG_IOC_LEASE_RELEASE, false, { CONV, ESTALE } },
	{ "LEASE_REVOKE", VMSIG_IOC_LEASE_REVOKE, false, { CONV, EPERM, ENOENT } },
	{ "MEM_WRITE", VMSIG_IOC_MEM_WRITE, false,
	  { CONV, EPERM, ESTALE, EROFS, EOPNOTSUPP, EBADF, ENODATA, ENXIO, EIO,
	    ESRCH } },
};
#define NCMDS	(int)(sizeof(cmds) / sizeof(cmds[0]))

/* Per-entry status of MEM_READ. */
static const int entry_err[] = {
	EFAULT, EOVERFLOW, E2BIG, EINVAL, ENODATA, ENXIO, EIO, ESRCH, 0
};
/* read() and write() of an endpoint file (Documentation/userspace-api.rst). */
static const int read_err[] = { EINVAL, EAGAIN, EFAULT, EINTR, 0 };
static const int write_err[] = {
	EINVAL, EPERM, ESTALE, EFAULT, ENXIO, EAGAIN, ENOENT, ENOSPC, EPIPE,
	ENOMEM, 0
};

static bool in_list(const int *l, int err)
{
	for (; *l; l++)
		if (*l == err)
			return true;
	return false;
}

/* ------------------------------------------------------------- state --- */

struct epf {
	int fd;
	uint64_t rights;
};

struct fz {
	struct vt_rng rng;
	bool verbose;
	unsigned long iter;
	int dev[MAX_DEV];
	int ndev;
	struct epf ep[MAX_EP];
	int nep;
	uint64_t tok[MAX_TOK];
	int ntok;
	uint64_t corr[MAX_CORR];
	int ncorr;
	uint32_t ids[MAX_EP];
	int nids;
	int memfd;		/* RAM of ramfd endpoints (may be truncated) */
	int romemfd;		/* the same file, opened read-only */
	struct vmm_child child;
	int children;		/* VMM children started so far */
	/* Memory the kernel may touch: guarded on both sides. */
	uint8_t *arena;		/* ARENA bytes, read-write */
	uint8_t *edge;		/* last read-write page before a guard */
	uint8_t *none;		/* PROT_NONE */
	uint8_t *ro;		/* read-only, random content */
	/* Tallies for the summary. */
	unsigned long ok, failed, reads, writes;
};

static uint64_t rnd(struct fz *z, uint64_t n)
{
	return vt_below(&z->rng, n);
}

static bool one_in(struct fz *z, uint64_t n)
{
	return vt_one_in(&z->rng, n);
}

/* "Interesting" 64-bit numbers: edges, powers of two, random. */
static uint64_t interesting(struct fz *z)
{
	static const uint64_t v[] = {
		0, 1, 2, 7, 8, 15, 16, 63, 64, 4095, 4096, 4097, 0x7fffffff,
		0x80000000, 0xffffffff, 0x100000000ULL, 1ULL << 52, (1ULL << 52) - 4096,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL, ~0ULL - 4095,
		0x00007fffffffffffULL, 0xffff800000000000ULL, RAM_SIZE, RAM_SIZE - 8,
	};

	switch (rnd(z, 4)) {
	case 0:
		return v[rnd(z, sizeof(v) / sizeof(v[0]))];
	case 1:
		return 1ULL << rnd(z, 64);
	case 2:
		return rnd(z, 1 << 16);
	default:
		return vt_rand(&z->rng);
	}
}

/*
 * A user pointer for @len bytes the kernel may read or write.  Good ones
 * land in the arena; bad ones are unmapped, read-only, straddle into a
 * guard page, or are no user address at all.
 */
static uint64_t uptr(struct fz *z, size_t len, int *kind)
{
	int k = rnd(z, 16);

	if (kind)
		*kind = k;
	switch (k) {
	case 0:
		return (uintptr_t)z->none + rnd(z, PAGE);
	case 1:
		return (uintptr_t)z->ro + rnd(z, PAGE);
	case 2:	/* straddles into the guard page after @edge */
		return (uintptr_t)z->edge + PAGE - (len ? rnd(z, len < PAGE ? len : PAGE) + 1 : 0);
	case 3:
		return rnd(z, 2) ? 0 : rnd(z, PAGE);
	case 4:
		return 0xffff888000000000ULL + (rnd(z, 1 << 20) << 12);
	case 5:
		return 0x8000000000000000ULL | vt_rand(&z->rng);
	default:
		if (len >= ARENA)
			return (uintptr_t)z->arena;
		return (uintptr_t)z->arena + rnd(z, ARENA - len + 1);
	}
}

static void remember_tok(struct fz *z, uint64_t t)
{
	if (!t)
		return;
	z->tok[z->ntok < MAX_TOK ? z->ntok++ : rnd(z, MAX_TOK)] = t;
}

static uint64_t some_tok(struct fz *z)
{
	if (z->ntok && !one_in(z, 5))
		return z->tok[rnd(z, z->ntok)] + (one_in(z, 8) ? 1 : 0);
	return one_in(z, 2) ? 0 : interesting(z);
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Take in a new endpoint file; closes it if there is no room. */
static void add_ep(struct fz *z, int fd)
{
	uint32_t id;

	if (fd < 0)
		return;
	if (z->nep >= MAX_EP) {
		close(fd);
		return;
	}
	/* Blocking reads would hang the fuzzer: every file is O_NONBLOCK. */
	set_nonblock(fd);
	z->ep[z->nep].fd = fd;
	z->ep[z->nep].rights = 0;
	vt_rights(fd, &z->ep[z->nep].rights);
	z->nep++;
	if (!vt_ep_id(fd, &id) && z->nids < MAX_EP)
		z->ids[z->nids++] = id;
}

static int any_fd(struct fz *z, bool *dev)
{
	if (z->ndev && (!z->nep || one_in(z, 6))) {
		*dev = true;
		return z->dev[rnd(z, z->ndev)];
	}
	*dev = false;
	return z->ep[rnd(z, z->nep)].fd;
}

/* An fd for ATTACH: the RAM file, the VM, or something else entirely. */
static int attach_fd(struct fz *z)
{
	switch (rnd(z, 8)) {
	case 0: case 1: case 2:
		return z->memfd;
	case 3:
		return z->romemfd;
	case 4:
		return z->child.vm_fd >= 0 ? z->child.vm_fd : -1;
	case 5:
		return z->ndev ? z->dev[0] : -1;
	case 6:
		return z->nep ? z->ep[rnd(z, z->nep)].fd : -1;
	default:
		return rnd(z, 2) ? -1 : (int)rnd(z, 2000);
	}
}

/* ------------------------------------------------------- arguments --- */

/* Fill @e with @n mostly sensible memory entries. */
static void gen_entries(struct fz *z, struct vmsig_mem_entry *e, int n)
{
	for (int i = 0; i < n; i++) {
		uint32_t len = one_in(z, 8) ? (uint32_t)interesting(z) : rnd(z, 2 * PAGE);

		e[i] = (struct vmsig_mem_entry){
			.addr = one_in(z, 4) ? interesting(z) : rnd(z, RAM_SIZE + PAGE),
			.len = len,
			.flags = one_in(z, 4) ? (one_in(z, 4) ? vt_rand(&z->rng) : VMSIG_MEM_VIRT) : 0,
			.reserved = one_in(z, 16) ? 1 : 0,
			.status = 0x5a5a5a5a,
		};
		e[i].buf = uptr(z, len < ARENA ? len : ARENA, NULL);
	}
}

/*
 * Build the argument of @c in @a (the arena): valid-looking first, then
 * a few things broken.  Returns the user pointer to pass.
 */
static uint64_t gen_arg(struct fz *z, const struct cmd *c, int *nent,
			struct vmsig_mem_entry **ents)
{
	static uint8_t a[VMSIG_ARG_MAX_SIZE + 64];
	uint32_t *hdr = (uint32_t *)a;
	size_t ksize = _IOC_SIZE(c->cmd), usize;
	uint64_t p;
	int k, mut;

	memset(a, 0, sizeof(a));
	*nent = 0;
	switch (c->cmd) {
	case VMSIG_IOC_ATTACH: {
		struct vmsig_attach *at = (void *)a;

		at->backend = one_in(z, 8) ? (uint32_t)interesting(z) : rnd(z, 3);
		at->fd = at->backend == VMSIG_BACKEND_NONE && !one_in(z, 4) ? -1 : attach_fd(z);
		at->flags = VMSIG_ATTACH_NONBLOCK;
		if (at->backend == VMSIG_BACKEND_RAMFD || one_in(z, 8)) {
			at->ram_base = one_in(z, 3) ? interesting(z) : rnd(z, 16) * PAGE;
			at->ram_size = one_in(z, 3) ? interesting(z) : rnd(z, 300) * PAGE;
		}
		break;
	}
	case VMSIG_IOC_OPEN_EP: {
		struct vmsig_open_ep *op = (void *)a;

		op->ep_id = z->nids && !one_in(z, 4) ? z->ids[rnd(z, z->nids)] :
			    (uint32_t)interesting(z);
		op->flags = VMSIG_ATTACH_NONBLOCK;
		break;
	}
	case VMSIG_IOC_MEM_READ: {
		struct vmsig_mem_read *rd = (void *)a;
		/* The entries live in the arena's last pages, clear of the struct. */
		struct vmsig_mem_entry *e = (void *)(z->arena + ARENA - PAGE);
		int n = rnd(z, MAX_ENT + 1);

		gen_entries(z, e, n);
		rd->entries = one_in(z, 6) ? uptr(z, n * sizeof(*e), NULL) : (uintptr_t)e;
		rd->count = one_in(z, 10) ? (uint32_t)interesting(z) : n;
		rd->flags = rnd(z, 4);
		rd->epoch = rnd(z, 4);
		if (rd->entries == (uintptr_t)e && rd->count <= MAX_ENT) {
			*nent = rd->count;
			*ents = e;
		}
		break;
	}
	case VMSIG_IOC_SET_MEMCTX:
	case VMSIG_IOC_INVALIDATE_MEMCTX: {
		struct vmsig_memctx *mc = (void *)a;

		if (c->cmd == VMSIG_IOC_SET_MEMCTX || one_in(z, 4)) {
			mc->root = one_in(z, 2) ? rnd(z, 256) * PAGE : interesting(z);
			mc->mode = one_in(z, 6) ? (uint32_t)interesting(z) : 1 + rnd(z, 2);
		}
		mc->epoch = one_in(z, 4) ? interesting(z) : 0;
		break;
	}
	case VMSIG_IOC_SET_SUB: {
		struct vmsig_sub *s = (void *)a;
		static const uint32_t sizes[] = { 0, 16, 32, 64, 256, 1024, 4096, 15, 17, 0 };

		s->sources = one_in(z, 6) ? interesting(z) : rnd(z, 1 << VMSIG_SRC_MAX);
		s->kernel_types = one_in(z, 6) ? interesting(z) : rnd(z, 1 << 7) & ~3ULL;
		/* Big rings are 8 MiB per file: rare. */
		s->ring_size = one_in(z, 50) ? VMSIG_RING_MAX :
			       one_in(z, 10) ? (uint32_t)interesting(z) :
			       sizes[rnd(z, sizeof(sizes) / sizeof(sizes[0]))];
		break;
	}
	case VMSIG_IOC_BIND_SINK: {
		struct vmsig_sink *s = (void *)a;

		s->source = one_in(z, 8) ? (uint32_t)interesting(z) : rnd(z, VMSIG_SRC_MAX + 1);
		s->flags = rnd(z, 2) ? VMSIG_SINK_UNBIND : 0;
		break;
	}
	case VMSIG_IOC_DERIVE: {
		struct vmsig_derive *d = (void *)a;

		d->flags = VMSIG_ATTACH_NONBLOCK | (rnd(z, 2) ? VMSIG_DERIVE_RIGHTS : 0);
		if (d->flags & VMSIG_DERIVE_RIGHTS)
			d->rights = one_in(z, 6) ? interesting(z) :
				    vt_rand(&z->rng) & VMSIG_RIGHTS_ALL;
		break;
	}
	case VMSIG_IOC_LEASE_ACQUIRE:
	case VMSIG_IOC_LEASE_RENEW:
	case VMSIG_IOC_LEASE_RELEASE:
	case VMSIG_IOC_LEASE_REVOKE: {
		struct vmsig_lease *l = (void *)a;

		l->lease_class = one_in(z, 10) ? (uint32_t)interesting(z) : rnd(z, 3);
		l->ttl_ns = one_in(z, 3) ? (one_in(z, 2) ? rnd(z, 5 * VT_MS) : interesting(z)) : 0;
		if (c->cmd == VMSIG_IOC_LEASE_ACQUIRE) {
			l->flags = one_in(z, 3) ? VMSIG_LEASE_WAIT : 0;
			l->token = one_in(z, 10) ? some_tok(z) : 0;
		} else if (c->cmd != VMSIG_IOC_LEASE_REVOKE) {
			l->token = some_tok(z);
		}
		break;
	}
	case VMSIG_IOC_MEM_WRITE: {
		struct vmsig_mem_write *w = (void *)a;
		static const uint32_t lens[] = { 1, 2, 4, 8, 3, 16, 4096, 4097, 65536, 65537, 0 };

		w->len = one_in(z, 8) ? (uint32_t)interesting(z) :
			 lens[rnd(z, sizeof(lens) / sizeof(lens[0]))];
		w->addr = one_in(z, 4) ? interesting(z) : rnd(z, RAM_SIZE + PAGE) & ~7ULL;
		w->token = some_tok(z);
		w->flags = one_in(z, 3) ? rnd(z, 8) : 0;
		if (w->flags & VMSIG_WRITE_CAS) {
			w->expect = rnd(z, 2) ? 0 : vt_rand(&z->rng);
			w->value = vt_rand(&z->rng);
			if (w->len < 8 && !one_in(z, 4)) {
				w->expect &= (1ULL << (8 * (w->len & 7))) - 1;
				w->value &= (1ULL << (8 * (w->len & 7))) - 1;
			}
		} else {
			w->buf = uptr(z, w->len < ARENA ? w->len : ARENA, NULL);
		}
		w->epoch = rnd(z, 4);
		break;
	}
	default:
		break;
	}

	/*
	 * Half of the arguments stay as built (valid or close to it, so the
	 * calls get deep); the others break one thing, sometimes two.
	 */
	mut = rnd(z, 10);
	if (mut == 9)
		mut = (1 << rnd(z, 4)) | (1 << rnd(z, 4));
	else
		mut = mut >= 5 ? 1 << (mut - 5) : 0;

	/* The header, and what breaks it. */
	usize = ksize;
	switch ((mut & 1) ? rnd(z, 4) : 4) {
	case 0:
		usize = rnd(z, ksize);
		break;
	case 1:	/* longer, zero tail */
		usize = ksize + rnd(z, 64);
		break;
	case 2:	/* longer, a nonzero byte in the tail */
		usize = ksize + 1 + rnd(z, 64);
		a[ksize + rnd(z, usize - ksize)] = 1 + rnd(z, 255);
		break;
	case 3:
		usize = one_in(z, 2) ? VMSIG_ARG_MAX_SIZE + rnd(z, 64) : (uint32_t)interesting(z);
		break;
	}
	hdr[0] = usize;
	k = (mut & 2) ? rnd(z, 2) : 2;
	if (k == 0)
		hdr[1] = 1U << rnd(z, 32);
	else if (k == 1)
		hdr[1] = vt_rand(&z->rng);
	/* Reserved fields and anything else: flip a random byte past the header. */
	if ((mut & 4) && ksize > 8)
		a[8 + rnd(z, ksize - 8)] ^= 1 << rnd(z, 8);
	/*
	 * Whatever the mutations did, a waiting acquire waits a few
	 * milliseconds at most (0 would wait for ever on a held lease).
	 */
	if (c->cmd == VMSIG_IOC_LEASE_ACQUIRE) {
		struct vmsig_lease *l = (void *)a;

		if (!l->timeout_ns || l->timeout_ns > 3 * VT_MS)
			l->timeout_ns = 1 + rnd(z, 3 * VT_MS);
	}

	/* Where the argument lives. */
	switch ((mut & 8) ? rnd(z, 4) : 4) {
	case 0:
		return (uintptr_t)z->none;
	case 1:	/* readable, not writable: output cannot be delivered */
		mprotect(z->ro, PAGE, PROT_READ | PROT_WRITE);
		memcpy(z->ro, a, PAGE);
		mprotect(z->ro, PAGE, PROT_READ);
		return (uintptr_t)z->ro;
	case 2: {	/* the struct runs into the guard page */
		size_t cut = 8 + rnd(z, ksize > 8 ? ksize - 8 : 1);

		memcpy(z->edge + PAGE - cut, a, cut);
		return (uintptr_t)z->edge + PAGE - cut;
	}
	case 3:
		return one_in(z, 2) ? 0 : 0xffff888000000000ULL;
	default:
		p = (uintptr_t)z->arena;
		memcpy(z->arena, a, sizeof(a));
		return p;
	}
}

/* A command: a known one, a known number in the wrong direction, or junk. */
static unsigned long gen_cmd(struct fz *z, const struct cmd **c)
{
	unsigned long n;
	int t;

	*c = NULL;
	switch (rnd(z, 10)) {
	case 0:	/* our magic, any number, any direction and size */
		n = _IOC(rnd(z, 4), VMSIG_IOC_MAGIC, rnd(z, 0x40), rnd(z, 512));
		break;
	case 1:	/* anything, but no type the VFS handles itself (FIONBIO...) */
		do {
			n = (uint32_t)vt_rand(&z->rng);
			t = _IOC_TYPE(n);
		} while (t == 0x00 || t == 0x15 || t == 0x54 || t == 0x58 ||
			 t == 0x66 || t == 0x94);
		break;
	default:
		*c = &cmds[rnd(z, NCMDS)];
		n = (*c)->cmd;
		/* The size bits are informational: vary them. */
		if (one_in(z, 5))
			n = _IOC(_IOC_DIR(n), _IOC_TYPE(n), _IOC_NR(n), rnd(z, 1 << 14));
		return n;
	}
	/* A random command that happens to be a known one is that command. */
	for (int i = 0; i < NCMDS; i++)
		if ((cmds[i].cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) ==
		    (n & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)))
			*c = &cmds[i];
	return n;
}

/* ------------------------------------------------------------ steps --- */

#define FAIL(z, fmt, ...)							\
	do {									\
		TH_LOG("seed %#llx iteration %lu: " fmt,			\
		       (unsigned long long)fz_seed, (z)->iter, ##__VA_ARGS__);	\
		_metadata->passed = 0;						\
	} while (0)

static uint64_t fz_seed;

static void step_ioctl(struct __test_metadata *_metadata, struct fz *z)
{
	struct vmsig_mem_entry *ents = NULL;
	const struct cmd *c;
	unsigned long cmd = gen_cmd(z, &c);
	bool dev;
	int fd = any_fd(z, &dev), nent = 0, ret;

	/* Mostly the right kind of file for the command. */
	if (c && c->dev != dev && !one_in(z, 8)) {
		dev = c->dev;
		fd = dev ? z->dev[rnd(z, z->ndev)] : z->ep[rnd(z, z->nep)].fd;
	}
	uint64_t arg = gen_arg(z, c ? c : &cmds[0], &nent, &ents);
	bool match = c && c->dev == dev;

	if (z->verbose)
		printf("# %lu ioctl fd %d (%s) cmd %#lx (%s) arg %#llx\n", z->iter, fd,
		       dev ? "dev" : "ep", cmd, c ? c->name : "-", (unsigned long long)arg);
	ret = ioctl(fd, cmd, (void *)(uintptr_t)arg);
	if (ret < 0) {
		int err = errno;

		z->failed++;
		if (!match ? err != ENOTTY : !in_list(c->err, err))
			FAIL(z, "ioctl %s (%#lx) on %s: undocumented errno %d (%s)",
			     c ? c->name : "unknown", cmd, dev ? "/dev/vmsig" : "endpoint",
			     err, strerror(err));
		return;
	}
	z->ok++;
	if (!match) {
		FAIL(z, "ioctl %#lx on %s succeeded (%d), expected ENOTTY", cmd,
		     dev ? "/dev/vmsig" : "endpoint", ret);
		return;
	}
	/* Calls that make a file return it. */
	if (c->cmd == VMSIG_IOC_ATTACH || c->cmd == VMSIG_IOC_DERIVE ||
	    c->cmd == VMSIG_IOC_OPEN_EP) {
		if (ret <= 2)
			FAIL(z, "%s returned fd %d", c->name, ret);
		else
			add_ep(z, ret);
	}
	if (c->cmd == VMSIG_IOC_LEASE_ACQUIRE && arg == (uintptr_t)z->arena)
		remember_tok(z, ((struct vmsig_lease *)z->arena)->token);
	/* The entries as the kernel saw them, after every mutation. */
	if (c->cmd == VMSIG_IOC_MEM_READ) {
		struct vmsig_mem_read *rd = (void *)z->arena;

		if (arg != (uintptr_t)z->arena || rd->entries != (uintptr_t)ents ||
		    rd->count > MAX_ENT)
			nent = 0;
		else
			nent = rd->count;
	}
	/* Statuses mean something unless guest data was read over them. */
	for (int i = 0; i < nent; i++)
		if (ents[i].buf < (uintptr_t)(ents + nent) &&
		    ents[i].buf + ents[i].len > (uintptr_t)ents)
			nent = 0;
	for (int i = 0; i < nent; i++)
		if (ents[i].status && !in_list(entry_err, -ents[i].status))
			FAIL(z, "MEM_READ entry %d: undocumented status %d", i, ents[i].status);
}

/* Harvest what records tell: tokens, correlation ids; check their form. */
static void look_at(struct __test_metadata *_metadata, struct fz *z,
		    const struct vmsig_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		if (ev[i].reserved || ev[i].version != VMSIG_EVENT_VERSION)
			FAIL(z, "record %d: reserved %u version %u", i, ev[i].reserved,
			     ev[i].version);
		if (ev[i].type == VMSIG_EV_LEASE)
			remember_tok(z, ev[i].payload.u64[0]);
		if (ev[i].dir == VMSIG_DIR_DOWN)
			z->corr[z->ncorr < MAX_CORR ? z->ncorr++ : rnd(z, MAX_CORR)] = ev[i].corr;
	}
}

static void step_read(struct __test_metadata *_metadata, struct fz *z)
{
	bool dev;
	int fd = any_fd(z, &dev), kind;
	size_t count;
	uint64_t p;
	ssize_t n;

	switch (rnd(z, 5)) {
	case 0:
		count = rnd(z, 2 * VT_EV_SIZE);
		break;
	case 1:
		count = one_in(z, 4) ? interesting(z) : (size_t)1 << 30;
		break;
	default:
		count = VT_EV_SIZE * (1 + rnd(z, 32)) + (one_in(z, 4) ? rnd(z, 64) : 0);
	}
	p = uptr(z, count < ARENA ? count : ARENA, &kind);
	if (z->verbose)
		printf("# %lu read fd %d count %zu buf %#llx\n", z->iter, fd, count,
		       (unsigned long long)p);
	n = read(fd, (void *)(uintptr_t)p, count);
	z->reads++;
	if (n < 0) {
		/* /dev/vmsig has no read(): the VFS answers EINVAL. */
		if (dev ? errno != EINVAL : !in_list(read_err, errno))
			FAIL(z, "read(%zu) on %s: undocumented errno %d (%s)", count,
			     dev ? "/dev/vmsig" : "endpoint", errno, strerror(errno));
		return;
	}
	if (dev || n % VT_EV_SIZE || (size_t)n > count)
		FAIL(z, "read(%zu) on %s returned %zd", count, dev ? "dev" : "ep", n);
	else if (p >= (uintptr_t)z->arena && p < (uintptr_t)z->arena + ARENA)
		look_at(_metadata, z, (void *)(uintptr_t)p, n / VT_EV_SIZE);
}

static void gen_event(struct fz *z, struct vmsig_event *ev)
{
	static const uint16_t types[] = {
		VMSIG_EV_DROPPED, VMSIG_EV_LIFECYCLE, VMSIG_EV_MEMCTX, VMSIG_EV_ACT_ACK,
		VMSIG_EV_LEASE, VMSIG_EV_MEMWRITE, 0xff, 0x100, 0x200, 0x7fff,
		VMSIG_EV_POWER, VMSIG_EV_INPUT, 0x8100, 0xffff, 0,
	};

	*ev = (struct vmsig_event){ 0 };
	ev->type = one_in(z, 10) ? vt_rand(&z->rng) : types[rnd(z, sizeof(types) / sizeof(types[0]))];
	ev->dir = one_in(z, 10) ? rnd(z, 256) : ev->type >= VMSIG_EV_DOWN_MIN;
	ev->prio = one_in(z, 10) ? rnd(z, 256) : rnd(z, 2);
	ev->source = one_in(z, 10) ? rnd(z, 256) : 1 + rnd(z, VMSIG_SRC_MAX - 1);
	ev->flags = one_in(z, 6) ? rnd(z, 256) : one_in(z, 6) ? VMSIG_EVF_RETAIN : 0;
	ev->version = one_in(z, 10) ? rnd(z, 256) : rnd(z, 2);
	ev->reserved = one_in(z, 20);
	ev->aux = rnd(z, 2) ? 0 : (int32_t)vt_rand(&z->rng);
	ev->seq = vt_rand(&z->rng);		/* the kernel overwrites these */
	ev->ts_ns = vt_rand(&z->rng);
	ev->ep_id = vt_rand(&z->rng);
	ev->deadline_ns = one_in(z, 5) ? vt_now_ns() + rnd(z, 4) * VT_MS - VT_MS : 0;
	ev->corr = ev->type == VMSIG_EV_ACT_ACK && z->ncorr && !one_in(z, 4) ?
		   z->corr[rnd(z, z->ncorr)] : vt_rand(&z->rng);
	ev->payload.u64[0] = ev->type == VMSIG_EV_POWER || ev->type == VMSIG_EV_INPUT ?
			     some_tok(z) : vt_rand(&z->rng);
	ev->payload.u64[1] = vt_rand(&z->rng);
}

static void step_write(struct __test_metadata *_metadata, struct fz *z)
{
	struct vmsig_event *ev = (void *)z->arena;
	int n = 1 + rnd(z, 4), kind = 6;
	bool dev;
	int fd = any_fd(z, &dev);
	size_t count = n * VT_EV_SIZE;
	uint64_t p = (uintptr_t)ev;
	ssize_t r;

	for (int i = 0; i < n; i++)
		gen_event(z, &ev[i]);
	if (one_in(z, 8))
		count = one_in(z, 2) ? rnd(z, count + VT_EV_SIZE) : interesting(z);
	if (one_in(z, 6)) {
		p = uptr(z, count < ARENA ? count : ARENA, &kind);
		if (kind == 2)	/* straddling: its first records are real */
			memcpy((void *)(uintptr_t)p, ev,
			       (uintptr_t)z->edge + PAGE - p < count ?
			       (uintptr_t)z->edge + PAGE - p : count);
	}
	if (z->verbose)
		printf("# %lu write fd %d count %zu type %#x dir %u src %u\n", z->iter,
		       fd, count, ev[0].type, ev[0].dir, ev[0].source);
	r = write(fd, (void *)(uintptr_t)p, count);
	z->writes++;
	if (r < 0) {
		if (dev ? errno != EINVAL : !in_list(write_err, errno))
			FAIL(z, "write(%zu) on %s: undocumented errno %d (%s)", count,
			     dev ? "/dev/vmsig" : "endpoint", errno, strerror(errno));
		return;
	}
	if (dev || r % VT_EV_SIZE || (size_t)r > count)
		FAIL(z, "write(%zu) on %s returned %zd", count, dev ? "dev" : "ep", r);
}

static void step_poll(struct __test_metadata *_metadata, struct fz *z)
{
	struct pollfd pfd[MAX_EP];

	for (int i = 0; i < z->nep; i++)
		pfd[i] = (struct pollfd){ .fd = z->ep[i].fd, .events = POLLIN | POLLOUT };
	if (poll(pfd, z->nep, 0) < 0) {
		FAIL(z, "poll: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < z->nep; i++)
		if (!(pfd[i].revents & POLLOUT) || (pfd[i].revents & POLLNVAL))
			FAIL(z, "poll: endpoint file %d revents %#x", i, pfd[i].revents);
}

/* The population changes: files come and go, the RAM file and VMM too. */
static void step_life(struct __test_metadata *_metadata, struct fz *z)
{
	int i, fd;

	switch (rnd(z, 10)) {
	case 0:
		if (z->ndev < MAX_DEV && (fd = vt_open_dev()) >= 0)
			z->dev[z->ndev++] = fd;
		break;
	case 1:
		if (z->ndev > 1) {
			i = rnd(z, z->ndev);
			close(z->dev[i]);
			z->dev[i] = z->dev[--z->ndev];
		}
		break;
	case 2: case 3:
		if (z->nep > 6 || (z->nep > 2 && one_in(z, 4))) {
			i = rnd(z, z->nep);
			close(z->ep[i].fd);
			z->ep[i] = z->ep[--z->nep];
		}
		break;
	case 4:
		if (z->nep)
			add_ep(z, dup(z->ep[rnd(z, z->nep)].fd));
		break;
	case 5:	/* RAM shrinks or grows under its endpoints */
		if (ftruncate(z->memfd, one_in(z, 2) ? RAM_SIZE : rnd(z, RAM_SIZE)))
			FAIL(z, "ftruncate: %s", strerror(errno));
		break;
	case 6:	/* a fresh RAM file, sometimes sealed against writes */
		if (one_in(z, 4)) {
			close(z->memfd);
			close(z->romemfd);
			z->memfd = vt_memfd("fuzz-ram", RAM_SIZE);
			if (z->memfd < 0) {
				FAIL(z, "memfd: %d", z->memfd);
				break;
			}
			if (one_in(z, 3))
				fcntl(z->memfd, F_ADD_SEALS, F_SEAL_WRITE);
			{
				char path[64];

				snprintf(path, sizeof(path), "/proc/self/fd/%d", z->memfd);
				z->romemfd = open(path, O_RDONLY | O_CLOEXEC);
			}
		}
		break;
	case 7:	/* the VMM dies under its endpoints, or a new one starts */
		if (z->child.pid > 0 && one_in(z, 10)) {
			vmm_child_kill(&z->child);
		} else if (z->child.pid <= 0 && z->children < 3 && one_in(z, 10)) {
			struct vmm_child_cfg cfg = {
				.nr_slots = 2,
				.slots = { { 0, RAM_SIZE / 2, 0, 0 },
					   { RAM_SIZE, RAM_SIZE / 2, KVM_MEM_READONLY, 0 } },
				.pattern = true, .seed = 1,
			};

			vmm_child_release(&z->child);
			if (vmm_child_start(&z->child, &cfg))
				FAIL(z, "VMM child did not start");
			z->children++;
		}
		break;
	default:
		step_poll(_metadata, z);
	}
}

/* Every file's counters add up, and the device still answers. */
static void check_health(struct __test_metadata *_metadata, struct fz *z)
{
	struct vmsig_api api = { .size = sizeof(api) };

	for (int i = 0; i < z->nep; i++) {
		struct vmsig_counters c;
		int ret = vt_counters(z->ep[i].fd, &c);

		if (ret || !vt_identity(&c))
			FAIL(z, "file %d: counters %d: published %llu != delivered %llu + "
			     "dropped %llu + expired %llu + queued %llu", i, ret,
			     (unsigned long long)c.published, (unsigned long long)c.delivered,
			     (unsigned long long)c.dropped, (unsigned long long)c.expired,
			     (unsigned long long)c.queued);
	}
	if (vt_ioctl(z->dev[0], VMSIG_IOC_GET_API, &api) || api.abi_version != VMSIG_ABI_VERSION)
		FAIL(z, "GET_API failed");
}

/* [guard][@pages read-write][guard]; returns the first read-write page. */
static uint8_t *guarded(size_t pages, int prot)
{
	uint8_t *p = mmap(NULL, (pages + 2) * PAGE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + PAGE, pages * PAGE, prot))
		return NULL;
	return p + PAGE;
}

TEST(random_operations)
{
	uint64_t iters = vt_env_u64("VMSIG_FUZZ_ITERS", DEFAULT_ITERS);
	struct vmm_child_cfg cfg = {
		.nr_slots = 2,
		.slots = { { 0, RAM_SIZE / 2, 0, 0 },
			   { RAM_SIZE, RAM_SIZE / 2, KVM_MEM_READONLY, 0 } },
		.pattern = true, .seed = 1,
	};
	struct fz *z = calloc(1, sizeof(*z));
	uint64_t start = vt_now_ns();
	char path[64];

	ASSERT_NE(NULL, z);
	fz_seed = vt_env_u64("VMSIG_FUZZ_SEED", DEFAULT_SEED);
	z->verbose = vt_env_u64("VMSIG_FUZZ_VERBOSE", 0);
	if (z->verbose)	/* a hang still shows the last operation */
		setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# fuzz: seed %#llx, %llu iterations; replay with\n"
	       "#   make vmtest KV=... TESTS=fuzz VMTEST_ENV=\"VMSIG_FUZZ_SEED=%#llx "
	       "VMSIG_FUZZ_ITERS=%llu\"\n", (unsigned long long)fz_seed,
	       (unsigned long long)iters, (unsigned long long)fz_seed,
	       (unsigned long long)iters);
	fflush(stdout);
	vt_rng_seed(&z->rng, fz_seed);

	z->arena = guarded(ARENA / PAGE, PROT_READ | PROT_WRITE);
	z->edge = guarded(1, PROT_READ | PROT_WRITE);
	z->none = guarded(1, PROT_NONE);
	z->ro = guarded(1, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(z->arena && z->edge && z->none && z->ro);
	for (size_t i = 0; i < PAGE; i++)
		z->ro[i] = vt_rand(&z->rng);
	ASSERT_EQ(0, mprotect(z->ro, PAGE, PROT_READ));

	z->dev[z->ndev++] = vt_open_dev();
	ASSERT_LE(0, z->dev[0]);
	z->memfd = vt_memfd("fuzz-ram", RAM_SIZE);
	ASSERT_LE(0, z->memfd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", z->memfd);
	z->romemfd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, z->romemfd);
	ASSERT_EQ(0, vmm_child_start(&z->child, &cfg));
	z->children = 1;
	add_ep(z, vt_attach(z->dev[0], VMSIG_BACKEND_NONE, -1, VMSIG_ATTACH_NONBLOCK));
	add_ep(z, vt_attach(z->dev[0], VMSIG_BACKEND_RAMFD, z->memfd, VMSIG_ATTACH_NONBLOCK));
	add_ep(z, vt_attach(z->dev[0], VMSIG_BACKEND_KVM, z->child.vm_fd,
			    VMSIG_ATTACH_NONBLOCK));
	ASSERT_EQ(3, z->nep);

	for (z->iter = 0; z->iter < iters && _metadata->passed; z->iter++) {
		switch (rnd(z, 16)) {
		case 0 ... 8:
			step_ioctl(_metadata, z);
			break;
		case 9: case 10: case 11:
			step_read(_metadata, z);
			break;
		case 12: case 13:
			step_write(_metadata, z);
			break;
		default:
			step_life(_metadata, z);
		}
		if (z->iter % 256 == 255)
			check_health(_metadata, z);
		if (z->iter % 1000 == 999 && z->verbose)
			fflush(stdout);
	}
	check_health(_metadata, z);
	printf("# fuzz: %lu iterations in %llu ms: ioctl %lu ok, %lu failed; %lu reads, "
	       "%lu writes; %d files open\n", z->iter,
	       (unsigned long long)(vt_now_ns() - start) / 1000000, z->ok, z->failed,
	       z->reads, z->writes, z->nep);
	if (!_metadata->passed)
		printf("# fuzz: FAILED; replay: VMSIG_FUZZ_SEED=%#llx VMSIG_FUZZ_ITERS=%lu\n",
		       (unsigned long long)fz_seed, z->iter);
	/* The harness ends the test with _exit(): nothing flushes for us. */
	fflush(stdout);

	/* Everything closes cleanly; the module's unload at the end checks it. */
	for (int i = 0; i < z->nep; i++)
		close(z->ep[i].fd);
	for (int i = 0; i < z->ndev; i++)
		close(z->dev[i]);
	vmm_child_release(&z->child);
	close(z->memfd);
	close(z->romemfd);
	free(z);
}

/*
 * The harness's timeout is fixed at build time; a long run (the debug
 * lane) needs more than the default.  The test metadata is ours to adjust
 * before the harness starts.
 */
int main(int argc, char **argv)
{
	uint64_t iters = vt_env_u64("VMSIG_FUZZ_ITERS", DEFAULT_ITERS);

	_random_operations_object.timeout = 60 + iters / 100;
	return test_harness_run(argc, argv);
}
