; Interrupt and exception entry: 256 tiny per-vector stubs that even out the
; stack (dummy error code where the CPU pushes none) and record the vector,
; then a common path that saves the general registers as a TrapFrame and
; calls trap_dispatch(TrapFrame*). Policy lives in C++.
;
; Two common paths:
;  - isr_common, for everything that arrives on the current or the TSS.RSP0
;    stack: from user mode (CPL 3 in the saved CS) it swaps GS on the way in
;    and out, so C++ always runs with GS base = this CPU's CpuLocal. This is
;    safe because these vectors cannot land inside an entry stub's swapgs
;    window: interrupts are off there, and the stubs do not fault.
;  - paranoid_common, for NMI, #DF and #MC, which arrive on IST stacks at any
;    instruction, including between an entry's swapgs and its stack switch.
;    The saved CS cannot say which GS base is live there, so the path reads
;    the hardware: it takes this CPU's CpuLocal pointer from the top word of
;    its IST stack (the stacks are aligned to their size), saves the current
;    IA32_GS_BASE, installs the kernel's, and puts the saved value back before
;    IRETQ. IA32_KERNEL_GS_BASE is never touched.

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
%if %1 == 2 || %1 == 8 || %1 == 18
    jmp paranoid_common
%else
    jmp isr_common
%endif
%endmacro

%macro PUSH_GPRS 0
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
%endmacro

%macro POP_GPRS 0
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
%endmacro

; Offset of the saved CS while only the vector and error code are on top of
; the hardware frame.
%define STUB_CS (TF_CS - TF_VECTOR)

section .text
align 16
isr_common:
    test byte [rsp + STUB_CS], 3        ; from user mode?
    jz .kernel_gs
    swapgs
.kernel_gs:
    PUSH_GPRS
    ; RSP now points at a complete TrapFrame and is 16-byte aligned: the CPU
    ; aligned it before pushing the 5-word iret frame, and we added 17 words.
    mov rdi, rsp
    cld                                 ; the C++ ABI expects DF = 0
    call trap_dispatch
; The way out of every interrupt and of a thread's first entry to user mode
; (x86_enter_user): RSP at a complete TrapFrame.
global trap_return
trap_return:
    POP_GPRS
    test byte [rsp + STUB_CS], 3
    jz .kernel_return
    swapgs
.kernel_return:
    add rsp, TF_RIP - TF_VECTOR         ; drop vector and error code
    iretq

align 16
paranoid_common:
    PUSH_GPRS
    cld
    ; r12 = GS base at entry, r13 = this CPU's CpuLocal; both callee-saved,
    ; and their interrupted values are already in the frame.
    mov r13, rsp
    and r13, -CPU_STACK_SIZE
    mov r13, [r13 + CPU_STACK_SIZE - 8]
    mov ecx, MSR_GS_BASE
    rdmsr
    shl rdx, 32
    or rax, rdx
    mov r12, rax
    cmp r12, r13
    je .gs_ready
    mov rax, r13
    mov rdx, r13
    shr rdx, 32
    wrmsr
.gs_ready:
    mov [r13 + CPU_PARANOID_GS], r12    ; for reports: where the event landed
    ; NMIs stay blocked until the next IRET, but an exception taken inside
    ; the handler would IRET and unblock them; a nested NMI would then reuse
    ; IST1 and overwrite this frame. Moving IST1 down for the duration gives
    ; a nested NMI its own part of the stack.
    cmp qword [rsp + TF_VECTOR], 2
    jne .dispatch
    sub qword [r13 + CPU_TSS_IST1], NMI_NEST_SHIFT
.dispatch:
    mov rdi, rsp
    call trap_dispatch
    cmp qword [rsp + TF_VECTOR], 2
    jne .restore_gs
    add qword [r13 + CPU_TSS_IST1], NMI_NEST_SHIFT
.restore_gs:
    cmp r12, r13
    je .gs_restored
    mov ecx, MSR_GS_BASE
    mov rax, r12
    mov rdx, r12
    shr rdx, 32
    wrmsr
.gs_restored:
    POP_GPRS
    add rsp, TF_RIP - TF_VECTOR
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
