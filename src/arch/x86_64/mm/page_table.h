// x86_64 4-level page tables: map, unmap, protect and translate 4 KiB, 2 MiB and 1 GiB pages.
#pragma once

#include "lib/kstd/types.h"

namespace x86 {

// Where page-table frames come from. Kernel: the frame allocator and the
// direct map; host tests: a fake physical memory.
class PageTableMemory {
public:
    virtual void* phys_to_virt(u64 phys) = 0;
    // Physical address of a zeroed 4 KiB frame, or 0 when memory is exhausted.
    virtual u64 alloc_table() = 0;
    virtual void free_table(u64 phys) = 0;

protected:
    ~PageTableMemory() = default;
};

// Called after a present leaf entry changed. Kernel: invlpg when the table is
// live on this CPU (and, later, a shootdown); host tests: a recorder.
class TlbInvalidator {
public:
    virtual void invalidate(u64 virt) = 0;

protected:
    ~TlbInvalidator() = default;
};

enum class PageFlags : u32 {
    kNone = 0,
    kWritable = 1 << 0,
    kUser = 1 << 1,
    kNoExecute = 1 << 2,  // dropped silently when the CPU has no NX
    kGlobal = 1 << 3,
    kCacheDisable = 1 << 4,
    kWriteThrough = 1 << 5,
};

constexpr PageFlags operator|(PageFlags a, PageFlags b) {
    return static_cast<PageFlags>(static_cast<u32>(a) | static_cast<u32>(b));
}
constexpr PageFlags operator&(PageFlags a, PageFlags b) {
    return static_cast<PageFlags>(static_cast<u32>(a) & static_cast<u32>(b));
}
constexpr PageFlags kAllPageFlags = static_cast<PageFlags>(0x3f);
constexpr PageFlags operator~(PageFlags a) {
    return static_cast<PageFlags>(~static_cast<u32>(a) & static_cast<u32>(kAllPageFlags));
}
constexpr bool has(PageFlags set, PageFlags f) { return (set & f) != PageFlags::kNone; }

// 1 GiB pages need CPUID.80000001H:EDX.Page1GB; map_range never picks them.
enum class PageSize : u8 { k4K, k2M, k1G };

constexpr u64 page_bytes(PageSize s) {
    return s == PageSize::k4K ? u64{1} << 12 : s == PageSize::k2M ? u64{1} << 21 : u64{1} << 30;
}

enum class PageTableError : u8 {
    kOk,
    kNonCanonical,      // virtual address outside the two 47-bit halves
    kMisaligned,        // virt or phys not aligned to the page size (or bytes not to 4 KiB)
    kPhysTooLarge,      // physical address at or beyond 2^52
    kUserInKernelHalf,  // user flag on an address in the upper half
    kAlreadyMapped,     // something is mapped there (a page, or a table with entries)
    kNotMapped,
    kInsideLargePage,   // unmap/protect of an address inside (not at the start of) a large page
    kOutOfMemory,       // no frame for an intermediate table
    kInvalidTable,      // the PageTable has no PML4 (create failed)
};

const char* error_name(PageTableError e);

// What translate() found.
struct Translation {
    u64 phys;  // the physical address of `virt` itself (page base + offset)
    PageFlags flags;
    PageSize size;
};

class PageTable {
public:
    static constexpr usize kEntries = 512;
    static constexpr usize kFirstKernelEntry = 256;  // PML4 entries for the upper half

    PageTable() = default;
    PageTable(PageTableMemory& mem, TlbInvalidator& tlb, u64 pml4_phys, bool nx_supported);

    // Allocates an empty PML4; valid() is false if no frame was available.
    static PageTable create(PageTableMemory& mem, TlbInvalidator& tlb, bool nx_supported);

    bool valid() const { return pml4_phys_ != 0; }
    u64 pml4_phys() const { return pml4_phys_; }

    PageTableError map(u64 virt, u64 phys, PageSize size, PageFlags flags);
    // Maps [virt, virt+bytes) to [phys, phys+bytes) with 2 MiB pages wherever
    // both addresses are 2 MiB aligned and 2 MiB remain, 4 KiB pages elsewhere.
    // All or nothing: on failure the pages it mapped are unmapped again.
    PageTableError map_range(u64 virt, u64 phys, u64 bytes, PageFlags flags);
    // Removes the page that starts at `virt`; reports what it mapped.
    PageTableError unmap(u64 virt, u64* phys_out = nullptr, PageSize* size_out = nullptr);
    // Replaces the permissions of the page that starts at `virt`.
    PageTableError protect(u64 virt, PageFlags flags);
    // Points the 4 KiB page at `virt` to `phys` with `flags` in one entry
    // write (the page stays present throughout); reports the old frame.
    PageTableError remap(u64 virt, u64 phys, PageFlags flags, u64* old_phys);
    PageTableError translate(u64 virt, Translation& out) const;
    // The lowest 4 KiB-aligned address in [virt, end) inside a present page,
    // or `end`; skips a missing table whole (512 GiB, 1 GiB, 2 MiB at a time).
    u64 next_present(u64 virt, u64 end) const;

    // Shares the upper half (PML4 entries 256..511) of `kernel`: every address
    // space sees the same kernel tables, so kernel mappings made below those
    // entries later show up everywhere.
    void copy_kernel_half_from(const PageTable& kernel);
    // Gives every empty upper-half PML4 entry a table, so that the copies
    // above never miss a kernel mapping made later. False if out of memory.
    bool populate_kernel_half();
    // Tears down the lower half: every leaf frame is passed to `free_leaf`
    // (4 KiB, 2 MiB or 1 GiB), every table frame goes back to the table
    // memory, and the PML4 itself too. The table is invalid afterwards.
    // Returns the number of leaf pages freed.
    usize destroy_user_half(void (*free_leaf)(u64 phys, PageSize size));

private:
    struct Walk;

    u64* table(u64 phys) const;
    u64 leaf_bits(PageFlags flags, PageSize size) const;
    PageFlags decode(u64 entry) const;
    PageTableError find_leaf(u64 virt, Walk& w) const;
    PageTableError check_user(u64 virt, PageFlags flags) const;
    void grant_user(const Walk& w);

    PageTableMemory* mem_ = nullptr;
    TlbInvalidator* tlb_ = nullptr;
    u64 pml4_phys_ = 0;
    bool nx_supported_ = false;
    // TODO(smp): map/unmap/protect on a shared table need the address space's lock.
};

}  // namespace x86
