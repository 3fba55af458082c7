// Tests of the policy functions: choose_cpu, choose_victim, should_preempt (tables of cases).
#include "kernel/sched/balance.h"

#include <vector>

#include "CppUTest/TestHarness.h"

using sched::choose_cpu;
using sched::choose_victim;
using sched::Entity;
using sched::kNoCpu;
using sched::RunQueue;
using sched::should_preempt;

namespace {

constexpr u64 kAll = ~0ull;

u64 bits(std::initializer_list<u32> cpus) {
    u64 m = 0;
    for (u32 c : cpus) m |= 1ull << c;
    return m;
}

struct PlaceCase {
    const char* what;
    std::vector<u32> loads;
    u64 online;
    u64 affinity;
    u32 last;
    u32 expect;
};

struct VictimCase {
    const char* what;
    std::vector<u32> loads;
    u64 online;
    u32 me;
    u64 starving;
    u64 skip;
    u32 expect;
};

}  // namespace

TEST_GROUP(ChooseCpu){};

TEST(ChooseCpu, Table) {
    const std::vector<PlaceCase> cases = {
        {"single cpu", {5}, kAll, kAll, 0, 0},
        {"least loaded", {3, 1, 2, 4}, kAll, kAll, 0, 1},
        {"tie prefers last", {2, 1, 1, 1}, kAll, kAll, 2, 2},
        {"tie without last: lowest number", {2, 1, 1, 1}, kAll, kAll, 0, 1},
        {"last not least loaded", {0, 1, 1, 1}, kAll, kAll, 3, 0},
        {"all equal: last", {1, 1, 1, 1}, kAll, kAll, 3, 3},
        {"all equal, last out of range: lowest", {1, 1, 1, 1}, kAll, kAll, 9, 0},
        {"last kNoCpu", {1, 1, 1, 1}, kAll, kAll, kNoCpu, 0},
        {"affinity restricts", {0, 5, 7, 6}, kAll, bits({1, 2, 3}), 0, 1},
        {"last outside affinity", {1, 1, 1, 1}, kAll, bits({1, 2}), 0, 1},
        {"last offline", {1, 1, 1, 1}, bits({0, 1, 2}), kAll, 3, 0},
        {"offline cpu ignored although idle", {4, 0, 4, 3}, bits({0, 2, 3}), kAll, 0, 3},
        {"pinned to a busy cpu", {0, 0, 9, 0}, kAll, bits({2}), 0, 2},
        {"affinity and online disjoint", {0, 0, 0, 0}, bits({0, 1}), bits({2, 3}), 0, kNoCpu},
        {"empty affinity", {0, 0}, kAll, 0, 0, kNoCpu},
        {"affinity beyond ncpus", {0, 0}, kAll, bits({5}), 0, kNoCpu},
        {"nothing online", {0, 0}, 0, kAll, 0, kNoCpu},
    };
    for (const PlaceCase& c : cases) {
        const u32 got = choose_cpu(c.loads.data(), static_cast<u32>(c.loads.size()), c.online, c.affinity, c.last);
        CHECK_EQUAL_TEXT(c.expect, got, c.what);
    }
}

TEST(ChooseCpu, SixtyFourCpus) {
    std::vector<u32> loads(64, 3);
    loads[63] = 1;
    CHECK_EQUAL(63u, choose_cpu(loads.data(), 64, kAll, kAll, 0));
    loads[62] = 1;
    CHECK_EQUAL(62u, choose_cpu(loads.data(), 64, kAll, kAll, 0));
    CHECK_EQUAL(63u, choose_cpu(loads.data(), 64, kAll, kAll, 63));
    CHECK_EQUAL(5u, choose_cpu(loads.data(), 64, kAll, bits({5}), 63));
}

TEST(ChooseCpu, SpreadsSuccessivePlacements) {
    // Placing 16 entities one after another on 4 idle CPUs, counting each, fills them evenly.
    std::vector<u32> loads(4, 0);
    for (int i = 0; i < 16; ++i) ++loads[choose_cpu(loads.data(), 4, kAll, kAll, 0)];
    for (u32 l : loads) CHECK_EQUAL(4u, l);
}

TEST_GROUP(ChooseVictim){};

TEST(ChooseVictim, Table) {
    const std::vector<VictimCase> cases = {
        {"single cpu", {5}, kAll, 0, 0, 0, kNoCpu},
        {"idle: needs running + queued", {0, 1, 1, 1}, kAll, 0, 0, 0, kNoCpu},
        {"idle: load 2 is enough", {0, 1, 2, 1}, kAll, 0, 0, 0, 2},
        {"idle: most loaded", {0, 2, 5, 3}, kAll, 0, 0, 0, 2},
        {"tie: lowest number", {0, 3, 1, 3}, kAll, 0, 0, 0, 1},
        {"busy: needs mine + 2", {1, 2, 2, 2}, kAll, 0, 0, 0, kNoCpu},
        {"busy: mine + 2", {1, 2, 3, 2}, kAll, 0, 0, 0, 2},
        {"balanced pair", {2, 2}, kAll, 1, 0, 0, kNoCpu},
        {"differ by one", {3, 2}, kAll, 1, 0, 0, kNoCpu},
        {"differ by two", {4, 2}, kAll, 1, 0, 0, 0},
        {"never me although most loaded", {0, 9}, kAll, 1, 0, 0, kNoCpu},
        {"offline victim ignored", {0, 9, 3}, bits({0, 2}), 0, 0, 0, 2},
        {"all others offline", {0, 9, 9}, bits({0}), 0, 0, 0, kNoCpu},
        {"skip", {0, 5, 4, 3}, kAll, 0, 0, bits({1}), 2},
        {"skip all candidates", {0, 5, 4}, kAll, 0, 0, bits({1, 2}), kNoCpu},
        {"starving first, at any load", {1, 2, 6, 2}, kAll, 0, bits({1}), 0, 1},
        {"starving: most loaded of them", {1, 2, 6, 3}, kAll, 0, bits({1, 3}), 0, 3},
        {"starving tie: lowest", {1, 3, 6, 3}, kAll, 0, bits({1, 3}), 0, 1},
        {"starving me is not a victim", {2, 1, 1}, kAll, 0, bits({0}), 0, kNoCpu},
        {"starving but skipped: load rule", {0, 2, 3}, kAll, 0, bits({1}), bits({1}), 2},
        {"starving but offline", {0, 2, 1}, bits({0, 2}), 0, bits({1}), 0, kNoCpu},
        {"victim beyond ncpus ignored", {0, 1}, kAll, 0, bits({7}), 0, kNoCpu},
    };
    for (const VictimCase& c : cases) {
        const u32 got = choose_victim(c.loads.data(), static_cast<u32>(c.loads.size()), c.online, c.me, c.starving,
                                      c.skip);
        CHECK_EQUAL_TEXT(c.expect, got, c.what);
    }
}

TEST(ChooseVictim, DefaultArgumentsAreTheLoadRule) {
    const u32 loads[] = {0, 1, 3, 3};
    CHECK_EQUAL(2u, choose_victim(loads, 4, kAll, 0));
    CHECK_EQUAL(kNoCpu, choose_victim(loads, 4, kAll, 2));
    CHECK_EQUAL(2u, choose_victim(loads, 4, kAll, 1));
}

TEST(ChooseVictim, NeverMakesItWorse) {
    // Exhaustive over small load vectors: a victim chosen by the load rule
    // always has a load at least two above the thief's, so one move never
    // leaves the thief more loaded than the victim.
    for (u32 a = 0; a < 5; ++a)
        for (u32 b = 0; b < 5; ++b)
            for (u32 c = 0; c < 5; ++c) {
                const u32 loads[] = {a, b, c};
                for (u32 me = 0; me < 3; ++me) {
                    const u32 v = choose_victim(loads, 3, kAll, me);
                    if (v == kNoCpu) {
                        for (u32 o = 0; o < 3; ++o)
                            if (o != me) CHECK_TRUE(loads[o] < loads[me] + 2);
                        continue;
                    }
                    CHECK_TRUE(v != me);
                    CHECK_TRUE(loads[v] >= loads[me] + 2);
                    CHECK_TRUE(loads[v] - 1 >= loads[me] + 1);
                    for (u32 o = 0; o < 3; ++o)
                        if (o != me) CHECK_TRUE(loads[o] < loads[v] || (loads[o] == loads[v] && o >= v));
                }
            }
}

TEST_GROUP(ShouldPreempt) {
    RunQueue rq;
    Entity e[3];
    void queue(u8 prio) {
        for (Entity& x : e)
            if (!x.queued) {
                x.priority = prio;
                rq.enqueue(&x);
                return;
            }
        FAIL("out of entities");
    }
};

TEST(ShouldPreempt, EmptyQueueNever) {
    CHECK_FALSE(should_preempt(10, rq, false));
    CHECK_FALSE(should_preempt(10, rq, true));
    CHECK_FALSE(should_preempt(sched::kIdlePriority, rq, true));
}

TEST(ShouldPreempt, HigherQueued) {
    queue(11);
    CHECK_TRUE(should_preempt(10, rq, false));
    CHECK_TRUE(should_preempt(10, rq, true));
}

TEST(ShouldPreempt, EqualQueuedOnlyOnSliceExpiry) {
    queue(10);
    CHECK_FALSE(should_preempt(10, rq, false));
    CHECK_TRUE(should_preempt(10, rq, true));
}

TEST(ShouldPreempt, LowerQueuedNever) {
    queue(9);
    queue(0);
    CHECK_FALSE(should_preempt(10, rq, false));
    CHECK_FALSE(should_preempt(10, rq, true));
}

TEST(ShouldPreempt, IdleTakesAnything) {
    queue(0);
    CHECK_TRUE(should_preempt(sched::kIdlePriority, rq, false));
}

TEST(ShouldPreempt, LooksAtTheHighestQueued) {
    queue(3);
    queue(31);
    CHECK_TRUE(should_preempt(30, rq, false));
    CHECK_FALSE(should_preempt(31, rq, false));
    CHECK_TRUE(should_preempt(31, rq, true));
}

TEST_GROUP(Starving){};

TEST(Starving, Helpers) {
    RunQueue rq;
    Entity a, b;
    CHECK_EQUAL(0u, sched::cpu_load(false, rq));
    CHECK_EQUAL(1u, sched::cpu_load(true, rq));
    CHECK_FALSE(sched::starving(20, rq));  // nothing queued
    a.priority = 10;
    rq.enqueue(&a);
    CHECK_EQUAL(2u, sched::cpu_load(true, rq));
    CHECK_TRUE(sched::starving(20, rq));
    CHECK_FALSE(sched::starving(10, rq));  // round robin will reach it
    CHECK_FALSE(sched::starving(sched::kIdlePriority, rq));
    b.priority = 25;
    rq.enqueue(&b);
    CHECK_TRUE(sched::starving(20, rq));  // b preempts, but a still waits behind both
    rq.remove(&a);
    CHECK_FALSE(sched::starving(20, rq));  // b is about to preempt, not waiting
    b.priority = 20;
    rq.remove(&b);
    rq.enqueue(&b);
    rq.enqueue(&a);
    CHECK_TRUE(sched::starving(20, rq));  // a level-20 peer round-robins; a below waits
}
