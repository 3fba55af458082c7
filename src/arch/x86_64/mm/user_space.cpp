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
    if (virt < kUserBase || virt >= kUserTop) return false;
    u64 phys = mm::frames().alloc();
    if (phys == 0) return false;
    __builtin_memset(mm::phys_to_virt(phys), 0, mm::kPageSize);
    x86::PageFlags f = x86::PageFlags::kUser;
    if (flags & kMapWrite) f = f | x86::PageFlags::kWritable;
    if (!(flags & kMapExec)) f = f | x86::PageFlags::kNoExecute;
    x86::PageTableError e = as(space)->map(virt, phys, f);
    if (e != x86::PageTableError::kOk) {
        mm::frames().free(phys);
        return false;
    }
    if (phys_out) *phys_out = phys;
    return true;
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

void uspace_activate(UserSpace* space) {
    if (space) as(space)->activate();
    else x86::AddressSpace::kernel().activate();
}

}  // namespace arch
