// The C++ half of SYSCALL and SYSENTER: per-CPU MSR set-up, and the
// dispatcher that turns their register frame into a SyscallRequest and
// decides how to return.
//
// The fast returns trust register state the user controls, so each is
// taken only when it is known to be safe; otherwise the frame leaves through
// IRETQ like an interrupt:
//  - SYSRET (Intel) raises #GP in ring 0, on the user's stack with the
//    user's GS, if RCX is not canonical (CVE-2012-0217). The return RIP must
//    be canonical, and a non-canonical one is never returned to at all: the
//    task takes the #GP it would have had (check_user_return).
//  - SYSRET loads RIP from RCX and RFLAGS from R11, SYSEXIT RIP from RDX and
//    RSP from RCX: the frame must already say what they will load, so the
//    two ways out leave the same user state.
//  - TF, RF, NT set in the user's RFLAGS go back through IRETQ, which
//    restores them exactly (TF then traps after one user instruction).
#include "arch/x86_64/cpu/syscall_entry.h"

#include "arch/x86_64/cpu/features.h"
#include "arch/x86_64/cpu/gdt.h"
#include "arch/x86_64/cpu/interrupts.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/cpu/trap_frame.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "lib/abi/syscall.h"

extern "C" char x86_syscall64_entry[], x86_syscall32_entry[], x86_sysenter_entry[];

namespace x86 {

namespace {

constexpr u64 kCanonicalTop = 0x0000800000000000;  // first non-canonical lower-half address
constexpr u64 kRflagsFixed = 1 << 1;

bool canonical_user(u64 addr) { return addr < kCanonicalTop; }

// The sixth argument of the 32-bit SYSENTER and SYSCALL conventions lives
// on the user stack (all eight 32-bit registers are taken).
bool read_user_u32(u64 addr, u64& out) {
    u32 v;
    if (!arch::copy_from_user(&v, addr & 0xFFFFFFFF, sizeof v)) return false;
    out = v;
    return true;
}

u64 lo32(u64 v) { return v & 0xFFFFFFFF; }

enum Exit : u64 { kExitIret = 0, kExitFast64 = 1, kExitFast32 = 2 };

}  // namespace

void entry_init_cpu() {
    CpuLocal& c = this_cpu();
    const CpuFeatures& f = boot_cpu_features();
    wrmsr(kMsrEfer, rdmsr(kMsrEfer) | kEferSce);
    // SYSCALL: CS = STAR[47:32], SS = +8. SYSRET: CS = STAR[63:48] (+16 for
    // 64-bit code), SS = STAR[63:48] + 8, RPL forced to 3 [SDM 2B SYSRET].
    wrmsr(kMsrStar, (u64(kUserCode32) << 48) | (u64(kKernelCode) << 32));
    wrmsr(kMsrLstar, reinterpret_cast<u64>(x86_syscall64_entry));
    wrmsr(kMsrCstar, reinterpret_cast<u64>(x86_syscall32_entry));
    wrmsr(kMsrFmask, kSyscallMask);
    // SYSENTER: CS = SYSENTER_CS, SS = +8; SYSEXIT: CS = +16 (32-bit) or +32
    // (64-bit), SS = CS + 8 [SDM 2B SYSENTER, SYSEXIT]. AMD CPUs have no
    // SYSENTER in long mode; with SYSENTER_CS = 0 an attempt is a #GP on
    // models that do not raise #UD themselves, never a way in.
    bool sysenter = f.vendor == Vendor::kIntel && f.sep;
    wrmsr(kMsrSysenterCs, sysenter ? kKernelCode : 0);
    wrmsr(kMsrSysenterEsp, c.entry_stack.top);
    wrmsr(kMsrSysenterEip, reinterpret_cast<u64>(x86_sysenter_entry));
}

void run_syscall(TrapFrame& f, u8 path) {
    arch::SyscallRequest r{};
    switch (path) {
    case abi::kEntryInt80:
    case abi::kEntrySyscall:
    case abi::kEntrySysenter:
        r = {f.rax, {f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9}, path, false, false,
             {f.rdi, f.rsi, f.r10, f.r8, f.r9, f.r12}};
        break;
    case abi::kEntryInt80_32:
        r = {lo32(f.rax), {lo32(f.rbx), lo32(f.rcx), lo32(f.rdx), lo32(f.rsi), lo32(f.rdi), lo32(f.rbp)}, path, true, false, {}};
        break;
    case abi::kEntrySyscall32:
        // ECX held the return EIP: the stub moved the second argument to EBP.
        r = {lo32(f.rax), {lo32(f.rbx), lo32(f.rbp), lo32(f.rdx), lo32(f.rsi), lo32(f.rdi), 0}, path, true, false, {}};
        break;
    case abi::kEntrySysenter32:
        r = {lo32(f.rax), {lo32(f.rbx), lo32(f.rcx), lo32(f.rdx), lo32(f.rsi), lo32(f.rdi), 0}, path, true, false, {}};
        break;
    }
    // The 32-bit SYSCALL and SYSENTER conventions have no register left for
    // the sixth argument: it is on the user stack.
    bool stack_arg = path == abi::kEntrySyscall32 || path == abi::kEntrySysenter32;
    sti();
    u64 result = stack_arg && !read_user_u32(f.rsp, r.args[5]) ? u64(-i64(abi::kFault))
                                                                : u64(run_syscall_hook(r));
    cli();
    if (!r.compat) {
        f.rax = result;
        if (r.write_msg) {
            // The IPC message registers (lib/abi/ipc.h): none of them is
            // one the SYSRET or SYSEXIT exits load RIP, RSP or RFLAGS from.
            f.rdi = r.msg[0];
            f.rsi = r.msg[1];
            f.r10 = r.msg[2];
            f.r8 = r.msg[3];
            f.r9 = r.msg[4];
            f.r12 = r.msg[5];
        }
    } else {
        f.rax = lo32(result);
        // SYSEXIT needs EDX for the return EIP: the 32-bit landing moves the
        // high half from EBP (and restores the caller's EBP from the stack).
        if (path == abi::kEntrySysenter32) f.rbp = result >> 32;
        else f.rdx = result >> 32;
    }
}

}  // namespace x86

// Called by the three stubs of entry/syscall.asm with interrupts off on the
// thread's kernel stack, GS = this CPU. Returns the Exit kind.
extern "C" u64 x86_syscall_dispatch(x86::TrapFrame* f) {
    using namespace x86;
    u8 path = u8(f->error_code);
    if (path == abi::kEntrySysenter) {
        // SYSENTER saved nothing: complete the frame as the entry page's
        // stub left things (docs/abi.md). The user's IF was set (ring 3
        // cannot clear it), and SYSENTER cleared it.
        f->rflags |= kFlagIf;
        if (this_cpu().user_compat) {
            path = abi::kEntrySysenter32;
            f->cs = kUserCode32;
            f->rsp = lo32(f->rbp);
            f->rip = sysenter_landing(true);
        } else {
            f->rip = sysenter_landing(false);
        }
    }
    run_syscall(*f, path);
    run_interrupt_exit_hook(true);
    check_user_return(*f);

    const u64 odd_flags = kFlagTf | kFlagRf | kFlagNt | kFlagVm;
    if (f->rflags & odd_flags || !(f->rflags & kFlagIf)) return kExitIret;
    switch (path) {
    case abi::kEntrySyscall:
        if (f->cs != kUserCode64 || f->ss != kUserData || f->rcx != f->rip || f->r11 != f->rflags ||
            !canonical_user(f->rip))
            return kExitIret;
        return kExitFast64;
    case abi::kEntrySyscall32:
        if (f->cs != kUserCode32 || f->ss != kUserData || f->rcx != f->rip || f->r11 != f->rflags ||
            f->rip > 0xFFFFFFFF)
            return kExitIret;
        return kExitFast32;
    case abi::kEntrySysenter:
    case abi::kEntrySysenter32: {
        bool compat = path == abi::kEntrySysenter32;
        if (f->rip != sysenter_landing(compat) || f->cs != (compat ? kUserCode32 : kUserCode64) ||
            !canonical_user(f->rsp) || (compat && f->rsp > 0xFFFFFFFF))
            return kExitIret;
        // The stub loads RFLAGS from the error-code slot (IF off until its STI).
        f->error_code = (f->rflags & ~kFlagIf) | kRflagsFixed;
        f->vector = compat ? kExitFast32 : kExitFast64;
        return f->vector;
    }
    }
    return kExitIret;
}
