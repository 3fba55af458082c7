// Host tests of shell::parse (src/servers/shell/commands.cpp): every
// command with its arguments, blanks and line ends, and a clear message for
// each kind of bad input.
#include <string>

#include "servers/shell/commands.h"

#include <CppUTest/TestHarness.h>

using shell::Command;
using shell::Kind;

namespace {

Command parse(const std::string& line) { return shell::parse(line.data(), line.size()); }

void check_kind(Kind expected, const Command& c) {
    STRCMP_EQUAL(shell::kind_name(expected), shell::kind_name(c.kind));
}

void check_bad(const std::string& line, const char* message) {
    const Command c = parse(line);
    check_kind(Kind::kBad, c);
    STRCMP_EQUAL(message, c.message);
}

}  // namespace

TEST_GROUP(ShellCommands){};

TEST(ShellCommands, BlankLinesAreEmpty) {
    check_kind(Kind::kEmpty, parse(""));
    check_kind(Kind::kEmpty, parse("\n"));
    check_kind(Kind::kEmpty, parse("  \t \r\n"));
    check_kind(Kind::kEmpty, shell::parse(nullptr, 0));
}

TEST(ShellCommands, CommandsWithoutArguments) {
    check_kind(Kind::kHelp, parse("help"));
    check_kind(Kind::kPs, parse("ps\n"));
    check_kind(Kind::kCpus, parse("  cpus  "));
    check_kind(Kind::kBench, parse("\tbench\n"));
    check_kind(Kind::kShutdown, parse("shutdown\r\n"));
}

TEST(ShellCommands, ExtraArgumentsAreRefused) {
    check_bad("help me", "usage: help");
    check_bad("ps aux", "usage: ps");
    check_bad("cpus 0", "usage: cpus");
    check_bad("bench x y", "usage: bench");
}

TEST(ShellCommands, TraceOnAndOffForTheShell) {
    Command on = parse("trace on");
    check_kind(Kind::kTrace, on);
    CHECK_TRUE(on.on);
    CHECK_FALSE(on.has_task);
    Command off = parse("trace off\n");
    check_kind(Kind::kTrace, off);
    CHECK_FALSE(off.on);
    CHECK_FALSE(off.has_task);
}

TEST(ShellCommands, TraceATask) {
    Command c = parse("trace on 12");
    check_kind(Kind::kTrace, c);
    CHECK_TRUE(c.on);
    CHECK_TRUE(c.has_task);
    UNSIGNED_LONGLONGS_EQUAL(12, c.task);
    c = parse("trace off 0x1F");
    CHECK_FALSE(c.on);
    UNSIGNED_LONGLONGS_EQUAL(31, c.task);
}

TEST(ShellCommands, TraceMistakes) {
    check_bad("trace", "usage: trace on|off [TASK-ID]");
    check_bad("trace on 1 2", "usage: trace on|off [TASK-ID]");
    check_bad("trace maybe", "trace: 'maybe' is neither on nor off");
    check_bad("trace ON", "trace: 'ON' is neither on nor off");
    check_bad("trace on init", "trace: bad task id 'init' (a number, 1 or more)");
    check_bad("trace off 0", "trace: bad task id '0' (a number, 1 or more)");
}

TEST(ShellCommands, Kill) {
    Command c = parse("kill 7\n");
    check_kind(Kind::kKill, c);
    UNSIGNED_LONGLONGS_EQUAL(7, c.task);
    UNSIGNED_LONGLONGS_EQUAL(0xabc, parse("kill 0xabc").task);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, parse("kill 18446744073709551615").task);
    c = parse("kill hello_server");
    check_kind(Kind::kKill, c);
    STRCMP_EQUAL("hello_server", c.name);
    UNSIGNED_LONGLONGS_EQUAL(0, c.task);
    STRCMP_EQUAL("", parse("kill 7").name);
}

TEST(ShellCommands, KillMistakes) {
    check_bad("kill", "usage: kill TASK-ID|NAME");
    check_bad("kill 1 2", "usage: kill TASK-ID|NAME");
    check_bad("kill -3", "kill: bad task id '-3' (a number, 1 or more, or a task name)");
    check_bad("kill 0", "kill: bad task id '0' (a number, 1 or more, or a task name)");
    check_bad("kill 12x", "kill: bad task id '12x' (a number, 1 or more, or a task name)");
    check_bad("kill 0x", "kill: bad task id '0x' (a number, 1 or more, or a task name)");
    check_bad("kill 0xg", "kill: bad task id '0xg' (a number, 1 or more, or a task name)");
    check_bad("kill Shell", "kill: bad task id 'Shell' (a number, 1 or more, or a task name)");
    check_bad("kill a.b", "kill: bad task id 'a.b' (a number, 1 or more, or a task name)");
    check_bad("kill abcdefghijklmnopqrstuvwx", "kill: bad task id 'abcdefghijklmnopqrstuvwx' (a number, 1 or more, or a task name)");
    check_bad("kill 18446744073709551616", "kill: bad task id '18446744073709551616' (a number, 1 or more, or a task name)");
}

TEST(ShellCommands, Stress) {
    Command c = parse("stress");
    check_kind(Kind::kStress, c);
    UNSIGNED_LONGLONGS_EQUAL(10, c.seconds);
    CHECK_FALSE(c.has_seed);
    c = parse("stress 5\n");
    check_kind(Kind::kStress, c);
    UNSIGNED_LONGLONGS_EQUAL(5, c.seconds);
    CHECK_FALSE(c.has_seed);
    c = parse("stress 5 seed=0x10");
    check_kind(Kind::kStress, c);
    UNSIGNED_LONGLONGS_EQUAL(5, c.seconds);
    CHECK_TRUE(c.has_seed);
    UNSIGNED_LONGLONGS_EQUAL(0x10, c.seed);
    c = parse("  stress\tseed=42  3600 ");
    check_kind(Kind::kStress, c);
    UNSIGNED_LONGLONGS_EQUAL(3600, c.seconds);
    UNSIGNED_LONGLONGS_EQUAL(42, c.seed);
    c = parse("stress seed=0");
    UNSIGNED_LONGLONGS_EQUAL(10, c.seconds);
    CHECK_TRUE(c.has_seed);
    UNSIGNED_LONGLONGS_EQUAL(0, c.seed);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, parse("stress 1 seed=0xFFFFFFFFFFFFFFFF").seed);
    UNSIGNED_LONGLONGS_EQUAL(1, parse("stress 1").seconds);
}

TEST(ShellCommands, StressMistakes) {
    const char* usage = "usage: stress [SECONDS] [seed=N]";
    check_bad("stress all", usage);
    check_bad("stress 5s", usage);
    check_bad("stress -5", usage);
    check_bad("stress 0x10", usage);
    check_bad("stress 5 6", usage);
    check_bad("stress seed=1 seed=2", usage);
    check_bad("stress 5 seed=1 x", usage);
    check_bad("stress seconds=5", usage);
    check_bad("stress SEED=1", usage);
    check_bad("stress 0", "stress: bad SECONDS '0' (1..3600)");
    check_bad("stress 3601", "stress: bad SECONDS '3601' (1..3600)");
    check_bad("stress 99999999999999999999999", "stress: bad SECONDS '99999999999999999999999' (1..3600)");
    check_bad("stress seed=", "stress: bad seed '' (decimal or 0x hex)");
    check_bad("stress 5 seed=0x", "stress: bad seed '0x' (decimal or 0x hex)");
    check_bad("stress seed=12g", "stress: bad seed '12g' (decimal or 0x hex)");
    check_bad("stress seed=-1", "stress: bad seed '-1' (decimal or 0x hex)");
    check_bad("stress seed=0x10000000000000000", "stress: bad seed '0x10000000000000000' (decimal or 0x hex)");
}

TEST(ShellCommands, UnknownCommands) {
    check_bad("ls", "unknown command 'ls' (help lists the commands)");
    check_bad("PS", "unknown command 'PS' (help lists the commands)");
    check_bad("helpme", "unknown command 'helpme' (help lists the commands)");
    check_bad("hel", "unknown command 'hel' (help lists the commands)");
    // A long word is quoted cut short, and the message still fits.
    const Command c = parse(std::string(200, 'z'));
    check_kind(Kind::kBad, c);
    STRCMP_EQUAL(("unknown command '" + std::string(24, 'z') + "' (help lists the commands)").c_str(), c.message);
}

TEST(ShellCommands, TheLineNeedNotBeTerminated) {
    const char line[] = {'p', 's', 'x'};
    check_kind(Kind::kPs, shell::parse(line, 2));
    const char with_nul[] = {'p', 's', '\0', 'x'};
    check_kind(Kind::kPs, shell::parse(with_nul, sizeof(with_nul)));
}
