// printf-style formatting into an arbitrary sink (console, log ring, buffer).
#pragma once

#include <stdarg.h>

#include "lib/kstd/types.h"

namespace fmt {

// Receives each piece of output as it is produced; pieces are not NUL-terminated.
// Formatting never allocates, so a sink can be a UART, a ring buffer or a string.
using Sink = void (*)(void* ctx, const char* s, usize n);

// Conversions: %d %i %u %x %X %o %p %s %c %%; flags - 0 + space #; width and
// precision as digits or `*`; length modifiers hh h l ll z t j. No floating point
// (the kernel has no FPU state). Unknown conversions are copied to the output
// verbatim. %s of nullptr prints "(null)"; %p prints "0x" and 16 hex digits.
// Width and precision are clamped to kMaxField so a corrupt format string cannot
// stall the kernel printing gigabytes of padding.
// Returns the number of characters produced. A null sink only counts.
constexpr usize kMaxField = 4096;

usize vformat(Sink sink, void* ctx, const char* f, va_list ap) __attribute__((format(printf, 3, 0)));
usize format(Sink sink, void* ctx, const char* f, ...) __attribute__((format(printf, 3, 4)));

// C semantics: returns the length the full output would have; writes at most
// size-1 characters and always NUL-terminates when size > 0. buf may be null
// when size == 0 (to measure).
usize vsnprintf(char* buf, usize size, const char* f, va_list ap) __attribute__((format(printf, 3, 0)));
usize snprintf(char* buf, usize size, const char* f, ...) __attribute__((format(printf, 3, 4)));

}  // namespace fmt
