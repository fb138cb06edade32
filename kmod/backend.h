/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seam between endpoints and the place guest RAM lives.  A backend turns
 * a guest-physical address into a referenced struct page; everything above
 * (batching, translation, copying) is shared.
 */
#ifndef VMSIG_BACKEND_H
#define VMSIG_BACKEND_H

#include <linux/types.h>

struct mm_struct;
struct page;
struct vmsig_endpoint;

/**
 * struct vmsig_mem_session - state held across one batch of accesses
 * @ep: the endpoint
 * @mm: kvm backend: the VMM's mm, held with mmget() for the session
 */
struct vmsig_mem_session {
	struct vmsig_endpoint *ep;
	struct mm_struct *mm;
};

/**
 * struct vmsig_backend_ops - how an endpoint reaches guest memory
 * @begin: start a session; -ESRCH when the memory is gone for good
 * @end: end a session started by @begin
 * @get_page: the page holding @gpa, with a reference the caller drops with
 *	put_page(); @write asks for a page that may be written (copy-on-write
 *	and KSM sharing broken); -EFAULT when no memory backs @gpa; for
 *	@write also -EROFS (read-only memory), -EOPNOTSUPP (a dirty log vmsig
 *	cannot write to), -EBADF/-EPERM (RAM file not writable or sealed)
 * @mark_dirty: after bytes landed in the page of @gpa: record it in the
 *	VM's dirty log (optional)
 * @vmm_pid: the pid of the VMM in the caller's namespace, 0 if unknown
 * @release: drop the backend's state when the endpoint dies
 */
struct vmsig_backend_ops {
	int (*begin)(struct vmsig_endpoint *ep, struct vmsig_mem_session *s);
	void (*end)(struct vmsig_mem_session *s);
	int (*get_page)(struct vmsig_mem_session *s, u64 gpa, bool write,
			struct page **page);
	void (*mark_dirty)(struct vmsig_mem_session *s, u64 gpa);
	u32 (*vmm_pid)(struct vmsig_endpoint *ep);
	void (*release)(struct vmsig_endpoint *ep);
};

bool vmsig_kvm_available(void);
int vmsig_kvm_attach(struct vmsig_endpoint *ep, int fd);
int vmsig_ramfd_attach(struct vmsig_endpoint *ep, int fd, u64 base, u64 size);

#endif /* VMSIG_BACKEND_H */
