// The user/kernel system call ABI shared by the kernel and the user runtime.
//
// Until the entry-paths work adds SYSCALL/SYSENTER and the entry page, every
// call is `int 0x80`: number in RAX, arguments in RDI, RSI, RDX, R10, R8, R9
// (the SYSCALL order), result in RAX. Every other register is preserved.
// A negative result is -Error. Numbers are append-only.
#pragma once

#include "lib/abi/syscall_numbers.h"  // generated from syscalls.def (tools/gen-syscalls)
#include "lib/kstd/types.h"

namespace abi {

constexpr u8 kSyscallVector = 0x80;

// The call numbers (enum Syscall: kSysDebugWrite ... kSysCount) come from
// syscalls.def, the one definition of every call, through the generated
// lib/abi/syscall_numbers.h included above.

enum Error : i64 {
    kOk = 0,
    kInvalid = 1,     // an argument is out of range
    kFault = 2,       // a user pointer does not name mapped user memory
    kNoMemory = 3,
    kNotFound = 4,    // no such thread, task or module
    kPermission = 5,  // the caller may not do this
    kNoSys = 6,       // unknown system call number
    kBadImage = 7,    // the module is not a loadable program
    kExists = 8,      // already mapped (vm_map)
    kTimeout = 9,     // an IPC call or receive waited its whole timeout
    kBadSlot = 10,    // a capability slot is out of range or empty
    kWrongType = 11,  // the capability names another kind of object
    kNoRights = 12,   // the capability lacks a right the operation needs
    kCancelled = 13,  // the partner died, or the object was deleted, while waiting
    kNoSlot = 14,     // the capability space is full, or the destination slot is taken
    kWouldBlock = 15, // a non-blocking receive or wait found nothing
};
// The word a trace prints after the result -e ("fault" for -kFault), or
// nullptr if e is not an Error.
inline constexpr const char* error_name(i64 e) {
    constexpr const char* kNames[] = {"ok",        "invalid", "fault",     "no-memory",  "not-found",
                                      "permission", "no-sys",  "bad-image", "exists",     "timeout",
                                      "bad-slot",   "wrong-type", "no-rights", "cancelled", "no-slot",
                                      "would-block"};
    return e >= 0 && e < i64(sizeof kNames / sizeof kNames[0]) ? kNames[e] : nullptr;
}

// Priorities: 0 lowest .. kMaxPriority highest; kDefaultPriority for tasks.
constexpr u32 kPriorities = 32;
constexpr u32 kMaxPriority = kPriorities - 1;
constexpr u32 kDefaultPriority = 16;

// Exit status of a task killed by the kernel: kStatusKilled + vector.
constexpr u64 kStatusKilled = 0x100;

// vm_alloc / vm_map / vm_protect protections.
constexpr u32 kProtRead = 0, kProtWrite = 1, kProtExec = 2;
// vm_map flag: pages of the range that are already mapped are replaced by
// fresh zeroed ones (the old frames are freed once every CPU has dropped
// them) instead of failing with kExists.
constexpr u32 kMapReplace = 0x100;

// How a system call entered the kernel: the instruction and the task's mode.
// Reported by the tracer and by the probe call.
enum EntryPath : u8 {
    kEntryInt80 = 0,       // int 0x80 from a 64-bit task
    kEntrySyscall = 1,     // SYSCALL (LSTAR)
    kEntrySysenter = 2,    // SYSENTER from a 64-bit task (Intel)
    kEntryInt80_32 = 3,    // int 0x80 from a 32-bit task
    kEntrySyscall32 = 4,   // SYSCALL from a 32-bit task (CSTAR, AMD)
    kEntrySysenter32 = 5,  // SYSENTER from a 32-bit task (Intel)
    kEntryPaths = 6,
};
inline constexpr const char* kEntryPathNames[kEntryPaths] = {"int80",    "syscall",   "sysenter",
                                                             "int80-32", "syscall32", "sysenter32"};
inline constexpr bool entry_path_compat(u8 path) { return path >= kEntryInt80_32; }

// What the probe (null) call computes from its six arguments: every bit of
// every argument moves the result, so a lost or swapped argument shows.
// The call returns (probe_mix(args) << 8) | EntryPath.
inline constexpr u64 probe_mix(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
    const u64 in[6] = {a0, a1, a2, a3, a4, a5};
    u64 h = 0xcbf29ce484222325ull;
    for (u64 v : in) {
        h ^= v;
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h & 0x00FFFFFFFFFFFFFFull;
}

// Fixed user addresses. The entry page (AT_SYSINFO) of 64-bit tasks sits
// well below the top of the lower half, so a task can map the last page
// below the canonical boundary itself (see docs/abi.md); a 32-bit task's
// entry page and stack are below 4 GiB.
constexpr u64 kEntryPage64 = 0x00007FFFFFE00000;
constexpr u64 kEntryPage32 = 0x00000000FFFFE000;
constexpr u64 kStackTop64 = 0x00007FFFFFFFF000;
constexpr u64 kStackTop32 = 0x00000000FFFFC000;
constexpr u64 kCompatTop = 0x0000000100000000;  // end of a 32-bit task's addresses
// Inside an entry page: the chosen entry function at offset 0, then each
// variant at (1 + EntryKind) * kEntryVariantStride: syscall, sysenter, int80.
constexpr u64 kEntryVariantStride = 64;
constexpr u64 kEntryOffsetSyscall = 1 * kEntryVariantStride;
constexpr u64 kEntryOffsetSysenter = 2 * kEntryVariantStride;
constexpr u64 kEntryOffsetInt80 = 3 * kEntryVariantStride;

// Auxiliary vector keys (the System V values).
constexpr u64 kAtNull = 0, kAtPhdr = 3, kAtPhent = 4, kAtPhnum = 5, kAtPagesz = 6, kAtEntry = 9,
              kAtSysinfo = 32;

}  // namespace abi
