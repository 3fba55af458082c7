// Interrupt handling seams inside arch/x86_64: the vector table for device
// and IPI vectors, the NMI and machine-check handlers, and stopping CPUs.
#pragma once

#include "arch/x86_64/cpu/trap_frame.h"
#include "kernel/arch.h"
#include "lib/kstd/types.h"

namespace x86 {

struct CpuLocal;

// Handler for a vector >= kVectorIrqBase. The local APIC has already been
// sent its EOI when the handler runs (interrupts stay disabled until IRETQ),
// so a handler may switch away without leaving the APIC blocked.
using InterruptHandler = void (*)(TrapFrame& frame);
void set_interrupt_handler(u8 vector, InterruptHandler handler);

// Symbolized backtrace of interrupted code: frame 0 is the saved RIP, the
// rest follow the interrupted frame-pointer chain.
void print_frame_backtrace(const TrapFrame& frame);

// The generic kernel's tick and idle hooks (arch::set_kernel_hooks), for
// the timer handler and the idle loop.
void run_tick_hook();
void run_idle_hook();
void run_cpu_start_hook();
// The system call and interrupt-exit hooks, for the fast entries.
i64 run_syscall_hook(arch::SyscallRequest& request);
void run_interrupt_exit_hook(bool to_user);
// Kills the current task with #GP (the user_fault hook) if `frame` would
// return to a non-canonical RIP, which IRETQ and SYSRET fault on in ring 0.
void check_user_return(const TrapFrame& frame);

// NMI and #MC, reached through the paranoid entry on their IST stacks.
void nmi_handle(TrapFrame& frame);
// Command line: nmi_log=N (the `lstar: nmi` line only for the first N NMIs
// of each CPU; default all), nmi_ipi=R and seed=S (the injection below).
void nmi_configure(const char* cmdline);
// nmi_ipi=R: each CPU sends about R NMI IPIs a second to random other
// online CPUs, from its timer tick; its xorshift state comes from seed= and
// its number, so a run is repeatable. seed: once per CPU before its timer
// runs; tick: every timer tick.
void nmi_inject_seed(CpuLocal& cpu);
void nmi_inject_tick(CpuLocal& cpu, u64 ticks_per_second);
void mce_handle(TrapFrame& frame);

// Per-CPU machine-check set-up (CR4.MCE, bank enables, stale status
// cleared) and the poll that finds corrected errors, which raise no #MC.
void mce_init_cpu();
void mce_poll();

// Stops every other online CPU with an NMI: each prints where it was (a
// `lstar: cpu-stopped` line, a backtrace and its last system calls) and
// halts. Waits for their reports until kStopWaitMs pass without a new one.
// Safe from any context, NMI and #MC included. Returns the CPUs that did not
// report (a `lstar: stop timeout` line each), 0 if all did.
u64 stop_other_cpus(const char* why);
// True once some CPU has started stopping the others.
bool stopping();

}  // namespace x86
