// AP bring-up: the trampoline is copied below 1 MiB, each AP gets its
// CpuLocal and stacks, then INIT, STARTUP, STARTUP go out to all APs before
// waiting for any of them [SDM 3A 9.4.4.1 and 9.4.4.2 describe the sequence;
// the 10 ms and 200 us delays are from there].
#include "arch/x86_64/apic/lapic.h"
#include "arch/x86_64/cpu/fpu.h"
#include "arch/x86_64/cpu/idt.h"
#include "arch/x86_64/cpu/interrupts.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/cpu/syscall_entry.h"
#include "arch/x86_64/cpu/vectors.h"
#include "arch/x86_64/mm/address_space.h"
#include "arch/x86_64/mm/kernel_space.h"
#include "arch/x86_64/mm/user_copy.h"
#include "arch/x86_64/smp/placement.h"
#include "arch/x86_64/smp/smp.h"
#include "arch/x86_64/smp/trampoline.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/mm/memory.h"
#include "kernel/panic.h"
#include "lib/cmdline.h"
#include "lib/kstd/string.h"

namespace x86::smp {
namespace {

// The trampoline page, then its transition PML4, PDPT and PD.
constexpr u64 kTrampolineBytes = 4 * mm::kPageSize;
constexpr u64 kLowMemoryEnd = 0x100000;
// Generous, as in other kernels: an emulated AP on a loaded host can take
// a while to be scheduled; the wait ends as soon as every AP is in.
constexpr u64 kArrivalTimeoutMs = 5000;
constexpr u64 kReadyTimeoutMs = 5000;
constexpr u32 kTimerHz = 100;

u64 g_online_mask = 1;  // the BSP
u32 g_online = 1;
bool g_idle_busy = false;
void (*g_idle_hook)(void*) = nullptr;
u64 g_bsp_cr4 = 0;

// Transition page tables in the three pages after the trampoline: PML4[0]
// identity-maps the first 2 MiB (where the trampoline runs when paging comes
// on); the upper half is the kernel's own, so the jump to ap_entry64 and the
// AP's stack work before CR3 is switched to the kernel tables.
void build_transition_tables(u64 base) {
    u64* pml4 = static_cast<u64*>(mm::phys_to_virt(base + 0x1000));
    u64* pdpt = static_cast<u64*>(mm::phys_to_virt(base + 0x2000));
    u64* pd = static_cast<u64*>(mm::phys_to_virt(base + 0x3000));
    const u64* kernel = static_cast<const u64*>(mm::phys_to_virt(kernel_pml4_phys()));
    __builtin_memset(pml4, 0, 4096);
    __builtin_memset(pdpt, 0, 4096);
    __builtin_memset(pd, 0, 4096);
    constexpr u64 kPresentWritable = 0x3, kLarge = 0x80;
    pml4[0] = (base + 0x2000) | kPresentWritable;
    pdpt[0] = (base + 0x3000) | kPresentWritable;
    pd[0] = 0 | kPresentWritable | kLarge;
    for (usize i = 256; i < 512; i++) pml4[i] = kernel[i];
}

u64 place_trampoline(const mb2::Info& info, u64 info_phys) {
    PhysRange avoid[1 + mb2::kMaxModules];
    usize n = 0;
    avoid[n++] = {info_phys, info_phys + info.total_size};
    for (usize i = 0; i < info.module_count; i++) avoid[n++] = {info.modules[i].start, info.modules[i].end};
    // Page 0 holds the real-mode IVT and BDA; start above it.
    return find_trampoline_base(info, kTrampolineBytes, avoid, n, 0x1000, kLowMemoryEnd);
}

// The watchdog: on each tick a CPU checks that the next online CPU's tick
// count has moved. One that has not ticked for a second is running with
// interrupts off (or is dead); it is reported and sent an NMI that makes it
// print where it is.
constexpr u64 kWatchdogTicks = kTimerHz;
bool g_watchdog = true;

void watchdog_check(CpuLocal& me) {
    if (!__atomic_load_n(&g_watchdog, __ATOMIC_ACQUIRE) || stopping()) return;
    u64 online = online_mask();
    u32 n = cpus_possible();
    u32 next = me.cpu_id;
    do {
        next = (next + 1) % n;
    } while (!(online >> next & 1) && next != me.cpu_id);
    if (next == me.cpu_id) return;
    CpuLocal& w = cpu_local(next);
    u64 ticks = __atomic_load_n(&w.timer_ticks, __ATOMIC_RELAXED);
    if (ticks != me.wd_seen_ticks) {
        me.wd_seen_ticks = ticks;
        me.wd_still = 0;
        me.wd_reported = false;
        return;
    }
    if (++me.wd_still < kWatchdogTicks || me.wd_reported) return;
    me.wd_reported = true;
    klog::report("watchdog", "cpu=%u stuck_ms=%lu seen_by=%u ticks=%lu", next, me.wd_still * 1000 / kTimerHz,
                 me.cpu_id, ticks);
    __atomic_store_n(&w.dump_requested, true, __ATOMIC_RELEASE);
    lapic::send_nmi(w.apic_id);
}

void timer_tick(TrapFrame&) {
    CpuLocal& c = this_cpu();
    c.timer_ticks++;
    if (c.timer_ticks % (kTimerHz / 10) == 0) mce_poll();  // corrected errors raise no #MC
    nmi_inject_tick(c, kTimerHz);
    watchdog_check(c);
    run_tick_hook();
}

}  // namespace

void start_tick() { lapic::timer_periodic(kTimerHz, kVectorLapicTimer); }

void init_this_cpu() {
    nmi_inject_seed(this_cpu());
    lapic::init_cpu();
    start_tick();
    mce_init_cpu();
}

u64 online_mask() { return __atomic_load_n(&g_online_mask, __ATOMIC_ACQUIRE); }

void set_watchdog(bool on) { __atomic_store_n(&g_watchdog, on, __ATOMIC_RELEASE); }

void set_idle_busy(bool busy) { __atomic_store_n(&g_idle_busy, busy, __ATOMIC_RELEASE); }

void set_idle_hook(void (*hook)(void*)) { __atomic_store_n(&g_idle_hook, hook, __ATOMIC_RELEASE); }

void idle_loop() {
    for (;;) {
        if (auto hook = __atomic_load_n(&g_idle_hook, __ATOMIC_ACQUIRE)) hook(nullptr);
        // The scheduler runs whatever became ready (and returns here, with
        // interrupts off, when this CPU is idle again).
        cli();
        run_idle_hook();
        if (__atomic_load_n(&g_idle_busy, __ATOMIC_ACQUIRE)) {
            sti();
            pause();
        } else {
            // STI's one-instruction shadow makes "sti; hlt" atomic: an
            // interrupt pending now wakes the HLT instead of being missed.
            asm volatile("sti; hlt" ::: "memory");
        }
    }
}

StartReport start_aps(const acpi::Madt& madt, const mb2::Info& info, u64 info_phys) {
    StartReport rep{};
    set_interrupt_handler(kVectorLapicTimer, timer_tick);
    CpuLocal& bsp = cpu_local(0);
    bsp.apic_id = lapic::id();
    g_bsp_cr4 = read_cr4();

    // CPU numbers: the BSP is 0, the other usable MADT entries follow in
    // MADT order (firmware lists them in a stable order).
    u32 count = 1;
    bool bsp_listed = false;
    for (usize i = 0; i < madt.cpu_count; i++) {
        const acpi::Cpu& m = madt.cpus[i];
        if (!m.usable()) continue;
        if (m.apic_id == bsp.apic_id) {
            bsp_listed = true;
            continue;
        }
        if (count == kMaxCpus) {
            klog::warn("smp: more than %u CPUs; APIC id %u and later are not started", kMaxCpus, m.apic_id);
            break;
        }
        CpuLocal& c = cpu_local(count);
        c.cpu_id = count;
        c.apic_id = m.apic_id;
        c.state = CpuState::kOffline;
        count++;
    }
    if (!bsp_listed) klog::warn("smp: the boot CPU (APIC id %u) is not in the MADT", bsp.apic_id);
    rep.possible = count;
    set_cpus_possible(count);
    if (count == 1) {
        rep.online = 1;
        return rep;
    }

    u64 base = place_trampoline(info, info_phys);
    if (base == 0) {
        klog::error("smp: no free 16 KiB of usable RAM below 1 MiB for the AP trampoline; running on the boot CPU only");
        rep.online = 1;
        rep.timed_out = count - 1;
        return rep;
    }
    usize code_bytes = smp_trampoline_end - smp_trampoline_start;
    if (code_bytes > kTrampolineDataOffset) panic("smp: trampoline code is %zu bytes, more than its 0x%x", code_bytes, kTrampolineDataOffset);

    u8* page = static_cast<u8*>(mm::phys_to_virt(base));
    __builtin_memset(page, 0, 4096);
    __builtin_memcpy(page, smp_trampoline_start, code_bytes);
    build_transition_tables(base);
    auto* td = reinterpret_cast<TrampolineData*>(page + kTrampolineDataOffset);
    td->gdtr_limit = u16(smp_trampoline_gdt_size - 1);
    td->gdtr_base = u32(base + smp_trampoline_gdt);
    td->pm32_target = u32(base + smp_trampoline_pm32);
    td->pm32_selector = 0x08;
    td->lm64_target = u32(base + smp_trampoline_lm64);
    td->lm64_selector = 0x18;
    td->transition_cr3 = u32(base + 0x1000);
    td->efer = u32(rdmsr(kMsrEfer) & ((1u << 0) | (1u << 8) | (1u << 11)));  // SCE, LME, NXE
    td->kernel_cr3 = kernel_pml4_phys();
    td->entry = reinterpret_cast<u64>(&ap_entry64);

    for (u32 i = 1; i < count; i++) {
        CpuLocal& c = cpu_local(i);
        if (!percpu_alloc_stacks(c)) panic("smp: no memory for the stacks of cpu %u", i);
        c.state = CpuState::kStarting;
        td->cpus[i - 1] = {c.apic_id, 0, c.idle_stack.top, reinterpret_cast<u64>(&c)};
    }
    td->cpu_count = count - 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    klog::info("smp: trampoline at 0x%lx (%zu bytes of code), starting %u AP(s)", base, code_bytes, count - 1);

    u64 t0_ns = arch::time_ns();
    u64 t0 = rdtsc();
    for (u32 i = 1; i < count; i++) lapic::send_init(cpu_local(i).apic_id);
    arch::delay_us(10000);
    u8 vector = u8(base >> 12);
    // Test hook: an AP that never gets its STARTUP IPI stands for one that
    // does not answer, to exercise the time-out path.
    u64 withhold = ~0ull;
    cmdline::get_u64(info.cmdline, "smp_withhold_sipi", withhold);
    for (int round = 0; round < 2; round++) {
        for (u32 i = 1; i < count; i++) {
            CpuLocal& c = cpu_local(i);
            if (c.apic_id == withhold) continue;
            if (__atomic_load_n(&c.state, __ATOMIC_ACQUIRE) == CpuState::kStarting) lapic::send_startup(c.apic_id, vector);
        }
        arch::delay_us(200);
    }

    // Wait for each AP to claim its slot (kStarting -> kOnline, done by the
    // AP itself); one that has not within the time-out is marked timed out
    // with the same compare-and-swap, so a late AP finds out and parks.
    u64 deadline = t0_ns + kArrivalTimeoutMs * 1000000;
    for (u32 i = 1; i < count; i++) {
        CpuLocal& c = cpu_local(i);
        while (__atomic_load_n(&c.state, __ATOMIC_ACQUIRE) == CpuState::kStarting && arch::time_ns() < deadline) pause();
        CpuState expected = CpuState::kStarting;
        if (__atomic_compare_exchange_n(&c.state, &expected, CpuState::kTimedOut, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            klog::report("smp timeout", "cpu=%u apic=%u ms=%lu", i, c.apic_id, kArrivalTimeoutMs);
            rep.timed_out++;
        }
    }
    deadline = arch::time_ns() + kReadyTimeoutMs * 1000000;
    for (u32 i = 1; i < count; i++) {
        CpuLocal& c = cpu_local(i);
        if (c.state != CpuState::kOnline) continue;
        while (!__atomic_load_n(&c.ready, __ATOMIC_ACQUIRE) && arch::time_ns() < deadline) pause();
        if (!c.ready) klog::error("smp: cpu %u (APIC id %u) arrived but did not finish its set-up", i, c.apic_id);
    }
    rep.boot_tsc = rdtsc();
    rep.tsc = rep.boot_tsc - t0;
    rep.ns = arch::time_ns() - t0_ns;
    rep.online = __atomic_load_n(&g_online, __ATOMIC_ACQUIRE);
    rep.strays = td->strays;
    return rep;
}

}  // namespace x86::smp

// First C++ of an AP, on its idle stack, on the kernel page tables, with
// interrupts off (see ap_entry64 in trampoline.asm).
extern "C" [[noreturn]] void ap_main(x86::CpuLocal* c) {
    using namespace x86;
    // The boot CPU's CR4: PGE, PCIDE, SMEP and SMAP among others, so every
    // CPU enforces the same protections (EFER.NXE came with the trampoline).
    // AC is 0 after INIT; cleared anyway, as on the boot CPU, since SMAP
    // means nothing while it is set.
    write_cr4(smp::g_bsp_cr4);
    clear_ac();
    // Tables first, so that even an AP that arrives too late takes an NMI
    // (QEMU's inject-nmi reaches every CPU) on a proper IST stack.
    percpu_load(*c);
    idt_load();
    CpuState expected = CpuState::kStarting;
    if (!__atomic_compare_exchange_n(&c->state, &expected, CpuState::kOnline, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        for (;;) {
            cli();
            hlt();  // the boot CPU gave up on us: stay out of the way
        }
    }
    AddressSpace::kernel().activate();
    fpu_init_cpu();
    smp::init_this_cpu();
    entry_init_cpu();
    report_cpu_state();
    __atomic_fetch_or(&smp::g_online_mask, u64(1) << c->cpu_id, __ATOMIC_ACQ_REL);
    __atomic_fetch_add(&smp::g_online, 1, __ATOMIC_ACQ_REL);
    run_cpu_start_hook();  // this context becomes the CPU's idle thread
    __atomic_store_n(&c->ready, true, __ATOMIC_RELEASE);
    smp::idle_loop();
}

namespace arch {

u32 cpu_count() { return __atomic_load_n(&x86::smp::g_online, __ATOMIC_ACQUIRE); }

}  // namespace arch
