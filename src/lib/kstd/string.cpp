// Freestanding C-string and byte-compare helpers (see string.h).
#include "lib/kstd/string.h"

namespace kstd {

usize strlen(const char* s) {
    usize n = 0;
    while (s[n] != '\0') ++n;
    return n;
}

usize strnlen(const char* s, usize max) {
    usize n = 0;
    while (n < max && s[n] != '\0') ++n;
    return n;
}

// Comparisons are on unsigned char, as in C: the sign of the result must not
// depend on whether plain char is signed.
int strcmp(const char* a, const char* b) {
    const auto* pa = reinterpret_cast<const unsigned char*>(a);
    const auto* pb = reinterpret_cast<const unsigned char*>(b);
    while (*pa != 0 && *pa == *pb) {
        ++pa;
        ++pb;
    }
    return static_cast<int>(*pa) - static_cast<int>(*pb);
}

int strncmp(const char* a, const char* b, usize n) {
    const auto* pa = reinterpret_cast<const unsigned char*>(a);
    const auto* pb = reinterpret_cast<const unsigned char*>(b);
    for (usize i = 0; i < n; ++i) {
        if (pa[i] != pb[i] || pa[i] == 0) return static_cast<int>(pa[i]) - static_cast<int>(pb[i]);
    }
    return 0;
}

int memcmp(const void* a, const void* b, usize n) {
    const auto* pa = static_cast<const unsigned char*>(a);
    const auto* pb = static_cast<const unsigned char*>(b);
    for (usize i = 0; i < n; ++i) {
        if (pa[i] != pb[i]) return static_cast<int>(pa[i]) - static_cast<int>(pb[i]);
    }
    return 0;
}

}  // namespace kstd
