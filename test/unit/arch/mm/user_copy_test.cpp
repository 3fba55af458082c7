// The user range check and the exception-table lookup behind
// arch::copy_from_user / copy_to_user.
#include "arch/x86_64/mm/user_copy_logic.h"

// After the kernel headers: CppUTest's leak-detecting new macros break them.
#include <CppUTest/TestHarness.h>

namespace {

constexpr u64 kTop = 0x0000800000000000;  // arch::kUserTop
constexpr u64 kMax = ~u64(0);

}  // namespace

TEST_GROUP(UserRange){};

TEST(UserRange, RangesInsideTheUserHalfPass) {
    CHECK_TRUE(x86::user_range_ok(0x400000, 4096, kTop));
    CHECK_TRUE(x86::user_range_ok(0, 1, kTop));  // NULL is refused by the fault, not here
    CHECK_TRUE(x86::user_range_ok(kTop - 16, 16, kTop));
    CHECK_TRUE(x86::user_range_ok(0, kTop, kTop));
    CHECK_TRUE(x86::user_range_ok(0x1000, 0, kTop));
    CHECK_TRUE(x86::user_range_ok(kTop, 0, kTop));  // empty, ends exactly at the top
}

TEST(UserRange, RangesReachingPastTheTopFail) {
    CHECK_FALSE(x86::user_range_ok(kTop - 16, 17, kTop));
    CHECK_FALSE(x86::user_range_ok(kTop, 1, kTop));
    CHECK_FALSE(x86::user_range_ok(0, kTop + 1, kTop));
    CHECK_FALSE(x86::user_range_ok(0x1000, kMax, kTop));
}

TEST(UserRange, KernelAndNonCanonicalAddressesFail) {
    CHECK_FALSE(x86::user_range_ok(0xffffffff80000000, 8, kTop));
    CHECK_FALSE(x86::user_range_ok(0xffff800000000000, 0, kTop));
    CHECK_FALSE(x86::user_range_ok(0x0000800000000000, 8, kTop));
    CHECK_FALSE(x86::user_range_ok(0xdead000000000000, 8, kTop));
    CHECK_FALSE(x86::user_range_ok(kMax, 1, kTop));
}

TEST(UserRange, WrapAroundCannotSneakIn) {
    // addr + n would wrap to a small user address: must not pass.
    CHECK_FALSE(x86::user_range_ok(0xfffffffffffff000, 0x2000, kTop));
    CHECK_FALSE(x86::user_range_ok(kMax, 2, kTop));
    CHECK_FALSE(x86::user_range_ok(0x10, kMax - 0x8, kTop));
}

TEST_GROUP(ExTable){};

TEST(ExTable, FindsEachEntryByItsFaultRip) {
    const x86::ExTableEntry table[] = {{0x1000, 0x1010}, {0x2000, 0x2020}, {0x1800, 0x1880}};
    const x86::ExTableEntry* end = table + 3;
    POINTERS_EQUAL(&table[0], x86::extable_find(table, end, 0x1000));
    POINTERS_EQUAL(&table[1], x86::extable_find(table, end, 0x2000));
    POINTERS_EQUAL(&table[2], x86::extable_find(table, end, 0x1800));
    UNSIGNED_LONGLONGS_EQUAL(0x1880, x86::extable_find(table, end, 0x1800)->fixup_rip);
}

TEST(ExTable, MissesAreNull) {
    const x86::ExTableEntry table[] = {{0x1000, 0x1010}, {0x2000, 0x2020}};
    // Neither a fixup address nor a neighbour of a listed instruction counts.
    POINTERS_EQUAL(nullptr, x86::extable_find(table, table + 2, 0x1010));
    POINTERS_EQUAL(nullptr, x86::extable_find(table, table + 2, 0x1001));
    POINTERS_EQUAL(nullptr, x86::extable_find(table, table + 2, 0x0fff));
    POINTERS_EQUAL(nullptr, x86::extable_find(table, table + 2, 0));
}

TEST(ExTable, EmptyTableFindsNothing) {
    const x86::ExTableEntry table[1] = {{0x1000, 0x1010}};
    POINTERS_EQUAL(nullptr, x86::extable_find(table, table, 0x1000));
}
