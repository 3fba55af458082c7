// ACPI discovery at boot. Tables are read through the direct map; every table
// is validated (signature, length, checksum) by src/lib/acpi.cpp before use,
// and a malformed one is reported precisely and skipped, never trusted.
#include "kernel/acpi_discovery.h"

#include "kernel/log.h"
#include "kernel/mm/memory.h"

namespace platform {
namespace {

acpi::Madt g_madt;

const void* read_phys(void*, u64 phys, usize len) {
    if (phys + len < phys || phys + len > mm::direct_map_end()) return nullptr;
    return mm::phys_to_virt(phys);
}

void log_failure(const acpi::ParseResult& r) {
    char why[192];
    acpi::describe(r, why, sizeof why);
    klog::warn("%s", why);
}

bool find_rsdp(const mb2::Info& info, acpi::Rsdp& rsdp, const char*& source) {
    if (info.rsdp) {
        acpi::ParseResult r = acpi::validate_rsdp(info.rsdp, info.rsdp_length, rsdp);
        if (r.ok()) {
            source = "multiboot2";
            return true;
        }
        log_failure(r);
        klog::warn("acpi: the boot loader's RSDP copy is invalid; scanning the BIOS areas");
    }
    acpi::ParseResult r = acpi::find_rsdp_legacy(read_phys, nullptr, rsdp);
    if (r.ok()) {
        source = "scan";
        return true;
    }
    log_failure(r);
    return false;
}

}  // namespace

bool discover(const mb2::Info& info) {
    acpi::Rsdp rsdp;
    const char* source = "";
    if (!find_rsdp(info, rsdp, source)) {
        klog::warn("acpi: no RSDP found: only the boot CPU will be used");
        return false;
    }
    const bool xsdt = rsdp.revision >= 2 && rsdp.xsdt != 0;
    klog::report("acpi", "source=%s revision=%u root=%s root_phys=0x%lx", source, rsdp.revision,
                 xsdt ? "xsdt" : "rsdt", xsdt ? rsdp.xsdt : u64(rsdp.rsdt));

    acpi::TableRef table;
    acpi::ParseResult r = acpi::find_table(rsdp, read_phys, nullptr, "APIC", 0, table);
    if (r.ok()) r = acpi::parse_madt(table, g_madt);
    if (!r.ok()) {
        log_failure(r);
        klog::warn("acpi: no usable MADT: only the boot CPU will be used");
        return false;
    }

    usize usable = 0;
    for (usize i = 0; i < g_madt.cpu_count; i++) {
        const acpi::Cpu& c = g_madt.cpus[i];
        usable += c.usable();
        klog::info("  cpu uid=%u apic_id=%u%s %s", c.uid, c.apic_id, c.x2apic ? " (x2apic)" : "",
                   (c.flags & acpi::kCpuEnabled) ? "enabled"
                   : c.usable()                  ? "online-capable"
                                                 : "disabled: skipped");
    }
    for (usize i = 0; i < g_madt.io_apic_count; i++) {
        const acpi::IoApic& io = g_madt.io_apics[i];
        klog::info("  ioapic id=%u at 0x%x gsi_base=%u", io.id, io.address, io.gsi_base);
    }
    for (usize i = 0; i < g_madt.override_count; i++) {
        const acpi::Override& o = g_madt.overrides[i];
        klog::info("  override irq %u -> gsi %u flags 0x%x", o.source, o.gsi, o.flags);
    }
    if (g_madt.skipped_count) klog::info("  skipped %zu MADT entries of types lstar does not use", g_madt.skipped_count);
    klog::report("madt", "cpus=%zu usable=%zu ioapics=%zu overrides=%zu nmis=%zu lapic=0x%lx skipped=%zu",
                 g_madt.cpu_count, usable, g_madt.io_apic_count, g_madt.override_count, g_madt.nmi_count,
                 g_madt.lapic_address, g_madt.skipped_count);
    return true;
}

const acpi::Madt& madt() { return g_madt; }

}  // namespace platform
