// What the fuzzer accepts as the answer to a generated call: a success that
// makes sense for the call, or one of the known error codes, never a
// success where an argument made an error certain. Freestanding; host-tested.
#pragma once

#include "lib/kstd/types.h"
#include "servers/fuzz/generator.h"

namespace fuzz {

enum class Outcome : u8 { kOk, kError, kViolation };

// What the judge needs to know about the caller.
struct Context {
    u32 cpus;       // online CPUs
    u64 self_tid;   // the calling thread
    int path;       // the abi::EntryPath the call must have taken, -1: any 64-bit one
};

// regs: the registers as passed (references resolved). On a violation,
// *why names the rule that was broken.
Outcome judge(const CallSpec& c, const u64* regs, i64 result, const Context& ctx, const char** why);

// A negative result that is one of abi::Error's codes.
inline bool known_error(i64 r) { return r <= -i64(abi::kInvalid) && r >= -i64(abi::kWouldBlock); }

}  // namespace fuzz
