; The fuzzer's way into the kernel: one call through a chosen entry path
; with all seven argument and message registers set, and the function its
; children start at.

bits 64
default rel

; Values RBX and RBP hold across every call: the ABI keeps them.
%define KEEP_RBX 0x5EB0C0DEF00D1234
%define KEEP_RBP 0x0BADCAFE5EED5678

; Paths (worker.cpp): 0 SYSCALL, 1 SYSENTER (as the entry page's stub does
; it: the kernel returns to the page's landing, which pops RDX and returns),
; 2 int 0x80, 3 a call to the entry-page function in `target`.

section .text

; u64 fz_enter(u64 nr, u64 regs[8], u64 path, u64 target)
; regs[0..6]: RDI RSI RDX R10 R8 R9 R12 in, the same registers after the
; call out; regs[7] out: non-zero if RBX or RBP came back changed.
; Returns RAX.
global fz_enter:function (fz_enter.end - fz_enter)
fz_enter:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov r15, rsi
    mov r14, rdx
    mov r13, rcx
    mov rax, rdi
    mov rbx, KEEP_RBX
    mov rbp, KEEP_RBP
    mov rdi, [r15 + 0]
    mov rsi, [r15 + 8]
    mov rdx, [r15 + 16]
    mov r10, [r15 + 24]
    mov r8, [r15 + 32]
    mov r9, [r15 + 40]
    mov r12, [r15 + 48]
    cmp r14, 1
    je .sysenter
    cmp r14, 2
    je .int80
    cmp r14, 3
    je .call
    syscall
    jmp .back
.sysenter:
    lea rcx, [.back]
    push rcx                    ; where the landing's RET goes
    push rdx                    ; what the landing pops
    mov rcx, rsp                ; the stack the kernel returns on
    sysenter
.int80:
    int 0x80
    jmp .back
.call:
    call r13
.back:
    mov [r15 + 0], rdi
    mov [r15 + 8], rsi
    mov [r15 + 16], rdx
    mov [r15 + 24], r10
    mov [r15 + 32], r8
    mov [r15 + 40], r9
    mov [r15 + 48], r12
    xor ecx, ecx
    mov r11, KEEP_RBX
    cmp rbx, r11
    setne cl
    mov r11, KEEP_RBP
    cmp rbp, r11
    setne dl
    or cl, dl
    mov [r15 + 56], rcx
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
.end:

; Where every child thread starts (thread_create's entry): exits at once
; with its argument (RDI) as the exit code, touching no stack.
global fz_child_entry:function (fz_child_entry.end - fz_child_entry)
fz_child_entry:
    mov eax, 1                  ; abi::kSysThreadExit
    int 0x80
    ud2
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
