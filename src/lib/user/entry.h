// The raw way into the kernel from user code: a call through the entry page
// the kernel mapped into this task (its address arrives as AT_SYSINFO), which
// holds the best entry instruction this CPU has for the task's mode. Every
// system call stub goes through one of these; nothing else in the runtime
// executes SYSCALL, SYSENTER or int 0x80 itself.
#pragma once

#include "lib/kstd/types.h"

extern "C" {
#if defined(__x86_64__)
// 64-bit convention: the result, or -abi::Error.
i64 lstar_syscall6(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
#else
// 32-bit convention: six 32-bit argument slots (a 64-bit argument takes two,
// low half first); the 64-bit result comes back in EDX:EAX.
u64 lstar_syscall6_32(u32 nr, u32 a0, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5);
#endif
// The entry function in use (from AT_SYSINFO; set before main runs).
extern uptr lstar_sysinfo;
}
