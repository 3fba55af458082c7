// Host tests of the stress suite's checks (src/servers/stress/check.h): the
// IPC storm's checksums and sequence tracking, the memory churn's page
// verdicts, the capability churn's badge windows and the probe results.
#include "servers/stress/check.h"

#include "lib/abi/syscall.h"

#include <CppUTest/TestHarness.h>

using namespace stress;

namespace {

// A message of n words from client `id` with number `seq`.
void make_msg(u64* w, u32 n, u64 id, u64 seq) {
    w[0] = id;
    w[1] = seq;
    for (u32 i = 2; i + 1 < n; ++i) w[i] = seq * 1000 + i;
    w[n - 1] = msg_checksum(w, n - 1);
}

}  // namespace

TEST_GROUP(StressIpc){};

TEST(StressIpc, GoodMessagesPassInOrder) {
    SeqTracker<4> t;
    u64 w[8];
    for (u64 seq = 1; seq <= 5; ++seq) {
        make_msg(w, 4, 2, seq);
        CHECK(check_request(t, w, 4) == MsgVerdict::kOk);
    }
    // Numbers may skip (the client spreads them over servers), never repeat.
    make_msg(w, 8, 2, 9);
    CHECK(check_request(t, w, 8) == MsgVerdict::kOk);
    make_msg(w, 8, 2, 9);
    CHECK(check_request(t, w, 8) == MsgVerdict::kDup);
    make_msg(w, 4, 2, 3);
    CHECK(check_request(t, w, 4) == MsgVerdict::kDup);
    // Clients are tracked apart.
    make_msg(w, 4, 3, 1);
    CHECK(check_request(t, w, 4) == MsgVerdict::kOk);
}

TEST(StressIpc, EveryCorruptedWordIsFound) {
    SeqTracker<4> t;
    u64 w[6];
    for (u32 word = 0; word < 6; ++word) {
        for (u32 bit = 0; bit < 64; bit += 7) {
            make_msg(w, 6, 1, 100 + word * 64 + bit);
            w[word] ^= u64{1} << bit;
            CHECK(check_request(t, w, 6) == MsgVerdict::kCorrupt);
        }
    }
    // Swapped words change the checksum too.
    make_msg(w, 6, 1, 7);
    u64 x = w[2];
    w[2] = w[3];
    w[3] = x;
    CHECK(check_request(t, w, 6) == MsgVerdict::kCorrupt);
}

TEST(StressIpc, BadClientAndShortMessages) {
    SeqTracker<4> t;
    u64 w[4];
    make_msg(w, 4, 4, 1);
    CHECK(check_request(t, w, 4) == MsgVerdict::kBadClient);
    make_msg(w, 3, 1, 1);
    CHECK(check_request(t, w, 2) == MsgVerdict::kCorrupt);
}

TEST(StressIpc, RepliesCarryTheTransformPerHop) {
    u64 sent[5], got[5];
    make_msg(sent, 5, 0, 1);
    for (u32 depth = 1; depth <= 3; ++depth) {
        for (u32 i = 0; i < 5; ++i) got[i] = sent[i];
        got[4] = reply_transform_n(sent[4], depth);
        CHECK_TRUE(check_reply(sent, got, 5, depth));
        CHECK_FALSE(check_reply(sent, got, 5, depth + 1));
        got[2] ^= 1;  // a payload word changed on the way
        CHECK_FALSE(check_reply(sent, got, 5, depth));
    }
    CHECK(reply_transform(sent[4]) != sent[4]);
}

TEST_GROUP(StressMem){};

namespace {
void record(u64 gen, u64* words) {
    for (u32 i = 0; i < kRecordWords; ++i) words[i] = record_word(gen, i);
}
}  // namespace

TEST(StressMem, FreshAndCurrentPagesPass) {
    u64 words[kRecordWords] = {};
    CHECK(judge_page(7, 0, words, 0) == PageVerdict::kFresh);
    record(7, words);
    CHECK(judge_page(7, record_header(7), words, record_header(7)) == PageVerdict::kValid);
    record(9, words);
    CHECK(judge_page(7, record_header(9), words, record_header(9)) == PageVerdict::kValid);
}

TEST(StressMem, OlderGenerationIsStale) {
    u64 words[kRecordWords];
    record(6, words);
    CHECK(judge_page(7, record_header(6), words, record_header(6)) == PageVerdict::kStale);
    // Stale even when the page changed during the read.
    CHECK(judge_page(7, record_header(6), words, record_header(8)) == PageVerdict::kStale);
}

TEST(StressMem, GarbageAndTornReads) {
    u64 words[kRecordWords];
    record(7, words);
    // A header no writer made.
    CHECK(judge_page(7, record_header(7) ^ 1, words, record_header(7) ^ 1) == PageVerdict::kGarbage);
    CHECK(judge_page(0, u64{0x1234}, words, u64{0x1234}) == PageVerdict::kGarbage);
    // A pattern word of another generation under an unchanged header.
    words[3] = record_word(6, 3);
    CHECK(judge_page(7, record_header(7), words, record_header(7)) == PageVerdict::kGarbage);
    // The header moved on while reading: no verdict.
    CHECK(judge_page(7, record_header(7), words, record_header(8)) == PageVerdict::kRetry);
    CHECK(judge_page(7, record_header(7), words, 0) == PageVerdict::kRetry);
}

TEST_GROUP(StressCaps){};

TEST(StressCaps, StableGenerationMustMatchExactly) {
    const u64 slot = 201;
    CHECK_TRUE(badge_ok(slot, 10, 10, badge_for(slot, 5)));
    CHECK_FALSE(badge_ok(slot, 10, 10, badge_for(slot, 4)));
    CHECK_FALSE(badge_ok(slot, 10, 10, badge_for(slot, 6)));
    CHECK_FALSE(badge_ok(slot, 10, 10, badge_for(slot + 1, 5)));
}

TEST(StressCaps, ChangingGenerationAllowsTheWindow) {
    const u64 slot = 202;
    // 2g + 1: generation g being replaced by g + 1.
    CHECK_TRUE(badge_ok(slot, 10, 11, badge_for(slot, 5)));
    CHECK_TRUE(badge_ok(slot, 10, 11, badge_for(slot, 6)));
    CHECK_FALSE(badge_ok(slot, 10, 11, badge_for(slot, 7)));
    CHECK_TRUE(badge_ok(slot, 11, 14, badge_for(slot, 7)));
    CHECK_FALSE(badge_ok(slot, 11, 14, badge_for(slot, 4)));
    CHECK_FALSE(badge_ok(slot, 11, 14, badge_for(slot, 8)));
    CHECK_FALSE(badge_ok(slot, 0, 1, 0));
}

TEST_GROUP(StressProbe){};

TEST(StressProbe, ExpectedCarriesMixAndPath) {
    const u64 a[6] = {1, 2, 3, 4, 5, 6};
    const u64 want = probe_expected(a, 2);
    UNSIGNED_LONGLONGS_EQUAL(2, want & 0xff);
    UNSIGNED_LONGLONGS_EQUAL(probe_mix(1, 2, 3, 4, 5, 6), want >> 8);
    const u64 swapped[6] = {2, 1, 3, 4, 5, 6};
    CHECK(probe_expected(swapped, 2) != want);
}

TEST(StressProbe, MixIsTheKernels) {
    Rng r = stream_rng(5, 5);
    for (int i = 0; i < 50; ++i) {
        u64 a[6];
        for (u64& x : a) x = r.next();
        UNSIGNED_LONGLONGS_EQUAL(abi::probe_mix(a[0], a[1], a[2], a[3], a[4], a[5]),
                                 probe_mix(a[0], a[1], a[2], a[3], a[4], a[5]));
    }
}

TEST(StressProbe, PagePathMustBeAllowedAndStable) {
    const u64 a[6] = {9, 8, 7, 6, 5, 4};
    u8 page_path = 0xff;
    const u32 allowed = 1u << 0 | 1u << 1;
    CHECK_FALSE(probe_page_ok(probe_expected(a, 2), a, allowed, &page_path));
    UNSIGNED_LONGS_EQUAL(0xff, page_path);
    CHECK_TRUE(probe_page_ok(probe_expected(a, 1), a, allowed, &page_path));
    UNSIGNED_LONGS_EQUAL(1, page_path);
    CHECK_TRUE(probe_page_ok(probe_expected(a, 1), a, allowed, &page_path));
    CHECK_FALSE(probe_page_ok(probe_expected(a, 0), a, allowed, &page_path));
    CHECK_FALSE(probe_page_ok(probe_expected(a, 1) ^ 0x100, a, allowed, &page_path));
}

TEST_GROUP(StressRng){};

TEST(StressRng, StreamsReplayAndDiffer) {
    Rng a = stream_rng(42, 1), b = stream_rng(42, 1), c = stream_rng(42, 2), d = stream_rng(43, 1);
    for (int i = 0; i < 100; ++i) {
        const u64 x = a.next();
        UNSIGNED_LONGLONGS_EQUAL(x, b.next());
        CHECK(x != c.next() || x != d.next());
    }
    CHECK(a.below(10) < 10);
    UNSIGNED_LONGLONGS_EQUAL(0, a.below(0));
}
