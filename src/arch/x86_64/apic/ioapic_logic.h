// I/O APIC logic that needs no hardware: the indirect register interface,
// redirection entry encoding, pin count check and GSI-to-pin lookup
// [82093AA datasheet 3.0]. ioapic.cpp supplies the MMIO registers; host
// tests a fake.
#pragma once

#include "lib/kstd/types.h"

namespace x86::ioapic {

// One I/O APIC's registers by index (IOREGSEL), read and written through
// IOWIN. The kernel's implementation serialises the select/window pairs.
class IoApicRegisters {
public:
    virtual u32 read(u8 index) = 0;
    virtual void write(u8 index, u32 value) = 0;

protected:
    ~IoApicRegisters() = default;
};

// MMIO offsets from the I/O APIC's base [82093AA 3.1].
constexpr u32 kIoRegSel = 0x00;
constexpr u32 kIoWin = 0x10;

// Register indices [82093AA 3.2].
namespace reg {
constexpr u8 kId = 0x00;
constexpr u8 kVersion = 0x01;
constexpr u8 kRedirectionBase = 0x10;  // pin n: 0x10 + 2n (low), 0x11 + 2n (high)
}  // namespace reg

constexpr u8 redirection_low(u32 pin) { return u8(reg::kRedirectionBase + 2 * pin); }
constexpr u8 redirection_high(u32 pin) { return u8(reg::kRedirectionBase + 2 * pin + 1); }

// IOREGSEL is 8 bits wide: pin 119's high half is index 0xFF, the last one.
constexpr u32 kMaxPins = 120;

// Redirection entry fields [82093AA 3.2.4]; delivery mode fixed (000b) and
// destination mode physical (bit 11 clear) are the zero values.
constexpr u64 kEntryVectorMask = 0xFF;
constexpr u64 kEntryActiveLow = 1ull << 13;
constexpr u64 kEntryLevel = 1ull << 15;
constexpr u64 kEntryMasked = 1ull << 16;
constexpr u32 kEntryDestShift = 56;  // physical mode: APIC id in bits 63:56
constexpr u32 kMaxDestination = 0xFF;

// Fixed delivery, physical destination `dest` (<= 255).
constexpr u64 redirection_entry(u8 vector, u32 dest, bool active_low, bool level, bool masked) {
    return u64(vector) | (active_low ? kEntryActiveLow : 0) | (level ? kEntryLevel : 0) |
           (masked ? kEntryMasked : 0) | (u64(dest & kMaxDestination) << kEntryDestShift);
}

// Pins from the version register (max redirection entry in bits 23:16, plus
// one). False for a version that reads as all ones (no device answers) or a
// pin count beyond kMaxPins; raw_version is set either way.
bool read_pin_count(IoApicRegisters& r, u32& pins, u32& raw_version);

u64 read_entry(IoApicRegisters& r, u32 pin);
// Writes the low half masked, then the high half, then the low half as
// given: the pin never fires with a half-written entry.
void write_entry(IoApicRegisters& r, u32 pin, u64 entry);
// Every pin masked, vector 0, destination 0.
void mask_all(IoApicRegisters& r, u32 pins);
void set_masked(IoApicRegisters& r, u32 pin, bool masked);

// The GSIs an I/O APIC serves: [gsi_base, gsi_base + pins).
struct GsiRange {
    u32 gsi_base;
    u32 pins;
};

// Index of the first range holding gsi, or -1.
i32 find_range(const GsiRange* ranges, usize count, u32 gsi);

enum class RouteError : u8 { kOk, kNoIoApic, kGsiNotServed, kVectorReserved, kDestinationTooWide };
const char* route_error_name(RouteError e);

struct RoutePlan {
    usize chip;  // index into the ranges
    u32 pin;
    u64 entry;   // unmasked
};

// Checks a route and computes where it goes and the entry to write. Vectors
// below 32 belong to exceptions; destinations above 255 do not fit the
// entry's physical destination field.
RouteError plan_route(const GsiRange* ranges, usize count, u32 gsi, u8 vector, u32 dest, bool active_low,
                      bool level, RoutePlan& out);

}  // namespace x86::ioapic
