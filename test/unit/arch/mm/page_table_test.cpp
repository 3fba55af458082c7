// Tests of x86::PageTable against a fake physical memory of page-table frames and a TLB recorder.
#include "arch/x86_64/mm/page_table.h"

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "CppUTest/TestHarness.h"

using x86::PageFlags;
using x86::PageSize;
using x86::PageTable;
using x86::PageTableError;
using x86::Translation;

namespace {

constexpr u64 kKiB = 1024;
constexpr u64 kMiB = 1024 * kKiB;
constexpr u64 kGiB = 1024 * kMiB;
constexpr u64 k4K = 4 * kKiB;
constexpr u64 k2M = 2 * kMiB;
constexpr u64 kHigh = 0xffff800000000000;  // first upper-half address

constexpr usize kPoolFrames = 128;
alignas(4096) u8 g_pool[kPoolFrames][4096];

// Page-table frames live at physical kBase + i * 4 KiB; a budget caps how many
// may be live at once so tests can run out of memory on purpose.
class FakeTableMemory : public x86::PageTableMemory {
public:
    static constexpr u64 kBase = 0x10000000;

    FakeTableMemory() { std::memset(g_pool, 0xcc, sizeof g_pool); }

    void* phys_to_virt(u64 phys) override {
        CHECK_TRUE(phys >= kBase && phys < kBase + kPoolFrames * 4096);
        u64 i = (phys - kBase) / 4096;
        CHECK_TRUE(used_[i]);  // never touch a frame that is not a live table
        return &g_pool[i][phys % 4096];
    }
    u64 alloc_table() override {
        if (live_ >= budget) return 0;
        for (usize i = 0; i < kPoolFrames; ++i) {
            if (used_[i]) continue;
            used_[i] = true;
            ++live_;
            std::memset(g_pool[i], 0, 4096);
            return kBase + i * 4096;
        }
        return 0;
    }
    void free_table(u64 phys) override {
        CHECK_TRUE(phys >= kBase && (phys - kBase) % 4096 == 0);
        u64 i = (phys - kBase) / 4096;
        CHECK_TRUE(used_[i]);
        used_[i] = false;
        --live_;
        std::memset(g_pool[i], 0xcc, 4096);
    }

    usize live() const { return live_; }
    usize budget = kPoolFrames;

private:
    bool used_[kPoolFrames] = {};
    usize live_ = 0;
};

class FakeTlb : public x86::TlbInvalidator {
public:
    void invalidate(u64 virt) override { calls.push_back(virt); }
    std::vector<u64> calls;
};

}  // namespace

TEST_GROUP(PageTable) {
    FakeTableMemory mem;
    FakeTlb tlb;
    PageTable pt;

    void setup() override { pt = PageTable::create(mem, tlb, true); }

    // The raw entry for `virt` at `level` (4 = PML4 .. 1 = PT), following present non-leaf entries.
    u64 raw(const PageTable& t, u64 virt, int level) {
        u64 phys = t.pml4_phys();
        for (int l = 4;; --l) {
            u64 e = static_cast<u64*>(mem.phys_to_virt(phys))[(virt >> (12 + 9 * (l - 1))) & 511];
            if (l == level) return e;
            phys = e & 0x000ffffffffff000;
        }
    }

    Translation must_translate(u64 virt) {
        Translation t{};
        LONGS_EQUAL(PageTableError::kOk, pt.translate(virt, t));
        return t;
    }
};

TEST(PageTable, CreateAllocatesOnlyAPml4) {
    CHECK_TRUE(pt.valid());
    UNSIGNED_LONGS_EQUAL(1, mem.live());
    CHECK_TRUE(pt.pml4_phys() >= FakeTableMemory::kBase);
    Translation t{};
    LONGS_EQUAL(PageTableError::kNotMapped, pt.translate(0x400000, t));
}

TEST(PageTable, CreateWithoutMemoryGivesInvalidTable) {
    mem.budget = mem.live();
    PageTable none = PageTable::create(mem, tlb, true);
    CHECK_FALSE(none.valid());
    Translation t{};
    LONGS_EQUAL(PageTableError::kInvalidTable, none.map(0x400000, 0x1000, PageSize::k4K, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kInvalidTable, none.translate(0x400000, t));
    LONGS_EQUAL(PageTableError::kInvalidTable, none.unmap(0x400000));
    LONGS_EQUAL(PageTableError::kInvalidTable, none.map_range(0, 0, k4K, PageFlags::kNone));
}

TEST(PageTable, Map4KTranslateUnmap) {
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x400000, 0x1234000, PageSize::k4K, PageFlags::kWritable));
    UNSIGNED_LONGS_EQUAL(4, mem.live());
    Translation t = must_translate(0x400abc);
    UNSIGNED_LONGS_EQUAL(0x1234abc, t.phys);
    LONGS_EQUAL(PageFlags::kWritable, t.flags);
    LONGS_EQUAL(PageSize::k4K, t.size);
    CHECK_TRUE(tlb.calls.empty());  // a new mapping needs no flush

    u64 phys = 0;
    PageSize size = PageSize::k1G;
    LONGS_EQUAL(PageTableError::kOk, pt.unmap(0x400000, &phys, &size));
    UNSIGNED_LONGS_EQUAL(0x1234000, phys);
    LONGS_EQUAL(PageSize::k4K, size);
    LONGS_EQUAL(PageTableError::kNotMapped, pt.translate(0x400abc, t));
    CHECK_TRUE(tlb.calls == std::vector<u64>{0x400000});
    LONGS_EQUAL(PageTableError::kNotMapped, pt.unmap(0x400000));
}

TEST(PageTable, Map2MTranslateUnmap) {
    u64 virt = kHigh + 3 * k2M;
    LONGS_EQUAL(PageTableError::kOk, pt.map(virt, 5 * kGiB, PageSize::k2M, PageFlags::kWritable));
    UNSIGNED_LONGS_EQUAL(3, mem.live());  // PML4, PDPT, PD
    Translation t = must_translate(virt + 0x12345);
    UNSIGNED_LONGS_EQUAL(5 * kGiB + 0x12345, t.phys);
    LONGS_EQUAL(PageSize::k2M, t.size);
    u64 phys = 0;
    PageSize size = PageSize::k4K;
    LONGS_EQUAL(PageTableError::kOk, pt.unmap(virt, &phys, &size));
    UNSIGNED_LONGS_EQUAL(5 * kGiB, phys);
    LONGS_EQUAL(PageSize::k2M, size);
    CHECK_TRUE(tlb.calls == std::vector<u64>{virt});
}

TEST(PageTable, Map1GTranslateUnmap) {
    LONGS_EQUAL(PageTableError::kOk, pt.map(kHigh + kGiB, 3 * kGiB, PageSize::k1G, PageFlags::kNone));
    Translation t = must_translate(kHigh + kGiB + 0x2345678);
    UNSIGNED_LONGS_EQUAL(3 * kGiB + 0x2345678, t.phys);
    LONGS_EQUAL(PageSize::k1G, t.size);
    LONGS_EQUAL(PageTableError::kInsideLargePage, pt.unmap(kHigh + kGiB + k2M));
    PageSize size = PageSize::k4K;
    LONGS_EQUAL(PageTableError::kOk, pt.unmap(kHigh + kGiB, nullptr, &size));
    LONGS_EQUAL(PageSize::k1G, size);
}

TEST(PageTable, EntryEncodingFollowsTheSdm) {
    PageFlags all = PageFlags::kWritable | PageFlags::kUser | PageFlags::kNoExecute | PageFlags::kGlobal |
                    PageFlags::kCacheDisable | PageFlags::kWriteThrough;
    u64 top_phys = 0x000ffffffffff000;  // the highest 4 KiB frame under MAXPHYADDR 52
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x7ffffffff000, top_phys, PageSize::k4K, all));
    // P W U PWT PCD G, address bits 12..51, XD bit 63.
    UNSIGNED_LONGS_EQUAL(0x800ffffffffff11f, raw(pt, 0x7ffffffff000, 1));
    for (int level = 4; level >= 2; --level) UNSIGNED_LONGS_EQUAL(0x7, raw(pt, 0x7ffffffff000, level) & 0xfff);

    u64 top_2m = 0x000fffffffe00000;
    LONGS_EQUAL(PageTableError::kOk,
                pt.map(kHigh + k2M, top_2m, PageSize::k2M, PageFlags::kWritable | PageFlags::kNoExecute));
    // P W PS, address bits 21..51, XD; no user bit anywhere in the upper half.
    UNSIGNED_LONGS_EQUAL(0x800fffffffe00083, raw(pt, kHigh + k2M, 2));
    for (int level = 4; level >= 3; --level) UNSIGNED_LONGS_EQUAL(0x3, raw(pt, kHigh + k2M, level) & 0xfff);
    Translation t = must_translate(kHigh + k2M + 0x1fffff);
    UNSIGNED_LONGS_EQUAL(top_2m + 0x1fffff, t.phys);
}

TEST(PageTable, FlagsRoundTripThroughMapAndProtect) {
    for (u32 bits = 0; bits < 64; ++bits) {
        PageFlags f = static_cast<PageFlags>(bits);
        u64 virt = 0x40000000 + bits * k4K;
        LONGS_EQUAL(PageTableError::kOk, pt.map(virt, 0x800000 + bits * k4K, PageSize::k4K, f));
        LONGS_EQUAL(f, must_translate(virt).flags);
        PageFlags g = ~f;
        LONGS_EQUAL(PageTableError::kOk, pt.protect(virt, g));
        LONGS_EQUAL(g, must_translate(virt).flags);
        UNSIGNED_LONGS_EQUAL(0x800000 + bits * k4K, must_translate(virt).phys);
    }
}

TEST(PageTable, ProtectKeepsLargePageAndAddress) {
    LONGS_EQUAL(PageTableError::kOk, pt.map(kHigh, 6 * k2M, PageSize::k2M, PageFlags::kWritable));
    LONGS_EQUAL(PageTableError::kOk, pt.protect(kHigh, PageFlags::kNoExecute | PageFlags::kGlobal));
    Translation t = must_translate(kHigh + 5);
    UNSIGNED_LONGS_EQUAL(6 * k2M + 5, t.phys);
    LONGS_EQUAL(PageSize::k2M, t.size);
    LONGS_EQUAL(PageFlags::kNoExecute | PageFlags::kGlobal, t.flags);
    CHECK_TRUE(tlb.calls == std::vector<u64>{kHigh});
}

TEST(PageTable, RemapSwapsTheFrameInPlace) {
    LONGS_EQUAL(PageTableError::kOk, pt.map(kHigh, 0x5000, PageSize::k4K, PageFlags::kWritable));
    tlb.calls.clear();
    u64 old = 0;
    LONGS_EQUAL(PageTableError::kOk, pt.remap(kHigh, 0x9000, PageFlags::kNoExecute, &old));
    UNSIGNED_LONGS_EQUAL(0x5000, old);
    Translation t = must_translate(kHigh + 7);
    UNSIGNED_LONGS_EQUAL(0x9007, t.phys);
    LONGS_EQUAL(PageFlags::kNoExecute, t.flags);
    CHECK_TRUE(tlb.calls == std::vector<u64>{kHigh});
}

TEST(PageTable, RemapNeedsAMapped4KPage) {
    u64 old = 0;
    LONGS_EQUAL(PageTableError::kNotMapped, pt.remap(kHigh, 0x9000, PageFlags::kWritable, &old));
    LONGS_EQUAL(PageTableError::kOk, pt.map(kHigh, 6 * k2M, PageSize::k2M, PageFlags::kWritable));
    LONGS_EQUAL(PageTableError::kInsideLargePage, pt.remap(kHigh, 0x9000, PageFlags::kWritable, &old));
    LONGS_EQUAL(PageTableError::kMisaligned, pt.remap(kHigh + 8, 0x9000, PageFlags::kWritable, &old));
}

TEST(PageTable, NextPresentSkipsMissingTables) {
    constexpr u64 kEnd = 0x0000800000000000;
    UNSIGNED_LONGS_EQUAL(kEnd, pt.next_present(0x10000, kEnd));
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x7F0000403000, 0x5000, PageSize::k4K, PageFlags::kUser));
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x400000, 6 * k2M, PageSize::k2M, PageFlags::kUser));
    UNSIGNED_LONGS_EQUAL(0x400000, pt.next_present(0x10000, kEnd));
    UNSIGNED_LONGS_EQUAL(0x401000, pt.next_present(0x401000, kEnd));  // inside the large page
    UNSIGNED_LONGS_EQUAL(0x7F0000403000, pt.next_present(0x600000, kEnd));
    UNSIGNED_LONGS_EQUAL(0x7F0000403000, pt.next_present(0x7F0000400000, kEnd));
    UNSIGNED_LONGS_EQUAL(0x7F0000403000, pt.next_present(0x7F0000403000, 0x7F0000404000));
    UNSIGNED_LONGS_EQUAL(0x7F0000403000, pt.next_present(0x7F0000403000, kEnd));
    UNSIGNED_LONGS_EQUAL(kEnd, pt.next_present(0x7F0000404000, kEnd));
    UNSIGNED_LONGS_EQUAL(0x7F0000402000, pt.next_present(0x7F0000401000, 0x7F0000402000));
}

TEST(PageTable, NoExecuteDroppedWithoutNx) {
    PageTable legacy = PageTable::create(mem, tlb, false);
    LONGS_EQUAL(PageTableError::kOk,
                legacy.map(0x400000, 0x1000, PageSize::k4K, PageFlags::kWritable | PageFlags::kNoExecute));
    UNSIGNED_LONGS_EQUAL(0, raw(legacy, 0x400000, 1) >> 63);
    Translation t{};
    LONGS_EQUAL(PageTableError::kOk, legacy.translate(0x400000, t));
    LONGS_EQUAL(PageFlags::kWritable, t.flags);
    LONGS_EQUAL(PageTableError::kOk, legacy.protect(0x400000, PageFlags::kNoExecute));
    UNSIGNED_LONGS_EQUAL(0, raw(legacy, 0x400000, 1) >> 63);
    LONGS_EQUAL(PageTableError::kOk, legacy.map(0x800000, 0x800000, PageSize::k2M, PageFlags::kNoExecute));
    UNSIGNED_LONGS_EQUAL(0, raw(legacy, 0x800000, 2) >> 63);
}

TEST(PageTable, NonCanonicalAddressesRejected) {
    Translation t{};
    for (u64 bad : {u64{0x0000800000000000}, u64{0xffff7fffffffffff} & ~u64{0xfff}, u64{0x1000000000000000}}) {
        LONGS_EQUAL(PageTableError::kNonCanonical, pt.map(bad, 0x1000, PageSize::k4K, PageFlags::kNone));
        LONGS_EQUAL(PageTableError::kNonCanonical, pt.unmap(bad));
        LONGS_EQUAL(PageTableError::kNonCanonical, pt.protect(bad, PageFlags::kNone));
        LONGS_EQUAL(PageTableError::kNonCanonical, pt.translate(bad, t));
    }
    LONGS_EQUAL(PageTableError::kNonCanonical, pt.map_range(0x00007ffffffff000, 0, 2 * k4K, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kNonCanonical, pt.map_range(0xfffffffffffff000, 0, 2 * k4K, PageFlags::kNone));
    UNSIGNED_LONGS_EQUAL(1, mem.live());
}

TEST(PageTable, MisalignedAndOversizedAddressesRejected) {
    LONGS_EQUAL(PageTableError::kMisaligned, pt.map(0x400800, 0x1000, PageSize::k4K, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kMisaligned, pt.map(0x400000, 0x1800, PageSize::k4K, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kMisaligned, pt.map(0x401000, 0x200000, PageSize::k2M, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kMisaligned, pt.map(0x400000, 0x201000, PageSize::k2M, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kMisaligned, pt.unmap(0x400001));
    LONGS_EQUAL(PageTableError::kMisaligned, pt.protect(0x400001, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kMisaligned, pt.map_range(0x400000, 0x1000, 0x1800, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kPhysTooLarge,
                pt.map(0x400000, u64{1} << 52, PageSize::k4K, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kPhysTooLarge,
                pt.map_range(0x400000, (u64{1} << 52) - k4K, 2 * k4K, PageFlags::kNone));
    UNSIGNED_LONGS_EQUAL(1, mem.live());
}

TEST(PageTable, UserPagesNotAllowedInKernelHalf) {
    LONGS_EQUAL(PageTableError::kUserInKernelHalf,
                pt.map(kHigh + k4K, 0x1000, PageSize::k4K, PageFlags::kUser));
    LONGS_EQUAL(PageTableError::kOk, pt.map(kHigh + k4K, 0x1000, PageSize::k4K, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kUserInKernelHalf, pt.protect(kHigh + k4K, PageFlags::kUser));
    LONGS_EQUAL(PageFlags::kNone, must_translate(kHigh + k4K).flags);
}

TEST(PageTable, IntermediateEntriesGetUserOnlyForUserLeaves) {
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x400000, 0x1000, PageSize::k4K, PageFlags::kNone));
    for (int level = 4; level >= 2; --level) UNSIGNED_LONGS_EQUAL(0, raw(pt, 0x400000, level) & 0x4);
    // A user page under the same tables turns the user bit on along its walk...
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x401000, 0x2000, PageSize::k4K, PageFlags::kUser));
    for (int level = 4; level >= 2; --level) UNSIGNED_LONGS_EQUAL(0x4, raw(pt, 0x401000, level) & 0x4);
    // ...while the kernel leaf next to it stays supervisor-only.
    UNSIGNED_LONGS_EQUAL(0, raw(pt, 0x400000, 1) & 0x4);
    // protect() to user does the same for a walk that had none.
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x7f0000000000, 0x3000, PageSize::k4K, PageFlags::kNone));
    UNSIGNED_LONGS_EQUAL(0, raw(pt, 0x7f0000000000, 3) & 0x4);
    LONGS_EQUAL(PageTableError::kOk, pt.protect(0x7f0000000000, PageFlags::kUser | PageFlags::kWritable));
    for (int level = 4; level >= 1; --level) UNSIGNED_LONGS_EQUAL(0x4, raw(pt, 0x7f0000000000, level) & 0x4);
}

TEST(PageTable, AlreadyMappedCases) {
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x400000, 0x1000, PageSize::k4K, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kAlreadyMapped, pt.map(0x400000, 0x2000, PageSize::k4K, PageFlags::kNone));
    // A 2 MiB page over a page table that still has an entry.
    LONGS_EQUAL(PageTableError::kAlreadyMapped, pt.map(0x400000, 0x200000, PageSize::k2M, PageFlags::kNone));
    // A 4 KiB page inside a 2 MiB page, and a 2 MiB page over a 2 MiB page.
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x800000, 0x200000, PageSize::k2M, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kAlreadyMapped, pt.map(0x9ff000, 0x3000, PageSize::k4K, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kAlreadyMapped, pt.map(0x800000, 0x400000, PageSize::k2M, PageFlags::kNone));
    // A 1 GiB page over a directory with entries.
    LONGS_EQUAL(PageTableError::kAlreadyMapped, pt.map(0, 0, PageSize::k1G, PageFlags::kNone));
    UNSIGNED_LONGS_EQUAL(0x1000, must_translate(0x400000).phys);
    UNSIGNED_LONGS_EQUAL(0x200000 + 0x1ff000, must_translate(0x9ff000).phys);
    CHECK_TRUE(tlb.calls.empty());
}

TEST(PageTable, LargePageReplacesAnEmptyTable) {
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x600000, 0x1000, PageSize::k4K, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kOk, pt.unmap(0x600000));
    UNSIGNED_LONGS_EQUAL(4, mem.live());  // the empty PT is kept...
    tlb.calls.clear();
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x600000, 0x400000, PageSize::k2M, PageFlags::kNone));
    UNSIGNED_LONGS_EQUAL(3, mem.live());  // ...until a large page takes its slot
    CHECK_TRUE(tlb.calls == std::vector<u64>{0x600000});
    LONGS_EQUAL(PageSize::k2M, must_translate(0x600000).size);
}

TEST(PageTable, NotMappedCases) {
    Translation t{};
    LONGS_EQUAL(PageTableError::kNotMapped, pt.unmap(0x400000));
    LONGS_EQUAL(PageTableError::kNotMapped, pt.protect(0x400000, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x400000, 0x1000, PageSize::k4K, PageFlags::kNone));
    // Tables exist on the way to the neighbour, but its own entry is empty.
    LONGS_EQUAL(PageTableError::kNotMapped, pt.translate(0x401000, t));
    LONGS_EQUAL(PageTableError::kNotMapped, pt.unmap(0x401000));
    LONGS_EQUAL(PageTableError::kNotMapped, pt.protect(0x401000, PageFlags::kWritable));
    CHECK_TRUE(tlb.calls.empty());
}

TEST(PageTable, NoSilentSplitOfLargePages) {
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x800000, 0x200000, PageSize::k2M, PageFlags::kWritable));
    LONGS_EQUAL(PageTableError::kInsideLargePage, pt.unmap(0x801000));
    LONGS_EQUAL(PageTableError::kInsideLargePage, pt.protect(0x9ff000, PageFlags::kNone));
    Translation t = must_translate(0x801000);
    LONGS_EQUAL(PageFlags::kWritable, t.flags);
    LONGS_EQUAL(PageSize::k2M, t.size);
    CHECK_TRUE(tlb.calls.empty());
}

TEST(PageTable, OutOfTablesLeavesNothingBehind) {
    mem.budget = 2;  // the PML4 and one more: a 4 KiB mapping needs three
    LONGS_EQUAL(PageTableError::kOutOfMemory, pt.map(0x400000, 0x1000, PageSize::k4K, PageFlags::kUser));
    UNSIGNED_LONGS_EQUAL(1, mem.live());
    UNSIGNED_LONGS_EQUAL(0, raw(pt, 0x400000, 4));
    CHECK_TRUE(tlb.calls == std::vector<u64>{0x400000});
    // With the PDPT and PD in place, a neighbour needing only a new PT fails alone.
    mem.budget = 100;
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x200000, 0x200000, PageSize::k2M, PageFlags::kNone));
    mem.budget = mem.live();
    LONGS_EQUAL(PageTableError::kOutOfMemory, pt.map(0x400000, 0x1000, PageSize::k4K, PageFlags::kNone));
    UNSIGNED_LONGS_EQUAL(0, raw(pt, 0x400000, 2));
    LONGS_EQUAL(PageSize::k2M, must_translate(0x200000).size);
    mem.budget = 100;
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x400000, 0x1000, PageSize::k4K, PageFlags::kNone));
}

TEST(PageTable, MapRangePicksLargePagesWhereAligned) {
    // 4 KiB below the first 2 MiB boundary, two 2 MiB pages, then 4 KiB.
    LONGS_EQUAL(PageTableError::kOk,
                pt.map_range(kHigh + 0x1ff000, 0x1ff000, 0x402000, PageFlags::kWritable | PageFlags::kGlobal));
    LONGS_EQUAL(PageSize::k4K, must_translate(kHigh + 0x1ff000).size);
    LONGS_EQUAL(PageSize::k2M, must_translate(kHigh + 0x200000).size);
    LONGS_EQUAL(PageSize::k2M, must_translate(kHigh + 0x400000).size);
    LONGS_EQUAL(PageSize::k4K, must_translate(kHigh + 0x600000).size);
    for (u64 off = 0; off < 0x402000; off += 0x800)
        UNSIGNED_LONGS_EQUAL(0x1ff000 + off, must_translate(kHigh + 0x1ff000 + off).phys);
    Translation t{};
    LONGS_EQUAL(PageTableError::kNotMapped, pt.translate(kHigh + 0x601000, t));
}

TEST(PageTable, MapRangeFallsBackTo4KWhenPhysIsNotAligned) {
    LONGS_EQUAL(PageTableError::kOk, pt.map_range(0x200000, 0x201000, 2 * k2M, PageFlags::kNone));
    for (u64 off = 0; off < 2 * k2M; off += k4K) {
        Translation t = must_translate(0x200000 + off);
        LONGS_EQUAL(PageSize::k4K, t.size);
        UNSIGNED_LONGS_EQUAL(0x201000 + off, t.phys);
    }
}

TEST(PageTable, MapRangeIsAllOrNothing) {
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x603000, 0x9000, PageSize::k4K, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kAlreadyMapped, pt.map_range(0x3fe000, 0x3fe000, 0x206000, PageFlags::kNone));
    Translation t{};
    for (u64 v = 0x3fe000; v < 0x603000; v += k4K) LONGS_EQUAL(PageTableError::kNotMapped, pt.translate(v, t));
    UNSIGNED_LONGS_EQUAL(0x9000, must_translate(0x603000).phys);
    LONGS_EQUAL(PageTableError::kOk, pt.map_range(0x3fe000, 0x3fe000, 0x205000, PageFlags::kNone));
}

TEST(PageTable, WrappingAnExistingPml4SeesItsMappings) {
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x400000, 0x7000, PageSize::k4K, PageFlags::kWritable));
    PageTable alias(mem, tlb, pt.pml4_phys(), true);
    Translation t{};
    LONGS_EQUAL(PageTableError::kOk, alias.translate(0x400000, t));
    UNSIGNED_LONGS_EQUAL(0x7000, t.phys);
    UNSIGNED_LONGS_EQUAL(pt.pml4_phys(), alias.pml4_phys());
}

TEST(PageTable, CopyKernelHalfSharesUpperEntriesOnly) {
    LONGS_EQUAL(PageTableError::kOk, pt.map(kHigh + 0x1000, 0x5000, PageSize::k4K, PageFlags::kWritable));
    LONGS_EQUAL(PageTableError::kOk, pt.map(0xffffffff80000000, 0, PageSize::k2M, PageFlags::kGlobal));
    LONGS_EQUAL(PageTableError::kOk, pt.map(0x400000, 0x6000, PageSize::k4K, PageFlags::kNone));
    PageTable space = PageTable::create(mem, tlb, true);
    usize before = mem.live();
    space.copy_kernel_half_from(pt);
    UNSIGNED_LONGS_EQUAL(before, mem.live());
    Translation t{};
    LONGS_EQUAL(PageTableError::kOk, space.translate(kHigh + 0x1000, t));
    UNSIGNED_LONGS_EQUAL(0x5000, t.phys);
    LONGS_EQUAL(PageTableError::kOk, space.translate(0xffffffff80001234, t));
    UNSIGNED_LONGS_EQUAL(0x1234, t.phys);
    LONGS_EQUAL(PageTableError::kNotMapped, space.translate(0x400000, t));
    // Later kernel mappings under an already shared PDPT appear in both.
    LONGS_EQUAL(PageTableError::kOk, pt.map(kHigh + 0x2000, 0x8000, PageSize::k4K, PageFlags::kNone));
    LONGS_EQUAL(PageTableError::kOk, space.translate(kHigh + 0x2000, t));
}

TEST(PageTable, ErrorNamesAreDistinct) {
    std::set<std::string> names;
    for (int e = 0; e <= static_cast<int>(PageTableError::kInvalidTable); ++e)
        names.insert(x86::error_name(static_cast<PageTableError>(e)));
    UNSIGNED_LONGS_EQUAL(static_cast<usize>(PageTableError::kInvalidTable) + 1, names.size());
}
