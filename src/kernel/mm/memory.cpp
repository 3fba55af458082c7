// Memory bring-up: which physical memory is free (the memory map minus the
// kernel image, the boot modules and the multiboot2 block), then the kernel's
// page tables and heap on top of it.
#include "kernel/mm/memory.h"

#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/mm/kernel_heap.h"
#include "kernel/panic.h"
#include "kernel/sync/spinlock.h"

extern "C" char __kernel_phys_start[], __kernel_end[];

namespace mm {
namespace {

FrameAllocator g_frames;
SharedFrames g_shared_frames;
ksync::SpinLock g_frames_lock{"frames"};
u64 g_direct_map_end = 4ull << 30;  // what the boot page tables map

void* direct_map(u64 phys) { return phys_to_virt(phys); }

}  // namespace

SharedFrames& frames() { return g_shared_frames; }

u64 SharedFrames::alloc() {
    ksync::IrqSpinGuard g(g_frames_lock);
    return g_frames.alloc();
}

u64 SharedFrames::alloc_contiguous(usize count, usize align_frames) {
    ksync::IrqSpinGuard g(g_frames_lock);
    return g_frames.alloc_contiguous(count, align_frames);
}

FrameError SharedFrames::free(u64 phys) {
    ksync::IrqSpinGuard g(g_frames_lock);
    return g_frames.free(phys);
}

FrameError SharedFrames::free_contiguous(u64 phys, usize count) {
    ksync::IrqSpinGuard g(g_frames_lock);
    return g_frames.free_contiguous(phys, count);
}

// A snapshot: the count may change as soon as it is read.
usize SharedFrames::free_frames() const { return g_frames.free_frames(); }

FrameAllocator& SharedFrames::unlocked() { return g_frames; }
u64 direct_map_end() { return g_direct_map_end; }

void init(const mb2::Info& info, u64 info_phys) {
    PhysRange usable[mb2::kMaxMemoryRegions];
    usize n_usable = 0;
    u64 phys_top = 0;
    for (usize i = 0; i < info.region_count; i++) {
        const mb2::MemoryRegion& r = info.regions[i];
        if (r.base + r.length > phys_top) phys_top = r.base + r.length;
        if (r.type == mb2::kMemoryAvailable) usable[n_usable++] = {r.base, r.base + r.length};
    }

    // Never hand out what is still in use from boot: the kernel image (with
    // its boot tables), the modules and the multiboot2 information itself.
    PhysRange reserved[mb2::kMaxModules + 2];
    usize n_reserved = 0;
    reserved[n_reserved++] = {reinterpret_cast<u64>(__kernel_phys_start),
                              reinterpret_cast<u64>(__kernel_end) - kKernelVma};
    reserved[n_reserved++] = {info_phys, info_phys + info.total_size};
    for (usize i = 0; i < info.module_count; i++) {
        reserved[n_reserved++] = {info.modules[i].start, info.modules[i].end};
    }

    FrameError e = g_frames.init(usable, n_usable, reserved, n_reserved, direct_map);
    if (e != FrameError::kOk) panic("frame allocator: %s", error_name(e));
    klog::report("frames", "total=%zu free=%zu reserved=%zu bitmap=0x%lx", g_frames.total_frames(),
                 g_frames.free_frames(), g_frames.reserved_frames(), g_frames.bitmap_phys());

    g_direct_map_end = arch::paging_init(phys_top);
    heap_init();
}

}  // namespace mm
