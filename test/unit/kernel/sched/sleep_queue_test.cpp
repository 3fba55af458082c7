// Tests of sched::SleepQueue: deadline order, stable ties, removal, expiry against a fake clock.
#include "kernel/sched/sleep_queue.h"

#include <vector>

#include "CppUTest/TestHarness.h"

using sched::Entity;
using sched::SleepQueue;

namespace {

std::vector<Entity*> order(const SleepQueue& sq) {
    std::vector<Entity*> out;
    sq.for_each([&](Entity* e) { out.push_back(e); });
    return out;
}

// Pops everything with the clock at `now`.
std::vector<Entity*> expire(SleepQueue& sq, u64 now) {
    std::vector<Entity*> out;
    while (Entity* e = sq.pop_expired(now)) {
        CHECK_FALSE(e->sleeping);
        CHECK_TRUE(e->deadline <= now);
        out.push_back(e);
    }
    return out;
}

}  // namespace

TEST_GROUP(SleepQueue) {
    SleepQueue sq;
};

TEST(SleepQueue, Empty) {
    CHECK_EQUAL(0u, sq.count());
    CHECK_TRUE(sq.empty());
    CHECK_EQUAL(SleepQueue::kNever, sq.next_deadline());
    CHECK_EQUAL(~0ull, sq.next_deadline());
    POINTERS_EQUAL(nullptr, sq.pop_expired(~0ull));
    POINTERS_EQUAL(nullptr, sq.peek());
}

TEST(SleepQueue, SortedByDeadline) {
    Entity a, b, c, d;
    sq.insert(&a, 300);
    sq.insert(&b, 100);
    sq.insert(&c, 400);
    sq.insert(&d, 200);
    CHECK_EQUAL(4u, sq.count());
    CHECK_TRUE(a.sleeping && b.sleeping && c.sleeping && d.sleeping);
    CHECK_EQUAL(300u, a.deadline);
    CHECK_EQUAL(100u, sq.next_deadline());
    std::vector<Entity*> expect{&b, &d, &a, &c};
    CHECK_TRUE(order(sq) == expect);
}

TEST(SleepQueue, EqualDeadlinesKeepInsertionOrder) {
    Entity e[6];
    sq.insert(&e[0], 50);
    sq.insert(&e[1], 10);
    sq.insert(&e[2], 50);
    sq.insert(&e[3], 10);
    sq.insert(&e[4], 50);
    sq.insert(&e[5], 30);
    std::vector<Entity*> expect{&e[1], &e[3], &e[5], &e[0], &e[2], &e[4]};
    CHECK_TRUE(order(sq) == expect);
    CHECK_TRUE(expire(sq, 100) == expect);
}

TEST(SleepQueue, PopExpiredWithFakeClock) {
    Entity a, b, c;
    sq.insert(&a, 1000);
    sq.insert(&b, 2000);
    sq.insert(&c, 2000);
    u64 now = 0;
    POINTERS_EQUAL(nullptr, sq.pop_expired(now));
    now = 999;
    POINTERS_EQUAL(nullptr, sq.pop_expired(now));
    now = 1000;  // a deadline equal to the clock has expired
    POINTERS_EQUAL(&a, sq.pop_expired(now));
    POINTERS_EQUAL(nullptr, sq.pop_expired(now));
    CHECK_EQUAL(2000u, sq.next_deadline());
    now = 5000;
    POINTERS_EQUAL(&b, sq.pop_expired(now));  // one at a time, earliest first
    CHECK_EQUAL(1u, sq.count());
    POINTERS_EQUAL(&c, sq.pop_expired(now));
    POINTERS_EQUAL(nullptr, sq.pop_expired(now));
    CHECK_EQUAL(SleepQueue::kNever, sq.next_deadline());
}

TEST(SleepQueue, RemoveHeadMiddleTail) {
    Entity e[5];
    for (int i = 0; i < 5; ++i) sq.insert(&e[i], 10 * (i + 1));
    sq.remove(&e[2]);
    CHECK_FALSE(e[2].sleeping);
    sq.remove(&e[0]);
    CHECK_EQUAL(20u, sq.next_deadline());
    sq.remove(&e[4]);
    CHECK_EQUAL(2u, sq.count());
    sq.insert(&e[4], 15);  // tail gone: the list still links both ways
    sq.insert(&e[0], 100);
    std::vector<Entity*> expect{&e[4], &e[1], &e[3], &e[0]};
    CHECK_TRUE(order(sq) == expect);
    CHECK_TRUE(expire(sq, ~0ull) == expect);
    CHECK_TRUE(sq.empty());
}

TEST(SleepQueue, RemoveNotSleepingIsIgnored) {
    Entity a, b;
    sq.insert(&a, 5);
    sq.remove(&b);
    CHECK_EQUAL(1u, sq.count());
    POINTERS_EQUAL(&a, sq.pop_expired(5));
    sq.remove(&a);  // a wake-up that lost the race with expiry
    CHECK_EQUAL(0u, sq.count());
}

TEST(SleepQueue, ReinsertMovesToNewDeadline) {
    Entity a, b, c;
    sq.insert(&a, 10);
    sq.insert(&b, 20);
    sq.insert(&c, 30);
    sq.insert(&a, 25);
    CHECK_EQUAL(3u, sq.count());
    std::vector<Entity*> expect{&b, &a, &c};
    CHECK_TRUE(order(sq) == expect);
    sq.insert(&c, 20);  // equal to b: after b
    expect = {&b, &c, &a};
    CHECK_TRUE(order(sq) == expect);
}

TEST(SleepQueue, IndependentOfRunQueueLinks) {
    // An entity may be on a run queue and a sleep queue at once (a timed wait
    // that is woken early is removed from the sleep queue later); the links are separate.
    Entity a;
    sched::RunQueue rq;
    rq.enqueue(&a);
    sq.insert(&a, 7);
    CHECK_TRUE(a.queued && a.sleeping);
    POINTERS_EQUAL(&a, rq.pop_highest());
    POINTERS_EQUAL(&a, sq.pop_expired(7));
}

TEST(SleepQueue, ManyDeadlinesExpireInOrder) {
    constexpr int kN = 300;
    std::vector<Entity> ents(kN);
    u32 seed = 777;
    for (Entity& e : ents) {
        seed = seed * 1664525u + 1013904223u;
        sq.insert(&e, (seed >> 16) % 1000);
    }
    u64 last = 0;
    u32 popped = 0;
    // Fake clock in steps of 37 ns; each pass drains what has expired so far.
    for (u64 now = 0; now < 1100; now += 37) {
        while (Entity* e = sq.pop_expired(now)) {
            CHECK_TRUE(e->deadline >= last);
            CHECK_TRUE(e->deadline <= now);
            CHECK_TRUE(now < e->deadline + 37);  // not left behind by an earlier pass
            last = e->deadline;
            ++popped;
        }
        CHECK_TRUE(sq.next_deadline() > now);
    }
    CHECK_EQUAL(static_cast<u32>(kN), popped);
}
