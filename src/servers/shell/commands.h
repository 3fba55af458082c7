// shell::parse: one command line of the shell into a Command. Pure (no
// system calls), host-tested: every command, and a clear one-line message
// for anything that is not one.
//
//   help                      the commands
//   ps                        every thread
//   cpus                      IPC statistics of every CPU
//   trace on|off [TASK-ID]    system call tracing of a task (default: the
//                             shell itself)
//   kill TASK-ID|NAME         asks init to end a task
//   stress [SECONDS] [seed=N] runs the stress suite for SECONDS (1..3600,
//                             default kStressDefaultSeconds) with seed N
//                             (default: the clock), waits for its verdict
//   bench                     the benchmarks (not built yet)
//
// Words are separated by spaces and tabs; a trailing '\n' is ignored.
// TASK-ID is decimal or 0x hex, 1 or more; SECONDS decimal; N decimal or
// 0x hex, any 64-bit value. SECONDS and seed=N may come in either order.
#pragma once

#include "lib/kstd/types.h"

namespace shell {

enum class Kind : u8 {
    kEmpty,  // a blank line: nothing to do
    kHelp,
    kPs,
    kCpus,
    kTrace,
    kKill,
    kStress,
    kBench,
    kShutdown,
    kBad,  // message says what is wrong
};

constexpr usize kMessageSize = 96;

constexpr u64 kStressDefaultSeconds = 10;
constexpr u64 kStressMaxSeconds = 3600;

struct Command {
    Kind kind = Kind::kEmpty;
    bool on = false;        // trace: on or off
    bool has_task = false;  // trace: a task id was given
    u64 task = 0;           // trace, kill
    char name[24] = "";     // kill NAME: the task's name instead of its id
    u64 seconds = 0;        // stress: how long the suite runs
    bool has_seed = false;  // stress: seed=N was given
    u64 seed = 0;           // stress: N
    char message[kMessageSize] = "";  // kBad: one line, no '\n'
};

// Parses line[0, len) (need not be NUL-terminated).
Command parse(const char* line, usize len);

// The command's name as typed ("ps"), for messages.
const char* kind_name(Kind kind);

}  // namespace shell
