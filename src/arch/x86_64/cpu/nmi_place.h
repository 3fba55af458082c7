// Where an NMI landed and whether the GS base it found fits that place: a
// pure function of what the paranoid entry saw, so host tests can cover
// every case. nmi.cpp feeds it the saved CS and RIP, the GS base found live
// at entry (CpuLocal::paranoid_gs), IA32_KERNEL_GS_BASE and the CPU's own
// block.
//
// The facts it rests on:
//  - NMI delivery in 64-bit mode pushes SS, RSP, RFLAGS, CS, RIP on the IST
//    stack; the saved CS is the interrupted code's, its RPL the CPL there
//    [SDM 3A 6.14.2, 6.14.5].
//  - SWAPGS exchanges IA32_GS_BASE with IA32_KERNEL_GS_BASE [SDM 2B SWAPGS];
//    SYSCALL and SYSENTER change neither [SDM 2B SYSCALL, SYSENTER], nor
//    does interrupt delivery: until an entry stub's swapgs, ring 0 runs
//    with the user's GS base, and after an exit stub's swapgs it runs with
//    the user's again until SYSRET/SYSEXIT/IRETQ.
//  - lstar keeps IA32_KERNEL_GS_BASE = own block while user code runs and
//    IA32_GS_BASE = own block in all kernel code outside the stubs, so at any
//    instruction exactly one of the two holds the own block, except inside
//    the paranoid entry itself, which is not a place an NMI can land on
//    (NMIs are blocked there until IRETQ [SDM 3A 6.7.1]).
#pragma once

#include "lib/abi/stats.h"
#include "lib/kstd/types.h"

namespace x86 {

struct NmiSample {
    u64 cs;            // saved CS
    u64 rip;           // saved RIP
    u64 found_gs;      // IA32_GS_BASE when the paranoid entry ran
    u64 kernel_gs;     // IA32_KERNEL_GS_BASE in the handler (never changed by it)
    u64 own;           // this CPU's CpuLocal
    u64 stub_start;    // [stub_start, stub_end): the entry/exit stubs
    u64 stub_end;
};

struct NmiVerdict {
    abi::NmiPlace place;
    bool wrong_gs;
};

constexpr NmiVerdict classify_nmi(const NmiSample& s) {
    bool found_own = s.found_gs == s.own, kernel_own = s.kernel_gs == s.own;
    if ((s.cs & 3) == 3) return {abi::kNmiUser, found_own || !kernel_own};
    if (s.rip >= s.stub_start && s.rip < s.stub_end)
        return {found_own ? abi::kNmiStubKernelGs : abi::kNmiStubUserGs, found_own == kernel_own};
    return {abi::kNmiKernel, !found_own};
}

}  // namespace x86
