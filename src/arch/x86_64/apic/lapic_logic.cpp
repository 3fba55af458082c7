// Local APIC logic on any Registers: per-CPU programming, ICR encoding,
// timer set-up and calibration, mode transitions [SDM 3A ch. 11].
#include "arch/x86_64/apic/lapic_logic.h"

#include "arch/x86_64/cpu/vectors.h"

namespace x86::lapic {

const char* mode_name(Mode mode) { return mode == Mode::kX2Apic ? "x2apic" : "xapic"; }

ModeChoice choose_mode(bool cpu_has_x2apic, bool force_xapic, u64 apic_base_msr) {
    const bool firmware_x2apic =
        (apic_base_msr & (kApicBaseEnable | kApicBaseExtd)) == (kApicBaseEnable | kApicBaseExtd);
    if (firmware_x2apic) {
        return {Mode::kX2Apic, force_xapic ? "firmware enabled x2apic; xapic was asked for but is not safe"
                                           : "firmware enabled x2apic"};
    }
    if (!cpu_has_x2apic) return {Mode::kXApic, "cpu has no x2apic"};
    if (force_xapic) return {Mode::kXApic, "xapic asked for"};
    return {Mode::kX2Apic, "cpu has x2apic"};
}

usize apic_base_writes(u64 current, Mode want, u64 out[2]) {
    const u64 base = current & ~(kApicBaseEnable | kApicBaseExtd);
    const bool enabled = (current & kApicBaseEnable) != 0;
    const bool extd = (current & kApicBaseExtd) != 0;
    if (want == Mode::kX2Apic) {
        if (enabled && extd) return 0;
        if (enabled) {  // xAPIC -> x2APIC in one write
            out[0] = base | kApicBaseEnable | kApicBaseExtd;
            return 1;
        }
        out[0] = base | kApicBaseEnable;  // disabled (or the invalid EXTD-only state): EN first
        out[1] = base | kApicBaseEnable | kApicBaseExtd;
        return 2;
    }
    if (enabled && !extd) return 0;
    if (enabled) {  // x2APIC -> xAPIC only through the disabled state
        out[0] = base;
        out[1] = base | kApicBaseEnable;
        return 2;
    }
    out[0] = base | kApicBaseEnable;
    return 1;
}

u32 program_cpu(Registers& r) {
    const u32 lvts = max_lvt(r.read(reg::kVersion));
    r.write(reg::kSvr, kSvrEnable | kVectorSpurious);
    r.write(reg::kTpr, 0);
    r.write(reg::kLvtTimer, kLvtMasked | kVectorLapicTimer);
    r.write(reg::kTimerInitial, 0);
    r.write(reg::kLvtLint0, kLvtMasked);
    r.write(reg::kLvtLint1, kLint1Nmi);
    if (lvts >= 4) r.write(reg::kLvtPerf, kLvtMasked);
    if (lvts >= 5) r.write(reg::kLvtThermal, kLvtMasked);
    if (lvts >= 6) r.write(reg::kLvtCmci, kLvtMasked);
    r.write(reg::kLvtError, kVectorLapicError);
    // A write latches the error bits into ESR; back to back they clear it.
    // x2APIC accepts only 0 here [SDM 3A 11.5.3].
    r.write(reg::kEsr, 0);
    r.write(reg::kEsr, 0);
    return lvts;
}

const char* ipi_result_name(IpiResult r) {
    switch (r) {
    case IpiResult::kSent: return "sent";
    case IpiResult::kIllegalVector: return "illegal vector (0-15)";
    case IpiResult::kDestinationTooWide: return "destination above 255 in xapic mode";
    }
    return "?";
}

namespace {

IpiResult send_to(Registers& r, u32 apic_id, u32 low) {
    if (r.mode() == Mode::kXApic && apic_id > 0xFF) return IpiResult::kDestinationTooWide;
    r.write_icr(apic_id, low);
    return IpiResult::kSent;
}

}  // namespace

IpiResult send_ipi(Registers& r, u32 apic_id, u8 vector) {
    if (vector < 16) return IpiResult::kIllegalVector;
    return send_to(r, apic_id, icr_low(kDeliveryFixed, vector, Shorthand::kNone));
}

IpiResult send_ipi_shorthand(Registers& r, Shorthand shorthand, u8 vector) {
    if (vector < 16) return IpiResult::kIllegalVector;
    r.write_icr(0, icr_low(kDeliveryFixed, vector, shorthand));
    return IpiResult::kSent;
}

IpiResult send_nmi(Registers& r, u32 apic_id) {
    return send_to(r, apic_id, icr_low(kDeliveryNmi, 0, Shorthand::kNone));
}

IpiResult send_nmi_others(Registers& r) {
    r.write_icr(0, icr_low(kDeliveryNmi, 0, Shorthand::kOthers));
    return IpiResult::kSent;
}

IpiResult send_init(Registers& r, u32 apic_id) {
    return send_to(r, apic_id, icr_low(kDeliveryInit, 0, Shorthand::kNone));
}

IpiResult send_startup(Registers& r, u32 apic_id, u8 page) {
    return send_to(r, apic_id, icr_low(kDeliveryStartup, page, Shorthand::kNone));
}

bool wait_icr_idle(Registers& r, u32 max_polls) {
    for (u32 i = 0; i < max_polls; i++) {
        if ((r.read(reg::kIcrLow) & kIcrDeliveryPending) == 0) return true;
    }
    return false;
}

namespace {

constexpr u64 kNsPerMs = 1000000;

u32 clamp_count(u64 ticks) {
    if (ticks == 0) return 1;
    return ticks > 0xFFFFFFFFull ? 0xFFFFFFFFu : u32(ticks);
}

}  // namespace

u32 periodic_count(u64 ticks_per_ms, u32 hz) {
    if (ticks_per_ms == 0 || hz == 0) return 0;
    return clamp_count(ticks_per_ms * 1000 / hz);
}

u32 oneshot_count(u64 ticks_per_ms, u64 ns) {
    if (ticks_per_ms == 0) return 0;
    // Whole ms and the rest apart, so that ns * ticks_per_ms cannot overflow.
    const u64 whole = ns / kNsPerMs, rest = ns % kNsPerMs;
    if (whole > 0xFFFFFFFFull / ticks_per_ms) return 0xFFFFFFFFu;
    return clamp_count(whole * ticks_per_ms + rest * ticks_per_ms / kNsPerMs);
}

void timer_start(Registers& r, u32 count, u8 vector, bool periodic) {
    r.write(reg::kTimerDivide, kTimerDivideBy16);
    r.write(reg::kLvtTimer, u32(vector) | (periodic ? kLvtTimerPeriodic : 0));
    r.write(reg::kTimerInitial, count);
}

void timer_stop(Registers& r) {
    r.write(reg::kLvtTimer, kLvtMasked | kVectorLapicTimer);
    r.write(reg::kTimerInitial, 0);
}

Calibration calibrate(Registers& r, u64 (*now_ns)(), u64 window_ns, u64 max_polls) {
    Calibration c = {false, 0, 0, 0, 0};
    r.write(reg::kTimerDivide, kTimerDivideBy16);
    r.write(reg::kLvtTimer, kLvtMasked | kVectorLapicTimer);  // one-shot, no interrupt
    r.write(reg::kTimerInitial, 0xFFFFFFFFu);
    const u64 start = now_ns();
    if (start == 0) {  // the clock itself is not calibrated
        r.write(reg::kTimerInitial, 0);
        return c;
    }

    u64 now = start;
    while (now - start < window_ns && c.polls < max_polls) {
        now = now_ns();
        c.polls++;
    }
    const u32 current = r.read(reg::kTimerCurrent);
    const u64 end = now_ns();
    r.write(reg::kTimerInitial, 0);

    c.ticks = 0xFFFFFFFFull - current;
    c.elapsed_ns = end - start;
    // current == 0: the count ran out during the window, the rate is unknown.
    if (end <= start || c.elapsed_ns < window_ns || c.ticks == 0 || current == 0) return c;
    c.ticks_per_ms = c.ticks * kNsPerMs / c.elapsed_ns;
    c.ok = c.ticks_per_ms != 0;
    return c;
}

void pic_disable_sequence(u8 vector_base, PortWrite out[kPicDisableWrites]) {
    constexpr u16 kMasterCmd = 0x20, kMasterData = 0x21, kSlaveCmd = 0xA0, kSlaveData = 0xA1;
    constexpr u8 kIcw1Init = 0x11;   // ICW1: initialise, ICW4 follows, cascade, edge
    constexpr u8 kIcw4_8086 = 0x01;  // ICW4: 8086 mode, normal EOI
    const PortWrite seq[kPicDisableWrites] = {
        {kMasterCmd, kIcw1Init},
        {kSlaveCmd, kIcw1Init},
        {kMasterData, vector_base},           // ICW2: master vectors base..base+7
        {kSlaveData, u8(vector_base + 8)},    // ICW2: slave vectors base+8..base+15
        {kMasterData, 0x04},                  // ICW3: slave on master's IR2
        {kSlaveData, 0x02},                   // ICW3: slave's cascade identity 2
        {kMasterData, kIcw4_8086},
        {kSlaveData, kIcw4_8086},
        {kMasterData, 0xFF},                  // OCW1: mask all
        {kSlaveData, 0xFF},
    };
    for (usize i = 0; i < kPicDisableWrites; i++) out[i] = seq[i];
}

}  // namespace x86::lapic
