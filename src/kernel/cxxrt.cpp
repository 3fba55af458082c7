// The little C and C++ runtime support a freestanding g++ build expects:
// memcpy/memset/memmove/memcmp (emitted implicitly by the compiler), the
// pure-virtual trap, and running global constructors from .init_array.
#include "kernel/panic.h"
#include "lib/kstd/types.h"

extern "C" {

void* memcpy(void* dst, const void* src, usize n) {
    auto* d = static_cast<u8*>(dst);
    auto* s = static_cast<const u8*>(src);
    while (n--) *d++ = *s++;
    return dst;
}

void* memmove(void* dst, const void* src, usize n) {
    auto* d = static_cast<u8*>(dst);
    auto* s = static_cast<const u8*>(src);
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}

void* memset(void* dst, int c, usize n) {
    auto* d = static_cast<u8*>(dst);
    while (n--) *d++ = u8(c);
    return dst;
}

int memcmp(const void* a, const void* b, usize n) {
    auto* x = static_cast<const u8*>(a);
    auto* y = static_cast<const u8*>(b);
    for (usize i = 0; i < n; i++) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

void __cxa_pure_virtual() { panic("pure virtual function called"); }

using Ctor = void (*)();
extern Ctor __init_array_start[];
extern Ctor __init_array_end[];

}  // extern "C"

void run_global_constructors() {
    for (Ctor* c = __init_array_start; c != __init_array_end; c++) (*c)();
}
