// The parts of kernel access to user memory that need no hardware, so the
// host tests can reach them: the user range check and the exception-table
// lookup.
#pragma once

#include <stddef.h>

#include "lib/kstd/types.h"

namespace x86 {

// One exception-table entry (section __ex_table, written by user_copy.asm):
// an instruction that may fault on a bad user address, and where execution
// resumes if it does.
struct ExTableEntry {
    u64 fault_rip;
    u64 fixup_rip;
};
static_assert(sizeof(ExTableEntry) == 16 && offsetof(ExTableEntry, fixup_rip) == 8,
              "user_copy.asm writes each entry as two dq");

// True when [addr, addr + n) lies inside [0, top). addr + n is never
// computed, so no wrap-around can let a range that ends in the kernel half
// (or starts at a non-canonical address) through; an empty range at `top`
// itself is accepted, one past it is not.
constexpr bool user_range_ok(u64 addr, u64 n, u64 top) { return addr <= top && n <= top - addr; }

// The entry whose fault_rip is `rip`, or nullptr. A linear search: the table
// holds one entry per instruction that touches user memory, a handful, so
// sorting it would buy nothing.
inline const ExTableEntry* extable_find(const ExTableEntry* begin, const ExTableEntry* end, u64 rip) {
    for (const ExTableEntry* e = begin; e < end; e++) {
        if (e->fault_rip == rip) return e;
    }
    return nullptr;
}

}  // namespace x86
