// Boot self-tests. Each measures something about the running kernel, prints
// the measured values ("lstar: selftest ...") for the emulator tests to check
// independently, and one TAP line with the kernel's own verdict.
#include "kernel/selftest.h"
#include "kernel/sched/thread.h"

#include <stdarg.h>

#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/mm/kernel_heap.h"
#include "kernel/mm/memory.h"
#include "lib/format.h"

extern "C" char __kernel_phys_start[], __kernel_end[];

namespace selftest {
namespace {

unsigned g_tap_number = 0;

// Allocates every free frame (chaining them through their first word via the
// direct map), checks none overlaps the kernel image, frees them all, then
// checks that freeing one again is caught as a double free.
bool frames_all_and_back() {
    mm::SharedFrames& fa = mm::frames();
    const usize free_before = fa.free_frames();
    const u64 image_lo = reinterpret_cast<u64>(__kernel_phys_start);
    const u64 image_hi = reinterpret_cast<u64>(__kernel_end) - mm::kKernelVma;

    u64 head = 0, allocated = 0, bad = 0;
    for (u64 f; (f = fa.alloc()) != 0; allocated++) {
        if ((f & (mm::kPageSize - 1)) != 0 || f < (1 << 20) || (f < image_hi && f + mm::kPageSize > image_lo)) bad++;
        *static_cast<u64*>(mm::phys_to_virt(f)) = head;
        head = f;
    }
    const usize free_at_empty = fa.free_frames();

    u64 freed = 0, free_errors = 0, last = 0;
    while (head != 0) {
        u64 next = *static_cast<u64*>(mm::phys_to_virt(head));
        if (fa.free(head) == mm::FrameError::kOk) freed++;
        else free_errors++;
        last = head;
        head = next;
    }
    const bool double_free_caught = last != 0 && fa.free(last) == mm::FrameError::kDoubleFree;
    const usize free_after = fa.free_frames();

    klog::report("selftest", "frames allocated=%lu freed=%lu free_before=%zu free_after=%zu bad=%lu double_free=%s",
                 allocated, freed, free_before, free_after, bad, double_free_caught ? "caught" : "missed");
    return tap(allocated > 0 && allocated == freed && free_at_empty == 0 && free_after == free_before &&
                   bad == 0 && free_errors == 0 && double_free_caught,
               "frames: allocate all %lu free frames and free them again", allocated);
}

// Maps a fresh frame at a scratch kernel address, writes through that mapping
// and reads the value back through the direct map, then unmaps it.
bool map_write_read_direct() {
    constexpr u64 kScratch = 0xFFFFC00000000000;  // unused kernel-half slot
    u64 phys = mm::frames().alloc();
    if (phys == 0) return tap(false, "paging: no frame for the mapping test");
    if (!arch::kernel_map(kScratch, phys, arch::kMapWrite)) {
        mm::frames().free(phys);
        return tap(false, "paging: kernel_map failed");
    }
    // A value that differs per boot, so a stale or wrong page cannot match by luck.
    const u64 wrote = (arch::time_ns() * 0x9E3779B97F4A7C15ull) | 1;
    *reinterpret_cast<volatile u64*>(kScratch + 8) = wrote;
    const u64 read = *static_cast<volatile u64*>(mm::phys_to_virt(phys + 8));
    u64 translated = 0;
    const bool translate_ok = arch::kernel_translate(kScratch + 8, translated) && translated == phys + 8;
    const bool unmapped = arch::kernel_unmap(kScratch) && !arch::kernel_translate(kScratch, translated);
    mm::frames().free(phys);

    klog::report("selftest", "map virt=0x%lx phys=0x%lx wrote=0x%lx read=0x%lx", kScratch + 8, phys + 8, wrote, read);
    return tap(read == wrote && translate_ok && unmapped,
               "paging: write through a new mapping, read back through the direct map");
}

// new/delete of many sizes (slab classes and page runs), each block filled
// with its own pattern and verified before it is freed; the heap's counters
// must return to where they started, and a second free must be caught.
bool heap_new_delete() {
    constexpr usize kBlocks = 256;
    mm::Heap& heap = mm::heap();
    const mm::Heap::Stats before = heap.stats();

    u8* blocks[kBlocks];
    usize sizes[kBlocks];
    u64 bytes = 0;
    for (usize i = 0; i < kBlocks; i++) {
        sizes[i] = 1 + (i * 97 + (i % 7) * 1531) % 9000;  // 1 B .. ~9 KiB, crossing every class
        blocks[i] = new u8[sizes[i]];
        for (usize j = 0; j < sizes[i]; j++) blocks[i][j] = u8(i + j);
        bytes += sizes[i];
    }
    const mm::Heap::Stats peak = heap.stats();
    usize verified = 0;
    for (usize i = 0; i < kBlocks; i++) {
        bool intact = true;
        for (usize j = 0; j < sizes[i]; j++) intact &= blocks[i][j] == u8(i + j);
        verified += intact;
        delete[] blocks[i];
    }
    heap.trim();
    const mm::Heap::Stats after = heap.stats();

    void* probe = heap.alloc(64);
    const bool first_free_ok = heap.free(probe) == mm::HeapError::kOk;
    const bool double_free_caught = heap.free(probe) == mm::HeapError::kDoubleFree;

    klog::report("selftest", "heap allocations=%zu bytes=%lu verified=%zu peak_pages=%zu in_use_before=%zu in_use_after=%zu double_free=%s",
                 kBlocks, bytes, verified, peak.pages_held, before.bytes_in_use, after.bytes_in_use,
                 double_free_caught ? "caught" : "missed");
    return tap(verified == kBlocks && after.bytes_in_use == before.bytes_in_use &&
                   after.live_allocations == before.live_allocations && first_free_ok && double_free_caught,
               "heap: %zu new/delete of 1..9000 bytes verified, counters back to start", kBlocks);
}

// arch::copy_from_user / copy_to_user against a temporary address space,
// loaded on this CPU with preemption off: a writable page, an unmapped page
// above it and a read-only page above that. Good copies must arrive (seen
// through the direct map), and every bad address must give false without a
// kernel fault: unmapped, NULL, straddling into a hole, read-only for
// writing, kernel-half, non-canonical, and ranges whose end wraps around.
// The kernel-half targets are writable kernel buffers, so a range check that
// let them through would show as changed bytes, not only as a fault.
bool user_copy() {
    constexpr u64 kPage = 0x40000000, kHole = kPage + mm::kPageSize, kReadOnly = kHole + mm::kPageSize;
    constexpr u64 kNonCanonical[] = {arch::kUserTop, 0xdead000000000000};
    arch::UserSpace* space = arch::uspace_create();
    u64 phys = 0;
    if (!space || !arch::uspace_map_new(space, kPage, arch::kMapWrite, &phys) ||
        !arch::uspace_map_new(space, kReadOnly, arch::kMapRead, nullptr)) {
        if (space) arch::uspace_destroy(space);
        return tap(false, "user-copy: no memory for the test space");
    }
    u8 pattern[64], back[64] = {}, kernel_target[16] = {};
    for (usize i = 0; i < sizeof pattern; i++) pattern[i] = u8(0xA0 ^ (i * 7));
    const u8* direct = static_cast<const u8*>(mm::phys_to_virt(phys));

    arch::preempt_disable();
    arch::uspace_activate(space);
    // Good: out to the writable page and back, one copy ending exactly at
    // the hole, and a read of the read-only page.
    bool good = arch::copy_to_user(kPage + 100, pattern, sizeof pattern) &&
                arch::copy_from_user(back, kPage + 100, sizeof back) &&
                __builtin_memcmp(back, pattern, sizeof back) == 0 &&
                __builtin_memcmp(direct + 100, pattern, sizeof pattern) == 0 &&
                arch::copy_to_user(kHole - 8, pattern, 8) && arch::copy_from_user(back, kReadOnly, 8);
    bool unmapped = !arch::copy_from_user(back, kHole, 8) && !arch::copy_to_user(kHole + 8, pattern, 8) &&
                    !arch::copy_from_user(back, 0, 8) && !arch::copy_to_user(0x10, pattern, 8);
    bool straddle = !arch::copy_from_user(back, kHole - 8, 16) && !arch::copy_to_user(kHole - 8, pattern, 16);
    bool read_only = !arch::copy_to_user(kReadOnly, pattern, 8);
    u64 kernel_addr = reinterpret_cast<u64>(kernel_target);
    __builtin_memset(back, 0x11, sizeof back);
    bool kernel = !arch::copy_to_user(kernel_addr, pattern, sizeof kernel_target) &&
                  !arch::copy_from_user(back, kernel_addr, 8) &&
                  !arch::copy_from_user(back, mm::kKernelVma, 8) && kernel_target[0] == 0 && back[0] == 0x11;
    bool non_canonical = true;
    for (u64 a : kNonCanonical) {
        non_canonical &= !arch::copy_from_user(back, a, 8) && !arch::copy_to_user(a, pattern, 8);
    }
    // addr + n wraps past 2^64 to a small user address; n larger than the
    // whole user half; a range running past its top.
    bool wrap = !arch::copy_from_user(back, ~u64(0) - 0xFFF, 0x2000) &&
                !arch::copy_to_user(kPage, pattern, ~usize(0)) &&
                !arch::copy_from_user(back, arch::kUserTop - 8, 16);
    arch::uspace_activate(nullptr);
    arch::preempt_enable();
    arch::uspace_destroy(space);

    klog::report("selftest user-copy",
                 "good=%u unmapped=%u straddle=%u read_only=%u kernel=%u non_canonical=%u wrap=%u", good,
                 unmapped, straddle, read_only, kernel, non_canonical, wrap);
    return tap(good && unmapped && straddle && read_only && kernel && non_canonical && wrap,
               "user-copy: good copies arrive; unmapped, NULL, read-only, kernel, non-canonical and "
               "wrapping ranges fail cleanly");
}

}  // namespace

bool tap(bool ok, const char* fmt, ...) {
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    fmt::vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    klog::raw("%s %u - %s\n", ok ? "ok" : "not ok", ++g_tap_number, what);
    return ok;
}

bool run_boot_selftests() {
    bool ok = true;
    ok &= frames_all_and_back();
    ok &= map_write_read_direct();
    ok &= heap_new_delete();
    ok &= arch::run_smp_selftests();
    ok &= user_copy();
    ok &= sched::run_selftests();
    return ok;
}

}  // namespace selftest
