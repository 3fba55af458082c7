// ipc::Message: one IPC message as the library sees it, whatever carries it
// (the kernel's registers and IPC buffer, or the host tests' fake): a label,
// up to abi::kMaxWords words, up to abi::kMaxCaps capabilities, and the badge
// of the capability it came through. A Message is both directions of an
// operation: call(), recv() and reply_recv() take the message to send in it
// and leave the message received in its place, as the kernel does with the
// registers.
//
// Building a request:
//     ipc::Message m = ipc::Message::request(proto::kHelloAdd);
//     m.push(2).push(40);
// Reading a reply:
//     if (i64 e = m.status()) return e;   // label 0: ok, else the error
//     u64 sum = m.word(0);
// Strings travel as a byte count word followed by the bytes, eight per word
// (little-endian); push_string() writes one, Reader::string() reads it.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/abi/syscall.h"
#include "lib/kstd/types.h"

namespace ipc {

// Message::timeout: wait as long as it takes.
constexpr u64 kNoTimeout = ~u64{0};

class Message {
public:
    Message() = default;
    explicit Message(u32 label) : label_(label) {}

    // A request with method `label` and nothing in it yet.
    static Message request(u32 label) { return Message(label); }

    // --- The tag ---------------------------------------------------------
    u32 label() const { return label_; }
    u32 word_count() const { return word_count_; }
    u32 cap_count() const { return cap_count_; }
    // The badge of the capability the message came through (0: none); for a
    // notification (label abi::kLabelNotification), the signalled bits.
    u64 badge() const { return badge_; }
    bool is_notification() const { return label_ == abi::kLabelNotification; }

    // Empties the message for a new one with `label`: no words, no caps.
    // Receive slots and the timeout stay.
    Message& reset(u32 label) {
        label_ = label;
        word_count_ = 0;
        cap_count_ = 0;
        overflow_ = false;
        return *this;
    }

    // --- Status replies (label 0: ok, otherwise a positive abi::Error) ----
    // Turns the message into the reply `status` with no words or caps; push
    // the reply's contents after it.
    Message& reply(u32 status = abi::kOk) { return reset(status); }
    Message& reply_error(abi::Error e) { return reset(static_cast<u32>(e)); }
    // A reply's outcome as the library reports errors: 0, or -abi::Error.
    i64 status() const { return label_ == abi::kOk ? 0 : -static_cast<i64>(label_); }

    // --- Words -----------------------------------------------------------
    // Appends a word. A message that is full stays as it is and remembers
    // the overflow (ok() is false), so a chain of pushes needs one check.
    Message& push(u64 w) {
        if (word_count_ == abi::kMaxWords) overflow_ = true;
        else words_[word_count_++] = w;
        return *this;
    }
    // Appends a string (its byte count, then the bytes): 1 + ceil(n / 8)
    // words. Nothing is appended if it does not fit (ok() turns false).
    Message& push_string(const char* s);
    Message& push_bytes(const void* data, usize n);
    // Word i, or 0 past word_count().
    u64 word(u32 i) const { return i < word_count_ && i < abi::kMaxWords ? words_[i] : 0; }
    // Sets word i, extending the message with zero words up to it.
    Message& set_word(u32 i, u64 w);
    const u64* words() const { return words_; }
    // False once a push did not fit.
    bool ok() const { return !overflow_; }

    // --- Capabilities ----------------------------------------------------
    // Sending: adds the capability in `slot` of the sender's space (the
    // endpoint needs abi::kRightGrant). Receiving: cap(i) is the slot the
    // i-th received capability went to.
    Message& push_cap(u64 slot) {
        if (cap_count_ == abi::kMaxCaps) overflow_ = true;
        else caps_[cap_count_++] = slot;
        return *this;
    }
    u64 cap(u32 i) const { return i < cap_count_ && i < abi::kMaxCaps ? caps_[i] : u64{abi::kAnySlot}; }

    // Where the capabilities of the next message received into this one go:
    // slot for the i-th, 0 (the default) for the lowest free slot.
    Message& receive_cap_into(u32 i, u64 slot) {
        if (i < abi::kMaxCaps) recv_slots_[i] = slot;
        return *this;
    }
    u64 receive_slot(u32 i) const { return i < abi::kMaxCaps ? recv_slots_[i] : 0; }
    bool has_receive_slots() const;
    void clear_receive_slots();

    // --- Timeout ---------------------------------------------------------
    // The next call, send or receive with this message waits at most ns
    // nanoseconds, then fails with -abi::kTimeout; 0 only takes a partner
    // that is already waiting (else -abi::kWouldBlock).
    Message& set_timeout(u64 ns) {
        timeout_ns_ = ns;
        return *this;
    }
    u64 timeout() const { return timeout_ns_; }
    bool has_timeout() const { return timeout_ns_ != kNoTimeout; }

    // --- For transports --------------------------------------------------
    // The abi tag of what this message holds (timeout bit included).
    u64 tag() const {
        return abi::make_tag(label_, word_count_, cap_count_) | (has_timeout() ? abi::kTagTimeout : 0);
    }
    // Takes label and counts from a received tag and the sender's badge;
    // words and caps are filled in by the transport (set_received_word,
    // set_received_cap). Counts above the limits are clamped.
    void set_received(u64 tag, u64 badge);
    void set_received_word(u32 i, u64 w) {
        if (i < abi::kMaxWords) words_[i] = w;
    }
    void set_received_cap(u32 i, u64 slot) {
        if (i < abi::kMaxCaps) caps_[i] = slot;
    }
    // Sets the counts directly (a transport that delivered fewer caps than
    // the tag announced); clamped.
    void set_counts(u32 words, u32 caps);

private:
    u32 label_ = 0;
    u32 word_count_ = 0;
    u32 cap_count_ = 0;
    bool overflow_ = false;
    u64 badge_ = 0;
    u64 timeout_ns_ = kNoTimeout;
    u64 caps_[abi::kMaxCaps] = {};
    u64 recv_slots_[abi::kMaxCaps] = {};
    // Not cleared: only words below word_count_ are ever read.
    u64 words_[abi::kMaxWords];
};

// Reads a message's words in order: numbers, strings, byte runs. Reading
// past the end, or a string that does not fit, turns ok() false; a request
// handler then answers abi::kInvalid.
class Reader {
public:
    explicit Reader(const Message& m, u32 first = 0) : m_(m), pos_(first) {}

    // The next word; 0 (and ok() false) past the end.
    u64 word();
    // The next string (push_string) into out, NUL-terminated. False, with
    // ok() false, if it is malformed, holds a NUL byte or is longer than
    // size - 1 bytes (out then holds what fits).
    bool string(char* out, usize size);
    // The next byte run (push_bytes) into out; returns its length, or 0 and
    // ok() false if malformed or longer than size.
    usize bytes(void* out, usize size);

    bool ok() const { return ok_; }
    bool at_end() const { return pos_ >= m_.word_count(); }
    u32 position() const { return pos_; }

private:
    const Message& m_;
    u32 pos_;
    bool ok_ = true;
};

// Words a string of n bytes takes in a message (push_string).
constexpr u32 string_words(usize n) { return 1 + static_cast<u32>((n + 7) / 8); }

}  // namespace ipc
