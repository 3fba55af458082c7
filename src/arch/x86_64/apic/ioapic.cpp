// I/O APIC driver: every I/O APIC of the MADT mapped through the MMIO
// window, all pins masked, GSIs routed as fixed physical-destination
// interrupts and ISA IRQs through the MADT's overrides [82093AA datasheet].
// Entry encoding and checks are in ioapic_logic.cpp, override resolution in
// lib/irq_routing.cpp.
#include "arch/x86_64/apic/ioapic.h"

#include "arch/x86_64/apic/ioapic_logic.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/mm/mmio.h"
#include "kernel/log.h"
#include "kernel/sync/spinlock.h"
#include "lib/irq_routing.h"

namespace x86::ioapic {
namespace {

// One lock for every I/O APIC: an IOREGSEL write and the IOWIN access after
// it must not interleave with another CPU's, and entry updates are
// read-modify-write.
ksync::SpinLock g_lock{"ioapic"};

// Registers of one I/O APIC through its mapped IOREGSEL/IOWIN; callers hold
// the lock (init runs on the boot CPU alone).
class MmioIoApic final : public IoApicRegisters {
public:
    u32 read(u8 index) override {
        select(index);
        return *reinterpret_cast<volatile u32*>(base + kIoWin);
    }
    void write(u8 index, u32 value) override {
        select(index);
        *reinterpret_cast<volatile u32*>(base + kIoWin) = value;
    }

    u64 base = 0;

private:
    void select(u8 index) { *reinterpret_cast<volatile u32*>(base + kIoRegSel) = index; }
};

struct Chip {
    MmioIoApic regs;
    u8 id;
    u32 phys;
};

Chip g_chips[acpi::kMaxIoApics];
GsiRange g_ranges[acpi::kMaxIoApics];
usize g_count = 0;
irq::IsaRoute g_isa[irq::kIsaIrqCount];
bool g_ready = false;

// True if [base, base + pins) overlaps a range already accepted.
bool overlaps(u32 base, u32 pins) {
    for (usize i = 0; i < g_count; i++) {
        const GsiRange& r = g_ranges[i];
        if (base < r.gsi_base + r.pins && r.gsi_base < base + pins) return true;
    }
    return false;
}

bool add_chip(const acpi::IoApic& io) {
    // IOREGSEL at +0x00 and IOWIN at +0x10, 32 bits each.
    const u64 virt = mmio_map(io.address, kIoWin + 4, "ioapic");
    if (virt == 0) {
        klog::warn("ioapic: id=%u at 0x%x: cannot map its registers: skipped", io.id, io.address);
        return false;
    }
    Chip& c = g_chips[g_count];
    c.regs.base = virt;
    c.id = io.id;
    c.phys = io.address;

    u32 pins = 0, version = 0;
    if (!read_pin_count(c.regs, pins, version)) {
        klog::warn("ioapic: id=%u at 0x%x: version register reads 0x%x (%s): skipped", io.id, io.address,
                   version, version == 0xFFFFFFFFu ? "no device answers" : "more pins than IOREGSEL can reach");
        return false;
    }
    if (io.gsi_base > 0xFFFFFFFFu - pins) {
        klog::warn("ioapic: id=%u: gsi_base %u + %u pins overflows: skipped", io.id, io.gsi_base, pins);
        return false;
    }
    if (overlaps(io.gsi_base, pins)) {
        klog::warn("ioapic: id=%u: GSIs %u-%u overlap an earlier I/O APIC's: skipped", io.id, io.gsi_base,
                   io.gsi_base + pins - 1);
        return false;
    }
    mask_all(c.regs, pins);
    g_ranges[g_count] = {io.gsi_base, pins};
    g_count++;
    klog::report("ioapic", "id=%u address=0x%x gsi_base=%u pins=%u", io.id, io.address, io.gsi_base, pins);
    return true;
}

}  // namespace

bool init(const acpi::Madt& madt) {
    if (g_ready) {
        klog::warn("ioapic: init called twice: ignored");
        return true;
    }
    if (madt.io_apic_count == 0) {
        klog::warn("ioapic: the MADT lists no I/O APIC: no device interrupts");
        return false;
    }
    const usize listed = madt.io_apic_count < acpi::kMaxIoApics ? madt.io_apic_count : acpi::kMaxIoApics;
    for (usize i = 0; i < listed; i++) add_chip(madt.io_apics[i]);
    if (g_count == 0) {
        klog::warn("ioapic: none of the %zu I/O APIC(s) in the MADT is usable", listed);
        return false;
    }

    for (u8 irq = 0; irq < irq::kIsaIrqCount; irq++) {
        const irq::IsaRoute& r = g_isa[irq] = irq::resolve_isa_irq(madt, irq);
        if (r.reserved_flags) {
            klog::warn("ioapic: override for ISA IRQ %u has reserved polarity/trigger flags: bus default used",
                       irq);
        }
        if (r.overridden) {
            klog::debug("ioapic: ISA IRQ %u -> GSI %u %s %s", irq, r.gsi, r.active_low ? "low" : "high",
                        r.level ? "level" : "edge");
        }
    }
    g_ready = true;
    return true;
}

bool route_isa_irq(u8 irq, u8 vector, u32 dest) {
    if (irq >= irq::kIsaIrqCount) {
        klog::warn("ioapic: ISA IRQ %u does not exist (0-15)", irq);
        return false;
    }
    if (!g_ready) {
        klog::warn("ioapic: ISA IRQ %u: no usable I/O APIC (init not run or failed)", irq);
        return false;
    }
    const irq::IsaRoute& r = g_isa[irq];
    if (r.shadowed) {
        klog::warn("ioapic: ISA IRQ %u: its GSI %u carries ISA IRQ %u (MADT override)", irq, r.gsi,
                   r.shadowed_by);
        return false;
    }
    return route_gsi(r.gsi, vector, dest, r.active_low, r.level);
}

bool route_gsi(u32 gsi, u8 vector, u32 dest, bool active_low, bool level) {
    RoutePlan plan;
    const RouteError e = plan_route(g_ranges, g_ready ? g_count : 0, gsi, vector, dest, active_low, level, plan);
    if (e != RouteError::kOk) {
        klog::warn("ioapic: GSI %u -> vector 0x%x on apic %u not routed: %s", gsi, vector, dest,
                   route_error_name(e));
        return false;
    }
    {
        ksync::IrqSpinGuard lock(g_lock);
        write_entry(g_chips[plan.chip].regs, plan.pin, plan.entry);
    }
    klog::debug("ioapic: GSI %u (ioapic %u pin %u) -> vector 0x%x apic %u, %s %s", gsi, g_chips[plan.chip].id,
                plan.pin, vector, dest, active_low ? "low" : "high", level ? "level" : "edge");
    return true;
}

void mask_gsi(u32 gsi) {
    const i32 chip = find_range(g_ranges, g_ready ? g_count : 0, gsi);
    if (chip < 0) {
        klog::warn("ioapic: mask GSI %u: no I/O APIC serves it", gsi);
        return;
    }
    ksync::IrqSpinGuard lock(g_lock);
    set_masked(g_chips[chip].regs, gsi - g_ranges[chip].gsi_base, true);
}

void unmask_gsi(u32 gsi) {
    const i32 chip = find_range(g_ranges, g_ready ? g_count : 0, gsi);
    if (chip < 0) {
        klog::warn("ioapic: unmask GSI %u: no I/O APIC serves it", gsi);
        return;
    }
    const u32 pin = gsi - g_ranges[chip].gsi_base;
    u64 entry;
    {
        ksync::IrqSpinGuard lock(g_lock);
        entry = read_entry(g_chips[chip].regs, pin);
        if ((entry & kEntryVectorMask) >= 32) set_masked(g_chips[chip].regs, pin, false);
    }
    if ((entry & kEntryVectorMask) < 32) klog::warn("ioapic: unmask GSI %u: never routed: left masked", gsi);
}

u32 isa_irq_to_gsi(u8 irq) {
    if (!g_ready || irq >= irq::kIsaIrqCount) return irq;
    return g_isa[irq].gsi;
}

}  // namespace x86::ioapic
