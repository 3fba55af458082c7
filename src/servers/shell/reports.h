// The shell's reports: what each command prints, formatted from plain data
// into a buffer. Pure (no system calls), host-tested with fixed data; the
// shell program (main.cpp) gathers the data and sends the text to the
// console.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/kstd/types.h"
#include "servers/shell/commands.h"

namespace shell {

// Text appended to a fixed buffer, always NUL-terminated; what does not fit
// is cut off and remembered.
class Out {
public:
    Out(char* buf, usize size) : buf_(buf), size_(size) {
        if (size_ > 0) buf_[0] = '\0';
    }

    Out& printf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

    const char* text() const { return buf_; }
    usize length() const { return len_; }
    bool truncated() const { return truncated_; }
    void clear();

private:
    char* buf_;
    usize size_;
    usize len_ = 0;
    bool truncated_ = false;
};

// One CPU's IPC statistics, as ipc_stats gave them.
struct CpuReport {
    u32 cpu;
    abi::IpcStats stats;
};

// help: the commands, one per line.
void format_help(Out& out);

// ps: `result` is thread_list's (the number of threads, or -abi::Error),
// threads[0, min(result, capacity)) what it filled in. A header, then a
// line per thread: task id ("-" for a kernel thread), tid, name, cpu,
// state, priority, switches; then how many did not fit, if any.
void format_ps(const abi::ThreadInfo* threads, usize capacity, i64 result, Out& out);

// cpus: per CPU of cpus[0, count), the fast calls and replies, slow calls,
// sends, receives, notifications, and the fast-path misses by reason (those
// that happened); then the totals if there is more than one CPU. error:
// ipc_stats' error that stopped the gathering (0: none).
void format_cpus(const CpuReport* cpus, usize count, i64 error, Out& out);

// trace: the outcome of trace(task, on ? all : none), `result` being the
// call's (the previous mask, or -abi::Error). has_task false: the shell.
void format_trace(bool on, bool has_task, u64 task, i64 result, Out& out);

// kill: the outcome of asking init to kill `task`: 0, or -abi::Error (a
// transport error or init's status).
void format_kill(u64 task, i64 result, Out& out);

// bench: that the benchmarks are not built yet.
void format_not_built(Kind kind, Out& out);

// stress: the command line of the suite task (the `stress` program's suite
// mode, src/servers/stress/suite.cpp) for `seconds` and `seed`: every
// workload but `victim`, which needs capabilities only a boot manifest
// gives.
void format_stress_args(u64 seconds, u64 seed, Out& out);

// stress: the suite task `task` was started.
void format_stress_started(u64 task, u64 seconds, u64 seed, Out& out);

// stress: what task_wait(task) returned, the exit status (0: the suite's
// verdict was pass) or -abi::Error.
void format_stress_ended(u64 task, i64 result, Out& out);

// stress: the suite could not be started: `step` is "module" (no module
// called `stress`: result -abi::kNotFound), "create" (task_create_args) or
// "start" (task_start), result its error.
void format_stress_failed(const char* step, i64 result, Out& out);

// An error as a word: "not-found" for -kNotFound; "error-N" for an unknown one.
const char* error_text(i64 result, char* buf, usize size);

}  // namespace shell
