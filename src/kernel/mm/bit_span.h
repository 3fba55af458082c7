// A non-owning view of a bit array stored in u64 words (frame bitmaps, slab slot maps).
#pragma once

#include "lib/kstd/types.h"

namespace mm {

class BitSpan {
public:
    static constexpr usize kWordBits = 64;

    constexpr BitSpan() = default;
    constexpr BitSpan(u64* words, usize bits) : words_(words), bits_(bits) {}

    static constexpr usize words_for(usize bits) { return (bits + kWordBits - 1) / kWordBits; }

    usize size() const { return bits_; }
    u64* words() const { return words_; }

    bool test(usize i) const { return (words_[i / kWordBits] >> (i % kWordBits)) & 1; }
    void set(usize i) { words_[i / kWordBits] |= bit(i); }
    void clear(usize i) { words_[i / kWordBits] &= ~bit(i); }

    // Word-at-a-time so that marking gigabytes of frames at boot stays cheap.
    void set_range(usize from, usize to) { apply_range(from, to, true); }
    void clear_range(usize from, usize to) { apply_range(from, to, false); }

    void clear_all() {
        for (usize w = 0; w < words_for(bits_); ++w) words_[w] = 0;
    }

    // Index of the first set bit in [from, to), or `to` when there is none.
    usize find_set(usize from, usize to) const { return find(from, to, 0); }

    // Index of the first clear bit in [from, to), or `to` when there is none.
    usize find_clear(usize from, usize to) const { return find(from, to, ~u64{0}); }

    usize count_set(usize from, usize to) const {
        usize n = 0;
        while (from < to) {
            usize shift = from % kWordBits;
            usize span = kWordBits - shift;
            if (span > to - from) span = to - from;
            u64 mask = (span == kWordBits ? ~u64{0} : ((u64{1} << span) - 1)) << shift;
            n += popcount(words_[from / kWordBits] & mask);
            from += span;
        }
        return n;
    }

private:
    // First bit in [from, to) that is set in (word ^ flip): flip = 0 finds set
    // bits, all-ones finds clear ones.
    usize find(usize from, usize to, u64 flip) const {
        while (from < to) {
            u64 w = (words_[from / kWordBits] ^ flip) >> (from % kWordBits);
            if (w != 0) {
                usize i = from + static_cast<usize>(__builtin_ctzll(w));
                return i < to ? i : to;
            }
            from = (from / kWordBits + 1) * kWordBits;
        }
        return to;
    }

    // SWAR popcount: __builtin_popcountll would call libgcc's __popcountdi2
    // without -mpopcnt, and the kernel links no libgcc.
    static constexpr usize popcount(u64 w) {
        w = w - ((w >> 1) & 0x5555555555555555ull);
        w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
        w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0full;
        return static_cast<usize>((w * 0x0101010101010101ull) >> 56);
    }

    static constexpr u64 bit(usize i) { return u64{1} << (i % kWordBits); }

    void apply_range(usize from, usize to, bool value) {
        while (from < to) {
            usize shift = from % kWordBits;
            usize span = kWordBits - shift;
            if (span > to - from) span = to - from;
            u64 mask = (span == kWordBits ? ~u64{0} : ((u64{1} << span) - 1)) << shift;
            if (value)
                words_[from / kWordBits] |= mask;
            else
                words_[from / kWordBits] &= ~mask;
            from += span;
        }
    }

    u64* words_ = nullptr;
    usize bits_ = 0;
};

}  // namespace mm
