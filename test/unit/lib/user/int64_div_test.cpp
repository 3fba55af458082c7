// Unit tests for the 64-bit division 32-bit programs link (src/lib/user/int64_div.cpp),
// checked against the host CPU's own 64-bit DIV and IDIV.
#include "lib/user/int64_div.h"

#include <CppUTest/TestHarness.h>

namespace {

// Values on and next to the boundaries the two algorithms switch at.
constexpr u64 kEdges[] = {0,
                          1,
                          2,
                          3,
                          7,
                          10,
                          16,
                          0x7fffffff,
                          0x80000000,
                          0xfffffffe,
                          0xffffffff,
                          0x100000000,
                          0x100000001,
                          0x1ffffffff,
                          0x123456789abcdef0,
                          0x7fffffffffffffff,
                          0x8000000000000000,
                          0x8000000000000001,
                          0xfffffffeffffffff,
                          0xffffffff00000000,
                          0xfffffffffffffffe,
                          0xffffffffffffffff};

struct Lcg {
    u64 state;
    u64 next() {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return state;
    }
};

// A random value of a random bit length, so that short divisors and
// quotients are as common as long ones.
u64 random_value(Lcg& rng) {
    u64 v = rng.next();
    u32 bits = static_cast<u32>(rng.next() >> 58);  // 0..63
    return bits == 0 ? v : v >> bits;
}

void check_unsigned(u64 n, u64 d) {
    u64 rem = ~u64{0};
    u64 q = lstar::udivmod64(n, d, &rem);
    UNSIGNED_LONGLONGS_EQUAL(n / d, q);
    UNSIGNED_LONGLONGS_EQUAL(n % d, rem);
    UNSIGNED_LONGLONGS_EQUAL(n / d, lstar::udivmod64(n, d, nullptr));
}

void check_signed(i64 n, i64 d) {
    i64 rem = 0x5a5a;
    i64 q = lstar::divmod64(n, d, &rem);
    LONGLONGS_EQUAL(n / d, q);
    LONGLONGS_EQUAL(n % d, rem);
}

constexpr i64 kMin = static_cast<i64>(0x8000000000000000);

}  // namespace

TEST_GROUP(Int64Div){};

TEST(Int64Div, UnsignedEdges) {
    for (u64 n : kEdges) {
        for (u64 d : kEdges) {
            if (d != 0) check_unsigned(n, d);
        }
    }
}

TEST(Int64Div, UnsignedRandom) {
    Lcg rng{0x64697633};
    for (int i = 0; i < 200000; ++i) {
        u64 n = random_value(rng), d = random_value(rng);
        if (d != 0) check_unsigned(n, d);
    }
}

TEST(Int64Div, SignedEdgesTruncateTowardsZero) {
    for (u64 a : kEdges) {
        for (u64 b : kEdges) {
            // Both signs of each edge (negated as unsigned: -INT64_MIN overflows).
            for (i64 n : {static_cast<i64>(a), static_cast<i64>(0 - a)}) {
                i64 d = static_cast<i64>(b);
                if (d == 0 || (n == kMin && d == -1)) continue;  // the host's IDIV would trap
                check_signed(n, d);
            }
        }
    }
    i64 rem;
    LONGLONGS_EQUAL(-3, lstar::divmod64(-7, 2, &rem));
    LONGLONGS_EQUAL(-1, rem);
    LONGLONGS_EQUAL(-3, lstar::divmod64(7, -2, &rem));
    LONGLONGS_EQUAL(1, rem);
    LONGLONGS_EQUAL(3, lstar::divmod64(-7, -2, &rem));
    LONGLONGS_EQUAL(-1, rem);
}

TEST(Int64Div, MostNegativeDividend) {
    // INT64_MIN / -1 does not fit: like libgcc, the result wraps to INT64_MIN.
    i64 rem = 1;
    LONGLONGS_EQUAL(kMin, lstar::divmod64(kMin, -1, &rem));
    LONGLONGS_EQUAL(0, rem);
    LONGLONGS_EQUAL(kMin / 3, lstar::divmod64(kMin, 3, &rem));
    LONGLONGS_EQUAL(kMin % 3, rem);
    LONGLONGS_EQUAL(1, lstar::divmod64(kMin, kMin, &rem));
    LONGLONGS_EQUAL(0, rem);
}

TEST(Int64Div, SignedRandom) {
    Lcg rng{0x69646976};
    for (int i = 0; i < 200000; ++i) {
        i64 n = static_cast<i64>(random_value(rng)), d = static_cast<i64>(random_value(rng));
        if (rng.next() & 1) n = static_cast<i64>(0 - static_cast<u64>(n));
        if (rng.next() & 1) d = static_cast<i64>(0 - static_cast<u64>(d));
        if (d == 0 || (n == kMin && d == -1)) continue;
        check_signed(n, d);
    }
}
