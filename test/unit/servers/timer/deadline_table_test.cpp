// Host tests of timer::DeadlineTable (src/servers/timer/deadline_table.cpp):
// deadline order (ties in arrival order), expiry, the wait until the next
// deadline, capacity, and the reply slots it hands out.
#include <vector>

#include "servers/timer/deadline_table.h"

#include <CppUTest/TestHarness.h>

using timer::DeadlineTable;

namespace {
constexpr u64 kFirst = 16;
}

TEST_GROUP(TimerDeadlineTable) {
    DeadlineTable table{kFirst};

    // Inserts a sleeper into the next free slot; returns the slot.
    u64 add(u64 deadline, u64 badge = 0) {
        const u64 slot = table.free_slot();
        CHECK(slot != 0);
        CHECK_TRUE(table.insert(deadline, slot, badge));
        return slot;
    }

    // Pops everything due at now, in order, as slots.
    std::vector<u64> expire(u64 now) {
        std::vector<u64> out;
        DeadlineTable::Entry e;
        while (table.pop_due(now, e)) out.push_back(e.slot);
        return out;
    }
};

TEST(TimerDeadlineTable, EmptyWaitsForever) {
    CHECK_TRUE(table.empty());
    UNSIGNED_LONGLONGS_EQUAL(DeadlineTable::kForever, table.wait_ns(123));
    UNSIGNED_LONGLONGS_EQUAL(DeadlineTable::kForever, table.next_deadline());
    DeadlineTable::Entry e;
    CHECK_FALSE(table.pop_due(~u64{0}, e));
}

TEST(TimerDeadlineTable, KeepsDeadlineOrder) {
    const u64 late = add(300);
    const u64 early = add(100);
    const u64 middle = add(200);
    UNSIGNED_LONGS_EQUAL(3, table.size());
    UNSIGNED_LONGLONGS_EQUAL(100, table.at(0).deadline);
    UNSIGNED_LONGLONGS_EQUAL(200, table.at(1).deadline);
    UNSIGNED_LONGLONGS_EQUAL(300, table.at(2).deadline);
    CHECK(std::vector<u64>({early, middle, late}) == expire(1000));
    CHECK_TRUE(table.empty());
}

TEST(TimerDeadlineTable, EqualDeadlinesInArrivalOrder) {
    const u64 a = add(50, 1);
    const u64 b = add(50, 2);
    const u64 first = add(10, 3);
    const u64 c = add(50, 4);
    CHECK(std::vector<u64>({first, a, b, c}) == expire(50));
}

TEST(TimerDeadlineTable, ExpiresOnlyWhatIsDue) {
    const u64 a = add(100);
    const u64 b = add(200);
    CHECK(expire(99).empty());
    CHECK(std::vector<u64>({a}) == expire(100));  // due exactly at its deadline
    CHECK(expire(199).empty());
    UNSIGNED_LONGS_EQUAL(1, table.size());
    CHECK(std::vector<u64>({b}) == expire(500));
}

TEST(TimerDeadlineTable, PopHandsBackTheEntry) {
    add(70, 42);
    DeadlineTable::Entry e{};
    CHECK_TRUE(table.pop_due(70, e));
    UNSIGNED_LONGLONGS_EQUAL(70, e.deadline);
    UNSIGNED_LONGLONGS_EQUAL(kFirst, e.slot);
    UNSIGNED_LONGLONGS_EQUAL(42, e.badge);
}

TEST(TimerDeadlineTable, WaitIsTheTimeToTheEarliestDeadline) {
    add(1000);
    add(400);
    UNSIGNED_LONGLONGS_EQUAL(400, table.next_deadline());
    UNSIGNED_LONGLONGS_EQUAL(300, table.wait_ns(100));
    UNSIGNED_LONGLONGS_EQUAL(1, table.wait_ns(399));
    UNSIGNED_LONGLONGS_EQUAL(0, table.wait_ns(400));
    UNSIGNED_LONGLONGS_EQUAL(0, table.wait_ns(5000));  // overdue: no waiting
    expire(400);
    UNSIGNED_LONGLONGS_EQUAL(600, table.wait_ns(400));
}

TEST(TimerDeadlineTable, SlotsAreHandedOutAndTakenBack) {
    UNSIGNED_LONGLONGS_EQUAL(kFirst, add(10));
    UNSIGNED_LONGLONGS_EQUAL(kFirst + 1, add(20));
    UNSIGNED_LONGLONGS_EQUAL(kFirst + 2, add(5));
    expire(10);  // kFirst + 2 and kFirst leave
    UNSIGNED_LONGLONGS_EQUAL(kFirst, table.free_slot());
    UNSIGNED_LONGLONGS_EQUAL(kFirst, add(30));
    UNSIGNED_LONGLONGS_EQUAL(kFirst + 2, table.free_slot());
}

TEST(TimerDeadlineTable, RefusesSlotsItDidNotHandOut) {
    CHECK_FALSE(table.insert(10, kFirst - 1));
    CHECK_FALSE(table.insert(10, kFirst + DeadlineTable::kCapacity));
    CHECK_FALSE(table.insert(10, 0));
    CHECK_TRUE(table.insert(10, kFirst + 5));
    CHECK_FALSE(table.insert(20, kFirst + 5));  // taken
    UNSIGNED_LONGS_EQUAL(1, table.size());
}

TEST(TimerDeadlineTable, FullTableRefusesMore) {
    for (u32 i = 0; i < DeadlineTable::kCapacity; ++i) add(1000 - i);
    CHECK_TRUE(table.full());
    UNSIGNED_LONGLONGS_EQUAL(0, table.free_slot());
    CHECK_FALSE(table.insert(1, kFirst));
    // Still in order, the last added (earliest) first.
    for (u32 i = 1; i < table.size(); ++i) CHECK(table.at(i - 1).deadline <= table.at(i).deadline);
    UNSIGNED_LONGLONGS_EQUAL(1000 - (DeadlineTable::kCapacity - 1), table.next_deadline());
    DeadlineTable::Entry e;
    CHECK_TRUE(table.pop_due(table.next_deadline(), e));
    CHECK(table.free_slot() != 0);
}

TEST(TimerDeadlineTable, RemoveBySlot) {
    const u64 a = add(10);
    const u64 b = add(20);
    const u64 c = add(30);
    CHECK_TRUE(table.remove_slot(b));
    CHECK_FALSE(table.remove_slot(b));
    CHECK(std::vector<u64>({a, c}) == expire(100));
}
