// Physical frame allocator: one bitmap over usable RAM, 4 KiB frames, lowest address first.
#pragma once

#include "kernel/mm/bit_span.h"
#include "lib/kstd/types.h"

namespace mm {

// [base, end) in physical address space; unaligned and overlapping ranges are fine.
struct PhysRange {
    u64 base;
    u64 end;
};

// How the allocator reaches its bitmap. It must map the bitmap's physical run
// contiguously (the kernel's direct map does; so does the host tests' buffer).
using PhysToVirt = void* (*)(u64 phys);

enum class FrameError : u8 {
    kOk,
    kInvalidArgument,  // null pointer, zero count, alignment not a power of two
    kNotInitialized,
    kNoUsableMemory,   // no whole frame of usable RAM above 1 MiB
    kNoRoomForBitmap,  // no free run large enough to hold the bitmap
    kMisaligned,       // address is not 4 KiB aligned
    kNotManaged,       // address is not usable RAM known to the allocator
    kReserved,         // address lies in a reserved range (or below 1 MiB)
    kDoubleFree,       // frame is already free
};

const char* error_name(FrameError e);

class FrameAllocator {
public:
    static constexpr u64 kFrameSize = 4096;
    // Real-mode IVT/BDA/EBDA, VGA, option ROMs and the AP trampoline live below
    // 1 MiB, so the allocator never hands it out whatever the memory map says.
    static constexpr u64 kLowMemoryEnd = 1 << 20;
    // [SDM Vol 3A 4.1.4] MAXPHYADDR is at most 52: nothing above is addressable.
    static constexpr u64 kPhysLimit = u64{1} << 52;

    constexpr FrameAllocator() = default;

    // Builds the bitmap from the multiboot2 view of memory. A frame is usable
    // when every byte of it lies in some usable range and no byte of it in a
    // reserved range. The bitmap itself goes into the lowest free run of frames.
    FrameError init(const PhysRange* usable, usize n_usable, const PhysRange* reserved,
                    usize n_reserved, PhysToVirt phys_to_virt);

    // One frame, lowest free address first; 0 when memory is exhausted
    // (physical 0 is below 1 MiB and therefore never handed out).
    u64 alloc();

    // `count` physically contiguous frames starting on a multiple of
    // `align_frames` frames (a power of two); 0 when no such run is free.
    u64 alloc_contiguous(usize count, usize align_frames = 1);

    FrameError free(u64 phys);

    // Frees `count` frames from `phys`; checks all of them before freeing any.
    FrameError free_contiguous(u64 phys, usize count);

    bool initialized() const { return phys_to_virt_ != nullptr; }
    // Frames of usable RAM above 1 MiB (reserved ones included).
    usize total_frames() const { return total_frames_; }
    // Usable frames that are never handed out (reserved ranges and the bitmap).
    usize reserved_frames() const { return reserved_frames_; }
    usize free_frames() const { return free_frames_; }
    u64 bitmap_phys() const { return bitmap_phys_; }
    usize bitmap_frames() const { return bitmap_frames_; }

private:
    enum class FrameState { kNotManaged, kReserved, kAllocated, kFree };

    FrameState state_of(u64 phys) const;
    FrameError check_free(u64 phys) const;
    void release(usize index);

    // Bit i of each map describes frame first_frame_ + i:
    //   ram_:  the frame is usable RAM;
    //   pool_: it is usable RAM outside every reserved range (may be handed out);
    //   free_: it is in the pool and currently free (free_ is a subset of pool_).
    BitSpan ram_;
    BitSpan pool_;
    BitSpan free_;
    u64 first_frame_ = 0;
    usize frame_count_ = 0;
    // Every frame below this index is allocated: scans start here, so the
    // lowest-address-first policy does not rescan the full low region each time.
    usize search_hint_ = 0;
    usize total_frames_ = 0;
    usize reserved_frames_ = 0;
    usize free_frames_ = 0;
    u64 bitmap_phys_ = 0;
    usize bitmap_frames_ = 0;
    PhysToVirt phys_to_virt_ = nullptr;
    // TODO(smp): every public operation after init needs the allocator's spinlock.
};

}  // namespace mm
