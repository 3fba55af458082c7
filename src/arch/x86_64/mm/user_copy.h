// Kernel access to user memory: SMEP and SMAP, the copy helpers behind
// arch::copy_from_user / copy_to_user (user_copy.cpp, user_copy.asm) and the
// exception table that turns a fault inside them into an error.
#pragma once

#include "arch/x86_64/cpu/trap_frame.h"
#include "lib/kstd/types.h"

namespace x86 {

// [SDM 3A 2.5] CR4 bits. SMEP: a supervisor-mode instruction fetch from a
// user page faults; SMAP: a supervisor-mode data access to a user page
// faults unless EFLAGS.AC = 1 [SDM 3A 4.6.1].
constexpr u64 kCr4Smep = u64(1) << 20;
constexpr u64 kCr4Smap = u64(1) << 21;

// Sets CR4.SMEP and CR4.SMAP on the boot CPU where its CPUID reports them,
// and clears EFLAGS.AC (the boot loader leaves it undefined). APs copy the
// boot CPU's CR4 (smp/boot.cpp) and call clear_ac().
void protection_init_boot();
bool smap_enabled();

// Clears EFLAGS.AC when SMAP is on (a no-op otherwise: without SMAP, AC
// means nothing at CPL 0, and CLAC would raise #UD). For CPUs coming up;
// kernel entries clear AC in their stubs (see user_copy.cpp).
void clear_ac();

// A kernel-mode #PF or #GP whose RIP is in the exception table: moves the
// frame to the fixup (RAX = vector, RDX = error code, AC clear) and returns
// true; false for any other fault, which stays fatal.
bool apply_fixup(TrapFrame& frame);

// Reads one byte at `address` without STAC (user_copy.asm): vector = ~0 if
// the read worked, else the exception's vector and error code. Self-tests.
struct ProbeResult {
    u64 vector;
    u64 error_code;
};
ProbeResult probe_read(u64 address);

// Boot self-test: every CPU runs with the boot CPU's SMEP, SMAP and NXE, and
// a plain kernel read of a mapped user page faults exactly when SMAP is on.
bool protection_selftest();

}  // namespace x86
