// I/O APIC logic on any IoApicRegisters: pin count, redirection entries,
// GSI lookup and route checks [82093AA datasheet 3.2].
#include "arch/x86_64/apic/ioapic_logic.h"

namespace x86::ioapic {

bool read_pin_count(IoApicRegisters& r, u32& pins, u32& raw_version) {
    raw_version = r.read(reg::kVersion);
    pins = ((raw_version >> 16) & 0xFF) + 1;
    return raw_version != 0xFFFFFFFFu && pins <= kMaxPins;
}

u64 read_entry(IoApicRegisters& r, u32 pin) {
    const u64 low = r.read(redirection_low(pin));
    const u64 high = r.read(redirection_high(pin));
    return (high << 32) | low;
}

void write_entry(IoApicRegisters& r, u32 pin, u64 entry) {
    r.write(redirection_low(pin), u32(entry | kEntryMasked));
    r.write(redirection_high(pin), u32(entry >> 32));
    r.write(redirection_low(pin), u32(entry));
}

void mask_all(IoApicRegisters& r, u32 pins) {
    for (u32 pin = 0; pin < pins && pin < kMaxPins; pin++) write_entry(r, pin, kEntryMasked);
}

void set_masked(IoApicRegisters& r, u32 pin, bool masked) {
    const u32 low = r.read(redirection_low(pin));
    r.write(redirection_low(pin), masked ? low | u32(kEntryMasked) : low & ~u32(kEntryMasked));
}

i32 find_range(const GsiRange* ranges, usize count, u32 gsi) {
    for (usize i = 0; i < count; i++) {
        if (gsi >= ranges[i].gsi_base && gsi - ranges[i].gsi_base < ranges[i].pins) return i32(i);
    }
    return -1;
}

const char* route_error_name(RouteError e) {
    switch (e) {
    case RouteError::kOk: return "ok";
    case RouteError::kNoIoApic: return "no I/O APIC";
    case RouteError::kGsiNotServed: return "no I/O APIC serves this GSI";
    case RouteError::kVectorReserved: return "vector below 32 (exceptions)";
    case RouteError::kDestinationTooWide: return "destination APIC id above 255";
    }
    return "?";
}

RouteError plan_route(const GsiRange* ranges, usize count, u32 gsi, u8 vector, u32 dest, bool active_low,
                      bool level, RoutePlan& out) {
    if (count == 0) return RouteError::kNoIoApic;
    if (vector < 32) return RouteError::kVectorReserved;
    if (dest > kMaxDestination) return RouteError::kDestinationTooWide;
    const i32 chip = find_range(ranges, count, gsi);
    if (chip < 0) return RouteError::kGsiNotServed;
    out.chip = usize(chip);
    out.pin = gsi - ranges[chip].gsi_base;
    out.entry = redirection_entry(vector, dest, active_low, level, false);
    return RouteError::kOk;
}

}  // namespace x86::ioapic
