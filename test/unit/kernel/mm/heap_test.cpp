// Tests of mm::Heap against a fake page source: a page-aligned host pool with a page budget.
#include "kernel/mm/heap.h"

#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "CppUTest/TestHarness.h"

using mm::Heap;
using mm::HeapError;

namespace {

constexpr usize kPage = Heap::kPageSize;
constexpr usize kPoolPages = 1024;
alignas(4096) u8 g_pool[kPoolPages][kPage];
alignas(4096) u8 g_elsewhere[2 * kPage];  // memory the heap never saw

// First-fit runs of pages from g_pool. Freed pages keep their contents, as
// frames do until someone reuses them.
class FakePageSource : public mm::PageSource {
public:
    FakePageSource() { std::memset(g_pool, 0xa5, sizeof g_pool); }

    void* alloc_pages(usize count) override {
        ++alloc_calls;
        if (count == 0 || outstanding + count > budget) return nullptr;
        for (usize i = 0; i + count <= kPoolPages; ++i) {
            usize k = 0;
            while (k < count && run_[i + k] == 0) ++k;
            if (k < count) {
                i += k;
                continue;
            }
            run_[i] = count;
            for (k = 1; k < count; ++k) run_[i + k] = kContinuation;
            outstanding += count;
            return g_pool[i];
        }
        return nullptr;
    }

    void free_pages(void* pages, usize count) override {
        auto at = static_cast<u8*>(pages) - &g_pool[0][0];
        CHECK_TRUE(at >= 0 && at % kPage == 0 && static_cast<usize>(at) / kPage < kPoolPages);
        usize i = static_cast<usize>(at) / kPage;
        UNSIGNED_LONGS_EQUAL(run_[i], count);  // exactly a run that was handed out
        for (usize k = 0; k < count; ++k) run_[i + k] = 0;
        outstanding -= count;
    }

    usize budget = kPoolPages;
    usize outstanding = 0;
    usize alloc_calls = 0;

private:
    static constexpr usize kContinuation = ~usize{0};
    usize run_[kPoolPages] = {};
};

bool all_bytes(const void* p, usize n, u8 value) {
    const u8* b = static_cast<const u8*>(p);
    for (usize i = 0; i < n; ++i)
        if (b[i] != value) return false;
    return true;
}

usize expected_class(usize size) {
    usize c = Heap::kMinObject;
    while (c < size) c *= 2;
    return c;
}

}  // namespace

TEST_GROUP(Heap) {
    FakePageSource source;
    Heap heap{source};

    void check_empty() {
        Heap::Stats s = heap.stats();
        UNSIGNED_LONGS_EQUAL(0, s.bytes_in_use);
        UNSIGNED_LONGS_EQUAL(0, s.live_allocations);
        UNSIGNED_LONGS_EQUAL(0, s.large_allocations);
        for (const Heap::CacheStats& c : s.caches) UNSIGNED_LONGS_EQUAL(0, c.live_objects);
        UNSIGNED_LONGS_EQUAL(source.outstanding, s.pages_held);
        heap.trim();
        UNSIGNED_LONGS_EQUAL(0, heap.stats().pages_held);
        UNSIGNED_LONGS_EQUAL(0, source.outstanding);
    }
};

TEST(Heap, SmallSizesGoToTheirSizeClass) {
    std::vector<void*> live;
    for (usize size = 0; size <= Heap::kMaxSlabObject; size += (size < 80 ? 1 : 37)) {
        void* p = heap.alloc(size);
        CHECK_TRUE(p != nullptr);
        usize cls = expected_class(size);
        UNSIGNED_LONGS_EQUAL(cls, heap.usable_size(p));
        UNSIGNED_LONGS_EQUAL(0, reinterpret_cast<uptr>(p) % cls);  // natural alignment
        std::memset(p, 0x11, cls);
        live.push_back(p);
    }
    Heap::Stats s = heap.stats();
    UNSIGNED_LONGS_EQUAL(live.size(), s.live_allocations);
    UNSIGNED_LONGS_EQUAL(0, s.large_allocations);
    for (usize i = 0; i < Heap::kCacheCount; ++i) UNSIGNED_LONGS_EQUAL(16u << i, s.caches[i].object_size);
    usize bytes = 0;
    for (void* p : live) bytes += heap.usable_size(p);
    UNSIGNED_LONGS_EQUAL(bytes, s.bytes_in_use);
    for (void* p : live) LONGS_EQUAL(HeapError::kOk, heap.free(p));
    check_empty();
}

TEST(Heap, ZeroSizeGivesDistinctPointers) {
    void* a = heap.alloc(0);
    void* b = heap.alloc(0);
    CHECK_TRUE(a != nullptr && b != nullptr && a != b);
    LONGS_EQUAL(HeapError::kOk, heap.free(a));
    LONGS_EQUAL(HeapError::kOk, heap.free(b));
    LONGS_EQUAL(HeapError::kOk, heap.free(nullptr));
}

TEST(Heap, LargeAllocationsArePageRuns) {
    void* p = heap.alloc(3000);
    CHECK_TRUE(p != nullptr);
    UNSIGNED_LONGS_EQUAL(0, reinterpret_cast<uptr>(p) % 16);
    CHECK_TRUE(heap.usable_size(p) >= 3000);
    UNSIGNED_LONGS_EQUAL(1, source.outstanding);
    void* q = heap.alloc(5 * kPage);
    CHECK_TRUE(heap.usable_size(q) >= 5 * kPage);
    UNSIGNED_LONGS_EQUAL(1 + 6, source.outstanding);  // the header costs one more page
    std::memset(q, 0x22, 5 * kPage);
    Heap::Stats s = heap.stats();
    UNSIGNED_LONGS_EQUAL(2, s.large_allocations);
    UNSIGNED_LONGS_EQUAL(heap.usable_size(p) + heap.usable_size(q), s.bytes_in_use);
    LONGS_EQUAL(HeapError::kOk, heap.free(q));
    LONGS_EQUAL(HeapError::kOk, heap.free(p));
    UNSIGNED_LONGS_EQUAL(0, source.outstanding);
    check_empty();
}

TEST(Heap, AlignmentGuarantees) {
    std::vector<void*> live;
    for (usize align = 1; align <= 64 * 1024; align *= 2) {
        for (usize size : {usize{1}, usize{24}, usize{100}, usize{1000}, usize{3000}, usize{9000}}) {
            void* p = heap.alloc(size, align);
            CHECK_TRUE(p != nullptr);
            UNSIGNED_LONGS_EQUAL(0, reinterpret_cast<uptr>(p) % align);
            UNSIGNED_LONGS_EQUAL(0, reinterpret_cast<uptr>(p) % 16);
            CHECK_TRUE(heap.usable_size(p) >= size);
            std::memset(p, static_cast<int>(live.size()), size);
            live.push_back(p);
        }
    }
    for (usize i = 0; i < live.size(); ++i) {
        static const usize sizes[] = {1, 24, 100, 1000, 3000, 9000};
        CHECK_TRUE(all_bytes(live[i], sizes[i % 6], static_cast<u8>(i)));
        LONGS_EQUAL(HeapError::kOk, heap.free(live[i]));
    }
    CHECK_TRUE(heap.alloc(16, 3) == nullptr);
    CHECK_TRUE(heap.alloc(16, 48) == nullptr);
    check_empty();
}

TEST(Heap, ExhaustionReturnsNullAndRecovers) {
    source.budget = 8;
    std::vector<void*> live;
    for (void* p = heap.alloc(64); p != nullptr; p = heap.alloc(64)) live.push_back(p);
    UNSIGNED_LONGS_EQUAL(8 * (kPage / 64 - 1), live.size());  // slot 0 of each slab is its header
    CHECK_TRUE(heap.alloc(5000) == nullptr);
    CHECK_TRUE(heap.alloc(16) == nullptr);
    for (void* p : live) LONGS_EQUAL(HeapError::kOk, heap.free(p));
    // One empty slab stays cached; a large allocation that needs it gets it back.
    UNSIGNED_LONGS_EQUAL(1, source.outstanding);
    void* big = heap.alloc(8 * kPage - 64);
    CHECK_TRUE(big != nullptr);
    UNSIGNED_LONGS_EQUAL(8, source.outstanding);
    CHECK_TRUE(heap.alloc(16) == nullptr);
    LONGS_EQUAL(HeapError::kOk, heap.free(big));
    CHECK_TRUE(heap.alloc(16) != nullptr);
    CHECK_TRUE(heap.alloc(1) != nullptr);
}

TEST(Heap, HugeRequestsFailWithoutOverflow) {
    CHECK_TRUE(heap.alloc(SIZE_MAX) == nullptr);
    CHECK_TRUE(heap.alloc(SIZE_MAX - 4096) == nullptr);
    CHECK_TRUE(heap.alloc(16, usize{1} << 63) == nullptr);
    CHECK_TRUE(heap.alloc(kPoolPages * kPage) == nullptr);
    UNSIGNED_LONGS_EQUAL(0, source.outstanding);
}

TEST(Heap, EmptySlabsGoBackToTheSource) {
    usize per_slab = kPage / 128 - 1;
    std::vector<void*> live;
    for (usize i = 0; i < 3 * per_slab; ++i) live.push_back(heap.alloc(128));
    UNSIGNED_LONGS_EQUAL(3, source.outstanding);
    UNSIGNED_LONGS_EQUAL(3, heap.stats().caches[3].slabs);
    for (void* p : live) LONGS_EQUAL(HeapError::kOk, heap.free(p));
    UNSIGNED_LONGS_EQUAL(1, source.outstanding);  // one empty slab kept
    UNSIGNED_LONGS_EQUAL(1, heap.stats().caches[3].slabs);
    usize calls = source.alloc_calls;
    heap.free(heap.alloc(100));  // served from the cached slab
    UNSIGNED_LONGS_EQUAL(calls, source.alloc_calls);
    check_empty();
}

TEST(Heap, OneObjectSlabsCycle) {
    // 2 KiB objects: the header leaves room for one object per page.
    void* a = heap.alloc(2048);
    void* b = heap.alloc(2000);
    UNSIGNED_LONGS_EQUAL(2, source.outstanding);
    LONGS_EQUAL(HeapError::kOk, heap.free(a));
    LONGS_EQUAL(HeapError::kDoubleFree, heap.free(a));
    LONGS_EQUAL(HeapError::kOk, heap.free(b));
    LONGS_EQUAL(HeapError::kDoubleFree, heap.free(b));  // its slab went back to the source
    UNSIGNED_LONGS_EQUAL(1, source.outstanding);
    check_empty();
}

TEST(Heap, DoubleFreeDetected) {
    void* keep = heap.alloc(32);
    void* p = heap.alloc(32);
    LONGS_EQUAL(HeapError::kOk, heap.free(p));
    LONGS_EQUAL(HeapError::kDoubleFree, heap.free(p));
    UNSIGNED_LONGS_EQUAL(1, heap.stats().caches[1].live_objects);
    void* big = heap.alloc(10000);
    LONGS_EQUAL(HeapError::kOk, heap.free(big));
    LONGS_EQUAL(HeapError::kDoubleFree, heap.free(big));
    LONGS_EQUAL(HeapError::kOk, heap.free(keep));
    LONGS_EQUAL(HeapError::kDoubleFree, heap.free(keep));  // slab is now the cached spare
    check_empty();
}

TEST(Heap, ForeignPointersDetected) {
    u8* p = static_cast<u8*>(heap.alloc(64));
    u8* big = static_cast<u8*>(heap.alloc(3 * kPage));
    LONGS_EQUAL(HeapError::kForeignPointer, heap.free(p + 8));    // misaligned
    LONGS_EQUAL(HeapError::kForeignPointer, heap.free(p + 16));   // inside the object
    u8* page = reinterpret_cast<u8*>(reinterpret_cast<uptr>(p) & ~uptr{kPage - 1});
    LONGS_EQUAL(HeapError::kForeignPointer, heap.free(page + 32));  // the slab header
    LONGS_EQUAL(HeapError::kForeignPointer, heap.free(big + 16));
    LONGS_EQUAL(HeapError::kForeignPointer, heap.free(big + kPage));
    std::memset(g_elsewhere, 0, sizeof g_elsewhere);
    LONGS_EQUAL(HeapError::kForeignPointer, heap.free(g_elsewhere + kPage + 128));
    LONGS_EQUAL(HeapError::kForeignPointer, heap.free(g_pool[kPoolPages - 1] + 64));  // never handed out
    LONGS_EQUAL(HeapError::kForeignPointer, heap.free(reinterpret_cast<void*>(0x10)));
    UNSIGNED_LONGS_EQUAL(0, heap.usable_size(p + 16));
    UNSIGNED_LONGS_EQUAL(0, heap.usable_size(g_elsewhere + kPage + 128));
    UNSIGNED_LONGS_EQUAL(2, heap.stats().live_allocations);
    LONGS_EQUAL(HeapError::kOk, heap.free(p));
    LONGS_EQUAL(HeapError::kOk, heap.free(big));
    check_empty();
}

TEST(Heap, CorruptedSlabHeaderDetected) {
    u8* p = static_cast<u8*>(heap.alloc(256));
    auto* header = reinterpret_cast<u32*>(reinterpret_cast<uptr>(p) & ~uptr{kPage - 1});
    u32 saved = header[6];  // Slab::cache, after magic, prev and next
    header[6] = 99;
    LONGS_EQUAL(HeapError::kCorrupted, heap.free(p));
    header[6] = saved;
    LONGS_EQUAL(HeapError::kOk, heap.free(p));
}

TEST(Heap, FreedMemoryIsPoisoned) {
    void* keep = heap.alloc(128);
    u8* p = static_cast<u8*>(heap.alloc(128));
    std::memset(p, 0, 128);
    LONGS_EQUAL(HeapError::kOk, heap.free(p));
    CHECK_TRUE(all_bytes(p, 128, Heap::kPoison));
    u8* big = static_cast<u8*>(heap.alloc(6000));
    std::memset(big, 0, 6000);
    LONGS_EQUAL(HeapError::kOk, heap.free(big));
    CHECK_TRUE(all_bytes(big, 6000, Heap::kPoison));  // the fake keeps freed pages readable
    LONGS_EQUAL(HeapError::kOk, heap.free(keep));
}

TEST(Heap, NoPageSourceMeansNoMemory) {
    Heap bare;
    CHECK_TRUE(bare.alloc(16) == nullptr);
    CHECK_TRUE(bare.alloc(100000) == nullptr);
    LONGS_EQUAL(HeapError::kOk, bare.free(nullptr));
    bare.init(source);
    void* p = bare.alloc(16);
    CHECK_TRUE(p != nullptr);
    LONGS_EQUAL(HeapError::kOk, bare.free(p));
}

TEST(Heap, ErrorNamesAreDistinct) {
    std::set<std::string> names;
    for (int e = 0; e <= static_cast<int>(HeapError::kCorrupted); ++e)
        names.insert(mm::error_name(static_cast<HeapError>(e)));
    UNSIGNED_LONGS_EQUAL(static_cast<usize>(HeapError::kCorrupted) + 1, names.size());
}

// Random allocations and frees; every live block carries a pattern derived
// from its id, checked before it is freed and in periodic full sweeps.
TEST(Heap, RandomStressKeepsContentsIntact) {
    struct Block {
        u8* p;
        usize size;
        u8 seed;
    };
    u64 state = 0x2545f4914f6cdd1dull;
    auto next = [&state]() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545f4914f6cdd1dull;
    };
    auto fill = [](const Block& b) {
        for (usize i = 0; i < b.size; ++i) b.p[i] = static_cast<u8>(b.seed + i * 7);
    };
    auto intact = [](const Block& b) {
        for (usize i = 0; i < b.size; ++i)
            if (b.p[i] != static_cast<u8>(b.seed + i * 7)) return false;
        return true;
    };
    std::vector<Block> live;
    for (int op = 0; op < 40000; ++op) {
        bool grow = live.size() < 20 || (live.size() < 600 && next() % 100 < 55);
        if (grow) {
            u64 r = next();
            usize size = r % 10 == 0 ? 2049 + next() % 14000 : next() % 2049;
            usize align = r % 7 == 0 ? usize{1} << (next() % 13) : 16;
            auto* p = static_cast<u8*>(heap.alloc(size, align));
            CHECK_TRUE(p != nullptr);
            UNSIGNED_LONGS_EQUAL(0, reinterpret_cast<uptr>(p) % align);
            CHECK_TRUE(heap.usable_size(p) >= size);
            Block b{p, size, static_cast<u8>(next())};
            fill(b);
            live.push_back(b);
        } else {
            usize i = next() % live.size();
            CHECK_TRUE(intact(live[i]));
            LONGS_EQUAL(HeapError::kOk, heap.free(live[i].p));
            live[i] = live.back();
            live.pop_back();
        }
        if (op % 5000 == 0) {
            for (const Block& b : live) CHECK_TRUE(intact(b));
            UNSIGNED_LONGS_EQUAL(live.size(), heap.stats().live_allocations);
            UNSIGNED_LONGS_EQUAL(source.outstanding, heap.stats().pages_held);
        }
    }
    for (const Block& b : live) {
        CHECK_TRUE(intact(b));
        LONGS_EQUAL(HeapError::kOk, heap.free(b.p));
    }
    check_empty();
}
