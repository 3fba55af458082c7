; Interrupt and exception entry: 256 tiny per-vector stubs that even out the
; stack (dummy error code where the CPU pushes none) and record the vector,
; then one common path that saves the general registers as a TrapFrame and
; calls trap_dispatch(TrapFrame*). Policy lives in C++.

%include "asm_offsets.inc"

bits 64
default rel

extern trap_dispatch

; Vectors for which the CPU pushes an error code [SDM 3A 6.15, table 6-1]:
; #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30.
%macro ISR_STUB 1
isr_stub_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
%else
    push 0                              ; dummy error code
%endif
    push %1                             ; vector
    jmp isr_common
%endmacro

section .text
align 16
isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    ; RSP now points at a complete TrapFrame and is 16-byte aligned: the CPU
    ; aligned it before pushing the 5-word iret frame, and we added 17 words.
    mov rdi, rsp
    cld                                 ; the C++ ABI expects DF = 0
    call trap_dispatch
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, TF_RIP - TF_VECTOR         ; drop vector and error code
    iretq

%assign v 0
%rep 256
ISR_STUB %[v]
%assign v v + 1
%endrep

section .rodata
align 8
global isr_stub_table
isr_stub_table:
%assign v 0
%rep 256
    dq isr_stub_%[v]
%assign v v + 1
%endrep
