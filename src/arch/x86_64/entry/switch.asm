; Thread switch: the kernel half of a context switch is a stack switch. The
; caller-saved registers are already saved by the C++ caller (the System V
; ABI), so only the callee-saved ones and the return address live in the
; switch frame:
;
;     kernel_sp -> r15 r14 r13 r12 rbx rbp  return-address
;
; A new thread's frame (arch::context_init) has r12 = function, r13 = its
; argument and returns into x86_thread_bootstrap.

%include "asm_offsets.inc"

bits 64
default rel

extern trap_return

section .text

; void x86_switch_stacks(u64* save_sp, u64 next_sp)
global x86_switch_stacks
x86_switch_stacks:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; First code of every new thread, on its own stack (16-byte aligned here).
global x86_thread_bootstrap
x86_thread_bootstrap:
    xor ebp, ebp                        ; ends the backtrace here
    mov rdi, r13
    call r12
    ud2                                 ; thread functions never return

; [[noreturn]] void x86_enter_user(TrapFrame* frame): leaves through the
; common interrupt return (swapgs, iretq), as if returning from an
; interrupt taken in user mode.
global x86_enter_user
x86_enter_user:
    mov rsp, rdi
    jmp trap_return
