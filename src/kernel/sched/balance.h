// Scheduling policy decisions: CPU placement, load-balancing victims and preemption, as pure functions.
//
// The policy the kernel follows with these and with RunQueue / SleepQueue:
//
//  * Strict priorities. A CPU runs the highest-priority entity among its
//    running one and its run queue; a lower priority runs only while nothing
//    higher is ready on that CPU (priorities are never boosted or aged).
//  * Round robin within a level. Every timer tick, and after every enqueue on
//    a CPU's run queue, the kernel asks should_preempt(). On a switch the
//    outgoing entity goes to the tail of its level (enqueue) when its slice
//    ran out, to the head (enqueue_front) when a higher priority cut its
//    slice short; the CPU then runs pop_highest(). An idle CPU asks with
//    running priority -1.
//  * Placement. A new or woken entity goes to
//    choose_cpu(loads, ncpus, online, e->affinity, e->cpu): the least loaded
//    online CPU it may run on, its last CPU on a tie (warm caches). The
//    kernel sets e->cpu, enqueues it there and, when that is another CPU and
//    should_preempt() holds there, sends it a reschedule IPI.
//  * Idle CPUs pull on every idle tick (and when they run out of work): victim
//    = choose_victim(...), then steal_for(me, 0) under the victim's lock. A
//    steal that finds nothing (the snapshot was stale, or nothing queued
//    there may run on this CPU) retries with that victim added to `skip`.
//  * Busy CPUs pull the same way every few ticks, with
//    steal_for(me, running priority): a busy thief never takes an entity that
//    would only wait behind its own running one.
//  * Affinity is absolute: steal_for() and choose_cpu() only ever move an
//    entity to a CPU in its affinity, and nothing else moves entities.
//
// Loads are a snapshot per CPU: load = 1 if a non-idle entity runs there, plus
// the run queue's count(). The kernel reads other CPUs' values without their
// locks; a stale snapshot costs at most a failed steal or a slightly worse
// choice, since steal_for() under the victim's lock has the final word.
//
// Starvation across CPUs: loads alone cannot see an entity stuck behind a
// higher-priority entity that keeps its CPU busy (CPU 0 running a pinned
// priority-20 hog with a priority-10 entity queued has load 2, as does a CPU
// sharing two priority-10 entities, so the load rule would never move it).
// The snapshot therefore also carries a `starving` mask (bit c when
// starving(running priority of c, run queue of c)), and choose_victim() picks
// such a CPU first, at any load.
#pragma once

#include "kernel/sched/run_queue.h"
#include "lib/kstd/types.h"

namespace sched {

constexpr u32 kNoCpu = ~0u;
constexpr u32 kMaxCpus = 64;  // width of affinity and online masks
constexpr int kIdlePriority = -1;  // running priority of an idle CPU

// Load of one CPU as the balancing functions count it.
inline u32 cpu_load(bool running_non_idle, const RunQueue& rq) { return (running_non_idle ? 1 : 0) + rq.count(); }

// Whether some entity queued on a CPU is below the running priority, so it
// gets no time there until everything above it blocks. (Looking only at the
// highest queued level would miss two round-robin entities at the top with a
// lower one behind them.)
inline bool starving(int running_prio, const RunQueue& rq) {
    const u32 levels = rq.bitmap();
    return levels != 0 && __builtin_ctz(levels) < running_prio;
}

// CPU to place a waking/new entity on: among online CPUs in its affinity, the
// least loaded; ties prefer `last` (cache warmth), then the lowest number.
// kNoCpu if affinity & online (restricted to the first ncpus CPUs) is empty.
u32 choose_cpu(const u32* loads, u32 ncpus, u64 online, u64 affinity, u32 last);

// Victim for `me` to pull one entity from, kNoCpu if none; never `me`, never
// a CPU in `skip`, only online CPUs. First the most loaded CPU in `starving`;
// else the most loaded CPU whose load >= loads[me] + 2 (moving one would not
// make things worse) -- so an idle `me` needs a victim with one running and at
// least one queued. Ties: lowest number.
u32 choose_victim(const u32* loads, u32 ncpus, u64 online, u32 me, u64 starving = 0, u64 skip = 0);

// Whether the running entity (priority `running_prio`, kIdlePriority when
// idle) should give way: a higher priority is queued, or its slice expired and
// an equal priority is queued.
bool should_preempt(int running_prio, const RunQueue& rq, bool slice_expired);

}  // namespace sched
