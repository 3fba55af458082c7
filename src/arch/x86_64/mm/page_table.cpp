// x86_64 4-level page tables: walking, building and tearing down entries.
#include "arch/x86_64/mm/page_table.h"

#include "lib/kstd/utility.h"

namespace x86 {

namespace {

// [SDM Vol 3A 4.5, Tables 4-14..4-20] Entry bits for 4-level paging.
constexpr u64 kPresent = u64{1} << 0;
constexpr u64 kWrite = u64{1} << 1;
constexpr u64 kUserBit = u64{1} << 2;
constexpr u64 kPwt = u64{1} << 3;
constexpr u64 kPcd = u64{1} << 4;
constexpr u64 kAccessed = u64{1} << 5;
constexpr u64 kDirty = u64{1} << 6;        // leaf entries only
constexpr u64 kPageSize = u64{1} << 7;     // PS in PDPTEs and PDEs; PAT in PTEs; reserved in PML4Es
constexpr u64 kGlobalBit = u64{1} << 8;    // leaf entries only, needs CR4.PGE
constexpr u64 kNoExec = u64{1} << 63;      // XD: reserved unless IA32_EFER.NXE = 1
// The frame address is bits 12..51 for tables and 4 KiB pages; large pages
// keep PAT at bit 12, so their address starts at bit 21 (2 MiB) or 30 (1 GiB).
constexpr u64 kAddr4K = 0x000ffffffffff000;
constexpr u64 kAddr2M = 0x000fffffffe00000;
constexpr u64 kAddr1G = 0x000fffffc0000000;
constexpr u64 kPhysLimit = u64{1} << 52;
constexpr u64 kSmallPage = 4096;
constexpr u64 kLargePage = u64{1} << 21;

// Levels are numbered as the SDM walks them: 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT.
constexpr int level_of(PageSize s) { return s == PageSize::k4K ? 1 : s == PageSize::k2M ? 2 : 3; }
constexpr PageSize size_of(int level) {
    return level == 1 ? PageSize::k4K : level == 2 ? PageSize::k2M : PageSize::k1G;
}
constexpr u64 addr_mask(int level) { return level == 1 ? kAddr4K : level == 2 ? kAddr2M : kAddr1G; }
constexpr usize index(u64 virt, int level) { return (virt >> (12 + 9 * (level - 1))) & 511; }

// [SDM Vol 3A 4.5] With 48-bit linear addresses, bits 63..47 must all be equal.
constexpr bool is_canonical(u64 virt) {
    return static_cast<u64>(static_cast<i64>(virt << 16) >> 16) == virt;
}
constexpr bool is_kernel_half(u64 virt) { return (virt >> 63) != 0; }

bool table_is_empty(const u64* t) {
    for (usize i = 0; i < PageTable::kEntries; ++i)
        if (t[i] != 0) return false;
    return true;
}

}  // namespace

// The entries a walk went through, by level; `level` is where it stopped.
struct PageTable::Walk {
    u64* entry[5] = {};
    int level = 0;
};

const char* error_name(PageTableError e) {
    switch (e) {
    case PageTableError::kOk: return "ok";
    case PageTableError::kNonCanonical: return "non-canonical virtual address";
    case PageTableError::kMisaligned: return "address misaligned for the page size";
    case PageTableError::kPhysTooLarge: return "physical address beyond 52 bits";
    case PageTableError::kUserInKernelHalf: return "user page in the kernel half";
    case PageTableError::kAlreadyMapped: return "already mapped";
    case PageTableError::kNotMapped: return "not mapped";
    case PageTableError::kInsideLargePage: return "address inside a large page";
    case PageTableError::kOutOfMemory: return "out of memory for page tables";
    case PageTableError::kInvalidTable: return "page table has no PML4";
    }
    return "unknown page table error";
}

PageTable::PageTable(PageTableMemory& mem, TlbInvalidator& tlb, u64 pml4_phys, bool nx_supported)
    : mem_(&mem), tlb_(&tlb), pml4_phys_(pml4_phys), nx_supported_(nx_supported) {}

PageTable PageTable::create(PageTableMemory& mem, TlbInvalidator& tlb, bool nx_supported) {
    return PageTable(mem, tlb, mem.alloc_table(), nx_supported);
}

u64* PageTable::table(u64 phys) const { return static_cast<u64*>(mem_->phys_to_virt(phys)); }

u64 PageTable::leaf_bits(PageFlags flags, PageSize size) const {
    u64 bits = kPresent;
    if (has(flags, PageFlags::kWritable)) bits |= kWrite;
    if (has(flags, PageFlags::kUser)) bits |= kUserBit;
    if (has(flags, PageFlags::kWriteThrough)) bits |= kPwt;
    if (has(flags, PageFlags::kCacheDisable)) bits |= kPcd;
    if (has(flags, PageFlags::kGlobal)) bits |= kGlobalBit;
    // Without IA32_EFER.NXE, bit 63 is reserved [SDM Vol 3A 4.5] and setting it
    // makes every access #PF with RSVD=1 [SDM Vol 3A 4.7]: drop the request.
    if (has(flags, PageFlags::kNoExecute) && nx_supported_) bits |= kNoExec;
    if (size != PageSize::k4K) bits |= kPageSize;
    return bits;
}

PageFlags PageTable::decode(u64 entry) const {
    PageFlags f = PageFlags::kNone;
    if (entry & kWrite) f = f | PageFlags::kWritable;
    if (entry & kUserBit) f = f | PageFlags::kUser;
    if (entry & kPwt) f = f | PageFlags::kWriteThrough;
    if (entry & kPcd) f = f | PageFlags::kCacheDisable;
    if (entry & kGlobalBit) f = f | PageFlags::kGlobal;
    if (entry & kNoExec) f = f | PageFlags::kNoExecute;
    return f;
}

// Intermediate entries are always present + writable and get the user bit for
// user leaves: the effective rights are the intersection over the walk
// [SDM Vol 3A 4.6.1], so the leaf alone decides.
PageTableError PageTable::check_user(u64 virt, PageFlags flags) const {
    if (has(flags, PageFlags::kUser) && is_kernel_half(virt)) return PageTableError::kUserInKernelHalf;
    return PageTableError::kOk;
}

void PageTable::grant_user(const Walk& w) {
    for (int level = 4; level > w.level; --level) *w.entry[level] |= kUserBit;
}

PageTableError PageTable::find_leaf(u64 virt, Walk& w) const {
    if (!valid()) return PageTableError::kInvalidTable;
    if (!is_canonical(virt)) return PageTableError::kNonCanonical;
    u64* t = table(pml4_phys_);
    for (int level = 4; level >= 1; --level) {
        u64* e = &t[index(virt, level)];
        w.entry[level] = e;
        if ((*e & kPresent) == 0) return PageTableError::kNotMapped;
        // PS is reserved in a PML4E, so only levels 3 and 2 can end in a large page.
        if (level == 1 || (level <= 3 && (*e & kPageSize) != 0)) {
            w.level = level;
            return PageTableError::kOk;
        }
        t = table(*e & kAddr4K);
    }
    return PageTableError::kNotMapped;
}

PageTableError PageTable::map(u64 virt, u64 phys, PageSize size, PageFlags flags) {
    if (!valid()) return PageTableError::kInvalidTable;
    if (!is_canonical(virt)) return PageTableError::kNonCanonical;
    u64 bytes = page_bytes(size);
    if (!kstd::is_aligned(virt, bytes) || !kstd::is_aligned(phys, bytes)) return PageTableError::kMisaligned;
    if (phys >= kPhysLimit) return PageTableError::kPhysTooLarge;
    if (PageTableError e = check_user(virt, flags); e != PageTableError::kOk) return e;

    const int leaf_level = level_of(size);
    Walk w;
    w.level = leaf_level;
    // Tables this call linked in (and where); unlinked again if a later level fails.
    u64 created[3];
    u64* created_at[3];
    int n_created = 0;
    u64* t = table(pml4_phys_);
    for (int level = 4; level > leaf_level; --level) {
        u64* e = &t[index(virt, level)];
        w.entry[level] = e;
        if ((*e & kPresent) == 0) {
            u64 fresh = mem_->alloc_table();
            if (fresh == 0) {
                // Unlink before freeing: a speculative walk may have cached the
                // new entries, so flush them before the frames can be reused.
                for (int k = 0; k < n_created; ++k) *created_at[k] = 0;
                if (n_created != 0) tlb_->invalidate(virt);
                for (int k = n_created - 1; k >= 0; --k) mem_->free_table(created[k]);
                return PageTableError::kOutOfMemory;
            }
            *e = fresh | kPresent | kWrite;
            created[n_created] = fresh;
            created_at[n_created++] = e;
        } else if (level <= 3 && (*e & kPageSize) != 0) {
            return PageTableError::kAlreadyMapped;  // a large page covers virt
        }
        t = table(*e & kAddr4K);
    }

    u64* leaf = &t[index(virt, leaf_level)];
    w.entry[leaf_level] = leaf;
    u64 orphan = 0;
    if ((*leaf & kPresent) != 0) {
        // A large page may replace a table only if nothing is mapped through it.
        if (leaf_level == 1 || (*leaf & kPageSize) != 0 || !table_is_empty(table(*leaf & kAddr4K)))
            return PageTableError::kAlreadyMapped;
        orphan = *leaf & kAddr4K;
    }
    if (has(flags, PageFlags::kUser)) grant_user(w);
    *leaf = phys | leaf_bits(flags, size);
    if (orphan != 0) {
        // [SDM Vol 3A 4.10.4.1] INVLPG also drops paging-structure-cache
        // entries, which may still point at the table being freed.
        tlb_->invalidate(virt);
        mem_->free_table(orphan);
    }
    // Translations through a not-present entry are never cached
    // [SDM Vol 3A 4.10.2.2], so a new mapping needs no invalidation.
    return PageTableError::kOk;
}

PageTableError PageTable::map_range(u64 virt, u64 phys, u64 bytes, PageFlags flags) {
    if (!valid()) return PageTableError::kInvalidTable;
    if (!kstd::is_aligned(virt, kSmallPage) || !kstd::is_aligned(phys, kSmallPage) ||
        !kstd::is_aligned(bytes, kSmallPage))
        return PageTableError::kMisaligned;
    if (bytes == 0) return PageTableError::kOk;
    // Both ends canonical and in the same half: then every page between is too,
    // and nothing gets mapped only to be rolled back.
    u64 last = virt + (bytes - 1);
    if (last < virt || !is_canonical(virt) || !is_canonical(last) || is_kernel_half(virt) != is_kernel_half(last))
        return PageTableError::kNonCanonical;
    if (phys >= kPhysLimit || bytes > kPhysLimit - phys) return PageTableError::kPhysTooLarge;

    u64 done = 0;
    while (done < bytes) {
        u64 v = virt + done;
        u64 p = phys + done;
        bool large = kstd::is_aligned(v, kLargePage) && kstd::is_aligned(p, kLargePage) &&
                     bytes - done >= kLargePage;
        PageSize size = large ? PageSize::k2M : PageSize::k4K;
        PageTableError e = map(v, p, size, flags);
        if (e != PageTableError::kOk) {
            for (u64 undone = 0; undone < done;) {
                PageSize removed = PageSize::k4K;
                unmap(virt + undone, nullptr, &removed);
                undone += page_bytes(removed);
            }
            return e;
        }
        done += page_bytes(size);
    }
    return PageTableError::kOk;
}

PageTableError PageTable::unmap(u64 virt, u64* phys_out, PageSize* size_out) {
    if (!kstd::is_aligned(virt, kSmallPage)) return PageTableError::kMisaligned;
    Walk w;
    if (PageTableError e = find_leaf(virt, w); e != PageTableError::kOk) return e;
    // No silent split of a large page: the caller must unmap it whole.
    if (!kstd::is_aligned(virt, page_bytes(size_of(w.level)))) return PageTableError::kInsideLargePage;
    u64* leaf = w.entry[w.level];
    if (phys_out != nullptr) *phys_out = *leaf & addr_mask(w.level);
    if (size_out != nullptr) *size_out = size_of(w.level);
    *leaf = 0;
    tlb_->invalidate(virt);
    return PageTableError::kOk;
}

PageTableError PageTable::protect(u64 virt, PageFlags flags) {
    if (!kstd::is_aligned(virt, kSmallPage)) return PageTableError::kMisaligned;
    Walk w;
    if (PageTableError e = find_leaf(virt, w); e != PageTableError::kOk) return e;
    if (!kstd::is_aligned(virt, page_bytes(size_of(w.level)))) return PageTableError::kInsideLargePage;
    if (PageTableError e = check_user(virt, flags); e != PageTableError::kOk) return e;
    u64* leaf = w.entry[w.level];
    if (has(flags, PageFlags::kUser)) grant_user(w);
    *leaf = (*leaf & (addr_mask(w.level) | kAccessed | kDirty)) | leaf_bits(flags, size_of(w.level));
    // Needed when rights shrink; when they grow it only spares a spurious #PF
    // [SDM Vol 3A 4.10.4.3], which is cheaper to avoid than to explain.
    tlb_->invalidate(virt);
    return PageTableError::kOk;
}

PageTableError PageTable::remap(u64 virt, u64 phys, PageFlags flags, u64* old_phys) {
    if (!kstd::is_aligned(virt, kSmallPage) || !kstd::is_aligned(phys, kSmallPage)) return PageTableError::kMisaligned;
    if (phys >= kPhysLimit) return PageTableError::kPhysTooLarge;
    Walk w;
    if (PageTableError e = find_leaf(virt, w); e != PageTableError::kOk) return e;
    if (size_of(w.level) != PageSize::k4K) return PageTableError::kInsideLargePage;
    if (PageTableError e = check_user(virt, flags); e != PageTableError::kOk) return e;
    u64* leaf = w.entry[w.level];
    if (has(flags, PageFlags::kUser)) grant_user(w);
    if (old_phys != nullptr) *old_phys = *leaf & addr_mask(w.level);
    // One store: another CPU's walk sees the old or the new frame, never a
    // hole; its cached old translation goes with the invalidation below.
    __atomic_store_n(leaf, phys | leaf_bits(flags, PageSize::k4K), __ATOMIC_RELEASE);
    tlb_->invalidate(virt);
    return PageTableError::kOk;
}

u64 PageTable::next_present(u64 virt, u64 end) const {
    virt &= ~(kSmallPage - 1);
    while (virt < end && valid() && is_canonical(virt)) {
        u64* t = table(pml4_phys_);
        u64 skip = 0;
        for (int level = 4; level >= 1; --level) {
            u64 e = t[index(virt, level)];
            if ((e & kPresent) == 0) {
                skip = u64{1} << (12 + 9 * (level - 1));  // what one entry of this level covers
                break;
            }
            if (level == 1 || (level <= 3 && (e & kPageSize) != 0)) return virt;
            t = table(e & kAddr4K);
        }
        u64 next = (virt & ~(skip - 1)) + skip;
        if (next <= virt) break;  // wrapped past the top
        virt = next;
    }
    return end;
}

PageTableError PageTable::translate(u64 virt, Translation& out) const {
    Walk w;
    if (PageTableError e = find_leaf(virt, w); e != PageTableError::kOk) return e;
    u64 entry = *w.entry[w.level];
    PageSize size = size_of(w.level);
    out.phys = (entry & addr_mask(w.level)) | (virt & (page_bytes(size) - 1));
    out.flags = decode(entry);
    out.size = size;
    return PageTableError::kOk;
}

void PageTable::copy_kernel_half_from(const PageTable& kernel) {
    if (!valid() || !kernel.valid()) return;
    u64* mine = table(pml4_phys_);
    const u64* theirs = kernel.table(kernel.pml4_phys_);
    for (usize i = kFirstKernelEntry; i < kEntries; ++i) mine[i] = theirs[i];
}

bool PageTable::populate_kernel_half() {
    if (!valid()) return false;
    u64* pml4 = table(pml4_phys_);
    for (usize i = kFirstKernelEntry; i < kEntries; ++i) {
        if (pml4[i] & kPresent) continue;
        u64 fresh = mem_->alloc_table();
        if (fresh == 0) return false;
        pml4[i] = fresh | kPresent | kWrite;
    }
    return true;
}

namespace {

// Frees the tables below `phys` (a table at `level`, 4 = PML4), leaves first.
usize free_level(PageTableMemory& mem, u64 phys, int level, usize first, usize end,
                 void (*free_leaf)(u64, PageSize)) {
    usize leaves = 0;
    u64* t = static_cast<u64*>(mem.phys_to_virt(phys));
    for (usize i = first; i < end; ++i) {
        u64 e = t[i];
        if (!(e & kPresent)) continue;
        if (level == 1 || (level <= 3 && (e & kPageSize))) {
            free_leaf(e & addr_mask(level), size_of(level));
            leaves++;
        } else {
            leaves += free_level(mem, e & kAddr4K, level - 1, 0, PageTable::kEntries, free_leaf);
            mem.free_table(e & kAddr4K);
        }
        t[i] = 0;
    }
    return leaves;
}

}  // namespace

usize PageTable::destroy_user_half(void (*free_leaf)(u64 phys, PageSize size)) {
    if (!valid()) return 0;
    usize leaves = free_level(*mem_, pml4_phys_, 4, 0, kFirstKernelEntry, free_leaf);
    mem_->free_table(pml4_phys_);
    pml4_phys_ = 0;
    return leaves;
}

}  // namespace x86
