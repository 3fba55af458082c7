// stress32: the entry-path mix of the stress suite as a 32-bit task, in
// compatibility mode. `stress32 seconds=S seed=X`: one thread pinned to each
// CPU calls probe with random arguments through, at random, the entry
// page's function, `int 0x80`, and the fast instruction the CPU has for
// 32-bit code: SYSENTER on Intel, SYSCALL (through CSTAR) on AMD, each
// executed here with the entry page stub's convention (docs/abi.md). Each
// result (EDX:EAX) must carry probe_mix of the zero-extended arguments and
// the path. Prints
//   stress32: done calls=.. sysenter=.. int80=.. syscall32=.. bad=.. verdict=pass|fail
// and exits 0 iff no result was wrong and every path available was used.
#include "lib/abi/syscall.h"
#include "lib/kstd/string.h"
#include "lib/user/entry.h"
#include "lib/user/lstar.h"
#include "servers/stress/check.h"

extern "C" {
u64 stress32_int80(u32 nr, u32 a0, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5);
u64 stress32_sysenter(u32 nr, u32 a0, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5);
u64 stress32_syscall(u32 nr, u32 a0, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5);
}

// cdecl in; the kernel's 32-bit convention: nr EAX, arguments EBX ECX EDX
// ESI EDI EBP, result EDX:EAX.
//   SYSENTER: ECX and EBP pushed, EBP = the stack; the kernel returns to
//     the page's landing, which restores them and returns, here to the
//     instruction after `call 1f`.
//   SYSCALL: the sixth argument pushed, the second moved to EBP (SYSCALL
//     takes ECX for the return address).
asm(R"(
    .text
.macro S32_IN
    push %ebp
    push %edi
    push %esi
    push %ebx
    mov 20(%esp), %eax
    mov 24(%esp), %ebx
    mov 28(%esp), %ecx
    mov 32(%esp), %edx
    mov 36(%esp), %esi
    mov 40(%esp), %edi
    mov 44(%esp), %ebp
.endm
.macro S32_OUT
    pop %ebx
    pop %esi
    pop %edi
    pop %ebp
    ret
.endm
    .globl stress32_int80
stress32_int80:
    S32_IN
    int $0x80
    S32_OUT
    .globl stress32_sysenter
stress32_sysenter:
    S32_IN
    call 1f
    S32_OUT
1:  push %ecx
    push %ebp
    mov %esp, %ebp
    sysenter
    .globl stress32_syscall
stress32_syscall:
    S32_IN
    push %ebp
    mov %ecx, %ebp
    syscall
    mov %ebp, %ecx
    pop %ebp
    S32_OUT
)");

namespace {

using stress::Rng;

enum Way : u32 { kWayPage, kWayInt80, kWayFast, kWays };

struct PerCpu {
    u64 calls[kWays];
    u64 bad;
    u64 first_bad;
};

PerCpu g_per_cpu[64];
bool g_intel;
u8 g_page_path = 0xff;
u64 g_seed = 1;
volatile u32 g_stop;

bool intel_cpu() {
    u32 a, b, c, d;
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;  // "GenuineIntel"
}

void caller(u64 cpu) {
    PerCpu& pc = g_per_cpu[cpu];
    Rng rng = stress::stream_rng(g_seed, 0x7000 + cpu);
    const u32 allowed_page = 1u << abi::kEntryInt80_32 | 1u << (g_intel ? abi::kEntrySysenter32 : abi::kEntrySyscall32);
    for (u64 n = 0; !__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE); ++n) {
        u32 a32[6];
        u64 a[6];
        for (int i = 0; i < 6; ++i) a[i] = a32[i] = u32(rng.next());
        const Way way = Way(rng.below(kWays));
        u64 got = 0;
        bool ok = false;
        switch (way) {
            case kWayInt80:
                got = stress32_int80(abi::kSysProbe, a32[0], a32[1], a32[2], a32[3], a32[4], a32[5]);
                ok = got == stress::probe_expected(a, abi::kEntryInt80_32);
                break;
            case kWayFast:
                if (g_intel) {
                    got = stress32_sysenter(abi::kSysProbe, a32[0], a32[1], a32[2], a32[3], a32[4], a32[5]);
                    ok = got == stress::probe_expected(a, abi::kEntrySysenter32);
                } else {
                    got = stress32_syscall(abi::kSysProbe, a32[0], a32[1], a32[2], a32[3], a32[4], a32[5]);
                    ok = got == stress::probe_expected(a, abi::kEntrySyscall32);
                }
                break;
            default:
                got = lstar_syscall6_32(abi::kSysProbe, a32[0], a32[1], a32[2], a32[3], a32[4], a32[5]);
                ok = stress::probe_page_ok(got, a, allowed_page, &g_page_path);
                break;
        }
        pc.calls[way]++;
        if (!ok && pc.bad++ == 0) pc.first_bad = got;
        if (n % 16 == 15) lstar::yield();
    }
    lstar::thread_exit(0);
}

}  // namespace

int main(int argc, char** argv) {
    u64 seconds = 10;
    for (int i = 1; i < argc; ++i) {
        lstar::arg_u64(argv[i], "seconds", seconds);
        lstar::arg_u64(argv[i], "seed", g_seed);
    }
    const u32 cpus = lstar::cpu_count();
    if (seconds == 0 || seconds > 3600 || cpus == 0 || cpus > 64) {
        lstar::printf("stress32: error usage: stress32 seconds=1..3600 seed=X (cpus=%u)\n", cpus);
        return 2;
    }
    g_intel = intel_cpu();
    lstar::set_priority(0, abi::kDefaultPriority + 2);
    i64 tids[64];
    for (u32 c = 0; c < cpus; ++c)
        tids[c] = lstar::thread_create(caller, 0, c, abi::kDefaultPriority, u64(1) << c);
    const u64 end = lstar::time_ns() + seconds * 1'000'000'000;
    for (u64 now = lstar::time_ns(); now < end; now = lstar::time_ns())
        lstar::sleep_ns(end - now < 50'000'000 ? end - now : 50'000'000);
    __atomic_store_n(&g_stop, 1u, __ATOMIC_RELEASE);
    u64 calls = 0, bad = 0, first_bad = 0, per_way[kWays] = {};
    u32 failed_threads = 0;
    for (u32 c = 0; c < cpus; ++c) {
        if (tids[c] < 0 || lstar::thread_join(u64(tids[c])) != 0) failed_threads++;
        const PerCpu& pc = g_per_cpu[c];
        for (u32 k = 0; k < kWays; ++k) {
            per_way[k] += pc.calls[k];
            calls += pc.calls[k];
        }
        if (pc.bad && !bad) first_bad = pc.first_bad;
        bad += pc.bad;
    }
    const u64 sysenter = g_intel ? per_way[kWayFast] : 0, syscall32 = g_intel ? 0 : per_way[kWayFast];
    const bool pass = bad == 0 && failed_threads == 0 && per_way[kWayInt80] > 0 && per_way[kWayFast] > 0 &&
                      per_way[kWayPage] > 0;
    if (bad) lstar::printf("stress32: bad first_result=0x%llx\n", first_bad);
    lstar::printf("stress32: done calls=%llu sysenter=%llu int80=%llu syscall32=%llu bad=%llu verdict=%s\n", calls,
                  sysenter, per_way[kWayInt80], syscall32, bad, pass ? "pass" : "fail");
    return pass ? 0 : 1;
}
