// The protocol between ipctest32 (main32.cpp, a 32-bit task) and `ipctest
// compat-server` (main.cpp), over init's bus endpoint: what each side sends,
// how it checks what it got, and the checksums both print so that the boot
// test (test/boot/ipc.py, qemu-ipc-compat32*) can compare the two ends.
// Built into both programs, so nothing here depends on the word size.
//
// A 32-bit task passes every word, and receives the tag and the badge,
// through its IPC buffer; a 64-bit one has words 0..3 in registers. Each
// word of every message is a function of the message's sequence number and
// the word's index, so either end knows exactly what it should have got.
#pragma once

#include "lib/abi/ipc.h"

namespace ipctest {

// Labels. Answers to kLabelSeq carry the label seq + kLabelAnswer, so the
// label travels checked too.
constexpr u32 kLabelSeq = 0x51;    // client -> server: a numbered message
constexpr u32 kLabelGrant = 0x52;  // client -> server: an endpoint and a notification
constexpr u32 kLabelServe = 0x53;  // server -> client's endpoint: a numbered message
constexpr u32 kLabelDone = 0x54;   // server -> client's endpoint: no more
constexpr u32 kLabelStop = 0x55;   // client -> server: the end
constexpr u32 kLabelAnswer = 0x1000;

// The badge the client mints on the endpoint it gives away, the bits each
// side signals on the other's notification.
constexpr u64 kGrantBadge = 0x32;
constexpr u64 kClientBits = 0x320;  // client -> the server's notification
constexpr u64 kServerBits = 0x23;   // server -> the client's notification

// Message sizes, in turn: both sides of the buffer/register split of a
// 64-bit task (4 and 5), the smallest, the largest and some between.
constexpr u32 kSizes[] = {8, abi::kMaxWords, 1, 5, 4, abi::kMaxWords - 1, 32, 2};
constexpr u32 kSizeCount = sizeof(kSizes) / sizeof(kSizes[0]);

inline u32 words_for(u64 seq) { return kSizes[u32(seq) % kSizeCount]; }

// Word i of message seq: word 0 is seq itself, the others a mix of both.
inline u64 word(u64 seq, u32 i) {
    if (i == 0) return seq;
    u64 z = (seq << 7 | i) + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Word i of the answer to a message whose word i was w.
inline u64 answer(u64 w, u32 i) { return ~w ^ (u64(i) * 0x9e3779b97f4a7c15ull); }

// FNV-1a over 64-bit words: each end folds in every word it sent or got,
// so a word lost or changed on the way makes the two ends' sums differ.
constexpr u64 kChecksumSeed = 0xcbf29ce484222325ull;
inline u64 fold(u64 h, u64 w) { return (h ^ w) * 0x100000001b3ull; }

}  // namespace ipctest
