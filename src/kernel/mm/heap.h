// Kernel heap: one-page slabs for power-of-two sizes up to 2 KiB, page runs above.
#pragma once

#include "lib/kstd/types.h"

namespace mm {

// Where the heap gets memory. Kernel: frames from the frame allocator seen
// through the direct map; host tests: a fake pool with a page budget.
class PageSource {
public:
    // `count` contiguous, 4 KiB-aligned, writable pages (contents undefined), or nullptr.
    virtual void* alloc_pages(usize count) = 0;
    virtual void free_pages(void* pages, usize count) = 0;

protected:
    ~PageSource() = default;
};

enum class HeapError : u8 {
    kOk,
    kForeignPointer,  // not a pointer this heap handed out (or not its start)
    kDoubleFree,
    kCorrupted,       // a heap header is inconsistent
};

const char* error_name(HeapError e);

class Heap {
public:
    static constexpr usize kPageSize = 4096;
    static constexpr usize kCacheCount = 8;  // 16, 32, ..., 2048 bytes
    static constexpr usize kMinObject = 16;
    static constexpr usize kMaxSlabObject = kMinObject << (kCacheCount - 1);
    static constexpr u8 kPoison = 0x6b;  // written over every freed byte

    struct CacheStats {
        usize object_size;
        usize live_objects;
        usize slabs;  // pages held by this cache, the cached empty slab included
    };
    struct Stats {
        usize bytes_in_use;      // usable bytes of live allocations
        usize live_allocations;
        usize large_allocations;
        usize pages_held;        // pages taken from the source and not yet given back
        CacheStats caches[kCacheCount];
    };

    constexpr Heap() = default;
    explicit Heap(PageSource& source) : source_(&source) {}
    void init(PageSource& source) { source_ = &source; }

    // `align` must be a power of two; nullptr when out of memory or for a bad
    // alignment. Slab objects are naturally aligned to their size class, so
    // any alignment up to the class comes for free. alloc(0) returns a unique pointer.
    void* alloc(usize size, usize align = 16);
    // nullptr is accepted (kOk). Detection of foreign pointers and double
    // frees is best effort: it reads the page header of the pointer.
    HeapError free(void* p);
    // Bytes usable at `p` (its size class, or the rest of its page run); 0 if
    // `p` is not a live allocation.
    usize usable_size(const void* p) const;
    Stats stats() const;
    // Gives every cached empty slab back to the source.
    void trim();

private:
    struct Slab;
    struct Large;
    struct Cache {
        Slab* partial = nullptr;  // slabs with both used and free slots
        Slab* spare = nullptr;    // one empty slab kept to damp alloc/free ping-pong
        usize live = 0;
        usize slabs = 0;
    };
    struct Found {
        Slab* slab = nullptr;
        usize slot = 0;
        Large* large = nullptr;
    };

    static void link(Slab*& head, Slab* slab);
    static void unlink(Slab*& head, Slab* slab);
    static usize usable_large(const Large* large);

    HeapError find(const void* p, Found& out) const;
    void* alloc_small(usize cache);
    void* alloc_large(usize size, usize align);
    void free_small(Slab* slab, usize slot);
    void free_large(Large* large);
    void release_slab(Slab* slab);
    void* take_pages(usize count);

    Cache caches_[kCacheCount];
    PageSource* source_ = nullptr;
    usize bytes_in_use_ = 0;
    usize large_live_ = 0;
    usize pages_held_ = 0;
    // TODO(smp): a spinlock around every public operation (per cache later).
};

}  // namespace mm
