// Tests of sched::RunQueue: priority order, FIFO within a level, the level bitmap, removal, stealing.
#include "kernel/sched/run_queue.h"

#include <vector>

#include "CppUTest/TestHarness.h"

using sched::Entity;
using sched::kPriorities;
using sched::RunQueue;

namespace {

Entity make(u8 prio, u64 affinity = ~0ull) {
    Entity e;
    e.priority = prio;
    e.affinity = affinity;
    return e;
}

// Everything in queue order (for_each), then drained with pop_highest; both must agree.
std::vector<Entity*> drain(RunQueue& rq) {
    std::vector<Entity*> seen;
    rq.for_each([&](Entity* e) { seen.push_back(e); });
    std::vector<Entity*> out;
    while (Entity* e = rq.pop_highest()) {
        CHECK_FALSE(e->queued);
        out.push_back(e);
    }
    CHECK_TRUE(seen == out);
    CHECK_EQUAL(0u, rq.count());
    CHECK_EQUAL(-1, rq.highest_priority());
    return out;
}

}  // namespace

TEST_GROUP(RunQueue) {
    RunQueue rq;
};

TEST(RunQueue, EmptyQueue) {
    CHECK_EQUAL(0u, rq.count());
    CHECK_TRUE(rq.empty());
    CHECK_EQUAL(-1, rq.highest_priority());
    CHECK_EQUAL(0u, rq.bitmap());
    POINTERS_EQUAL(nullptr, rq.peek_highest());
    POINTERS_EQUAL(nullptr, rq.pop_highest());
    POINTERS_EQUAL(nullptr, rq.steal_for(0));
}

TEST(RunQueue, SingleEntity) {
    Entity a = make(7);
    rq.enqueue(&a);
    CHECK_TRUE(a.queued);
    CHECK_EQUAL(1u, rq.count());
    CHECK_EQUAL(7, rq.highest_priority());
    CHECK_EQUAL(1u << 7, rq.bitmap());
    POINTERS_EQUAL(&a, rq.peek_highest());
    CHECK_EQUAL(1u, rq.count());  // peek leaves it queued
    POINTERS_EQUAL(&a, rq.pop_highest());
    CHECK_FALSE(a.queued);
    CHECK_EQUAL(0u, rq.bitmap());
    POINTERS_EQUAL(nullptr, a.run_link.next);
    POINTERS_EQUAL(nullptr, a.run_link.prev);
}

TEST(RunQueue, HighestPriorityFirst) {
    Entity lo = make(1), mid = make(16), hi = make(30);
    rq.enqueue(&mid);
    rq.enqueue(&lo);
    rq.enqueue(&hi);
    CHECK_EQUAL(30, rq.highest_priority());
    std::vector<Entity*> expect{&hi, &mid, &lo};
    CHECK_TRUE(drain(rq) == expect);
}

TEST(RunQueue, FifoWithinLevel) {
    Entity e[5];
    for (Entity& x : e) {
        x.priority = 12;
        rq.enqueue(&x);
    }
    std::vector<Entity*> expect{&e[0], &e[1], &e[2], &e[3], &e[4]};
    CHECK_TRUE(drain(rq) == expect);
}

TEST(RunQueue, RoundRobinRotation) {
    Entity e[3];
    for (Entity& x : e) rq.enqueue(&x);
    // Running entity goes to the tail of its level, the head runs next.
    std::vector<Entity*> order;
    Entity* running = rq.pop_highest();
    for (int i = 0; i < 6; ++i) {
        order.push_back(running);
        rq.enqueue(running);
        running = rq.pop_highest();
    }
    std::vector<Entity*> expect{&e[0], &e[1], &e[2], &e[0], &e[1], &e[2]};
    CHECK_TRUE(order == expect);
}

TEST(RunQueue, EnqueueFrontGoesBeforePeers) {
    Entity a = make(9), b = make(9), c = make(9), hi = make(10);
    rq.enqueue(&a);
    rq.enqueue(&b);
    rq.enqueue_front(&c);
    rq.enqueue_front(&hi);
    std::vector<Entity*> expect{&hi, &c, &a, &b};
    CHECK_TRUE(drain(rq) == expect);
}

TEST(RunQueue, EnqueueFrontOnEmptyLevelThenTail) {
    Entity a = make(3), b = make(3);
    rq.enqueue_front(&a);
    rq.enqueue(&b);
    std::vector<Entity*> expect{&a, &b};
    CHECK_TRUE(drain(rq) == expect);
}

TEST(RunQueue, BitmapWithAllLevels) {
    Entity e[kPriorities];
    // Enqueued in a scrambled order: 7 is coprime with 32.
    for (u32 i = 0; i < kPriorities; ++i) {
        Entity& x = e[(i * 7) % kPriorities];
        x.priority = static_cast<u8>((i * 7) % kPriorities);
        rq.enqueue(&x);
    }
    CHECK_EQUAL(0xffffffffu, rq.bitmap());
    CHECK_EQUAL(kPriorities, rq.count());
    for (int p = kPriorities - 1; p >= 0; --p) {
        CHECK_EQUAL(p, rq.highest_priority());
        Entity* x = rq.pop_highest();
        POINTERS_EQUAL(&e[p], x);
        CHECK_EQUAL(p == 0 ? 0u : (1ull << p) - 1, rq.bitmap());
    }
    CHECK_EQUAL(-1, rq.highest_priority());
}

TEST(RunQueue, BitmapTracksEachLevelIndependently) {
    Entity lvl0 = make(0), lvl31 = make(31), lvl31b = make(31);
    rq.enqueue(&lvl0);
    rq.enqueue(&lvl31);
    rq.enqueue(&lvl31b);
    CHECK_EQUAL(0x80000001u, rq.bitmap());
    rq.remove(&lvl31);
    CHECK_EQUAL(0x80000001u, rq.bitmap());  // level 31 still holds lvl31b
    rq.remove(&lvl31b);
    CHECK_EQUAL(0x1u, rq.bitmap());
    CHECK_EQUAL(0, rq.highest_priority());
    rq.remove(&lvl0);
    CHECK_EQUAL(0u, rq.bitmap());
}

TEST(RunQueue, PriorityAboveMaxCountsAsMax) {
    Entity a = make(31), big = make(200);
    rq.enqueue(&a);
    rq.enqueue(&big);
    CHECK_EQUAL(31, rq.highest_priority());
    std::vector<Entity*> expect{&a, &big};
    CHECK_TRUE(drain(rq) == expect);
}

TEST(RunQueue, RemoveHeadMiddleTail) {
    Entity e[5];
    for (Entity& x : e) rq.enqueue(&x);
    rq.remove(&e[2]);  // middle
    CHECK_FALSE(e[2].queued);
    rq.remove(&e[0]);  // head
    rq.remove(&e[4]);  // tail
    CHECK_EQUAL(2u, rq.count());
    // The level stays linked correctly in both directions: append and re-read.
    rq.enqueue(&e[0]);
    std::vector<Entity*> expect{&e[1], &e[3], &e[0]};
    CHECK_TRUE(drain(rq) == expect);
}

TEST(RunQueue, RemoveOnlyEntityClearsLevel) {
    Entity a = make(5), b = make(4);
    rq.enqueue(&a);
    rq.enqueue(&b);
    rq.remove(&a);
    CHECK_EQUAL(4, rq.highest_priority());
    POINTERS_EQUAL(&b, rq.peek_highest());
    // The emptied level accepts entities again.
    rq.enqueue(&a);
    std::vector<Entity*> expect{&a, &b};
    CHECK_TRUE(drain(rq) == expect);
}

TEST(RunQueue, RemoveNotQueuedIsIgnored) {
    Entity a = make(5), b = make(5);
    rq.enqueue(&a);
    rq.remove(&b);
    CHECK_EQUAL(1u, rq.count());
    rq.enqueue(&a);  // already queued: ignored, not linked twice
    CHECK_EQUAL(1u, rq.count());
    rq.enqueue_front(&a);
    CHECK_EQUAL(1u, rq.count());
    std::vector<Entity*> expect{&a};
    CHECK_TRUE(drain(rq) == expect);
}

TEST(RunQueue, ReenqueueAfterPriorityChange) {
    Entity a = make(5), b = make(5);
    rq.enqueue(&a);
    rq.enqueue(&b);
    rq.remove(&a);
    a.priority = 6;
    rq.enqueue(&a);
    std::vector<Entity*> expect{&a, &b};
    CHECK_TRUE(drain(rq) == expect);
}

TEST(RunQueue, StealTakesHighestPriorityAllowed) {
    Entity lo = make(3), hi = make(20), mid = make(10);
    rq.enqueue(&lo);
    rq.enqueue(&hi);
    rq.enqueue(&mid);
    POINTERS_EQUAL(&hi, rq.steal_for(5));
    POINTERS_EQUAL(&mid, rq.steal_for(5));
    POINTERS_EQUAL(&lo, rq.steal_for(5));
    POINTERS_EQUAL(nullptr, rq.steal_for(5));
}

TEST(RunQueue, StealRespectsAffinity) {
    Entity pinned_hi = make(20, 1ull << 0);
    Entity pinned_cpu3 = make(10, 1ull << 3);
    Entity free_lo = make(2);
    rq.enqueue(&pinned_hi);
    rq.enqueue(&pinned_cpu3);
    rq.enqueue(&free_lo);
    // CPU 1 may only take the free one, although it has the lowest priority.
    POINTERS_EQUAL(&free_lo, rq.steal_for(1));
    POINTERS_EQUAL(nullptr, rq.steal_for(1));
    POINTERS_EQUAL(&pinned_cpu3, rq.steal_for(3));
    POINTERS_EQUAL(nullptr, rq.steal_for(3));
    CHECK_EQUAL(1u, rq.count());
    CHECK_TRUE(pinned_hi.queued);
    CHECK_EQUAL(20, rq.highest_priority());
    // CPUs outside every mask.
    POINTERS_EQUAL(nullptr, rq.steal_for(64));
    POINTERS_EQUAL(nullptr, rq.steal_for(sched::kPriorities * 100));
    POINTERS_EQUAL(&pinned_hi, rq.steal_for(0));
}

TEST(RunQueue, StealPrefersOldestWithinLevel) {
    Entity a = make(8, 1ull << 0), b = make(8), c = make(8), d = make(8);
    rq.enqueue(&a);
    rq.enqueue(&b);
    rq.enqueue(&c);
    rq.enqueue(&d);
    POINTERS_EQUAL(&b, rq.steal_for(2));  // a is nearer the head but may not run on 2
    POINTERS_EQUAL(&a, rq.steal_for(0));
    POINTERS_EQUAL(&c, rq.steal_for(0));
    std::vector<Entity*> expect{&d};
    CHECK_TRUE(drain(rq) == expect);
}

TEST(RunQueue, StealSkipsLevelWithNothingAllowed) {
    Entity hi1 = make(25, 1ull << 0), hi2 = make(25, 1ull << 0), lo = make(4, 1ull << 1 | 1ull << 0);
    rq.enqueue(&hi1);
    rq.enqueue(&hi2);
    rq.enqueue(&lo);
    POINTERS_EQUAL(&lo, rq.steal_for(1));
    CHECK_EQUAL(1u << 25, rq.bitmap());
}

TEST(RunQueue, StealMinPriority) {
    Entity lo = make(5), mid = make(10);
    rq.enqueue(&lo);
    rq.enqueue(&mid);
    POINTERS_EQUAL(nullptr, rq.steal_for(0, 11));
    POINTERS_EQUAL(&mid, rq.steal_for(0, 10));
    POINTERS_EQUAL(nullptr, rq.steal_for(0, 6));
    POINTERS_EQUAL(&lo, rq.steal_for(0, -1));
    rq.enqueue(&lo);
    POINTERS_EQUAL(nullptr, rq.steal_for(0, 32));
    POINTERS_EQUAL(nullptr, rq.steal_for(0, 1000));
    POINTERS_EQUAL(&lo, rq.steal_for(0, 0));
}

TEST(RunQueue, StealFromLevelThirtyOneAndZero) {
    Entity top = make(31), bottom = make(0);
    rq.enqueue(&bottom);
    rq.enqueue(&top);
    POINTERS_EQUAL(&top, rq.steal_for(63, 31));
    POINTERS_EQUAL(&bottom, rq.steal_for(63));
    CHECK_EQUAL(0u, rq.bitmap());
}

TEST(RunQueue, ManyEntitiesStayConsistent) {
    // A deterministic mix of operations, checked against a model.
    constexpr int kN = 200;
    std::vector<Entity> ents(kN);
    std::vector<std::vector<Entity*>> model(kPriorities);
    u32 seed = 12345;
    auto rnd = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 8) & 0xffff; };
    for (int step = 0; step < 5000; ++step) {
        Entity& e = ents[rnd() % kN];
        const u32 op = rnd() % 4;
        if (!e.queued) {
            e.priority = static_cast<u8>(rnd() % kPriorities);
            auto& lvl = model[e.priority];
            if (op == 0) {
                rq.enqueue_front(&e);
                lvl.insert(lvl.begin(), &e);
            } else {
                rq.enqueue(&e);
                lvl.push_back(&e);
            }
        } else if (op == 0) {
            Entity* p = rq.pop_highest();
            int top = kPriorities - 1;
            while (model[top].empty()) --top;
            POINTERS_EQUAL(model[top].front(), p);
            model[top].erase(model[top].begin());
        } else {
            rq.remove(&e);
            auto& lvl = model[e.priority];
            for (auto it = lvl.begin(); it != lvl.end(); ++it)
                if (*it == &e) {
                    lvl.erase(it);
                    break;
                }
        }
        u32 bits = 0, total = 0;
        for (u32 p = 0; p < kPriorities; ++p)
            if (!model[p].empty()) bits |= 1u << p, total += static_cast<u32>(model[p].size());
        CHECK_EQUAL(bits, rq.bitmap());
        CHECK_EQUAL(total, rq.count());
    }
    std::vector<Entity*> expect;
    for (int p = kPriorities - 1; p >= 0; --p) expect.insert(expect.end(), model[p].begin(), model[p].end());
    CHECK_TRUE(drain(rq) == expect);
}
