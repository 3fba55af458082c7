// lstar_ipc_syscall (kernel_entry.h). Out-of-line assembly rather than
// inline asm: the entry page is reached with `call`, which pushes a return
// address below RSP, and inline asm in a function that keeps data in its
// red zone would have it overwritten.
//
// SysV in: RDI nr, RSI regs. The kernel changes RAX, RCX, R11 and RFLAGS,
// and, for the message calls, RDI, RSI, R10, R8, R9 and R12; RDX is treated
// as clobbered too (the SYSENTER variant of the entry page restores it, but
// nothing here relies on that). RBX holds the block across the call: the
// kernel preserves it, and it is callee-saved, so it is saved here with
// R12. Two pushes keep the stack as aligned as the caller had it plus the
// return address, which the entry function does not care about.
#include "lib/ipc/kernel_entry.h"

#if !defined(__x86_64__)
#error "the IPC library is for 64-bit programs only"
#endif

asm(R"(
    .text
    .globl lstar_ipc_syscall
    .type lstar_ipc_syscall, @function
lstar_ipc_syscall:
    push %rbx
    push %r12
    mov %rsi, %rbx
    mov %rdi, %rax
    mov 0(%rbx), %rdi
    mov 8(%rbx), %rsi
    mov 16(%rbx), %r10
    mov 24(%rbx), %r8
    mov 32(%rbx), %r9
    mov 40(%rbx), %r12
    call *lstar_sysinfo(%rip)
    mov %rdi, 0(%rbx)
    mov %rsi, 8(%rbx)
    mov %r10, 16(%rbx)
    mov %r8, 24(%rbx)
    mov %r9, 32(%rbx)
    mov %r12, 40(%rbx)
    pop %r12
    pop %rbx
    ret
    .size lstar_ipc_syscall, . - lstar_ipc_syscall
)");
