// One system call as the tracer keeps it: a fixed-size binary record, turned
// into text only when it is printed (a trace line, a panic dump).
#pragma once

#include "lib/abi/syscall_info.h"

namespace trace {

enum class EventState : u8 {
    kPending,   // entered and not returned: still running, blocked, or it
                // returned on another CPU (which then holds a kResumed copy)
    kDone,      // returned `result` on the CPU it entered on
    kResumed,   // entered on another CPU, returned `result` on this one
    kNoReturn,  // a call that does not return, recorded before it ran
};

struct Event {
    u64 seq;                         // number in its CPU's ring, from 1; 0: never written
    u64 time_ns;                     // when the call entered the kernel
    u64 args[abi::kMaxSyscallArgs];  // as the handler took them (abi::unpack_args)
    i64 result;                      // kDone and kResumed only
    u32 task_id;
    u32 tid;
    char task[16];  // the task's name, cut to 15 characters, NUL-terminated
    u16 nr;         // abi::Syscall
    u16 cpu;        // where it entered (kPending, kNoReturn) or returned
    u8 path;        // abi::EntryPath
    EventState state;
};
static_assert(sizeof(Event) == 104, "64 of them per CPU: keep the record compact");

}  // namespace trace
