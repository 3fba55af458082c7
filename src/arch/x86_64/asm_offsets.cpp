// Source of the offsets NASM uses: compiled to an object whose .asm_offsets
// section holds "%define NAME value" lines, extracted by tools/gen-asm-offsets.
// Nothing here is linked into the kernel.
#include <stddef.h>

#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/cpu/trap_frame.h"
#include "arch/x86_64/cpu/vectors.h"
#include "arch/x86_64/smp/trampoline.h"
#include "lib/abi/syscall.h"

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
    OFFSET(TF_RFLAGS, TrapFrame, rflags);
    OFFSET(TF_RSP, TrapFrame, rsp);

    DEFINE(USER_CS32, x86::kUserCode32);
    DEFINE(USER_DS, x86::kUserData);
    DEFINE(USER_CS64, x86::kUserCode64);
    DEFINE(SYSCALL_VECTOR, x86::kVectorSyscall);
    DEFINE(ENTRY_SYSCALL, abi::kEntrySyscall);
    DEFINE(ENTRY_SYSCALL32, abi::kEntrySyscall32);
    DEFINE(ENTRY_SYSENTER, abi::kEntrySysenter);

    using x86::CpuLocal;
    OFFSET(CPU_SELF, CpuLocal, self);
    OFFSET(CPU_ID, CpuLocal, cpu_id);
    OFFSET(CPU_CURRENT, CpuLocal, current);
    OFFSET(CPU_KERNEL_RSP, CpuLocal, kernel_rsp);
    OFFSET(CPU_USER_RSP, CpuLocal, user_rsp);
    OFFSET(CPU_PARANOID_GS, CpuLocal, paranoid_gs);
    DEFINE(CPU_TSS_IST1, offsetof(CpuLocal, tss) + offsetof(x86::Tss, ist));
    DEFINE(CPU_STACK_SIZE, x86::kCpuStackSize);
    DEFINE(NMI_NEST_SHIFT, x86::kNmiNestShift);
    DEFINE(MSR_GS_BASE, x86::kMsrGsBase);
    DEFINE(MSR_KERNEL_GS_BASE, x86::kMsrKernelGsBase);

    using x86::TrampolineCpu;
    using x86::TrampolineData;
    DEFINE(TRAMPOLINE_DATA, x86::kTrampolineDataOffset);
    OFFSET(TD_GDTR, TrampolineData, gdtr_limit);
    OFFSET(TD_PM32_TARGET, TrampolineData, pm32_target);
    OFFSET(TD_LM64_TARGET, TrampolineData, lm64_target);
    OFFSET(TD_TRANSITION_CR3, TrampolineData, transition_cr3);
    OFFSET(TD_EFER, TrampolineData, efer);
    OFFSET(TD_KERNEL_CR3, TrampolineData, kernel_cr3);
    OFFSET(TD_ENTRY, TrampolineData, entry);
    OFFSET(TD_CPU_COUNT, TrampolineData, cpu_count);
    OFFSET(TD_STRAYS, TrampolineData, strays);
    OFFSET(TD_CPUS, TrampolineData, cpus);
    OFFSET(TE_APIC_ID, TrampolineCpu, apic_id);
    OFFSET(TE_STACK_TOP, TrampolineCpu, stack_top);
    OFFSET(TE_CPU_LOCAL, TrampolineCpu, cpu_local);
    DEFINE(TE_SIZE, sizeof(TrampolineCpu));
}
