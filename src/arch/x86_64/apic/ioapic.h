// I/O APIC driver: every I/O APIC from the MADT, all pins masked at start,
// ISA IRQs routed through the MADT's interrupt source overrides
// [82093AA datasheet; ACPI 6.5 5.2.12.5].
#pragma once

#include "lib/acpi.h"
#include "lib/kstd/types.h"

namespace x86::ioapic {

// Maps and masks every I/O APIC listed in the MADT; logs each one
// ("lstar: ioapic id= address= gsi_base= pins=").
bool init(const acpi::Madt& madt);

// Routes ISA IRQ `irq` to `vector` on the CPU with APIC id `dest`, applying
// the MADT override for that IRQ (GSI, polarity, trigger) if there is one.
// Returns false with a logged reason if no I/O APIC serves the GSI.
bool route_isa_irq(u8 irq, u8 vector, u32 dest);
bool route_gsi(u32 gsi, u8 vector, u32 dest, bool active_low, bool level);
void mask_gsi(u32 gsi);
void unmask_gsi(u32 gsi);
// The GSI an ISA IRQ arrives on (after overrides).
u32 isa_irq_to_gsi(u8 irq);

}  // namespace x86::ioapic
