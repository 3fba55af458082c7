// arch::UserSpace: the generic kernel's handle on a user address space.
#include "arch/x86_64/cpu/syscall_entry.h"
#include "arch/x86_64/mm/address_space.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/mm/memory.h"
#include "lib/abi/syscall.h"

namespace arch {

namespace {

// UserSpace is never defined: a UserSpace* is an x86::AddressSpace*.
x86::AddressSpace* as(UserSpace* s) { return reinterpret_cast<x86::AddressSpace*>(s); }

x86::PageFlags user_flags(u32 flags) {
    x86::PageFlags f = x86::PageFlags::kUser;
    if (flags & kMapWrite) f = f | x86::PageFlags::kWritable;
    if (!(flags & kMapExec)) f = f | x86::PageFlags::kNoExecute;
    return f;
}

// The 4 KiB user page at `virt` in `t` (the space's lock held): kDone if
// there is one a task may change, its frame in `phys`.
PageChange find_user_page(x86::PageTable& t, u64 virt, u64& phys) {
    x86::Translation tr;
    if (t.translate(virt, tr) != x86::PageTableError::kOk || !x86::has(tr.flags, x86::PageFlags::kUser))
        return PageChange::kNotMapped;
    // Users only ever get 4 KiB pages; anything else is not theirs to change.
    if (tr.size != x86::PageSize::k4K || x86::is_entry_page_frame(tr.phys)) return PageChange::kPinned;
    phys = tr.phys;
    return PageChange::kDone;
}

void free_user_leaf(u64 phys, x86::PageSize size) {
    if (x86::is_entry_page_frame(phys)) return;  // shared by every task
    usize pages = x86::page_bytes(size) / mm::kPageSize;
    for (usize i = 0; i < pages; i++) mm::frames().free(phys + i * mm::kPageSize);
}

}  // namespace

UserSpace* uspace_create() { return reinterpret_cast<UserSpace*>(x86::AddressSpace::create()); }

usize uspace_destroy(UserSpace* space) {
    usize shared = 0;
    const u64 entry_pages[] = {abi::kEntryPage64, abi::kEntryPage32};
    for (u64 page : entry_pages) {
        x86::Translation t;
        if (as(space)->translate(page, t) == x86::PageTableError::kOk && x86::is_entry_page_frame(t.phys)) shared++;
    }
    return x86::AddressSpace::destroy(as(space), free_user_leaf) - shared;
}

bool uspace_map_new(UserSpace* space, u64 virt, u32 flags, u64* phys_out) {
    return uspace_map(space, virt, flags, false, phys_out) == PageChange::kDone;
}

bool uspace_lookup(UserSpace* space, u64 virt, bool write, u64& phys) {
    if (virt >= kUserTop) return false;
    x86::Translation t;
    if (as(space)->translate(virt, t) != x86::PageTableError::kOk) return false;
    if (!x86::has(t.flags, x86::PageFlags::kUser)) return false;
    if (write && !x86::has(t.flags, x86::PageFlags::kWritable)) return false;
    phys = t.phys;
    return true;
}

bool uspace_pinned(u64 phys) { return x86::is_entry_page_frame(phys); }

u64 uspace_next_mapped(UserSpace* space, u64 virt, u64 end) {
    if (end > kUserTop) end = kUserTop;
    if (virt >= end) return end;
    return as(space)->with_table([&](x86::PageTable& t) { return t.next_present(virt, end); });
}

// Each change runs under the space's lock: a second thread unmapping the same
// page waits and then finds nothing there, so a frame is freed exactly once.
// PageTable::unmap returns only after the shootdown (AddressSpace::invalidate
// waits for every live CPU's ack), so no CPU can still reach a frame freed
// after it: not the user, and not a copy helper running on another CPU.
PageChange uspace_unmap(UserSpace* space, u64 virt) {
    if (virt < kUserBase || virt >= kUserTop) return PageChange::kNotMapped;
    u64 phys = 0;
    PageChange r = as(space)->with_table([&](x86::PageTable& t) {
        PageChange found = find_user_page(t, virt, phys);
        if (found == PageChange::kDone && t.unmap(virt) != x86::PageTableError::kOk) return PageChange::kNotMapped;
        return found;
    });
    if (r == PageChange::kDone) mm::frames().free(phys);
    return r;
}

PageChange uspace_protect(UserSpace* space, u64 virt, u32 flags) {
    if (virt < kUserBase || virt >= kUserTop) return PageChange::kNotMapped;
    return as(space)->with_table([&](x86::PageTable& t) {
        u64 phys = 0;
        PageChange found = find_user_page(t, virt, phys);
        if (found == PageChange::kDone && t.protect(virt, user_flags(flags)) != x86::PageTableError::kOk)
            return PageChange::kNotMapped;
        return found;
    });
}

PageChange uspace_map(UserSpace* space, u64 virt, u32 flags, bool replace, u64* phys_out) {
    if (virt < kUserBase || virt >= kUserTop) return PageChange::kNoMemory;
    u64 fresh = mm::frames().alloc();
    if (fresh == 0) return PageChange::kNoMemory;
    __builtin_memset(mm::phys_to_virt(fresh), 0, mm::kPageSize);
    u64 old = 0;
    PageChange r = as(space)->with_table([&](x86::PageTable& t) {
        PageChange found = find_user_page(t, virt, old);
        if (found == PageChange::kPinned) return found;
        if (found == PageChange::kDone && !replace) return PageChange::kMapped;
        // Swapped in one entry write, so a thread reading the page meanwhile
        // sees the old or the new frame and never faults; the old frame is
        // freed after remap's shootdown, when no CPU can reach it.
        if (found == PageChange::kDone)
            return t.remap(virt, fresh, user_flags(flags), &old) == x86::PageTableError::kOk ? PageChange::kReplaced
                                                                                             : PageChange::kNoMemory;
        if (t.map(virt, fresh, x86::PageSize::k4K, user_flags(flags)) != x86::PageTableError::kOk)
            return PageChange::kNoMemory;  // a page table frame ran out (nothing was there)
        return PageChange::kDone;
    });
    if (r == PageChange::kReplaced) mm::frames().free(old);
    if (r != PageChange::kDone && r != PageChange::kReplaced) mm::frames().free(fresh);
    else if (phys_out) *phys_out = fresh;
    return r;
}

void uspace_activate(UserSpace* space) {
    if (space) as(space)->activate();
    else x86::AddressSpace::kernel().activate();
}

}  // namespace arch
