// Kernel heap: slab and page-run allocation, with headers that let free() check its argument.
#include "kernel/mm/heap.h"

#include "kernel/mm/bit_span.h"
#include "lib/kstd/utility.h"

namespace mm {

// Every page the heap hands out memory from starts with a 64-byte header. A
// pointer's header is found at the page holding the byte just before it: slab
// objects never start at offset 0 (the header has that slot), and a large
// allocation's data starts 64 bytes into its first page, or, when aligned to
// 4 KiB or more, one page after its header.
//
// Slab: header, then objects of one size class at offsets that are multiples
// of the class, so objects are naturally aligned. A slot bitmap in the header
// is the allocation state (and what detects double frees).
struct Heap::Slab {
    u64 magic;  // kSlabMagic ^ own address: a stray copy of a header does not validate
    Slab* prev;
    Slab* next;
    u32 cache;
    u32 used;
    u64 slots[4];  // 1 = allocated; header slots and slots past the page stay set
};

struct Heap::Large {
    u64 magic;
    void* data;
    void* base;  // what the source handed out; differs from the header page for big alignments
    usize pages;
    usize size;  // as requested; what gets poisoned on free
    u64 unused[3];
};

namespace {

constexpr u64 kSlabMagic = 0x51ab0c0de7a11001;
constexpr u64 kDeadSlabMagic = 0x51abdead7a110002;
constexpr u64 kLargeMagic = 0x1a29e0b1ec750003;
constexpr u64 kFreedLargeMagic = 0x1a29deadec750004;
constexpr usize kHeaderBytes = 64;
constexpr usize kSlotBits = 256;  // 4096 / 16
// Far above any physical memory lstar will see; keeps the page arithmetic from overflowing.
constexpr usize kMaxLarge = usize{1} << 40;

constexpr usize class_size(usize cache) { return Heap::kMinObject << cache; }
constexpr usize first_slot(usize size) { return (kHeaderBytes + size - 1) / size; }
constexpr usize slot_count(usize size) { return Heap::kPageSize / size; }
constexpr usize capacity(usize size) { return slot_count(size) - first_slot(size); }

uptr header_of(const void* p) { return kstd::align_down(reinterpret_cast<uptr>(p) - 1, Heap::kPageSize); }

void poison(void* p, usize bytes) {
    u8* b = static_cast<u8*>(p);
    for (usize i = 0; i < bytes; ++i) b[i] = Heap::kPoison;
}

}  // namespace

const char* error_name(HeapError e) {
    switch (e) {
    case HeapError::kOk: return "ok";
    case HeapError::kForeignPointer: return "pointer not allocated by the heap";
    case HeapError::kDoubleFree: return "double free";
    case HeapError::kCorrupted: return "heap header corrupted";
    }
    return "unknown heap error";
}

void Heap::link(Slab*& head, Slab* slab) {
    slab->prev = nullptr;
    slab->next = head;
    if (head != nullptr) head->prev = slab;
    head = slab;
}

void Heap::unlink(Slab*& head, Slab* slab) {
    if (slab->prev != nullptr) slab->prev->next = slab->next;
    else head = slab->next;
    if (slab->next != nullptr) slab->next->prev = slab->prev;
    slab->prev = slab->next = nullptr;
}

usize Heap::usable_large(const Large* large) {
    return reinterpret_cast<uptr>(large->base) + large->pages * kPageSize -
           reinterpret_cast<uptr>(large->data);
}

void* Heap::take_pages(usize count) {
    if (source_ == nullptr) return nullptr;
    void* p = source_->alloc_pages(count);
    if (p == nullptr) {
        // Cached empty slabs are the only memory the heap can give back.
        trim();
        p = source_->alloc_pages(count);
    }
    if (p != nullptr) pages_held_ += count;
    return p;
}

void* Heap::alloc(usize size, usize align) {
    if (align == 0) align = 1;
    if ((align & (align - 1)) != 0) return nullptr;
    usize need = kstd::max(kstd::max(size, align), kMinObject);
    if (need > kMaxSlabObject) return alloc_large(size, align);
    usize cache = 0;
    while (class_size(cache) < need) ++cache;
    return alloc_small(cache);
}

void* Heap::alloc_small(usize cache) {
    // The header takes exactly the first slots; the slot map covers 16-byte objects.
    static_assert(sizeof(Slab) == kHeaderBytes && kPageSize / kMinObject == kSlotBits);
    Cache& c = caches_[cache];
    usize size = class_size(cache);
    Slab* s = c.partial;
    if (s == nullptr) {
        if (c.spare != nullptr) {
            s = c.spare;
            c.spare = nullptr;
        } else {
            s = static_cast<Slab*>(take_pages(1));
            if (s == nullptr) return nullptr;
            s->magic = kSlabMagic ^ reinterpret_cast<uptr>(s);
            s->cache = static_cast<u32>(cache);
            s->used = 0;
            BitSpan bits(s->slots, kSlotBits);
            bits.clear_all();
            bits.set_range(0, first_slot(size));
            bits.set_range(slot_count(size), kSlotBits);
            ++c.slabs;
        }
        link(c.partial, s);
    }
    BitSpan bits(s->slots, kSlotBits);
    usize slot = bits.find_clear(0, kSlotBits);  // a partial slab always has one
    bits.set(slot);
    if (++s->used == capacity(size)) unlink(c.partial, s);
    ++c.live;
    bytes_in_use_ += size;
    return reinterpret_cast<u8*>(s) + slot * size;
}

void* Heap::alloc_large(usize size, usize align) {
    static_assert(sizeof(Large) == kHeaderBytes);
    if (size > kMaxLarge || align > kMaxLarge) return nullptr;
    // The data starts `room` bytes into the run at most (see the comment at the top).
    usize room = kstd::max(align, kHeaderBytes);
    usize pages = (room + size + kPageSize - 1) / kPageSize;
    void* base = take_pages(pages);
    if (base == nullptr) return nullptr;
    uptr data = kstd::align_up(reinterpret_cast<uptr>(base) + kHeaderBytes, static_cast<uptr>(room));
    Large* l = reinterpret_cast<Large*>(header_of(reinterpret_cast<void*>(data)));
    l->magic = kLargeMagic ^ reinterpret_cast<uptr>(l);
    l->data = reinterpret_cast<void*>(data);
    l->base = base;
    l->pages = pages;
    l->size = size;
    ++large_live_;
    bytes_in_use_ += usable_large(l);
    return l->data;
}

HeapError Heap::find(const void* p, Found& out) const {
    uptr a = reinterpret_cast<uptr>(p);
    // Below one page there is no header to read (and nothing the heap hands out).
    if (a < kPageSize || a % kMinObject != 0) return HeapError::kForeignPointer;
    uptr h = header_of(p);
    u64 magic = *reinterpret_cast<const u64*>(h);
    if (magic == (kSlabMagic ^ h)) {
        Slab* s = reinterpret_cast<Slab*>(h);
        if (s->cache >= kCacheCount) return HeapError::kCorrupted;
        usize size = class_size(s->cache);
        usize offset = a - h;
        if (offset % size != 0) return HeapError::kForeignPointer;
        usize slot = offset / size;
        if (slot < first_slot(size) || slot >= slot_count(size)) return HeapError::kForeignPointer;
        if (!BitSpan(s->slots, kSlotBits).test(slot)) return HeapError::kDoubleFree;
        out.slab = s;
        out.slot = slot;
        return HeapError::kOk;
    }
    if (magic == (kLargeMagic ^ h)) {
        Large* l = reinterpret_cast<Large*>(h);
        if (l->data != p) return HeapError::kForeignPointer;
        out.large = l;
        return HeapError::kOk;
    }
    // Headers are marked dead before their pages go back, so a second free
    // is recognised for as long as the source has not reused the page.
    if (magic == (kDeadSlabMagic ^ h) || magic == (kFreedLargeMagic ^ h)) return HeapError::kDoubleFree;
    return HeapError::kForeignPointer;
}

HeapError Heap::free(void* p) {
    if (p == nullptr) return HeapError::kOk;
    Found f;
    if (HeapError e = find(p, f); e != HeapError::kOk) return e;
    if (f.slab != nullptr)
        free_small(f.slab, f.slot);
    else
        free_large(f.large);
    return HeapError::kOk;
}

void Heap::free_small(Slab* s, usize slot) {
    Cache& c = caches_[s->cache];
    usize size = class_size(s->cache);
    bool was_full = s->used == capacity(size);
    BitSpan(s->slots, kSlotBits).clear(slot);
    --s->used;
    poison(reinterpret_cast<u8*>(s) + slot * size, size);
    --c.live;
    bytes_in_use_ -= size;
    if (s->used == 0) {
        if (!was_full) unlink(c.partial, s);  // a one-object slab goes from full to empty
        if (c.spare == nullptr)
            c.spare = s;
        else
            release_slab(s);
    } else if (was_full) {
        link(c.partial, s);
    }
}

void Heap::free_large(Large* l) {
    void* base = l->base;
    usize pages = l->pages;
    poison(l->data, l->size);
    bytes_in_use_ -= usable_large(l);
    --large_live_;
    l->magic = kFreedLargeMagic ^ reinterpret_cast<uptr>(l);
    pages_held_ -= pages;
    source_->free_pages(base, pages);
}

void Heap::release_slab(Slab* s) {
    s->magic = kDeadSlabMagic ^ reinterpret_cast<uptr>(s);
    --caches_[s->cache].slabs;
    --pages_held_;
    source_->free_pages(s, 1);
}

void Heap::trim() {
    for (Cache& c : caches_) {
        if (c.spare == nullptr) continue;
        release_slab(c.spare);
        c.spare = nullptr;
    }
}

usize Heap::usable_size(const void* p) const {
    Found f;
    if (p == nullptr || find(p, f) != HeapError::kOk) return 0;
    return f.slab != nullptr ? class_size(f.slab->cache) : usable_large(f.large);
}

Heap::Stats Heap::stats() const {
    Stats s{};
    s.bytes_in_use = bytes_in_use_;
    s.large_allocations = large_live_;
    s.live_allocations = large_live_;
    s.pages_held = pages_held_;
    for (usize i = 0; i < kCacheCount; ++i) {
        s.caches[i] = {class_size(i), caches_[i].live, caches_[i].slabs};
        s.live_allocations += caches_[i].live;
    }
    return s;
}

}  // namespace mm
