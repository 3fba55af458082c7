// arch::copy_from_user / copy_to_user: a range check that refuses anything
// outside the user half before any access, then one string move through
// user_copy.asm whose fault, if any, the exception table turns into `false`.
// With SMAP on, that move is the only kernel code allowed to touch user pages.
#include "arch/x86_64/mm/user_copy.h"

#include "arch/x86_64/cpu/features.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/mm/user_copy_logic.h"
#include "kernel/arch.h"

extern "C" usize x86_user_copy(void* dst, const void* src, usize n);
extern "C" usize x86_user_copy_smap(void* dst, const void* src, usize n);
extern "C" x86::ProbeResult x86_probe_read(u64 address);
extern "C" const x86::ExTableEntry __ex_table_start[], __ex_table_end[];

namespace x86 {
namespace {

constexpr u64 kRflagsAc = u64(1) << 18;
constexpr u64 kVectorGp = 13, kVectorPf = 14;

// Set once on the boot CPU before any AP starts; every CPU then has the
// same CR4.SMAP (the APs load the boot CPU's CR4).
bool g_smap = false;

usize copy(void* dst, const void* src, usize n) {
    return g_smap ? x86_user_copy_smap(dst, src, n) : x86_user_copy(dst, src, n);
}

}  // namespace

void protection_init_boot() {
    const CpuFeatures& f = boot_cpu_features();
    u64 cr4 = read_cr4();
    if (f.smep) cr4 |= kCr4Smep;
    if (f.smap) cr4 |= kCr4Smap;
    write_cr4(cr4);
    g_smap = f.smap;
    clear_ac();
}

bool smap_enabled() { return g_smap; }

// Why AC needs care at every kernel entry: interrupt and exception delivery
// saves RFLAGS and then clears only TF, NT, RF and VM, plus IF through an
// interrupt gate [SDM 3A 6.12.1, "Flag Usage By Exception- or Interrupt-
// Handler Procedure"; the INT n pseudocode in SDM 2A does the same in IA-32e
// mode]. AC survives: from user mode it is whatever the program set (POPF
// may set it at CPL 3), inside a copy's STAC window it is 1, and either way
// the handler would run with SMAP lifted. The entry stubs therefore load
// RFLAGS with only its always-one bit before any C++ runs (entry/isr.asm,
// entry/syscall.asm; SYSCALL also masks AC through IA32_FMASK), and IRETQ
// puts the interrupted AC back. What is left for this function is the
// state nothing entered through: the boot CPU as the loader left it, and APs.
void clear_ac() {
    if (g_smap) asm volatile("clac" ::: "memory");
}

bool apply_fixup(TrapFrame& f) {
    if (f.vector != kVectorPf && f.vector != kVectorGp) return false;
    const ExTableEntry* e = extable_find(__ex_table_start, __ex_table_end, f.rip);
    if (!e) return false;
    f.rip = e->fixup_rip;
    f.rax = f.vector;
    f.rdx = f.error_code;
    f.rflags &= ~kRflagsAc;
    return true;
}

ProbeResult probe_read(u64 address) { return x86_probe_read(address); }

}  // namespace x86

namespace arch {

// A fault on the kernel side (a bad dst or src kernel pointer) is caught by
// the same entry and also reads as `false`; callers pass kernel buffers
// they own, so that would be a kernel bug, not a user error.
bool copy_from_user(void* dst, u64 src, usize n) {
    if (!x86::user_range_ok(src, n, kUserTop)) return false;
    return x86::copy(dst, reinterpret_cast<const void*>(src), n) == 0;
}

bool copy_to_user(u64 dst, const void* src, usize n) {
    if (!x86::user_range_ok(dst, n, kUserTop)) return false;
    return x86::copy(reinterpret_cast<void*>(dst), src, n) == 0;
}

}  // namespace arch
