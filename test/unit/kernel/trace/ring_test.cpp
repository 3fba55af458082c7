// Unit tests for the per-CPU event ring: numbering, overwriting, lookup.
#include "kernel/trace/ring.h"

#include <CppUTest/TestHarness.h>

namespace {

trace::Event event_with(u64 arg0) {
    trace::Event e = {};
    e.args[0] = arg0;
    e.seq = 12345;  // push numbers it itself
    return e;
}

}  // namespace

TEST_GROUP(EventRing) {
    trace::EventRing* ring = nullptr;
    void setup() override { ring = new trace::EventRing(); }
    void teardown() override { delete ring; }
};

TEST(EventRing, StartsEmpty) {
    UNSIGNED_LONGLONGS_EQUAL(0, ring->pushed());
    UNSIGNED_LONGLONGS_EQUAL(1, ring->oldest());
    POINTERS_EQUAL(nullptr, ring->find(0));
    POINTERS_EQUAL(nullptr, ring->find(1));
}

TEST(EventRing, NumbersEventsFromOne) {
    UNSIGNED_LONGLONGS_EQUAL(1, ring->push(event_with(10)));
    UNSIGNED_LONGLONGS_EQUAL(2, ring->push(event_with(20)));
    UNSIGNED_LONGLONGS_EQUAL(10, ring->find(1)->args[0]);
    UNSIGNED_LONGLONGS_EQUAL(2, ring->find(2)->seq);
    POINTERS_EQUAL(nullptr, ring->find(3));
}

TEST(EventRing, KeepsTheLastKEvents) {
    const u64 total = trace::EventRing::kEvents * 2 + 5;
    for (u64 i = 1; i <= total; i++) ring->push(event_with(i * 100));
    UNSIGNED_LONGLONGS_EQUAL(total, ring->pushed());
    UNSIGNED_LONGLONGS_EQUAL(total - trace::EventRing::kEvents + 1, ring->oldest());
    POINTERS_EQUAL(nullptr, ring->find(ring->oldest() - 1));
    for (u64 seq = ring->oldest(); seq <= total; seq++) {
        const trace::Event* e = ring->find(seq);
        CHECK(e != nullptr);
        UNSIGNED_LONGLONGS_EQUAL(seq * 100, e->args[0]);
    }
}

TEST(EventRing, AnEventCanBeCompletedInPlace) {
    u64 seq = ring->push(event_with(1));
    ring->push(event_with(2));
    trace::Event* e = ring->find(seq);
    e->result = -3;
    e->state = trace::EventState::kDone;
    LONGLONGS_EQUAL(-3, ring->find(seq)->result);
}
