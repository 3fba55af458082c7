// Boot self-test of the kernel's memory protections: every online CPU runs
// with the boot CPU's CR4.SMEP, CR4.SMAP and EFER.NXE, and a kernel read of
// a mapped user page that bypasses the copy helpers faults exactly when SMAP
// is on (the probe's exception-table entry turns the #PF into a result).
#include "arch/x86_64/cpu/features.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/mm/user_copy.h"
#include "arch/x86_64/smp/smp.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/mm/memory.h"
#include "kernel/selftest.h"

namespace x86 {
namespace {

struct CpuBits {
    u64 smep, smap, nxe;  // bit n: CPU n has it on
};

void record_bits(void* arg) {
    auto* b = static_cast<CpuBits*>(arg);
    u64 me = u64(1) << arch::cpu_id();
    u64 cr4 = read_cr4();
    if (cr4 & kCr4Smep) __atomic_fetch_or(&b->smep, me, __ATOMIC_RELAXED);
    if (cr4 & kCr4Smap) __atomic_fetch_or(&b->smap, me, __ATOMIC_RELAXED);
    if (rdmsr(kMsrEfer) & kEferNxe) __atomic_fetch_or(&b->nxe, me, __ATOMIC_RELAXED);
}

const char* state(bool supported) { return supported ? "on" : "absent"; }

bool every_cpu() {
    u64 online = smp::online_mask();
    CpuBits b{};
    smp::run_on_cpus(online, record_bits, &b);
    const CpuFeatures& f = boot_cpu_features();
    klog::report("selftest protection", "online=0x%lx smep=0x%lx smap=0x%lx nxe=0x%lx", online, b.smep, b.smap,
                 b.nxe);
    return selftest::tap(b.smep == (f.smep ? online : 0) && b.smap == (f.smap ? online : 0) &&
                             b.nxe == (f.nx ? online : 0),
                         "cpu: each of %u CPUs has SMEP %s, SMAP %s, NXE %s", arch::cpu_count(), state(f.smep),
                         state(f.smap), state(f.nx));
}

// Maps one user page in a temporary address space, loads it on this CPU
// (preemption off, so the scheduler cannot switch the space away) and reads
// the page twice: with a bare load, then through copy_from_user.
bool stray_user_read() {
    constexpr u64 kPage = 0x40000000;
    constexpr u8 kValue = 0x5a;
    arch::UserSpace* space = arch::uspace_create();
    u64 phys = 0;
    if (!space || !arch::uspace_map_new(space, kPage, arch::kMapWrite, &phys)) {
        if (space) arch::uspace_destroy(space);
        return selftest::tap(false, "smap: no memory for a user page");
    }
    *static_cast<u8*>(mm::phys_to_virt(phys)) = kValue;

    arch::preempt_disable();
    arch::uspace_activate(space);
    ProbeResult bare = probe_read(kPage);
    u64 cr2 = read_cr2();
    u8 copied = 0;
    bool helper = arch::copy_from_user(&copied, kPage, 1) && copied == kValue;
    arch::uspace_activate(nullptr);
    arch::preempt_enable();
    arch::uspace_destroy(space);

    bool faulted = bare.vector != ~u64(0);
    // [SDM 3A 4.7] P = 1 (the page is there, access denied), W/R = 0 (a
    // read), U/S = 0 (supervisor mode), at the page itself.
    bool smap_fault = bare.vector == 14 && (bare.error_code & 7) == 1 && cr2 == kPage;
    bool smap = smap_enabled();
    klog::report("selftest smap", "smap=%u bare_read=%s vector=%ld error=0x%lx cr2=0x%lx helper=%u", smap,
                 faulted ? "faulted" : "worked", faulted ? i64(bare.vector) : i64(-1), bare.error_code,
                 faulted ? cr2 : 0, helper);
    if (smap) {
        return selftest::tap(smap_fault && helper,
                             "smap: a bare kernel read of a user page faults (#PF, protection); "
                             "copy_from_user reads it");
    }
    return selftest::tap(!faulted && helper, "smap: absent: a bare kernel read of a user page works, as does "
                                             "copy_from_user");
}

}  // namespace

bool protection_selftest() {
    bool ok = every_cpu();
    ok &= stray_user_read();
    return ok;
}

}  // namespace x86
