// trap_dispatch: the C++ side of every interrupt and exception, and the fault
// report printed when the kernel itself takes an exception.
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/trap_frame.h"
#include "arch/x86_64/mm/kernel_space.h"
#include "kernel/arch.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
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

[[noreturn]] void fault_report(const x86::TrapFrame& f) {
    // A fault while reporting a fault (say, a corrupt frame pointer) must not
    // recurse: say so and stop with the failure verdict.
    static bool reporting = false;
    if (reporting) {
        klog::raw("lstar: FAULT vector=%lu while printing a fault report, rip=0x%lx\n", f.vector, f.rip);
        arch::exit_with_verdict(false);
    }
    reporting = true;

    char detail[96] = "";
    u64 cr2 = x86::read_cr2();
    if (f.vector == 14) describe_pf_error(f.error_code, detail, sizeof detail);
    klog::raw("lstar: FAULT vector=%lu (%s) error=0x%lx%s\n", f.vector, kExceptionNames[f.vector],
              f.error_code, detail);
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

    // Frame 0 is the faulting instruction itself; the rest come from the
    // frame-pointer chain of the interrupted code.
    u64 pcs[16];
    pcs[0] = f.rip;
    usize n = 1 + arch::backtrace_from(f.rbp, pcs + 1, 15);
    ksyms::print_backtrace(pcs, n);
    arch::exit_with_verdict(false);
}

}  // namespace

extern "C" void trap_dispatch(x86::TrapFrame* frame) {
    if (frame->vector == 2) {
        klog::warn("NMI at rip=0x%lx", frame->rip);
        return;
    }
    if (frame->vector < 32) fault_report(*frame);
    klog::warn("unexpected interrupt vector %lu at rip=0x%lx", frame->vector, frame->rip);
}
