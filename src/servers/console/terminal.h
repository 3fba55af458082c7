// console::Terminal: the serial terminal as the console server shares it
// between clients. Output of each client (told apart by badge) is
// assembled into lines and goes out a whole line at a time; input goes
// through the LineDiscipline, echoed on the same screen.
//
// The terminal's current line (a prompt, the input typed after it, or a
// partial line of output) is remembered: when a line of another client has
// to go out meanwhile, it goes on a line of its own, and the interrupted
// line is drawn again below it, so that what the user is typing stays
// whole and in view:
//
//     lstar> pi            (the user typing)
//     names: registered x  (another task's line arrives)
//     lstar> pi            (drawn again; typing goes on)
//
// No system calls, no IPC: it drives a Uart, which drives a PortIo.
#pragma once

#include "lib/kstd/types.h"
#include "servers/console/line_discipline.h"
#include "servers/console/uart.h"

namespace console {

class Terminal final : public Echo {
public:
    // Partial lines of output kept, one per client, and their length: a
    // longer line goes out in pieces of kLineMax bytes.
    static constexpr u32 kClients = 8;
    static constexpr usize kLineMax = 160;
    // The current screen line remembered for redrawing (beyond this it is
    // redrawn cut short).
    static constexpr usize kScreenMax = 256;

    explicit Terminal(Uart& uart) : uart_(uart) {}

    // Output of client `badge`: complete lines go out at once, a trailing
    // partial line is kept for the client's next write, unless `flush`.
    // Returns n (everything is taken).
    usize write(u64 badge, const char* s, usize n, bool flush);
    // The client's kept partial line goes out now (before it reads: its
    // prompt).
    void flush(u64 badge);

    // Takes everything the UART has received through the line discipline;
    // returns whether a line completed.
    bool poll_input();

    LineDiscipline& input() { return discipline_; }
    const LineDiscipline& input() const { return discipline_; }

    u64 bytes_received() const { return received_; }
    u64 bytes_transmitted() const { return transmitted_; }
    u64 overruns() const { return uart_.overruns(); }

    // Echo: the discipline's echo goes to the screen as typed input.
    void echo(const char* s, usize n) override;

private:
    struct Pending {
        bool used;
        u64 badge;
        u64 last_use;  // for evicting the least recently used
        usize len;
        char text[kLineMax];
    };

    Pending* pending_for(u64 badge, bool create);
    // Sends a piece of client output: a complete line (CR LF added) or a
    // partial one, on the screen line as the class comment says.
    void emit(u64 badge, const char* s, usize n, bool complete);
    // Bytes to the UART, and into the remembered screen line.
    void send(const char* s, usize n);
    // Bytes to the UART only (redrawing, or lines beside the screen line).
    void transmit(const char* s, usize n);
    void track(char c);

    Uart& uart_;
    LineDiscipline discipline_;
    Pending pending_[kClients] = {};
    u64 clock_ = 0;

    // The current screen line: what is on it, whose output started it, and
    // whether input was echoed onto it since.
    char screen_[kScreenMax];
    usize screen_len_ = 0;
    bool screen_owned_ = false;
    u64 screen_owner_ = 0;
    bool screen_has_input_ = false;

    u64 received_ = 0;
    u64 transmitted_ = 0;
};

}  // namespace console
