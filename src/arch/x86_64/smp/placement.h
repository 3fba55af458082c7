// Where the AP trampoline goes: a page-aligned run of usable RAM below 1 MiB
// (the start-up IPI can only name a page under 0x100000) that no boot module
// or the multiboot2 information block occupies.
#pragma once

#include "lib/kstd/types.h"
#include "lib/multiboot2.h"

namespace x86 {

struct PhysRange {
    u64 start, end;  // [start, end)
};

// Lowest page-aligned address in [lo, hi) where `bytes` fit inside one
// usable region and touch none of `avoid`; 0 if there is none.
u64 find_trampoline_base(const mb2::Info& info, u64 bytes, const PhysRange* avoid, usize avoid_count,
                         u64 lo, u64 hi);

}  // namespace x86
