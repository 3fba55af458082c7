// Entry-path mix: one thread pinned to each CPU calls probe (the null call:
// (abi::probe_mix(args) << 8) | the path it came by) with random arguments
// through every way into the kernel, chosen at random each call: SYSCALL,
// SYSENTER (Intel only: AMD CPUs raise #UD for it in long mode), int 0x80,
// each executed here, and the entry page's function. Each result must
// carry the right mix and the right path; the entry page's path is the one
// the kernel chose at boot, the same for every call.
#include "lib/abi/syscall.h"
#include "lib/user/entry.h"
#include "lib/user/lstar.h"
#include "servers/stress/suite.h"

extern "C" {
u64 stress_syscall(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
u64 stress_int80(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
u64 stress_sysenter(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
}

// SysV in: nr RDI, a0..a4 RSI RDX RCX R8 R9, a5 on the stack; the kernel's
// convention: nr RAX, arguments RDI RSI RDX R10 R8 R9 (docs/abi.md).
// SYSENTER follows the entry page stub's convention: RDX pushed, RCX = the
// stack; the kernel returns to the page's landing, which pops RDX and
// returns, here to the instruction after `call 1f`.
asm(R"(
    .text
.macro STRESS_ARGS
    mov %rdi, %rax
    mov %rsi, %rdi
    mov %rdx, %rsi
    mov %rcx, %rdx
    mov %r8, %r10
    mov %r9, %r8
    mov 8(%rsp), %r9
.endm
    .globl stress_syscall
stress_syscall:
    STRESS_ARGS
    syscall
    ret
    .globl stress_int80
stress_int80:
    STRESS_ARGS
    int $0x80
    ret
    .globl stress_sysenter
stress_sysenter:
    STRESS_ARGS
    call 1f
    ret
1:  push %rdx
    mov %rsp, %rcx
    sysenter
)");

namespace stress {
namespace {

enum Way : u32 { kWaySyscall, kWaySysenter, kWayInt80, kWayPage, kWays };

struct PerCpu {
    u64 calls[kWays];
    u64 bad;
    u64 first_bad;
};

PerCpu g_per_cpu[kMaxCpus];
bool g_intel;
u8 g_page_path = 0xff;

bool intel_cpu() {
    u32 a, b, c, d;
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;  // "GenuineIntel"
}

void caller(ThreadCtx& ctx) {
    PerCpu& pc = g_per_cpu[ctx.arg];
    Rng rng = stream_rng(g_run.seed, 0x5000 + ctx.arg);
    const u32 allowed_page = 1u << abi::kEntrySyscall | 1u << abi::kEntryInt80 | (g_intel ? 1u << abi::kEntrySysenter : 0);
    for (u64 n = 0; !stopping(); ++n) {
        u64 a[6];
        for (u64& x : a) x = rng.next();
        Way way = Way(rng.below(kWays));
        if (way == kWaySysenter && !g_intel) way = kWaySyscall;
        u64 got = 0;
        bool ok = false;
        switch (way) {
            case kWaySyscall:
                got = stress_syscall(abi::kSysProbe, a[0], a[1], a[2], a[3], a[4], a[5]);
                ok = got == probe_expected(a, abi::kEntrySyscall);
                break;
            case kWaySysenter:
                got = stress_sysenter(abi::kSysProbe, a[0], a[1], a[2], a[3], a[4], a[5]);
                ok = got == probe_expected(a, abi::kEntrySysenter);
                break;
            case kWayInt80:
                got = stress_int80(abi::kSysProbe, a[0], a[1], a[2], a[3], a[4], a[5]);
                ok = got == probe_expected(a, abi::kEntryInt80);
                break;
            default:
                got = u64(lstar_syscall6(abi::kSysProbe, a[0], a[1], a[2], a[3], a[4], a[5]));
                ok = probe_page_ok(got, a, allowed_page, &g_page_path);
                break;
        }
        pc.calls[way]++;
        if (!ok) {
            if (pc.bad++ == 0) pc.first_bad = got;
        }
        if (n % 16 == 15) lstar::yield();
    }
}

}  // namespace

bool entry_start(Workload& w) {
    g_intel = intel_cpu();
    bool ok = true;
    for (u32 c = 0; c < g_run.cpus; ++c) ok = spawn(w, caller, c, c, kSpinPriority, cpu_bit(c)) >= 0 && ok;
    return ok;
}

void entry_stop(u64) {}

void entry_report(bool) {
    u64 calls[kWays] = {}, bad = 0, first_bad = 0;
    for (u32 c = 0; c < g_run.cpus; ++c) {
        const PerCpu& pc = g_per_cpu[c];
        for (u32 k = 0; k < kWays; ++k) calls[k] += pc.calls[k];
        if (pc.bad && !bad) first_bad = pc.first_bad;
        bad += pc.bad;
        if (pc.calls[kWaySyscall] + pc.calls[kWayInt80] + pc.calls[kWayPage] == 0) fail("entry cpu=%u no calls", c);
    }
    lstar::printf("stress: entry syscall=%lu sysenter=%lu int80=%lu page=%lu bad=%lu\n", calls[kWaySyscall],
                  calls[kWaySysenter], calls[kWayInt80], calls[kWayPage], bad);
    if (bad) fail("entry bad=%lu first_result=0x%lx", bad, first_bad);
    if (calls[kWaySyscall] == 0 || calls[kWayInt80] == 0 || calls[kWayPage] == 0 ||
        (g_intel && calls[kWaySysenter] == 0))
        fail("entry no progress on a path");
}

}  // namespace stress
