// SPDX-License-Identifier: GPL-2.0
/*
 * The kvm backend: guest memory of a KVM VM, reached through the VMM.
 *
 * This is the only file that knows KVM's internals; it uses three exports
 * (file_is_kvm, kvm_get_kvm, kvm_put_kvm) and inline helpers of
 * <linux/kvm_host.h>.  kmod/compat/probe.sh checks the exports at build
 * time; a kernel without them builds vmsig without this backend.
 *
 * Why the VMM's mm: a memslot maps guest-physical pages to *host virtual*
 * addresses of the VMM.  Those addresses mean something only in the VMM's
 * mm, never in the caller's, so pages are looked up there with
 * get_user_pages_remote() and copied through a kernel mapping.
 *
 * Lock order (per page): kvm->srcu (read), then the VMM's mmap lock (read).
 * KVM itself faults guest pages in with the same nesting.
 */
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>

#include "backend.h"
#include "endpoint.h"

#ifdef VMSIG_HAVE_KVM_BACKEND

static struct kvm *vmsig_kvm(struct vmsig_endpoint *ep)
{
	return ep->priv;
}

static int vmsig_kvm_begin(struct vmsig_endpoint *ep,
			   struct vmsig_mem_session *s)
{
	struct mm_struct *mm = vmsig_kvm(ep)->mm;

	/* KVM keeps the mm_struct (mmgrab); its pages die with the VMM. */
	if (!mmget_not_zero(mm))
		return -ESRCH;
	s->mm = mm;
	return 0;
}

static void vmsig_kvm_end(struct vmsig_mem_session *s)
{
	mmput(s->mm);
}

static int vmsig_kvm_get_page(struct vmsig_mem_session *s, u64 gpa,
			      bool write, struct page **page)
{
	struct kvm *kvm = vmsig_kvm(s->ep);
	gfn_t gfn = gpa >> PAGE_SHIFT;
	struct kvm_memory_slot *slot;
	unsigned long hva;
	long got;
	int idx, err = -EFAULT;

	idx = srcu_read_lock(&kvm->srcu);
	slot = __gfn_to_memslot(kvm_memslots(kvm), gfn);
	if (!slot || (slot->flags & KVM_MEMSLOT_INVALID))
		goto out;
	if (write && (slot->flags & KVM_MEM_READONLY))
		goto out;
	hva = __gfn_to_hva_memslot(slot, gfn);

	mmap_read_lock(s->mm);
	got = vmsig_get_user_pages_remote(s->mm, hva, 1,
					  write ? FOLL_WRITE : 0, page, NULL);
	mmap_read_unlock(s->mm);
	if (got == 1)
		err = 0;
out:
	srcu_read_unlock(&kvm->srcu, idx);
	return err;
}

static u32 vmsig_kvm_vmm_pid(struct vmsig_endpoint *ep)
{
	struct pid *pid;
	u32 nr = 0;

	rcu_read_lock();
	pid = find_pid_ns(vmsig_kvm(ep)->userspace_pid, &init_pid_ns);
	if (pid && pid_task(pid, PIDTYPE_PID))
		nr = pid_vnr(pid);
	rcu_read_unlock();
	return nr;
}

static void vmsig_kvm_release(struct vmsig_endpoint *ep)
{
	kvm_put_kvm(vmsig_kvm(ep));
}

static const struct vmsig_backend_ops vmsig_kvm_ops = {
	.begin		= vmsig_kvm_begin,
	.end		= vmsig_kvm_end,
	.get_page	= vmsig_kvm_get_page,
	.vmm_pid	= vmsig_kvm_vmm_pid,
	.release	= vmsig_kvm_release,
};

/**
 * vmsig_kvm_available() - whether this build has the kvm backend
 *
 * Return: true.
 */
bool vmsig_kvm_available(void)
{
	return true;
}

/**
 * vmsig_kvm_attach() - bind an endpoint to the KVM VM behind @fd
 * @ep: a new endpoint
 * @fd: a KVM VM file descriptor of the caller
 *
 * Context: process context.  Takes a reference on the VM, dropped when the
 * endpoint dies.
 * Return: 0, -EBADF when @fd is not open, -EINVAL when it is not a KVM VM.
 */
int vmsig_kvm_attach(struct vmsig_endpoint *ep, int fd)
{
	struct file *file = fget(fd);
	struct kvm *kvm;

	if (!file)
		return -EBADF;
	if (!file_is_kvm(file)) {
		fput(file);
		return -EINVAL;
	}
	kvm = file->private_data;
	kvm_get_kvm(kvm);
	fput(file);
	ep->priv = kvm;
	ep->ops = &vmsig_kvm_ops;
	return 0;
}

#else /* !VMSIG_HAVE_KVM_BACKEND */

bool vmsig_kvm_available(void)
{
	return false;
}

int vmsig_kvm_attach(struct vmsig_endpoint *ep, int fd)
{
	return -EOPNOTSUPP;
}

#endif
