// Unit tests for ipc::Message and ipc::Reader (lib/ipc/message.h): the tag,
// word and capability limits, string and byte packing, status replies, and
// the protocol helpers of lib/ipc/protocol.h.
#include <CppUTest/TestHarness.h>

#include <cstring>

#include "lib/ipc/message.h"
#include "lib/ipc/protocol.h"

using ipc::Message;
using ipc::Reader;

TEST_GROUP(IpcMessage){};

TEST(IpcMessage, EmptyByDefault) {
    Message m;
    UNSIGNED_LONGS_EQUAL(0, m.label());
    UNSIGNED_LONGS_EQUAL(0, m.word_count());
    UNSIGNED_LONGS_EQUAL(0, m.cap_count());
    UNSIGNED_LONGLONGS_EQUAL(0, m.badge());
    CHECK_FALSE(m.has_timeout());
    CHECK_FALSE(m.has_receive_slots());
    CHECK_TRUE(m.ok());
    UNSIGNED_LONGLONGS_EQUAL(abi::make_tag(0, 0, 0), m.tag());
}

TEST(IpcMessage, RequestWordsAndTag) {
    Message m = Message::request(0x20003);
    m.push(11).push(22).push(33);
    UNSIGNED_LONGS_EQUAL(0x20003, m.label());
    UNSIGNED_LONGS_EQUAL(3, m.word_count());
    UNSIGNED_LONGLONGS_EQUAL(22, m.word(1));
    UNSIGNED_LONGLONGS_EQUAL(0, m.word(3));  // past the end
    UNSIGNED_LONGLONGS_EQUAL(0, m.word(1000));
    const u64 tag = m.tag();
    UNSIGNED_LONGS_EQUAL(0x20003, abi::tag_label(tag));
    UNSIGNED_LONGS_EQUAL(3, abi::tag_words(tag));
    UNSIGNED_LONGS_EQUAL(0, abi::tag_caps(tag));
    UNSIGNED_LONGLONGS_EQUAL(0, tag & abi::kTagTimeout);
    UNSIGNED_LONGLONGS_EQUAL(0, tag & ~abi::kTagValidBits);
}

TEST(IpcMessage, FullMessageRemembersOverflow) {
    Message m(1);
    for (u32 i = 0; i < abi::kMaxWords; ++i) m.push(i);
    CHECK_TRUE(m.ok());
    UNSIGNED_LONGS_EQUAL(abi::kMaxWords, m.word_count());
    m.push(999);
    CHECK_FALSE(m.ok());
    UNSIGNED_LONGS_EQUAL(abi::kMaxWords, m.word_count());
    UNSIGNED_LONGLONGS_EQUAL(abi::kMaxWords - 1, m.word(abi::kMaxWords - 1));
    UNSIGNED_LONGS_EQUAL(abi::kMaxWords, abi::tag_words(m.tag()));
    m.reset(2);
    CHECK_TRUE(m.ok());
    UNSIGNED_LONGS_EQUAL(0, m.word_count());
}

TEST(IpcMessage, SetWordExtendsWithZeros) {
    Message m(1);
    m.push(5);
    m.set_word(3, 9);
    UNSIGNED_LONGS_EQUAL(4, m.word_count());
    UNSIGNED_LONGLONGS_EQUAL(5, m.word(0));
    UNSIGNED_LONGLONGS_EQUAL(0, m.word(1));
    UNSIGNED_LONGLONGS_EQUAL(0, m.word(2));
    UNSIGNED_LONGLONGS_EQUAL(9, m.word(3));
    m.set_word(1, 7);
    UNSIGNED_LONGS_EQUAL(4, m.word_count());
    UNSIGNED_LONGLONGS_EQUAL(7, m.word(1));
    m.set_word(abi::kMaxWords, 1);
    CHECK_FALSE(m.ok());
}

TEST(IpcMessage, StringsRoundTrip) {
    const char* cases[] = {"", "a", "1234567", "12345678", "123456789", "console", "a name of thirty-one characters"};
    for (const char* s : cases) {
        Message m(1);
        m.push(42).push_string(s).push(43);
        CHECK_TRUE(m.ok());
        UNSIGNED_LONGS_EQUAL(2 + ipc::string_words(strlen(s)), m.word_count());
        Reader in(m);
        UNSIGNED_LONGLONGS_EQUAL(42, in.word());
        char out[64];
        CHECK_TRUE(in.string(out, sizeof(out)));
        STRCMP_EQUAL(s, out);
        UNSIGNED_LONGLONGS_EQUAL(43, in.word());
        CHECK_TRUE(in.at_end());
        CHECK_TRUE(in.ok());
    }
}

TEST(IpcMessage, StringWordsAndLittleEndianBytes) {
    UNSIGNED_LONGS_EQUAL(1, ipc::string_words(0));
    UNSIGNED_LONGS_EQUAL(2, ipc::string_words(1));
    UNSIGNED_LONGS_EQUAL(2, ipc::string_words(8));
    UNSIGNED_LONGS_EQUAL(3, ipc::string_words(9));
    Message m(1);
    m.push_string("abcdefghi");
    UNSIGNED_LONGLONGS_EQUAL(9, m.word(0));
    UNSIGNED_LONGLONGS_EQUAL(0x6867666564636261ull, m.word(1));
    UNSIGNED_LONGLONGS_EQUAL(0x69, m.word(2));
}

TEST(IpcMessage, LongestStringFitsOneMore) {
    char big[(abi::kMaxWords - 1) * 8 + 2];
    memset(big, 'x', sizeof(big));
    big[(abi::kMaxWords - 1) * 8] = '\0';  // 504 bytes: the whole message
    Message m(1);
    m.push_string(big);
    CHECK_TRUE(m.ok());
    UNSIGNED_LONGS_EQUAL(abi::kMaxWords, m.word_count());
    char out[sizeof(big)];
    Reader in(m);
    CHECK_TRUE(in.string(out, sizeof(out)));
    STRCMP_EQUAL(big, out);

    big[(abi::kMaxWords - 1) * 8] = 'x';
    big[sizeof(big) - 1] = '\0';  // 505 bytes: too long
    Message n(1);
    n.push_string(big);
    CHECK_FALSE(n.ok());
    UNSIGNED_LONGS_EQUAL(0, n.word_count());
}

TEST(IpcMessage, StringThatDoesNotFitLeavesMessageAsItWas) {
    Message m(1);
    for (u32 i = 0; i < abi::kMaxWords - 2; ++i) m.push(i);
    m.push_string("123456789");  // needs 3 words, 2 left
    CHECK_FALSE(m.ok());
    UNSIGNED_LONGS_EQUAL(abi::kMaxWords - 2, m.word_count());
}

TEST(IpcMessage, ReaderTruncatesAndSkipsTheWholeString) {
    Message m(1);
    m.push_string("a longer name").push(7);
    Reader in(m);
    char out[5];
    CHECK_FALSE(in.string(out, sizeof(out)));
    STRCMP_EQUAL("a lo", out);
    CHECK_FALSE(in.ok());
    UNSIGNED_LONGS_EQUAL(ipc::string_words(13), in.position());
    UNSIGNED_LONGLONGS_EQUAL(7, in.word());
}

TEST(IpcMessage, ReaderRefusesMalformedStrings) {
    char out[32];
    Message count_too_big(1);
    count_too_big.push(17).push(0).push(0);  // 17 bytes announced, 16 present
    Reader a(count_too_big);
    CHECK_FALSE(a.string(out, sizeof(out)));
    STRCMP_EQUAL("", out);
    CHECK_FALSE(a.ok());

    Message with_nul(1);
    with_nul.push_bytes("ab\0cd", 5);
    Reader b(with_nul);
    CHECK_FALSE(b.string(out, sizeof(out)));

    Message empty(1);
    Reader c(empty);
    CHECK_FALSE(c.string(out, sizeof(out)));
    CHECK_FALSE(c.string(out, 0));
    UNSIGNED_LONGLONGS_EQUAL(0, c.word());
    CHECK_FALSE(c.ok());
}

TEST(IpcMessage, BytesRoundTrip) {
    u8 data[37];
    for (usize i = 0; i < sizeof(data); ++i) data[i] = static_cast<u8>(i * 37 + 1);
    data[5] = 0;
    Message m(1);
    m.push_bytes(data, sizeof(data)).push(5);
    Reader in(m);
    u8 out[64];
    UNSIGNED_LONGS_EQUAL(sizeof(data), in.bytes(out, sizeof(out)));
    MEMCMP_EQUAL(data, out, sizeof(data));
    UNSIGNED_LONGLONGS_EQUAL(5, in.word());
    CHECK_TRUE(in.ok());

    Reader small(m);
    UNSIGNED_LONGS_EQUAL(0, small.bytes(out, 10));
    CHECK_FALSE(small.ok());
    UNSIGNED_LONGS_EQUAL(0, small.position());
}

TEST(IpcMessage, CapsAndReceiveSlots) {
    Message m(1);
    for (u32 i = 0; i < abi::kMaxCaps; ++i) m.push_cap(10 + i);
    CHECK_TRUE(m.ok());
    m.push_cap(99);
    CHECK_FALSE(m.ok());
    UNSIGNED_LONGS_EQUAL(abi::kMaxCaps, m.cap_count());
    UNSIGNED_LONGLONGS_EQUAL(13, m.cap(3));
    UNSIGNED_LONGLONGS_EQUAL(0, m.cap(4));
    UNSIGNED_LONGS_EQUAL(abi::kMaxCaps, abi::tag_caps(m.tag()));

    CHECK_FALSE(m.has_receive_slots());
    m.receive_cap_into(2, 40).receive_cap_into(9, 41);  // 9: ignored
    CHECK_TRUE(m.has_receive_slots());
    UNSIGNED_LONGLONGS_EQUAL(40, m.receive_slot(2));
    UNSIGNED_LONGLONGS_EQUAL(0, m.receive_slot(9));
    m.reset(3);
    CHECK_TRUE(m.has_receive_slots());  // kept across reset
    m.clear_receive_slots();
    CHECK_FALSE(m.has_receive_slots());
}

TEST(IpcMessage, StatusReplies) {
    Message m = Message::request(ipc::proto::kHelloAdd);
    m.push(1).push_cap(5);
    m.reply();
    UNSIGNED_LONGS_EQUAL(ipc::proto::kStatusOk, m.label());
    UNSIGNED_LONGS_EQUAL(0, m.word_count());
    UNSIGNED_LONGS_EQUAL(0, m.cap_count());
    LONGS_EQUAL(0, m.status());
    m.reply_error(abi::kExists).push(3);
    UNSIGNED_LONGS_EQUAL(abi::kExists, m.label());
    LONGS_EQUAL(-abi::kExists, m.status());
    UNSIGNED_LONGS_EQUAL(1, m.word_count());
}

TEST(IpcMessage, TimeoutSetsTheTagBit) {
    Message m(1);
    m.set_timeout(0);
    CHECK_TRUE(m.has_timeout());
    UNSIGNED_LONGLONGS_EQUAL(abi::kTagTimeout, m.tag() & abi::kTagTimeout);
    m.set_timeout(ipc::kNoTimeout);
    CHECK_FALSE(m.has_timeout());
    UNSIGNED_LONGLONGS_EQUAL(0, m.tag() & abi::kTagTimeout);
}

TEST(IpcMessage, ReceivedTagIsClamped) {
    Message m(1);
    m.set_timeout(5);
    m.set_received(abi::make_tag(77, 0x7F, 7) | abi::kTagTimeout, 123);
    UNSIGNED_LONGS_EQUAL(77, m.label());
    UNSIGNED_LONGS_EQUAL(abi::kMaxWords, m.word_count());
    UNSIGNED_LONGS_EQUAL(abi::kMaxCaps, m.cap_count());
    UNSIGNED_LONGLONGS_EQUAL(123, m.badge());
    UNSIGNED_LONGLONGS_EQUAL(5, m.timeout());  // a receive keeps the caller's timeout
    m.set_received(abi::make_tag(abi::kLabelNotification, 0), 0x30);
    CHECK_TRUE(m.is_notification());
    UNSIGNED_LONGLONGS_EQUAL(0x30, m.badge());
}

TEST(IpcMessage, ProtocolLabels) {
    UNSIGNED_LONGS_EQUAL(ipc::proto::kProtocolNames, ipc::proto::protocol_of(ipc::proto::kNamesLookup));
    UNSIGNED_LONGS_EQUAL(ipc::proto::kProtocolHello, ipc::proto::protocol_of(ipc::proto::kHelloEcho));
    CHECK(ipc::proto::kNamesRegister != ipc::proto::kHelloGreet);
    CHECK(ipc::proto::protocol_of(abi::kLabelNotification) != ipc::proto::kProtocolNames);
    CHECK(ipc::proto::protocol_of(abi::kLabelNotification) != ipc::proto::kProtocolHello);
}

TEST(IpcMessage, ChecksumSeesEveryWordAndTheOrder) {
    u64 w[6] = {1, 2, 3, 4, 5, 6};
    const u64 base = ipc::proto::checksum(w, 6);
    CHECK(base != ipc::proto::checksum(w, 5));
    for (int i = 0; i < 6; ++i) {
        for (int bit = 0; bit < 64; bit += 7) {
            w[i] ^= u64{1} << bit;
            CHECK(base != ipc::proto::checksum(w, 6));
            w[i] ^= u64{1} << bit;
        }
    }
    u64 swapped[6] = {2, 1, 3, 4, 5, 6};
    CHECK(base != ipc::proto::checksum(swapped, 6));
    UNSIGNED_LONGLONGS_EQUAL(base, ipc::proto::checksum(w, 6));
}
