// GDT and TSS construction. Each CPU's tables live in its CpuLocal; the only
// static stacks are the boot CPU's early IST stacks, in .bss right above a
// page-sized guard that the kernel page tables leave unmapped.
#include "arch/x86_64/cpu/gdt.h"

namespace x86 {
namespace {

constexpr usize kPage = 4096;
constexpr usize kEarlyIstSize = 4 * kPage;

// Aligned to their size like the per-CPU stacks, so that the NMI and
// machine-check entry can find the top of the stack from RSP.
struct alignas(kEarlyIstSize) EarlyIstStack {
    u8 unused[kEarlyIstSize - kPage];
    u8 guard[kPage];
    u8 stack[kEarlyIstSize];
};

EarlyIstStack g_early_ist[kIstCount];

// Descriptor words [SDM 3A 3.4.5]: flat 64-bit code (L=1), flat data, and
// compatibility-mode user code (D=1) for 32-bit tasks.
constexpr u64 kDescKernelCode = 0x00AF9A000000FFFF;
constexpr u64 kDescKernelData = 0x00CF92000000FFFF;
constexpr u64 kDescUserCode32 = 0x00CFFA000000FFFF;
constexpr u64 kDescUserData = 0x00CFF2000000FFFF;
constexpr u64 kDescUserCode64 = 0x00AFFA000000FFFF;

// 16-byte available 64-bit TSS descriptor, type 9 [SDM 3A 8.2.3].
void set_tss_descriptor(u64* slot, const Tss* tss) {
    u64 base = reinterpret_cast<u64>(tss);
    u64 limit = kTssLimit;  // the I/O bitmap and its end byte follow the TSS
    slot[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
              (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    slot[1] = base >> 32;
}

}  // namespace

void gdt_build(u64 (&gdt)[kGdtEntries], const Tss* tss) {
    gdt[0] = 0;
    gdt[kKernelCode >> 3] = kDescKernelCode;
    gdt[kKernelData >> 3] = kDescKernelData;
    gdt[kUserCode32 >> 3] = kDescUserCode32;
    gdt[kUserData >> 3] = kDescUserData;
    gdt[kUserCode64 >> 3] = kDescUserCode64;
    gdt[kUserData64 >> 3] = kDescUserData;
    set_tss_descriptor(&gdt[kTssSelector >> 3], tss);
}

void gdt_load(const u64 (&gdt)[kGdtEntries]) {
    DescriptorPointer gdtr{sizeof gdt - 1, reinterpret_cast<u64>(gdt)};
    asm volatile("lgdt %0" ::"m"(gdtr));
    // Reload CS with a far return, then the data segments and TR. DS and ES
    // hold the user data selector for good: 64-bit code ignores them, but a
    // 32-bit task uses them, and IRET to ring 3 would null a DPL 0 selector
    // there (as Linux does, __USER_DS stays in DS/ES). Loading a null
    // selector into GS zeroes its base on Intel but not on AMD, so GS base
    // is set afterwards by MSR in either case.
    asm volatile(
        "pushq %[cs]\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"
        "1:\n"
        "movw %[ds], %%ax\n"
        "movw %%ax, %%ds\n"
        "movw %%ax, %%es\n"
        "movw %[ss], %%ax\n"
        "movw %%ax, %%ss\n"
        "xorl %%eax, %%eax\n"
        "movw %%ax, %%fs\n"
        "movw %%ax, %%gs\n"
        "ltr %[tr]\n"
        :
        : [cs] "i"(kKernelCode), [ds] "i"(kUserData), [ss] "i"(kKernelData), [tr] "r"(kTssSelector)
        : "rax", "memory");
}

u64 early_ist_top(usize index) {
    return reinterpret_cast<u64>(g_early_ist[index].stack + kEarlyIstSize);
}

usize early_ist_guard_pages(u64* out, usize max) {
    usize n = 0;
    for (usize i = 0; i < kIstCount && n < max; i++) {
        out[n++] = reinterpret_cast<u64>(g_early_ist[i].guard);
    }
    return n;
}

}  // namespace x86
