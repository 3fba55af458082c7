// lstar_syscall6 / lstar_syscall6_32 (entry.h): move the arguments into the
// registers of the kernel's convention and call the entry page. Until the
// runtime has read AT_SYSINFO (and in a task started without one), the
// entry is a local `int 0x80` function, which every CPU supports.
#include "lib/user/entry.h"

extern "C" void lstar_int80_entry();

uptr lstar_sysinfo = reinterpret_cast<uptr>(&lstar_int80_entry);

#if defined(__x86_64__)
// SysV: nr in RDI, a0..a4 in RSI RDX RCX R8 R9, a5 on the stack. The entry
// function returns straight to our caller (tail jump).
asm(R"(
    .text
    .globl lstar_syscall6
    .type lstar_syscall6, @function
lstar_syscall6:
    mov %rdi, %rax
    mov %rsi, %rdi
    mov %rdx, %rsi
    mov %rcx, %rdx
    mov %r8, %r10
    mov %r9, %r8
    mov 8(%rsp), %r9
    jmp *lstar_sysinfo(%rip)
    .size lstar_syscall6, . - lstar_syscall6

    .globl lstar_int80_entry
    .type lstar_int80_entry, @function
lstar_int80_entry:
    int $0x80
    ret
    .size lstar_int80_entry, . - lstar_int80_entry
)");
#else
// cdecl: everything on the stack; EBX, ESI, EDI and EBP are callee-saved
// here but argument registers of the kernel's convention.
asm(R"(
    .text
    .globl lstar_syscall6_32
    .type lstar_syscall6_32, @function
lstar_syscall6_32:
    push %ebp
    push %edi
    push %esi
    push %ebx
    mov 20(%esp), %eax
    mov 24(%esp), %ebx
    mov 28(%esp), %ecx
    mov 32(%esp), %edx
    mov 36(%esp), %esi
    mov 40(%esp), %edi
    mov 44(%esp), %ebp
    call *lstar_sysinfo
    pop %ebx
    pop %esi
    pop %edi
    pop %ebp
    ret
    .size lstar_syscall6_32, . - lstar_syscall6_32

    .globl lstar_int80_entry
    .type lstar_int80_entry, @function
lstar_int80_entry:
    int $0x80
    ret
    .size lstar_int80_entry, . - lstar_int80_entry
)");
#endif
