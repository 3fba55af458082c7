// Kernel memory bring-up and the kernel's view of physical memory: the frame
// allocator, the kernel page tables with the direct map, and the heap.
#pragma once

#include "kernel/mm/frame_allocator.h"
#include "lib/kstd/types.h"
#include "lib/multiboot2.h"

namespace mm {

// All of physical memory is mapped here (the boot page tables already map the
// first 4 GiB at this address, so it works before mm::init too).
constexpr u64 kDirectMapBase = 0xFFFF800000000000;
constexpr u64 kKernelVma = 0xFFFFFFFF80000000;
constexpr u64 kPageSize = 4096;

inline void* phys_to_virt(u64 phys) { return reinterpret_cast<void*>(kDirectMapBase + phys); }
inline void* early_phys_to_virt(u64 phys) { return phys_to_virt(phys); }

// Frame allocator over the multiboot2 memory map, then the kernel page
// tables, then the heap. Panics with a reason if any step is impossible.
void init(const mb2::Info& info, u64 info_phys);

// The frame allocator shared by every CPU: each call takes the allocator's
// lock with interrupts off (the allocator itself is single-threaded code).
class SharedFrames {
public:
    u64 alloc();
    u64 alloc_contiguous(usize count, usize align_frames = 1);
    FrameError free(u64 phys);
    FrameError free_contiguous(u64 phys, usize count);
    usize free_frames() const;
    // The allocator itself, for set-up and statistics on the boot CPU.
    FrameAllocator& unlocked();
};

SharedFrames& frames();

// End of the direct map: physical addresses below it can be reached with
// phys_to_virt() (after init(); before it, the boot tables' 4 GiB).
u64 direct_map_end();

}  // namespace mm
