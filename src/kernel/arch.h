// The seam between generic kernel code and the architecture: everything
// src/kernel may ask of the CPU and platform, implemented in src/arch/<arch>/.
#pragma once

#include "lib/acpi.h"
#include "lib/kstd/types.h"
#include "lib/multiboot2.h"

namespace arch {

// Early console (COM1 on x86_64): usable from the first line of kernel_main.
void console_init();
void console_write(const char* s, usize n);
void console_flush();  // returns once everything written has been sent

// CPU tables of the boot CPU (GDT, TSS with IST stacks, IDT).
void cpu_init_boot();

// This CPU's number: 0 is the boot CPU, APs are numbered in MADT order.
// Valid from cpu_init_boot() on (the per-CPU block is reached through GS).
u32 cpu_id();
// CPUs online so far (1 until the APs are started).
u32 cpu_count();

// Interrupt flag: irq_save() disables interrupts and returns the previous
// state for irq_restore(). cpu_relax() is the spin-wait hint (PAUSE).
u64 irq_save();
void irq_restore(u64 state);
bool irqs_enabled();
void cpu_relax();

// Local APIC, I/O APICs and every AP in the MADT (nullptr: the boot CPU
// alone). Returns the number of CPUs online. Command line: `xapic` keeps the
// local APIC in xAPIC mode even where x2APIC exists.
u32 smp_init(const mb2::Info& info, u64 info_phys, const acpi::Madt* madt);

// Stops every other CPU (each prints where it was) before a panic's verdict.
void stop_other_cpus(const char* why);

// Boot self-tests of the interrupt and SMP machinery (remote calls, IPIs,
// LAPIC timers, I/O APIC routing); TAP lines through selftest::tap().
bool run_smp_selftests();

// Runs the SMP test named by `test=` on the command line, if it is one of
// the architecture's (nmi, mce, tlb, tlb-no-shootdown, watchdog); returns
// false if it is not.
// `pass` receives the outcome.
bool run_smp_test(const char* cmdline, bool& pass);

// Monotonic time since reset, in nanoseconds (TSC calibrated against the PIT).
void time_init();
u64 time_ns();
// Busy-waits at least `us` microseconds by the clock above.
void delay_us(u64 us);

// Reports the kernel's verdict to the emulator (isa-debug-exit in QEMU; a
// serial line plus the Bochs shutdown port otherwise) and stops this CPU.
[[noreturn]] void exit_with_verdict(bool pass);
[[noreturn]] void halt_forever();
// Idles this CPU for good with interrupts on (it still answers IPIs, timer
// ticks and the watchdog); unlike halt_forever(), for a healthy CPU.
[[noreturn]] void idle_forever();

// Frame-pointer walk from the caller; returns the number of return addresses.
usize backtrace(u64* pcs, usize max);
usize backtrace_from(u64 rbp, u64* pcs, usize max);

}  // namespace arch

// Kernel address space (the upper half shared by every address space).
namespace arch {

enum MapFlags : u32 {
    kMapRead = 0,
    kMapWrite = 1 << 0,
    kMapExec = 1 << 1,
    kMapUser = 1 << 2,
    kMapUncached = 1 << 3,
};

// Builds the kernel page tables (image W^X per section, guard pages left
// out, direct map of physical memory up to phys_top) and switches to them.
// Returns the end of the direct map (phys_top rounded up to its page size).
u64 paging_init(u64 phys_top);

// 4 KiB mappings in the kernel half; false with a logged reason on error.
bool kernel_map(u64 virt, u64 phys, u32 flags);
bool kernel_unmap(u64 virt);
bool kernel_translate(u64 virt, u64& phys);

}  // namespace arch
