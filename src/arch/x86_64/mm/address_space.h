// An address space: a PML4 with a private lower half and the shared kernel
// half, the set of CPUs it is live on (loaded in their CR3), and TLB
// shootdown: a change to a mapping is invalidated on this CPU and on those
// live CPUs only, and map/unmap/protect return after every one has acked.
#pragma once

#include "arch/x86_64/mm/page_table.h"
#include "kernel/sync/spinlock.h"
#include "lib/kstd/types.h"

namespace x86 {

class AddressSpace final : public TlbInvalidator {
public:
    // A new address space sharing the kernel half; nullptr if out of memory.
    static AddressSpace* create();
    // Frees the lower half (user pages, tables), the PML4 and the object. The
    // space must not be live on any CPU. Returns the user pages freed.
    static usize destroy(AddressSpace* as, void (*free_leaf)(u64 phys, PageSize size));

    PageTableError map(u64 virt, u64 phys, PageFlags flags);
    PageTableError unmap(u64 virt, u64* phys_out = nullptr);
    PageTableError protect(u64 virt, PageFlags flags);
    PageTableError translate(u64 virt, Translation& out);
    // Runs fn(table) with the space's lock held, so that several steps on
    // one page (look, then unmap or replace) are one change to every other
    // thread of the task. Each unmap/protect inside has finished its
    // shootdown when it returns, so a frame taken out may be freed after.
    template <typename F>
    auto with_table(F fn) {
        ksync::SpinGuard g(lock_);
        return fn(table_);
    }

    // Loads this address space on the calling CPU (interrupts off or not).
    void activate();
    // CPUs whose CR3 holds this address space (every online CPU for the kernel's).
    u64 live_cpus() const;
    u64 pml4_phys() const { return table_.pml4_phys(); }

    // TlbInvalidator: called by the page table for each changed entry.
    void invalidate(u64 virt) override;

    // The kernel's own: only the kernel half is used, and it is live on every CPU.
    static AddressSpace& kernel();
    void init_kernel(PageTable table);
    PageTable& table() { return table_; }

    // Process-context identifiers [SDM 3A 4.10.1]: with CR4.PCIDE on, each
    // user space gets a PCID, so a CR3 load keeps its TLB entries. Called
    // once at boot on CPUs that have PCIDs, after CR4.PCIDE is set.
    static void enable_pcid();
    static bool pcid_enabled();

    // Test hook: invalidate on this CPU only, so a test can prove that its
    // check catches stale translations on the others.
    void set_local_invalidation_only(bool on) { local_only_ = on; }

    AddressSpace() = default;

private:
    PageTable table_;
    u64 live_ = 0;
    u16 pcid_ = 0;     // 0: the kernel's (and every space while PCIDs are off)
    u64 used_ = 0;     // CPUs that have loaded it with its PCID (may cache its entries)
    u64 stale_ = 0;    // CPUs whose cached entries for its PCID may be stale
    bool kernel_ = false;
    bool tables_live_ = false;
    bool local_only_ = false;  // the kernel's table before it is first loaded needs no invalidation
    ksync::SpinLock lock_{"address space"};
};

// Invalidates `virt` on the CPUs in `cpus` (this one directly, the others by
// IPI) and waits for all of them.
void tlb_shootdown(u64 cpus, u64 virt);

// Shootdown statistics for reports: IPIs sent, invalidations done.
struct ShootdownStats {
    u64 requests;  // tlb_shootdown() calls that needed other CPUs
    u64 targets;   // remote invalidations asked for
};
ShootdownStats shootdown_stats();

}  // namespace x86
