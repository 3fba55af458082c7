// The kernel page tables (kernel_space.cpp): x86-only queries about them.
#pragma once

#include "lib/kstd/types.h"

namespace x86 {

// True for the unmapped guard page under the boot stack or an IST stack.
bool is_guard_page(u64 virt);

}  // namespace x86
