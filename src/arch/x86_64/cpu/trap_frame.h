// The register frame built by every interrupt/exception entry stub: one struct
// shared by NASM (through generated asm_offsets.inc) and C++.
#pragma once

#include <stddef.h>

#include "lib/kstd/types.h"

namespace x86 {

struct TrapFrame {
    // Pushed by the common stub (entry/isr.asm), last pushed first.
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
    // Pushed by the per-vector stub.
    u64 vector;
    u64 error_code;  // the CPU's, or 0 for vectors without one
    // Pushed by the CPU on every interrupt in 64-bit mode [SDM 3A 6.14.2].
    u64 rip, cs, rflags, rsp, ss;
};

// The hardware part must end the frame, in this order, or iretq breaks.
static_assert(offsetof(TrapFrame, error_code) + 8 == offsetof(TrapFrame, rip));
static_assert(offsetof(TrapFrame, rip) + 8 == offsetof(TrapFrame, cs));
static_assert(offsetof(TrapFrame, cs) + 8 == offsetof(TrapFrame, rflags));
static_assert(offsetof(TrapFrame, rflags) + 8 == offsetof(TrapFrame, rsp));
static_assert(offsetof(TrapFrame, rsp) + 8 == offsetof(TrapFrame, ss));
static_assert(sizeof(TrapFrame) == 22 * 8);
static_assert(sizeof(TrapFrame) % 16 == 0, "keeps the C++ handler's stack 16-byte aligned");

}  // namespace x86
