// User FPU/SSE/AVX state. The kernel itself is built without x87/SSE code
// (-mgeneral-regs-only), so the registers always hold the state of the last
// user thread that ran on this CPU; the scheduler saves it eagerly on every
// switch away from a user thread and restores the next one's.
#pragma once

#include "lib/kstd/types.h"

namespace x86 {

// Turns on FXSR/SSE (CR0, CR4) and, where the CPU has XSAVE, CR4.OSXSAVE
// with XCR0 = x87 | SSE | AVX (the AVX part only if present). Every CPU.
void fpu_init_cpu();

// Bytes of a save area (XSAVE standard form or the 512-byte FXSAVE image);
// it must be 64-byte aligned for XSAVE.
usize fpu_area_size();

// A fresh area: the state a new thread starts with (FCW 0x37F, MXCSR 0x1F80,
// everything else at its initial value).
void fpu_init_area(void* area);
void fpu_save(void* area);
void fpu_restore(const void* area);

}  // namespace x86
