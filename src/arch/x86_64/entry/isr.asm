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
%include "frame.inc"

bits 64
default rel

extern trap_dispatch
extern x86_sysenter_entry
extern x86_sysenter_tf_end

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
%elif %1 == 1
    jmp debug_entry
%else
    jmp isr_common
%endif
%endmacro

; Offset of the saved CS while only the vector and error code are on top of
; the hardware frame.
%define STUB_CS (TF_CS - TF_VECTOR)

%define STUB_RIP (TF_RIP - TF_VECTOR)

; Interrupt delivery clears TF, NT and (through the gate) IF, but neither AC
; nor DF [SDM 3A 6.12.1.3]: a user could enter with AC set, which would turn
; SMAP off for the kernel, or with DF set, which the C++ ABI forbids. Every
; entry therefore loads RFLAGS with nothing but the always-one bit (IF is
; already clear); IRETQ puts the interrupted flags back.
%macro CLEAN_RFLAGS 0
    push 2
    popfq
%endmacro

; The entry and exit stubs, whose swapgs windows an NMI can land in, share
; one section with syscall.asm's: the linker script brackets it with
; __entry_text_start/__entry_text_end, and the NMI handler classifies a
; landing RIP by that range (cpu/nmi_place.h). paranoid_common is not in it:
; it runs with NMIs blocked.
section .entry.text progbits alloc exec nowrite align=16
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
    CLEAN_RFLAGS
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

section .text
align 16
paranoid_common:
    PUSH_GPRS
    CLEAN_RFLAGS
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

section .entry.text
; #DB arrives on its own IST stack (cpu/gdt.h says why).
;  - From user mode it is an ordinary exception: the stub moves its frame to
;    the thread's kernel stack, where the CPU would have put it without IST,
;    and continues as isr_common (the thread may be killed and switched away
;    from, which must not happen on a per-CPU stack).
;  - In the kernel, traps at [x86_sysenter_entry, x86_sysenter_tf_end] are
;    the single steps a user's TF carries into SYSENTER (SYSENTER does not
;    clear TF) until the entry's POPFQ clears it: dropped without touching
;    anything, GS included (it is still the user's there).
;  - Any other kernel #DB takes the paranoid path, which finds GS by MSR:
;    trap_dispatch drops a single-step left pending by MOV SS/POP SS before
;    SYSCALL or INT and reports anything else.
align 16
debug_entry:
    test byte [rsp + STUB_CS], 3
    jz .kernel
    push rax
    push rcx
    mov rcx, rsp                        ; the IST stack: rcx, rax, vector .. ss
    mov rax, rsp
    and rax, -CPU_STACK_SIZE
    mov rax, [rax + CPU_STACK_SIZE - 8] ; this CPU's CpuLocal (top word of the IST stack)
    mov rax, [rax + CPU_KERNEL_RSP]     ; the thread's kernel stack top (TSS.RSP0)
    lea rsp, [rax - 7 * 8]
%assign i 0
%rep 7
    mov rax, [rcx + 16 + i * 8]
    mov [rsp + i * 8], rax
%assign i i + 1
%endrep
    mov rax, [rcx + 8]
    mov rcx, [rcx]
    jmp isr_common
.kernel:
    push rax
    lea rax, [rel x86_sysenter_entry]
    cmp [rsp + 8 + STUB_RIP], rax
    jb .paranoid
    lea rax, [rel x86_sysenter_tf_end]
    cmp [rsp + 8 + STUB_RIP], rax
    ja .paranoid
    pop rax
    add rsp, STUB_RIP                   ; drop vector and error code
    iretq
.paranoid:
    pop rax
    jmp paranoid_common

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
