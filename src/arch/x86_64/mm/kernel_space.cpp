// The kernel's own page tables, replacing the boot tables: the image mapped
// per section with W^X, guard pages under the boot and IST stacks left
// unmapped, and a direct map of physical memory at mm::kDirectMapBase.
#include "arch/x86_64/cpu/features.h"
#include "arch/x86_64/cpu/gdt.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/mm/address_space.h"
#include "arch/x86_64/mm/kernel_space.h"
#include "arch/x86_64/mm/page_table.h"
#include "arch/x86_64/mm/user_copy.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/mm/memory.h"
#include "kernel/panic.h"
#include "lib/kstd/utility.h"

extern "C" char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern "C" char __data_start[], __data_end[], __ksyms_start[], __ksyms_end[];
extern "C" char boot_stack_guard[];

namespace {

using x86::PageFlags;
using x86::PageSize;
using x86::PageTable;
using x86::PageTableError;

class KernelTableMemory final : public x86::PageTableMemory {
public:
    void* phys_to_virt(u64 phys) override { return mm::phys_to_virt(phys); }
    u64 alloc_table() override {
        u64 phys = mm::frames().alloc();
        if (phys != 0) {
            u64* t = static_cast<u64*>(phys_to_virt(phys));
            for (usize i = 0; i < 512; i++) t[i] = 0;
        }
        return phys;
    }
    void free_table(u64 phys) override { mm::frames().free(phys); }
};

KernelTableMemory g_table_memory;
// Built here, then handed to the kernel AddressSpace, which locks changes
// and shoots down the TLBs of every online CPU.
PageTable g_kernel_table;

void map_section(const char* name, const char* start, const char* end, PageFlags flags) {
    u64 begin = reinterpret_cast<u64>(start), stop = reinterpret_cast<u64>(end);
    usize guards = 0;
    for (u64 v = begin; v < stop; v += mm::kPageSize) {
        if (x86::is_guard_page(v)) {
            guards++;
            continue;
        }
        PageTableError e = g_kernel_table.map(v, v - mm::kKernelVma, PageSize::k4K, flags);
        if (e != PageTableError::kOk) panic("mapping kernel %s at 0x%lx: %s", name, v, x86::error_name(e));
    }
    klog::debug("paging: %-7s 0x%016lx-0x%016lx r%c%c, %zu guard page(s)", name, begin, stop,
                has(flags, PageFlags::kWritable) ? 'w' : '-',
                has(flags, PageFlags::kNoExecute) ? '-' : 'x', guards);
}

// Kernel mappings are global where the CPU has PGE: they survive CR3 loads,
// and INVLPG removes them whatever the current PCID [SDM 3A 4.10.2.4,
// 4.10.4.1], which is what keeps a kernel unmap complete when user spaces
// keep their TLB entries across switches (PCIDs).
PageFlags g_global = PageFlags::kNone;

PageFlags to_page_flags(u32 flags) {
    PageFlags f = (flags & arch::kMapUser) ? PageFlags::kNone : g_global;
    if (flags & arch::kMapWrite) f = f | PageFlags::kWritable;
    if (!(flags & arch::kMapExec)) f = f | PageFlags::kNoExecute;
    if (flags & arch::kMapUser) f = f | PageFlags::kUser;
    // PCD and PWT: strong UC under the default PAT, as the SDM asks for
    // memory-mapped APIC registers (PCD alone is UC-).
    if (flags & arch::kMapUncached) f = f | PageFlags::kCacheDisable | PageFlags::kWriteThrough;
    return f;
}

}  // namespace

namespace x86 {

bool is_guard_page(u64 virt) {
    if (virt == reinterpret_cast<u64>(boot_stack_guard)) return true;
    if (is_cpu_stack_guard(virt)) return true;
    if (is_thread_stack_guard(virt)) return true;
    u64 guards[kIstCount];
    usize n = early_ist_guard_pages(guards, kIstCount);
    for (usize i = 0; i < n; i++) {
        if (guards[i] == virt) return true;
    }
    return false;
}

u64 kernel_pml4_phys() { return g_kernel_table.pml4_phys(); }

PageTableMemory& kernel_table_memory() { return g_table_memory; }

}  // namespace x86

namespace arch {

u64 paging_init(u64 phys_top) {
    bool nx = x86::boot_cpu_features().nx;
    constexpr u64 kCr4Pge = 1 << 7, kCr4Pcide = 1 << 17;
    if (x86::boot_cpu_features().pge) {
        x86::write_cr4(x86::read_cr4() | kCr4Pge);
        g_global = PageFlags::kGlobal;
    }
    g_kernel_table = PageTable::create(g_table_memory, x86::AddressSpace::kernel(), nx);
    if (!g_kernel_table.valid()) panic("no frame for the kernel PML4");

    map_section(".text", __text_start, __text_end, g_global);
    map_section(".rodata", __rodata_start, __rodata_end, g_global | PageFlags::kNoExecute);
    map_section(".data", __data_start, __data_end, g_global | PageFlags::kWritable | PageFlags::kNoExecute);
    map_section(".ksyms", __ksyms_start, __ksyms_end, g_global | PageFlags::kNoExecute);

    u64 top = kstd::align_up<u64>(phys_top, 1ull << 21);
    PageTableError e = g_kernel_table.map_range(mm::kDirectMapBase, 0, top,
                                                g_global | PageFlags::kWritable | PageFlags::kNoExecute);
    if (e != PageTableError::kOk) panic("building the direct map: %s", x86::error_name(e));

    // User address spaces copy the upper PML4 entries when they are created;
    // with every entry present now, later kernel mappings reach them all.
    if (!g_kernel_table.populate_kernel_half()) panic("no frames for the kernel half's PDPTs");
    x86::AddressSpace::kernel().init_kernel(g_kernel_table);
    x86::AddressSpace::kernel().activate();
    // CR3 holds PCID 0 now (its low 12 bits are clear), as setting PCIDE requires.
    if (x86::boot_cpu_features().pcid && g_global != PageFlags::kNone) {
        x86::write_cr4(x86::read_cr4() | kCr4Pcide);
        x86::AddressSpace::enable_pcid();
    }
    // Nothing below the kernel half is mapped in these tables, and nothing
    // the kernel executes or touches directly is a user page: SMEP and SMAP
    // can come on now, before any AP copies this CPU's CR4.
    x86::protection_init_boot();
    u64 cr4 = x86::read_cr4();
    klog::info("paging: kernel tables at 0x%lx, NX %s, direct map of %lu MiB at 0x%lx",
               g_kernel_table.pml4_phys(), nx ? "on" : "unavailable", top >> 20, mm::kDirectMapBase);
    klog::report("paging", "nx=%u global=%u pcid=%u smep=%u smap=%u", nx, g_global != PageFlags::kNone,
                 x86::AddressSpace::pcid_enabled(), (cr4 & x86::kCr4Smep) != 0, (cr4 & x86::kCr4Smap) != 0);
    return top;
}

bool kernel_map(u64 virt, u64 phys, u32 flags) {
    PageTableError e = x86::AddressSpace::kernel().map(virt, phys, to_page_flags(flags));
    if (e != PageTableError::kOk) klog::warn("kernel_map 0x%lx -> 0x%lx: %s", virt, phys, x86::error_name(e));
    return e == PageTableError::kOk;
}

bool kernel_unmap(u64 virt) {
    PageTableError e = x86::AddressSpace::kernel().unmap(virt);
    if (e != PageTableError::kOk) klog::warn("kernel_unmap 0x%lx: %s", virt, x86::error_name(e));
    return e == PageTableError::kOk;
}

bool kernel_translate(u64 virt, u64& phys) {
    x86::Translation t;
    if (x86::AddressSpace::kernel().translate(virt, t) != PageTableError::kOk) return false;
    phys = t.phys;
    return true;
}

}  // namespace arch
