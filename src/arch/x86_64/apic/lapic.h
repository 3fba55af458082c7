// Local APIC: xAPIC (MMIO) or x2APIC (MSRs) behind one interface, the LAPIC
// timer, and interprocessor interrupts [SDM 3A ch. 11].
#pragma once

#include "lib/kstd/types.h"

namespace x86::lapic {

enum class Mode : u8 { kXApic, kX2Apic };

// Register access for one CPU's local APIC. Registers are named by their
// xAPIC MMIO offset (0x20 id, 0x80 TPR, 0xB0 EOI, 0xF0 SVR, 0x300 ICR low,
// 0x310 ICR high, 0x320 LVT timer, ...); the x2APIC backend turns an offset
// into MSR 0x800 + offset/16 [SDM 3A 11.12.1.2]. Host tests use a fake.
class Registers {
public:
    virtual Mode mode() const = 0;
    virtual u32 read(u32 offset) = 0;
    virtual void write(u32 offset, u32 value) = 0;
    // Sends an IPI: xAPIC writes ICR high (destination << 24) then ICR low and
    // waits for the delivery status to clear; x2APIC writes the 64-bit ICR MSR
    // (destination in bits 63:32) in one go.
    virtual void write_icr(u32 destination, u32 low) = 0;

protected:
    ~Registers() = default;
};

// Boot CPU, once, after paging: chooses the mode (x2APIC when CPUID says so
// and force_xapic is false), maps the xAPIC page uncached if needed, and
// masks the 8259 PICs. Logs the choice. False (with a logged reason) if the
// CPU has no local APIC.
bool init_boot(bool force_xapic, u64 mmio_phys);

// Every CPU (BSP included), with interrupts disabled: switches this CPU's APIC
// into the chosen mode, enables it (SVR, spurious vector), TPR 0, LINT0
// masked, LINT1 = NMI (firmware programs it on the BSP only), error vector.
void init_cpu();

Mode mode();
u32 id();  // this CPU's APIC id, read from the APIC itself
void eoi();

// IPIs [SDM 3A 11.6.1]. Fixed-delivery vectors, NMIs, INIT and STARTUP.
void send_ipi(u32 apic_id, u8 vector);
void send_ipi_all(u8 vector);          // shorthand "all including self"
void send_ipi_others(u8 vector);       // shorthand "all excluding self"
void send_nmi(u32 apic_id);
void send_nmi_others();
void send_init(u32 apic_id);           // INIT assert (level), as for AP start-up
void send_startup(u32 apic_id, u8 page);  // STARTUP IPI: start at page << 12, real mode

// LAPIC timer. calibrate() runs on the BSP (against the TSC, itself
// calibrated against the PIT) and sets ticks_per_ms for every CPU: the
// timer frequency is the same on every CPU of a system.
void timer_calibrate();
u64 timer_ticks_per_ms();
void timer_periodic(u32 hz, u8 vector);   // this CPU
void timer_oneshot(u64 ns, u8 vector);    // this CPU
void timer_stop();                        // this CPU

// The backend in use on this system (for tests and diagnostics).
Registers& registers();

}  // namespace x86::lapic
