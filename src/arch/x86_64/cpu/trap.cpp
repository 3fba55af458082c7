// trap_dispatch: the C++ side of every interrupt and exception, and the fault
// report printed when the kernel itself takes an exception.
#include "arch/x86_64/apic/lapic.h"
#include "arch/x86_64/cpu/gdt.h"
#include "arch/x86_64/cpu/interrupts.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/cpu/syscall_entry.h"
#include "arch/x86_64/cpu/trap_frame.h"
#include "arch/x86_64/cpu/vectors.h"
#include "arch/x86_64/mm/kernel_space.h"
#include "arch/x86_64/mm/user_copy.h"
#include "kernel/arch.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "kernel/trace/trace.h"
#include "lib/abi/syscall.h"
#include "lib/format.h"

namespace {

// [SDM 3A 6.15, table 6-1]
const char* const kExceptionNames[32] = {
    "#DE divide error", "#DB debug", "NMI non-maskable interrupt", "#BP breakpoint",
    "#OF overflow", "#BR bound range exceeded", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present",
    "#SS stack-segment fault", "#GP general protection", "#PF page fault", "reserved (15)",
    "#MF x87 floating-point error", "#AC alignment check", "#MC machine check",
    "#XM SIMD floating-point exception", "#VE virtualization exception",
    "#CP control protection exception", "reserved (22)", "reserved (23)", "reserved (24)",
    "reserved (25)", "reserved (26)", "reserved (27)", "#HV hypervisor injection",
    "#VC VMM communication", "#SX security exception", "reserved (31)",
};

// Page-fault error code bits [SDM 3A 4.7].
void describe_pf_error(u64 ec, char* buf, usize n) {
    fmt::snprintf(buf, n, " [%s, %s, %s%s%s]", (ec & 1) ? "protection" : "not-present",
                  (ec & 2) ? "write" : "read", (ec & 4) ? "user" : "kernel",
                  (ec & 8) ? ", reserved-bit" : "", (ec & 16) ? ", instruction-fetch" : "");
}

x86::InterruptHandler g_handlers[256];

[[noreturn]] void fault_report(const x86::TrapFrame& f) {
    // A fault while reporting a fault (say, a corrupt frame pointer) must not
    // recurse: say so and stop with the failure verdict. Only the first CPU
    // to fault reports; the others are stopped by it.
    static u32 reporter = 0;  // CPU number + 1
    u32 me = arch::cpu_id() + 1;
    u32 expected = 0;
    if (!__atomic_compare_exchange_n(&reporter, &expected, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        if (expected == me) {
            klog::raw("lstar: FAULT vector=%lu while printing a fault report, rip=0x%lx\n", f.vector, f.rip);
            arch::exit_with_verdict(false);
        }
        arch::halt_forever();  // another CPU is reporting and will stop this one
    }

    char detail[96] = "";
    u64 cr2 = x86::read_cr2();
    if (f.vector == 14) describe_pf_error(f.error_code, detail, sizeof detail);
    klog::raw("lstar: FAULT vector=%lu (%s) error=0x%lx%s cpu=%u\n", f.vector, kExceptionNames[f.vector],
              f.error_code, detail, arch::cpu_id());
    klog::raw("  rip=0x%016lx cs=0x%lx rflags=0x%lx rsp=0x%016lx ss=0x%lx\n", f.rip, f.cs,
              f.rflags, f.rsp, f.ss);
    // #DF keeps CR2 from the #PF that caused it (typically a stack overflow).
    if (f.vector == 14 || f.vector == 8) {
        klog::raw("  cr2=0x%016lx\n", cr2);
        if (x86::is_guard_page(cr2 & ~0xFFFull)) klog::raw("  cr2 is in a stack guard page: stack overflow\n");
    }
    klog::raw("  rax=0x%016lx rbx=0x%016lx rcx=0x%016lx rdx=0x%016lx\n", f.rax, f.rbx, f.rcx, f.rdx);
    klog::raw("  rsi=0x%016lx rdi=0x%016lx rbp=0x%016lx r8 =0x%016lx\n", f.rsi, f.rdi, f.rbp, f.r8);
    klog::raw("  r9 =0x%016lx r10=0x%016lx r11=0x%016lx r12=0x%016lx\n", f.r9, f.r10, f.r11, f.r12);
    klog::raw("  r13=0x%016lx r14=0x%016lx r15=0x%016lx\n", f.r13, f.r14, f.r15);
    klog::raw("  cr0=0x%lx cr3=0x%lx cr4=0x%lx\n", x86::read_cr0(), x86::read_cr3(), x86::read_cr4());

    x86::print_frame_backtrace(f);
    u64 unstopped = x86::stop_other_cpus("fault");      // each stopped CPU prints its own calls
    trace::dump_cpu(arch::cpu_id(), trace::kReportEvents);  // then this CPU's last system calls
    trace::dump_cpus(unstopped);                          // and those of CPUs that did not report
    arch::exit_with_verdict(false);
}

}  // namespace

namespace x86 {

void set_interrupt_handler(u8 vector, InterruptHandler handler) { g_handlers[vector] = handler; }

void print_frame_backtrace(const TrapFrame& f) {
    u64 pcs[16];
    pcs[0] = f.rip;
    usize n = 1 + arch::backtrace_from(f.rbp, pcs + 1, 15);
    ksyms::print_backtrace(pcs, n);
}

}  // namespace x86

namespace {

arch::KernelHooks g_hooks;

bool from_user(const x86::TrapFrame& f) { return (f.cs & 3) != 0; }

// A single-step #DB in ring 0 while the kernel itself never sets TF: the
// trap of a user's MOV SS/POP SS with TF set, held back one instruction by
// the SS load and delivered after the SYSCALL or INT that followed, on the
// kernel's first instruction [SDM 3A 6.8.3; CVE-2018-8897]. (SYSENTER's own
// carried-in steps never get here: entry/isr.asm drops them.) The user's
// TF comes back with its flags, so nothing is lost but that one trap.
bool debug_trap_carried_in(const x86::TrapFrame& f) {
    constexpr u64 kDr6SingleStep = 1 << 14;
    u64 dr6;
    asm volatile("mov %%dr6, %0" : "=r"(dr6));
    if (!(dr6 & kDr6SingleStep) || (f.rflags & x86::kFlagTf)) return false;
    asm volatile("mov %0, %%dr6" ::"r"(u64(0xFFFF0FF0)));  // DR6's bits are sticky [SDM 3B 18.2.3]
    klog::report("debug-trap-dropped", "cpu=%u rip=0x%lx", arch::cpu_id(), f.rip);
    return true;
}

[[noreturn]] void user_fault(const x86::TrapFrame& f, u64 vector) {
    arch::UserFault uf{vector, kExceptionNames[vector], vector == f.vector ? f.error_code : 0, f.rip,
                       vector == 14 ? x86::read_cr2() : 0};
    g_hooks.user_fault(uf);
    __builtin_unreachable();
}

}  // namespace

namespace arch {

void set_kernel_hooks(const KernelHooks& hooks) { g_hooks = hooks; }

}  // namespace arch

namespace x86 {

void run_tick_hook() {
    if (g_hooks.tick) g_hooks.tick();
}

void run_idle_hook() {
    if (g_hooks.idle) g_hooks.idle();
}

void run_cpu_start_hook() {
    if (g_hooks.cpu_start) g_hooks.cpu_start();
}

i64 run_syscall_hook(arch::SyscallRequest& request) { return g_hooks.syscall(request); }

void run_interrupt_exit_hook(bool to_user) {
    if (g_hooks.interrupt_exit) g_hooks.interrupt_exit(to_user);
}

void check_user_return(const TrapFrame& f) {
    // IRETQ to a non-canonical RIP faults in ring 0, and Intel's SYSRET does
    // so with the user's RSP and GS already loaded: the task gets the #GP
    // its own instruction would have caused instead.
    if (f.rip >= arch::kUserTop && g_hooks.user_fault) user_fault(f, 13);
}

}  // namespace x86

extern "C" void trap_dispatch(x86::TrapFrame* frame) {
    u64 v = frame->vector;
    if (v == 2) return x86::nmi_handle(*frame);
    if (v == 18) return x86::mce_handle(*frame);
    if (v == 1 && !from_user(*frame) && debug_trap_carried_in(*frame)) return;
    if (v < 32) {
        if (from_user(*frame) && g_hooks.user_fault) user_fault(*frame, v);
        // A user-memory access that faulted resumes at its fixup, which
        // makes the copy helper return false; any other fault is fatal.
        if (x86::apply_fixup(*frame)) return;
        fault_report(*frame);
    }
    if (v == x86::kVectorSyscall) {
        // A software interrupt: no EOI. Only reachable from ring 3 through
        // the DPL 3 gate (or from the kernel by mistake, which is a bug).
        if (!from_user(*frame) || !g_hooks.syscall) fault_report(*frame);
        // The convention follows the task's mode (docs/abi.md).
        x86::run_syscall(*frame, frame->cs == x86::kUserCode32 ? abi::kEntryInt80_32 : abi::kEntryInt80);
    } else if (v >= x86::kVectorPicBase && v < x86::kVectorPicBase + 16) {
        // A masked 8259 can still raise its spurious IRQ 7/15; the local
        // APIC's spurious vector needs no EOI [SDM 3A 11.9].
        return;
    } else if (v == x86::kVectorSpurious) {
        return;
    } else {
        x86::lapic::eoi();
        if (x86::InterruptHandler h = g_handlers[v]) h(*frame);
        else klog::warn("unexpected interrupt vector %lu on cpu %u at rip=0x%lx", v, arch::cpu_id(), frame->rip);
    }
    if (g_hooks.interrupt_exit) g_hooks.interrupt_exit(from_user(*frame));
    if (from_user(*frame)) x86::check_user_return(*frame);
}
