// CRC-32 against the standard check value and zlib-compatible chaining.
#include "lib/crc32.h"

#include <CppUTest/TestHarness.h>

#include <string.h>

TEST_GROUP(Crc32){};

TEST(Crc32, CheckValue) {
    // The catalogue check value of CRC-32/ISO-HDLC for "123456789".
    UNSIGNED_LONGS_EQUAL(0xCBF43926u, kstd::crc32("123456789", 9));
}

TEST(Crc32, EmptyIsZero) { UNSIGNED_LONGS_EQUAL(0u, kstd::crc32("", 0)); }

TEST(Crc32, ChainingEqualsOneShot) {
    const char* text = "The quick brown fox jumps over the lazy dog";
    const usize n = strlen(text);
    UNSIGNED_LONGS_EQUAL(0x414FA339u, kstd::crc32(text, n));
    for (usize split = 0; split <= n; split++) {
        UNSIGNED_LONGS_EQUAL(kstd::crc32(text, n), kstd::crc32(text + split, n - split, kstd::crc32(text, split)));
    }
}
