// Tests of mm::FrameAllocator against a fake physical memory (a host buffer at physical 0).
#include "kernel/mm/frame_allocator.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "CppUTest/TestHarness.h"

using mm::FrameAllocator;
using mm::FrameError;
using mm::PhysRange;

namespace {

constexpr u64 kKiB = 1024;
constexpr u64 kMiB = 1024 * kKiB;
constexpr u64 kGiB = 1024 * kMiB;
constexpr u64 kFrame = FrameAllocator::kFrameSize;

// Only the bitmap is ever written, and it always lands in low memory.
constexpr u64 kFakeBytes = 64 * kMiB;
alignas(4096) u8 g_phys[kFakeBytes];
usize g_p2v_calls = 0;

void* fake_p2v(u64 phys) {
    ++g_p2v_calls;
    CHECK_TRUE(phys < kFakeBytes);
    return g_phys + phys;
}

bool in_ranges(const std::vector<PhysRange>& ranges, u64 base, u64 end) {
    for (const PhysRange& r : ranges)
        if (r.base < end && base < r.end) return true;
    return false;
}

// Drains the allocator; returns every frame it handed out, in order.
std::vector<u64> drain(FrameAllocator& fa) {
    std::vector<u64> out;
    for (u64 p = fa.alloc(); p != 0; p = fa.alloc()) out.push_back(p);
    return out;
}

// Reference: frames [f, f+4K) wholly covered by the union of `usable`.
std::vector<bool> reference_usable(std::vector<PhysRange> usable, u64 limit) {
    std::sort(usable.begin(), usable.end(),
              [](const PhysRange& a, const PhysRange& b) { return a.base < b.base; });
    std::vector<PhysRange> merged;
    for (const PhysRange& r : usable) {
        if (r.end <= r.base) continue;
        if (!merged.empty() && r.base <= merged.back().end)
            merged.back().end = std::max(merged.back().end, r.end);
        else
            merged.push_back(r);
    }
    std::vector<bool> ok(limit / kFrame, false);
    for (const PhysRange& m : merged)
        for (u64 f = (m.base + kFrame - 1) / kFrame; (f + 1) * kFrame <= m.end && f < ok.size(); ++f)
            ok[f] = true;
    return ok;
}

}  // namespace

TEST_GROUP(FrameAllocator) {
    FrameAllocator fa;
    // Conventional memory, a hole for the ISA window, then 1..16 MiB with the kernel at 1..2 MiB.
    std::vector<PhysRange> usable{{0, 640 * kKiB}, {1 * kMiB, 16 * kMiB}};
    std::vector<PhysRange> reserved{{1 * kMiB, 2 * kMiB}};

    void init_default() {
        FrameError e = fa.init(usable.data(), usable.size(), reserved.data(), reserved.size(), fake_p2v);
        STRCMP_EQUAL("ok", mm::error_name(e));
    }
};

TEST(FrameAllocator, InitCountsFramesAndPlacesBitmapAfterKernel) {
    init_default();
    CHECK_TRUE(fa.initialized());
    UNSIGNED_LONGS_EQUAL(15 * kMiB / kFrame, fa.total_frames());
    UNSIGNED_LONGS_EQUAL(2 * kMiB, fa.bitmap_phys());
    UNSIGNED_LONGS_EQUAL(1, fa.bitmap_frames());
    UNSIGNED_LONGS_EQUAL(kMiB / kFrame + 1, fa.reserved_frames());
    UNSIGNED_LONGS_EQUAL(fa.total_frames() - fa.reserved_frames(), fa.free_frames());
}

TEST(FrameAllocator, ExhaustionReturnsEveryFreeFrameOnceLowestFirst) {
    init_default();
    usize free_before = fa.free_frames();
    std::vector<u64> got = drain(fa);
    UNSIGNED_LONGS_EQUAL(free_before, got.size());
    UNSIGNED_LONGS_EQUAL(0, fa.free_frames());
    LONGS_EQUAL(0, fa.alloc());
    LONGS_EQUAL(0, fa.alloc_contiguous(1));
    UNSIGNED_LONGS_EQUAL(2 * kMiB + kFrame, got.front());
    for (usize i = 1; i < got.size(); ++i) CHECK_TRUE(got[i - 1] < got[i]);
    for (u64 p : got) {
        CHECK_TRUE(p >= FrameAllocator::kLowMemoryEnd);
        CHECK_FALSE(in_ranges(reserved, p, p + kFrame));
        CHECK_FALSE(p >= fa.bitmap_phys() && p < fa.bitmap_phys() + fa.bitmap_frames() * kFrame);
        CHECK_TRUE(p + kFrame <= 16 * kMiB);
    }
}

TEST(FrameAllocator, FreeEverythingBackThenAllocateAgain) {
    init_default();
    usize free_before = fa.free_frames();
    std::vector<u64> got = drain(fa);
    for (u64 p : got) LONGS_EQUAL(FrameError::kOk, fa.free(p));
    UNSIGNED_LONGS_EQUAL(free_before, fa.free_frames());
    std::vector<u64> again = drain(fa);
    CHECK_TRUE(got == again);
}

TEST(FrameAllocator, DoubleFreeDetected) {
    init_default();
    u64 p = fa.alloc();
    LONGS_EQUAL(FrameError::kOk, fa.free(p));
    usize free_now = fa.free_frames();
    LONGS_EQUAL(FrameError::kDoubleFree, fa.free(p));
    UNSIGNED_LONGS_EQUAL(free_now, fa.free_frames());
    // A frame that was never handed out is free too.
    LONGS_EQUAL(FrameError::kDoubleFree, fa.free(15 * kMiB));
}

TEST(FrameAllocator, FreeErrorsArePrecise) {
    init_default();
    u64 p = fa.alloc();
    LONGS_EQUAL(FrameError::kMisaligned, fa.free(p + 8));
    LONGS_EQUAL(FrameError::kReserved, fa.free(0));
    LONGS_EQUAL(FrameError::kReserved, fa.free(0x1000));        // usable but below 1 MiB
    LONGS_EQUAL(FrameError::kReserved, fa.free(0xb8000));       // the VGA hole
    LONGS_EQUAL(FrameError::kReserved, fa.free(1 * kMiB));      // the kernel image
    LONGS_EQUAL(FrameError::kReserved, fa.free(fa.bitmap_phys()));
    LONGS_EQUAL(FrameError::kNotManaged, fa.free(16 * kMiB));   // just past the end of RAM
    LONGS_EQUAL(FrameError::kNotManaged, fa.free(4 * kGiB));
    LONGS_EQUAL(FrameError::kOk, fa.free(p));
}

TEST(FrameAllocator, HoleInsideTheSpanIsNotManaged) {
    usable = {{1 * kMiB, 4 * kMiB}, {8 * kMiB, 12 * kMiB}};
    reserved = {};
    init_default();
    UNSIGNED_LONGS_EQUAL(7 * kMiB / kFrame, fa.total_frames());
    LONGS_EQUAL(FrameError::kNotManaged, fa.free(6 * kMiB));
    std::vector<u64> got = drain(fa);
    for (u64 p : got) CHECK_FALSE(p >= 4 * kMiB && p < 8 * kMiB);
}

TEST(FrameAllocator, FirstMiBNeverReturnedEvenWhenUsable) {
    usable = {{0, 8 * kMiB}};
    reserved = {};
    init_default();
    UNSIGNED_LONGS_EQUAL(7 * kMiB / kFrame, fa.total_frames());
    UNSIGNED_LONGS_EQUAL(1 * kMiB, fa.bitmap_phys());
    for (u64 p : drain(fa)) CHECK_TRUE(p >= 1 * kMiB + kFrame);
}

TEST(FrameAllocator, UnalignedOverlappingUnsortedRanges) {
    usable = {
        {0x500000, 0x700000},  // overlaps the next one
        {0x400000, 0x600000},
        {0x300800, 0x302000},  // continues the next one inside frame 0x300000
        {0x300000, 0x300800},
        {0x100800, 0x200000},  // frame 0x100000 only partly usable
        {0x200000, 0x200400},  // frame 0x200000 only partly usable
        {0x900000, 0x900000},  // empty
        {0xa00000, 0x9ff000},  // inverted
    };
    reserved = {};
    init_default();
    // 0x101000..0x200000, 0x300000..0x302000, 0x400000..0x700000
    usize expected = (0x200000 - 0x101000) / kFrame + 2 + (0x700000 - 0x400000) / kFrame;
    UNSIGNED_LONGS_EQUAL(expected, fa.total_frames());
    UNSIGNED_LONGS_EQUAL(0x101000, fa.bitmap_phys());
    std::vector<u64> got = drain(fa);
    UNSIGNED_LONGS_EQUAL(expected - fa.bitmap_frames(), got.size());
    std::set<u64> unique(got.begin(), got.end());
    UNSIGNED_LONGS_EQUAL(got.size(), unique.size());
    CHECK_TRUE(unique.count(0x300000) == 1);
    CHECK_TRUE(unique.count(0x100000) == 0);
    CHECK_TRUE(unique.count(0x200000) == 0);
    LONGS_EQUAL(FrameError::kNotManaged, fa.free(0x200000));
}

TEST(FrameAllocator, ReservedRangesNeverReturned) {
    usable = {{0, 640 * kKiB}, {1 * kMiB, 32 * kMiB}};
    reserved = {
        {1 * kMiB, 3 * kMiB + 100},            // kernel, unaligned end: touches frame 3 MiB
        {5 * kMiB + 10, 5 * kMiB + 20},        // multiboot2 info: one frame
        {7 * kMiB - 1, 9 * kMiB + 1},          // a module straddling frame edges
        {20 * kMiB, 20 * kMiB + 4 * kFrame},   // another module
        {40 * kMiB, 50 * kMiB},                // outside RAM: harmless
    };
    init_default();
    UNSIGNED_LONGS_EQUAL(3 * kMiB + kFrame, fa.bitmap_phys());
    std::vector<u64> got = drain(fa);
    UNSIGNED_LONGS_EQUAL(fa.total_frames() - fa.reserved_frames(), got.size());
    for (u64 p : got) CHECK_FALSE(in_ranges(reserved, p, p + kFrame));
    UNSIGNED_LONGS_EQUAL((2 * kMiB + kFrame) + kFrame + (2 * kMiB + 2 * kFrame) + 4 * kFrame +
                             fa.bitmap_frames() * kFrame,
                         fa.reserved_frames() * kFrame);
    LONGS_EQUAL(FrameError::kReserved, fa.free(5 * kMiB));
    LONGS_EQUAL(FrameError::kReserved, fa.free(9 * kMiB));
}

TEST(FrameAllocator, BitmapSkipsRunsThatAreTooSmallOrReserved) {
    // 5 GiB of RAM: the bitmap needs 3 bits per frame (about 120 frames), which
    // do not fit in the small run at 2 MiB nor between the two modules.
    usable = {{0, 0x9fc00}, {1 * kMiB, 3 * kGiB}, {4 * kGiB, 6 * kGiB}};
    reserved = {
        {1 * kMiB, 2 * kMiB},
        {2 * kMiB + 64 * kFrame, 3 * kMiB},
        {3 * kMiB + 100 * kFrame, 3 * kMiB + 101 * kFrame},
    };
    init_default();
    usize frames = (5 * kGiB - 1 * kMiB) / kFrame;
    UNSIGNED_LONGS_EQUAL(frames, fa.total_frames());
    UNSIGNED_LONGS_EQUAL((3 * (((6 * kGiB - 1 * kMiB) / kFrame + 63) / 64) * 8 + kFrame - 1) / kFrame,
                         fa.bitmap_frames());
    CHECK_TRUE(fa.bitmap_frames() > 100);
    UNSIGNED_LONGS_EQUAL(3 * kMiB + 101 * kFrame, fa.bitmap_phys());
    // The small runs below the bitmap are still handed out first.
    UNSIGNED_LONGS_EQUAL(2 * kMiB, fa.alloc());
    UNSIGNED_LONGS_EQUAL(2 * kMiB + kFrame, fa.alloc());
}

TEST(FrameAllocator, InitFailures) {
    FrameError e = fa.init(usable.data(), usable.size(), nullptr, 0, nullptr);
    LONGS_EQUAL(FrameError::kInvalidArgument, e);
    CHECK_FALSE(fa.initialized());
    LONGS_EQUAL(FrameError::kInvalidArgument, fa.init(nullptr, 3, nullptr, 0, fake_p2v));

    usable = {{0, 640 * kKiB}, {0x100800, 0x101800}};
    LONGS_EQUAL(FrameError::kNoUsableMemory, fa.init(usable.data(), usable.size(), nullptr, 0, fake_p2v));

    // 1 TiB span but only 8 KiB runs: the bitmap fits nowhere, and nothing is written.
    usable = {{1 * kMiB, 1 * kMiB + 2 * kFrame}, {u64{1} << 40, (u64{1} << 40) + 2 * kFrame}};
    g_p2v_calls = 0;
    LONGS_EQUAL(FrameError::kNoRoomForBitmap, fa.init(usable.data(), usable.size(), nullptr, 0, fake_p2v));
    UNSIGNED_LONGS_EQUAL(0, g_p2v_calls);
    CHECK_FALSE(fa.initialized());
}

TEST(FrameAllocator, UninitializedAllocatorRefusesEverything) {
    LONGS_EQUAL(0, fa.alloc());
    LONGS_EQUAL(0, fa.alloc_contiguous(4, 4));
    LONGS_EQUAL(FrameError::kNotInitialized, fa.free(2 * kMiB));
}

TEST(FrameAllocator, ReusesLowestFreedFrameFirst) {
    init_default();
    u64 a = fa.alloc();
    u64 b = fa.alloc();
    u64 c = fa.alloc();
    CHECK_TRUE(a < b && b < c);
    LONGS_EQUAL(FrameError::kOk, fa.free(b));
    UNSIGNED_LONGS_EQUAL(b, fa.alloc());
    LONGS_EQUAL(FrameError::kOk, fa.free(c));
    LONGS_EQUAL(FrameError::kOk, fa.free(a));
    UNSIGNED_LONGS_EQUAL(a, fa.alloc());
    UNSIGNED_LONGS_EQUAL(c, fa.alloc());
}

TEST(FrameAllocator, ContiguousWithAlignment) {
    init_default();
    u64 first = fa.alloc();  // 2 MiB + 4 KiB: makes the next aligned run start higher
    u64 run = fa.alloc_contiguous(16, 16);
    UNSIGNED_LONGS_EQUAL(0, run % (16 * kFrame));
    UNSIGNED_LONGS_EQUAL(2 * kMiB + 16 * kFrame, run);
    u64 big = fa.alloc_contiguous(512, 512);  // a 2 MiB-aligned 2 MiB run
    UNSIGNED_LONGS_EQUAL(4 * kMiB, big);
    // The frames skipped for alignment are still handed out, lowest first.
    UNSIGNED_LONGS_EQUAL(first + kFrame, fa.alloc());
    for (usize i = 0; i < 16; ++i) LONGS_EQUAL(FrameError::kOk, fa.free(run + i * kFrame));
    for (usize i = 0; i < 16; ++i) LONGS_EQUAL(FrameError::kDoubleFree, fa.free(run + i * kFrame));
    LONGS_EQUAL(FrameError::kOk, fa.free_contiguous(big, 512));
    UNSIGNED_LONGS_EQUAL(big, fa.alloc_contiguous(512, 512));
    LONGS_EQUAL(0, fa.alloc_contiguous(3, 3));   // alignment not a power of two
    LONGS_EQUAL(0, fa.alloc_contiguous(0, 1));
    LONGS_EQUAL(0, fa.alloc_contiguous(16 * kMiB / kFrame, 1));  // more than is free
}

TEST(FrameAllocator, ContiguousNeedsARealRun) {
    init_default();
    std::vector<u64> got = drain(fa);
    for (usize i = 0; i < got.size(); i += 2) LONGS_EQUAL(FrameError::kOk, fa.free(got[i]));
    LONGS_EQUAL(0, fa.alloc_contiguous(2, 1));
    LONGS_EQUAL(FrameError::kOk, fa.free(got[101]));
    UNSIGNED_LONGS_EQUAL(got[100], fa.alloc_contiguous(3, 1));
    UNSIGNED_LONGS_EQUAL(got[0], fa.alloc());
}

TEST(FrameAllocator, FreeContiguousChecksEveryFrameFirst) {
    init_default();
    u64 run = fa.alloc_contiguous(8, 8);
    LONGS_EQUAL(FrameError::kOk, fa.free(run + 5 * kFrame));
    usize free_now = fa.free_frames();
    LONGS_EQUAL(FrameError::kDoubleFree, fa.free_contiguous(run, 8));
    UNSIGNED_LONGS_EQUAL(free_now, fa.free_frames());
    LONGS_EQUAL(FrameError::kOk, fa.free_contiguous(run, 5));
    LONGS_EQUAL(FrameError::kOk, fa.free_contiguous(run + 6 * kFrame, 2));
    LONGS_EQUAL(FrameError::kInvalidArgument, fa.free_contiguous(run, 0));
}

TEST(FrameAllocator, ErrorNamesAreDistinct) {
    std::set<std::string> names;
    for (int e = 0; e <= static_cast<int>(FrameError::kDoubleFree); ++e)
        names.insert(mm::error_name(static_cast<FrameError>(e)));
    UNSIGNED_LONGS_EQUAL(static_cast<usize>(FrameError::kDoubleFree) + 1, names.size());
}

// Random memory maps checked against a brute-force model of which frames may be handed out.
TEST(FrameAllocator, RandomMapsMatchReferenceModel) {
    u64 state = 0x9e3779b97f4a7c15ull;
    auto next = [&state]() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    constexpr u64 kLimit = 24 * kMiB;
    int verified = 0;
    for (int round = 0; round < 40; ++round) {
        usable.clear();
        reserved.clear();
        for (u64 n = 1 + next() % 8; n > 0; --n) {
            u64 base = next() % kLimit;
            usable.push_back({base, std::min(kLimit, base + next() % (6 * kMiB))});
        }
        for (u64 n = next() % 6; n > 0; --n) {
            u64 base = next() % kLimit;
            reserved.push_back({base, base + 1 + next() % (kMiB / 2)});
        }
        FrameError e = fa.init(usable.data(), usable.size(), reserved.data(), reserved.size(), fake_p2v);
        std::vector<bool> ok = reference_usable(usable, kLimit);
        for (u64 f = 0; f < kMiB / kFrame; ++f) ok[f] = false;
        usize total = static_cast<usize>(std::count(ok.begin(), ok.end(), true));
        if (e == FrameError::kNoUsableMemory) {
            UNSIGNED_LONGS_EQUAL(0, total);
            continue;
        }
        std::vector<bool> pool = ok;
        for (u64 f = 0; f < pool.size(); ++f)
            if (in_ranges(reserved, f * kFrame, (f + 1) * kFrame)) pool[f] = false;
        // Below 24 MiB the bitmap needs one frame, so it fits unless nothing is free.
        if (e == FrameError::kNoRoomForBitmap) {
            UNSIGNED_LONGS_EQUAL(0, std::count(pool.begin(), pool.end(), true));
            continue;
        }
        LONGS_EQUAL(FrameError::kOk, e);
        UNSIGNED_LONGS_EQUAL(total, fa.total_frames());
        // The bitmap sits on the lowest run of free frames long enough for it.
        u64 first_bitmap_frame = fa.bitmap_phys() / kFrame;
        u64 len = fa.bitmap_frames();
        auto run_ok = [&](u64 f) {
            for (u64 k = 0; k < len; ++k)
                if (f + k >= pool.size() || !pool[f + k]) return false;
            return true;
        };
        CHECK_TRUE(run_ok(first_bitmap_frame));
        for (u64 f = 0; f < first_bitmap_frame; ++f) CHECK_FALSE(run_ok(f));
        for (u64 k = 0; k < len; ++k) pool[first_bitmap_frame + k] = false;
        std::vector<u64> expected;
        for (u64 f = 0; f < pool.size(); ++f)
            if (pool[f]) expected.push_back(f * kFrame);
        CHECK_TRUE(expected == drain(fa));
        UNSIGNED_LONGS_EQUAL(total - expected.size(), fa.reserved_frames());
        ++verified;
    }
    CHECK_TRUE(verified >= 30);
}
