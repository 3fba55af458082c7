// Per-CPU counters read with the cpu_stats call: what the stress suite and
// the shell report per CPU. Every counter only grows.
#pragma once

#include "lib/kstd/types.h"

namespace abi {

// Where an NMI (or machine check) landed, judged from the saved CS and RIP
// and from the GS base the paranoid entry found live:
//   user            in user mode
//   kernel          in kernel code outside the entry/exit stubs
//   stub_user_gs    in an entry or exit stub with the user's GS base still
//                   (or already) live: before an entry's swapgs, after an
//                   exit's swapgs
//   stub_kernel_gs  in an entry or exit stub with this CPU's own block live
enum NmiPlace : u8 { kNmiUser, kNmiKernel, kNmiStubUserGs, kNmiStubKernelGs, kNmiPlaces };
inline constexpr const char* kNmiPlaceNames[kNmiPlaces] = {"user", "kernel", "stub_user_gs", "stub_kernel_gs"};

struct CpuStats {
    u64 timer_ticks;      // LAPIC timer interrupts taken
    u64 switches;         // context switches (idle included)
    u64 migrations;       // threads that ran here after last running on another CPU
    u64 shootdowns;       // TLB shootdowns this CPU started that needed other CPUs
    u64 tlb_flushes;      // remote invalidations this CPU did for others
    u64 remote_calls;     // remote calls run here for other CPUs
    u64 nmi[kNmiPlaces];  // NMIs taken, by where they landed
    u64 nmi_wrong_gs;     // NMIs whose GS base was not the one the landing place implies
    u64 nmi_ipis_sent;    // NMI IPIs this CPU sent to others (nmi_ipi= injection)
    u64 mce_corrected;    // corrected errors found by polling the banks
    u64 mce_recovered;    // machine-check exceptions survived
    u64 watchdog_dumps;   // watchdog "where are you" reports printed
};

}  // namespace abi
