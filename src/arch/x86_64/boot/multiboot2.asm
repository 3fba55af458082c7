; Multiboot2 header and the 32-bit entry: check the loader and the CPU, build
; boot page tables, enter long mode and jump to the higher-half kernel.
;
; GRUB leaves us in 32-bit protected mode, paging off, EAX = magic, EBX = phys
; address of the multiboot2 information [Multiboot2 spec 3.3]. Everything here
; runs at its physical (= link) address below the kernel's higher-half image.

%define MB2_HEADER_MAGIC   0xE85250D6
%define MB2_LOADER_MAGIC   0x36D76289
%define KERNEL_VMA         0xFFFFFFFF80000000
%define DIRECT_MAP_BASE    0xFFFF800000000000
%define COM1               0x3F8

; Page-table entry bits [SDM 3A 4.5]
%define PTE_P    (1 << 0)
%define PTE_W    (1 << 1)
%define PTE_PS   (1 << 7)

section .multiboot2 align=8
mb2_header:
    dd MB2_HEADER_MAGIC
    dd 0                                ; architecture: i386 protected mode
    dd mb2_header_end - mb2_header
    dd -(MB2_HEADER_MAGIC + 0 + (mb2_header_end - mb2_header))
    ; end tag
    dw 0, 0
    dd 8
mb2_header_end:

section .boot.text progbits alloc exec nowrite align=16
bits 32
global _start32
_start32:
    cli
    cld
    mov esp, boot32_stack_top
    mov ebp, eax                        ; keep magic and info pointer out of
    mov esi, ebx                        ; the way of CPUID and the table code

    call serial_init32
    cmp ebp, MB2_LOADER_MAGIC
    jne .not_multiboot2

    ; CPUID present? (EFLAGS.ID toggles) [SDM 2A CPUID]
    pushfd
    pop eax
    mov ecx, eax
    xor eax, 1 << 21
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    cmp eax, ecx
    je .no_long_mode

    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29                   ; LM
    jz .no_long_mode
    mov [boot_ext_edx], edx             ; NX is bit 20; looked at below

    call build_boot_page_tables

    mov eax, cr4
    or eax, (1 << 5)                    ; PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax

    mov ecx, 0xC0000080                 ; IA32_EFER
    rdmsr
    or eax, (1 << 8)                    ; LME
    test dword [boot_ext_edx], 1 << 20
    jz .no_nx
    or eax, (1 << 11)                   ; NXE: enable before any NX bit is set
.no_nx:
    wrmsr

    mov eax, cr0
    or eax, (1 << 31) | (1 << 16) | 1   ; PG, WP (ring 0 honours R/O pages), PE
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    jmp 0x08:long_mode_low

.not_multiboot2:
    mov ebx, msg_not_mb2
    jmp .fail
.no_long_mode:
    mov ebx, msg_no_lm
.fail:
    call serial_puts32
.halt:
    cli
    hlt
    jmp .halt

; Identity map and direct map the first 4 GiB with 2 MiB pages, and map the
; kernel window (KERNEL_VMA .. +2 GiB) onto physical 0. The kernel replaces
; these tables with its own (W^X per section) as soon as it can allocate.
build_boot_page_tables:
    ; four page directories: 4 * 512 entries of 2 MiB
    mov edi, boot_pd
    xor eax, eax
    mov eax, PTE_P | PTE_W | PTE_PS
    xor edx, edx
    mov ecx, 2048
.pd_loop:
    mov [edi], eax
    mov [edi + 4], edx
    add eax, 0x200000
    adc edx, 0
    add edi, 8
    loop .pd_loop

    ; low PDPT: entries 0..3 -> the four page directories
    mov edi, boot_pdpt_low
    mov eax, boot_pd + (PTE_P | PTE_W)
    mov ecx, 4
.pdpt_loop:
    mov [edi], eax
    add eax, 4096
    add edi, 8
    loop .pdpt_loop

    ; high PDPT: entries 510, 511 -> first two GiB (KERNEL_VMA is PML4 511, PDPT 510)
    mov dword [boot_pdpt_high + 510 * 8], boot_pd + (PTE_P | PTE_W)
    mov dword [boot_pdpt_high + 511 * 8], boot_pd + 4096 + (PTE_P | PTE_W)

    mov dword [boot_pml4 + 0 * 8], boot_pdpt_low + (PTE_P | PTE_W)
    mov dword [boot_pml4 + 256 * 8], boot_pdpt_low + (PTE_P | PTE_W)  ; direct map
    mov dword [boot_pml4 + 511 * 8], boot_pdpt_high + (PTE_P | PTE_W)
    ret

; COM1 115200 8N1, polled. Used only for the two fatal boot messages.
serial_init32:
    mov dx, COM1 + 1
    xor al, al
    out dx, al                          ; no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                          ; DLAB
    mov dx, COM1
    mov al, 1
    out dx, al                          ; divisor 1 = 115200
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                          ; 8N1
    ret

serial_puts32:                          ; ebx = NUL-terminated string
.next:
    mov al, [ebx]
    test al, al
    jz .done
    mov ah, al
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov dx, COM1
    mov al, ah
    out dx, al
    inc ebx
    jmp .next
.done:
    ret

bits 64
long_mode_low:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov edi, ebp                        ; kernel_main(magic, info phys),
    mov esi, esi                        ; both zero-extended
    mov rax, start64
    jmp rax

section .boot.data progbits alloc noexec write align=16
msg_not_mb2: db "lstar: not started by a multiboot2 boot loader (bad magic in EAX); halting", 13, 10, 0
msg_no_lm:   db "lstar: this CPU has no long mode (CPUID 0x80000001 EDX.LM = 0); halting", 13, 10, 0

align 16
boot_gdt:
    dq 0
    dq 0x00AF9A000000FFFF               ; 0x08: 64-bit code, DPL 0
    dq 0x00CF92000000FFFF               ; 0x10: data, DPL 0
boot_gdt_end:
boot_gdt_ptr:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt
boot_ext_edx: dd 0

section .boot.bss nobits alloc noexec write align=4096
boot_pml4:       resb 4096
boot_pdpt_low:   resb 4096
boot_pdpt_high:  resb 4096
boot_pd:         resb 4096 * 4
boot32_stack:    resb 4096
boot32_stack_top:

; The boot stack lives in the kernel image with an unmapped guard page below
; it: the kernel's own page tables leave boot_stack_guard out, so an overflow
; faults (and reaches the #DF handler on its IST stack) instead of silently
; corrupting .bss.
section .bss.boot_stack nobits alloc noexec write align=4096
global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:  resb 4096
boot_stack_bottom: resb 32768
boot_stack_top:

section .text
extern kernel_main
global start64
start64:
    mov rsp, boot_stack_top
    xor ebp, ebp                        ; terminates the backtrace
    call kernel_main                    ; (magic, info phys) in (rdi, rsi)
.hang:
    cli
    hlt
    jmp .hang
