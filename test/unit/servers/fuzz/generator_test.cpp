// Host tests of the fuzzer's call generator and judge (src/servers/fuzz):
// the stream is a pure function of (seed, thread index); boundary values
// show up; slots, addresses and timeouts stay inside the limits that keep
// the fuzzer alive; pointers follow the argument types of abi::kSyscalls;
// and the judge tells known errors, violations and sensible results apart.
#include <set>

#include "lib/abi/syscall_table.h"
#include "servers/fuzz/generator.h"
#include "servers/fuzz/outcome.h"

#include <CppUTest/TestHarness.h>

using namespace fuzz;

namespace {

constexpr u64 kScratch = 0x600000, kScratchBytes = 8192, kIpc = 0x603000, kReadonly = 0x450000;
constexpr u64 kWindow = 0x300000000000ull, kWindowBytes = 8ull << 20;
constexpr u64 kEntry = 0x401234, kStacks = 0x610000, kStackBytes = 4096;
constexpr u64 kUserTop = 0x0000800000000000ull;
constexpr u32 kCalls = 200000;

Layout layout() {
    Layout l{};
    l.scratch = kScratch;
    l.scratch_bytes = kScratchBytes;
    l.ipc_buffer = kIpc;
    l.window = kWindow;
    l.window_bytes = kWindowBytes;
    l.readonly = kReadonly;
    l.child_entry = kEntry;
    l.stacks = kStacks;
    l.stack_bytes = kStackBytes;
    l.online_mask = 0xF;
    l.workers = 8;
    return l;
}

bool in_scratch(u64 a, u64 n) { return a >= kScratch && a + n <= kScratch + kScratchBytes; }
bool in_window(u64 a, u64 n) { return a >= kWindow && a + n <= kWindow + kWindowBytes; }

template <typename F>
void each_call(u64 seed, u32 index, F f) {
    Generator g(seed, index, layout());
    for (u32 i = 0; i < kCalls; i++) f(g.next());
}

bool known(const CallSpec& c) { return c.nr < abi::kSysCount; }

}  // namespace

TEST_GROUP(FuzzGenerator){};

TEST(FuzzGenerator, SameSeedAndIndexSameStream) {
    Generator a(0x1234, 3, layout()), b(0x1234, 3, layout());
    u64 ha = kHashStart, hb = kHashStart;
    for (u32 i = 0; i < 5000; i++) {
        CallSpec x = a.next(), y = b.next();
        CHECK_EQUAL(x.nr, y.nr);
        CHECK_EQUAL(u32(x.path), u32(y.path));
        for (u32 r = 0; r < kRegs; r++) CHECK_EQUAL(x.regs[r], y.regs[r]);
        ha = hash_call(ha, x);
        hb = hash_call(hb, y);
    }
    CHECK_EQUAL(ha, hb);
}

TEST(FuzzGenerator, OtherSeedOrIndexOtherStream) {
    auto hash = [](u64 seed, u32 index) {
        Generator g(seed, index, layout());
        u64 h = kHashStart;
        for (u32 i = 0; i < 1000; i++) h = hash_call(h, g.next());
        return h;
    };
    std::set<u64> seen{hash(1, 0), hash(1, 1), hash(2, 0), hash(2, 1), hash(0, 0)};
    CHECK_EQUAL(5u, seen.size());
}

TEST(FuzzGenerator, BoundaryValuesAndEveryPathAppear) {
    std::set<u64> values;
    std::set<u32> paths, calls;
    u32 unknown = 0, shutdown = 0;
    each_call(7, 0, [&](const CallSpec& c) {
        paths.insert(u32(c.path));
        if (!known(c)) {
            unknown++;
            return;
        }
        calls.insert(u32(c.nr));
        if (c.nr == abi::kSysShutdown) shutdown++;
        for (u32 i = 0; i < abi::kSyscalls[c.nr].argc; i++) values.insert(c.regs[i]);
    });
    const u64 wanted[] = {0, 1, ~0ull, 0x7fffffff, 0x80000000, 0xffffffff, 1ull << 63,
                          0xffff800000000000ull, 0xffffffff80000000ull, 0x0000800000000000ull};
    for (u64 v : wanted) CHECK_TRUE_TEXT(values.count(v), "boundary value missing");
    CHECK_EQUAL(u32(Path::kCount), paths.size());
    CHECK(unknown > kCalls / 100);
    CHECK(shutdown > 0);
    // Every call but the two that end the caller.
    CHECK_EQUAL(abi::kSysCount - 2, calls.size());
    CHECK_FALSE(calls.count(abi::kSysThreadExit) || calls.count(abi::kSysTaskExit));
}

TEST(FuzzGenerator, SlotsNeverDestroyOwnCapabilities) {
    std::set<u64> destroyed;
    each_call(11, 2, [&](const CallSpec& c) {
        if (!known(c) || c.privileged) return;
        const abi::SyscallInfo& info = abi::kSyscalls[c.nr];
        for (u32 i = 0; i < info.argc; i++) {
            if (info.types[i] != abi::ArgType::kUword || !is_slot_arg(info.arg_names[i])) continue;
            u64 s = c.regs[i];
            bool destroy = c.nr == abi::kSysCapDelete || c.nr == abi::kSysCapRevoke ||
                           (c.nr == abi::kSysCapMove && i == 0);
            bool dst = std::string(info.arg_names[i]) == "dst";
            if (destroy || dst) {
                CHECK_TRUE_TEXT(s == 0 || s >= kFuzzFirst, "own or low slot destroyed or overwritten");
                if (destroy) destroyed.insert(s);
            }
            if (s >= abi::kCapSlots) CHECK_TRUE_TEXT(c.certain_error, "out-of-range slot not a certain error");
        }
    });
    CHECK_TRUE(destroyed.count(abi::kCapSlots) || destroyed.count(~0ull));
    CHECK(destroyed.size() > 150);  // the fuzz range is covered
}

TEST(FuzzGenerator, MemoryCallsStayInTheWindowOrAreInvalid) {
    u32 inside = 0, invalid = 0;
    each_call(5, 1, [&](const CallSpec& c) {
        if (!known(c) || c.privileged) return;
        if (c.nr != abi::kSysVmMap && c.nr != abi::kSysVmUnmap && c.nr != abi::kSysVmProtect) return;
        u64 addr = c.regs[kRdi], bytes = c.regs[kRsi];
        if (c.certain_error) {
            bool bad = addr % 4096 || addr >= kUserTop || bytes > kUserTop - addr ||
                       (c.nr != abi::kSysVmUnmap && (c.regs[kRdx] & ~u64(3 | abi::kMapReplace)));
            CHECK_TRUE_TEXT(bad, "a certain error that is not one");
            // Unaligned ones only inside the window, where nothing is.
            if (addr < kUserTop && addr % 4096) CHECK_TRUE(in_window(addr & ~u64(4095), 1));
            invalid++;
        } else {
            CHECK_TRUE_TEXT(in_window(addr, bytes), "a valid range outside the window");
            inside++;
        }
    });
    CHECK(inside > 1000);
    CHECK(invalid > 200);
}

TEST(FuzzGenerator, PointersFollowTheArgumentTypes) {
    u32 scratch_out = 0, bad_out = 0, in_any = 0;
    each_call(9, 0, [&](const CallSpec& c) {
        if (!known(c) || c.privileged) return;
        const abi::SyscallInfo& info = abi::kSyscalls[c.nr];
        for (u32 i = 0; i < info.argc; i++) {
            u64 p = c.regs[i];
            bool has_len = i + 1 < info.argc && std::string(info.arg_names[i + 1]) == "len";
            u64 len = has_len ? c.regs[i + 1] : 512;
            if (info.types[i] == abi::ArgType::kOutPtr) {
                // Written memory: the scratch buffer (with the length inside
                // it), the window, or an address where writing must fail.
                if (in_scratch(p, 1)) {
                    CHECK_TRUE_TEXT(in_scratch(p, len), "an out_ptr length past the scratch buffer");
                    scratch_out++;
                } else if (!in_window(p, 1)) {
                    CHECK_TRUE_TEXT(c.certain_error || len == 0, "a bad out_ptr not marked as an error");
                    bad_out++;
                }
            }
            if (info.types[i] == abi::ArgType::kInPtr && !in_scratch(p, 1)) in_any++;
        }
        if (c.nr == abi::kSysDebugWrite && c.regs[kRdi] < kUserTop && c.regs[kRdi] >= 0x400000 &&
            (c.regs[kRdi] < 0x400000000000ull || c.regs[kRdi] >= 0x400000100000ull))
            CHECK_EQUAL_TEXT(0u, c.regs[kRsi], "debug_write of readable memory with a length");
        if (c.nr == abi::kSysKlogRead) CHECK_TRUE(c.certain_error && c.regs[kRsi] > 0);
    });
    CHECK(scratch_out > 1000);
    CHECK(bad_out > 500);
    CHECK(in_any > 100);
}

TEST(FuzzGenerator, NothingBlocksForever) {
    each_call(13, 4, [&](const CallSpec& c) {
        if (!known(c) || c.privileged) return;
        switch (c.nr) {
        case abi::kSysSleep: CHECK(c.regs[kRdi] <= kMaxSleepNs); break;
        case abi::kSysIpcSend:
        case abi::kSysIpcCall:
            CHECK(c.regs[kRsi] & abi::kTagTimeout);
            CHECK(c.timeout_ns <= kMaxTimeoutNs);
            if (c.nr == abi::kSysIpcCall) CHECK(c.timeout_ns > 0);
            break;
        case abi::kSysIpcRecv:
            if (c.regs[kRdi] != kSlotPing && !c.certain_error)
                CHECK(c.regs[kRsi] & (abi::kRecvNonBlocking | abi::kRecvTimeout));
            break;
        case abi::kSysIpcReplyRecv: CHECK(c.regs[kRdi] == kSlotPing || c.certain_error); break;
        case abi::kSysNotifyWait:
            if (c.regs[kRdi] != kSlotPingNote && !c.certain_error) CHECK(c.regs[kRsi] & abi::kRecvNonBlocking);
            break;
        case abi::kSysThreadJoin:
            // Never a sibling worker (two could wait for each other).
            CHECK(c.refs[kRdi] != Ref::kWorker);
            if (c.refs[kRdi] == Ref::kNone) CHECK(c.regs[kRdi] >= 0x100000000ull || c.regs[kRdi] == 0);
            break;
        case abi::kSysThreadCreate:
            if (!c.certain_error) CHECK_EQUAL(kEntry, c.regs[kRdi]);
            break;
        case abi::kSysKlogRead: CHECK(c.certain_error); break;
        default: break;
        }
    });
}

TEST(FuzzGenerator, VmAllocStaysWithinItsBudget) {
    u64 total = 0;
    each_call(17, 0, [&](const CallSpec& c) {
        if (known(c) && c.nr == abi::kSysVmAlloc && !c.certain_error) total += c.regs[kRdi];
    });
    CHECK(total > 0);
    CHECK(total <= kVmAllocBudget);
}

TEST_GROUP(FuzzJudge) {
    Context ctx{4, 77, abi::kEntrySyscall};
    CallSpec spec(u64 nr) {
        CallSpec c{};
        c.nr = nr;
        c.privileged = nr < abi::kSysCount && (abi::kSyscalls[nr].flags & abi::kSysFlagPrivileged);
        return c;
    }
    Outcome judge_of(const CallSpec& c, i64 r) {
        const char* why;
        return judge(c, c.regs, r, ctx, &why);
    }
};

TEST(FuzzJudge, KnownErrorsAndUnknownOnes) {
    CallSpec c = spec(abi::kSysYield);
    CHECK(judge_of(c, -i64(abi::kInvalid)) == Outcome::kError);
    CHECK(judge_of(c, -i64(abi::kWouldBlock)) == Outcome::kError);
    CHECK(judge_of(c, -16) == Outcome::kViolation);
    CHECK(judge_of(c, -4095) == Outcome::kViolation);
    CHECK(judge_of(c, 0) == Outcome::kOk);
}

TEST(FuzzJudge, PrivilegedAndUnknownCalls) {
    CallSpec c = spec(abi::kSysSpawn);
    CHECK(judge_of(c, -i64(abi::kPermission)) == Outcome::kError);
    CHECK(judge_of(c, -i64(abi::kInvalid)) == Outcome::kViolation);
    CHECK(judge_of(c, 3) == Outcome::kViolation);
    CallSpec u = spec(abi::kSysCount + 7);
    u.unknown_nr = true;
    CHECK(judge_of(u, -i64(abi::kNoSys)) == Outcome::kError);
    CHECK(judge_of(u, 0) == Outcome::kViolation);
}

TEST(FuzzJudge, CertainErrorsMustFail) {
    CallSpec c = spec(abi::kSysCapInfo);
    c.certain_error = true;
    CHECK(judge_of(c, -i64(abi::kFault)) == Outcome::kError);
    CHECK(judge_of(c, 0) == Outcome::kViolation);
}

TEST(FuzzJudge, ResultsThatMustMakeSense) {
    CallSpec p = spec(abi::kSysProbe);
    for (u32 i = 0; i < 6; i++) p.regs[i] = 0x1111 * (i + 1);
    u64 mix = abi::probe_mix(p.regs[0], p.regs[1], p.regs[2], p.regs[3], p.regs[4], p.regs[5]);
    CHECK(judge_of(p, i64(mix << 8 | abi::kEntrySyscall)) == Outcome::kOk);
    CHECK(judge_of(p, i64(mix << 8 | abi::kEntryInt80)) == Outcome::kViolation);
    CHECK(judge_of(p, i64((mix ^ 1) << 8 | abi::kEntrySyscall)) == Outcome::kViolation);
    CHECK(judge_of(spec(abi::kSysCpuId), 3) == Outcome::kOk);
    CHECK(judge_of(spec(abi::kSysCpuId), 4) == Outcome::kViolation);
    CHECK(judge_of(spec(abi::kSysThreadSelf), 78) == Outcome::kViolation);
    CHECK(judge_of(spec(abi::kSysThreadCreate), 431) == Outcome::kOk);
    CHECK(judge_of(spec(abi::kSysThreadCreate), 0x6b6b6b6b6b6b6b6b) == Outcome::kViolation);
    CallSpec e = spec(abi::kSysEndpointCreate);
    e.regs[kRdi] = 100;
    CHECK(judge_of(e, 100) == Outcome::kOk);
    CHECK(judge_of(e, 101) == Outcome::kViolation);
    e.regs[kRdi] = 0;
    CHECK(judge_of(e, 17) == Outcome::kOk);
    CHECK(judge_of(e, 256) == Outcome::kViolation);
    CallSpec m = spec(abi::kSysVmMap);
    m.regs[kRdi] = kWindow;
    CHECK(judge_of(m, i64(kWindow)) == Outcome::kOk);
    CHECK(judge_of(m, i64(kWindow + 4096)) == Outcome::kViolation);
}
