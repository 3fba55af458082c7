// Kernel panic: one message, a symbolized backtrace, then the failure verdict.
#include "kernel/panic.h"

#include <stdarg.h>

#include "kernel/arch.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "kernel/trace/trace.h"
#include "lib/format.h"

void panic(const char* fmt, ...) {
    // The first CPU to panic reports; a second panic on it stops quietly,
    // and other CPUs that panic meanwhile wait to be stopped by the first.
    static u32 panicking = 0;  // CPU number + 1
    u32 me = arch::cpu_id() + 1;
    u32 expected = 0;
    if (!__atomic_compare_exchange_n(&panicking, &expected, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        arch::halt_forever();
    }

    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    fmt::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    klog::take_back();
    klog::raw("lstar: PANIC: %s (cpu %u)\n", msg, me - 1);

    u64 pcs[16];
    usize n = arch::backtrace(pcs, 16);
    ksyms::print_backtrace(pcs, n);
    u64 unstopped = arch::stop_other_cpus("panic");  // each stopped CPU prints its own calls
    trace::dump_cpu(me - 1, trace::kReportEvents);    // then this CPU's last system calls
    trace::dump_cpus(unstopped);                      // and those of CPUs that did not report
    arch::exit_with_verdict(false);
}
