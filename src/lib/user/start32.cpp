// 32-bit program entry (_start) and the entry of threads made by
// thread_create, for programs built with lstar_user32. start.asm is the
// 64-bit twin; NASM is set up for ELF64 objects here, so the entry code is
// top-level assembly of this file (AT&T syntax).
//
// The state the kernel hands a new 32-bit task (i386 System V process start,
// see docs/tasks.md):
//   EIP     = the ELF header's e_entry (_start), in a 32-bit code segment
//   EFLAGS  = 0x202 (IF set, everything else clear)
//   every general register 0, except ESP
//   ESP     16-byte aligned, pointing at
//             [esp]              argc (4 bytes)
//             [esp+4 ...]        argv[0] .. argv[argc-1], then NULL
//             ...                envp pointers (none yet), then NULL
//             ...                auxv: (key, value) u32 pairs, the last with
//                                key AT_NULL (keys as in start.asm)
//             higher up          the strings argv points to
// As in start.asm, the first instructions record every register exactly as
// received in lstar_start_info, then start_main(initial ESP) does the rest.
#include <stddef.h>

#include "lib/abi/syscall.h"
#include "lib/user/lstar.h"
#include "lib/user/thread_start.h"

#if defined(__x86_64__)
#error "start32.cpp is the entry code of 32-bit programs; 64-bit ones use start.asm"
#endif

// Layout of lstar::StartInfo in a 32-bit program (runtime.cpp checks it too).
#define SI_REGS 16
#define SI_EFLAGS 48
static_assert(offsetof(lstar::StartInfo, regs) == SI_REGS);
static_assert(offsetof(lstar::StartInfo, rflags) == SI_EFLAGS);
#define STR_(x) #x
#define STR(x) STR_(x)
#define SI(offset) "lstar_start_info+" STR(SI_REGS) "+" #offset

// _start: MOV does not touch EFLAGS, so the registers are stored first, then
// the flags (PUSHFL uses the 4 bytes below argc). cdecl passes start_main's
// argument on the stack; ESP is 16-byte aligned at the CALL (i386 psABI 2.2.2).
//
// lstar_thread_entry: the kernel starts a thread made by thread_create with
// ESP = EAX = the ThreadStart at the top of its stack (the 32-bit convention
// passes a new thread's argument in EAX, as nothing is passed in registers).
asm(R"(
    .text
    .globl _start
    .type _start, @function
_start:
    movl %eax, )" SI(0) R"(
    movl %ebx, )" SI(4) R"(
    movl %ecx, )" SI(8) R"(
    movl %edx, )" SI(12) R"(
    movl %esi, )" SI(16) R"(
    movl %edi, )" SI(20) R"(
    movl %ebp, )" SI(24) R"(
    movl %esp, )" SI(28) R"(
    pushfl
    popl lstar_start_info+)" STR(SI_EFLAGS) R"(

    movl %esp, %eax
    xorl %ebp, %ebp
    andl $-16, %esp
    subl $12, %esp
    pushl %eax
    call start_main
    ud2
    .size _start, . - _start

    .globl lstar_thread_entry
    .type lstar_thread_entry, @function
lstar_thread_entry:
    xorl %ebp, %ebp
    andl $-16, %esp
    subl $12, %esp
    pushl %eax
    call lstar_thread_start
    ud2
    .size lstar_thread_entry, . - lstar_thread_entry
)");

extern "C" [[noreturn]] void lstar_thread_start(const lstar::ThreadStart* start) {
    start->entry(start->arg);
    lstar::thread_exit(0);
}
