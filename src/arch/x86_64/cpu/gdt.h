// GDT, TSS and IST stacks of a CPU. Selector order is fixed by SYSCALL/SYSRET
// and SYSENTER/SYSEXIT, which derive every selector from one base
// [SDM 2B SYSCALL, SYSRET, SYSENTER, SYSEXIT].
#pragma once

#include "lib/kstd/types.h"

namespace x86 {

constexpr u16 kKernelCode = 0x08;
constexpr u16 kKernelData = 0x10;
constexpr u16 kUserCode32 = 0x18 | 3;
constexpr u16 kUserData = 0x20 | 3;
constexpr u16 kUserCode64 = 0x28 | 3;
constexpr u16 kUserData64 = 0x30 | 3;  // SS for 64-bit SYSEXIT (SYSENTER_CS + 40)
constexpr u16 kTssSelector = 0x38;

// IST slots [SDM 3A 6.14.5]: separate known-good stacks for the exceptions
// that can arrive when the current stack cannot be trusted.
constexpr u8 kIstNmi = 1;
constexpr u8 kIstMachineCheck = 2;
constexpr u8 kIstDoubleFault = 3;
// #DB gets its own stack too: a trap left pending by MOV SS/POP SS before a
// SYSCALL is delivered on the SYSCALL entry's first instruction, while RSP
// is still the user's (CVE-2018-8897), and SYSENTER with TF set traps on
// the SYSENTER stack.
constexpr u8 kIstDebug = 4;
constexpr usize kIstCount = 4;

struct [[gnu::packed]] Tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iopb_offset;
};
static_assert(sizeof(Tss) == 104, "[SDM 3A 8.7] 64-bit TSS layout");

// The I/O permission bitmap follows the TSS: one bit per port, 1 = denied in
// ring 3 (IOPL stays 0), plus a final all-ones byte [SDM 1 19.5.2]. The TSS
// limit covers both, so iopb_offset chooses between "this bitmap" and
// "none" (an offset past the limit: every port faults).
constexpr usize kIoBitmapBytes = 65536 / 8;
constexpr u32 kTssLimit = sizeof(Tss) + kIoBitmapBytes;  // offset of the final 0xFF byte
constexpr u16 kIoBitmapNone = kTssLimit + 1;

// The LGDT/SGDT (and LIDT) operand [SDM 3A 3.5.1].
struct [[gnu::packed]] DescriptorPointer {
    u16 limit;
    u64 base;
};

constexpr usize kGdtEntries = 9;  // null, 6 segments, the 16-byte TSS descriptor

// Fills a GDT with lstar's fixed segments and a TSS descriptor for `tss`.
void gdt_build(u64 (&gdt)[kGdtEntries], const Tss* tss);
// LGDT, reload CS/DS/ES/SS (FS and GS null: their bases are set by MSR), LTR.
void gdt_load(const u64 (&gdt)[kGdtEntries]);

// Early IST stacks in .bss for the boot CPU, used until its per-CPU stacks
// are mapped; their guard pages are left unmapped by paging.
u64 early_ist_top(usize index);
usize early_ist_guard_pages(u64* out, usize max);

}  // namespace x86
