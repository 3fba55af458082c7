// Unit tests for the freestanding kstd string helpers.
#include "lib/kstd/string.h"

#include <CppUTest/TestHarness.h>

TEST_GROUP(KstdString){};

TEST(KstdString, StrlenCountsUpToTerminator) {
    LONGS_EQUAL(0, kstd::strlen(""));
    LONGS_EQUAL(5, kstd::strlen("hello"));
    LONGS_EQUAL(2, kstd::strlen("ab\0cd"));
}

TEST(KstdString, StrnlenStopsAtMax) {
    const char unterminated[3] = {'a', 'b', 'c'};
    LONGS_EQUAL(3, kstd::strnlen(unterminated, 3));
    LONGS_EQUAL(2, kstd::strnlen("ab", 10));
    LONGS_EQUAL(0, kstd::strnlen("abc", 0));
}

TEST(KstdString, StrcmpOrdersAsUnsignedBytes) {
    LONGS_EQUAL(0, kstd::strcmp("abc", "abc"));
    CHECK(kstd::strcmp("abc", "abd") < 0);
    CHECK(kstd::strcmp("abd", "abc") > 0);
    CHECK(kstd::strcmp("ab", "abc") < 0);
    CHECK(kstd::strcmp("abc", "ab") > 0);
    // 0x80 sorts above 'a' whether or not plain char is signed.
    CHECK(kstd::strcmp("\x80", "a") > 0);
}

TEST(KstdString, StrncmpComparesAtMostN) {
    LONGS_EQUAL(0, kstd::strncmp("abcX", "abcY", 3));
    CHECK(kstd::strncmp("abcX", "abcY", 4) < 0);
    LONGS_EQUAL(0, kstd::strncmp("abc", "abc", 100));
    CHECK(kstd::strncmp("ab", "abc", 3) < 0);
    LONGS_EQUAL(0, kstd::strncmp("x", "y", 0));
}

TEST(KstdString, MemcmpComparesBytesIncludingNul) {
    const unsigned char a[] = {1, 0, 3};
    const unsigned char b[] = {1, 0, 4};
    LONGS_EQUAL(0, kstd::memcmp(a, b, 2));
    CHECK(kstd::memcmp(a, b, 3) < 0);
    CHECK(kstd::memcmp(b, a, 3) > 0);
    const unsigned char hi[] = {0xff};
    const unsigned char lo[] = {0x01};
    CHECK(kstd::memcmp(hi, lo, 1) > 0);
    LONGS_EQUAL(0, kstd::memcmp(a, b, 0));
}
