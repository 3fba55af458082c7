// Boot-time clock: the TSC calibrated once against PIT channel 2 (present on
// every PC and emulator we target). The LAPIC timer takes over scheduling later.
#include "arch/x86_64/cpu/io.h"
#include "kernel/arch.h"

namespace {

constexpr u32 kPitHz = 1193182;
constexpr u32 kCalibrateMs = 10;
u64 g_tsc_per_ms = 0;

// One-shot countdown on channel 2 with the speaker gate, polling OUT2 on
// port 0x61 bit 5 [8254 datasheet, mode 0]. The TSC is read on both sides
// of the write that starts the count and of the poll that sees it end, so
// each run knows how uncertain it is: an emulated CPU whose host thread is
// descheduled inside either window (a loaded host) would otherwise measure
// a TSC rate many times too high, and every timeout would stretch with it.
struct Run {
    u64 ticks;      // TSC ticks for kCalibrateMs
    u64 slack;      // how far off that can be
    bool ok;
};

Run measure_once() {
    const u16 count = u16(kPitHz * kCalibrateMs / 1000);
    u8 gate = x86::inb(0x61);
    x86::outb(0x61, u8((gate & ~0x02) | 0x01));  // gate on, speaker off
    x86::outb(0x43, 0xB0);                       // channel 2, lo/hi, mode 0
    x86::outb(0x42, u8(count));
    u64 start_lo = x86::rdtsc();
    x86::outb(0x42, u8(count >> 8));             // the count starts here
    u64 start_hi = x86::rdtsc();
    u64 before = start_hi, after = start_hi;
    for (u64 spins = 0;; spins++) {
        if (spins > 100000000) {
            x86::outb(0x61, gate);
            return {0, 0, false};  // no PIT
        }
        u64 t = x86::rdtsc();
        bool done = (x86::inb(0x61) & 0x20) != 0;
        after = x86::rdtsc();
        if (done) break;
        before = t;
    }
    x86::outb(0x61, gate);
    // The count ended between `before` (OUT2 still low after it) and `after`.
    u64 ticks = (before + after) / 2 - (start_lo + start_hi) / 2;
    return {ticks, (after - before) + (start_hi - start_lo), true};
}

u64 measure_tsc_per_ms() {
    constexpr u32 kRuns = 7, kWanted = 3;
    u64 good[kRuns];
    u32 n = 0;
    Run best{0, ~0ull, false};
    for (u32 i = 0; i < kRuns && n < kWanted; i++) {
        Run r = measure_once();
        if (!r.ok) return 0;  // leave time uncalibrated
        if (r.slack < best.slack) best = r;
        if (r.slack * 50 < r.ticks) good[n++] = r.ticks;  // within 2 %
    }
    if (n == 0) return best.ticks / kCalibrateMs;
    for (u32 i = 1; i < n; i++)  // median of the good runs
        for (u32 j = i; j > 0 && good[j - 1] > good[j]; j--) {
            u64 t = good[j];
            good[j] = good[j - 1];
            good[j - 1] = t;
        }
    return good[n / 2] / kCalibrateMs;
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
