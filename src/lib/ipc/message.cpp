// Message packing and the Reader (message.h). Plain code over the words:
// the same source runs in user programs and in host tests.
#include "lib/ipc/message.h"

#include "lib/kstd/string.h"

namespace ipc {

Message& Message::push_string(const char* s) { return push_bytes(s, s == nullptr ? 0 : kstd::strlen(s)); }

Message& Message::push_bytes(const void* data, usize n) {
    if (n > (abi::kMaxWords - 1) * 8 || word_count_ + string_words(n) > abi::kMaxWords) {
        overflow_ = true;
        return *this;
    }
    words_[word_count_++] = n;
    const auto* bytes = static_cast<const u8*>(data);
    for (usize i = 0; i < n; i += 8) {
        u64 w = 0;
        for (usize b = 0; b < 8 && i + b < n; ++b) w |= u64{bytes[i + b]} << (8 * b);
        words_[word_count_++] = w;
    }
    return *this;
}

Message& Message::set_word(u32 i, u64 w) {
    if (i >= abi::kMaxWords) {
        overflow_ = true;
        return *this;
    }
    while (word_count_ < i) words_[word_count_++] = 0;
    words_[i] = w;
    if (word_count_ == i) word_count_ = i + 1;
    return *this;
}

bool Message::has_receive_slots() const {
    for (u64 s : recv_slots_) {
        if (s != abi::kAnySlot) return true;
    }
    return false;
}

void Message::clear_receive_slots() {
    for (u64& s : recv_slots_) s = abi::kAnySlot;
}

void Message::set_received(u64 tag, u64 badge) {
    label_ = abi::tag_label(tag);
    overflow_ = false;
    badge_ = badge;
    set_counts(abi::tag_words(tag), abi::tag_caps(tag));
}

void Message::set_counts(u32 words, u32 caps) {
    word_count_ = words < abi::kMaxWords ? words : abi::kMaxWords;
    cap_count_ = caps < abi::kMaxCaps ? caps : abi::kMaxCaps;
}

u64 Reader::word() {
    if (pos_ >= m_.word_count()) {
        ok_ = false;
        return 0;
    }
    return m_.word(pos_++);
}

usize Reader::bytes(void* out, usize size) {
    if (pos_ >= m_.word_count()) {
        ok_ = false;
        return 0;
    }
    const u64 n = m_.word(pos_);
    // The count must be one the words that follow can hold.
    if (n > u64{m_.word_count() - pos_ - 1} * 8 || n > size) {
        ok_ = false;
        return 0;
    }
    ++pos_;
    auto* dst = static_cast<u8*>(out);
    for (usize i = 0; i < n; ++i) dst[i] = static_cast<u8>(m_.word(pos_ + static_cast<u32>(i / 8)) >> (8 * (i % 8)));
    pos_ += static_cast<u32>((n + 7) / 8);
    return static_cast<usize>(n);
}

bool Reader::string(char* out, usize size) {
    if (size == 0) {
        ok_ = false;
        return false;
    }
    out[0] = '\0';
    if (pos_ >= m_.word_count()) {
        ok_ = false;
        return false;
    }
    const u64 n = m_.word(pos_);
    if (n > u64{m_.word_count() - pos_ - 1} * 8) {
        ok_ = false;
        return false;
    }
    // Copy what fits, then skip the whole string either way.
    const usize take = n < size - 1 ? static_cast<usize>(n) : size - 1;
    bool nul = false;
    for (usize i = 0; i < take; ++i) {
        out[i] = static_cast<char>(m_.word(pos_ + 1 + static_cast<u32>(i / 8)) >> (8 * (i % 8)));
        nul |= out[i] == '\0';
    }
    out[take] = '\0';
    pos_ += string_words(static_cast<usize>(n));
    // A NUL inside would make the C string another, shorter one.
    if (take < n || nul) {
        ok_ = false;
        return false;
    }
    return true;
}

}  // namespace ipc
