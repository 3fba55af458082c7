// The data block of the AP start-up trampoline (smp/trampoline.asm): written
// by the boot CPU into the low page after the trampoline code is copied
// there, read by every AP on its way to long mode. The assembly reads it
// through offsets generated from this definition.
#pragma once

#include "arch/x86_64/cpu/percpu.h"
#include "lib/kstd/types.h"

extern "C" const u8 smp_trampoline_start[], smp_trampoline_end[];
extern "C" const u64 smp_trampoline_pm32, smp_trampoline_lm64, smp_trampoline_gdt,
    smp_trampoline_gdt_size;
extern "C" void ap_entry64();

namespace x86 {

// Where the data block sits in the trampoline page; the code must end below.
constexpr u32 kTrampolineDataOffset = 0x800;

struct [[gnu::packed]] TrampolineCpu {
    u32 apic_id;
    u32 reserved;
    u64 stack_top;  // the AP's idle stack
    u64 cpu_local;  // CpuLocal*, the first argument of ap_main
};

struct [[gnu::packed]] TrampolineData {
    u16 gdtr_limit;  // LGDT operand: the trampoline's own GDT
    u32 gdtr_base;
    u16 reserved0;
    u32 pm32_target;  // far pointer (offset, selector) to the 32-bit code
    u16 pm32_selector;
    u16 reserved1;
    u32 lm64_target;  // far pointer to the 64-bit code, still in the low page
    u16 lm64_selector;
    u16 reserved2;
    u32 transition_cr3;  // below 4 GiB: identity map of the page + kernel half
    u32 efer;            // bits ORed into IA32_EFER (LME, NXE)
    u64 kernel_cr3;
    u64 entry;      // ap_entry64
    u32 cpu_count;  // entries used in cpus[]
    u32 strays;     // APs that found no entry for their APIC id
    TrampolineCpu cpus[kMaxCpus];
};
static_assert(sizeof(TrampolineCpu) == 24);
static_assert(kTrampolineDataOffset + sizeof(TrampolineData) <= 4096);

}  // namespace x86
