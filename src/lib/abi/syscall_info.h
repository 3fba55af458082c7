// What is known about each system call besides its number: argument names
// and types, result type, flags. The table, abi::kSyscalls, is generated from
// syscalls.def into lib/abi/syscall_table.h; the kernel's dispatcher rebuilds
// arguments by these types (syscall_args.h) and the tracer prints them.
#pragma once

#include "lib/abi/syscall.h"

namespace abi {

// The argument and result types of syscalls.def (its header explains each).
enum class ArgType : u8 {
    kVoid,  // no value: the result of a noreturn call, an unused argument
    kU32,
    kI32,
    kU64,
    kI64,
    kBits32,  // u32 flags (printed in hex)
    kBits64,  // u64 masks (printed in hex)
    kUword,   // register width: 64 bits in a 64-bit task, 32 in a 32-bit one
    kUsize,   // a size
    kUptr,    // a user address as a number
    kInPtr,   // user memory the kernel reads
    kOutPtr,  // user memory the kernel writes
};

enum SyscallFlag : u8 {
    kSysFlagNoReturn = 1 << 0,    // never returns to the caller
    kSysFlagPrivileged = 1 << 1,  // privileged tasks (init) only
    kSysFlagEntryPath = 1 << 2,   // the handler is told the abi::EntryPath
    kSysFlagMessage = 1 << 3,     // an IPC call: message words beyond the arguments (lib/abi/ipc.h)
};

constexpr u32 kMaxSyscallArgs = 6;
// A 32-bit task passes six 32-bit slots (EBX, ECX, EDX, ESI, EDI, EBP).
constexpr u32 kCompatSlots = 6;

struct SyscallInfo {
    const char* name;
    u8 argc;
    u8 flags;  // SyscallFlag
    ArgType result;
    ArgType types[kMaxSyscallArgs];          // kVoid past argc
    const char* arg_names[kMaxSyscallArgs];  // nullptr past argc
};

// The 32-bit slots an argument of type t takes in a 32-bit task's call.
constexpr u32 compat_slots(ArgType t) {
    return t == ArgType::kU64 || t == ArgType::kI64 || t == ArgType::kBits64 ? 2 : 1;
}

constexpr u32 compat_slots(const SyscallInfo& call) {
    u32 n = 0;
    for (u32 i = 0; i < call.argc; i++) n += compat_slots(call.types[i]);
    return n;
}

// Traces print these types in hex, every other one in decimal.
constexpr bool prints_hex(ArgType t) {
    return t == ArgType::kBits32 || t == ArgType::kBits64 || t == ArgType::kUword || t == ArgType::kUptr ||
           t == ArgType::kInPtr || t == ArgType::kOutPtr;
}

constexpr bool is_signed(ArgType t) { return t == ArgType::kI32 || t == ArgType::kI64; }

}  // namespace abi
