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

void AddressSpace::invalidate(u64 virt) {
    if (kernel_ && !tables_live_) return;
    if (local_only_) {
        invlpg(virt);
        return;
    }
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
    write_cr3(table_.pml4_phys());
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
