; The register harness of entrytest: et_call(in, out, kind) loads every
; general register and RFLAGS from `in`, enters the kernel one way (`kind`),
; and stores what came back in `out`, so main.cpp can compare each register
; with what the ABI promises. RFLAGS is loaded last (POPFQ right before the
; entry instruction) so that TF, NT, AC and DF are in effect exactly there.

bits 64
default rel

; struct Regs (main.cpp): rax rbx rcx rdx rsi rdi rbp rsp r8..r15 rflags
%define R_RAX 0
%define R_RBX 8
%define R_RCX 16
%define R_RDX 24
%define R_RSI 32
%define R_RDI 40
%define R_RBP 48
%define R_RSP 56
%define R_R8 64
%define R_R9 72
%define R_R10 80
%define R_R11 88
%define R_R12 96
%define R_R13 104
%define R_R14 112
%define R_R15 120
%define R_FLAGS 128

section .bss
et_in: resq 1
et_out: resq 1
et_saved_rsp: resq 1
et_tmp_rax: resq 1
et_tmp_rsp: resq 1
global et_target, et_ss
et_target: resq 1       ; where the K_CALL kinds call (an entry-page function)
et_ss: resq 1           ; the SS selector the MOV SS kinds reload

section .text

; Loads the registers (RSP too when %1 is 1), RFLAGS last. With %2 = 1, RCX
; is the stack pointer after the POPFQ instead (the SYSENTER stub convention).
%macro LOAD_IN 2
    mov rax, [et_in]
    push qword [rax + R_FLAGS]
    mov rbx, [rax + R_RBX]
    mov rcx, [rax + R_RCX]
    mov rdx, [rax + R_RDX]
    mov rsi, [rax + R_RSI]
    mov rdi, [rax + R_RDI]
    mov rbp, [rax + R_RBP]
    mov r8, [rax + R_R8]
    mov r9, [rax + R_R9]
    mov r10, [rax + R_R10]
    mov r11, [rax + R_R11]
    mov r12, [rax + R_R12]
    mov r13, [rax + R_R13]
    mov r14, [rax + R_R14]
    mov r15, [rax + R_R15]
%if %2
    lea rcx, [rsp + 8]
%endif
%if %1
    popfq                       ; before RSP changes (the flags are on the old stack)
    mov rsp, [rax + R_RSP]
    mov rax, [rax + R_RAX]
%else
    mov rax, [rax + R_RAX]
    popfq
%endif
%endmacro

; Stores every register and RFLAGS (read before any instruction that
; changes flags), then returns from et_call.
%macro STORE_OUT 0
    mov [et_tmp_rax], rax
    mov [et_tmp_rsp], rsp
    mov rsp, [et_saved_rsp]
    pushfq
    mov rax, [et_out]
    pop qword [rax + R_FLAGS]
    mov [rax + R_RBX], rbx
    mov [rax + R_RCX], rcx
    mov [rax + R_RDX], rdx
    mov [rax + R_RSI], rsi
    mov [rax + R_RDI], rdi
    mov [rax + R_RBP], rbp
    mov [rax + R_R8], r8
    mov [rax + R_R9], r9
    mov [rax + R_R10], r10
    mov [rax + R_R11], r11
    mov [rax + R_R12], r12
    mov [rax + R_R13], r13
    mov [rax + R_R14], r14
    mov [rax + R_R15], r15
    mov rbx, [et_tmp_rsp]
    mov [rax + R_RSP], rbx
    mov rbx, [et_tmp_rax]
    mov [rax + R_RAX], rbx
    jmp et_done
%endmacro

; void et_call(const Regs* in, Regs* out, u64 kind)
global et_call
et_call:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [et_saved_rsp], rsp
    mov [et_in], rdi
    mov [et_out], rsi
    cmp rdx, K_COUNT
    jae et_done
    lea rax, [et_kinds]
    jmp [rax + rdx * 8]

et_done:
    mov rsp, [et_saved_rsp]
    push 0x202                  ; back to C++ with DF, AC, NT, TF clear
    popfq
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; Each kind; the global labels mark return addresses main.cpp checks.
k_syscall:
    LOAD_IN 0, 0
    syscall
global et_ret_syscall
et_ret_syscall:
    nop
global et_ret_syscall_nop
et_ret_syscall_nop:
    STORE_OUT

; SYSENTER as the entry page's stub does it, by hand: the landing pops RDX
; and returns, and RCX is the stack to come back on. Set up before LOAD_IN
; so that nothing runs between the POPFQ and the SYSENTER.
%macro SYSENTER_FRAME 1
    lea r11, [%1]
    push r11
    mov r11, [et_in]
    push qword [r11 + R_RDX]
%endmacro

k_sysenter:
    SYSENTER_FRAME et_ret_sysenter
    LOAD_IN 0, 1
    sysenter
global et_ret_sysenter
et_ret_sysenter:
    nop
    STORE_OUT

k_int80:
    LOAD_IN 0, 0
    int 0x80
global et_ret_int80
et_ret_int80:
    nop
global et_ret_int80_nop
et_ret_int80_nop:
    STORE_OUT

k_call:
    LOAD_IN 0, 0
    call [et_target]
global et_ret_call
et_ret_call:
    nop
    STORE_OUT

k_syscall_rsp:                  ; RSP from `in` too (all-ones)
    LOAD_IN 1, 0
    syscall
    STORE_OUT

k_int80_rsp:
    LOAD_IN 1, 0
    int 0x80
    STORE_OUT

k_movss_syscall:                ; MOV SS holds interrupts and traps for one instruction
    LOAD_IN 0, 0
    mov ss, [et_ss]
    syscall
global et_ret_movss_syscall
et_ret_movss_syscall:
    nop
global et_ret_movss_syscall_nop
et_ret_movss_syscall_nop:
    STORE_OUT

k_movss_int80:
    LOAD_IN 0, 0
    mov ss, [et_ss]
    int 0x80
global et_ret_movss_int80
et_ret_movss_int80:
    nop
global et_ret_movss_int80_nop
et_ret_movss_int80_nop:
    STORE_OUT

k_movss_sysenter:
    SYSENTER_FRAME et_ret_movss_sysenter
    LOAD_IN 0, 1
    mov ss, [et_ss]
    sysenter
global et_ret_movss_sysenter
et_ret_movss_sysenter:
    nop
    STORE_OUT

section .rodata
align 8
et_kinds:
    dq k_syscall, k_sysenter, k_int80, k_call, k_syscall_rsp, k_int80_rsp
    dq k_movss_syscall, k_movss_int80, k_movss_sysenter
K_COUNT equ ($ - et_kinds) / 8

section .note.GNU-stack noalloc noexec nowrite progbits
