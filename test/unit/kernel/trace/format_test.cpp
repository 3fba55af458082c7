// Unit tests for trace lines: arguments by name and type, results, errors,
// entry paths, and the states of a call.
#include "kernel/trace/format.h"

#include <CppUTest/TestHarness.h>
#include <string.h>

namespace {

trace::Event event(abi::Syscall nr, trace::EventState state, i64 result) {
    trace::Event e = {};
    e.seq = 1;
    e.nr = u16(nr);
    e.cpu = 2;
    e.tid = 7;
    strcpy(e.task, "stress");
    e.path = abi::kEntrySyscall;
    e.state = state;
    e.result = result;
    return e;
}

}  // namespace

TEST_GROUP(TraceFormat) { char line[320]; };

TEST(TraceFormat, ProbeLine) {
    trace::Event e = event(abi::kSysProbe, trace::EventState::kDone, 0x5e0fb3d1c2a7f401);
    for (u64 i = 0; i < 6; i++) e.args[i] = i + 1;
    usize n = trace::format_event(e, line, sizeof line);
    STRCMP_EQUAL(
        "[cpu2] stress/7 probe(a0=0x1, a1=0x2, a2=0x3, a3=0x4, a4=0x5, a5=0x6) = 0x5e0fb3d1c2a7f401 via "
        "syscall",
        line);
    LONGS_EQUAL(strlen(line), n);
}

TEST(TraceFormat, ArgumentsByType) {
    trace::Event e = event(abi::kSysThreadCreate, trace::EventState::kDone, 9);
    const u64 args[5] = {0x401000, 0x7fff0000, 0x2a, 31, 0xf};
    for (int i = 0; i < 5; i++) e.args[i] = args[i];
    trace::format_event(e, line, sizeof line);
    STRCMP_EQUAL(
        "[cpu2] stress/7 thread_create(entry=0x401000, stack_top=0x7fff0000, arg=0x2a, priority=31, "
        "affinity=0xf) "
        "= 9 via syscall",
        line);
}

TEST(TraceFormat, ErrorsAreSymbolic) {
    trace::Event e = event(abi::kSysDebugWrite, trace::EventState::kDone, -abi::kFault);
    e.args[0] = 0xffffffff80000000;
    e.args[1] = 4096;
    e.path = abi::kEntryInt80_32;
    trace::format_event(e, line, sizeof line);
    STRCMP_EQUAL("[cpu2] stress/7 debug_write(buf=0xffffffff80000000, len=4096) = -2 (fault) via int80-32",
                 line);
}

TEST(TraceFormat, ANegativeResultThatIsNoErrorPrintsByType) {
    trace::Event e = event(abi::kSysTaskWait, trace::EventState::kDone, -1000);
    trace::format_event(e, line, sizeof line);
    STRCMP_CONTAINS("task_wait(task_id=0) = 0xfffffffffffffc18 via", line);
}

TEST(TraceFormat, CallsThatDoNotReturnOrHaveNotYet) {
    trace::Event e = event(abi::kSysThreadExit, trace::EventState::kNoReturn, 0);
    e.path = abi::kEntryInt80;
    trace::format_event(e, line, sizeof line);
    STRCMP_EQUAL("[cpu2] stress/7 thread_exit(code=0) = ? via int80", line);
    e = event(abi::kSysSleep, trace::EventState::kPending, 0);
    e.args[0] = 1000000;
    trace::format_event(e, line, sizeof line);
    STRCMP_EQUAL("[cpu2] stress/7 sleep(ns=1000000) = ? via syscall <unfinished>", line);
    e.state = trace::EventState::kResumed;
    trace::format_event(e, line, sizeof line);
    STRCMP_EQUAL("[cpu2] stress/7 sleep(ns=1000000) = 0 via syscall <resumed>", line);
}

TEST(TraceFormat, NoArguments) {
    trace::Event e = event(abi::kSysYield, trace::EventState::kDone, 0);
    trace::format_event(e, line, sizeof line);
    STRCMP_EQUAL("[cpu2] stress/7 yield() = 0 via syscall", line);
}

TEST(TraceFormat, TornRecordsStillPrintSafely) {
    trace::Event e = event(abi::kSysYield, trace::EventState::kDone, 0);
    e.nr = 999;
    e.path = 200;
    memset(e.task, 'x', sizeof e.task);  // no terminator
    trace::format_event(e, line, sizeof line);
    STRCMP_EQUAL("[cpu2] xxxxxxxxxxxxxxx/7 call999() = 0 via ?", line);
}

TEST(TraceFormat, CutsToTheBufferAndCountsTheWhole) {
    trace::Event e = event(abi::kSysYield, trace::EventState::kDone, 0);
    char small[12];
    usize n = trace::format_event(e, small, sizeof small);
    STRCMP_EQUAL("[cpu2] stre", small);
    LONGS_EQUAL(strlen("[cpu2] stress/7 yield() = 0 via syscall"), n);
}
