// The checks of the stress suite that need no kernel: message checksums and
// the per-client sequence tracker of the IPC storm, the generation records
// of the memory churn, the badge windows of the capability churn and the
// expected results of the probe call. Freestanding; the host tests
// (test/unit/servers/stress) run them against hand-made inputs.
#pragma once

#include "lib/abi/syscall.h"
#include "lib/ipc/protocol.h"
#include "lib/kstd/types.h"

namespace stress {

// --- PRNG: splitmix64, one stream per thread derived from the run's seed --

struct Rng {
    u64 state;
    u64 next() {
        u64 z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    u64 below(u64 n) { return n == 0 ? 0 : next() % n; }
};

// The seed of stream `stream` of a run seeded with `seed`: distinct streams
// of one seed, and one stream of distinct seeds, do not overlap in practice.
inline Rng stream_rng(u64 seed, u64 stream) {
    Rng r{seed ^ (stream * 0xd1b54a32d192ed03ull)};
    r.next();
    return r;
}

// --- IPC storm messages ---------------------------------------------------
//
// A message is n words (3 <= n <= 64): client id, sequence number, payload
// words, and last msg_checksum() of the words before it. A server answers
// with the same words but the last, which it replaces by reply_transform()
// of the checksum it received; in a chain of servers every hop applies it
// once more, so a client at depth d expects reply_transform^d(checksum).

inline u64 msg_checksum(const u64* words, u32 count) { return ipc::proto::checksum(words, count); }

inline u64 reply_transform(u64 checksum) {
    return ((checksum << 7) | (checksum >> 57)) ^ 0xa5a5a5a55a5a5a5aull;
}

inline u64 reply_transform_n(u64 checksum, u32 depth) {
    for (u32 i = 0; i < depth; ++i) checksum = reply_transform(checksum);
    return checksum;
}

// What a server found in one message.
enum class MsgVerdict : u8 { kOk, kCorrupt, kDup, kBadClient };

// A server's view of its clients: the last sequence number each one sent.
// Every client numbers its messages 1, 2, 3, ... and may spread them over
// several servers, so a server sees each client's numbers strictly rising,
// not necessarily consecutive; a number at or below the last one is a
// message delivered twice.
template <u32 kClients>
struct SeqTracker {
    u64 last[kClients] = {};

    MsgVerdict observe(u64 client, u64 seq) {
        if (client >= kClients) return MsgVerdict::kBadClient;
        if (seq <= last[client]) return MsgVerdict::kDup;
        last[client] = seq;
        return MsgVerdict::kOk;
    }
};

// The server's check of a received message (words[0..n)): length, checksum,
// client id and sequence order.
template <u32 kClients>
MsgVerdict check_request(SeqTracker<kClients>& t, const u64* words, u32 n) {
    if (n < 3 || msg_checksum(words, n - 1) != words[n - 1]) return MsgVerdict::kCorrupt;
    return t.observe(words[0], words[1]);
}

// The client's check of an answer: its own words back and the checksum
// transformed `depth` times.
inline bool check_reply(const u64* sent, const u64* got, u32 n, u32 depth) {
    for (u32 i = 0; i + 1 < n; ++i) {
        if (got[i] != sent[i]) return false;
    }
    return got[n - 1] == reply_transform_n(sent[n - 1], depth);
}

// --- Memory churn: generation records ------------------------------------
//
// A region page holds, once written, a header word (generation << 16 | a
// 16-bit tag of the generation) and kRecordWords pattern words; a fresh page
// (just mapped by vm_map with kMapReplace) is all zeros. The writer stores
// the pattern first and the header last (release); readers load the header
// (acquire), the pattern, and the header again.

constexpr u32 kRecordWords = 7;

inline u64 mix64(u64 x) {
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dull;
    return x ^ (x >> 33);
}

inline u64 record_header(u64 gen) { return gen << 16 | (mix64(gen) & 0xffff); }
inline u64 record_word(u64 gen, u32 i) { return mix64(gen * 0x100 + i) | 1; }

enum class PageVerdict : u8 {
    kFresh,  // all-zero header: a page mapped, not yet written
    kValid,  // a whole record at or above the published generation
    kRetry,  // the header changed while the record was read: no verdict
    kStale,  // an older generation than the one published before the read
    kGarbage,  // a header or pattern no writer wrote
};

// Judges one read: `published` the generation loaded (acquire) before the
// read, h1 and h2 the header before and after the pattern words `words`.
inline PageVerdict judge_page(u64 published, u64 h1, const u64* words, u64 h2) {
    if (h1 == 0) return PageVerdict::kFresh;
    const u64 gen = h1 >> 16;
    if (gen == 0 || record_header(gen) != h1) return PageVerdict::kGarbage;
    if (gen < published) return PageVerdict::kStale;
    if (h2 != h1) return PageVerdict::kRetry;
    for (u32 i = 0; i < kRecordWords; ++i) {
        if (words[i] != record_word(gen, i)) return PageVerdict::kGarbage;
    }
    return PageVerdict::kValid;
}

// --- Capability churn: badges --------------------------------------------
//
// The churner mints generation g of client slot s with badge
// (s << 32) | g and publishes state 2g once the mint is done, 2g + 1 while
// it revokes and mints again (generations start at 1; state 0: nothing
// minted yet). A client reads the state before (s1) and after (s2) its
// call: with s1 == s2 and even, the badge must carry exactly s1 / 2;
// otherwise any generation from s1 / 2 to (s2 + 1) / 2.

inline u64 badge_for(u64 slot, u64 gen) { return slot << 32 | (gen & 0xffffffff); }

inline bool badge_ok(u64 slot, u64 s1, u64 s2, u64 badge) {
    if (badge >> 32 != slot) return false;
    const u64 gen = badge & 0xffffffff;
    if (s1 == s2 && s1 % 2 == 0) return gen == s1 / 2;
    return gen >= s1 / 2 && gen <= (s2 + 1) / 2 && gen != 0;
}

// --- Probe call -----------------------------------------------------------

using abi::probe_mix;

inline u64 probe_expected(const u64 (&a)[6], u8 path) {
    return probe_mix(a[0], a[1], a[2], a[3], a[4], a[5]) << 8 | path;
}

// For a call through the entry page, whose path the kernel chose at boot:
// the mix must be right and the path one of `allowed` (a bit per path) and
// the same as every earlier page call's (*page_path, 0xff until the first).
inline bool probe_page_ok(u64 result, const u64 (&a)[6], u32 allowed, u8* page_path) {
    const u8 path = u8(result & 0xff);
    if (result >> 8 != probe_mix(a[0], a[1], a[2], a[3], a[4], a[5])) return false;
    if (path >= 32 || (allowed & (1u << path)) == 0) return false;
    u8 expected = 0xff;
    if (__atomic_compare_exchange_n(page_path, &expected, path, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return true;
    return expected == path;
}

}  // namespace stress
