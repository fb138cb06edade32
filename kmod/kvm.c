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
#include <linux/mmu_notifier.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "backend.h"
#include "endpoint.h"
#include "events.h"

#ifdef VMSIG_HAVE_KVM_BACKEND

/**
 * struct vmsig_kvm - state of a kvm endpoint
 * @kvm: the VM (referenced)
 * @ep: the endpoint
 * @mn: watches the VMM's mm, to learn when the VMM's memory goes away
 */
struct vmsig_kvm {
	struct kvm *kvm;
	struct vmsig_endpoint *ep;
	struct mmu_notifier mn;
};

static struct kvm *vmsig_kvm(struct vmsig_endpoint *ep)
{
	return ((struct vmsig_kvm *)ep->priv)->kvm;
}

/*
 * The VMM's address space is being torn down (the VMM exited), or the
 * notifier is being unregistered before that: either way guest memory is
 * unreachable from now on.
 */
static void vmsig_kvm_mm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct vmsig_kvm *vk = container_of(mn, struct vmsig_kvm, mn);

	vmsig_events_vmm_exit(vk->ep);
}

static const struct mmu_notifier_ops vmsig_kvm_mn_ops = {
	.release = vmsig_kvm_mm_release,
};

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
	if (write && (slot->flags & KVM_MEM_READONLY)) {
		err = -EROFS;
		goto out;
	}
	/*
	 * A dirty ring is pushed to by vCPU threads only; vmsig cannot record
	 * the write there, and a write the log does not know of would be lost
	 * by live migration: refuse it.
	 */
	if (write && kvm->dirty_ring_size && kvm_slot_dirty_track_enabled(slot)) {
		err = -EOPNOTSUPP;
		goto out;
	}
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

/*
 * What mark_page_dirty_in_slot() does for a bitmap-logged slot, without
 * it: KVM's helper expects a vCPU thread and WARNs on x86 when called from
 * an ioctl.  Setting the bit atomically after the bytes landed is enough:
 * KVM_GET_DIRTY_LOG harvests the bitmap with atomic exchanges.
 */
static void vmsig_kvm_mark_dirty(struct vmsig_mem_session *s, u64 gpa)
{
	struct kvm *kvm = vmsig_kvm(s->ep);
	gfn_t gfn = gpa >> PAGE_SHIFT;
	struct kvm_memory_slot *slot;
	int idx;

	idx = srcu_read_lock(&kvm->srcu);
	slot = __gfn_to_memslot(kvm_memslots(kvm), gfn);
	if (slot && kvm_slot_dirty_track_enabled(slot) && slot->dirty_bitmap)
		set_bit_le(gfn - slot->base_gfn, slot->dirty_bitmap);
	srcu_read_unlock(&kvm->srcu, idx);
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
	struct vmsig_kvm *vk = ep->priv;

	/* Waits for a release callback in progress; the mm_struct is pinned by
	 * KVM (mmgrab) for as long as we hold the VM.
	 */
	if (vk->mn.ops)
		mmu_notifier_unregister(&vk->mn, vk->kvm->mm);
	kvm_put_kvm(vk->kvm);
	kfree(vk);
}

static const struct vmsig_backend_ops vmsig_kvm_ops = {
	.begin		= vmsig_kvm_begin,
	.end		= vmsig_kvm_end,
	.get_page	= vmsig_kvm_get_page,
	.mark_dirty	= vmsig_kvm_mark_dirty,
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
 * endpoint dies, and watches the VMM's mm; an endpoint attached after the
 * VMM exited starts dead.
 * Return: 0, -EBADF when @fd is not open, -EINVAL when it is not a KVM VM,
 * -ENOMEM.
 */
int vmsig_kvm_attach(struct vmsig_endpoint *ep, int fd)
{
	struct file *file = fget(fd);
	struct vmsig_kvm *vk;
	struct mm_struct *mm;
	int err = 0;

	if (!file)
		return -EBADF;
	if (!file_is_kvm(file)) {
		fput(file);
		return -EINVAL;
	}
	vk = kzalloc(sizeof(*vk), GFP_KERNEL_ACCOUNT);
	if (!vk) {
		fput(file);
		return -ENOMEM;
	}
	vk->kvm = file->private_data;
	vk->ep = ep;
	kvm_get_kvm(vk->kvm);
	fput(file);
	ep->priv = vk;
	ep->ops = &vmsig_kvm_ops;

	mm = vk->kvm->mm;
	if (mmget_not_zero(mm)) {
		vk->mn.ops = &vmsig_kvm_mn_ops;
		err = mmu_notifier_register(&vk->mn, mm);
		if (err)
			vk->mn.ops = NULL;
		mmput(mm);
	} else {
		ep->dead = true;
	}
	return err;
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
