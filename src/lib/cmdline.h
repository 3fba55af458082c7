// Kernel command line queries: space-separated words, each `flag` or `key=value`.
#pragma once

#include "lib/kstd/types.h"

// Words are separated by spaces or tabs; there is no quoting. A key given more
// than once takes its last value, as on Linux, so a boot loader can append
// overrides. A null line behaves like an empty one.
namespace cmdline {

// True if the bare word `name` appears; `name=...` is a key, not the flag.
bool has_flag(const char* line, const char* name);

// Copies the value of `key=value` into out (NUL-terminated). False if the key is
// absent or the value plus its terminator does not fit in out_size bytes.
bool get(const char* line, const char* key, char* out, usize out_size);

// Parses the value of `key` as decimal or 0x-prefixed hex. False if absent,
// empty, not a number in full, or larger than 64 bits.
bool get_u64(const char* line, const char* key, u64& out);

}  // namespace cmdline
