// Host tests of console::LineDiscipline (src/servers/console/
// line_discipline.cpp): echo, backspace (also at the start of a line),
// Ctrl-U, CR, LF and CR LF line ends, escape sequences, the line limit,
// and handing lines out in pieces.
#include <string>

#include "servers/console/line_discipline.h"

#include <CppUTest/TestHarness.h>

using console::LineDiscipline;

namespace {

// Collects the echo.
class Screen final : public console::Echo {
public:
    void echo(const char* s, usize n) override { text.append(s, n); }
    std::string text;
};

}  // namespace

TEST_GROUP(ConsoleLineDiscipline) {
    LineDiscipline ld;
    Screen screen;

    // Feeds every byte; returns how many completed a line.
    int type(const std::string& s) {
        int lines = 0;
        for (char c : s) lines += ld.input(static_cast<u8>(c), screen) ? 1 : 0;
        return lines;
    }

    // Takes the first queued line off, whole.
    std::string take_line() {
        char buf[LineDiscipline::kQueueSize];
        const usize n = ld.peek_line(buf, sizeof(buf));
        ld.consume(n);
        return std::string(buf, n);
    }

    std::string editing() const { return std::string(ld.editing(), ld.editing_length()); }
};

TEST(ConsoleLineDiscipline, EchoesAndQueuesALineOnCarriageReturn) {
    LONGS_EQUAL(0, type("ls"));
    STRCMP_EQUAL("ls", screen.text.c_str());
    CHECK_FALSE(ld.has_line());
    STRCMP_EQUAL("ls", editing().c_str());
    LONGS_EQUAL(1, type("\r"));
    STRCMP_EQUAL("ls\r\n", screen.text.c_str());
    CHECK_TRUE(ld.has_line());
    UNSIGNED_LONGS_EQUAL(3, ld.queued());
    STRCMP_EQUAL("ls\n", take_line().c_str());
    CHECK_FALSE(ld.has_line());
    UNSIGNED_LONGS_EQUAL(0, editing().size());
}

TEST(ConsoleLineDiscipline, CrLfIsOneLineEnd) {
    LONGS_EQUAL(2, type("a\r\nb\r\n"));
    STRCMP_EQUAL("a\r\nb\r\n", screen.text.c_str());
    STRCMP_EQUAL("a\n", take_line().c_str());
    STRCMP_EQUAL("b\n", take_line().c_str());
    CHECK_FALSE(ld.has_line());
}

TEST(ConsoleLineDiscipline, LfAloneEndsALineAndCrCrIsTwo) {
    LONGS_EQUAL(1, type("x\n"));
    LONGS_EQUAL(2, type("\r\r"));
    STRCMP_EQUAL("x\n", take_line().c_str());
    STRCMP_EQUAL("\n", take_line().c_str());
    STRCMP_EQUAL("\n", take_line().c_str());
    // The LF pairing only holds right after a CR.
    LONGS_EQUAL(2, type("\rq\n"));
    STRCMP_EQUAL("\n", take_line().c_str());
    STRCMP_EQUAL("q\n", take_line().c_str());
}

TEST(ConsoleLineDiscipline, BackspaceErasesTheLastCharacter) {
    type("pz");
    type("\b");
    STRCMP_EQUAL("pz\b \b", screen.text.c_str());
    type("s\x7f" "s\r");  // DEL works the same
    STRCMP_EQUAL("ps\n", take_line().c_str());
}

TEST(ConsoleLineDiscipline, BackspaceAtLineStartDoesNothing) {
    type("\b\x7f\b");
    STRCMP_EQUAL("", screen.text.c_str());
    UNSIGNED_LONGS_EQUAL(0, editing().size());
    // Erasing past the start of a line cannot reach the one before.
    type("ab\r");
    screen.text.clear();
    type("c\b\b\b");
    STRCMP_EQUAL("c\b \b", screen.text.c_str());
    type("\r");
    STRCMP_EQUAL("ab\n", take_line().c_str());
    STRCMP_EQUAL("\n", take_line().c_str());
}

TEST(ConsoleLineDiscipline, CtrlUErasesTheLine) {
    type("abc\x15");
    STRCMP_EQUAL("abc\b \b\b \b\b \b", screen.text.c_str());
    type("ok\r");
    STRCMP_EQUAL("ok\n", take_line().c_str());
}

TEST(ConsoleLineDiscipline, EscapeSequencesAndControlBytesAreIgnored) {
    type("a\x1b[A\x1b[1;5C\x1bOb\x01\x02\x80\xff" "c\r");
    // ESC O is a two-byte sequence: the 'b' after it is typed text.
    STRCMP_EQUAL("abc\n", take_line().c_str());
    STRCMP_EQUAL("abc\r\n", screen.text.c_str());
}

TEST(ConsoleLineDiscipline, TabIsASpace) {
    type("a\tb\r");
    STRCMP_EQUAL("a b\n", take_line().c_str());
}

TEST(ConsoleLineDiscipline, LineLimitRingsTheBell) {
    const std::string longest(LineDiscipline::kLineMax, 'x');
    type(longest);
    screen.text.clear();
    type("yz");
    STRCMP_EQUAL("\a\a", screen.text.c_str());
    UNSIGNED_LONGLONGS_EQUAL(2, ld.dropped());
    type("\r");
    STRCMP_EQUAL((longest + "\n").c_str(), take_line().c_str());
}

TEST(ConsoleLineDiscipline, LinesAreHandedOutInPieces) {
    type("hello\rworld\r");
    char buf[4];
    usize n = ld.peek_line(buf, sizeof(buf));
    UNSIGNED_LONGS_EQUAL(4, n);
    MEMCMP_EQUAL("hell", buf, 4);
    ld.consume(n);
    n = ld.peek_line(buf, sizeof(buf));
    UNSIGNED_LONGS_EQUAL(2, n);  // stops at the end of the first line
    MEMCMP_EQUAL("o\n", buf, 2);
    ld.consume(n);
    STRCMP_EQUAL("world\n", take_line().c_str());
    UNSIGNED_LONGS_EQUAL(0, ld.peek_line(buf, sizeof(buf)));
}

TEST(ConsoleLineDiscipline, PeekDoesNotConsume) {
    type("a\r");
    char buf[8];
    UNSIGNED_LONGS_EQUAL(2, ld.peek_line(buf, sizeof(buf)));
    UNSIGNED_LONGS_EQUAL(2, ld.peek_line(buf, sizeof(buf)));
    CHECK_TRUE(ld.has_line());
}

TEST(ConsoleLineDiscipline, FullQueueDropsWholeLines) {
    const std::string line(99, 'q');  // 100 bytes with its '\n'
    const usize fit = LineDiscipline::kQueueSize / 100;
    for (usize i = 0; i < fit; ++i) type(line + "\r");
    UNSIGNED_LONGS_EQUAL(fit * 100, ld.queued());
    LONGS_EQUAL(1, type(line + "\r"));  // completed, but no room
    UNSIGNED_LONGS_EQUAL(fit * 100, ld.queued());
    UNSIGNED_LONGLONGS_EQUAL(100, ld.dropped());
    // Room again once a line is taken off; the next line wraps around
    // the end of the ring.
    STRCMP_EQUAL((line + "\n").c_str(), take_line().c_str());
    const std::string after = "after" + std::string(55, 'w');
    type(after + "\r");
    for (usize i = 1; i < fit; ++i) STRCMP_EQUAL((line + "\n").c_str(), take_line().c_str());
    STRCMP_EQUAL((after + "\n").c_str(), take_line().c_str());
    UNSIGNED_LONGLONGS_EQUAL(fit + 2, ld.lines_completed());
}
