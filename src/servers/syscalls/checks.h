// What the parts of the syscalls program share: the check line and its
// counters (main.cpp), the addresses they map at, and each mode's entry.
#pragma once

#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"

namespace syscalls {

using ull = unsigned long long;

constexpr bool kWide = sizeof(uptr) == 8;
constexpr const char* kName = kWide ? "syscalls" : "syscalls32";
constexpr usize kPage = 4096;
// Free addresses: between the program and vm_alloc's window (1 GiB in a
// 32-bit task, far above in a 64-bit one).
constexpr uptr kMapBase = kWide ? uptr(0x200000000000) : uptr(0x20000000);

extern u32 g_checks, g_failed;
// One `NAME: check WHAT ok|FAIL got=G want=W` line.
void check(const char* what, ull got, ull want);
inline ull error(abi::Error e) { return static_cast<ull>(-static_cast<i64>(e)); }

// vm_unmap, vm_protect and vm_map's kMapReplace (vm.cpp).
void check_vm_calls();
// `syscalls race [iters=N] [pages=P] [seed=S] [ops=MASK]`: threads on every CPU map, replace,
// unmap and protect the same pages at once (vm.cpp).
int run_race(int argc, char** argv);
// `syscalls stats [nmi=1]`: cpu_stats of every CPU (stats.cpp).
int run_stats(int argc, char** argv);

}  // namespace syscalls
