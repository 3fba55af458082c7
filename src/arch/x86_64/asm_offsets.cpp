// Source of the offsets NASM uses: compiled to an object whose .asm_offsets
// section holds "%define NAME value" lines, extracted by tools/gen-asm-offsets.
// Nothing here is linked into the kernel.
#include <stddef.h>

#include "arch/x86_64/cpu/trap_frame.h"

#define DEFINE(sym, val)                                                    \
    asm volatile(".pushsection .asm_offsets,\"\",@progbits\n"              \
                 ".ascii \"%%define " #sym " %c0\\n\"\n"                    \
                 ".popsection" ::"i"(val))

#define OFFSET(sym, type, member) DEFINE(sym, offsetof(type, member))

void asm_offsets() {
    using x86::TrapFrame;
    DEFINE(TRAP_FRAME_SIZE, sizeof(TrapFrame));
    OFFSET(TF_RAX, TrapFrame, rax);
    OFFSET(TF_VECTOR, TrapFrame, vector);
    OFFSET(TF_ERROR_CODE, TrapFrame, error_code);
    OFFSET(TF_RIP, TrapFrame, rip);
    OFFSET(TF_CS, TrapFrame, cs);
}
