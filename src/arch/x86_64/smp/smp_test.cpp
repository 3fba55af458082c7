// SMP tests selected with `test=NAME` on the kernel command line. Each one
// measures and reports what the CPUs did; the boot tests (test/boot/smp.py)
// check the reports, and the verdict is the kernel's own.
//
//   test=nmi rounds=N   every CPU busy (odd CPUs inside a swapgs window, GS
//                       base = the user value) while the host injects N NMIs
//   test=mce [mce_cpu=C] the host injects a corrected, then a recoverable
//                       uncorrected error on CPU C; or an unrecoverable one,
//                       which must stop every CPU with a report
//   test=tlb            one CPU changes a mapping live on the others; each
//                       must read the new page
//   test=tlb-no-shootdown  the same with remote invalidation skipped: the
//                       check must catch stale reads (the test of the test)
//   test=watchdog       the highest CPU spins with interrupts off; the
//                       watchdog must name it and make it print where it is
#include "arch/x86_64/apic/lapic.h"
#include "arch/x86_64/cpu/interrupts.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/mm/address_space.h"
#include "arch/x86_64/smp/smp.h"
#include "kernel/arch.h"
#include "lib/kstd/utility.h"
#include "kernel/log.h"
#include "kernel/mm/memory.h"
#include "lib/cmdline.h"
#include "lib/kstd/string.h"

namespace x86 {
namespace {

constexpr u64 kWaitMs = 20000;

bool wait_until(bool (*done)(void*), void* arg, u64 ms) {
    u64 deadline = arch::time_ns() + ms * 1000000;
    while (!done(arg)) {
        if (arch::time_ns() > deadline) return false;
        pause();
    }
    return true;
}

// ---------------------------------------------------------------- NMI

// Odd CPUs spend the test inside a swapgs window: interrupts off, GS base
// swapped to the user value (IA32_KERNEL_GS_BASE is 0 in the kernel), exactly
// as between an entry's first swapgs and its stack switch. The loop touches
// no per-CPU data, and leaves when the control CPU clears g_window.
u32 g_window = 0;
u32 g_in_window[kMaxCpus];  // set by each odd CPU as it enters its window

void window_loop(void*) {
    u32 me = arch::cpu_id();
    if (me % 2 == 0) return;
    __atomic_store_n(&g_in_window[me], 1u, __ATOMIC_RELEASE);
    asm volatile(
        "pushfq\n"
        "cli\n"
        "swapgs\n"
        "1: pause\n"
        "cmpl $0, %0\n"
        "jne 1b\n"
        "swapgs\n"
        "popfq\n"
        :
        : "m"(g_window)
        : "memory", "cc");
    __atomic_store_n(&g_in_window[me], 0u, __ATOMIC_RELEASE);
}

bool windows_entered(void*) {
    for (u32 i = 1; i < cpus_possible(); i += 2) {
        if ((smp::online_mask() >> i & 1) && !__atomic_load_n(&g_in_window[i], __ATOMIC_ACQUIRE)) return false;
    }
    return true;
}

struct NmiRound {
    u64 base[kMaxCpus];
    u64 target;
};

bool all_saw_nmi(void* arg) {
    auto* r = static_cast<NmiRound*>(arg);
    for (u32 i = 0; i < cpus_possible(); i++) {
        if (!(smp::online_mask() & (u64(1) << i))) continue;
        if (__atomic_load_n(&cpu_local(i).nmi_count, __ATOMIC_RELAXED) < r->base[i] + r->target) return false;
    }
    return true;
}

bool test_nmi(const char* cmdline) {
    u64 rounds = 3;
    cmdline::get_u64(cmdline, "rounds", rounds);
    NmiRound r{};
    for (u32 i = 0; i < cpus_possible(); i++) r.base[i] = cpu_local(i).nmi_count;
    __atomic_store_n(&g_window, 1u, __ATOMIC_RELEASE);
    smp::set_watchdog(false);  // the window CPUs do not tick, on purpose
    smp::set_idle_busy(true);
    smp::set_idle_hook(window_loop);
    // Idle CPUs notice the hook at their next interrupt; wake them all now.
    smp::kick_others();
    bool ok = wait_until(windows_entered, nullptr, kWaitMs);
    if (!ok) klog::report("nmi-test timeout", "round=0 (cpus entering the swapgs window)");
    for (u64 round = 1; round <= rounds && ok; round++) {
        r.target = round;
        klog::report("nmi-test armed", "round=%lu cpus=%u", round, arch::cpu_count());
        ok = wait_until(all_saw_nmi, &r, kWaitMs);
        if (!ok) klog::report("nmi-test timeout", "round=%lu", round);
    }
    __atomic_store_n(&g_window, 0u, __ATOMIC_RELEASE);
    smp::set_idle_hook(nullptr);
    smp::set_idle_busy(false);
    smp::set_watchdog(true);
    // Every CPU must still run kernel code with its own GS base after NMIs
    // that landed in the window: ask each for its CPU number.
    u32 answers[kMaxCpus];
    for (u32 i = 0; i < kMaxCpus; i++) answers[i] = ~0u;
    smp::run_on_cpus(
        smp::online_mask(), [](void* a) { static_cast<u32*>(a)[this_cpu().cpu_id] = arch::cpu_id(); }, answers);
    u32 inside = 0, answered = 0;
    for (u32 i = 0; i < cpus_possible(); i++) {
        if (!(smp::online_mask() & (u64(1) << i))) continue;
        if (cpu_local(i).ist[kIstNmi - 1].contains(cpu_local(i).nmi_last_rsp)) inside++;
        if (answers[i] == i) answered++;
    }
    u32 n = arch::cpu_count();
    ok = ok && inside == n && answered == n;
    klog::report("nmi-test done", "rounds=%lu cpus=%u inside=%u answered=%u pass=%d", rounds, n, inside, answered,
                 ok ? 1 : 0);
    return ok;
}

// ---------------------------------------------------------------- MCE

struct MceWait {
    u32 cpu;
    u64 count;
};

bool mce_seen(void* arg) {
    auto* w = static_cast<MceWait*>(arg);
    return __atomic_load_n(&cpu_local(w->cpu).mce_count, __ATOMIC_RELAXED) >= w->count;
}

bool test_mce(const char* cmdline) {
    u64 target = arch::cpu_count() - 1;
    cmdline::get_u64(cmdline, "mce_cpu", target);
    if (target >= arch::cpu_count()) {
        klog::error("mce test: mce_cpu=%lu but only %u CPUs are online", target, arch::cpu_count());
        return false;
    }
    MceWait w{u32(target), cpu_local(u32(target)).mce_count};
    static const char* const kPhases[] = {"corrected", "recoverable"};
    for (const char* phase : kPhases) {
        w.count++;
        klog::report("mce-test ready", "cpu=%u phase=%s", w.cpu, phase);
        if (!wait_until(mce_seen, &w, kWaitMs)) {
            klog::report("mce-test timeout", "cpu=%u phase=%s", w.cpu, phase);
            return false;
        }
        klog::report("mce-test seen", "cpu=%u phase=%s events=%lu", w.cpu, phase, cpu_local(w.cpu).mce_count);
    }
    return true;
}

// ---------------------------------------------------------------- TLB

constexpr u64 kTestVirt = 0x0000000040000000;  // lower half: private to the test space

struct TlbProbe {
    AddressSpace* space;
    u64 seen[kMaxCpus];
};

void activate_space(void* arg) { static_cast<TlbProbe*>(arg)->space->activate(); }
void activate_kernel(void*) { AddressSpace::kernel().activate(); }
void read_probe(void* arg) {
    auto* p = static_cast<TlbProbe*>(arg);
    p->seen[arch::cpu_id()] = *reinterpret_cast<volatile u64*>(kTestVirt);
}

bool test_tlb(bool shootdown) {
    u32 n = arch::cpu_count();
    if (n < 2) {
        klog::report("tlb-test", "cpus=1 skipped=1");
        return true;
    }
    TlbProbe p{};
    p.space = AddressSpace::create();
    u64 a = mm::frames().alloc(), b = mm::frames().alloc();
    if (!p.space || !a || !b) {
        klog::error("tlb test: out of memory");
        return false;
    }
    constexpr u64 kValueA = 0xA1A1A1A1A1A1A1A1, kValueB = 0xB2B2B2B2B2B2B2B2;
    *static_cast<u64*>(mm::phys_to_virt(a)) = kValueA;
    *static_cast<u64*>(mm::phys_to_virt(b)) = kValueB;
    if (p.space->map(kTestVirt, a, PageFlags::kWritable | PageFlags::kNoExecute) != PageTableError::kOk) return false;

    // The highest CPU stays on the kernel tables: it must get no invalidation.
    u32 outsider = n - 1;
    u64 all = smp::online_mask();
    u64 live = all & ~(u64(1) << outsider);
    smp::run_on_cpus(live, activate_space, &p);
    smp::run_on_cpus(live, read_probe, &p);  // every live CPU now caches the A translation
    u32 before_ok = 0;
    for (u32 i = 0; i < n; i++) before_ok += (live >> i & 1) && p.seen[i] == kValueA;

    u64 outsider_flushes = cpu_local(outsider).tlb_flushes;
    ShootdownStats s0 = shootdown_stats();
    PageTableError e;
    if (shootdown) {
        e = p.space->unmap(kTestVirt);
        if (e == PageTableError::kOk) e = p.space->map(kTestVirt, b, PageFlags::kWritable | PageFlags::kNoExecute);
    } else {
        // The same change with invalidation on this CPU only.
        p.space->set_local_invalidation_only(true);
        e = p.space->unmap(kTestVirt);
        if (e == PageTableError::kOk) e = p.space->map(kTestVirt, b, PageFlags::kWritable | PageFlags::kNoExecute);
        p.space->set_local_invalidation_only(false);
    }
    ShootdownStats s1 = shootdown_stats();
    if (e != PageTableError::kOk) {
        klog::error("tlb test: remapping failed: %s", error_name(e));
        return false;
    }
    smp::run_on_cpus(live, read_probe, &p);
    u32 after_ok = 0, stale = 0;
    for (u32 i = 0; i < n; i++) {
        if (!(live >> i & 1)) continue;
        if (p.seen[i] == kValueB) after_ok++;
        else stale++;
    }
    u64 outsider_extra = cpu_local(outsider).tlb_flushes - outsider_flushes;
    smp::run_on_cpus(live, activate_kernel, nullptr);
    u32 live_count = kstd::popcount(live);
    bool ok = before_ok == live_count && after_ok == live_count && stale == 0 && outsider_extra == 0;
    klog::report("tlb-test", "cpus=%u live=0x%lx before_ok=%u after_ok=%u stale=%u requests=%lu targets=%lu "
                 "outsider=%u outsider_flushes=%lu shootdown=%d pass=%d",
                 n, live, before_ok, after_ok, stale, s1.requests - s0.requests, s1.targets - s0.targets,
                 outsider, outsider_extra, shootdown ? 1 : 0, ok ? 1 : 0);
    return ok;
}

// ---------------------------------------------------------------- watchdog

u32 g_hang_cpu = ~0u;
u32 g_hang = 0;

void hang_loop(void*) {
    if (arch::cpu_id() != __atomic_load_n(&g_hang_cpu, __ATOMIC_ACQUIRE)) return;
    u64 flags = arch::irq_save();
    while (__atomic_load_n(&g_hang, __ATOMIC_ACQUIRE)) pause();
    arch::irq_restore(flags);
}

bool dumped(void* arg) {
    u32 cpu = *static_cast<u32*>(arg);
    return __atomic_load_n(&cpu_local(cpu).watchdog_dumps, __ATOMIC_ACQUIRE) >= 1;
}

bool test_watchdog() {
    u32 n = arch::cpu_count();
    if (n < 2) {
        klog::report("watchdog-test", "cpus=1 skipped=1");
        return true;
    }
    u32 target = n - 1;
    u64 t0 = arch::time_ns();
    __atomic_store_n(&g_hang, 1u, __ATOMIC_RELEASE);
    __atomic_store_n(&g_hang_cpu, target, __ATOMIC_RELEASE);
    smp::set_idle_hook(hang_loop);
    smp::kick_others();
    bool ok = wait_until(dumped, &target, kWaitMs);
    u64 ms = (arch::time_ns() - t0) / 1000000;
    __atomic_store_n(&g_hang, 0u, __ATOMIC_RELEASE);
    smp::set_idle_hook(nullptr);
    // The CPU must be back to normal: it answers a remote call.
    u32 answer = ~0u;
    if (ok) smp::run_on_cpus(u64(1) << target, [](void* a) { *static_cast<u32*>(a) = arch::cpu_id(); }, &answer);
    ok = ok && answer == target;
    klog::report("watchdog-test", "cpu=%u detected=%d ms=%lu answered=%d pass=%d", target, ok ? 1 : 0, ms,
                 answer == target ? 1 : 0, ok ? 1 : 0);
    return ok;
}

}  // namespace
}  // namespace x86

namespace arch {

bool run_smp_test(const char* cmdline, bool& pass) {
    char name[24];
    if (!cmdline::get(cmdline, "test", name, sizeof name)) return false;
    if (kstd::strcmp(name, "nmi") == 0) pass = x86::test_nmi(cmdline);
    else if (kstd::strcmp(name, "mce") == 0) pass = x86::test_mce(cmdline);
    else if (kstd::strcmp(name, "tlb") == 0) pass = x86::test_tlb(true);
    else if (kstd::strcmp(name, "tlb-no-shootdown") == 0) pass = x86::test_tlb(false);
    else if (kstd::strcmp(name, "watchdog") == 0) pass = x86::test_watchdog();
    else return false;
    return true;
}

}  // namespace arch
