// Boot-time clock: the TSC calibrated once against PIT channel 2 (present on
// every PC and emulator we target). The LAPIC timer takes over scheduling later.
#include "arch/x86_64/cpu/io.h"
#include "kernel/arch.h"

namespace {

constexpr u32 kPitHz = 1193182;
constexpr u32 kCalibrateMs = 10;
u64 g_tsc_per_ms = 0;

// One-shot countdown on channel 2 with the speaker gate, polling OUT2 on
// port 0x61 bit 5 [8254 datasheet, mode 0].
u64 measure_tsc_per_ms() {
    const u16 count = u16(kPitHz * kCalibrateMs / 1000);
    u8 gate = x86::inb(0x61);
    x86::outb(0x61, u8((gate & ~0x02) | 0x01));  // gate on, speaker off
    x86::outb(0x43, 0xB0);                       // channel 2, lo/hi, mode 0
    x86::outb(0x42, u8(count));
    x86::outb(0x42, u8(count >> 8));
    u64 start = x86::rdtsc();
    u64 spins = 0;
    while ((x86::inb(0x61) & 0x20) == 0) {
        if (++spins > 100000000) return 0;  // no PIT: leave time uncalibrated
    }
    u64 end = x86::rdtsc();
    x86::outb(0x61, gate);
    return (end - start) / kCalibrateMs;
}

}  // namespace

namespace arch {

void time_init() { g_tsc_per_ms = measure_tsc_per_ms(); }

void delay_us(u64 us) {
    u64 end = time_ns() + us * 1000;
    while (time_ns() < end) x86::pause();
}

u64 time_ns() {
    if (g_tsc_per_ms == 0) return 0;
    u64 tsc = x86::rdtsc();
    // Split to avoid overflowing tsc * 1e6 for large TSC values.
    return (tsc / g_tsc_per_ms) * 1000000 + (tsc % g_tsc_per_ms) * 1000000 / g_tsc_per_ms;
}

}  // namespace arch
