// Reads of little-endian fields at any alignment (firmware tables, boot
// information): through memcpy, so the compiler assumes neither alignment nor
// a type for the bytes.
#pragma once

#include "lib/kstd/types.h"

namespace kstd {

template <typename T> inline T load_unaligned(const u8* p) {
    T v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}

inline u16 read_u16(const u8* p) { return load_unaligned<u16>(p); }
inline u32 read_u32(const u8* p) { return load_unaligned<u32>(p); }
inline u64 read_u64(const u8* p) { return load_unaligned<u64>(p); }

}  // namespace kstd
