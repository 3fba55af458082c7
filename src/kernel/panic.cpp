// Kernel panic: one message, a symbolized backtrace, then the failure verdict.
#include "kernel/panic.h"

#include <stdarg.h>

#include "kernel/arch.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "lib/format.h"

void panic(const char* fmt, ...) {
    static bool in_panic = false;
    if (in_panic) arch::halt_forever();  // a panic while panicking: stop quietly
    in_panic = true;

    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    fmt::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    klog::raw("lstar: PANIC: %s\n", msg);

    u64 pcs[16];
    usize n = arch::backtrace(pcs, 16);
    ksyms::print_backtrace(pcs, n);
    arch::exit_with_verdict(false);
}
