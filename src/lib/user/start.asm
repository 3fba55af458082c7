; User program entry (_start) and the entry of threads made by thread_create.
;
; The state the kernel hands a new task (System V x86_64 process start):
;   RIP     = the ELF header's e_entry (_start)
;   RFLAGS  = 0x202 (IF set, everything else clear)
;   every general register 0, except RSP
;   RSP     16-byte aligned, pointing at
;             [rsp]                 argc (8 bytes)
;             [rsp+8 ...]           argv[0] .. argv[argc-1], then NULL
;                                   (argv from the multiboot2 module string
;                                   split at spaces; argv[0] = its first word)
;             ...                   envp pointers (none yet), then NULL
;             ...                   auxv: (key, value) u64 pairs, the last with
;                                   key AT_NULL; keys AT_PHDR, AT_PHENT,
;                                   AT_PHNUM, AT_PAGESZ, AT_ENTRY (later
;                                   AT_SYSINFO), see lib/abi/syscall.h
;             higher up             the strings argv points to
; The first instructions record every register exactly as received in
; lstar_start_info (a lstar::StartInfo, see lstar.h), so programs can check
; this promise; then start_main(initial RSP) does the rest in C++.

bits 64
default rel

; Layout of lstar::StartInfo (runtime.cpp static_asserts these).
SI_REGS   equ 32        ; u64 regs[16]: rax rbx rcx rdx rsi rdi rbp rsp r8..r15
SI_RFLAGS equ 32 + 16*8 ; u64 rflags

SYS_THREAD_EXIT equ 1   ; abi::kSysThreadExit

extern lstar_start_info
extern start_main
extern lstar_syscall6

section .text

global _start:function (_start.end - _start)
_start:
    ; MOV does not touch RFLAGS, so store the registers first, then the flags.
    mov [lstar_start_info + SI_REGS + 0*8], rax
    mov [lstar_start_info + SI_REGS + 1*8], rbx
    mov [lstar_start_info + SI_REGS + 2*8], rcx
    mov [lstar_start_info + SI_REGS + 3*8], rdx
    mov [lstar_start_info + SI_REGS + 4*8], rsi
    mov [lstar_start_info + SI_REGS + 5*8], rdi
    mov [lstar_start_info + SI_REGS + 6*8], rbp
    mov [lstar_start_info + SI_REGS + 7*8], rsp
    mov [lstar_start_info + SI_REGS + 8*8], r8
    mov [lstar_start_info + SI_REGS + 9*8], r9
    mov [lstar_start_info + SI_REGS + 10*8], r10
    mov [lstar_start_info + SI_REGS + 11*8], r11
    mov [lstar_start_info + SI_REGS + 12*8], r12
    mov [lstar_start_info + SI_REGS + 13*8], r13
    mov [lstar_start_info + SI_REGS + 14*8], r14
    mov [lstar_start_info + SI_REGS + 15*8], r15
    pushfq                          ; uses the 8 bytes below argc
    pop qword [lstar_start_info + SI_RFLAGS]

    mov rdi, rsp                    ; start_main(uptr* initial_sp)
    xor ebp, ebp                    ; outermost frame: ends frame-pointer walks
    and rsp, -16                    ; System V: RSP 16-aligned at the CALL
    call start_main                 ; does not return (task_exit)
    ud2
.end:

; void lstar_thread_entry(ThreadStart* start)
; The kernel-visible entry of every thread_create'd thread. The kernel starts
; it with RDI = the pointer passed as `arg` and RSP = the `stack_top` passed,
; and RFLAGS.IF set. syscall.cpp puts a ThreadStart {entry, arg} (16 bytes,
; 16-byte aligned) at the top of the new stack and passes its address both as
; stack_top and as arg, so RSP == RDI here and the pair sits just above
; everything this thread will push. Calls entry(arg), then thread_exit(0).
global lstar_thread_entry:function (lstar_thread_entry.end - lstar_thread_entry)
lstar_thread_entry:
    mov rax, [rdi]                  ; ThreadStart::entry
    mov rdi, [rdi + 8]              ; ThreadStart::arg
    xor ebp, ebp
    and rsp, -16
    call rax
    mov edi, SYS_THREAD_EXIT        ; lstar_syscall6(thread_exit, 0, ...): through the entry page
    xor esi, esi
    xor edx, edx
    xor ecx, ecx
    xor r8d, r8d
    xor r9d, r9d
    push 0                          ; keeps RSP 16-aligned at the CALL
    push 0                          ; the sixth argument, on the stack
    call lstar_syscall6
    ud2
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
