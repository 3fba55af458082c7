; The only instructions that touch user memory on the kernel's behalf. Each
; one that may fault on a bad user address has an exception-table entry
; {fault RIP, fixup RIP} in section __ex_table (collected by linker.ld between
; __ex_table_start and __ex_table_end). A kernel-mode #PF or #GP at a listed
; RIP does not panic: trap_dispatch resumes at the fixup with RAX = the
; vector, RDX = the error code, RFLAGS.AC clear and every other register as
; it was at the fault (see x86::apply_fixup).

bits 64
default rel

section __ex_table progbits alloc noexec nowrite align=8

; EXTABLE fault, fixup: one entry, emitted without leaving the current section.
%macro EXTABLE 2
[section __ex_table]
    dq %1, %2
__SECT__
%endmacro

section .text

; usize x86_user_copy(void* dst, const void* src, usize n)
; Copies n bytes; returns 0, or the bytes left when an access faulted. A
; faulting REP MOVSB leaves RCX counting the bytes not yet moved, so the
; fixup is simply the normal way out [SDM 2B REP: a fault in a string
; instruction leaves the registers set to restart it]. For CPUs without
; SMAP: STAC and CLAC raise #UD there.
global x86_user_copy
align 16
x86_user_copy:
    mov rcx, rdx
.access:
    rep movsb
.done:
    mov rax, rcx
    ret
EXTABLE x86_user_copy.access, x86_user_copy.done

; The same with CR4.SMAP on: EFLAGS.AC = 1 allows supervisor data accesses
; to user pages [SDM 3A 4.6.1], so it is set for the one instruction only.
; The fixup path clears it too (trap_dispatch already cleared it in the
; frame; CLAC costs nothing and keeps the exit obviously balanced).
global x86_user_copy_smap
align 16
x86_user_copy_smap:
    mov rcx, rdx
    stac
.access:
    rep movsb
.done:
    clac
    mov rax, rcx
    ret
EXTABLE x86_user_copy_smap.access, x86_user_copy_smap.done

; ProbeResult x86_probe_read(u64 address)
; Reads one byte as any stray kernel dereference would (no STAC), for the
; self-test that proves SMAP is enforced: returns {~0, 0} in RAX:RDX if the
; read worked, {vector, error code} if it faulted.
global x86_probe_read
align 16
x86_probe_read:
    mov rax, -1
    xor edx, edx
.access:
    mov cl, [rdi]
.done:
    ret
EXTABLE x86_probe_read.access, x86_probe_read.done
