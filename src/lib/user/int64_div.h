// 64-bit division from 32-bit steps, behind the libgcc helpers (__udivdi3,
// __umoddi3, __divdi3, __moddi3, __udivmoddi4, __divmoddi4) that 32-bit
// programs link from int64_div.cpp. Also built for the host, where the unit
// tests compare it with the CPU's own 64-bit division.
#pragma once

#include "lib/kstd/types.h"

namespace lstar {

// n / d, and n % d in *rem unless rem is nullptr. d == 0 raises #DE.
u64 udivmod64(u64 n, u64 d, u64* rem);
// The same for signed values, truncating towards zero as C does.
i64 divmod64(i64 n, i64 d, i64* rem);

}  // namespace lstar
