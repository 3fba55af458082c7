// console::Terminal (terminal.h).
#include "servers/console/terminal.h"

namespace console {

namespace {

// poll_input takes at most this many UART reads of a burst per call, so
// that a flood of input cannot keep the server from answering requests.
constexpr usize kReceiveChunk = 64;
constexpr u32 kReceiveChunks = 16;

}  // namespace

usize Terminal::write(u64 badge, const char* s, usize n, bool flush) {
    // The line is assembled here, starting with what the client left last
    // time; only a partial line left at the end takes a buffer, so a
    // client writing whole lines never pushes another's partial line out.
    char line[kLineMax];
    usize len = 0;
    if (Pending* p = pending_for(badge, false)) {
        for (; len < p->len; ++len) line[len] = p->text[len];
        p->used = false;
    }
    for (usize i = 0; i < n; ++i) {
        const char c = s[i];
        if (c == '\r') continue;  // line ends are ours to make: '\n' becomes CR LF
        if (c == '\n') {
            emit(badge, line, len, true);
            len = 0;
            continue;
        }
        if (len == kLineMax) {
            emit(badge, line, len, false);
            len = 0;
        }
        line[len++] = c;
    }
    if (len == 0) return n;
    if (flush) {
        emit(badge, line, len, false);
        return n;
    }
    Pending* p = pending_for(badge, true);
    for (usize i = 0; i < len; ++i) p->text[i] = line[i];
    p->len = len;
    return n;
}

void Terminal::flush(u64 badge) {
    Pending* p = pending_for(badge, false);
    if (p == nullptr) return;
    if (p->len > 0) emit(badge, p->text, p->len, false);
    p->len = 0;
    p->used = false;
}

Terminal::Pending* Terminal::pending_for(u64 badge, bool create) {
    ++clock_;
    Pending* free = nullptr;
    Pending* oldest = nullptr;
    for (Pending& p : pending_) {
        if (p.used && p.badge == badge) {
            p.last_use = clock_;
            return &p;
        }
        if (!p.used && free == nullptr) free = &p;
        if (p.used && (oldest == nullptr || p.last_use < oldest->last_use)) oldest = &p;
    }
    if (!create) return nullptr;
    if (free == nullptr) {
        // Every entry holds another client's partial line: the one left
        // alone longest goes out as it is.
        free = oldest;
        emit(free->badge, free->text, free->len, false);
    }
    free->used = true;
    free->badge = badge;
    free->last_use = clock_;
    free->len = 0;
    return free;
}

void Terminal::emit(u64 badge, const char* s, usize n, bool complete) {
    const bool continues =
        screen_len_ == 0 || (screen_owned_ && screen_owner_ == badge && !screen_has_input_);
    if (continues) {
        send(s, n);
        if (complete) send("\r\n", 2);
        else if (n > 0) {
            screen_owned_ = true;
            screen_owner_ = badge;
        }
        return;
    }
    // The screen line is someone else's (or has input on it): this output
    // goes on a line of its own.
    if (complete) {
        // Below the interrupted line, which is then drawn again as it was.
        transmit("\r\n", 2);
        transmit(s, n);
        transmit("\r\n", 2);
        transmit(screen_, screen_len_);
        return;
    }
    // A partial line takes over the screen line; the interrupted one is
    // left as it stands above it.
    send("\r\n", 2);
    send(s, n);
    if (n > 0) {
        screen_owned_ = true;
        screen_owner_ = badge;
    }
}

void Terminal::echo(const char* s, usize n) {
    send(s, n);
    for (usize i = 0; i < n; ++i) {
        if (s[i] >= ' ' && s[i] <= '~') screen_has_input_ = true;
    }
}

bool Terminal::poll_input() {
    bool line = false;
    for (u32 chunk = 0; chunk < kReceiveChunks; ++chunk) {
        u8 bytes[kReceiveChunk];
        const usize n = uart_.receive(bytes, sizeof(bytes));
        received_ += n;
        for (usize i = 0; i < n; ++i) line |= discipline_.input(bytes[i], *this);
        if (n < sizeof(bytes)) break;
    }
    return line;
}

void Terminal::transmit(const char* s, usize n) { transmitted_ += uart_.transmit(s, n); }

void Terminal::send(const char* s, usize n) {
    transmit(s, n);
    for (usize i = 0; i < n; ++i) track(s[i]);
}

void Terminal::track(char c) {
    switch (c) {
    case '\n':
        screen_len_ = 0;
        screen_owned_ = false;
        screen_has_input_ = false;
        return;
    case '\r':
    case '\a': return;  // no mark on the line
    case '\b':
        if (screen_len_ > 0) --screen_len_;
        return;
    default:
        if (screen_len_ < kScreenMax) screen_[screen_len_++] = c;
        return;
    }
}

}  // namespace console
