// Kernel stacks of threads: 16 KiB each, in their own part of the kernel
// half, every stack above an unmapped 16 KiB guard so an overflow faults
// (and the fault report names it) instead of corrupting a neighbour.
#include "arch/x86_64/mm/kernel_space.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/mm/memory.h"
#include "kernel/sync/spinlock.h"

namespace {

constexpr u64 kArea = 0xFFFFFE0000000000;
constexpr u64 kStackBytes = 16 * 1024;
constexpr u64 kSlotBytes = 2 * kStackBytes;  // guard, then stack
constexpr u32 kSlots = 8192;                 // 256 MiB of address space

u64 g_used[kSlots / 64];
u32 g_in_use = 0;
ksync::SpinLock g_lock{"kernel stacks"};

// Freed stacks stay mapped, up to kCached of them, for the next threads:
// unmapping a kernel page is a TLB shootdown on every CPU (the kernel half
// is live everywhere), four per stack, and a task that creates and ends
// threads all the time otherwise kept every CPU busy acknowledging them.
constexpr u32 kCached = 64;
u64 g_cache[kCached];  // stack bottoms, still mapped
u32 g_cached = 0;

u64 slot_stack(u32 slot) { return kArea + u64(slot) * kSlotBytes + kStackBytes; }

void unmap_stack(u64 bottom, u64 mapped_bytes) {
    for (u64 off = 0; off < mapped_bytes; off += mm::kPageSize) {
        u64 phys = 0;
        if (arch::kernel_translate(bottom + off, phys)) {
            arch::kernel_unmap(bottom + off);
            mm::frames().free(phys);
        }
    }
}

// Gives a stack's slot back; its pages are unmapped already.
void free_slot(u64 bottom) {
    u32 slot = u32((bottom - kStackBytes - kArea) / kSlotBytes);
    ksync::IrqSpinGuard g(g_lock);
    g_used[slot / 64] &= ~(u64(1) << (slot % 64));
    g_in_use--;
}

}  // namespace

namespace x86 {

bool is_thread_stack_guard(u64 virt) {
    if (virt < kArea || virt >= kArea + u64(kSlots) * kSlotBytes) return false;
    return (virt - kArea) % kSlotBytes < kStackBytes;
}

}  // namespace x86

namespace arch {

bool kstack_alloc(u64& bottom, u64& top) {
    u32 slot = kSlots;
    {
        ksync::IrqSpinGuard g(g_lock);
        if (g_cached > 0) {
            bottom = g_cache[--g_cached];
            top = bottom + kStackBytes;
            g_in_use++;
            return true;
        }
        for (u32 w = 0; w < kSlots / 64 && slot == kSlots; w++) {
            if (g_used[w] == ~0ull) continue;
            u32 bit = __builtin_ctzll(~g_used[w]);
            g_used[w] |= u64(1) << bit;
            slot = w * 64 + bit;
            g_in_use++;
        }
    }
    if (slot == kSlots) {
        klog::warn("kernel stacks: all %u slots in use", kSlots);
        return false;
    }
    bottom = slot_stack(slot);
    top = bottom + kStackBytes;
    for (u64 off = 0; off < kStackBytes; off += mm::kPageSize) {
        u64 phys = mm::frames().alloc();
        if (phys == 0 || !kernel_map(bottom + off, phys, kMapWrite)) {
            if (phys) mm::frames().free(phys);
            unmap_stack(bottom, off);
            free_slot(bottom);  // not into the cache: it is only partly mapped
            return false;
        }
    }
    return true;
}

void kstack_free(u64 bottom) {
    {
        ksync::IrqSpinGuard g(g_lock);
        if (g_cached < kCached) {
            g_cache[g_cached++] = bottom;
            g_in_use--;
            return;
        }
    }
    unmap_stack(bottom, kStackBytes);
    free_slot(bottom);
}

u32 kstacks_in_use() { return __atomic_load_n(&g_in_use, __ATOMIC_RELAXED); }

}  // namespace arch
