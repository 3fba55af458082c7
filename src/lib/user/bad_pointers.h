// A check any 64-bit program can run: every pointer argument of every system
// call in abi::kSyscalls (syscalls.def), given NULL, a kernel address, an
// unmapped address and non-canonical addresses, must come back as -kFault
// (or -kPermission from a privileged call made by an unprivileged task),
// never as a kernel fault. Compiled into the programs that run it (init,
// entrytest), not into lstar_user.
#pragma once

#include "lib/kstd/types.h"

namespace lstar {

// Prints `PROGRAM: bad-pointer call=NAME arg=ARG ... ok=0|1` per pointer
// argument and `PROGRAM: bad-pointers calls=N checked=M failed=F`; returns F.
u32 check_bad_pointers(const char* program, bool privileged);

}  // namespace lstar
