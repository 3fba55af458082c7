// IDT setup. All gates are interrupt gates (IF cleared on entry) with DPL 0;
// NMI, #MC and #DF get their own IST stacks because they can arrive when the
// current stack is unusable (mid-entry, overflowed, or mid-switch).
#include "arch/x86_64/cpu/idt.h"

#include "arch/x86_64/cpu/gdt.h"
#include "arch/x86_64/cpu/vectors.h"
#include "lib/kstd/types.h"

extern "C" const u64 isr_stub_table[256];

namespace x86 {
namespace {

struct [[gnu::packed]] Gate {
    u16 offset_low;
    u16 selector;
    u8 ist;
    u8 type_attr;
    u16 offset_mid;
    u32 offset_high;
    u32 reserved;
};
static_assert(sizeof(Gate) == 16, "[SDM 3A 6.14.1] 64-bit IDT gate");

constexpr u8 kInterruptGate = 0x8E;  // present, DPL 0, type 0xE
constexpr u8 kUserInterruptGate = 0xEE;  // present, DPL 3: `int n` allowed from ring 3

alignas(16) Gate g_idt[256];

void set_gate(unsigned vector, u64 handler, u8 ist, u8 type_attr = kInterruptGate) {
    Gate& g = g_idt[vector];
    g.offset_low = u16(handler);
    g.selector = kKernelCode;
    g.ist = ist;
    g.type_attr = type_attr;
    g.offset_mid = u16(handler >> 16);
    g.offset_high = u32(handler >> 32);
    g.reserved = 0;
}

}  // namespace

void idt_init_boot() {
    for (unsigned v = 0; v < 256; v++) set_gate(v, isr_stub_table[v], 0);
    set_gate(2, isr_stub_table[2], kIstNmi);
    set_gate(8, isr_stub_table[8], kIstDoubleFault);
    set_gate(18, isr_stub_table[18], kIstMachineCheck);
    set_gate(1, isr_stub_table[1], kIstDebug);
    // The system call gate: an interrupt gate, so the entry runs with IF = 0
    // until the dispatcher has the frame saved [SDM 3A 6.12.1.1].
    set_gate(kVectorSyscall, isr_stub_table[kVectorSyscall], 0, kUserInterruptGate);
    // int3 from ring 3 is a breakpoint (#BP), as debuggers expect, not a #GP.
    set_gate(3, isr_stub_table[3], 0, kUserInterruptGate);
    idt_load();
}

void idt_load() {
    DescriptorPointer idtr{sizeof g_idt - 1, reinterpret_cast<u64>(g_idt)};
    asm volatile("lidt %0" ::"m"(idtr));
}

}  // namespace x86
