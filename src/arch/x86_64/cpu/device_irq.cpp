// Device interrupt lines for the generic kernel (kernel/arch.h): ISA IRQ n
// arrives at vector kVectorIrqBase + n through the I/O APIC, on the boot CPU.
#include "arch/x86_64/apic/ioapic.h"
#include "arch/x86_64/cpu/interrupts.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/cpu/trap_frame.h"
#include "arch/x86_64/cpu/vectors.h"
#include "kernel/arch.h"

namespace {

constexpr u32 kLines = x86::kVectorIrqLast - x86::kVectorIrqBase + 1;
void (*g_line_handlers[kLines])(u32 line);

void dispatch(x86::TrapFrame& f) {
    u32 line = u32(f.vector - x86::kVectorIrqBase);
    if (line < kLines && g_line_handlers[line]) g_line_handlers[line](line);
}

}  // namespace

namespace arch {

bool irq_attach(u32 line, void (*handler)(u32 line)) {
    if (line >= kLines || line >= 16) return false;
    g_line_handlers[line] = handler;
    x86::set_interrupt_handler(u8(x86::kVectorIrqBase + line), dispatch);
    return x86::ioapic::route_isa_irq(u8(line), u8(x86::kVectorIrqBase + line), x86::cpu_local(0).apic_id);
}

void irq_mask(u32 line) { x86::ioapic::mask_gsi(x86::ioapic::isa_irq_to_gsi(u8(line))); }
void irq_unmask(u32 line) { x86::ioapic::unmask_gsi(x86::ioapic::isa_irq_to_gsi(u8(line))); }

}  // namespace arch
