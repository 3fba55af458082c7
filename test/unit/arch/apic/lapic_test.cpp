// Local APIC logic against a fake register file: per-CPU programming, ICR
// encodings in both modes, mode transitions, timer counts and calibration,
// the 8259 disable sequence.
#include "arch/x86_64/apic/lapic_logic.h"

#include <map>
#include <utility>
#include <vector>

#include "arch/x86_64/cpu/vectors.h"

// After the standard headers: CppUTest's leak-detecting new macros break them.
#include <CppUTest/TestHarness.h>

using namespace x86::lapic;

namespace {

// A clock the fake timer and calibrate() share; each read advances it.
u64 g_now = 0;
u64 g_clock_step = 1000;
u64 fake_now() {
    g_now += g_clock_step;
    return g_now;
}
u64 stuck_zero_clock() { return 0; }
u64 stuck_clock() { return 5000; }

// Registers as a map; every write and ICR send recorded in order. The
// current-count register counts down from the last initial count at
// ticks_per_us of g_now time; ICR low reads pending for the first
// `busy_polls` reads.
class FakeRegisters final : public Registers {
public:
    explicit FakeRegisters(Mode m = Mode::kXApic) : mode_(m) {}

    Mode mode() const override { return mode_; }
    u32 read(u32 offset) override {
        if (offset == reg::kIcrLow && busy_polls > 0) {
            busy_polls--;
            icr_reads++;
            return values[offset] | kIcrDeliveryPending;
        }
        if (offset == reg::kIcrLow) icr_reads++;
        if (offset == reg::kTimerCurrent) {
            const u64 counted = (g_now - loaded_at) * ticks_per_us / 1000;
            return counted >= values[reg::kTimerInitial] ? 0 : u32(values[reg::kTimerInitial] - counted);
        }
        auto it = values.find(offset);
        return it == values.end() ? 0 : it->second;
    }
    void write(u32 offset, u32 value) override {
        writes.push_back({offset, value});
        values[offset] = value;
        if (offset == reg::kTimerInitial) loaded_at = g_now;
    }
    void write_icr(u32 destination, u32 low) override { icr.push_back({destination, low}); }

    // Value of the last write to offset; fails the test if there was none.
    u32 last(u32 offset) const {
        for (auto it = writes.rbegin(); it != writes.rend(); ++it) {
            if (it->first == offset) return it->second;
        }
        FAIL("register never written");
        return 0;
    }
    bool written(u32 offset) const {
        for (const auto& w : writes) {
            if (w.first == offset) return true;
        }
        return false;
    }
    // Position of the first write to offset, or -1.
    int first_write(u32 offset) const {
        for (size_t i = 0; i < writes.size(); i++) {
            if (writes[i].first == offset) return int(i);
        }
        return -1;
    }
    size_t count(u32 offset) const {
        size_t n = 0;
        for (const auto& w : writes) n += w.first == offset;
        return n;
    }

    std::map<u32, u32> values;
    std::vector<std::pair<u32, u32>> writes;
    std::vector<std::pair<u32, u32>> icr;  // destination, low
    u32 busy_polls = 0;
    u32 icr_reads = 0;
    u64 ticks_per_us = 62;
    u64 loaded_at = 0;

private:
    Mode mode_;
};

constexpr u32 kQemuVersion = 0x00050014;  // max LVT 5: timer, thermal, perf, LINT0/1, error

}  // namespace

TEST_GROUP(LapicProgram){};

TEST(LapicProgram, EnablesWithSpuriousVectorTprZeroLintsAndError) {
    FakeRegisters r;
    r.values[reg::kVersion] = kQemuVersion;
    UNSIGNED_LONGS_EQUAL(5, program_cpu(r));
    UNSIGNED_LONGS_EQUAL(0x1FF, r.last(reg::kSvr));  // enable | 0xFF
    UNSIGNED_LONGS_EQUAL(0x100 | x86::kVectorSpurious, r.last(reg::kSvr));
    UNSIGNED_LONGS_EQUAL(0, r.last(reg::kTpr));
    UNSIGNED_LONGS_EQUAL(0x10000, r.last(reg::kLvtLint0) & 0x10000);
    UNSIGNED_LONGS_EQUAL(0x400, r.last(reg::kLvtLint1));
    UNSIGNED_LONGS_EQUAL(x86::kVectorLapicError, r.last(reg::kLvtError));
    UNSIGNED_LONGS_EQUAL(0x10000 | x86::kVectorLapicTimer, r.last(reg::kLvtTimer));
    UNSIGNED_LONGS_EQUAL(0, r.last(reg::kTimerInitial));
    UNSIGNED_LONGS_EQUAL(0x10000, r.last(reg::kLvtPerf));
    UNSIGNED_LONGS_EQUAL(0x10000, r.last(reg::kLvtThermal));
    CHECK_FALSE(r.written(reg::kLvtCmci));
    UNSIGNED_LONGS_EQUAL(2, r.count(reg::kEsr));
    UNSIGNED_LONGS_EQUAL(0, r.last(reg::kEsr));
    CHECK_FALSE(r.written(reg::kIcrLow) || r.written(reg::kIcrHigh) || r.written(reg::kEoi));
}

TEST(LapicProgram, SvrIsWrittenBeforeEveryLvtEntry) {
    FakeRegisters r;
    r.values[reg::kVersion] = 0x00060015;
    program_cpu(r);
    const int svr = r.first_write(reg::kSvr);
    CHECK(svr >= 0);
    for (u32 lvt : {reg::kLvtTimer, reg::kLvtLint0, reg::kLvtLint1, reg::kLvtError, reg::kLvtPerf,
                    reg::kLvtThermal, reg::kLvtCmci}) {
        CHECK(r.first_write(lvt) > svr);
    }
    CHECK(r.first_write(reg::kEsr) > r.first_write(reg::kLvtError));
}

TEST(LapicProgram, Lint1IsNmiOnEveryCpu) {
    // BSP with SeaBIOS's LINT1 = NMI, an AP fresh from INIT (all LVTs masked),
    // and one with LINT1 left as something else: always 0x400 afterwards.
    for (u32 before : {0x400u, 0x10000u, 0x10700u, 0x0u}) {
        FakeRegisters r;
        r.values[reg::kVersion] = kQemuVersion;
        r.values[reg::kLvtLint1] = before;
        r.values[reg::kLvtLint0] = 0x700;  // ExtINT, unmasked, as firmware may leave it on the BSP
        program_cpu(r);
        UNSIGNED_LONGS_EQUAL(0x400, r.last(reg::kLvtLint1));
        UNSIGNED_LONGS_EQUAL(0x400, r.read(reg::kLvtLint1));
        CHECK(r.read(reg::kLvtLint0) & kLvtMasked);
    }
}

TEST(LapicProgram, CallingAgainProgramsTheSameValues) {
    FakeRegisters r;
    r.values[reg::kVersion] = kQemuVersion;
    program_cpu(r);
    const auto first = r.writes;
    r.writes.clear();
    program_cpu(r);
    CHECK(first == r.writes);
}

TEST(LapicProgram, X2ApicGetsTheSameProgramming) {
    FakeRegisters x(Mode::kXApic), x2(Mode::kX2Apic);
    x.values[reg::kVersion] = x2.values[reg::kVersion] = kQemuVersion;
    program_cpu(x);
    program_cpu(x2);
    CHECK(x.writes == x2.writes);
}

TEST(LapicProgram, LvtEntriesThatDoNotExistAreLeftAlone) {
    FakeRegisters r;
    r.values[reg::kVersion] = 0x00030010;  // max LVT 3: no perf, thermal or CMCI entry
    UNSIGNED_LONGS_EQUAL(3, program_cpu(r));
    CHECK_FALSE(r.written(reg::kLvtPerf) || r.written(reg::kLvtThermal) || r.written(reg::kLvtCmci));
    UNSIGNED_LONGS_EQUAL(0x400, r.last(reg::kLvtLint1));

    FakeRegisters cmci;
    cmci.values[reg::kVersion] = 0x00060015;  // 7 LVT entries: CMCI too
    program_cpu(cmci);
    UNSIGNED_LONGS_EQUAL(0x10000, cmci.last(reg::kLvtCmci));
}

TEST_GROUP(LapicIpi){};

TEST(LapicIpi, FixedIsVectorLevelAssertEdgePhysical) {
    FakeRegisters r;
    CHECK(send_ipi(r, 3, x86::kVectorCallFunction) == IpiResult::kSent);
    UNSIGNED_LONGS_EQUAL(1, r.icr.size());
    UNSIGNED_LONGS_EQUAL(3, r.icr[0].first);
    UNSIGNED_LONGS_EQUAL(0x40F1, r.icr[0].second);
    CHECK_FALSE(r.icr[0].second & kIcrTriggerLevel);
}

TEST(LapicIpi, InitStartupAndNmiEncodings) {
    for (Mode m : {Mode::kXApic, Mode::kX2Apic}) {
        FakeRegisters r(m);
        CHECK(send_init(r, 1) == IpiResult::kSent);
        CHECK(send_startup(r, 1, 0x08) == IpiResult::kSent);
        CHECK(send_nmi(r, 2) == IpiResult::kSent);
        UNSIGNED_LONGS_EQUAL(3, r.icr.size());
        UNSIGNED_LONGS_EQUAL(0x4500, r.icr[0].second);  // INIT 101b, assert, edge
        UNSIGNED_LONGS_EQUAL(0x4608, r.icr[1].second);  // STARTUP 110b, vector = page
        UNSIGNED_LONGS_EQUAL(0x4400, r.icr[2].second);  // NMI 100b
        UNSIGNED_LONGS_EQUAL(1, r.icr[0].first);
        UNSIGNED_LONGS_EQUAL(1, r.icr[1].first);
        UNSIGNED_LONGS_EQUAL(2, r.icr[2].first);
    }
}

TEST(LapicIpi, Shorthands) {
    FakeRegisters r;
    CHECK(send_ipi_shorthand(r, Shorthand::kSelf, 0xF2) == IpiResult::kSent);
    CHECK(send_ipi_shorthand(r, Shorthand::kAll, 0xF2) == IpiResult::kSent);
    CHECK(send_ipi_shorthand(r, Shorthand::kOthers, 0xF2) == IpiResult::kSent);
    CHECK(send_nmi_others(r) == IpiResult::kSent);
    UNSIGNED_LONGS_EQUAL(4, r.icr.size());
    UNSIGNED_LONGS_EQUAL(0x440F2, r.icr[0].second);  // 01b self
    UNSIGNED_LONGS_EQUAL(0x840F2, r.icr[1].second);  // 10b all including self
    UNSIGNED_LONGS_EQUAL(0xC40F2, r.icr[2].second);  // 11b all excluding self
    UNSIGNED_LONGS_EQUAL(0xC4400, r.icr[3].second);
    for (const auto& s : r.icr) UNSIGNED_LONGS_EQUAL(0, s.first);
}

TEST(LapicIpi, IllegalVectorsAreNotSent) {
    FakeRegisters r;
    CHECK(send_ipi(r, 0, 15) == IpiResult::kIllegalVector);
    CHECK(send_ipi_shorthand(r, Shorthand::kOthers, 0) == IpiResult::kIllegalVector);
    CHECK(send_ipi(r, 0, 16) == IpiResult::kSent);
    UNSIGNED_LONGS_EQUAL(1, r.icr.size());
}

TEST(LapicIpi, WideDestinationsNeedX2Apic) {
    FakeRegisters x(Mode::kXApic), x2(Mode::kX2Apic);
    CHECK(send_ipi(x, 256, 0xF1) == IpiResult::kDestinationTooWide);
    CHECK(send_init(x, 0x1000) == IpiResult::kDestinationTooWide);
    CHECK(send_ipi(x, 255, 0xF1) == IpiResult::kSent);
    UNSIGNED_LONGS_EQUAL(1, x.icr.size());
    CHECK(send_startup(x2, 0x12345, 0x09) == IpiResult::kSent);
    UNSIGNED_LONGS_EQUAL(0x12345, x2.icr[0].first);
    STRCMP_EQUAL("destination above 255 in xapic mode", ipi_result_name(IpiResult::kDestinationTooWide));
}

TEST(LapicIpi, DeliveryStatusPollIsBounded) {
    FakeRegisters r;
    r.busy_polls = 3;
    CHECK(wait_icr_idle(r, 10));
    UNSIGNED_LONGS_EQUAL(4, r.icr_reads);

    FakeRegisters stuck;
    stuck.busy_polls = 1000;
    CHECK_FALSE(wait_icr_idle(stuck, 10));
    UNSIGNED_LONGS_EQUAL(10, stuck.icr_reads);
}

TEST_GROUP(LapicMode){};

TEST(LapicMode, X2ApicMsrNumbers) {
    UNSIGNED_LONGS_EQUAL(0x802, x2apic_msr(reg::kId));
    UNSIGNED_LONGS_EQUAL(0x808, x2apic_msr(reg::kTpr));
    UNSIGNED_LONGS_EQUAL(0x80B, x2apic_msr(reg::kEoi));
    UNSIGNED_LONGS_EQUAL(0x80F, x2apic_msr(reg::kSvr));
    UNSIGNED_LONGS_EQUAL(0x828, x2apic_msr(reg::kEsr));
    UNSIGNED_LONGS_EQUAL(0x830, x2apic_msr(reg::kIcrLow));
    UNSIGNED_LONGS_EQUAL(0x836, x2apic_msr(reg::kLvtLint1));
    UNSIGNED_LONGS_EQUAL(0x838, x2apic_msr(reg::kTimerInitial));
    UNSIGNED_LONGS_EQUAL(0x83E, x2apic_msr(reg::kTimerDivide));
}

TEST(LapicMode, IdDecoding) {
    UNSIGNED_LONGS_EQUAL(3, decode_id(Mode::kXApic, 0x03000000));
    UNSIGNED_LONGS_EQUAL(0xFF, decode_id(Mode::kXApic, 0xFF00ABCD));
    UNSIGNED_LONGS_EQUAL(0x12345678, decode_id(Mode::kX2Apic, 0x12345678));
}

TEST(LapicMode, Choice) {
    const u64 xapic = 0xFEE00000 | kApicBaseBsp | kApicBaseEnable;
    const u64 x2apic = xapic | kApicBaseExtd;
    CHECK(choose_mode(false, false, xapic).mode == Mode::kXApic);  // QEMU TCG: no x2APIC
    CHECK(choose_mode(true, false, xapic).mode == Mode::kX2Apic);  // Bochs Skylake-X
    CHECK(choose_mode(true, true, xapic).mode == Mode::kXApic);
    CHECK(choose_mode(true, true, x2apic).mode == Mode::kX2Apic);  // firmware left x2APIC on
    CHECK(choose_mode(false, false, 0).mode == Mode::kXApic);
    STRCMP_EQUAL("x2apic", mode_name(Mode::kX2Apic));
    STRCMP_EQUAL("xapic", mode_name(Mode::kXApic));
}

TEST(LapicMode, ApicBaseTransitions) {
    const u64 addr = 0xFEE00000 | kApicBaseBsp;
    u64 w[2] = {0, 0};
    // xAPIC -> x2APIC: one write, address and BSP flag kept.
    UNSIGNED_LONGS_EQUAL(1, apic_base_writes(addr | kApicBaseEnable, Mode::kX2Apic, w));
    UNSIGNED_LONGS_EQUAL(addr | kApicBaseEnable | kApicBaseExtd, w[0]);
    // disabled -> x2APIC: EN first, then EXTD.
    UNSIGNED_LONGS_EQUAL(2, apic_base_writes(addr, Mode::kX2Apic, w));
    UNSIGNED_LONGS_EQUAL(addr | kApicBaseEnable, w[0]);
    UNSIGNED_LONGS_EQUAL(addr | kApicBaseEnable | kApicBaseExtd, w[1]);
    // Already there: nothing.
    UNSIGNED_LONGS_EQUAL(0, apic_base_writes(addr | kApicBaseEnable | kApicBaseExtd, Mode::kX2Apic, w));
    UNSIGNED_LONGS_EQUAL(0, apic_base_writes(addr | kApicBaseEnable, Mode::kXApic, w));
    // disabled -> xAPIC.
    UNSIGNED_LONGS_EQUAL(1, apic_base_writes(addr, Mode::kXApic, w));
    UNSIGNED_LONGS_EQUAL(addr | kApicBaseEnable, w[0]);
    // x2APIC -> xAPIC only through disabled.
    UNSIGNED_LONGS_EQUAL(2, apic_base_writes(addr | kApicBaseEnable | kApicBaseExtd, Mode::kXApic, w));
    UNSIGNED_LONGS_EQUAL(addr, w[0]);
    UNSIGNED_LONGS_EQUAL(addr | kApicBaseEnable, w[1]);
}

TEST_GROUP(LapicTimer) {
    void setup() override {
        g_now = 1000000;
        g_clock_step = 1000;
    }
};

TEST(LapicTimer, Counts) {
    UNSIGNED_LONGS_EQUAL(625000, periodic_count(62500, 100));
    UNSIGNED_LONGS_EQUAL(0, periodic_count(62500, 0));
    UNSIGNED_LONGS_EQUAL(0, periodic_count(0, 100));
    UNSIGNED_LONGS_EQUAL(1, periodic_count(1, 1000000));  // too fast: at least one tick
    UNSIGNED_LONGS_EQUAL(62500, oneshot_count(62500, 1000000));
    UNSIGNED_LONGS_EQUAL(93, oneshot_count(62500, 1500));
    UNSIGNED_LONGS_EQUAL(1, oneshot_count(62500, 0));
    UNSIGNED_LONGS_EQUAL(0xFFFFFFFFu, oneshot_count(62500, 3600ull * 1000000000));  // an hour: clamped
    UNSIGNED_LONGS_EQUAL(0xFFFFFFFFu, oneshot_count(1000000, ~0ull));                 // no overflow
    UNSIGNED_LONGS_EQUAL(0, oneshot_count(0, 1000));
}

TEST(LapicTimer, StartWritesLvtBeforeTheInitialCount) {
    FakeRegisters r;
    timer_start(r, 625000, x86::kVectorLapicTimer, true);
    UNSIGNED_LONGS_EQUAL(3, r.writes.size());
    UNSIGNED_LONGS_EQUAL(reg::kTimerDivide, r.writes[0].first);
    UNSIGNED_LONGS_EQUAL(kTimerDivideBy16, r.writes[0].second);
    UNSIGNED_LONGS_EQUAL(reg::kLvtTimer, r.writes[1].first);
    UNSIGNED_LONGS_EQUAL(0x200F0, r.writes[1].second);  // periodic, unmasked, vector 0xF0
    UNSIGNED_LONGS_EQUAL(reg::kTimerInitial, r.writes[2].first);
    UNSIGNED_LONGS_EQUAL(625000, r.writes[2].second);

    FakeRegisters once;
    timer_start(once, 50, 0xF0, false);
    UNSIGNED_LONGS_EQUAL(0xF0, once.last(reg::kLvtTimer));

    timer_stop(once);
    CHECK(once.last(reg::kLvtTimer) & kLvtMasked);
    UNSIGNED_LONGS_EQUAL(0, once.last(reg::kTimerInitial));
}

TEST(LapicTimer, CalibrationMeasuresTheTimerAgainstTheClock) {
    FakeRegisters r;
    r.ticks_per_us = 62;  // 62000 per ms
    Calibration c = calibrate(r, fake_now, 10000000, 100000000);
    CHECK(c.ok);
    CHECK(c.elapsed_ns >= 10000000);
    CHECK(c.ticks_per_ms >= 61900 && c.ticks_per_ms <= 62100);
    // Masked one-shot while measuring, stopped afterwards.
    UNSIGNED_LONGS_EQUAL(0x10000 | x86::kVectorLapicTimer, r.last(reg::kLvtTimer));
    UNSIGNED_LONGS_EQUAL(kTimerDivideBy16, r.last(reg::kTimerDivide));
    UNSIGNED_LONGS_EQUAL(0, r.last(reg::kTimerInitial));
    UNSIGNED_LONGS_EQUAL(2, r.count(reg::kTimerInitial));
}

TEST(LapicTimer, CalibrationWithASlowTimerAndCoarseClock) {
    // A slow timer (1 tick per us) read against a clock that moves in 1 ms steps.
    FakeRegisters r;
    r.ticks_per_us = 1;
    g_clock_step = 1000000;
    Calibration c = calibrate(r, fake_now, 10000000, 1000);
    CHECK(c.ok);
    CHECK(c.ticks_per_ms >= 900 && c.ticks_per_ms <= 1100);
}

TEST(LapicTimer, CalibrationFailuresAreReportedNotHung) {
    FakeRegisters zero;
    Calibration c = calibrate(zero, stuck_zero_clock, 10000000, 100000000);
    CHECK_FALSE(c.ok);
    UNSIGNED_LONGS_EQUAL(0, c.ticks_per_ms);
    UNSIGNED_LONGS_EQUAL(0, c.polls);
    UNSIGNED_LONGS_EQUAL(0, zero.last(reg::kTimerInitial));

    FakeRegisters stuck;
    c = calibrate(stuck, stuck_clock, 10000000, 5000);
    CHECK_FALSE(c.ok);
    UNSIGNED_LONGS_EQUAL(5000, c.polls);

    FakeRegisters dead;  // the count never moves
    dead.ticks_per_us = 0;
    c = calibrate(dead, fake_now, 10000000, 100000000);
    CHECK_FALSE(c.ok);
    UNSIGNED_LONGS_EQUAL(0, c.ticks);

    FakeRegisters fast;  // runs out during the window
    fast.ticks_per_us = 1000000;
    c = calibrate(fast, fake_now, 10000000, 100000000);
    CHECK_FALSE(c.ok);
}

TEST_GROUP(Pic8259){};

TEST(Pic8259, RemappedAndMasked) {
    PortWrite w[kPicDisableWrites];
    pic_disable_sequence(x86::kVectorPicBase, w);
    UNSIGNED_LONGS_EQUAL(0x20, w[0].port);
    UNSIGNED_LONGS_EQUAL(0x11, w[0].value);
    UNSIGNED_LONGS_EQUAL(0xA0, w[1].port);
    UNSIGNED_LONGS_EQUAL(0x11, w[1].value);
    UNSIGNED_LONGS_EQUAL(0x21, w[2].port);
    UNSIGNED_LONGS_EQUAL(0x20, w[2].value);  // master: vectors 0x20-0x27
    UNSIGNED_LONGS_EQUAL(0xA1, w[3].port);
    UNSIGNED_LONGS_EQUAL(0x28, w[3].value);  // slave: vectors 0x28-0x2F
    UNSIGNED_LONGS_EQUAL(0x04, w[4].value);
    UNSIGNED_LONGS_EQUAL(0x02, w[5].value);
    UNSIGNED_LONGS_EQUAL(0x21, w[8].port);
    UNSIGNED_LONGS_EQUAL(0xFF, w[8].value);
    UNSIGNED_LONGS_EQUAL(0xA1, w[9].port);
    UNSIGNED_LONGS_EQUAL(0xFF, w[9].value);
}
