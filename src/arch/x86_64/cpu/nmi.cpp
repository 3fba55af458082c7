// NMI handling and stopping CPUs. Runs through the paranoid entry on IST1
// with GS already pointing at this CPU's block, so it may use this_cpu()
// wherever the NMI landed. Every NMI but the stop one is classified by where
// it landed and checked against the GS base it found (cpu/nmi_place.h).
//
// An NMI can land anywhere, holding any lock: the handler takes none. Its
// counters are this CPU's own, its lines go through klog, whose ring and
// console both let the CPU that holds them print on (log.cpp, serial.cpp).
#include "arch/x86_64/apic/lapic.h"
#include "arch/x86_64/cpu/interrupts.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/nmi_place.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/smp/smp.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/trace/trace.h"
#include "lib/cmdline.h"
#include "lib/kstd/utility.h"

extern "C" char __entry_text_start[], __entry_text_end[];
extern "C" char x86_sysexit64_insn[], x86_sysexit32_insn[];

namespace x86 {
namespace {

u64 g_nmi_log = ~0ull;  // nmi_log=N: the per-NMI line for the first N of each CPU
u64 g_nmi_ipi_rate = 0;  // nmi_ipi=R: NMI IPIs per second per CPU
u64 g_seed = 0;
constexpr u64 kWrongGsLines = 16;  // nmi-wrong-gs lines per CPU at most

// Classifies and counts one NMI (the caller knows it is not the stop one).
void classify(CpuLocal& c, const TrapFrame& f) {
    NmiSample s{f.cs,
                f.rip,
                c.paranoid_gs,
                rdmsr(kMsrKernelGsBase),
                reinterpret_cast<u64>(&c),
                reinterpret_cast<u64>(__entry_text_start),
                reinterpret_cast<u64>(__entry_text_end)};
    NmiVerdict v = classify_nmi(s);
    __atomic_fetch_add(&c.nmi_places[v.place], 1, __ATOMIC_RELAXED);
    if (!v.wrong_gs) return;
    u64 n = __atomic_add_fetch(&c.nmi_wrong_gs, 1, __ATOMIC_RELAXED);
    if (n <= kWrongGsLines)
        klog::report("nmi-wrong-gs", "cpu=%u rip=0x%lx cs=0x%lx found=0x%lx kernel_gs=0x%lx own=0x%lx", c.cpu_id,
                     f.rip, f.cs, s.found_gs, s.kernel_gs, s.own);
}

u32 g_stopper = 0;  // CPU number + 1 of the CPU stopping the others, 0 if none
u32 g_stop_printer = 0;  // CPU number + 1 printing its stop report
constexpr u64 kStopWaitMs = 500;

[[noreturn]] void stop_this_cpu(const TrapFrame& f) {
    CpuLocal& c = this_cpu();
    // One report at a time, so backtraces do not interleave; bounded, in case
    // a CPU dies mid-report.
    u32 expected = 0;
    for (u64 spins = 0; spins < 100000000; spins++) {
        if (__atomic_compare_exchange_n(&g_stop_printer, &expected, c.cpu_id + 1, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            break;
        expected = 0;
        pause();
    }
    klog::report("cpu-stopped", "cpu=%u by=%u rip=0x%lx rsp=0x%lx", c.cpu_id, g_stopper - 1, f.rip, f.rsp);
    print_frame_backtrace(f);
    // Its last system calls: its own ring, which nothing writes any more.
    trace::dump_cpu(c.cpu_id, trace::kReportEvents);
    arch::console_abandon();
    __atomic_store_n(&c.stopped, true, __ATOMIC_RELEASE);
    __atomic_store_n(&g_stop_printer, 0u, __ATOMIC_RELEASE);
    for (;;) {
        cli();
        hlt();  // NMIs stay blocked: this handler never returns
    }
}

}  // namespace

bool stopping() { return __atomic_load_n(&g_stopper, __ATOMIC_ACQUIRE) != 0; }

u64 stop_other_cpus(const char* why) {
    u32 me = arch::cpu_id() + 1;
    u32 expected = 0;
    if (!__atomic_compare_exchange_n(&g_stopper, &expected, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        if (expected == me) return 0;  // already stopping them
        // Another CPU is stopping everyone; its NMI will reach us.
        for (;;) pause();
    }
    u64 others = smp::online_mask() & ~(u64(1) << (me - 1));
    if (others == 0) return 0;
    klog::report("stop", "cpu=%u reason=%s others=0x%lx", me - 1, why, others);
    // One NMI per online CPU rather than the all-but-self shorthand: an AP
    // parked in the trampoline or before its IDT is loaded must not get one.
    for (u32 i = 0; i < cpus_possible(); i++) {
        if (others & (u64(1) << i)) lapic::send_nmi(cpu_local(i).apic_id);
    }
    // The reports come one at a time: wait while they keep coming, until
    // kStopWaitMs pass without another CPU finishing its report.
    auto stopped_mask = [others] {
        u64 m = 0;
        for (u32 i = 0; i < cpus_possible(); i++)
            if ((others >> i & 1) && __atomic_load_n(&cpu_local(i).stopped, __ATOMIC_ACQUIRE)) m |= u64(1) << i;
        return m;
    };
    u64 done = 0;
    u64 deadline = arch::time_ns() + kStopWaitMs * 1000000;
    while (done != others && arch::time_ns() < deadline) {
        pause();
        u64 now_done = stopped_mask();
        if (now_done != done) deadline = arch::time_ns() + kStopWaitMs * 1000000;
        done = now_done;
    }
    u64 missing = others & ~done;
    for (u32 i = 0; i < cpus_possible(); i++)
        if (missing >> i & 1) klog::report("stop timeout", "cpu=%u", i);
    return missing;
}

void nmi_configure(const char* cmdline) {
    cmdline::get_u64(cmdline, "nmi_log", g_nmi_log);
    cmdline::get_u64(cmdline, "nmi_ipi", g_nmi_ipi_rate);
    cmdline::get_u64(cmdline, "seed", g_seed);
}

void nmi_inject_seed(CpuLocal& c) {
    if (g_nmi_ipi_rate == 0) return;
    // splitmix64 of seed and CPU: distinct, never-zero xorshift states.
    u64 z = g_seed + (u64(c.cpu_id) + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    c.nmi_rng = z ? z : 1;
}

void nmi_inject_tick(CpuLocal& c, u64 ticks_per_second) {
    if (c.nmi_rng == 0 || stopping()) return;
    u64 online = smp::online_mask() & ~(u64(1) << c.cpu_id);
    u32 others = kstd::popcount(online);
    if (others == 0) return;
    auto next = [&c] {
        u64 x = c.nmi_rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return c.nmi_rng = x;
    };
    // R per second at `ticks_per_second` ticks: R / ticks whole IPIs each
    // tick, and one more with the remainder's probability.
    u64 sends = g_nmi_ipi_rate / ticks_per_second;
    if (next() % ticks_per_second < g_nmi_ipi_rate % ticks_per_second) sends++;
    for (u64 i = 0; i < sends; i++) {
        u32 pick = u32(next() % others), cpu = 0;
        for (u64 m = online;; m &= m - 1) {
            cpu = u32(__builtin_ctzll(m));
            if (pick-- == 0) break;
        }
        lapic::send_nmi(cpu_local(cpu).apic_id);
        __atomic_fetch_add(&c.nmi_ipis_sent, 1, __ATOMIC_RELAXED);
    }
}

// STI blocks interrupts until after the next instruction [SDM 2B STI], and
// the exit stubs rely on it for `sti; sysexit`. An NMI taken on the SYSEXIT
// returns there with IRETQ, which loads IF = 1 but no shadow, so a maskable
// interrupt could arrive before SYSEXIT, in ring 0 with the user's GS base
// live, where isr_common would not swap it. Resume at the STI instead, with
// IF clear: the pair runs again as one.
void rewind_sti_sysexit(TrapFrame& f) {
    if ((f.cs & 3) != 0) return;
    if (f.rip != reinterpret_cast<u64>(x86_sysexit64_insn) && f.rip != reinterpret_cast<u64>(x86_sysexit32_insn))
        return;
    f.rip -= 1;  // STI is one byte (FB)
    f.rflags &= ~u64(1 << 9);
}

void nmi_handle(TrapFrame& f) {
    CpuLocal& c = this_cpu();
    if (stopping() && g_stopper != c.cpu_id + 1) stop_this_cpu(f);
    classify(c, f);
    rewind_sti_sysexit(f);
    if (__atomic_exchange_n(&c.dump_requested, false, __ATOMIC_ACQ_REL)) {
        // The watchdog found this CPU not ticking: say where it is, go on.
        klog::report("watchdog-dump", "cpu=%u rip=0x%lx rsp=0x%lx rflags=0x%lx", c.cpu_id, f.rip, f.rsp, f.rflags);
        print_frame_backtrace(f);
        __atomic_fetch_add(&c.watchdog_dumps, 1, __ATOMIC_RELEASE);
        return;
    }
    u64 frame = reinterpret_cast<u64>(&f);
    c.nmi_count++;
    c.nmi_last_rsp = frame;
    if (c.nmi_count > g_nmi_log) return;
    u64 gs_kernel = rdmsr(kMsrKernelGsBase);
    u64 entry_gs = c.paranoid_gs;
    klog::report("nmi",
                 "cpu=%u apic=%u count=%lu rip=0x%lx cs=0x%lx frame=0x%lx stack=0x%lx-0x%lx inside=%d "
                 "entry_gs=0x%lx gs=0x%lx kgs=0x%lx",
                 c.cpu_id, c.apic_id, c.nmi_count, f.rip, f.cs, frame, c.ist[kIstNmi - 1].bottom,
                 c.ist[kIstNmi - 1].top, c.ist[kIstNmi - 1].contains(frame) ? 1 : 0, entry_gs, rdmsr(kMsrGsBase),
                 gs_kernel);
}

}  // namespace x86
