// Host tests of console::Terminal (src/servers/console/terminal.cpp) over a
// fake UART: output a whole line at a time with CR LF, partial lines kept
// per client and never mixed, flushing, redrawing a prompt and the input
// typed after it when another client's line arrives, and input through the
// line discipline.
#include <string>

#include "fake_ports.h"
#include "servers/console/terminal.h"
#include "servers/console/uart.h"

#include <CppUTest/TestHarness.h>

using console::Terminal;
using console::Uart;
using console_test::FakePorts;

namespace {
constexpr u16 kBase = 0x3F8;
}

TEST_GROUP(ConsoleTerminal) {
    FakePorts ports{kBase};
    Uart uart{ports, kBase};
    Terminal term{uart};

    void write(u64 badge, const std::string& s, bool flush = false) {
        UNSIGNED_LONGS_EQUAL(s.size(), term.write(badge, s.data(), s.size(), flush));
    }
    std::string tx() { return ports.transmitted(); }
    // Types s and lets the terminal take it in.
    bool type(const std::string& s) {
        ports.type(s);
        return term.poll_input();
    }
};

TEST(ConsoleTerminal, WholeLinesGoOutWithCrLf) {
    write(1, "one\ntwo\n");
    STRCMP_EQUAL("one\r\ntwo\r\n", tx().c_str());
    UNSIGNED_LONGLONGS_EQUAL(10, term.bytes_transmitted());
}

TEST(ConsoleTerminal, APartialLineWaitsForItsEnd) {
    write(1, "abc");
    STRCMP_EQUAL("", tx().c_str());
    write(1, "def\nghi");
    STRCMP_EQUAL("abcdef\r\n", tx().c_str());
    write(1, "\n");
    STRCMP_EQUAL("abcdef\r\nghi\r\n", tx().c_str());
}

TEST(ConsoleTerminal, FlushSendsThePartialLine) {
    write(1, "lstar> ");
    STRCMP_EQUAL("", tx().c_str());
    term.flush(1);
    STRCMP_EQUAL("lstar> ", tx().c_str());
    term.flush(1);  // nothing left
    write(2, "$ ", true);
    STRCMP_EQUAL("lstar> \r\n$ ", tx().c_str());
}

TEST(ConsoleTerminal, LinesOfDifferentClientsNeverMix) {
    write(1, "first-");
    write(2, "second-");
    write(2, "end\n");
    write(1, "end\n");
    STRCMP_EQUAL("second-end\r\nfirst-end\r\n", tx().c_str());
}

TEST(ConsoleTerminal, CarriageReturnsInOutputAreDropped) {
    write(1, "a\r\nb\rc\n");
    STRCMP_EQUAL("a\r\nbc\r\n", tx().c_str());
}

TEST(ConsoleTerminal, AClientContinuesItsOwnLine) {
    write(1, "loading", true);
    write(1, "... done\n");
    STRCMP_EQUAL("loading... done\r\n", tx().c_str());
}

TEST(ConsoleTerminal, PromptAndTypingAreRedrawnBelowAnotherLine) {
    write(1, "lstar> ");
    term.flush(1);
    CHECK_FALSE(type("pi"));
    STRCMP_EQUAL("lstar> pi", tx().c_str());
    write(2, "names: up\n");
    STRCMP_EQUAL("lstar> pi\r\nnames: up\r\nlstar> pi", tx().c_str());
    CHECK_TRUE(type("ng\r"));
    STRCMP_EQUAL("lstar> pi\r\nnames: up\r\nlstar> ping\r\n", tx().c_str());
    char line[16];
    const usize n = term.input().peek_line(line, sizeof(line));
    STRCMP_EQUAL("ping\n", std::string(line, n).c_str());
    // The screen line ended with the input: the next output starts afresh.
    ports.clear_transmitted();
    write(2, "later\n");
    STRCMP_EQUAL("later\r\n", tx().c_str());
}

TEST(ConsoleTerminal, BackspaceIsRedrawnAsErased) {
    write(1, "> ", true);
    type("ab\b");
    ports.clear_transmitted();
    write(2, "x\n");
    STRCMP_EQUAL("\r\nx\r\n> a", tx().c_str());
}

TEST(ConsoleTerminal, OwnLineAfterTypingGoesOnALineOfItsOwn) {
    write(1, "> ", true);
    type("ab");
    ports.clear_transmitted();
    write(1, "note\n");
    STRCMP_EQUAL("\r\nnote\r\n> ab", tx().c_str());
}

TEST(ConsoleTerminal, AnotherClientsPartialLineTakesOverTheLine) {
    write(1, "abc", true);
    write(2, "xyz", true);
    STRCMP_EQUAL("abc\r\nxyz", tx().c_str());
    write(2, "!\n");
    STRCMP_EQUAL("abc\r\nxyz!\r\n", tx().c_str());
}

TEST(ConsoleTerminal, LongLinesGoOutInPiecesOnOneLine) {
    const std::string line(Terminal::kLineMax * 2 + 10, 'x');
    write(1, line.substr(0, Terminal::kLineMax + 1));
    // One full piece went out; the rest waits.
    STRCMP_EQUAL(std::string(Terminal::kLineMax, 'x').c_str(), tx().c_str());
    write(1, line.substr(Terminal::kLineMax + 1) + "\n");
    STRCMP_EQUAL((line + "\r\n").c_str(), tx().c_str());
}

TEST(ConsoleTerminal, TheOldestPartialLineGoesOutWhenEveryBufferIsTaken) {
    for (u64 c = 0; c < Terminal::kClients; ++c) write(c, "c" + std::to_string(c) + " ");
    STRCMP_EQUAL("", tx().c_str());
    write(Terminal::kClients, "new ");
    STRCMP_EQUAL("c0 ", tx().c_str());
    write(0, "more\n");  // client 0 continues its own line
    STRCMP_EQUAL("c0 more\r\n", tx().c_str());
}

TEST(ConsoleTerminal, InputIsEchoedAndCounted) {
    CHECK_TRUE(type("ls\r\n"));
    STRCMP_EQUAL("ls\r\n", tx().c_str());
    UNSIGNED_LONGLONGS_EQUAL(4, term.bytes_received());
    CHECK_TRUE(term.input().has_line());
}
