// CRC-32 (IEEE 802.3, reflected, as zlib's crc32): checksums of boot modules
// and messages that host-side tests recompute independently.
#pragma once

#include "lib/kstd/types.h"

namespace kstd {

// Continues a running CRC: crc32(b, crc32(a)) == crc32(a ++ b); start with 0.
u32 crc32(const void* data, usize n, u32 crc = 0);

}  // namespace kstd
