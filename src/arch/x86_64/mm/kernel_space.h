// The kernel page tables (kernel_space.cpp): x86-only queries about them.
#pragma once

#include "arch/x86_64/mm/page_table.h"
#include "lib/kstd/types.h"

namespace x86 {

// True for the unmapped guard page under the boot stack or an IST stack.
bool is_guard_page(u64 virt);
// True for the guard page range under a thread's kernel stack (kernel_stacks.cpp).
bool is_thread_stack_guard(u64 virt);

// Physical address of the kernel PML4 (what CR3 holds on every CPU for now).
u64 kernel_pml4_phys();

// Where page-table frames come from (the frame allocator, through the direct map).
PageTableMemory& kernel_table_memory();

}  // namespace x86
