// arch::cpu_counters: the per-CPU counters of cpu_stats that the CPU block
// keeps. Each counter is written by its own CPU only (NMI, timer and IPI
// handlers included), so another CPU reads it with a relaxed load and gets
// some recent value; they only grow.
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/smp/smp.h"
#include "kernel/arch.h"

namespace arch {

namespace {
u64 load(const u64& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
}  // namespace

bool cpu_counters(u32 cpu, abi::CpuStats& out) {
    if (cpu >= x86::kMaxCpus || !(x86::smp::online_mask() >> cpu & 1)) return false;
    const x86::CpuLocal& c = x86::cpu_local(cpu);
    out.timer_ticks = load(c.timer_ticks);
    out.shootdowns = load(c.shootdowns);
    out.tlb_flushes = load(c.tlb_flushes);
    out.remote_calls = load(c.remote_calls);
    for (u32 p = 0; p < abi::kNmiPlaces; p++) out.nmi[p] = load(c.nmi_places[p]);
    out.nmi_wrong_gs = load(c.nmi_wrong_gs);
    out.nmi_ipis_sent = load(c.nmi_ipis_sent);
    out.mce_corrected = load(c.mce_corrected);
    out.mce_recovered = load(c.mce_recovered);
    out.watchdog_dumps = load(c.watchdog_dumps);
    return true;
}

}  // namespace arch
