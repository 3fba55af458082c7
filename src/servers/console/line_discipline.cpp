// console::LineDiscipline (line_discipline.h).
#include "servers/console/line_discipline.h"

namespace console {

namespace {

constexpr u8 kBackspace = 0x08;
constexpr u8 kTab = 0x09;
constexpr u8 kLineFeed = 0x0A;
constexpr u8 kCarriageReturn = 0x0D;
constexpr u8 kKillLine = 0x15;  // Ctrl-U
constexpr u8 kEscape = 0x1B;
constexpr u8 kDelete = 0x7F;

bool printable(u8 c) { return c >= ' ' && c <= '~'; }

}  // namespace

bool LineDiscipline::input(u8 c, Echo& echo) {
    // A CSI sequence is ESC '[' parameters... and a final byte 0x40..0x7E;
    // ESC followed by anything else is a two-byte sequence.
    if (escape_ == Escape::kEsc) {
        escape_ = c == '[' ? Escape::kCsi : Escape::kNone;
        return false;
    }
    if (escape_ == Escape::kCsi) {
        if (c >= 0x40 && c <= 0x7E) escape_ = Escape::kNone;
        return false;
    }

    // LF right after CR is the second half of one line end.
    const bool lf_after_cr = c == kLineFeed && after_cr_;
    after_cr_ = c == kCarriageReturn;
    if (lf_after_cr) return false;

    switch (c) {
    case kCarriageReturn:
    case kLineFeed: return end_line(echo);
    case kBackspace:
    case kDelete: erase_last(echo); return false;
    case kKillLine:
        while (edit_len_ > 0) erase_last(echo);
        return false;
    case kEscape: escape_ = Escape::kEsc; return false;
    case kTab: c = ' '; break;
    default: break;
    }
    if (!printable(c)) return false;
    if (edit_len_ == kLineMax) {
        ++dropped_;
        echo.echo("\a", 1);
        return false;
    }
    edit_[edit_len_++] = static_cast<char>(c);
    const char ch = static_cast<char>(c);
    echo.echo(&ch, 1);
    return false;
}

void LineDiscipline::erase_last(Echo& echo) {
    if (edit_len_ == 0) return;  // nothing typed: nothing to erase, no echo
    --edit_len_;
    echo.echo("\b \b", 3);
}

bool LineDiscipline::end_line(Echo& echo) {
    echo.echo("\r\n", 2);
    const usize n = edit_len_ + 1;  // the line and its '\n'
    edit_len_ = 0;
    ++lines_completed_;
    if (n > kQueueSize - count_) {
        dropped_ += n;
        return true;
    }
    usize tail = (head_ + count_) % kQueueSize;
    for (usize i = 0; i < n; ++i) {
        queue_[tail] = i + 1 < n ? edit_[i] : '\n';
        tail = (tail + 1) % kQueueSize;
    }
    count_ += n;
    ++lines_;
    return true;
}

usize LineDiscipline::peek_line(char* out, usize max) const {
    if (lines_ == 0) return 0;
    usize n = 0;
    while (n < max && n < count_) {
        const char c = queue_[(head_ + n) % kQueueSize];
        out[n++] = c;
        if (c == '\n') break;
    }
    return n;
}

void LineDiscipline::consume(usize n) {
    for (usize i = 0; i < n && count_ > 0; ++i) {
        const char c = queue_[head_];
        head_ = (head_ + 1) % kQueueSize;
        --count_;
        if (c == '\n') {
            --lines_;
            break;
        }
    }
}

}  // namespace console
