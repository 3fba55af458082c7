// The interrupt-flag half of the arch seam (kernel/arch.h): save/disable,
// restore, query, and the spin-wait hint.
#include "kernel/arch.h"

namespace {

constexpr u64 kRflagsIf = 1ull << 9;

u64 read_rflags() {
    u64 flags;
    asm volatile("pushfq; popq %0" : "=r"(flags)::"memory");
    return flags;
}

}  // namespace

namespace arch {

u64 irq_save() {
    u64 flags;
    // The memory clobber keeps the critical section's accesses after the cli.
    asm volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
    return flags & kRflagsIf;
}

// Only IF is restored: the other flags may have changed legitimately since
// irq_save() (and popfq of a stale image would undo that).
void irq_restore(u64 state) {
    if (state & kRflagsIf) asm volatile("sti" ::: "memory");
    else asm volatile("cli" ::: "memory");
}

void irq_enable() { asm volatile("sti" ::: "memory"); }

bool irqs_enabled() { return (read_rflags() & kRflagsIf) != 0; }

void cpu_relax() { asm volatile("pause" ::: "memory"); }

}  // namespace arch
