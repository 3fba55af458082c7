// Per-CPU blocks, their stacks, and the per-CPU state report.
#include "arch/x86_64/cpu/percpu.h"

#include "arch/x86_64/apic/lapic.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/syscall_entry.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/mm/memory.h"

extern "C" char boot_stack_bottom[], boot_stack_top[];

namespace x86 {

bool g_gs_ready = false;  // GS base points at a CpuLocal (set once, on the boot CPU)

namespace {

CpuLocal g_cpus[kMaxCpus];
u32 g_cpus_possible = 1;

constexpr u32 kSlotIdle = 0;
constexpr u32 kSlotEntry = 1;
constexpr u32 kSlotIst = 2;  // IST1..4 follow

u64 slot_bottom(u32 cpu, u32 slot) {
    return kCpuStackArea + u64(cpu) * kCpuStackWindow + u64(slot) * kCpuStackSlot + kCpuStackSize;
}

bool map_stack(u64 bottom) {
    for (u64 v = bottom; v < bottom + kCpuStackSize; v += mm::kPageSize) {
        u64 frame = mm::frames().alloc();
        if (frame == 0) {
            klog::error("percpu: out of memory for the stack at 0x%lx", bottom);
            return false;
        }
        if (!arch::kernel_map(v, frame, arch::kMapWrite)) return false;
    }
    return true;
}

void fill_tss(CpuLocal& c) {
    c.tss.rsp[0] = c.entry_stack.top;
    for (usize i = 0; i < kIstCount; i++) c.tss.ist[i] = c.ist[i].top - kIstTopReserve;
    c.tss.iopb_offset = kIoBitmapNone;  // until a driver task runs: every port faults in ring 3
    c.io_bitmap_end = 0xFF;
    c.kernel_rsp = c.entry_stack.top;
}

}  // namespace

CpuLocal& cpu_local(u32 cpu) { return g_cpus[cpu]; }
u32 cpus_possible() { return g_cpus_possible; }
void set_cpus_possible(u32 n) { g_cpus_possible = n; }

void percpu_init_boot() {
    CpuLocal& c = g_cpus[0];
    c.self = &c;
    c.cpu_id = 0;
    c.state = CpuState::kOnline;
    c.idle_stack = {reinterpret_cast<u64>(boot_stack_bottom), reinterpret_cast<u64>(boot_stack_top)};
    c.entry_stack = c.idle_stack;
    for (usize i = 0; i < kIstCount; i++) {
        u64 top = early_ist_top(i);
        c.ist[i] = {top - 4 * mm::kPageSize, top};
        *reinterpret_cast<CpuLocal**>(top - 8) = &c;
    }
    percpu_load(c);
    g_gs_ready = true;
}

bool percpu_alloc_stacks(CpuLocal& c) {
    c.self = &c;
    u32 first = c.cpu_id == 0 ? kSlotEntry : kSlotIdle;  // the boot CPU idles on its boot stack
    for (u32 slot = first; slot < kSlotIst + kIstCount; slot++) {
        u64 bottom = slot_bottom(c.cpu_id, slot);
        if (!map_stack(bottom)) return false;
        StackRange r{bottom, bottom + kCpuStackSize};
        if (slot == kSlotIdle) c.idle_stack = r;
        else if (slot == kSlotEntry) c.entry_stack = r;
        else {
            c.ist[slot - kSlotIst] = r;
            *reinterpret_cast<CpuLocal**>(r.top - 8) = &c;
        }
    }
    // The TSS is read by the CPU at each stack switch, so a live CPU (the
    // boot CPU moving off its early stacks) picks the new values up at once.
    fill_tss(c);
    return true;
}

void percpu_load(CpuLocal& c) {
    fill_tss(c);
    gdt_build(c.gdt, &c.tss);
    gdt_load(c.gdt);
    wrmsr(kMsrGsBase, reinterpret_cast<u64>(&c));
    wrmsr(kMsrKernelGsBase, 0);
}

bool is_cpu_stack_guard(u64 virt) {
    if (virt < kCpuStackArea || virt >= kCpuStackArea + kMaxCpus * kCpuStackWindow) return false;
    u64 off = (virt - kCpuStackArea) % kCpuStackWindow;
    return off / kCpuStackSlot < kCpuStackSlots && off % kCpuStackSlot < kCpuStackSize;
}

void report_cpu_state() {
    DescriptorPointer gdtr;
    u16 tr;
    asm volatile("sgdt %0" : "=m"(gdtr));
    asm volatile("str %0" : "=r"(tr));
    const u64* gdt = reinterpret_cast<const u64*>(gdtr.base);
    u64 lo = gdt[tr >> 3], hi = gdt[(tr >> 3) + 1];
    u64 tss_base = ((lo >> 16) & 0xFFFFFF) | (((lo >> 56) & 0xFF) << 24) | (hi << 32);
    const Tss* tss = reinterpret_cast<const Tss*>(tss_base);
    u64 ist_top[kIstCount];
    for (usize i = 0; i < kIstCount; i++) ist_top[i] = tss->ist[i] + kIstTopReserve;
    u64 rsp;
    asm volatile("movq %%rsp, %0" : "=r"(rsp));
    klog::report("cpu-state",
                 "cpu=%u apic=%u gdt=0x%lx tr=0x%x tss=0x%lx rsp0=0x%lx ist1=0x%lx-0x%lx "
                 "ist2=0x%lx-0x%lx ist3=0x%lx-0x%lx ist4=0x%lx-0x%lx gs=0x%lx kgs=0x%lx rsp=0x%lx "
                 "sysenter_cs=0x%lx sysenter_esp=0x%lx sysenter_eip=0x%lx star=0x%lx lstar=0x%lx cstar=0x%lx "
                 "fmask=0x%lx efer=0x%lx",
                 this_cpu().cpu_id, lapic::id(), gdtr.base, tr, tss_base, tss->rsp[0],
                 ist_top[0] - kCpuStackSize, ist_top[0], ist_top[1] - kCpuStackSize, ist_top[1],
                 ist_top[2] - kCpuStackSize, ist_top[2], ist_top[3] - kCpuStackSize, ist_top[3],
                 rdmsr(kMsrGsBase), rdmsr(kMsrKernelGsBase), rsp, rdmsr(kMsrSysenterCs),
                 rdmsr(kMsrSysenterEsp), rdmsr(kMsrSysenterEip), rdmsr(kMsrStar), rdmsr(kMsrLstar),
                 rdmsr(kMsrCstar), rdmsr(kMsrFmask), rdmsr(kMsrEfer));
}

}  // namespace x86

namespace arch {

u32 cpu_id() { return x86::g_gs_ready ? x86::this_cpu().cpu_id : 0; }

void* current_thread() {
    if (!x86::g_gs_ready) return x86::cpu_local(0).current;
    void* t;
    asm volatile("movq %%gs:%c1, %0" : "=r"(t) : "i"(offsetof(x86::CpuLocal, current)));
    return t;
}

}  // namespace arch
