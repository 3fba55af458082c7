// Machine-check architecture [SDM 3B ch. 16, 17]: every CPU enables its
// error-reporting banks and CR4.MCE; #MC arrives through the paranoid entry
// on IST2; corrected errors, which raise no #MC, are found by polling from
// the LAPIC timer. Each event is logged as
//   lstar: mce cpu=N bank=B status=0x... addr=0x... misc=0x... mcg_status=0x... source=exception|poll|boot kind=corrected|uncorrected overflow=0|1
// (overflow: the bank's OVER bit, an error was lost before this one was
// read [SDM 3B 16.3.2.2]). A corrected error or a recoverable uncorrected
// one (no PCC, RIPV set) is logged and the system goes on; anything else
// stops every CPU. Each CPU polls its banks every 100 ms from its own timer
// tick and reads and clears a bank in one pass with interrupts off, so an
// error is logged once (banks are per CPU in the emulators lstar runs on;
// a bank shared by several CPUs on real hardware would be seen by each).
// Per-CPU counters: mce_corrected (polled), mce_recovered (#MC survived).
#include "arch/x86_64/cpu/features.h"
#include "arch/x86_64/cpu/interrupts.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/trace/trace.h"

namespace x86 {
namespace {

constexpr u32 kMsrMcgCap = 0x179;
constexpr u32 kMsrMcgStatus = 0x17A;
constexpr u32 kMsrMcgCtl = 0x17B;
constexpr u64 kMcgCtlPresent = 1ull << 8;
constexpr u64 kMcgRipv = 1ull << 0;
constexpr u64 kMcgEipv = 1ull << 1;
constexpr u64 kMcgMcip = 1ull << 2;

constexpr u32 mc_ctl(u32 bank) { return 0x400 + 4 * bank; }
constexpr u32 mc_status(u32 bank) { return 0x401 + 4 * bank; }
constexpr u32 mc_addr(u32 bank) { return 0x402 + 4 * bank; }
constexpr u32 mc_misc(u32 bank) { return 0x403 + 4 * bank; }

constexpr u64 kStatusVal = 1ull << 63;
constexpr u64 kStatusOver = 1ull << 62;
constexpr u64 kStatusUc = 1ull << 61;
constexpr u64 kStatusMiscv = 1ull << 59;
constexpr u64 kStatusAddrv = 1ull << 58;
constexpr u64 kStatusPcc = 1ull << 57;

constexpr u32 kCr4Mce = 1u << 6;

u32 bank_count() {
    const CpuFeatures& f = boot_cpu_features();
    return f.mca ? f.mca_banks : 0;
}

// Logs one valid bank and clears it; returns its status.
u64 log_bank(u32 bank, u64 status, u64 mcg_status, const char* source) {
    u64 addr = (status & kStatusAddrv) ? rdmsr(mc_addr(bank)) : 0;
    u64 misc = (status & kStatusMiscv) ? rdmsr(mc_misc(bank)) : 0;
    CpuLocal& c = this_cpu();
    // Cleared before the line: printing takes long, and a new error in this
    // bank meanwhile must not be cleared unseen.
    wrmsr(mc_status(bank), 0);
    klog::report("mce",
                 "cpu=%u bank=%u status=0x%lx addr=0x%lx misc=0x%lx mcg_status=0x%lx source=%s kind=%s overflow=%d",
                 c.cpu_id, bank, status, addr, misc, mcg_status, source,
                 (status & kStatusUc) ? "uncorrected" : "corrected", (status & kStatusOver) ? 1 : 0);
    if (!(status & kStatusUc) && source[0] == 'p') __atomic_fetch_add(&c.mce_corrected, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c.mce_count, 1, __ATOMIC_RELEASE);  // after the line: tests wait for it
    return status;
}

}  // namespace

void mce_init_cpu() {
    const CpuFeatures& f = boot_cpu_features();
    if (!f.mce) return;
    u32 banks = bank_count();
    if (banks) {
        if (rdmsr(kMsrMcgCap) & kMcgCtlPresent) wrmsr(kMsrMcgCtl, ~0ull);
        for (u32 b = 0; b < banks; b++) {
            wrmsr(mc_ctl(b), ~0ull);
            u64 status = rdmsr(mc_status(b));
            if (status & kStatusVal) log_bank(b, status, rdmsr(kMsrMcgStatus), "boot");
        }
        wrmsr(kMsrMcgStatus, 0);
    }
    write_cr4(read_cr4() | kCr4Mce);
}

void mce_poll() {
    u32 banks = bank_count();
    for (u32 b = 0; b < banks; b++) {
        u64 status = rdmsr(mc_status(b));
        // Uncorrected errors belong to the #MC handler.
        if ((status & kStatusVal) && !(status & kStatusUc)) log_bank(b, status, 0, "poll");
    }
}

void mce_handle(TrapFrame& f) {
    u64 mcg = rdmsr(kMsrMcgStatus);
    bool fatal = !(mcg & kMcgRipv);  // no valid restart point: cannot resume
    bool found = false;
    u32 banks = bank_count();
    for (u32 b = 0; b < banks; b++) {
        u64 status = rdmsr(mc_status(b));
        if (!(status & kStatusVal)) continue;
        found = true;
        log_bank(b, status, mcg, "exception");
        if ((status & kStatusUc) && (status & kStatusPcc)) fatal = true;
    }
    // Clearing MCIP re-arms delivery: a #MC while it is set shuts the CPU down.
    wrmsr(kMsrMcgStatus, 0);
    u32 cpu = arch::cpu_id();
    if (!found) {
        klog::report("mce", "cpu=%u bank=none mcg_status=0x%lx source=exception kind=unknown", cpu, mcg);
        fatal = true;
    }
    if (!fatal) {
        __atomic_fetch_add(&this_cpu().mce_recovered, 1, __ATOMIC_RELAXED);
        klog::report("mce recovered", "cpu=%u rip=0x%lx mcg_status=0x%lx", cpu, f.rip, mcg);
        return;
    }
    klog::report("mce fatal", "cpu=%u rip=0x%lx mcg_status=0x%lx ripv=%d eipv=%d mcip=%d", cpu, f.rip, mcg,
                 (mcg & kMcgRipv) ? 1 : 0, (mcg & kMcgEipv) ? 1 : 0, (mcg & kMcgMcip) ? 1 : 0);
    u64 unstopped = stop_other_cpus("machine-check");  // each stopped CPU prints its own calls
    trace::dump_cpu(cpu, trace::kReportEvents);         // then this CPU's last system calls
    trace::dump_cpus(unstopped);                        // and those of CPUs that did not report
    arch::exit_with_verdict(false);
}

}  // namespace x86
