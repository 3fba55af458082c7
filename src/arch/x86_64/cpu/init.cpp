// arch::cpu_init_boot: the boot CPU's descriptor tables.
#include "arch/x86_64/cpu/gdt.h"
#include "arch/x86_64/cpu/idt.h"
#include "kernel/arch.h"

namespace arch {

void cpu_init_boot() {
    x86::gdt_init_boot();
    x86::idt_init_boot();
}

}  // namespace arch
