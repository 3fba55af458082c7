// Freestanding C-string and byte-compare helpers for code that cannot use libc.
#pragma once

#include "lib/kstd/types.h"

// These live in namespace kstd rather than at global scope: host tests link libc,
// and the kernel provides its own global memcpy/memset, so src/lib must not define
// (and thereby clash with) any of the global libc symbols.
namespace kstd {

usize strlen(const char* s);
// Like strlen, but never looks at more than max bytes (for strings in untrusted
// buffers that may lack a terminator).
usize strnlen(const char* s, usize max);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, usize n);
int memcmp(const void* a, const void* b, usize n);

}  // namespace kstd
