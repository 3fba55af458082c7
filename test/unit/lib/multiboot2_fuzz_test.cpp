// Robustness tests for the Multiboot2 parser: truncation and corruption at every byte.
#include "lib/multiboot2.h"

#include <string.h>

#include <CppUTest/TestHarness.h>

#include "multiboot2_builder.h"

using mb2::Error;

namespace {

mb2::Info g_info;

bool inside(const void* p, const u8* data, usize size) {
    const auto* b = static_cast<const u8*>(p);
    return b >= data && b < data + size;
}

// A string from Info must be the "absent" empty literal or end inside the block.
void check_string(const char* s, const u8* data, usize size) {
    CHECK(s != nullptr);
    if (!inside(s, data, size)) {
        BYTES_EQUAL(0, s[0]);
        return;
    }
    const auto* p = reinterpret_cast<const u8*>(s);
    CHECK(memchr(p, 0, static_cast<usize>(data + size - p)) != nullptr);
}

// What a successful parse promises its caller: every pointer lies inside the
// block and counts never exceed the arrays.
void check_info_within(const u8* data, usize size, const mb2::Info& info) {
    CHECK(info.total_size <= size);
    check_string(info.cmdline, data, size);
    check_string(info.bootloader_name, data, size);
    CHECK(info.module_count <= mb2::kMaxModules);
    CHECK(info.region_count <= mb2::kMaxMemoryRegions);
    for (usize i = 0; i < info.module_count; ++i) {
        check_string(info.modules[i].string, data, size);
        CHECK(info.modules[i].start <= info.modules[i].end);
    }
    if (info.rsdp != nullptr) {
        CHECK(inside(info.rsdp, data, size));
        CHECK(static_cast<const u8*>(info.rsdp) + info.rsdp_length <= data + size);
        CHECK(info.rsdp_length >= (info.rsdp_version == 2 ? mb2::kRsdpV2Size : mb2::kRsdpV1Size));
    }
}

// Deterministic pseudo-random numbers (a 64-bit LCG) so failures reproduce.
struct Lcg {
    u64 state;
    u32 next() {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<u32>(state >> 33);
    }
};

}  // namespace

TEST_GROUP(Multiboot2Fuzz){};

TEST(Multiboot2Fuzz, TruncatedAtEveryLength) {
    GoodBlock g;
    usize size = g.b.size();
    GuardedBuffer guard(Mb2Builder::kCapacity);
    static u8 copy[Mb2Builder::kCapacity];
    for (usize length = 0; length <= size; ++length) {
        // As handed over: total_size still claims the full block.
        u8* p = guard.place_at_end(g.b.data(), length);
        mb2::ParseResult r = mb2::parse(p, length, g_info);
        if (length == size) CHECK_TRUE(r.ok());
        else if (length < 8) LONGS_EQUAL(static_cast<int>(Error::kLimitTooSmall), static_cast<int>(r.error));
        else LONGS_EQUAL(static_cast<int>(Error::kTotalSizeExceedsLimit), static_cast<int>(r.error));

        // Consistently truncated: total_size says length too, so the tag walk runs
        // into the cut.
        memcpy(copy, g.b.data(), size);
        u32 total = static_cast<u32>(length);
        if (length >= 4) memcpy(copy, &total, 4);
        p = guard.place_at_end(copy, length);
        r = mb2::parse(p, length, g_info);
        CHECK_EQUAL(length == size, r.ok());
    }
}

TEST(Multiboot2Fuzz, EveryByteCorrupted) {
    GoodBlock g;
    usize size = g.b.size();
    GuardedBuffer guard(Mb2Builder::kCapacity);
    static u8 copy[Mb2Builder::kCapacity];
    for (usize pos = 0; pos < size; ++pos) {
        const u8 original = g.b.data()[pos];
        const u8 mutations[] = {0x00, 0xff, 0x01, 0x07, 0x08, 0x80, static_cast<u8>(original ^ 0x01),
                                static_cast<u8>(original ^ 0x10), static_cast<u8>(original + 8),
                                static_cast<u8>(original - 8)};
        for (u8 m : mutations) {
            memcpy(copy, g.b.data(), size);
            copy[pos] = m;
            u8* p = guard.place_at_end(copy, size);
            mb2::ParseResult r = mb2::parse(p, size, g_info);
            if (r.ok()) check_info_within(p, size, g_info);
        }
    }
}

TEST(Multiboot2Fuzz, RandomMultiByteCorruption) {
    GoodBlock g;
    usize size = g.b.size();
    GuardedBuffer guard(Mb2Builder::kCapacity);
    static u8 copy[Mb2Builder::kCapacity];
    Lcg rng{0x6c737461};
    for (int round = 0; round < 20000; ++round) {
        memcpy(copy, g.b.data(), size);
        u32 edits = 1 + rng.next() % 4;
        for (u32 e = 0; e < edits; ++e) copy[rng.next() % size] = static_cast<u8>(rng.next());
        // Sometimes also cut the block short, keeping total_size consistent.
        usize length = rng.next() % 4 == 0 ? 8 * (rng.next() % (size / 8 + 1)) : size;
        u8* p = guard.place_at_end(copy, length);
        mb2::ParseResult r = mb2::parse(p, length, g_info);
        if (r.ok()) check_info_within(p, length, g_info);
        char message[256];
        usize n = mb2::describe(r, message, sizeof(message));
        CHECK(n > 0);
    }
}
