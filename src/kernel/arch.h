// The seam between generic kernel code and the architecture: everything
// src/kernel may ask of the CPU and platform, implemented in src/arch/<arch>/.
#pragma once

#include "lib/kstd/types.h"

namespace arch {

// Early console (COM1 on x86_64): usable from the first line of kernel_main.
void console_init();
void console_write(const char* s, usize n);

// CPU tables of the boot CPU (GDT, TSS with IST stacks, IDT).
void cpu_init_boot();

// Monotonic time since reset, in nanoseconds (TSC calibrated against the PIT).
void time_init();
u64 time_ns();

// Reports the kernel's verdict to the emulator (isa-debug-exit in QEMU; a
// serial line plus the Bochs shutdown port otherwise) and stops this CPU.
[[noreturn]] void exit_with_verdict(bool pass);
[[noreturn]] void halt_forever();

// Frame-pointer walk from the caller; returns the number of return addresses.
usize backtrace(u64* pcs, usize max);
usize backtrace_from(u64 rbp, u64* pcs, usize max);

}  // namespace arch
