// The fuzzer's judge of results (outcome.h).
#include "servers/fuzz/outcome.h"

#include "lib/abi/ipc.h"
#include "lib/abi/syscall_table.h"

namespace fuzz {

namespace {

constexpr u64 kPage = 4096;
constexpr u64 kVmBase = 0x0000100000000000ull;  // where vm_alloc hands out memory (docs/tasks.md)
constexpr u64 kVmWindow = 256ull << 20;

Outcome violation(const char* reason, const char** why) {
    *why = reason;
    return Outcome::kViolation;
}

// Calls that put a capability in a slot return the slot: the one asked
// for, or any if 0 was.
bool fills_slot(u64 nr, u32& dst_reg) {
    switch (nr) {
    case abi::kSysEndpointCreate:
    case abi::kSysNotificationCreate:
    case abi::kSysIpcReplySave: dst_reg = kRdi; return true;
    case abi::kSysCapCopy:
    case abi::kSysCapMint:
    case abi::kSysCapNarrow:
    case abi::kSysCapMove: dst_reg = kRsi; return true;
    default: return false;
    }
}

u64 pages_in(u64 addr, u64 bytes) { return ((addr % kPage) + bytes + kPage - 1) / kPage; }

}  // namespace

Outcome judge(const CallSpec& c, const u64* regs, i64 result, const Context& ctx, const char** why) {
    *why = "";
    if (c.unknown_nr)
        return result == -i64(abi::kNoSys) ? Outcome::kError : violation("unknown-call-not-nosys", why);
    if (c.privileged)
        return result == -i64(abi::kPermission) ? Outcome::kError : violation("privileged-not-refused", why);
    if (c.nr == abi::kSysProbe) {
        // The whole 64-bit result is the answer (it may look negative).
        u64 r = u64(result), mix = abi::probe_mix(regs[0], regs[1], regs[2], regs[3], regs[4], regs[5]);
        if (r >> 8 != mix) return violation("probe-arguments", why);
        u8 path = u8(r);
        bool ok = ctx.path < 0 ? path <= abi::kEntrySysenter : path == u8(ctx.path);
        return ok ? Outcome::kOk : violation("probe-path", why);
    }
    if (result < 0) return known_error(result) ? Outcome::kError : violation("unknown-error", why);
    if (c.certain_error) return violation("success-with-bad-argument", why);
    u64 r = u64(result);
    u32 dst_reg;
    if (fills_slot(c.nr, dst_reg)) {
        u64 dst = regs[dst_reg];
        if (r == 0 || r >= abi::kCapSlots || (dst != 0 && r != dst)) return violation("slot-result", why);
        return Outcome::kOk;
    }
    switch (c.nr) {
    case abi::kSysCpuId:
        if (r >= ctx.cpus) return violation("cpu-id", why);
        break;
    case abi::kSysCpuCount:
        if (r != ctx.cpus) return violation("cpu-count", why);
        break;
    case abi::kSysThreadSelf:
        if (r != ctx.self_tid) return violation("thread-self", why);
        break;
    case abi::kSysVmMap:
        if (r != regs[kRdi]) return violation("vm-map-address", why);
        break;
    case abi::kSysVmAlloc:
        if (r % kPage || r < kVmBase || r - kVmBase >= kVmWindow) return violation("vm-alloc-address", why);
        break;
    case abi::kSysVmUnmap:
    case abi::kSysVmProtect:
        if (r > pages_in(regs[kRdi], regs[kRsi])) return violation("vm-page-count", why);
        break;
    case abi::kSysThreadCreate:
        // Thread ids count up from 1: one past 2^32 is garbage (freed memory).
        if (r == 0 || r >> 32) return violation("thread-id", why);
        break;
    default: break;
    }
    return Outcome::kOk;
}

}  // namespace fuzz
