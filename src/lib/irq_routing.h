// Where an ISA IRQ arrives at the I/O APICs: the MADT's interrupt source
// overrides applied to the ISA bus defaults (GSI = IRQ, edge, active high)
// [ACPI 6.5 5.2.12.5, Table 5.26].
#pragma once

#include "lib/acpi.h"
#include "lib/kstd/types.h"

namespace irq {

constexpr u8 kIsaIrqCount = 16;
constexpr u8 kIsaBus = 0;  // the only bus value ACPI defines for overrides

struct IsaRoute {
    u32 gsi;
    bool active_low;
    bool level;
    bool overridden;      // an ISA override names this IRQ
    bool reserved_flags;  // the override's polarity or trigger was 2 (reserved): bus default used
    // No override for this IRQ, but an override sends another ISA IRQ to the
    // GSI this one would use by default (QEMU: IRQ0 -> GSI 2 takes IRQ2's GSI).
    bool shadowed;
    u8 shadowed_by;  // that other IRQ, when shadowed
};

// Resolves ISA IRQ `irq` against `count` overrides. Overrides of another bus
// are ignored; of several overrides for the same IRQ the first one counts.
// An irq >= kIsaIrqCount resolves to its own number with ISA defaults.
IsaRoute resolve_isa_irq(const acpi::Override* overrides, usize count, u8 irq);
IsaRoute resolve_isa_irq(const acpi::Madt& madt, u8 irq);

}  // namespace irq
