// The architecture's side of threads: kernel stack frames for new threads,
// the switch itself (callee state, user FS/GS, FPU, TSS.RSP0, the I/O
// bitmap), entering user mode, and preemption counting.
#include "arch/x86_64/cpu/features.h"
#include "arch/x86_64/cpu/fpu.h"
#include "arch/x86_64/cpu/gdt.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/cpu/trap_frame.h"
#include "kernel/arch.h"

extern "C" void x86_switch_stacks(u64* save_sp, u64 next_sp);
extern "C" void x86_thread_bootstrap();
extern "C" [[noreturn]] void x86_enter_user(x86::TrapFrame* frame);

namespace x86 {
extern bool g_gs_ready;
}

namespace {

using x86::TrapFrame;

// The user frame sits at the very top of the kernel stack: the CPU pushes it
// there on every entry from ring 3 (TSS.RSP0 = stack_top).
TrapFrame* user_frame(arch::ThreadContext& ctx) {
    return reinterpret_cast<TrapFrame*>(ctx.stack_top - sizeof(TrapFrame));
}

// Callee-saved registers and the return address, as x86_switch_stacks pops them.
struct SwitchFrame {
    u64 r15, r14, r13, r12, rbx, rbp, rip;
};

constexpr u64 kRflagsIf = 1 << 9;
constexpr u64 kRflagsReserved1 = 1 << 1;  // always reads as 1

}  // namespace

namespace arch {

void context_init(ThreadContext& ctx, void (*fn)(void*), void* arg) {
    // The switch frame goes below the (possibly unused) user frame, so a
    // user thread's first switch does not overwrite what context_set_user wrote.
    auto* sf = reinterpret_cast<SwitchFrame*>(ctx.stack_top - sizeof(TrapFrame) - sizeof(SwitchFrame));
    *sf = {};
    sf->r12 = reinterpret_cast<u64>(fn);
    sf->r13 = reinterpret_cast<u64>(arg);
    sf->rip = reinterpret_cast<u64>(&x86_thread_bootstrap);
    ctx.kernel_sp = reinterpret_cast<u64>(sf);
}

void context_set_user(ThreadContext& ctx, u64 entry, u64 user_sp, u64 arg0, bool compat) {
    TrapFrame* f = user_frame(ctx);
    *f = {};
    f->rip = entry;
    f->rsp = user_sp;
    if (compat) f->rax = arg0;
    else f->rdi = arg0;
    ctx.compat = compat;
    f->cs = compat ? x86::kUserCode32 : x86::kUserCode64;
    f->ss = x86::kUserData;
    f->rflags = kRflagsIf | kRflagsReserved1;
}

usize fpu_area_size() { return x86::fpu_area_size(); }
void fpu_area_init(void* area) { x86::fpu_init_area(area); }

void context_switch(ThreadContext& prev, ThreadContext& next, void* current, const u8* io_bitmap,
                    const void* io_owner) {
    x86::CpuLocal& c = x86::this_cpu();
    // While in the kernel, the user's GS base sits in KERNEL_GS_BASE (swapgs).
    if (prev.fpu) {
        x86::fpu_save(prev.fpu);
        prev.user_fs = x86::rdmsr(x86::kMsrFsBase);
        prev.user_gs = x86::rdmsr(x86::kMsrKernelGsBase);
    }
    if (next.fpu) {
        x86::fpu_restore(next.fpu);
        x86::wrmsr(x86::kMsrFsBase, next.user_fs);
        x86::wrmsr(x86::kMsrKernelGsBase, next.user_gs);
    }
    if (io_bitmap) {
        if (c.io_owner != io_owner) {
            __builtin_memcpy(c.io_bitmap, io_bitmap, x86::kIoBitmapBytes);
            c.io_owner = io_owner;
        }
        c.tss.iopb_offset = sizeof(x86::Tss);
    } else {
        c.tss.iopb_offset = x86::kIoBitmapNone;
    }
    c.tss.rsp[0] = next.stack_top;
    c.kernel_rsp = next.stack_top;
    c.user_compat = next.compat;
    c.current = current;
    // An interrupt from ring 3 loads a null SS, and AMD's SYSRET changes the
    // SS selector without reloading its cached attributes, which a 32-bit
    // task would then run with [AMD APM 3 SYSRET; Linux's
    // X86_BUG_SYSRET_SS_ATTRS]. The switched-to thread may leave by SYSRET.
    if (x86::boot_cpu_features().vendor == x86::Vendor::kAmd) {
        u16 ss;
        asm volatile("mov %%ss, %0" : "=r"(ss));
        if (ss != x86::kKernelData) asm volatile("mov %0, %%ss" ::"r"(u16(x86::kKernelData)));
    }
    x86_switch_stacks(&prev.kernel_sp, next.kernel_sp);
}

void io_bitmap_load(const u8* io_bitmap, const void* io_owner) {
    x86::CpuLocal& c = x86::this_cpu();
    if (io_bitmap) {
        __builtin_memcpy(c.io_bitmap, io_bitmap, x86::kIoBitmapBytes);
        c.io_owner = io_owner;
        c.tss.iopb_offset = sizeof(x86::Tss);
    } else {
        c.tss.iopb_offset = x86::kIoBitmapNone;
    }
}

void return_to_user(ThreadContext& ctx) { x86_enter_user(user_frame(ctx)); }

void context_adopt_current(ThreadContext& ctx, u64 stack_top, void* current) {
    ctx = {};
    ctx.stack_top = stack_top ? stack_top : x86::this_cpu().idle_stack.top;
    x86::this_cpu().current = current;
}

// One GS-relative instruction each, so a migration cannot split the update
// (before the per-CPU block exists only the boot CPU runs, and nothing preempts).
void preempt_disable() {
    if (x86::g_gs_ready) asm volatile("incl %%gs:%c0" ::"i"(offsetof(x86::CpuLocal, preempt_count)) : "memory");
}
void preempt_enable() {
    if (x86::g_gs_ready) asm volatile("decl %%gs:%c0" ::"i"(offsetof(x86::CpuLocal, preempt_count)) : "memory");
}
u32 preempt_count() { return x86::g_gs_ready ? x86::this_cpu().preempt_count : 1; }

}  // namespace arch
