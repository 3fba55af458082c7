// Local APIC logic that needs no hardware: register layout, ICR and LVT
// encodings, per-CPU programming, IPIs and timer set-up on any Registers, the
// IA32_APIC_BASE mode transitions and the timer calibration loop
// [SDM 3A ch. 11]. lapic.cpp supplies the real registers; host tests a fake.
#pragma once

#include "arch/x86_64/apic/lapic.h"
#include "lib/kstd/types.h"

namespace x86::lapic {

// Register offsets in the xAPIC page [SDM 3A 11.4.1, Table 11-1].
namespace reg {
constexpr u32 kId = 0x20;
constexpr u32 kVersion = 0x30;
constexpr u32 kTpr = 0x80;
constexpr u32 kEoi = 0xB0;
constexpr u32 kSvr = 0xF0;
constexpr u32 kEsr = 0x280;
constexpr u32 kLvtCmci = 0x2F0;
constexpr u32 kIcrLow = 0x300;
constexpr u32 kIcrHigh = 0x310;
constexpr u32 kLvtTimer = 0x320;
constexpr u32 kLvtThermal = 0x330;
constexpr u32 kLvtPerf = 0x340;
constexpr u32 kLvtLint0 = 0x350;
constexpr u32 kLvtLint1 = 0x360;
constexpr u32 kLvtError = 0x370;
constexpr u32 kTimerInitial = 0x380;
constexpr u32 kTimerCurrent = 0x390;
constexpr u32 kTimerDivide = 0x3E0;
}  // namespace reg

// IA32_APIC_BASE [SDM 3A 11.4.4, 11.12.1].
constexpr u32 kMsrApicBase = 0x1B;
constexpr u64 kApicBaseBsp = 1ull << 8;
constexpr u64 kApicBaseExtd = 1ull << 10;  // x2APIC mode
constexpr u64 kApicBaseEnable = 1ull << 11;
constexpr u64 kApicBaseAddressMask = 0x000FFFFFFFFFF000ull;

// x2APIC: register at xAPIC offset off is MSR 0x800 + off/16 [SDM 3A 11.12.1.2].
constexpr u32 kX2ApicMsrBase = 0x800;
constexpr u32 x2apic_msr(u32 offset) { return kX2ApicMsrBase + (offset >> 4); }

// SVR [SDM 3A 11.9].
constexpr u32 kSvrEnable = 1u << 8;

// LVT and ICR fields [SDM 3A 11.5.1, 11.6.1].
constexpr u32 kDeliveryFixed = 0u << 8;
constexpr u32 kDeliveryNmi = 4u << 8;
constexpr u32 kDeliveryInit = 5u << 8;
constexpr u32 kDeliveryStartup = 6u << 8;
constexpr u32 kIcrDeliveryPending = 1u << 12;  // xAPIC only; read-only
constexpr u32 kIcrLevelAssert = 1u << 14;      // 1 for everything but INIT level de-assert
constexpr u32 kIcrTriggerLevel = 1u << 15;
constexpr u32 kLvtMasked = 1u << 16;
constexpr u32 kLvtTimerPeriodic = 1u << 17;
constexpr u32 kIcrShorthandShift = 18;

// LVT LINT1 as NMI: delivery mode 100b, edge, active high, not masked.
constexpr u32 kLint1Nmi = kDeliveryNmi;

// Timer divide configuration [SDM 3A 11.5.4, Figure 11-10]: bits 3,1:0.
// Divide by 16: with QEMU's 1 GHz APIC clock that is 62500 ticks per ms, so a
// 32-bit count spans more than a minute while a tick stays under 20 ns.
constexpr u32 kTimerDivideBy16 = 0x3;
constexpr u32 kTimerDivisor = 16;

enum class Shorthand : u32 { kNone = 0, kSelf = 1, kAll = 2, kOthers = 3 };

// ICR low dword: vector, delivery mode, physical destination, level assert
// (required for every message but INIT de-assert), edge, shorthand.
constexpr u32 icr_low(u32 delivery, u8 vector, Shorthand shorthand) {
    return u32(vector) | delivery | kIcrLevelAssert | (u32(shorthand) << kIcrShorthandShift);
}

// The APIC id from the ID register: bits 31:24 in xAPIC, all 32 in x2APIC.
constexpr u32 decode_id(Mode mode, u32 raw) { return mode == Mode::kX2Apic ? raw : raw >> 24; }

const char* mode_name(Mode mode);

// Which mode to run in. x2APIC when the CPU has it unless force_xapic; but if
// the firmware already handed over in x2APIC mode, stay there (it does so only
// when some APIC id does not fit xAPIC's 8 bits [SDM 3A 11.12.8]).
struct ModeChoice {
    Mode mode;
    const char* why;
};
ModeChoice choose_mode(bool cpu_has_x2apic, bool force_xapic, u64 apic_base_msr);

// The IA32_APIC_BASE writes (at most 2, in order) that take this CPU from
// `current` to `want`, enabled: xAPIC -> x2APIC directly, disabled -> EN then
// EN|EXTD, x2APIC -> xAPIC through disabled [SDM 3A 11.12.5]. Address and
// BSP bits are kept. Returns the number of writes.
usize apic_base_writes(u64 current, Mode want, u64 out[2]);

// Highest LVT index (version register bits 23:16) [SDM 3A 11.4.8].
constexpr u32 max_lvt(u32 version) { return (version >> 16) & 0xFF; }

// Programs this CPU's APIC once it is enabled in IA32_APIC_BASE: SVR first
// (while software-disabled, LVT masks cannot be cleared [SDM 3A 11.4.7.2]),
// TPR 0, timer stopped and masked, LINT0 masked, LINT1 = NMI, performance,
// thermal and CMCI entries masked when the version register says they exist,
// error vector, ESR cleared. Returns the max LVT index read.
u32 program_cpu(Registers& r);

// IPIs through r.write_icr. Fixed vectors below 16 are illegal [SDM 3A
// 11.5.3]; in xAPIC mode the destination field has 8 bits.
enum class IpiResult : u8 { kSent, kIllegalVector, kDestinationTooWide };
const char* ipi_result_name(IpiResult r);

IpiResult send_ipi(Registers& r, u32 apic_id, u8 vector);
IpiResult send_ipi_shorthand(Registers& r, Shorthand shorthand, u8 vector);
IpiResult send_nmi(Registers& r, u32 apic_id);
IpiResult send_nmi_others(Registers& r);
IpiResult send_init(Registers& r, u32 apic_id);
IpiResult send_startup(Registers& r, u32 apic_id, u8 page);

// xAPIC: polls ICR low until the delivery status bit is clear; false after
// max_polls reads that all saw it set.
bool wait_icr_idle(Registers& r, u32 max_polls);

// Timer. Counts for the given rate / delay from the calibrated ticks per ms,
// clamped to [1, 0xFFFFFFFF]; 0 when ticks_per_ms or hz is 0.
u32 periodic_count(u64 ticks_per_ms, u32 hz);
u32 oneshot_count(u64 ticks_per_ms, u64 ns);
// LVT first, then the initial count, which starts the timer [SDM 3A 11.5.4].
void timer_start(Registers& r, u32 count, u8 vector, bool periodic);
void timer_stop(Registers& r);

// Calibration: runs the timer masked, one-shot, from 0xFFFFFFFF for at least
// window_ns of now_ns() time and converts the ticks counted into ticks per
// ms. ok is false (ticks_per_ms 0) if the clock stands at 0 or does not
// cover the window within max_polls polls, or the count did not move or ran
// out.
struct Calibration {
    bool ok;
    u64 ticks_per_ms;
    u64 ticks;       // counted during the window
    u64 elapsed_ns;  // clock time between the start and the read of the count
    u64 polls;
};
Calibration calibrate(Registers& r, u64 (*now_ns)(), u64 window_ns, u64 max_polls);

// The 8259 pair remapped to vectors base..base+15 and fully masked: ICW1-4
// to both chips, then OCW1 0xFF [8259A datasheet].
struct PortWrite {
    u16 port;
    u8 value;
};
constexpr usize kPicDisableWrites = 10;
void pic_disable_sequence(u8 vector_base, PortWrite out[kPicDisableWrites]);

}  // namespace x86::lapic
