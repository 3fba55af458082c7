// Boot self-tests of the interrupt machinery on every online CPU: remote
// calls, IPIs to one / all / all-but-self, LAPIC timers in periodic and
// one-shot mode, and an ISA interrupt routed through the I/O APIC with the
// MADT overrides applied (the PIT on IRQ 0, which QEMU and Bochs wire to a
// different GSI). Each test counts what arrived where and prints it.
#include "arch/x86_64/apic/ioapic.h"
#include "arch/x86_64/apic/lapic.h"
#include "arch/x86_64/cpu/interrupts.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/cpu/vectors.h"
#include "arch/x86_64/mm/user_copy.h"
#include "arch/x86_64/smp/smp.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/selftest.h"
#include "lib/kstd/utility.h"

namespace x86 {
namespace {

// How long to wait for an interrupt before calling it lost. Generous: on a
// loaded host an emulated CPU can be off its host core for a while, and the
// waits end as soon as everything has arrived.
constexpr u64 kSettleMs = 2000;

u64 g_hits[kMaxCpus];  // kVectorSelftest interrupts taken, per CPU
u64 g_irq_hits = 0;    // ISA IRQ 0 through the I/O APIC

void count_hit(TrapFrame&) { __atomic_fetch_add(&g_hits[arch::cpu_id()], 1, __ATOMIC_RELAXED); }
void count_irq(TrapFrame&) { __atomic_fetch_add(&g_irq_hits, 1, __ATOMIC_RELAXED); }

void snapshot(u64* out) {
    for (u32 i = 0; i < kMaxCpus; i++) out[i] = __atomic_load_n(&g_hits[i], __ATOMIC_RELAXED);
}

// CPUs in `mask` whose hit count grew by exactly `want` since `base`.
u64 grew_by(const u64* base, u64 mask, u64 want) {
    u64 got = 0;
    for (u32 i = 0; i < cpus_possible(); i++) {
        if ((mask >> i & 1) && __atomic_load_n(&g_hits[i], __ATOMIC_RELAXED) - base[i] == want) got |= u64(1) << i;
    }
    return got;
}

// Waits (bounded) until every CPU in mask grew by want.
u64 settle(const u64* base, u64 mask, u64 want, u64 ms) {
    u64 end = arch::time_ns() + ms * 1000000;
    u64 got;
    while ((got = grew_by(base, mask, want)) != mask && arch::time_ns() < end) pause();
    return got;
}

bool remote_calls() {
    u64 online = smp::online_mask();
    u32 ran_on[kMaxCpus];
    u32 right = 0;
    // One CPU at a time: the function must run on that CPU and no other.
    for (u32 i = 0; i < cpus_possible(); i++) {
        if (!(online >> i & 1)) continue;
        ran_on[0] = ~0u;
        smp::run_on_cpus(u64(1) << i, [](void* a) { *static_cast<u32*>(a) = arch::cpu_id(); }, ran_on);
        if (ran_on[0] == i) right++;
    }
    // All at once: each records itself.
    u64 seen = 0;
    smp::run_on_cpus(online, [](void* a) { __atomic_fetch_or(static_cast<u64*>(a), u64(1) << arch::cpu_id(), __ATOMIC_RELAXED); }, &seen);
    u32 n = arch::cpu_count();
    klog::report("selftest remote-call", "cpus=%u one_by_one=%u all=0x%lx online=0x%lx", n, right, seen, online);
    return selftest::tap(right == n && seen == online, "smp: remote calls ran on each of %u CPUs, one by one and all at once", n);
}

bool ipis() {
    u64 online = smp::online_mask();
    u64 self = u64(1) << arch::cpu_id();
    u64 base[kMaxCpus];
    u64 got_one = 0;
    for (u32 i = 0; i < cpus_possible(); i++) {
        if (!(online >> i & 1)) continue;
        snapshot(base);
        lapic::send_ipi(cpu_local(i).apic_id, kVectorSelftest);
        if (settle(base, u64(1) << i, 1, kSettleMs) == (u64(1) << i) && grew_by(base, online & ~(u64(1) << i), 0) == (online & ~(u64(1) << i)))
            got_one |= u64(1) << i;
    }
    snapshot(base);
    lapic::send_ipi_all(kVectorSelftest);
    u64 got_all = settle(base, online, 1, kSettleMs);
    snapshot(base);
    lapic::send_ipi_others(kVectorSelftest);
    u64 got_others = settle(base, online & ~self, 1, kSettleMs);
    arch::delay_us(2000);
    bool self_quiet = grew_by(base, self, 0) == self;
    klog::report("selftest ipi", "one=0x%lx all=0x%lx others=0x%lx self_quiet=%d online=0x%lx", got_one, got_all,
                 got_others, self_quiet ? 1 : 0, online);
    return selftest::tap(got_one == online && got_all == online && got_others == (online & ~self) && self_quiet,
                         "smp: IPIs to each CPU, to all, and to all but self arrive exactly where sent");
}

void arm_oneshot(void*) { lapic::timer_oneshot(2000000, kVectorSelftest); }
void restore_periodic(void*) { smp::start_tick(); }

bool timers() {
    u64 online = smp::online_mask();
    // Periodic: every CPU's tick count moves.
    u64 ticks0[kMaxCpus];
    for (u32 i = 0; i < cpus_possible(); i++) ticks0[i] = cpu_local(i).timer_ticks;
    u64 end = arch::time_ns() + kSettleMs * 1000000;
    u64 ticking = 0;
    while (ticking != online && arch::time_ns() < end) {
        for (u32 i = 0; i < cpus_possible(); i++) {
            if ((online >> i & 1) && cpu_local(i).timer_ticks >= ticks0[i] + 3) ticking |= u64(1) << i;
        }
        pause();
    }
    // One-shot: each CPU arms a single 2 ms shot; it must fire once, not again.
    u64 base[kMaxCpus];
    snapshot(base);
    smp::run_on_cpus(online, arm_oneshot, nullptr);
    u64 fired = settle(base, online, 1, kSettleMs);
    arch::delay_us(10000);
    u64 once = grew_by(base, online, 1);
    smp::run_on_cpus(online, restore_periodic, nullptr);
    klog::report("selftest timer", "periodic=0x%lx oneshot=0x%lx once=0x%lx online=0x%lx ticks_per_ms=%lu",
                 ticking, fired, once, online, lapic::timer_ticks_per_ms());
    return selftest::tap(ticking == online && fired == online && once == online,
                         "lapic: every CPU's timer ticks periodically and fires a one-shot exactly once");
}

bool ioapic_route() {
    constexpr u8 kIrq = 0;  // PIT channel 0
    u8 vector = kVectorIrqBase + kIrq;
    u32 gsi = ioapic::isa_irq_to_gsi(kIrq);
    if (!ioapic::route_isa_irq(kIrq, vector, lapic::id())) {
        return selftest::tap(false, "ioapic: routing ISA IRQ 0 failed");
    }
    // Rate generator at 1 kHz [8254 datasheet, mode 2].
    constexpr u16 kDivisor = 1193;
    outb(0x43, 0x34);
    outb(0x40, u8(kDivisor));
    outb(0x40, u8(kDivisor >> 8));
    // Wait for a handful of interrupts, bounded (an emulator may merge
    // ticks of a timer whose CPU was not running).
    constexpr u64 kWant = 5;
    u64 before = __atomic_load_n(&g_irq_hits, __ATOMIC_RELAXED);
    u64 t0 = arch::time_ns(), end = t0 + kSettleMs * 1000000;
    while (__atomic_load_n(&g_irq_hits, __ATOMIC_RELAXED) - before < kWant && arch::time_ns() < end) pause();
    u64 count = __atomic_load_n(&g_irq_hits, __ATOMIC_RELAXED) - before;
    u64 us = (arch::time_ns() - t0) / 1000;
    ioapic::mask_gsi(gsi);
    klog::report("selftest ioapic", "irq=%u gsi=%u vector=0x%x cpu=%u count=%lu us=%lu", kIrq, gsi, vector,
                 arch::cpu_id(), count, us);
    return selftest::tap(count >= kWant, "ioapic: ISA IRQ 0 arrives through GSI %u (%lu interrupts in %lu us)", gsi,
                         count, us);
}

// With SMAP, an interrupt must not run its handler with the interrupted
// code's AC (the CPU keeps it [SDM 3A 6.12.1]; the entry stubs clear it).
// Sets AC, takes a self-IPI, and checks the handler saw AC = 0 and that
// IRETQ gave AC = 1 back.
constexpr u64 kRflagsAc = u64(1) << 18;
volatile u64 g_handler_flags = 0;
volatile bool g_handler_ran = false;

u64 rflags() {
    u64 f;
    asm volatile("pushfq; popq %0" : "=r"(f)::"memory");
    return f;
}

void note_flags(TrapFrame&) {
    g_handler_flags = rflags();
    g_handler_ran = true;
}

bool entry_clears_ac() {
    if (!smap_enabled()) return selftest::tap(true, "smap: AC on interrupt entry # SKIP no SMAP");
    set_interrupt_handler(kVectorSelftest, note_flags);
    arch::preempt_disable();
    cli();
    asm volatile("stac" ::: "memory");
    lapic::send_ipi(lapic::id(), kVectorSelftest);
    sti();
    u64 end = arch::time_ns() + kSettleMs * 1000000;
    while (!g_handler_ran && arch::time_ns() < end) pause();
    cli();
    u64 after = rflags();
    asm volatile("clac" ::: "memory");
    sti();
    arch::preempt_enable();
    set_interrupt_handler(kVectorSelftest, count_hit);
    bool handler_ac = (g_handler_flags & kRflagsAc) != 0, restored_ac = (after & kRflagsAc) != 0;
    klog::report("selftest entry-ac", "ran=%u handler_ac=%u restored_ac=%u", g_handler_ran, handler_ac,
                 restored_ac);
    return selftest::tap(g_handler_ran && !handler_ac && restored_ac,
                         "smap: an interrupt taken with AC set runs its handler with AC clear, IRETQ restores it");
}

}  // namespace
}  // namespace x86

namespace arch {

bool run_smp_selftests() {
    using namespace x86;
    if (!irqs_enabled()) return selftest::tap(false, "smp: self-tests need interrupts enabled");
    set_interrupt_handler(kVectorSelftest, count_hit);
    set_interrupt_handler(kVectorIrqBase, count_irq);
    bool ok = true;
    ok &= remote_calls();
    ok &= ipis();
    ok &= timers();
    if (smp::have_ioapic()) ok &= ioapic_route();
    ok &= entry_clears_ac();
    ok &= protection_selftest();  // SMEP/SMAP/NXE on every CPU (mm/user_copy_selftest.cpp)
    return ok;
}

}  // namespace arch
