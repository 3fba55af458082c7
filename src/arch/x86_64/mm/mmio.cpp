// The MMIO window: a bump allocator of uncached kernel mappings.
#include "arch/x86_64/mm/mmio.h"

#include "kernel/arch.h"
#include "kernel/log.h"
#include "lib/kstd/utility.h"

namespace x86 {
namespace {

constexpr u64 kPage = 4096;
constexpr u64 kPhysLimit = 1ull << 52;
u64 g_next = kMmioWindowBase;

}  // namespace

u64 mmio_map(u64 phys, u64 size, const char* what) {
    if (size == 0 || phys >= kPhysLimit || size > kPhysLimit - phys) {
        klog::warn("mmio: %s at 0x%lx, %lu bytes: not a physical range", what, phys, size);
        return 0;
    }
    const u64 first = kstd::align_down(phys, kPage);
    const u64 bytes = kstd::align_up(phys + size, kPage) - first;
    if (bytes > kMmioWindowBase + kMmioWindowSize - g_next) {
        klog::warn("mmio: %s at 0x%lx: window full (%lu bytes left, %lu needed)", what, phys,
                   kMmioWindowBase + kMmioWindowSize - g_next, bytes);
        return 0;
    }
    const u64 virt = g_next;
    for (u64 off = 0; off < bytes; off += kPage) {
        if (!arch::kernel_map(virt + off, first + off, arch::kMapWrite | arch::kMapUncached)) {
            for (u64 undo = 0; undo < off; undo += kPage) arch::kernel_unmap(virt + undo);
            klog::warn("mmio: %s at 0x%lx: mapping failed", what, phys);
            return 0;
        }
    }
    g_next += bytes;
    klog::debug("mmio: %s phys 0x%lx-0x%lx at 0x%lx", what, first, first + bytes, virt);
    return virt + (phys - first);
}

}  // namespace x86
