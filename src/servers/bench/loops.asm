; The timed loops of bench (main.cpp). Each function runs `iters` rounds of
; one or two kernel entries and returns the time-stamp counter ticks they
; took, between serialised time stamps (LFENCE; RDTSC before, RDTSCP;
; LFENCE after):
;
;   u64 bl_NAME(u64 iters, const BenchCall* a, const BenchCall* b)
;
; Every round loads the registers of call `a` (and then `b`, for the `2`
; loops) from its block and executes the entry instruction. The `nop`
; loops are the same code with each entry instruction replaced by a
; two-byte NOP (66 90): SYSCALL (0f 05), INT 0x80 (cd 80) and CALL RBP
; (ff d5) are two bytes each, so the difference of the two is the cost of
; the entries alone. The kernel keeps RBX, RBP and R13-R15 (docs/abi.md);
; every other register is loaded again each round.

bits 64
default rel

; struct BenchCall (main.cpp)
%define C_RAX 0
%define C_RDI 8
%define C_RSI 16
%define C_RDX 24
%define C_R10 32
%define C_R8 40
%define C_R9 48
%define C_R12 56
%define C_TARGET 64

section .text

%macro LOAD 1
    mov rax, [%1 + C_RAX]
    mov rdi, [%1 + C_RDI]
    mov rsi, [%1 + C_RSI]
    mov rdx, [%1 + C_RDX]
    mov r10, [%1 + C_R10]
    mov r8, [%1 + C_R8]
    mov r9, [%1 + C_R9]
    mov r12, [%1 + C_R12]
    mov rbp, [%1 + C_TARGET]
%endmacro

%macro INSN 1
%ifidn %1, syscall
    syscall
%elifidn %1, int80
    int 0x80
%elifidn %1, call
    call rbp
%else
    db 0x66, 0x90
%endif
%endmacro

; LOOP name, instruction, entries per round (1 or 2)
%macro LOOP 3
global %1
%1:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov rbx, rdi
    mov r13, rsi
    mov r14, rdx
    lfence
    rdtsc
    lfence
    shl rdx, 32
    or rax, rdx
    mov r15, rax
    test rbx, rbx
    jz %%done
align 16
%%round:
    LOAD r13
    INSN %2
%if %3 == 2
    LOAD r14
    INSN %2
%endif
    dec rbx
    jnz %%round
%%done:
    rdtscp
    lfence
    shl rdx, 32
    or rax, rdx
    sub rax, r15
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
%endmacro

LOOP bl_syscall, syscall, 1
LOOP bl_int80, int80, 1
LOOP bl_call, call, 1
LOOP bl_nop, nop, 1
LOOP bl_syscall2, syscall, 2
LOOP bl_nop2, nop, 2

section .note.GNU-stack noalloc noexec nowrite progbits
