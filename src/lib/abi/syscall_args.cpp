// Argument unpacking for the system call dispatcher (see syscall_args.h).
#include "lib/abi/syscall_args.h"

namespace abi {
namespace {

// A value of type t held in 64 bits, from the (at least) 32 or 64 bits given.
u64 narrow(ArgType t, u64 v) {
    switch (t) {
        case ArgType::kU32:
        case ArgType::kBits32:
            return v & 0xFFFFFFFF;
        case ArgType::kI32:
            return u64(i64(i32(u32(v))));
        default:
            return v;
    }
}

}  // namespace

void unpack_args(const SyscallInfo& call, const u64 (&raw)[kMaxSyscallArgs], bool compat,
                 u64 (&out)[kMaxSyscallArgs]) {
    for (u64& v : out) v = 0;
    u32 slot = 0;
    for (u32 i = 0; i < call.argc && i < kMaxSyscallArgs; i++) {
        ArgType t = call.types[i];
        if (!compat) {
            out[i] = narrow(t, raw[i]);
            continue;
        }
        // Checked again here so that a hand-built table cannot read past raw.
        if (slot + compat_slots(t) > kCompatSlots) break;
        u64 lo = raw[slot++] & 0xFFFFFFFF;
        out[i] = compat_slots(t) == 2 ? lo | (raw[slot++] & 0xFFFFFFFF) << 32 : narrow(t, lo);
    }
}

}  // namespace abi
