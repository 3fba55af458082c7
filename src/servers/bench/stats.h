// The summary of a benchmark's runs, shared by bench and bench32: the
// smallest, the median and the largest per-operation figure.
#pragma once

#include "lib/kstd/types.h"

namespace bench {

constexpr u32 kMaxRuns = 16;

struct Figures {
    u64 min, median, max;
};

// Sorts v[0..n) in place (n <= kMaxRuns, n >= 1); the median of an even
// count is the lower middle value.
inline Figures summarise(u64* v, u32 n) {
    for (u32 i = 1; i < n; i++) {
        for (u32 k = i; k > 0 && v[k - 1] > v[k]; k--) {
            u64 t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    }
    return Figures{v[0], v[(n - 1) / 2], v[n - 1]};
}

}  // namespace bench
