; The fast system call entries: SYSCALL from 64-bit code (IA32_LSTAR), SYSCALL
; from 32-bit code (IA32_CSTAR, AMD) and SYSENTER (IA32_SYSENTER_EIP, Intel;
; 64- and 32-bit tasks). Each builds the same TrapFrame as an interrupt
; (vector 0x80, the entry path in the error-code slot) on the thread's kernel
; stack and calls x86_syscall_dispatch(TrapFrame*) in cpu/syscall_entry.cpp,
; which returns 0 to leave through the interrupt return (IRETQ) or the kind
; of fast return it has checked is safe (SYSRET, SYSEXIT).
;
; Interrupts stay off from the instruction to the CALL and from the return to
; the exit (SFMASK clears IF for SYSCALL; SYSENTER clears it itself), so
; nothing but NMI and #MC, which take the paranoid path and find GS by MSR,
; can arrive inside the swapgs windows. Details: docs/abi.md.

%include "asm_offsets.inc"
%include "frame.inc"

bits 64
default rel

extern x86_syscall_dispatch
extern trap_return

; In the stub section (see isr.asm): an NMI landing here is classified by
; the range of .entry.text.
section .entry.text progbits alloc exec nowrite align=16

; SYSCALL: RCX = return RIP, R11 = RFLAGS, RSP still the user's; CS/SS are
; the kernel's from IA32_STAR and RFLAGS has been masked by IA32_FMASK.
; %1 = symbol, %2 = the user CS to record, %3 = entry path, %4 = SYSRET form.
%macro SYSCALL_ENTRY 4
align 16
global %1
%1:
    swapgs
    mov [gs:CPU_USER_RSP], rsp
    mov rsp, [gs:CPU_KERNEL_RSP]
    push USER_DS                        ; SS
    push qword [gs:CPU_USER_RSP]        ; RSP
    push r11                            ; RFLAGS
    push %2                             ; CS
    push rcx                            ; RIP
    push %3                             ; error-code slot: the entry path
    push SYSCALL_VECTOR
    PUSH_GPRS
    mov rdi, rsp
    call x86_syscall_dispatch
    test eax, eax
    jz trap_return
    ; SYSRET: the dispatcher checked that RIP is canonical, that the saved
    ; RCX and R11 are RIP and RFLAGS, and that RFLAGS has no TF/RF/NT.
    POP_GPRS
    mov rcx, [rsp + TF_RIP - TF_VECTOR]
    mov r11, [rsp + TF_RFLAGS - TF_VECTOR]
    mov rsp, [rsp + TF_RSP - TF_VECTOR]
    swapgs
    %4
%endmacro

SYSCALL_ENTRY x86_syscall64_entry, USER_CS64, ENTRY_SYSCALL, o64 sysret
SYSCALL_ENTRY x86_syscall32_entry, USER_CS32, ENTRY_SYSCALL32, o32 sysret

; SYSENTER: RSP = IA32_SYSENTER_ESP (this CPU's entry stack), RIP =
; IA32_SYSENTER_EIP; IF, VM and RF are cleared, every other flag is the
; user's, including TF, NT and AC. Nothing of the user's RIP or RSP is saved:
; the entry page's stubs pass the user RSP in RCX (64-bit) or EBP (32-bit)
; and always come back to the landing in the entry page.
;
; A user TF single-steps the first instructions here: the #DB stub in
; isr.asm ignores traps at [x86_sysenter_entry, x86_sysenter_tf_end], which
; is where the POPFQ below clears TF (the trap after the POPFQ still lands
; on x86_sysenter_tf_end). The user's flags, TF included, were pushed first.
align 16
global x86_sysenter_entry
x86_sysenter_entry:
    pushfq
    push 2                              ; only the always-one bit: TF, NT, AC, DF off
    popfq
global x86_sysenter_tf_end
x86_sysenter_tf_end:
    swapgs
    pop qword [gs:CPU_USER_RSP]         ; the user's RFLAGS, parked
    mov rsp, [gs:CPU_KERNEL_RSP]
    push USER_DS                        ; SS
    push rcx                            ; RSP (64-bit convention; the dispatcher fixes 32-bit)
    push qword [gs:CPU_USER_RSP]        ; RFLAGS (IF restored by the dispatcher)
    push USER_CS64                      ; CS and RIP: the dispatcher fills these in
    push 0
    push ENTRY_SYSENTER
    push SYSCALL_VECTOR
    PUSH_GPRS
    mov rdi, rsp
    call x86_syscall_dispatch
    test eax, eax
    jz trap_return
    ; SYSEXIT: RIP from RDX, RSP from RCX; RFLAGS is not loaded, so set it
    ; with IF off and let STI's one-instruction shadow cover the SYSEXIT.
    ; The dispatcher left the kind (1: 64-bit, 2: 32-bit) in the vector slot
    ; and the RFLAGS to load (IF clear) in the error-code slot.
    POP_GPRS
    mov rdx, [rsp + TF_RIP - TF_VECTOR]
    mov rcx, [rsp + TF_RSP - TF_VECTOR]
    cmp qword [rsp], 2
    je x86_sysenter_exit32
    ; An NMI between STI and SYSEXIT returns with IRETQ, which does not
    ; restore STI's shadow: a timer interrupt could then land on SYSEXIT in
    ; ring 0 with the user's GS. The NMI handler moves such a return back to
    ; the STI with IF clear (nmi.cpp), so the shadow is taken again.
    push qword [rsp + TF_ERROR_CODE - TF_VECTOR]
    popfq
    swapgs
    sti
global x86_sysexit64_insn
x86_sysexit64_insn:
    o64 sysexit
x86_sysenter_exit32:
    push qword [rsp + TF_ERROR_CODE - TF_VECTOR]
    popfq
    swapgs
    sti
global x86_sysexit32_insn
x86_sysexit32_insn:
    o32 sysexit
