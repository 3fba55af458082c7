// timer::DeadlineTable: the sleepers the timer server has yet to wake, in
// deadline order, each with the capability slot its reply right was saved
// in. Pure bookkeeping (no system calls), host-tested.
//
// Order: earliest deadline first; equal deadlines in the order they were
// added, so that sleepers due together are answered first come, first
// served. Slots: the table hands out slots first_slot ..
// first_slot + capacity - 1, one per entry, and takes them back when an
// entry leaves.
#pragma once

#include "lib/kstd/types.h"

namespace timer {

class DeadlineTable {
public:
    static constexpr u32 kCapacity = 32;
    // wait_ns() with nothing to wait for.
    static constexpr u64 kForever = ~u64{0};

    struct Entry {
        u64 deadline;  // time_ns
        u64 slot;      // the saved reply right
        u64 badge;     // who is sleeping, for reports
    };

    explicit DeadlineTable(u64 first_slot) : first_slot_(first_slot) {}

    // A slot no entry holds, for the next reply right to be saved in; 0 if
    // the table is full.
    u64 free_slot() const;
    // Adds a sleeper whose right is in `slot` (from free_slot()). False if
    // the table is full or the slot is not one of its free ones.
    bool insert(u64 deadline, u64 slot, u64 badge = 0);
    // Takes the earliest entry off into out if it is due at `now`
    // (deadline <= now); false if none is.
    bool pop_due(u64 now, Entry& out);
    // Takes the entry holding `slot` off; false if there is none.
    bool remove_slot(u64 slot);

    // How long a receive may wait at `now` before the earliest deadline:
    // 0 if one is due, kForever if the table is empty.
    u64 wait_ns(u64 now) const;
    // The earliest deadline, kForever if empty.
    u64 next_deadline() const { return size_ > 0 ? entries_[0].deadline : kForever; }

    u32 size() const { return size_; }
    bool empty() const { return size_ == 0; }
    bool full() const { return size_ == kCapacity; }
    // Entry i in deadline order (i < size()).
    const Entry& at(u32 i) const { return entries_[i]; }

private:
    bool slot_used(u64 slot) const;

    u64 first_slot_;
    Entry entries_[kCapacity] = {};
    u32 size_ = 0;
};

}  // namespace timer
