// arch::cpu_init_boot: the boot CPU's per-CPU block and descriptor tables.
#include "arch/x86_64/cpu/features.h"
#include "arch/x86_64/cpu/fpu.h"
#include "arch/x86_64/cpu/gdt.h"
#include "arch/x86_64/cpu/idt.h"
#include "arch/x86_64/cpu/percpu.h"
#include "kernel/arch.h"
#include "kernel/log.h"

namespace arch {

void cpu_init_boot() {
    x86::percpu_init_boot();  // GDT, TSS with early IST stacks, GS base
    x86::idt_init_boot();
    x86::probe_boot_cpu();
    x86::fpu_init_cpu();
    char line[256];
    x86::describe(x86::boot_cpu_features(), line, sizeof line);
    klog::report("cpu", "%s", line);
}

}  // namespace arch
