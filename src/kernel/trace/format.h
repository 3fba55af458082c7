// The text of a traced system call, one line:
//
//   [cpu2] stress/7 probe(a0=0x1, a1=0x2, a2=0x3, a3=0x4, a4=0x5, a5=0x6) = 0x5e0fb3d1c2a7f401 via syscall
//
// CPU, task name / thread id, the call and each argument by name, formatted
// by its type (abi::prints_hex), the result (an error as `-2 (fault)`), and
// the entry path (abi::kEntryPathNames). A call that does not return shows
// `= ?`; one still running shows `= ? <unfinished>`; one that returned on
// another CPU than it entered ends in `<resumed>`.
#pragma once

#include "kernel/trace/event.h"

namespace trace {

// Writes the line (no newline) into buf, NUL-terminated and cut to size;
// returns the length the whole line has, as snprintf does.
usize format_event(const Event& e, char* buf, usize size);

}  // namespace trace
