// A fake SMP machine driven exactly by the policy documented in kernel/sched/balance.h: per-CPU run
// queues, a running entity per CPU, one sleep queue and a clock that advances in ticks. Checks fairness,
// affinity, spreading by stealing, strict priorities without cross-CPU starvation, and sleep timing.
#include <algorithm>
#include <string>
#include <vector>

#include "CppUTest/TestHarness.h"
#include "kernel/sched/balance.h"
#include "kernel/sched/run_queue.h"
#include "kernel/sched/sleep_queue.h"

using sched::Entity;
using sched::kNoCpu;
using sched::RunQueue;
using sched::SleepQueue;

namespace {

constexpr u64 kTickNs = 1'000'000;
constexpr u32 kCpuCounts[] = {1, 2, 4, 8};

struct SimEntity : Entity {
    explicit SimEntity(u8 prio = sched::kDefaultPriority, u64 aff = ~0ull) {
        priority = prio;
        affinity = aff;
    }
    // Behaviour: after running `burst` ticks in a row (0: never), sleep `nap_ns`.
    u32 burst = 0;
    u64 nap_ns = 0;
    u32 burst_left = 0;

    u64 ran = 0;       // ticks run
    u64 last_ran = 0;  // tick it last ran in
    u64 ran_on = 0;    // bit c: ran on CPU c at least once
    u32 wait = 0;      // ticks runnable in a row without running
    u32 max_wait = 0;
    bool just_woke = false;
    u32 max_wake_latency = 0;  // ticks from a wake-up to running
    u32 sleeps = 0;
    // Per sleep, the deadline it slept to; per wake-up, the clock when the sleep queue gave it back.
    std::vector<u64> deadlines;
    std::vector<u64> woken_at;
    std::vector<u64> ran_ticks;  // kept only when record_ticks is set
    bool record_ticks = false;
};

SimEntity* sim(Entity* e) { return static_cast<SimEntity*>(e); }

class Machine {
public:
    struct Cpu {
        RunQueue rq;
        SimEntity* current = nullptr;
        u32 slice_used = 0;
        u64 busy_ticks = 0;
    };

    Machine(u32 ncpus, u32 slice_ticks = 2, u32 balance_ticks = 4)
        : ncpus_(ncpus), slice_ticks_(slice_ticks), balance_ticks_(balance_ticks), cpus_(ncpus) {
        online_ = ncpus >= 64 ? ~0ull : (1ull << ncpus) - 1;
    }

    // A new entity placed by the policy, created by a thread on `creator`.
    void spawn(SimEntity* e, u32 creator = 0) {
        e->cpu = creator;
        entities_.push_back(e);
        place(e);
    }

    // Bad initial placement: straight onto `cpu`'s run queue, whatever the loads.
    void spawn_on(SimEntity* e, u32 cpu) {
        entities_.push_back(e);
        e->cpu = cpu;
        cpus_[cpu].rq.enqueue(e);
        reschedule(cpu, false);
    }

    void run(u32 ticks) {
        for (u32 i = 0; i < ticks; ++i) tick();
    }

    void tick() {
        ++ticks_;
        now_ += kTickNs;
        // Timer interrupt: wake-ups first, each placed like a new entity.
        while (Entity* e = sleepq_.pop_expired(now_)) {
            SimEntity* s = sim(e);
            s->woken_at.push_back(now_);
            s->just_woke = true;
            place(s);
        }
        // Every CPU runs its entity for one tick.
        for (u32 c = 0; c < ncpus_; ++c) {
            Cpu& cpu = cpus_[c];
            SimEntity* e = cpu.current;
            if (e == nullptr) continue;
            CHECK_FALSE(e->sleeping);
            CHECK_FALSE(e->queued);
            CHECK_TRUE(e->allowed_on(c));
            ++e->ran;
            e->last_ran = ticks_;
            e->ran_on |= 1ull << c;
            if (e->record_ticks) e->ran_ticks.push_back(ticks_);
            ++cpu.slice_used;
            ++cpu.busy_ticks;
            e->wait = 0;
            if (e->just_woke) e->just_woke = false;
            if (e->burst != 0 && --e->burst_left == 0) {
                // Blocks at the end of its tick.
                e->burst_left = e->burst;
                ++e->sleeps;
                sleepq_.insert(e, now_ + kTickNs + e->nap_ns);
                e->deadlines.push_back(e->deadline);
                cpu.current = nullptr;
            }
        }
        for (SimEntity* e : entities_) {
            if (e->sleeping || e->last_ran == ticks_) continue;
            ++e->wait;
            e->max_wait = std::max(e->max_wait, e->wait);
            if (e->just_woke) e->max_wake_latency = std::max(e->max_wake_latency, e->wait);
        }
        // Slice expiry / round robin.
        for (u32 c = 0; c < ncpus_; ++c) reschedule(c, cpus_[c].slice_used >= slice_ticks_);
        // Idle CPUs pull every tick, busy ones every balance_ticks_.
        for (u32 c = 0; c < ncpus_; ++c)
            if (cpus_[c].current == nullptr || ticks_ % balance_ticks_ == 0) pull(c);
        check_invariants();
    }

    u32 load(u32 c) const { return sched::cpu_load(cpus_[c].current != nullptr, cpus_[c].rq); }
    const Cpu& cpu(u32 c) const { return cpus_[c]; }
    u64 ticks() const { return ticks_; }
    u64 now() const { return now_; }
    u32 ncpus() const { return ncpus_; }
    u64 steals() const { return steals_; }
    // Balancing from loads alone, as if the snapshot had no starving mask.
    void ignore_starving() { use_starving_ = false; }

private:
    void snapshot(u32* loads, u64* starving) const {
        *starving = 0;
        for (u32 c = 0; c < ncpus_; ++c) {
            loads[c] = load(c);
            const int prio = cpus_[c].current ? cpus_[c].current->priority : sched::kIdlePriority;
            if (use_starving_ && sched::starving(prio, cpus_[c].rq)) *starving |= 1ull << c;
        }
    }

    void place(SimEntity* e) {
        u32 loads[64];
        u64 starving;
        snapshot(loads, &starving);
        const u32 target = sched::choose_cpu(loads, ncpus_, online_, e->affinity, e->cpu);
        CHECK_TRUE(target != kNoCpu);
        e->cpu = target;
        if (e->burst_left == 0) e->burst_left = e->burst;
        cpus_[target].rq.enqueue(e);
        // The reschedule IPI: the target reconsiders at once.
        reschedule(target, false);
    }

    // should_preempt, then rotate: the outgoing entity goes to the tail when its
    // slice ran out, to the head when a higher priority cut it short.
    void reschedule(u32 c, bool slice_expired) {
        Cpu& cpu = cpus_[c];
        const int prio = cpu.current ? cpu.current->priority : sched::kIdlePriority;
        if (!sched::should_preempt(prio, cpu.rq, slice_expired)) {
            if (slice_expired) cpu.slice_used = 0;  // alone at its level: a fresh slice
            return;
        }
        if (cpu.current != nullptr) {
            if (slice_expired) cpu.rq.enqueue(cpu.current);
            else cpu.rq.enqueue_front(cpu.current);
        }
        cpu.current = sim(cpu.rq.pop_highest());
        CHECK_TRUE(cpu.current != nullptr);
        CHECK_EQUAL(c, cpu.current->cpu);
        cpu.slice_used = 0;
    }

    void pull(u32 me) {
        u32 loads[64];
        u64 starving;
        snapshot(loads, &starving);
        const int min_prio = cpus_[me].current ? cpus_[me].current->priority : 0;
        u64 skip = 0;
        for (;;) {
            const u32 victim = sched::choose_victim(loads, ncpus_, online_, me, starving, skip);
            if (victim == kNoCpu) return;
            CHECK_TRUE(victim != me);
            Entity* e = cpus_[victim].rq.steal_for(me, min_prio);
            if (e == nullptr) {
                skip |= 1ull << victim;
                continue;
            }
            CHECK_TRUE(e->allowed_on(me));
            ++steals_;
            e->cpu = me;
            cpus_[me].rq.enqueue(e);
            reschedule(me, false);
            return;
        }
    }

    void check_invariants() {
        u32 accounted = 0;
        for (u32 c = 0; c < ncpus_; ++c) {
            const Cpu& cpu = cpus_[c];
            if (cpu.current != nullptr) {
                ++accounted;
                CHECK_EQUAL(c, cpu.current->cpu);
                // Strict priorities: nothing queued here outranks the running entity.
                CHECK_TRUE(cpu.rq.highest_priority() <= cpu.current->priority);
            } else {
                CHECK_TRUE(cpu.rq.empty());  // an idle CPU runs what it has
            }
            cpu.rq.for_each([&](Entity* e) {
                ++accounted;
                CHECK_EQUAL(c, e->cpu);
                CHECK_TRUE(e->allowed_on(c));
                CHECK_FALSE(e->sleeping);
            });
        }
        accounted += sleepq_.count();
        CHECK_EQUAL(entities_.size(), static_cast<usize>(accounted));
    }

    u32 ncpus_;
    u32 slice_ticks_;
    u32 balance_ticks_;
    u64 online_;
    std::vector<Cpu> cpus_;
    SleepQueue sleepq_;
    std::vector<SimEntity*> entities_;
    u64 ticks_ = 0;
    u64 now_ = 0;
    u64 steals_ = 0;
    bool use_starving_ = true;
};

std::string label(const char* what, u32 ncpus, usize i) {
    return std::string(what) + " ncpus=" + std::to_string(ncpus) + " entity=" + std::to_string(i);
}

void check_share(const std::vector<SimEntity>& ents, u32 ncpus, double tolerance) {
    double total = 0;
    for (const SimEntity& e : ents) total += static_cast<double>(e.ran);
    const double mean = total / static_cast<double>(ents.size());
    for (usize i = 0; i < ents.size(); ++i) {
        const double r = static_cast<double>(ents[i].ran);
        CHECK_TEXT(r >= mean * (1 - tolerance) && r <= mean * (1 + tolerance), label("share", ncpus, i).c_str());
    }
}

}  // namespace

TEST_GROUP(Simulation){};

// (a) 2N equal-priority entities, any CPU, on N CPUs: equal shares.
TEST(Simulation, EqualPriorityFairShare) {
    for (u32 n : kCpuCounts) {
        Machine m(n);
        std::vector<SimEntity> ents(2 * n);
        for (usize i = 0; i < ents.size(); ++i) m.spawn(&ents[i], static_cast<u32>(i % n));
        m.run(4000);
        check_share(ents, n, 0.25);
        // All CPUs were busy all the time: no idle tick while work was queued.
        for (u32 c = 0; c < n; ++c) CHECK_EQUAL(m.ticks(), m.cpu(c).busy_ticks);
        for (u32 c = 0; c < n; ++c) CHECK_EQUAL(2u, m.load(c));
        // Round robin: no entity waited longer than its level peers' slices.
        for (const SimEntity& e : ents) CHECK_TRUE(e.max_wait <= 2);
    }
}

// (a') Three entities per CPU with a longer slice: still equal.
TEST(Simulation, EqualPriorityFairShareLongSlice) {
    for (u32 n : kCpuCounts) {
        Machine m(n, 5, 8);
        std::vector<SimEntity> ents(3 * n);
        for (SimEntity& e : ents) m.spawn(&e);
        m.run(6000);
        check_share(ents, n, 0.25);
    }
}

// (b) Pinned entities never leave their CPU, whatever the balancing and wake-ups do.
TEST(Simulation, PinnedStayOnTheirCpu) {
    for (u32 n : kCpuCounts) {
        Machine m(n);
        std::vector<SimEntity> pinned, free_ents(n + 1), extra;
        pinned.reserve(n);
        for (u32 k = 0; k < n; ++k) pinned.emplace_back(sched::kDefaultPriority, 1ull << k);
        // Some pinned and some free entities sleep now and then, so wake-up placement is exercised too.
        for (u32 k = 0; k < n; k += 2) {
            pinned[k].burst = 3;
            pinned[k].nap_ns = 5 * kTickNs / 2;
        }
        for (usize i = 0; i < free_ents.size(); i += 2) {
            free_ents[i].burst = 2;
            free_ents[i].nap_ns = 3 * kTickNs;
        }
        // A second entity pinned to the last CPU, so that CPU is heavier and a tempting victim.
        extra.emplace_back(sched::kDefaultPriority, 1ull << (n - 1));
        for (SimEntity& e : pinned) m.spawn(&e, 0);  // created on CPU 0, placed by affinity
        for (SimEntity& e : free_ents) m.spawn(&e, 0);
        m.spawn(&extra[0], 0);
        m.run(3000);
        for (u32 k = 0; k < n; ++k) {
            CHECK_EQUAL_TEXT(1ull << k, pinned[k].ran_on, label("pinned", n, k).c_str());
            CHECK_TEXT(pinned[k].ran > 0, label("pinned ran", n, k).c_str());
        }
        CHECK_EQUAL(1ull << (n - 1), extra[0].ran_on);
        CHECK_TRUE(extra[0].ran > 0);
        u64 union_on = 0;
        for (const SimEntity& e : free_ents) {
            CHECK_TRUE(e.ran > 0);
            union_on |= e.ran_on;
        }
        // Free entities were moved around: together they used every CPU.
        CHECK_EQUAL((n >= 64 ? ~0ull : (1ull << n) - 1), union_on);
    }
}

// (b') Pinned entities all created on CPU 0's run queue for a CPU they may not run on never get stolen
// by a CPU outside their affinity; those pinned to CPU 0 stay there.
TEST(Simulation, PinnedToCpuZeroAreNeverStolen) {
    for (u32 n : kCpuCounts) {
        Machine m(n);
        std::vector<SimEntity> pinned(4, SimEntity(sched::kDefaultPriority, 1ull));
        std::vector<SimEntity> free_ents(n);
        for (SimEntity& e : pinned) m.spawn_on(&e, 0);
        for (SimEntity& e : free_ents) m.spawn_on(&e, 0);
        m.run(2000);
        for (usize i = 0; i < pinned.size(); ++i) {
            CHECK_EQUAL_TEXT(1ull, pinned[i].ran_on, label("pinned0", n, i).c_str());
            CHECK_TRUE(pinned[i].ran > 0);
        }
        if (n > 1) {
            // The free ones ended up elsewhere: CPU 0 holds exactly the pinned ones.
            CHECK_EQUAL(4u, m.load(0));
            for (const SimEntity& e : free_ents) CHECK_TRUE(e.cpu != 0);
        }
    }
}

// (c) Everything created on CPU 0: idle CPUs steal at once, busy ones even out the rest.
TEST(Simulation, BadPlacementSpreadsByStealing) {
    for (u32 n : kCpuCounts) {
        Machine m(n);
        std::vector<SimEntity> ents(2 * n);
        for (SimEntity& e : ents) m.spawn_on(&e, 0);
        CHECK_EQUAL(2 * n, m.load(0));
        m.run(1);
        // One tick: every idle CPU pulled one entity in its idle balance.
        for (u32 c = 0; c < n; ++c) CHECK_TEXT(m.cpu(c).current != nullptr, label("busy", n, c).c_str());
        // A few busy-balance periods: two each.
        m.run(8 * 4 + 1);
        for (u32 c = 0; c < n; ++c) CHECK_EQUAL_TEXT(2u, m.load(c), label("balanced", n, c).c_str());
        m.run(4000);
        check_share(ents, n, 0.25);
        // Idle only in the first tick, before their first idle balance.
        for (u32 c = 1; c < n; ++c) CHECK_EQUAL(m.ticks() - 1, m.cpu(c).busy_ticks);
    }
}

// (c') Fewer entities than CPUs, all on CPU 0: each ends up alone on a CPU and runs all the time.
TEST(Simulation, BadPlacementFewerEntitiesThanCpus) {
    for (u32 n : kCpuCounts) {
        Machine m(n);
        const u32 k = n > 1 ? n - 1 : 1;
        std::vector<SimEntity> ents(k);
        for (SimEntity& e : ents) m.spawn_on(&e, 0);
        m.run(2);
        for (const SimEntity& e : ents) CHECK_TRUE(e.ran > 0);
        const u64 before = m.steals();
        m.run(500);
        // Settled: nobody moves any more and everyone has a CPU to itself.
        CHECK_EQUAL(before, m.steals());
        for (const SimEntity& e : ents) CHECK_TRUE(e.max_wait <= 1);
    }
}

// (d) A higher-priority hog pinned to CPU 0 starves nothing that can run elsewhere; what is pinned to
// CPU 0 with it does starve (strict priorities).
TEST(Simulation, PinnedHighPriorityStarvesNothingElse) {
    for (u32 n : kCpuCounts) {
        for (bool bad_placement : {false, true}) {
            Machine m(n);
            SimEntity hog(24, 1ull);
            SimEntity pinned_low(8, 1ull);
            const u32 nlow = n > 1 ? 2 * n - 1 : 2;
            std::vector<SimEntity> lows(nlow, SimEntity(8));
            m.spawn(&hog, 0);
            m.spawn(&pinned_low, 0);
            for (SimEntity& e : lows) {
                if (bad_placement) m.spawn_on(&e, 0);
                else m.spawn(&e, 0);
            }
            constexpr u32 kTicks = 4000;
            m.run(kTicks);
            CHECK_EQUAL(static_cast<u64>(kTicks), hog.ran);
            CHECK_EQUAL(0u, pinned_low.ran);
            if (n == 1) {
                for (const SimEntity& e : lows) CHECK_EQUAL(0u, e.ran);
                continue;
            }
            // The lows share the other n - 1 CPUs; none is left behind the hog.
            const double mean = static_cast<double>(n - 1) * kTicks / nlow;
            for (usize i = 0; i < lows.size(); ++i) {
                CHECK_TEXT(static_cast<double>(lows[i].ran) >= mean * 0.5, label("low share", n, i).c_str());
                CHECK_EQUAL_TEXT(0u, lows[i].ran_on & 1u, label("low on cpu0", n, i).c_str());
                // Bounded by a busy-balance period or two plus the round robin of its new level.
                CHECK_TEXT(lows[i].max_wait <= 16, label("low wait", n, i).c_str());
            }
            // The other CPUs never idle (bad placement: except the first tick, before their first pull).
            for (u32 c = 1; c < n; ++c) CHECK_EQUAL(m.ticks() - (bad_placement ? 1 : 0), m.cpu(c).busy_ticks);
        }
    }
}

// Why the snapshot carries the starving mask: from loads alone, CPU 0 (hog + one queued low, load 2)
// looks no busier than CPU 1 (two lows, load 2), and the low behind the hog never runs.
TEST(Simulation, LoadsAloneLeaveALowBehindTheHog) {
    Machine m(2);
    m.ignore_starving();
    SimEntity hog(24, 1ull);
    std::vector<SimEntity> lows(3, SimEntity(8));
    m.spawn(&hog, 0);
    for (SimEntity& e : lows) m.spawn(&e, 0);  // CPU 1, then CPU 0 (tie, last), then CPU 1
    m.run(1000);
    CHECK_EQUAL(1000u, hog.ran);
    CHECK_EQUAL(0u, lows[1].ran);
    CHECK_EQUAL(0u, m.steals());
    CHECK_EQUAL(m.load(0), m.load(1));
}

// (d') Bursty high-priority entities preempt the lows on wake-up, and the lows still get the rest.
TEST(Simulation, WakingHighPriorityPreempts) {
    for (u32 n : kCpuCounts) {
        Machine m(n);
        std::vector<SimEntity> highs(n, SimEntity(28));
        std::vector<SimEntity> lows(2 * n, SimEntity(4));
        for (usize i = 0; i < highs.size(); ++i) {
            highs[i].burst = 1;
            highs[i].nap_ns = (3 + i % 3) * kTickNs + kTickNs / 3;
        }
        for (SimEntity& e : highs) m.spawn(&e);
        for (SimEntity& e : lows) m.spawn(&e);
        m.run(3000);
        for (usize i = 0; i < highs.size(); ++i) {
            CHECK_TEXT(highs[i].sleeps > 100, label("high sleeps", n, i).c_str());
            // Woken onto the least loaded CPU, where it outranks everything: it runs within a tick or two.
            CHECK_TEXT(highs[i].max_wake_latency <= 2, label("high wake latency", n, i).c_str());
        }
        for (usize i = 0; i < lows.size(); ++i) CHECK_TEXT(lows[i].ran > 0, label("low ran", n, i).c_str());
    }
}

// (e) Sleepers wake at the first tick at or after their deadline, and never run while asleep.
TEST(Simulation, SleepersWakeOnTime) {
    for (u32 n : kCpuCounts) {
        Machine m(n);
        std::vector<SimEntity> sleepers(2 * n, SimEntity(20));
        std::vector<SimEntity> hogs(n, SimEntity(10));
        for (usize i = 0; i < sleepers.size(); ++i) {
            sleepers[i].burst = 1 + static_cast<u32>(i % 3);
            sleepers[i].nap_ns = (1 + i) * kTickNs + (i * 137'000) % kTickNs;
        }
        for (SimEntity& e : hogs) m.spawn(&e);
        for (SimEntity& e : sleepers) m.spawn(&e);
        m.run(2000);
        for (usize i = 0; i < sleepers.size(); ++i) {
            const SimEntity& s = sleepers[i];
            CHECK_TEXT(s.sleeps > 10, label("sleeps", n, i).c_str());
            CHECK_TRUE(s.woken_at.size() <= s.deadlines.size());
            CHECK_TRUE(s.deadlines.size() - s.woken_at.size() <= 1);  // at most the current sleep
            for (usize k = 0; k < s.woken_at.size(); ++k) {
                CHECK_TEXT(s.woken_at[k] >= s.deadlines[k], label("woke early", n, i).c_str());
                CHECK_TEXT(s.woken_at[k] < s.deadlines[k] + kTickNs, label("woke late", n, i).c_str());
            }
        }
        for (const SimEntity& h : hogs) CHECK_TRUE(h.ran > 0);
    }
}

// (e') One sleeper and a lower-priority hog on each CPU count: the exact ticks the sleeper runs.
TEST(Simulation, SleeperExactSchedule) {
    for (u32 n : kCpuCounts) {
        Machine m(n);
        SimEntity sleeper(20);
        sleeper.burst = 1;
        sleeper.nap_ns = 3 * kTickNs + kTickNs / 2;  // blocks at the end of tick t, deadline t + 4.5 ticks
        sleeper.record_ticks = true;
        std::vector<SimEntity> hogs(n, SimEntity(10));
        for (SimEntity& h : hogs) m.spawn(&h);
        m.spawn(&sleeper);
        m.run(100);
        // Runs in tick 1, then at the first tick start >= deadline: 1, 6, 11, ...
        CHECK_EQUAL(20u, sleeper.ran_ticks.size());
        for (usize k = 0; k < sleeper.ran_ticks.size(); ++k) CHECK_EQUAL(1 + 5 * k, sleeper.ran_ticks[k]);
        for (usize k = 0; k < sleeper.woken_at.size(); ++k)
            CHECK_EQUAL(static_cast<u64>(1 + 5 * (k + 1)) * kTickNs, sleeper.woken_at[k]);
        u64 hog_total = 0;
        for (const SimEntity& h : hogs) hog_total += h.ran;
        CHECK_EQUAL(100u * n - 20u, hog_total);
    }
}
