; The user code of the entry pages (AT_SYSINFO). These bytes are never run
; in the kernel: cpu/entry_page.cpp copies them into the two shared user
; pages at boot. Each variant is a function the task calls; the table at the
; end gives each one's bounds and, for SYSENTER, the landing the kernel
; returns to. The conventions are documented in docs/abi.md:
;
;   64-bit: RAX = number, arguments RDI RSI RDX R10 R8 R9, result RAX;
;           RCX and R11 are clobbered, every other register is preserved.
;   32-bit: EAX = number, arguments EBX ECX EDX ESI EDI EBP, result EDX:EAX;
;           every other register is preserved.

section .rodata
align 16

bits 64
ep64_syscall:
    syscall
    ret
ep64_syscall_end:

ep64_sysenter:
    push rdx                    ; SYSEXIT returns with RDX = the landing
    mov rcx, rsp                ; the kernel resumes us on this stack
    sysenter
ep64_sysenter_landing:
    pop rdx
    ret
ep64_sysenter_end:

ep64_int80:
    int 0x80
    ret
ep64_int80_end:

bits 32
ep32_sysenter:
    push ecx                    ; SYSEXIT returns with ECX = our ESP
    push ebp                    ; the sixth argument, read by the kernel at [EBP]
    mov ebp, esp                ; the kernel resumes us on this stack
    sysenter
ep32_sysenter_landing:
    mov edx, ebp                ; the kernel returns the high half in EBP
    pop ebp
    pop ecx
    ret
ep32_sysenter_end:

ep32_syscall:
    push ebp                    ; the sixth argument, read by the kernel at [ESP]
    mov ebp, ecx                ; SYSCALL overwrites ECX: the second argument moves to EBP
    syscall
    mov ecx, ebp
    pop ebp
    ret
ep32_syscall_end:

ep32_int80:
    int 0x80
    ret
ep32_int80_end:

bits 64
; struct EntryBlob { u64 start, end, landing; } x6, in cpu/entry_page.cpp's
; order: 64-bit syscall, sysenter, int80; 32-bit syscall, sysenter, int80.
align 8
global x86_entry_blobs
x86_entry_blobs:
    dq ep64_syscall, ep64_syscall_end, 0
    dq ep64_sysenter, ep64_sysenter_end, ep64_sysenter_landing
    dq ep64_int80, ep64_int80_end, 0
    dq ep32_syscall, ep32_syscall_end, 0
    dq ep32_sysenter, ep32_sysenter_end, ep32_sysenter_landing
    dq ep32_int80, ep32_int80_end, 0
