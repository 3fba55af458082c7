// Rebuilding a system call's typed arguments from what the entry path found:
// six registers of a 64-bit task, or six 32-bit slots of a 32-bit task.
#pragma once

#include "lib/abi/syscall_info.h"

namespace abi {

// Fills out[0 .. call.argc) with the arguments as the handler takes them,
// each held in a u64: u32-like types zero-extended, i32 sign-extended
// (stored as its two's complement), 64-bit types whole; the rest of out is 0.
//
// 64-bit task (compat false): argument i is raw[i]; a 32-bit type keeps only
// its low half, since the SysV convention leaves a 32-bit argument's upper
// register half undefined. 32-bit task: raw holds the slots, zero-extended;
// arguments take them in order, a u64, i64 or bits64 two (low half first),
// uword, usize and pointers one (zero-extended). The generator guarantees
// that a call's arguments fit in six slots.
void unpack_args(const SyscallInfo& call, const u64 (&raw)[kMaxSyscallArgs], bool compat,
                 u64 (&out)[kMaxSyscallArgs]);

}  // namespace abi
