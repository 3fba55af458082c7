// console::LineDiscipline: turns the bytes typed on the terminal into
// lines, as a terminal's canonical mode does: the line being typed is
// echoed and can be edited; Enter queues it, whole, for readers.
//
//   printable (' '..'~', tab as ' ')  appended and echoed; past kLineMax
//                                     bytes refused with a bell (\a)
//   BS (0x08) or DEL (0x7F)          erases the last byte ("\b \b"); at the
//                                     start of the line does nothing
//   Ctrl-U (0x15)                     erases the whole line
//   CR, LF, or CR LF                  ends the line: echoes CR LF and queues
//                                     the line with a '\n' (the LF of a CR LF
//                                     pair is not a second, empty line)
//   ESC [ ... final byte              (arrow keys and other CSI sequences)
//                                     ignored; so is every other control byte
//
// No system calls, no IPC: the console server feeds it what the UART
// received, host tests what they like.
#pragma once

#include "lib/kstd/types.h"

namespace console {

// Where echo goes (the terminal's screen).
class Echo {
public:
    virtual void echo(const char* s, usize n) = 0;

protected:
    ~Echo() = default;
};

class LineDiscipline {
public:
    static constexpr usize kLineMax = 128;    // bytes of a line, without its '\n'
    static constexpr usize kQueueSize = 1024;  // completed lines waiting for readers

    // One received byte. Returns true if it completed a line (queued, or
    // dropped because the queue was full).
    bool input(u8 c, Echo& echo);

    // Whether a complete line is queued.
    bool has_line() const { return lines_ > 0; }
    // Bytes queued (complete lines only).
    usize queued() const { return count_; }
    // Copies the start of the first queued line, up to max bytes and at most
    // through its '\n', into out; returns the count (0: no line). Nothing is
    // taken off the queue: consume() does that once the bytes were
    // delivered, so a reader that is gone loses nothing.
    usize peek_line(char* out, usize max) const;
    // Takes n bytes (at most the first line's) off the queue.
    void consume(usize n);

    // The line being typed, not yet ended (not NUL-terminated).
    const char* editing() const { return edit_; }
    usize editing_length() const { return edit_len_; }

    u64 lines_completed() const { return lines_completed_; }
    // Bytes thrown away: typed past kLineMax, or lines the full queue
    // could not take.
    u64 dropped() const { return dropped_; }

private:
    enum class Escape : u8 { kNone, kEsc, kCsi };

    bool end_line(Echo& echo);
    void erase_last(Echo& echo);

    char edit_[kLineMax];
    usize edit_len_ = 0;
    bool after_cr_ = false;
    Escape escape_ = Escape::kNone;

    // A ring of complete lines, each ending in '\n'.
    char queue_[kQueueSize];
    usize head_ = 0;
    usize count_ = 0;
    usize lines_ = 0;

    u64 lines_completed_ = 0;
    u64 dropped_ = 0;
};

}  // namespace console
