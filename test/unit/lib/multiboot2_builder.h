// Test helpers: a byte-level Multiboot2 info block builder and a guard-paged buffer.
#pragma once

#include "lib/kstd/types.h"
#include "lib/multiboot2.h"

// Builds an info block tag by tag. Each append returns the tag's offset so tests
// can assert the exact offset an error is reported at. Sizes are written as
// given, never "fixed up", so malformed blocks are as easy to make as good ones.
class Mb2Builder {
public:
    static constexpr usize kCapacity = 16384;

    Mb2Builder();

    // A tag whose size field is 8 + n, followed by padding to 8 bytes.
    u32 tag(u32 type, const void* payload, u32 n);
    // A tag whose size field is size_field regardless of the n payload bytes written.
    u32 raw_tag(u32 type, u32 size_field, const void* payload, u32 n);
    u32 string_tag(u32 type, const char* s);  // includes the NUL
    u32 module(u32 start, u32 end, const char* s);
    u32 basic_meminfo(u32 lower_kib, u32 upper_kib);
    u32 memory_map(const mb2::MemoryRegion* regions, usize count, u32 entry_size = 24);
    u32 rsdp(u32 type, u32 length);  // "RSD PTR " then a byte pattern
    u32 end();

    // Sets total_size to the bytes appended so far.
    void finish();
    void put_u32(usize offset, u32 value);

    u8* data() { return reinterpret_cast<u8*>(storage_); }
    usize size() const { return size_; }

private:
    void append(const void* bytes, usize n);
    void pad();

    u64 storage_[kCapacity / 8];  // u64 for the 8-byte alignment the spec requires
    usize size_;
};

// Pages mapped between two inaccessible guard pages. place_at_end() copies a
// block so that it ends where the trailing guard page starts, so reading even one
// byte past an 8-byte-multiple block faults instead of going unnoticed.
class GuardedBuffer {
public:
    explicit GuardedBuffer(usize capacity);
    ~GuardedBuffer();
    GuardedBuffer(const GuardedBuffer&) = delete;
    GuardedBuffer& operator=(const GuardedBuffer&) = delete;

    // Returns the 8-byte aligned copy; if n is not a multiple of 8 the few bytes
    // between the copy's end and the guard page are filled with 0xa5.
    u8* place_at_end(const void* src, usize n);

private:
    u8* mapping_;
    usize mapping_size_;
    u8* guard_end_;  // first byte of the trailing guard page
};

// The memory map GoodBlock carries.
extern const mb2::MemoryRegion kGoodRegions[3];

// A valid block holding every tag kind the parser understands plus one it skips
// (a framebuffer tag); the members record each tag's offset.
struct GoodBlock {
    GoodBlock();

    Mb2Builder b;
    u32 cmdline, loader, module_a, module_b, meminfo, mmap, framebuffer, rsdp_old, rsdp_new, end;
};
