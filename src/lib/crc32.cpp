// Bitwise CRC-32: no table, so no 1 KiB of .rodata and nothing to initialize;
// fast enough for boot-time checks.
#include "lib/crc32.h"

namespace kstd {

u32 crc32(const void* data, usize n, u32 crc) {
    constexpr u32 kPolynomial = 0xEDB88320;  // 0x04C11DB7 bit-reversed
    const u8* p = static_cast<const u8*>(data);
    crc = ~crc;
    for (usize i = 0; i < n; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (kPolynomial & (0u - (crc & 1)));
    }
    return ~crc;
}

}  // namespace kstd
