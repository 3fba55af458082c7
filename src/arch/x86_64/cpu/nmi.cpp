// NMI handling and stopping CPUs. Runs through the paranoid entry on IST1
// with GS already pointing at this CPU's block, so it may use this_cpu()
// wherever the NMI landed.
#include "arch/x86_64/apic/lapic.h"
#include "arch/x86_64/cpu/interrupts.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/smp/smp.h"
#include "kernel/arch.h"
#include "kernel/log.h"

namespace x86 {
namespace {

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

void stop_other_cpus(const char* why) {
    u32 me = arch::cpu_id() + 1;
    u32 expected = 0;
    if (!__atomic_compare_exchange_n(&g_stopper, &expected, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        if (expected == me) return;  // already stopping them
        // Another CPU is stopping everyone; its NMI will reach us.
        for (;;) pause();
    }
    u64 others = smp::online_mask() & ~(u64(1) << (me - 1));
    if (others == 0) return;
    klog::report("stop", "cpu=%u reason=%s others=0x%lx", me - 1, why, others);
    // One NMI per online CPU rather than the all-but-self shorthand: an AP
    // parked in the trampoline or before its IDT is loaded must not get one.
    for (u32 i = 0; i < cpus_possible(); i++) {
        if (others & (u64(1) << i)) lapic::send_nmi(cpu_local(i).apic_id);
    }
    u64 deadline = arch::time_ns() + kStopWaitMs * 1000000;
    for (u32 i = 0; i < cpus_possible(); i++) {
        if (!(others & (u64(1) << i))) continue;
        while (!__atomic_load_n(&cpu_local(i).stopped, __ATOMIC_ACQUIRE) && arch::time_ns() < deadline) pause();
        if (!cpu_local(i).stopped) klog::report("stop timeout", "cpu=%u", i);
    }
}

void nmi_handle(TrapFrame& f) {
    CpuLocal& c = this_cpu();
    if (stopping() && g_stopper != c.cpu_id + 1) stop_this_cpu(f);
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
