// The last system calls of one CPU, oldest overwritten first.
//
// Only the owning CPU writes its ring, with interrupts off, so writers need
// no lock. Readers take no lock either: the panic and fault reports read the
// rings after stopping the other CPUs; each event carries its sequence
// number so that a reader can tell a slot that was overwritten meanwhile.
#pragma once

#include "kernel/trace/event.h"

namespace trace {

class EventRing {
public:
    static constexpr u32 kEvents = 64;

    // Stores e as the newest event and returns its sequence number (from 1).
    u64 push(const Event& e) {
        u64 seq = ++pushed_;
        Event& slot = events_[seq % kEvents];
        slot = e;
        slot.seq = seq;
        return seq;
    }

    // The event numbered seq while the ring still holds it, else nullptr.
    Event* find(u64 seq) {
        if (seq == 0 || seq > pushed_ || pushed_ - seq >= kEvents) return nullptr;
        Event& e = events_[seq % kEvents];
        return e.seq == seq ? &e : nullptr;
    }
    const Event* find(u64 seq) const { return const_cast<EventRing*>(this)->find(seq); }

    // Events pushed so far; the newest is numbered pushed().
    u64 pushed() const { return pushed_; }
    // The oldest sequence number still held (1 for an empty ring).
    u64 oldest() const { return pushed_ > kEvents ? pushed_ - kEvents + 1 : 1; }

private:
    Event events_[kEvents] = {};
    u64 pushed_ = 0;
};

}  // namespace trace
