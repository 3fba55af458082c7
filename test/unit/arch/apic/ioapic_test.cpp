// I/O APIC logic against a fake register file: pin count, redirection
// entries and the order they are written in, masking, GSI lookup and routes.
#include "arch/x86_64/apic/ioapic_logic.h"

#include <utility>
#include <vector>

// After the standard headers: CppUTest's leak-detecting new macros break them.
#include <CppUTest/TestHarness.h>

using namespace x86::ioapic;

namespace {

class FakeIoApic final : public IoApicRegisters {
public:
    u32 read(u8 index) override { return regs[index]; }
    void write(u8 index, u32 value) override {
        writes.push_back({index, value});
        regs[index] = value;
    }
    u64 entry(u32 pin) const {
        return (u64(regs[redirection_high(pin)]) << 32) | regs[redirection_low(pin)];
    }

    u32 regs[256] = {};
    std::vector<std::pair<u8, u32>> writes;
};

}  // namespace

TEST_GROUP(IoApicEntry){};

TEST(IoApicEntry, Encoding) {
    UNSIGNED_LONGS_EQUAL(0x0100000000000030ull, redirection_entry(0x30, 1, false, false, false));
    UNSIGNED_LONGS_EQUAL(0x0300000000002031ull, redirection_entry(0x31, 3, true, false, false));  // active low
    UNSIGNED_LONGS_EQUAL(0x0000000000008039ull, redirection_entry(0x39, 0, false, true, false));  // level
    UNSIGNED_LONGS_EQUAL(0xFF0000000001A040ull, redirection_entry(0x40, 0xFF, true, true, true));
    // Fixed delivery (10:8 = 0), physical (bit 11 = 0).
    CHECK_FALSE(redirection_entry(0xFF, 0xFF, true, true, true) & 0xF00);
}

TEST(IoApicEntry, RegisterIndices) {
    UNSIGNED_LONGS_EQUAL(0x10, redirection_low(0));
    UNSIGNED_LONGS_EQUAL(0x11, redirection_high(0));
    UNSIGNED_LONGS_EQUAL(0x14, redirection_low(2));
    UNSIGNED_LONGS_EQUAL(0x3F, redirection_high(23));
    UNSIGNED_LONGS_EQUAL(0xFF, redirection_high(kMaxPins - 1));
}

TEST(IoApicEntry, PinCountFromTheVersionRegister) {
    FakeIoApic io;
    u32 pins = 0, version = 0;
    io.regs[reg::kVersion] = 0x00170020;  // 82093AA-like: 24 pins
    CHECK(read_pin_count(io, pins, version));
    UNSIGNED_LONGS_EQUAL(24, pins);
    UNSIGNED_LONGS_EQUAL(0x00170020, version);

    io.regs[reg::kVersion] = 0x00770020;  // 120 pins: the last one IOREGSEL reaches
    CHECK(read_pin_count(io, pins, version));
    UNSIGNED_LONGS_EQUAL(120, pins);

    io.regs[reg::kVersion] = 0x00780020;  // 121 pins: beyond IOREGSEL
    CHECK_FALSE(read_pin_count(io, pins, version));

    io.regs[reg::kVersion] = 0xFFFFFFFF;  // nothing at that address
    CHECK_FALSE(read_pin_count(io, pins, version));
    UNSIGNED_LONGS_EQUAL(0xFFFFFFFF, version);
}

TEST(IoApicEntry, MaskAllMasksEveryPinAndNothingElse) {
    FakeIoApic io;
    for (u32 i = 0x10; i < 0x40; i++) io.regs[i] = 0x12345678;
    mask_all(io, 24);
    for (u32 pin = 0; pin < 24; pin++) {
        UNSIGNED_LONGS_EQUAL(0x10000, io.regs[redirection_low(pin)]);
        UNSIGNED_LONGS_EQUAL(0, io.regs[redirection_high(pin)]);
    }
    for (const auto& w : io.writes) CHECK(w.first >= 0x10 && w.first < 0x40);
    UNSIGNED_LONGS_EQUAL(0, io.regs[reg::kId]);

    FakeIoApic big;
    mask_all(big, 1000);  // a bogus count never reaches past index 0xFF
    UNSIGNED_LONGS_EQUAL(0x10000, big.regs[redirection_low(kMaxPins - 1)]);
}

TEST(IoApicEntry, WriteEntryKeepsThePinMaskedUntilTheLastWrite) {
    FakeIoApic io;
    const u64 e = redirection_entry(0x32, 2, false, false, false);
    write_entry(io, 2, e);
    UNSIGNED_LONGS_EQUAL(3, io.writes.size());
    UNSIGNED_LONGS_EQUAL(0x14, io.writes[0].first);
    UNSIGNED_LONGS_EQUAL(0x10032, io.writes[0].second);
    UNSIGNED_LONGS_EQUAL(0x15, io.writes[1].first);
    UNSIGNED_LONGS_EQUAL(0x02000000, io.writes[1].second);
    UNSIGNED_LONGS_EQUAL(0x14, io.writes[2].first);
    UNSIGNED_LONGS_EQUAL(0x32, io.writes[2].second);
    UNSIGNED_LONGS_EQUAL(e, io.entry(2));
    UNSIGNED_LONGS_EQUAL(e, read_entry(io, 2));
}

TEST(IoApicEntry, MaskAndUnmaskKeepTheRest) {
    FakeIoApic io;
    const u64 e = redirection_entry(0x39, 1, true, true, false);
    write_entry(io, 9, e);
    set_masked(io, 9, true);
    UNSIGNED_LONGS_EQUAL(e | kEntryMasked, io.entry(9));
    set_masked(io, 9, false);
    UNSIGNED_LONGS_EQUAL(e, io.entry(9));
}

TEST_GROUP(IoApicRoute){};

TEST(IoApicRoute, FindRange) {
    const GsiRange two[] = {{0, 24}, {24, 16}};
    LONGS_EQUAL(0, find_range(two, 2, 0));
    LONGS_EQUAL(0, find_range(two, 2, 23));
    LONGS_EQUAL(1, find_range(two, 2, 24));
    LONGS_EQUAL(1, find_range(two, 2, 39));
    LONGS_EQUAL(-1, find_range(two, 2, 40));
    LONGS_EQUAL(-1, find_range(two, 0, 0));
    const GsiRange high[] = {{0xFFFFFFF0u, 16}};
    LONGS_EQUAL(0, find_range(high, 1, 0xFFFFFFFFu));
    LONGS_EQUAL(-1, find_range(high, 1, 5));
}

TEST(IoApicRoute, PlanPicksChipPinAndEntry) {
    const GsiRange two[] = {{0, 24}, {24, 16}};
    RoutePlan p = {};
    CHECK(plan_route(two, 2, 2, 0x30, 0, false, false, p) == RouteError::kOk);  // PIT after IRQ0 -> GSI2
    UNSIGNED_LONGS_EQUAL(0, p.chip);
    UNSIGNED_LONGS_EQUAL(2, p.pin);
    UNSIGNED_LONGS_EQUAL(0x30, p.entry);
    CHECK(plan_route(two, 2, 26, 0x40, 3, true, true, p) == RouteError::kOk);
    UNSIGNED_LONGS_EQUAL(1, p.chip);
    UNSIGNED_LONGS_EQUAL(2, p.pin);
    UNSIGNED_LONGS_EQUAL(redirection_entry(0x40, 3, true, true, false), p.entry);
    CHECK_FALSE(p.entry & kEntryMasked);
}

TEST(IoApicRoute, BadRoutesHaveAReason) {
    const GsiRange one[] = {{0, 24}};
    RoutePlan p = {};
    CHECK(plan_route(one, 0, 2, 0x30, 0, false, false, p) == RouteError::kNoIoApic);
    CHECK(plan_route(one, 1, 24, 0x30, 0, false, false, p) == RouteError::kGsiNotServed);
    CHECK(plan_route(one, 1, 2, 0x1F, 0, false, false, p) == RouteError::kVectorReserved);
    CHECK(plan_route(one, 1, 2, 0x30, 256, false, false, p) == RouteError::kDestinationTooWide);
    STRCMP_EQUAL("no I/O APIC serves this GSI", route_error_name(RouteError::kGsiNotServed));
    STRCMP_EQUAL("no I/O APIC", route_error_name(RouteError::kNoIoApic));
}
