// Per-CPU run queue: one FIFO of ready entities per priority level and a bitmap of the non-empty levels.
//
// The kernel embeds an Entity in every thread; the run queue and the sleep
// queue link entities through it and never allocate. Neither structure locks:
// the kernel wraps each CPU's run queue (and the sleep queue) in its own
// spinlock and holds it around every call. The policy that drives these
// structures is described in kernel/sched/balance.h.
//
// Preconditions (the kernel asserts them; the structures only stay consistent
// when they are violated): an entity is on at most one run queue, its
// priority does not change while it is queued (remove, change, enqueue), and
// the running entity is never on a run queue.
#pragma once

#include "lib/kstd/types.h"

namespace sched {

constexpr u32 kPriorities = 32;  // 0 lowest .. 31 highest; one bitmap bit each
constexpr u8 kMaxPriority = kPriorities - 1;
constexpr u8 kDefaultPriority = 16;

// Doubly linked, null-terminated: no sentinel inside the queue, so a queue
// holds no pointers into itself and may live anywhere (per-CPU arrays, copies).
struct Link {
    Link* next = nullptr;
    Link* prev = nullptr;
};

// Embedded in the kernel's Thread; the run queue and sleep queue never allocate.
struct Entity {
    Link run_link;          // in a RunQueue level
    Link sleep_link;        // in a SleepQueue
    u64 deadline = 0;       // sleep queue key (ns)
    u64 affinity = ~0ull;   // CPUs this entity may run on (bit n = CPU n)
    u32 cpu = 0;            // run queue it is on, or last ran on; the caller keeps it
    u8 priority = kDefaultPriority;  // above kMaxPriority counts as kMaxPriority
    bool queued = false;    // in a RunQueue
    bool sleeping = false;  // in a SleepQueue

    // Whether the entity may run on `cpu` (CPUs past 63 are never in an affinity mask).
    constexpr bool allowed_on(u32 c) const { return c < 64 && (affinity >> c & 1) != 0; }
};

// The level an entity is queued at.
constexpr u32 level_of(const Entity* e) { return e->priority > kMaxPriority ? kMaxPriority : e->priority; }

// One per CPU; holds READY entities only, never the one running on that CPU.
class RunQueue {
public:
    constexpr RunQueue() = default;
    RunQueue(const RunQueue&) = delete;
    RunQueue& operator=(const RunQueue&) = delete;

    // Tail of its priority level: round robin within a level.
    void enqueue(Entity* e);
    // Head of its level: for an entity preempted before its slice ran out, so
    // it resumes before its peers that already had their turn.
    void enqueue_front(Entity* e);
    // `e` must be queued on this queue; an entity that is not queued is ignored.
    void remove(Entity* e);
    // Head of the highest non-empty level, removed; nullptr if empty.
    Entity* pop_highest();
    Entity* peek_highest() const;
    // -1 if empty. O(1): the top bit of the level bitmap.
    int highest_priority() const { return bitmap_ == 0 ? -1 : 31 - __builtin_clz(bitmap_); }
    u32 count() const { return count_; }
    bool empty() const { return count_ == 0; }
    // Bit n set: level n is non-empty.
    u32 bitmap() const { return bitmap_; }
    // Entities ever enqueued: a thief that found nothing to take here skips
    // this queue until the count moves.
    u64 enqueues() const { return enqueues_; }

    // Load balancing: removes and returns the highest-priority entity allowed
    // on `cpu` whose priority is at least `min_priority`, nearest the head of
    // its level (queued longest); nullptr if none. A busy thief passes its
    // running priority, so it never takes an entity that would only wait
    // behind its own running one; an idle thief passes 0.
    Entity* steal_for(u32 cpu, int min_priority = 0);

    // Calls f(Entity*) for every queued entity, highest level first, each
    // level head to tail. f must not modify the queue.
    template <typename F>
    void for_each(F f) const {
        for (int lvl = highest_priority(); lvl >= 0; --lvl)
            for (Link* l = head_[lvl]; l != nullptr; l = l->next) f(entity_of(l));
    }

private:
    static Entity* entity_of(Link* l);
    void unlink(Entity* e);

    Link* head_[kPriorities] = {};
    Link* tail_[kPriorities] = {};
    u32 bitmap_ = 0;
    u32 count_ = 0;
    u64 enqueues_ = 0;
};

}  // namespace sched
