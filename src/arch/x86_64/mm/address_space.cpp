// Address spaces and TLB shootdown.
#include "arch/x86_64/mm/address_space.h"

#include "arch/x86_64/cpu/features.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/mm/kernel_space.h"
#include "arch/x86_64/smp/smp.h"
#include "kernel/arch.h"
#include "kernel/panic.h"
#include "lib/kstd/utility.h"

namespace x86 {
namespace {

AddressSpace g_kernel_space;
bool g_pcid = false;
u16 g_next_pcid = 0;
constexpr u64 kCr3NoFlush = u64(1) << 63;  // [SDM 3A 4.10.4.1] keep this PCID's TLB entries
constexpr u16 kPcidCount = 4096;
u64 g_requests = 0, g_targets = 0;

void invalidate_here(void* arg) {
    invlpg(*static_cast<u64*>(arg));
    this_cpu().tlb_flushes++;
}

}  // namespace

void tlb_shootdown(u64 cpus, u64 virt) {
    u64 self = u64(1) << arch::cpu_id();
    if (cpus & self) invlpg(virt);
    u64 others = cpus & ~self & smp::online_mask();
    if (!others) return;
    __atomic_fetch_add(&g_requests, 1, __ATOMIC_RELAXED);
    // Preemption is off here (the space's lock), so this is our own block.
    __atomic_fetch_add(&this_cpu().shootdowns, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&g_targets, kstd::popcount(others), __ATOMIC_RELAXED);
    smp::run_on_cpus(others, invalidate_here, &virt);
}

ShootdownStats shootdown_stats() {
    return {__atomic_load_n(&g_requests, __ATOMIC_RELAXED), __atomic_load_n(&g_targets, __ATOMIC_RELAXED)};
}

AddressSpace& AddressSpace::kernel() { return g_kernel_space; }

void AddressSpace::init_kernel(PageTable table) {
    table_ = table;
    kernel_ = true;
}

AddressSpace* AddressSpace::create() {
    AddressSpace* as = new AddressSpace();
    if (!as) return nullptr;
    as->table_ = PageTable::create(kernel_table_memory(), *as, boot_cpu_features().nx);
    if (!as->table_.valid()) {
        delete as;
        return nullptr;
    }
    as->table_.copy_kernel_half_from(g_kernel_space.table_);
    if (g_pcid) {
        // PCIDs are recycled: a CPU may still hold entries of an earlier
        // space with this number, so every CPU flushes it on first use.
        u16 n = __atomic_add_fetch(&g_next_pcid, 1, __ATOMIC_RELAXED);
        as->pcid_ = u16(1 + n % (kPcidCount - 1));
        as->stale_ = ~0ull;
    }
    return as;
}

usize AddressSpace::destroy(AddressSpace* as, void (*free_leaf)(u64 phys, PageSize size)) {
    u64 live = as->live_cpus();
    if (live) panic("destroying an address space still live on cpus 0x%lx", live);
    usize pages = as->table_.destroy_user_half(free_leaf);
    delete as;
    return pages;
}

u64 AddressSpace::live_cpus() const {
    if (kernel_) return smp::online_mask();
    return __atomic_load_n(&live_, __ATOMIC_ACQUIRE);
}

void AddressSpace::enable_pcid() { g_pcid = true; }
bool AddressSpace::pcid_enabled() { return g_pcid; }

void AddressSpace::invalidate(u64 virt) {
    if (kernel_ && !tables_live_) return;
    if (local_only_) {
        invlpg(virt);
        return;
    }
    // INVLPG only reaches the current PCID (and global entries), so CPUs
    // that cached this space under its PCID and do not run it now flush it
    // when they next load it. Marked before the live set is read: a CPU that
    // joins after that read sees the mark (see activate()).
    if (pcid_) __atomic_fetch_or(&stale_, __atomic_load_n(&used_, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
    tlb_shootdown(live_cpus(), virt);
}

void AddressSpace::activate() {
    CpuLocal& c = this_cpu();
    auto* prev = static_cast<AddressSpace*>(c.address_space);
    if (kernel_) tables_live_ = true;
    if (prev == this) return;
    u64 bit = u64(1) << c.cpu_id;
    // Join the live set before loading CR3: a shootdown that reads the set
    // after this includes us, and one that read it before finished its page
    // table change before our CR3 load, which then sees the new entry.
    __atomic_fetch_or(&live_, bit, __ATOMIC_SEQ_CST);
    u64 cr3 = table_.pml4_phys();
    if (g_pcid) {
        // The kernel's space (PCID 0) has nothing below the kernel half and
        // the kernel half is global: never a reason to flush.
        cr3 |= pcid_;
        __atomic_fetch_or(&used_, bit, __ATOMIC_SEQ_CST);
        bool stale = __atomic_fetch_and(&stale_, ~bit, __ATOMIC_SEQ_CST) & bit;
        if (!stale) cr3 |= kCr3NoFlush;
    }
    write_cr3(cr3);
    if (prev) __atomic_fetch_and(&prev->live_, ~bit, __ATOMIC_SEQ_CST);
    c.address_space = this;
}

PageTableError AddressSpace::map(u64 virt, u64 phys, PageFlags flags) {
    ksync::SpinGuard g(lock_);
    return table_.map(virt, phys, PageSize::k4K, flags);
}

PageTableError AddressSpace::unmap(u64 virt, u64* phys_out) {
    ksync::SpinGuard g(lock_);
    return table_.unmap(virt, phys_out);
}

PageTableError AddressSpace::protect(u64 virt, PageFlags flags) {
    ksync::SpinGuard g(lock_);
    return table_.protect(virt, flags);
}

PageTableError AddressSpace::translate(u64 virt, Translation& out) {
    ksync::SpinGuard g(lock_);
    return table_.translate(virt, out);
}

}  // namespace x86
