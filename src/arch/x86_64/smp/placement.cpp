#include "arch/x86_64/smp/placement.h"

namespace x86 {
namespace {

constexpr u64 kPage = 4096;

bool overlaps(u64 a0, u64 a1, const PhysRange& r) { return a0 < r.end && r.start < a1; }

}  // namespace

u64 find_trampoline_base(const mb2::Info& info, u64 bytes, const PhysRange* avoid, usize avoid_count,
                         u64 lo, u64 hi) {
    u64 best = 0;
    for (usize i = 0; i < info.region_count; i++) {
        const mb2::MemoryRegion& r = info.regions[i];
        if (r.type != mb2::kMemoryAvailable) continue;
        u64 start = (r.base + kPage - 1) & ~(kPage - 1);
        if (start < lo) start = (lo + kPage - 1) & ~(kPage - 1);
        u64 end = r.base + r.length;
        if (end > hi) end = hi;
        for (u64 p = start; p + bytes <= end && p + bytes > p; p += kPage) {
            bool clash = false;
            for (usize k = 0; k < avoid_count && !clash; k++) clash = overlaps(p, p + bytes, avoid[k]);
            if (clash) continue;
            if (best == 0 || p < best) best = p;
            break;
        }
    }
    return best;
}

}  // namespace x86
