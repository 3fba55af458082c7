// panic(): report a fatal kernel error with a backtrace and a failure verdict.
#pragma once

[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

#define KASSERT(cond)                                                              \
    do {                                                                           \
        if (!(cond)) panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
    } while (0)
