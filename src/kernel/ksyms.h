// Kernel symbol table (embedded at link time by tools/gen-ksyms) and the
// symbolized backtrace printer used by panics and fault reports.
#pragma once

#include "lib/kstd/types.h"

namespace ksyms {

// Name of the function containing pc and the offset into it, or nullptr.
const char* lookup(u64 pc, u64& offset);

// Number of symbols embedded (0 means the image was linked without them).
usize count();

// Prints "backtrace:" and one "  #i 0x... name+0xoff" line per frame.
void print_backtrace(const u64* pcs, usize n);

}  // namespace ksyms
