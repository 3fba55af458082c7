// Placement, victim choice and preemption: scans over a load snapshot, no state.
#include "kernel/sched/balance.h"

namespace sched {
namespace {

// Bits of the CPUs the snapshot describes.
u64 present_mask(u32 ncpus) { return ncpus >= kMaxCpus ? ~0ull : (1ull << ncpus) - 1; }

// Most loaded CPU in `candidates` whose load is at least `min_load`; lowest number on ties.
u32 most_loaded(const u32* loads, u64 candidates, u32 min_load) {
    u32 best = kNoCpu;
    for (; candidates != 0; candidates &= candidates - 1) {
        const u32 c = static_cast<u32>(__builtin_ctzll(candidates));
        if (loads[c] >= min_load && (best == kNoCpu || loads[c] > loads[best])) best = c;
    }
    return best;
}

}  // namespace

u32 choose_cpu(const u32* loads, u32 ncpus, u64 online, u64 affinity, u32 last) {
    u64 candidates = online & affinity & present_mask(ncpus);
    if (candidates == 0) return kNoCpu;
    u32 best = kNoCpu;
    // Ascending order, strict improvement only: ties keep the lowest number.
    for (; candidates != 0; candidates &= candidates - 1) {
        const u32 c = static_cast<u32>(__builtin_ctzll(candidates));
        if (best == kNoCpu || loads[c] < loads[best]) best = c;
    }
    const bool last_ok = last < ncpus && last < kMaxCpus && (online & affinity) >> last & 1;
    if (last_ok && loads[last] == loads[best]) return last;
    return best;
}

u32 choose_victim(const u32* loads, u32 ncpus, u64 online, u32 me, u64 starving, u64 skip) {
    u64 candidates = online & ~skip & present_mask(ncpus);
    if (me < kMaxCpus) candidates &= ~(1ull << me);
    const u32 v = most_loaded(loads, candidates & starving, 0);
    if (v != kNoCpu) return v;
    const u32 mine = me < ncpus ? loads[me] : 0;
    return most_loaded(loads, candidates, mine + 2);
}

bool should_preempt(int running_prio, const RunQueue& rq, bool slice_expired) {
    const int top = rq.highest_priority();
    if (top < 0) return false;
    return top > running_prio || (slice_expired && top == running_prio);
}

}  // namespace sched
