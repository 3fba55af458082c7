// Where the AP trampoline may go: usable RAM below 1 MiB, page aligned,
// clear of the multiboot2 block and the modules.
#include "arch/x86_64/smp/placement.h"

#include <initializer_list>

// After the standard headers: CppUTest's leak-detecting new macros break them.
#include <CppUTest/TestHarness.h>

namespace {

constexpr u64 kBytes = 0x4000;
constexpr u64 kLo = 0x1000, kHi = 0x100000;

mb2::Info info_with(std::initializer_list<mb2::MemoryRegion> regions) {
    mb2::Info info{};
    for (const auto& r : regions) info.regions[info.region_count++] = r;
    return info;
}

}  // namespace

TEST_GROUP(TrampolinePlacement){};

TEST(TrampolinePlacement, LowestPageAboveTheIvtInAQemuMap) {
    mb2::Info info = info_with({{0, 0x9fc00, mb2::kMemoryAvailable},
                                {0x9fc00, 0x400, mb2::kMemoryReserved},
                                {0x100000, 0xfee0000, mb2::kMemoryAvailable}});
    UNSIGNED_LONGLONGS_EQUAL(0x1000, x86::find_trampoline_base(info, kBytes, nullptr, 0, kLo, kHi));
}

TEST(TrampolinePlacement, SkipsTheInfoBlockAndModules) {
    mb2::Info info = info_with({{0, 0x9fc00, mb2::kMemoryAvailable}});
    x86::PhysRange avoid[] = {{0x1000, 0x1200}, {0x4800, 0x9000}};
    // 0x2000..0x6000 would touch the module at 0x4800; 0x9000 is the first fit.
    UNSIGNED_LONGLONGS_EQUAL(0x9000, x86::find_trampoline_base(info, kBytes, avoid, 2, kLo, kHi));
}

TEST(TrampolinePlacement, UnalignedRegionStartIsRoundedUp) {
    mb2::Info info = info_with({{0x2345, 0x20000, mb2::kMemoryAvailable}});
    UNSIGNED_LONGLONGS_EQUAL(0x3000, x86::find_trampoline_base(info, kBytes, nullptr, 0, kLo, kHi));
}

TEST(TrampolinePlacement, RunMustFitInsideOneUsableRegion) {
    // Two usable regions separated by a reserved page: neither holds 16 KiB.
    mb2::Info info = info_with({{0x1000, 0x3000, mb2::kMemoryAvailable},
                                {0x4000, 0x1000, mb2::kMemoryReserved},
                                {0x5000, 0x3000, mb2::kMemoryAvailable}});
    UNSIGNED_LONGLONGS_EQUAL(0, x86::find_trampoline_base(info, kBytes, nullptr, 0, kLo, kHi));
}

TEST(TrampolinePlacement, NothingAtOrAboveOneMiB) {
    mb2::Info info = info_with({{0x100000, 0x1000000, mb2::kMemoryAvailable}});
    UNSIGNED_LONGLONGS_EQUAL(0, x86::find_trampoline_base(info, kBytes, nullptr, 0, kLo, kHi));
}

TEST(TrampolinePlacement, RegionEndingExactlyAtTheLimitFits) {
    mb2::Info info = info_with({{0xfc000, 0x4000, mb2::kMemoryAvailable}});
    UNSIGNED_LONGLONGS_EQUAL(0xfc000, x86::find_trampoline_base(info, kBytes, nullptr, 0, kLo, kHi));
}

TEST(TrampolinePlacement, ReservedMemoryIsNeverChosen) {
    mb2::Info info = info_with({{0x1000, 0x80000, mb2::kMemoryReserved}});
    UNSIGNED_LONGLONGS_EQUAL(0, x86::find_trampoline_base(info, kBytes, nullptr, 0, kLo, kHi));
}
