// Host tests of the shell's reports (src/servers/shell/reports.cpp) from
// fixed data: ps, cpus, trace, kill and stress outcomes, help, and the
// bounded output buffer.
#include <algorithm>
#include <cstring>
#include <string>

#include "lib/abi/syscall.h"
#include "servers/shell/reports.h"

#include <CppUTest/TestHarness.h>

using shell::CpuReport;
using shell::Out;

namespace {

abi::ThreadInfo thread(u64 task, u64 tid, const char* name, u32 cpu, u8 state, u8 prio, u64 switches) {
    abi::ThreadInfo t{};
    t.task_id = task;
    t.tid = tid;
    // A 24-character name fills the array, unterminated.
    std::memcpy(t.name, name, std::min(std::strlen(name), sizeof(t.name)));
    t.cpu = cpu;
    t.state = state;
    t.priority = prio;
    t.switches = switches;
    return t;
}

// Column by column, as format_ps lays them out: TASK(5) TID(5) NAME(-24)
// CPU(3) STATE(-8) PRIO(4) SWITCHES(10).
const char* const kHeader = " TASK   TID NAME                     CPU STATE    PRIO   SWITCHES\n";

}  // namespace

TEST_GROUP(ShellReports) {
    char buf[4096];
    Out out{buf, sizeof(buf)};
};

TEST(ShellReports, PsListsEveryThread) {
    const abi::ThreadInfo threads[] = {
        thread(0, 1, "idle0", 0, abi::kThreadRunning, 0, 1234),
        thread(1, 15, "init", 2, abi::kThreadBlocked, 16, 12),
        thread(4, 21, "console", 1, abi::kThreadReady, 20, 9876543210),
    };
    shell::format_ps(threads, 3, 3, out);
    const std::string expected = std::string(kHeader) +
                                 "    -     1 idle0                      0 running     0       1234\n"
                                 "    1    15 init                       2 blocked    16         12\n"
                                 "    4    21 console                    1 ready      20 9876543210\n";
    STRCMP_EQUAL(expected.c_str(), out.text());
    CHECK_FALSE(out.truncated());
}

TEST(ShellReports, PsNamesAndStatesAtTheirLimits) {
    const abi::ThreadInfo threads[] = {
        thread(2, 3, "a_name_of_24_characters_", 0, abi::kThreadDead, 31, 0),
        thread(2, 4, "x", 63, 200, 0, 0),  // a state from a newer kernel
    };
    shell::format_ps(threads, 2, 2, out);
    const std::string expected = std::string(kHeader) +
                                 "    2     3 a_name_of_24_characters_   0 dead       31          0\n"
                                 "    2     4 x                         63 ?           0          0\n";
    STRCMP_EQUAL(expected.c_str(), out.text());
}

TEST(ShellReports, PsSaysHowManyDidNotFit) {
    const abi::ThreadInfo threads[] = {thread(1, 15, "init", 0, abi::kThreadNew, 16, 0)};
    shell::format_ps(threads, 1, 40, out);
    const std::string expected = std::string(kHeader) +
                                 "    1    15 init                       0 new        16          0\n"
                                 "(39 more threads not shown)\n";
    STRCMP_EQUAL(expected.c_str(), out.text());
}

TEST(ShellReports, PsError) {
    shell::format_ps(nullptr, 0, -abi::kFault, out);
    STRCMP_EQUAL("ps: failed: fault\n", out.text());
}

TEST(ShellReports, CpusPerCpuAndTotals) {
    CpuReport cpus[2] = {};
    cpus[0].cpu = 0;
    cpus[0].stats.fast_calls = 10;
    cpus[0].stats.fast_replies = 9;
    cpus[0].stats.slow_calls = 3;
    cpus[0].stats.sends = 1;
    cpus[0].stats.receives = 2;
    cpus[0].stats.notifications = 4;
    cpus[0].stats.misses[abi::kMissNoReceiver] = 2;
    cpus[0].stats.misses[abi::kMissOtherCpu] = 1;
    cpus[1].cpu = 3;
    cpus[1].stats.slow_calls = 5;
    cpus[1].stats.misses[abi::kMissOtherCpu] = 4;
    cpus[1].stats.misses[abi::kMissOff] = 1;
    shell::format_cpus(cpus, 2, 0, out);
    STRCMP_EQUAL(
        "cpu 0: fast_calls=10 fast_replies=9 slow_calls=3 sends=1 receives=2 notifications=4\n"
        "  misses: noreceiver=2 othercpu=1\n"
        "cpu 3: fast_calls=0 fast_replies=0 slow_calls=5 sends=0 receives=0 notifications=0\n"
        "  misses: othercpu=4 off=1\n"
        "all: fast_calls=10 fast_replies=9 slow_calls=8 sends=1 receives=2 notifications=4\n"
        "  misses: noreceiver=2 othercpu=5 off=1\n",
        out.text());
}

TEST(ShellReports, CpusEveryMissReasonByName) {
    CpuReport cpu{};
    for (u32 r = 0; r < abi::kFastMisses; ++r) cpu.stats.misses[r] = r + 1;
    shell::format_cpus(&cpu, 1, 0, out);
    STRCMP_EQUAL(
        "cpu 0: fast_calls=0 fast_replies=0 slow_calls=0 sends=0 receives=0 notifications=0\n"
        "  misses: entry=1 long=2 caps=3 badcap=4 noreceiver=5 othercpu=6 priority=7 notification=8 "
        "nocaller=9 pending=10 switch=11 off=12\n",
        out.text());
}

TEST(ShellReports, CpusWithoutMissesOrData) {
    CpuReport cpu{};
    cpu.cpu = 1;
    shell::format_cpus(&cpu, 1, 0, out);
    STRCMP_EQUAL(
        "cpu 1: fast_calls=0 fast_replies=0 slow_calls=0 sends=0 receives=0 notifications=0\n"
        "  misses: none\n",
        out.text());
    out.clear();
    shell::format_cpus(nullptr, 0, 0, out);
    STRCMP_EQUAL("cpus: no statistics\n", out.text());
}

TEST(ShellReports, CpusNotPrivileged) {
    shell::format_cpus(nullptr, 0, -abi::kPermission, out);
    STRCMP_EQUAL("cpus: failed: permission (the shell must run privileged)\n", out.text());
}

TEST(ShellReports, Trace) {
    shell::format_trace(true, false, 0, 0, out);
    STRCMP_EQUAL("trace: the shell on (previous mask 0x0)\n", out.text());
    out.clear();
    shell::format_trace(false, true, 5, 0x1ffff, out);
    STRCMP_EQUAL("trace: task 5 off (previous mask 0x1ffff)\n", out.text());
    out.clear();
    shell::format_trace(true, true, 99, -abi::kNotFound, out);
    STRCMP_EQUAL("trace: task 99 failed: not-found\n", out.text());
    out.clear();
    shell::format_trace(true, true, 2, -abi::kPermission, out);
    STRCMP_EQUAL("trace: task 2 failed: permission (the shell must run privileged)\n", out.text());
}

TEST(ShellReports, Kill) {
    shell::format_kill(7, 0, out);
    STRCMP_EQUAL("kill: task 7 killed\n", out.text());
    out.clear();
    shell::format_kill(7, -abi::kNotFound, out);
    STRCMP_EQUAL("kill: task 7 failed: not-found\n", out.text());
    out.clear();
    shell::format_kill(7, -abi::kBadSlot, out);
    STRCMP_EQUAL("kill: task 7 failed: bad-slot (no endpoint to init)\n", out.text());
    out.clear();
    shell::format_kill(7, -abi::kNoSys, out);
    STRCMP_EQUAL("kill: task 7 failed: no-sys (init does not take kill requests)\n", out.text());
    out.clear();
    shell::format_kill(7, -abi::kTimeout, out);
    STRCMP_EQUAL("kill: task 7 failed: timeout (init did not answer)\n", out.text());
    out.clear();
    shell::format_kill(7, -300, out);
    STRCMP_EQUAL("kill: task 7 failed: error-300\n", out.text());
}

TEST(ShellReports, NotBuiltYet) {
    shell::format_not_built(shell::Kind::kBench, out);
    STRCMP_EQUAL("bench: the benchmarks are not built yet\n", out.text());
}

TEST(ShellReports, StressSuiteCommandLine) {
    shell::format_stress_args(3, 0x5eed, out);
    STRCMP_EQUAL("stress suite seconds=3 seed=0x5eed workloads=ipc,sched,mem,caps,entry", out.text());
    out.clear();
    // The longest: within task_create_args' 255 bytes.
    shell::format_stress_args(3600, ~u64{0}, out);
    STRCMP_EQUAL("stress suite seconds=3600 seed=0xffffffffffffffff workloads=ipc,sched,mem,caps,entry", out.text());
    CHECK_TRUE(out.length() <= 255);
}

TEST(ShellReports, StressStartedAndEnded) {
    shell::format_stress_started(12, 3, 0x5eed, out);
    STRCMP_EQUAL("stress: started task=12 seconds=3 seed=0x5eed\n", out.text());
    out.clear();
    shell::format_stress_ended(12, 0, out);
    STRCMP_EQUAL("stress: task 12 ended status=0x0 verdict=pass\n", out.text());
    out.clear();
    shell::format_stress_ended(12, 1, out);
    STRCMP_EQUAL("stress: task 12 ended status=0x1 verdict=fail\n", out.text());
    out.clear();
    shell::format_stress_ended(12, static_cast<i64>(abi::kStatusKilled + 14), out);
    STRCMP_EQUAL("stress: task 12 ended status=0x10e verdict=fail\n", out.text());
    out.clear();
    shell::format_stress_ended(12, -abi::kNotFound, out);
    STRCMP_EQUAL("stress: task 12 wait failed: not-found\n", out.text());
}

TEST(ShellReports, StressNotStarted) {
    shell::format_stress_failed("module", -abi::kNotFound, out);
    STRCMP_EQUAL("stress: no stress program on this boot\n", out.text());
    out.clear();
    shell::format_stress_failed("create", -abi::kPermission, out);
    STRCMP_EQUAL("stress: create failed: permission (the shell must run privileged)\n", out.text());
    out.clear();
    shell::format_stress_failed("start", -abi::kNoMemory, out);
    STRCMP_EQUAL("stress: start failed: no-memory\n", out.text());
}

TEST(ShellReports, HelpNamesEveryCommand) {
    shell::format_help(out);
    const std::string text = out.text();
    for (const char* c :
         {"help", "ps", "cpus", "trace on|off [TASK-ID]", "kill TASK-ID", "stress [SECONDS] [seed=N]", "bench", "shutdown"}) {
        CHECK_TRUE(text.find(std::string("\n  ") + c) != std::string::npos);
    }
    CHECK_FALSE(out.truncated());
}

TEST(ShellReports, OutputIsCutShortAndSaysSo) {
    char small[16];
    Out o(small, sizeof(small));
    o.printf("%s", "0123456789");
    CHECK_FALSE(o.truncated());
    o.printf("%s", "abcdefghij");
    CHECK_TRUE(o.truncated());
    UNSIGNED_LONGS_EQUAL(15, o.length());
    STRCMP_EQUAL("0123456789abcde", o.text());
    o.printf("more");
    STRCMP_EQUAL("0123456789abcde", o.text());
    o.clear();
    STRCMP_EQUAL("", o.text());
    CHECK_FALSE(o.truncated());
}
