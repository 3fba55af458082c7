// Sleep queue: entities waiting for a deadline, kept sorted by deadline (ns) in an intrusive list.
//
// The timer interrupt pops the expired entities one at a time and wakes each
// (placing it with choose_cpu, see kernel/sched/balance.h); next_deadline()
// tells the kernel when to arm the next one-shot timer. No lock inside: the
// kernel holds whichever spinlock covers the queue (one queue per CPU under
// that CPU's run-queue lock, or a global one under its own) around every call.
#pragma once

#include "kernel/sched/run_queue.h"
#include "lib/kstd/types.h"

namespace sched {

class SleepQueue {
public:
    static constexpr u64 kNever = ~0ull;

    constexpr SleepQueue() = default;
    SleepQueue(const SleepQueue&) = delete;
    SleepQueue& operator=(const SleepQueue&) = delete;

    // Sets e->deadline and links it after every entity whose deadline is not
    // later, so entities with equal deadlines expire in insertion order. An
    // entity that is already sleeping is moved to its new deadline. The walk
    // starts at the latest deadline, where new sleeps usually belong.
    void insert(Entity* e, u64 deadline);
    // An entity that is not sleeping is ignored (a wake-up that raced with expiry).
    void remove(Entity* e);
    // Earliest entity whose deadline <= now, removed; nullptr if none. One at
    // a time so the caller can drop the lock between wake-ups.
    Entity* pop_expired(u64 now);
    Entity* peek() const;
    // Earliest deadline; kNever if empty.
    u64 next_deadline() const;
    u32 count() const { return count_; }
    bool empty() const { return count_ == 0; }

    // Calls f(Entity*) for every sleeping entity, earliest deadline first. f
    // must not modify the queue.
    template <typename F>
    void for_each(F f) const {
        for (Link* l = head_; l != nullptr; l = l->next) f(entity_of(l));
    }

private:
    static Entity* entity_of(Link* l);

    Link* head_ = nullptr;  // earliest deadline
    Link* tail_ = nullptr;  // latest deadline
    u32 count_ = 0;
};

}  // namespace sched
