// ISA IRQ resolution through MADT interrupt source overrides: QEMU's table,
// explicit and bus-default flags, reserved flags, other buses, duplicates.
#include "lib/irq_routing.h"

#include <CppUTest/TestHarness.h>

namespace {

// MPS INTI flags: polarity in bits 1:0, trigger in bits 3:2.
constexpr u16 kHigh = 1, kLow = 3, kEdge = 1 << 2, kLevel = 3 << 2;

// QEMU's (i440fx/q35) overrides: the PIT moved to GSI 2, the SCI and PCI
// link IRQs level triggered, active high.
const acpi::Override kQemu[] = {
    {0, 0, 2, 0},
    {0, 5, 5, kHigh | kLevel},
    {0, 9, 9, kHigh | kLevel},
    {0, 10, 10, kHigh | kLevel},
    {0, 11, 11, kHigh | kLevel},
};
constexpr usize kQemuCount = sizeof kQemu / sizeof kQemu[0];

acpi::Madt g_madt;  // a few KiB: off the stack

}  // namespace

TEST_GROUP(IrqRouting){};

TEST(IrqRouting, QemuPitArrivesOnGsi2EdgeHigh) {
    irq::IsaRoute r = irq::resolve_isa_irq(kQemu, kQemuCount, 0);
    UNSIGNED_LONGS_EQUAL(2, r.gsi);
    CHECK(r.overridden);
    CHECK_FALSE(r.active_low || r.level || r.reserved_flags || r.shadowed);
}

TEST(IrqRouting, QemuSciIsLevelActiveHigh) {
    irq::IsaRoute r = irq::resolve_isa_irq(kQemu, kQemuCount, 9);
    UNSIGNED_LONGS_EQUAL(9, r.gsi);
    CHECK(r.overridden && r.level);
    CHECK_FALSE(r.active_low);
}

TEST(IrqRouting, NoOverrideMeansIdentityEdgeHigh) {
    for (u8 irq : {1, 3, 4, 8, 12, 14, 15}) {
        irq::IsaRoute r = irq::resolve_isa_irq(kQemu, kQemuCount, irq);
        UNSIGNED_LONGS_EQUAL(irq, r.gsi);
        CHECK_FALSE(r.overridden || r.active_low || r.level || r.shadowed);
    }
    for (u8 irq = 0; irq < irq::kIsaIrqCount; irq++) {
        irq::IsaRoute r = irq::resolve_isa_irq(nullptr, 0, irq);
        UNSIGNED_LONGS_EQUAL(irq, r.gsi);
        CHECK_FALSE(r.overridden || r.active_low || r.level || r.shadowed || r.reserved_flags);
    }
}

TEST(IrqRouting, Irq2IsShadowedByThePitOverride) {
    irq::IsaRoute r = irq::resolve_isa_irq(kQemu, kQemuCount, 2);
    UNSIGNED_LONGS_EQUAL(2, r.gsi);
    CHECK(r.shadowed);
    UNSIGNED_LONGS_EQUAL(0, r.shadowed_by);
    CHECK_FALSE(r.overridden);
}

TEST(IrqRouting, ExplicitLevelLowAndBusDefaults) {
    const acpi::Override o[] = {
        {0, 9, 20, kLow | kLevel},
        {0, 3, 3, kHigh | kEdge},
        {0, 4, 4, kLow},    // trigger: bus default (edge)
        {0, 7, 7, kLevel},  // polarity: bus default (high)
    };
    irq::IsaRoute r = irq::resolve_isa_irq(o, 4, 9);
    UNSIGNED_LONGS_EQUAL(20, r.gsi);
    CHECK(r.active_low && r.level && r.overridden);
    r = irq::resolve_isa_irq(o, 4, 3);
    CHECK_FALSE(r.active_low || r.level);
    r = irq::resolve_isa_irq(o, 4, 4);
    CHECK(r.active_low);
    CHECK_FALSE(r.level);
    r = irq::resolve_isa_irq(o, 4, 7);
    CHECK(r.level);
    CHECK_FALSE(r.active_low);
    CHECK_FALSE(r.reserved_flags);
}

TEST(IrqRouting, ReservedFlagsFallBackToBusDefaults) {
    const acpi::Override o[] = {{0, 1, 1, 2}, {0, 6, 6, 2 << 2}};
    irq::IsaRoute r = irq::resolve_isa_irq(o, 2, 1);
    CHECK(r.reserved_flags);
    CHECK_FALSE(r.active_low || r.level);
    r = irq::resolve_isa_irq(o, 2, 6);
    CHECK(r.reserved_flags);
    CHECK_FALSE(r.active_low || r.level);
}

TEST(IrqRouting, OtherBusesAndDuplicates) {
    const acpi::Override o[] = {
        {1, 0, 40, kLow | kLevel},  // not ISA: ignored
        {0, 8, 18, kHigh | kEdge},
        {0, 8, 19, kLow | kLevel},  // second for IRQ8: ignored
    };
    irq::IsaRoute r = irq::resolve_isa_irq(o, 3, 0);
    UNSIGNED_LONGS_EQUAL(0, r.gsi);
    CHECK_FALSE(r.overridden);
    r = irq::resolve_isa_irq(o, 3, 8);
    UNSIGNED_LONGS_EQUAL(18, r.gsi);
    CHECK_FALSE(r.active_low || r.level);
}

TEST(IrqRouting, NonIsaIrqIsItsOwnGsi) {
    const acpi::Override o[] = {{0, 16, 2, kLow | kLevel}};
    irq::IsaRoute r = irq::resolve_isa_irq(o, 1, 16);
    UNSIGNED_LONGS_EQUAL(16, r.gsi);
    CHECK_FALSE(r.overridden || r.active_low || r.level);
}

TEST(IrqRouting, FromTheMadt) {
    g_madt = acpi::Madt{};
    for (usize i = 0; i < kQemuCount; i++) g_madt.overrides[i] = kQemu[i];
    g_madt.override_count = kQemuCount;
    UNSIGNED_LONGS_EQUAL(2, irq::resolve_isa_irq(g_madt, 0).gsi);
    CHECK(irq::resolve_isa_irq(g_madt, 10).level);
    UNSIGNED_LONGS_EQUAL(1, irq::resolve_isa_irq(g_madt, 1).gsi);
    g_madt.override_count = 0;  // entries past the count do not count
    UNSIGNED_LONGS_EQUAL(0, irq::resolve_isa_irq(g_madt, 0).gsi);
}
