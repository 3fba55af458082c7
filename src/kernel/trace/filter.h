// `trace=` on the kernel command line: which system calls of which tasks
// the tracer logs, as a trace mask per task name (bit n: call number n).
//
//   trace=RULE[,RULE...]
//   RULE   TASK or TASK:CALLS
//   TASK   a task name (the first word of its module string); * or all:
//          every task
//   CALLS  a call name or all, then any number of +NAME (add a call) and
//          -NAME (remove one), applied left to right
//
// A rule without :CALLS traces every call. A task that several rules name
// gets the union of their calls. Examples:
//   trace=all                        every call of every task
//   trace=init,stress:probe+yield    all of init's calls; probe and yield of stress
//   trace=*:all-debug_write          every call but debug_write, every task
#pragma once

#include "lib/abi/syscall.h"

namespace trace {

static_assert(abi::kSysCount <= 64, "a trace mask has one bit per call");
constexpr u64 kAllCalls = abi::kSysCount == 64 ? ~u64(0) : (u64(1) << abi::kSysCount) - 1;

struct Filter {
    static constexpr u32 kMaxRules = 8;
    static constexpr usize kNameSize = 32;  // as task::Task::name
    struct Rule {
        char task[kNameSize];  // "" matches every task
        u64 calls;
    };
    Rule rules[kMaxRules];
    u32 count = 0;
};

// Parses a trace= value. On a malformed one, returns false with out empty
// and the reason in `error` (e.g. "unknown call 'prob'").
bool parse_filter(const char* spec, Filter& out, char* error, usize error_size);

// The trace mask of a task called `task`: the union of the rules naming it.
u64 filter_mask(const Filter& filter, const char* task);

// The number of the call named `name` (n bytes, not NUL-terminated), or -1.
i32 syscall_by_name(const char* name, usize n);

}  // namespace trace
