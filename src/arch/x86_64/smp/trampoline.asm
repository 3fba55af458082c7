; AP start-up trampoline [SDM 3A 9.4.4, 9.8.5, 10.8.5]. The boot CPU copies
; the bytes between smp_trampoline_start and smp_trampoline_end to a page
; below 1 MiB, fills in the data block at TRAMPOLINE_DATA, and sends each AP
; INIT-SIPI-SIPI with that page as the start-up vector. Every AP then runs
; this code at the same time, from CS:IP = page:0 in real mode:
;
;   16-bit real mode -> 32-bit protected mode (flat segments, no paging)
;   -> PAE, transition CR3, EFER.LME/NXE, CR0.PG -> 64-bit mode, still on
;   the identity-mapped low page -> look up its own APIC id in the table
;   -> its own stack and CpuLocal -> jump to ap_entry64 in the kernel half.
;
; Everything absolute (the GDT base, the far-jump targets) is in the data
; block and written by the boot CPU, which knows the page's address; the
; code itself only uses offsets from the start of the page.

%include "asm_offsets.inc"

bits 16
section .rodata
align 16
global smp_trampoline_start, smp_trampoline_end

%define OFF(label) ((label) - smp_trampoline_start)

smp_trampoline_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    xor ebp, ebp
    mov bp, ax
    shl ebp, 4                          ; ebp = physical base of this page
    o32 lgdt [TRAMPOLINE_DATA + TD_GDTR]
    mov eax, cr0
    or eax, 1                           ; CR0.PE
    mov cr0, eax
    jmp dword far [TRAMPOLINE_DATA + TD_PM32_TARGET]

bits 32
pm32:
    mov ax, 0x10                        ; flat data
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, 1 << 5                      ; CR4.PAE
    mov cr4, eax
    mov eax, [ebp + TRAMPOLINE_DATA + TD_TRANSITION_CR3]
    mov cr3, eax
    mov ecx, 0xC0000080                 ; IA32_EFER
    rdmsr
    or eax, [ebp + TRAMPOLINE_DATA + TD_EFER]
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16) | 1   ; PG, WP, PE
    mov cr0, eax
    jmp far [ebp + TRAMPOLINE_DATA + TD_LM64_TARGET]

bits 64
lm64:
    mov ebp, ebp                        ; clear the upper half left by 32-bit mode
    xor eax, eax
    mov ds, ax
    mov es, ax
    mov ss, ax
    ; This CPU's APIC id: CPUID leaf 0xB (x2APIC id) when the CPU has it,
    ; else the 8-bit initial APIC id of leaf 1 [SDM 2A CPUID].
    xor eax, eax
    cpuid
    cmp eax, 0xB
    jb .leaf1
    mov eax, 0xB
    xor ecx, ecx
    cpuid
    test ebx, ebx                       ; leaf 0xB not implemented
    jz .leaf1
    mov r8d, edx
    jmp .find
.leaf1:
    mov eax, 1
    cpuid
    shr ebx, 24
    mov r8d, ebx
.find:
    lea rsi, [rbp + TRAMPOLINE_DATA + TD_CPUS]
    mov ecx, [rbp + TRAMPOLINE_DATA + TD_CPU_COUNT]
.next:
    test ecx, ecx
    jz .unknown
    cmp [rsi + TE_APIC_ID], r8d
    je .found
    add rsi, TE_SIZE
    dec ecx
    jmp .next
.found:
    mov rsp, [rsi + TE_STACK_TOP]
    mov rdi, [rsi + TE_CPU_LOCAL]
    mov rsi, [rbp + TRAMPOLINE_DATA + TD_KERNEL_CR3]
    mov rax, [rbp + TRAMPOLINE_DATA + TD_ENTRY]
    jmp rax
.unknown:
    ; Not a CPU we started (the table has no entry for this APIC id): park.
    lock inc dword [rbp + TRAMPOLINE_DATA + TD_STRAYS]
.park:
    cli
    hlt
    jmp .park

align 8
trampoline_gdt:
    dq 0
    dq 0x00CF9A000000FFFF               ; 0x08: 32-bit flat code
    dq 0x00CF92000000FFFF               ; 0x10: flat data
    dq 0x00AF9A000000FFFF               ; 0x18: 64-bit code
trampoline_gdt_end:

align 8
smp_trampoline_end:

; Offsets the boot CPU needs to fill in the data block.
global smp_trampoline_pm32, smp_trampoline_lm64, smp_trampoline_gdt, smp_trampoline_gdt_size
smp_trampoline_pm32: dq OFF(pm32)
smp_trampoline_lm64: dq OFF(lm64)
smp_trampoline_gdt: dq OFF(trampoline_gdt)
smp_trampoline_gdt_size: dq trampoline_gdt_end - trampoline_gdt

; ap_entry64(CpuLocal* rdi, kernel CR3 rsi), on the AP's own stack, running
; in the kernel half: switch to the kernel page tables and enter C++.
section .text
extern ap_main
global ap_entry64
ap_entry64:
    mov cr3, rsi
    xor ebp, ebp                        ; end of the frame-pointer chain
    and rsp, -16
    call ap_main
.hang:
    cli
    hlt
    jmp .hang
