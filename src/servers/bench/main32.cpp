// bench32: the null-call figures of a 32-bit task (compatibility mode),
// started by `bench run` (main.cpp) once its own measurements are done.
//
//   bench32 [iters=N] [runs=R]
//       on every CPU in turn, from a thread pinned there, probe(0..0)
//       through each 32-bit way in:
//         null32_sysenter (Intel)  the entry page's SYSENTER stub
//         null32_syscall (AMD)     the entry page's SYSCALL stub (CSTAR)
//         null32_int80             INT 0x80
//         null32_page              the entry page's default function
//
// Same method and records as bench (`bench: op=... unit=tsc ...`): a loop
// of `iters` entries between serialised time stamps minus the same loop
// with the entry instruction replaced by a two-byte NOP, R + 1 runs with
// the first discarded, min/median/max of the rest.
#include "lib/kstd/string.h"
#include "lib/user/lstar.h"
#include "servers/bench/stats.h"

#if defined(__x86_64__)
#error "main32.cpp is the 32-bit benchmark"
#endif

// u64 bl32_NAME(u32 iters, u32 target, u32 nr): `iters` rounds of EAX = nr,
// EBX = ECX = EDX = 0 and one entry: INT 0x80 (cd 80), CALL ESI to `target`
// (ff d6), or the two-byte NOP 66 90. The kernel and the entry page keep
// ESI, EDI and EBP (docs/abi.md). Returns the time-stamp-counter ticks.
extern "C" {
u64 bl32_int80(u32 iters, u32 target, u32 nr);
u64 bl32_call(u32 iters, u32 target, u32 nr);
u64 bl32_nop(u32 iters, u32 target, u32 nr);
}
asm(R"(
    .text
    .macro BL32 name, kind
    .globl \name
    .type \name, @function
\name:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov 20(%esp), %edi
    mov 24(%esp), %esi
    lfence
    rdtsc
    lfence
    push %edx
    push %eax
    test %edi, %edi
    jz 2f
    .p2align 4
1:
    mov 36(%esp), %eax
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    .if \kind == 0
    int $0x80
    .elseif \kind == 1
    call *%esi
    .else
    .byte 0x66, 0x90
    .endif
    dec %edi
    jnz 1b
2:
    rdtscp
    lfence
    sub 0(%esp), %eax
    sbb 4(%esp), %edx
    add $8, %esp
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret
    .size \name, . - \name
    .endm

    BL32 bl32_int80, 0
    BL32 bl32_call, 1
    BL32 bl32_nop, 2
)");

namespace {

constexpr u32 kThreadPriority = 20;

u32 g_iters = 1000, g_runs = 5;
bool g_intel = false;
u32 g_page = 0;

bool intel_cpu() {
    u32 a, b, c, d;
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;  // "GenuineIntel"
}

using Loop = u64 (*)(u32, u32, u32);

void measure(const char* op, Loop loop, u32 target) {
    u64 per[bench::kMaxRuns];
    for (u32 r = 0; r <= g_runs; r++) {  // run 0 is discarded
        u64 t = loop(g_iters, target, abi::kSysProbe);
        u64 base = bl32_nop(g_iters, target, abi::kSysProbe);
        if (r > 0) per[r - 1] = (t > base ? t - base : 0) / g_iters;
    }
    bench::Figures f = bench::summarise(per, g_runs);
    u32 cpu = lstar::cpu_id();
    lstar::printf("bench: op=%s cpu=%u peer=%u unit=tsc iters=%u runs=%u min=%u median=%u max=%u\n", op, cpu, cpu,
                  g_iters, g_runs, u32(f.min), u32(f.median), u32(f.max));
}

void run_cpu(u64 cpu) {
    if (lstar::cpu_id() != u32(cpu)) {
        lstar::printf("bench: error what=pinned32 result=%u\n", lstar::cpu_id());
        lstar::thread_exit(1);
    }
    if (g_intel) measure("null32_sysenter", bl32_call, g_page + u32(abi::kEntryOffsetSysenter));
    else measure("null32_syscall", bl32_call, g_page + u32(abi::kEntryOffsetSyscall));
    measure("null32_int80", bl32_int80, 0);
    measure("null32_page", bl32_call, g_page);
    lstar::thread_exit(0);
}

}  // namespace

int main(int argc, char** argv) {
    u64 v = 0;
    for (int i = 1; i < argc; i++) {
        if (lstar::arg_u64(argv[i], "iters", v)) g_iters = u32(v);
        if (lstar::arg_u64(argv[i], "runs", v)) g_runs = u32(v);
    }
    if (g_iters == 0 || g_runs == 0 || g_runs > bench::kMaxRuns) {
        lstar::printf("bench: error what=usage32 result=-1\n");
        return 2;
    }
    g_intel = intel_cpu();
    g_page = u32(lstar::aux(abi::kAtSysinfo));
    u32 failed = 0;
    for (u32 cpu = 0; cpu < lstar::cpu_count(); cpu++) {
        i64 tid = lstar::thread_create(run_cpu, 0, cpu, kThreadPriority, u64(1) << cpu);
        if (tid < 0 || lstar::thread_join(u64(tid)) != 0) failed++;
    }
    return failed == 0 ? 0 : 1;
}
