// Local APIC driver: the xAPIC (MMIO) and x2APIC (MSR) register backends,
// mode choice and per-CPU enable, IPIs and the timer [SDM 3A ch. 11]. The
// register programming itself is in lapic_logic.cpp.
#include "arch/x86_64/apic/lapic.h"

#include "arch/x86_64/apic/irq_guard.h"
#include "arch/x86_64/apic/lapic_logic.h"
#include "arch/x86_64/cpu/features.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/vectors.h"
#include "arch/x86_64/mm/mmio.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "lib/format.h"

namespace x86::lapic {
namespace {

// Delivery of an IPI takes well under a microsecond; a million polls of ICR
// low is far beyond that and still ends in a fraction of a second.
constexpr u32 kIcrPollLimit = 1u << 20;
constexpr u64 kCalibrateWindowNs = 10 * 1000 * 1000;
constexpr u64 kCalibrateMaxPolls = 100 * 1000 * 1000;

// xAPIC: 32-bit registers at their offsets in the (uncached) APIC page.
class XApic final : public Registers {
public:
    Mode mode() const override { return Mode::kXApic; }
    u32 read(u32 offset) override { return *reg(offset); }
    void write(u32 offset, u32 value) override { *reg(offset) = value; }
    void write_icr(u32 destination, u32 low) override {
        bool idle;
        {
            // Nothing may send from this CPU between the two halves.
            InterruptsOff off;
            write(reg::kIcrHigh, destination << 24);
            write(reg::kIcrLow, low);
            idle = wait_icr_idle(*this, kIcrPollLimit);
        }
        if (!idle) {
            klog::warn("lapic: IPI icr=0x%x to apic %u still pending after %u polls", low, destination,
                       kIcrPollLimit);
        }
    }

    u64 base = 0;  // virtual address of the register page

private:
    volatile u32* reg(u32 offset) { return reinterpret_cast<volatile u32*>(base + offset); }
};

// x2APIC: one MSR per register; the ICR is a single 64-bit MSR whose write
// sends at once (no delivery status) [SDM 3A 11.12.9].
class X2Apic final : public Registers {
public:
    Mode mode() const override { return Mode::kX2Apic; }
    u32 read(u32 offset) override { return u32(rdmsr(x2apic_msr(offset))); }
    void write(u32 offset, u32 value) override { wrmsr(x2apic_msr(offset), value); }
    void write_icr(u32 destination, u32 low) override {
        // WRMSR to x2APIC registers is not serializing: make earlier stores
        // visible before the target can act on the IPI.
        asm volatile("mfence; lfence" ::: "memory");
        wrmsr(x2apic_msr(reg::kIcrLow), (u64(destination) << 32) | low);
    }
};

// Before init_boot, or on a CPU without a local APIC: reads 0, ignores writes.
class NoApic final : public Registers {
public:
    Mode mode() const override { return Mode::kXApic; }
    u32 read(u32) override { return 0; }
    void write(u32, u32) override {}
    void write_icr(u32, u32) override {}
};

XApic g_xapic;
X2Apic g_x2apic;
NoApic g_none;
Registers* g_regs = &g_none;
Mode g_mode = Mode::kXApic;
u64 g_mmio_phys = 0;
u64 g_ticks_per_ms = 0;

bool present(const char* what) {
    if (g_regs != &g_none) return true;
    klog::warn("lapic: %s without a local APIC (init_boot not run or failed)", what);
    return false;
}

void warn_unsent(IpiResult r, const char* what, const char* target, u32 apic_id) {
    if (r == IpiResult::kSent) return;
    if (target != nullptr) klog::warn("lapic: %s to %s not sent: %s", what, target, ipi_result_name(r));
    else klog::warn("lapic: %s to apic %u not sent: %s", what, apic_id, ipi_result_name(r));
}

// LVT vectors 0-15 raise "receive illegal vector" [SDM 3A 11.5.3].
bool timer_vector_ok(u8 vector) {
    if (vector >= 16) return true;
    klog::warn("lapic: timer vector 0x%x is illegal (0-15): timer not started", vector);
    return false;
}

void disable_pics() {
    PortWrite seq[kPicDisableWrites];
    pic_disable_sequence(kVectorPicBase, seq);
    for (const PortWrite& w : seq) {
        outb(w.port, w.value);
        outb(0x80, 0);  // an unused port: gives the 8259 time between writes
    }
}

}  // namespace

bool init_boot(bool force_xapic, u64 mmio_phys) {
    if (g_regs != &g_none) {
        klog::warn("lapic: init_boot called twice: ignored");
        return true;
    }
    const CpuFeatures& f = boot_cpu_features();
    if (!f.apic) {
        klog::warn("lapic: CPUID.1:EDX.APIC is clear: this CPU has no local APIC");
        return false;
    }
    const u64 base = rdmsr(kMsrApicBase);
    const ModeChoice choice = choose_mode(f.x2apic, force_xapic, base);

    if (choice.mode == Mode::kXApic) {
        // The APIC answers where IA32_APIC_BASE says, whatever the MADT claims.
        const u64 phys = base & kApicBaseAddressMask;
        if (mmio_phys != 0 && mmio_phys != phys) {
            klog::warn("lapic: MADT address 0x%lx differs from IA32_APIC_BASE 0x%lx; using the MSR's",
                       mmio_phys, phys);
        }
        const u64 virt = mmio_map(phys, 4096, "lapic");
        if (virt == 0) {
            klog::warn("lapic: cannot map the xapic registers at 0x%lx", phys);
            return false;
        }
        g_xapic.base = virt;
        g_mmio_phys = phys;
        g_regs = &g_xapic;
        klog::info("lapic: xapic mode (%s), registers at 0x%lx mapped at 0x%lx", choice.why, phys, virt);
    } else {
        g_regs = &g_x2apic;
        klog::info("lapic: x2apic mode (%s), registers in MSRs 0x800-0x8ff", choice.why);
    }
    g_mode = choice.mode;
    disable_pics();
    return true;
}

void init_cpu() {
    if (!present("init_cpu")) return;
    const u64 current = rdmsr(kMsrApicBase);
    if (g_mode == Mode::kXApic && (current & kApicBaseAddressMask) != g_mmio_phys) {
        klog::warn("lapic: this CPU's APIC is at 0x%lx, not at 0x%lx as mapped",
                   current & kApicBaseAddressMask, g_mmio_phys);
    }
    u64 writes[2];
    const usize n = apic_base_writes(current, g_mode, writes);
    for (usize i = 0; i < n; i++) wrmsr(kMsrApicBase, writes[i]);
    const u32 lvts = program_cpu(*g_regs);
    klog::debug("lapic: apic %u enabled, %s, version 0x%x, max lvt %u", id(), mode_name(g_mode),
                g_regs->read(reg::kVersion), lvts);
}

Mode mode() { return g_mode; }

u32 id() { return decode_id(g_mode, g_regs->read(reg::kId)); }

void eoi() { g_regs->write(reg::kEoi, 0); }

void send_ipi(u32 apic_id, u8 vector) {
    if (!present("IPI")) return;
    char what[24];
    fmt::snprintf(what, sizeof what, "IPI vector 0x%x", vector);
    warn_unsent(lapic::send_ipi(*g_regs, apic_id, vector), what, nullptr, apic_id);
}

void send_ipi_all(u8 vector) {
    if (!present("IPI")) return;
    char what[24];
    fmt::snprintf(what, sizeof what, "IPI vector 0x%x", vector);
    warn_unsent(send_ipi_shorthand(*g_regs, Shorthand::kAll, vector), what, "all CPUs", 0);
}

void send_ipi_others(u8 vector) {
    if (!present("IPI")) return;
    char what[24];
    fmt::snprintf(what, sizeof what, "IPI vector 0x%x", vector);
    warn_unsent(send_ipi_shorthand(*g_regs, Shorthand::kOthers, vector), what, "the other CPUs", 0);
}

void send_nmi(u32 apic_id) {
    if (present("NMI")) warn_unsent(lapic::send_nmi(*g_regs, apic_id), "NMI", nullptr, apic_id);
}

void send_nmi_others() {
    if (present("NMI")) warn_unsent(lapic::send_nmi_others(*g_regs), "NMI", "the other CPUs", 0);
}

void send_init(u32 apic_id) {
    if (present("INIT")) warn_unsent(lapic::send_init(*g_regs, apic_id), "INIT", nullptr, apic_id);
}

void send_startup(u32 apic_id, u8 page) {
    if (present("STARTUP")) warn_unsent(lapic::send_startup(*g_regs, apic_id, page), "STARTUP", nullptr, apic_id);
}

void timer_calibrate() {
    if (!present("timer calibration")) return;
    const Calibration c = calibrate(*g_regs, arch::time_ns, kCalibrateWindowNs, kCalibrateMaxPolls);
    if (!c.ok) {
        klog::warn("lapic: timer calibration failed: %lu ticks in %lu ns (%lu polls of the clock)", c.ticks,
                   c.elapsed_ns, c.polls);
    }
    g_ticks_per_ms = c.ticks_per_ms;
    klog::debug("lapic: timer counted %lu ticks in %lu ns, divide by %u", c.ticks, c.elapsed_ns, kTimerDivisor);
    klog::report("lapic", "mode=%s ticks_per_ms=%lu", mode_name(g_mode), g_ticks_per_ms);
}

u64 timer_ticks_per_ms() { return g_ticks_per_ms; }

void timer_periodic(u32 hz, u8 vector) {
    if (!present("timer") || !timer_vector_ok(vector)) return;
    const u32 count = periodic_count(g_ticks_per_ms, hz);
    if (count == 0) {
        klog::warn("lapic: periodic timer at %u Hz: %s", hz, hz == 0 ? "0 Hz" : "timer not calibrated");
        return;
    }
    timer_start(*g_regs, count, vector, true);
}

void timer_oneshot(u64 ns, u8 vector) {
    if (!present("timer") || !timer_vector_ok(vector)) return;
    const u32 count = oneshot_count(g_ticks_per_ms, ns);
    if (count == 0) {
        klog::warn("lapic: one-shot timer of %lu ns: timer not calibrated", ns);
        return;
    }
    timer_start(*g_regs, count, vector, false);
}

void timer_stop() { lapic::timer_stop(*g_regs); }

Registers& registers() { return *g_regs; }

}  // namespace x86::lapic
