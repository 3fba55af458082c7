// ISA IRQ to GSI resolution through the MADT's interrupt source overrides.
#include "lib/irq_routing.h"

namespace irq {
namespace {

// MPS INTI flag values [ACPI 6.5 Table 5.26]; 0 means "bus default".
constexpr u16 kFlagReserved = 2;
constexpr u16 kPolarityActiveLow = 3;
constexpr u16 kTriggerLevel = 3;

const acpi::Override* find_override(const acpi::Override* overrides, usize count, u8 irq) {
    for (usize i = 0; i < count; i++) {
        if (overrides[i].bus == kIsaBus && overrides[i].source == irq) return &overrides[i];
    }
    return nullptr;
}

}  // namespace

IsaRoute resolve_isa_irq(const acpi::Override* overrides, usize count, u8 irq) {
    // ISA bus defaults: identity GSI, edge triggered, active high.
    IsaRoute r = {irq, false, false, false, false, false, 0};
    if (overrides == nullptr) count = 0;

    const acpi::Override* o = irq < kIsaIrqCount ? find_override(overrides, count, irq) : nullptr;
    if (o != nullptr) {
        r.gsi = o->gsi;
        r.overridden = true;
        const u16 polarity = o->polarity(), trigger = o->trigger();
        r.reserved_flags = polarity == kFlagReserved || trigger == kFlagReserved;
        r.active_low = polarity == kPolarityActiveLow;  // 0 (bus default) and 1 are active high
        r.level = trigger == kTriggerLevel;             // 0 (bus default) and 1 are edge
        return r;
    }
    if (irq >= kIsaIrqCount) return r;

    // Another IRQ moved onto our default GSI: the first such override is named.
    for (usize i = 0; i < count; i++) {
        const acpi::Override& other = overrides[i];
        if (other.bus != kIsaBus || other.source == irq || other.gsi != irq) continue;
        if (find_override(overrides, count, other.source) != &other) continue;  // a duplicate, ignored
        r.shadowed = true;
        r.shadowed_by = other.source;
        break;
    }
    return r;
}

IsaRoute resolve_isa_irq(const acpi::Madt& madt, u8 irq) {
    return resolve_isa_irq(madt.overrides, madt.override_count, irq);
}

}  // namespace irq
