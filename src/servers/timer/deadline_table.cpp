// timer::DeadlineTable (deadline_table.h): a sorted array. With at most
// kCapacity sleepers, shifting entries is cheaper than any tree, and the
// earliest deadline is always entries_[0].
#include "servers/timer/deadline_table.h"

namespace timer {

bool DeadlineTable::slot_used(u64 slot) const {
    for (u32 i = 0; i < size_; ++i) {
        if (entries_[i].slot == slot) return true;
    }
    return false;
}

u64 DeadlineTable::free_slot() const {
    if (full()) return 0;
    for (u64 slot = first_slot_; slot < first_slot_ + kCapacity; ++slot) {
        if (!slot_used(slot)) return slot;
    }
    return 0;
}

bool DeadlineTable::insert(u64 deadline, u64 slot, u64 badge) {
    if (full() || slot < first_slot_ || slot >= first_slot_ + kCapacity || slot_used(slot)) return false;
    // After every entry due no later: equal deadlines keep arrival order.
    u32 at = size_;
    while (at > 0 && entries_[at - 1].deadline > deadline) {
        entries_[at] = entries_[at - 1];
        --at;
    }
    entries_[at] = {deadline, slot, badge};
    ++size_;
    return true;
}

bool DeadlineTable::pop_due(u64 now, Entry& out) {
    if (size_ == 0 || entries_[0].deadline > now) return false;
    out = entries_[0];
    for (u32 i = 1; i < size_; ++i) entries_[i - 1] = entries_[i];
    --size_;
    return true;
}

bool DeadlineTable::remove_slot(u64 slot) {
    for (u32 i = 0; i < size_; ++i) {
        if (entries_[i].slot != slot) continue;
        for (u32 j = i + 1; j < size_; ++j) entries_[j - 1] = entries_[j];
        --size_;
        return true;
    }
    return false;
}

u64 DeadlineTable::wait_ns(u64 now) const {
    if (size_ == 0) return kForever;
    const u64 next = entries_[0].deadline;
    return next <= now ? 0 : next - now;
}

}  // namespace timer
