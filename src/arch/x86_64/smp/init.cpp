// arch::smp_init: the boot CPU's interrupt controllers, its move onto its
// per-CPU stacks, then the APs.
#include "arch/x86_64/apic/ioapic.h"
#include "arch/x86_64/apic/lapic.h"
#include "arch/x86_64/cpu/interrupts.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/cpu/syscall_entry.h"
#include "arch/x86_64/smp/smp.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "lib/cmdline.h"

namespace x86::smp {

bool g_have_ioapic = false;
bool have_ioapic() { return g_have_ioapic; }

}  // namespace x86::smp

namespace arch {

u32 smp_init(const mb2::Info& info, u64 info_phys, const acpi::Madt* madt) {
    using namespace x86;
    using smp::g_have_ioapic;
    bool force_xapic = cmdline::has_flag(info.cmdline, "xapic");
    nmi_configure(info.cmdline);
    // idle=poll: idle CPUs spin (sti; pause) instead of halting. Under QEMU's
    // -icount a halted CPU can miss its wake-ups for a long time, which the
    // scheduler tests' fairness figures would show; polling avoids it.
    char idle[8];
    if (cmdline::get(info.cmdline, "idle", idle, sizeof idle)) {
        if (__builtin_strcmp(idle, "poll") == 0) smp::set_idle_busy(true);
        else klog::warn("cmdline: unknown idle=%s (poll)", idle);
    }
    u64 lapic_phys = madt ? madt->lapic_address : 0xFEE00000;
    if (!lapic::init_boot(force_xapic, lapic_phys)) {
        klog::report("smp", "possible=1 online=1 timed_out=0 strays=0 bringup_tsc=0 bringup_us=0 boot_tsc=0 apic=none");
        return 1;
    }
    lapic::init_cpu();  // into the chosen mode before its timer is touched
    lapic::timer_calibrate();
    CpuLocal& bsp = cpu_local(0);
    if (!percpu_alloc_stacks(bsp)) panic("no memory for the boot CPU's stacks");
    smp::install_ipi_handlers();
    smp::init_this_cpu();
    entry_init_boot(info.cmdline);
    entry_init_cpu();
    g_have_ioapic = madt && ioapic::init(*madt);

    smp::StartReport rep{1, 1, 0, 0, 0, 0, 0};
    if (madt) rep = smp::start_aps(*madt, info, info_phys);
    report_cpu_state();  // the boot CPU's line, after its own stacks moved
    sti();
    klog::report("smp",
                 "possible=%u online=%u timed_out=%u strays=%u bringup_tsc=%lu bringup_us=%lu boot_tsc=%lu apic=%s",
                 rep.possible, rep.online, rep.timed_out, rep.strays, rep.tsc, rep.ns / 1000, rep.boot_tsc,
                 lapic::mode() == lapic::Mode::kX2Apic ? "x2apic" : "xapic");
    return rep.online;
}

u64 stop_other_cpus(const char* why) { return x86::stop_other_cpus(why); }

void idle_forever() { x86::smp::idle_loop(); }

}  // namespace arch
