// 64-bit division for 32-bit programs: the libgcc helpers g++ calls for u64
// and i64 `/` and `%` in i386 code (there is no 32-bit libgcc to link).
//
// i386 divides at most a 64-bit dividend by a 32-bit divisor (DIV r/m32,
// [SDM 2A DIV]), with a 32-bit quotient. So a divisor that fits in 32 bits
// takes two DIVs, high half first (schoolbook division in base 2^32; the
// first remainder is below the divisor, so the second DIV cannot overflow);
// a wider divisor makes the quotient fit in 32 bits, found one bit at a time.
// Division by zero is the DIV's own #DE, as it is for 64-bit code.
#include "lib/user/int64_div.h"

namespace lstar {
namespace {

// (hi:lo) / d and the remainder; hi < d, so the quotient fits in 32 bits.
inline u32 div_64_by_32(u32 hi, u32 lo, u32 d, u32& rem) {
    u32 q;
    asm("divl %[d]" : "=a"(q), "=d"(rem) : "a"(lo), "d"(hi), [d] "rm"(d) : "cc");
    return q;
}

inline u32 high(u64 v) { return static_cast<u32>(v >> 32); }
inline u32 low(u64 v) { return static_cast<u32>(v); }

// Leading zero bits of a non-zero value, from 32-bit counts (a 64-bit count
// could itself be a libgcc call).
inline int clz64(u64 v) { return high(v) != 0 ? __builtin_clz(high(v)) : 32 + __builtin_clz(low(v)); }

}  // namespace

u64 udivmod64(u64 n, u64 d, u64* rem) {
    if (high(d) == 0) {
        u32 r;
        u32 q_hi = div_64_by_32(0, high(n), low(d), r);  // #DE here if d == 0
        u32 q_lo = div_64_by_32(r, low(n), low(d), r);
        if (rem) *rem = r;
        return u64{q_hi} << 32 | q_lo;
    }
    // d >= 2^32: the quotient is below 2^32. Shift d up to n's top bit and
    // subtract where it fits, halving d each step.
    u64 q = 0;
    if (n >= d) {
        int shift = clz64(d) - clz64(n);
        d <<= shift;
        for (int i = 0; i <= shift; ++i) {
            q <<= 1;
            if (n >= d) {
                n -= d;
                q |= 1;
            }
            d >>= 1;
        }
    }
    if (rem) *rem = n;
    return q;
}

// C semantics: the quotient truncates towards zero and the remainder has the
// dividend's sign. The magnitudes are taken as unsigned so that INT64_MIN
// needs no special case (INT64_MIN / -1 wraps to INT64_MIN).
i64 divmod64(i64 n, i64 d, i64* rem) {
    u64 un = n < 0 ? 0 - static_cast<u64>(n) : static_cast<u64>(n);
    u64 ud = d < 0 ? 0 - static_cast<u64>(d) : static_cast<u64>(d);
    u64 ur;
    u64 uq = udivmod64(un, ud, &ur);
    if (rem) *rem = static_cast<i64>(n < 0 ? 0 - ur : ur);
    return static_cast<i64>((n < 0) != (d < 0) ? 0 - uq : uq);
}

}  // namespace lstar

#if !defined(__x86_64__)
// The libgcc names and signatures (libgcc/libgcc2.c): DImode is 64 bits.
extern "C" {

u64 __udivmoddi4(u64 n, u64 d, u64* rem) { return lstar::udivmod64(n, d, rem); }
u64 __udivdi3(u64 n, u64 d) { return lstar::udivmod64(n, d, nullptr); }

u64 __umoddi3(u64 n, u64 d) {
    u64 r;
    lstar::udivmod64(n, d, &r);
    return r;
}

i64 __divmoddi4(i64 n, i64 d, i64* rem) { return lstar::divmod64(n, d, rem); }
i64 __divdi3(i64 n, i64 d) { return lstar::divmod64(n, d, nullptr); }

i64 __moddi3(i64 n, i64 d) {
    i64 r;
    lstar::divmod64(n, d, &r);
    return r;
}

}  // extern "C"
#endif
