// The boot CPU's GDT and TSS. Each IST stack sits in .bss right above a
// page-sized guard that the kernel page tables leave unmapped, so overflowing
// one faults instead of overwriting its neighbour.
#include "arch/x86_64/cpu/gdt.h"

namespace x86 {
namespace {

constexpr usize kPage = 4096;
constexpr usize kIstStackSize = 4 * kPage;

struct alignas(kPage) IstStack {
    u8 guard[kPage];
    u8 stack[kIstStackSize];
};

IstStack g_ist_stacks[kIstCount];
Tss g_tss;

// Descriptor words [SDM 3A 3.4.5]: flat 64-bit code (L=1), flat data, and
// compatibility-mode user code (D=1) for 32-bit tasks.
constexpr u64 kDescKernelCode = 0x00AF9A000000FFFF;
constexpr u64 kDescKernelData = 0x00CF92000000FFFF;
constexpr u64 kDescUserCode32 = 0x00CFFA000000FFFF;
constexpr u64 kDescUserData = 0x00CFF2000000FFFF;
constexpr u64 kDescUserCode64 = 0x00AFFA000000FFFF;

alignas(16) u64 g_gdt[9];

struct [[gnu::packed]] DescriptorPointer {
    u16 limit;
    u64 base;
};

// 16-byte available 64-bit TSS descriptor, type 9 [SDM 3A 8.2.3].
void set_tss_descriptor(u64* slot, const Tss* tss) {
    u64 base = reinterpret_cast<u64>(tss);
    u64 limit = sizeof(Tss) - 1;
    slot[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
              (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    slot[1] = base >> 32;
}

}  // namespace

void gdt_init_boot() {
    g_gdt[0] = 0;
    g_gdt[kKernelCode >> 3] = kDescKernelCode;
    g_gdt[kKernelData >> 3] = kDescKernelData;
    g_gdt[kUserCode32 >> 3] = kDescUserCode32;
    g_gdt[kUserData >> 3] = kDescUserData;
    g_gdt[kUserCode64 >> 3] = kDescUserCode64;
    g_gdt[kUserData64 >> 3] = kDescUserData;

    for (usize i = 0; i < kIstCount; i++) {
        g_tss.ist[i] = reinterpret_cast<u64>(g_ist_stacks[i].stack + kIstStackSize);
    }
    g_tss.iopb_offset = sizeof(Tss);  // no I/O bitmap yet: every port faults in ring 3
    set_tss_descriptor(&g_gdt[kTssSelector >> 3], &g_tss);

    DescriptorPointer gdtr{sizeof g_gdt - 1, reinterpret_cast<u64>(g_gdt)};
    asm volatile("lgdt %0" ::"m"(gdtr));
    // Reload CS with a far return, then the data segments and TR.
    asm volatile(
        "pushq %[cs]\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"
        "1:\n"
        "movw %[ds], %%ax\n"
        "movw %%ax, %%ds\n"
        "movw %%ax, %%es\n"
        "movw %%ax, %%ss\n"
        "xorl %%eax, %%eax\n"
        "movw %%ax, %%fs\n"
        "movw %%ax, %%gs\n"
        "ltr %[tr]\n"
        :
        : [cs] "i"(kKernelCode), [ds] "i"(kKernelData), [tr] "r"(kTssSelector)
        : "rax", "memory");
}

usize ist_guard_pages(u64* out, usize max) {
    usize n = 0;
    for (usize i = 0; i < kIstCount && n < max; i++) {
        out[n++] = reinterpret_cast<u64>(g_ist_stacks[i].guard);
    }
    return n;
}

}  // namespace x86
