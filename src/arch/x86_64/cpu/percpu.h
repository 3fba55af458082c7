// One CPU's private state. Every CPU, the boot CPU included, owns a CpuLocal:
// its GDT and TSS live inside it, and GS base points at it while the CPU runs
// kernel code (IA32_KERNEL_GS_BASE holds the user value for `swapgs`).
// Fields read by assembly have their offsets exported by asm_offsets.cpp.
#pragma once

#include <stddef.h>

#include "arch/x86_64/cpu/gdt.h"
#include "lib/abi/stats.h"
#include "lib/kstd/types.h"

namespace x86 {

constexpr u32 kMaxCpus = 64;

constexpr u32 kMsrFsBase = 0xC0000100;
constexpr u32 kMsrGsBase = 0xC0000101;
constexpr u32 kMsrKernelGsBase = 0xC0000102;

// A stack [bottom, top): it grows down from top; the page below bottom is a
// guard, left unmapped.
struct StackRange {
    u64 bottom;
    u64 top;
    bool contains(u64 addr) const { return addr >= bottom && addr < top; }
};

enum class CpuState : u32 { kOffline, kStarting, kOnline, kTimedOut };

struct alignas(64) CpuLocal {
    // Read by entry code through GS: keep these first and in this order.
    CpuLocal* self;    // gs:0, so C++ can find the block with one load
    u32 cpu_id;        // 0 = boot CPU
    u32 apic_id;
    void* current;     // the running thread (scheduler)
    u64 kernel_rsp;    // the current thread's kernel stack top, for SYSCALL/SYSENTER
    u64 user_rsp;      // scratch: the user RSP (SYSCALL) or RFLAGS (SYSENTER) in the entry stub

    volatile CpuState state;
    bool ready;          // set by the CPU itself once its set-up is complete
    bool stopped;        // halted by stop_other_cpus()
    u64 nmi_count;       // NMIs taken on this CPU
    u64 timer_ticks;     // LAPIC timer interrupts taken on this CPU
    u64 mce_count;       // machine-check events (exceptions and polled) logged here
    u64 nmi_last_rsp;    // frame address of the latest NMI (tests check its stack)
    u64 paranoid_gs;     // GS base found by the latest NMI/#MC/#DF entry
    u64 remote_calls;    // remote calls run here for other CPUs
    u64 tlb_flushes;     // shootdown invalidations done here for other CPUs
    void* address_space; // the AddressSpace in CR3

    // cpu_stats counters (lib/abi/stats.h), each written only by this CPU.
    u64 shootdowns;          // TLB shootdowns started here that needed other CPUs
    u64 nmi_places[abi::kNmiPlaces];  // NMIs by landing place
    u64 nmi_wrong_gs;        // NMIs whose GS did not fit the landing place
    u64 nmi_ipis_sent;       // NMI IPIs sent by the nmi_ipi= injection
    u64 nmi_rng;             // its xorshift state (0: injection off)
    u64 mce_corrected;       // corrected errors found by polling
    u64 mce_recovered;       // machine-check exceptions survived

    // Watchdog: each CPU watches the next online CPU's timer ticks.
    u64 wd_seen_ticks;     // the watched CPU's tick count at the last check
    u64 wd_still;          // consecutive own ticks without it moving
    bool wd_reported;
    bool dump_requested;   // an NMI asks this CPU to print where it is
    u64 watchdog_dumps;    // such dumps printed

    StackRange idle_stack;   // the stack the CPU starts (and idles) on
    StackRange entry_stack;  // IA32_SYSENTER_ESP (and TSS.RSP0 until the first thread runs)
    StackRange ist[kIstCount];

    bool user_compat;         // the current thread's user mode is 32-bit (SYSENTER cannot tell)
    u32 preempt_count;        // preemption disabled while nonzero (spinlocks held)
    const void* io_owner;     // whose I/O bitmap is in io_bitmap (nullptr: none)

    alignas(16) u64 gdt[kGdtEntries];
    alignas(16) Tss tss;
    u8 io_bitmap[kIoBitmapBytes];  // must follow tss directly (see kTssLimit)
    u8 io_bitmap_end;              // 0xFF
};
static_assert(offsetof(CpuLocal, io_bitmap) == offsetof(CpuLocal, tss) + sizeof(Tss));
static_assert(offsetof(CpuLocal, io_bitmap_end) == offsetof(CpuLocal, tss) + kTssLimit);

// Per-CPU stacks live in their own part of the kernel half, one window per
// CPU, each stack 16 KiB-aligned above an unmapped 16 KiB guard. The
// alignment lets the NMI/MCE entry find the top of its stack (and the
// CpuLocal pointer stored there) from RSP alone.
constexpr u64 kCpuStackArea = 0xFFFFFE8000000000;
constexpr u64 kCpuStackSize = 16 * 1024;
constexpr u64 kCpuStackSlot = 2 * kCpuStackSize;  // guard + stack
constexpr u32 kCpuStackSlots = 6;                  // idle, entry, IST1..4
constexpr u64 kCpuStackWindow = 256 * 1024;
static_assert(kCpuStackSlots * kCpuStackSlot <= kCpuStackWindow);

// IST stacks keep the owning CpuLocal pointer in their top word; TSS.IST
// points 16 bytes below the top (the CPU aligns RSP to 16 anyway).
constexpr u64 kIstTopReserve = 16;
// While an NMI is handled, IST1 is moved this far down (see entry/isr.asm),
// so the handler must stay well within it.
constexpr u64 kNmiNestShift = 8 * 1024;

CpuLocal& cpu_local(u32 cpu);
inline CpuLocal& this_cpu() {
    CpuLocal* self;
    asm volatile("movq %%gs:0, %0" : "=r"(self));
    return *self;
}
// CPUs the firmware reported (set once at SMP bring-up; 1 before).
u32 cpus_possible();
void set_cpus_possible(u32 n);

// Points GS base at the boot CPU's block (first thing at boot).
void percpu_init_boot();
// Maps the idle, entry and IST stacks of `cpu` with their guards; false with
// a logged reason if memory runs out.
bool percpu_alloc_stacks(CpuLocal& cpu);
// Loads this CPU's GDT, TSS (RSP0 and IST from its stacks) and GS base.
void percpu_load(CpuLocal& cpu);
// True if `virt` is one of the guard pages of the per-CPU stack area.
bool is_cpu_stack_guard(u64 virt);

// The `lstar: cpu-state` line, filled from this CPU's own registers (SGDT,
// STR, the TSS descriptor it names, RDMSR GS_BASE) rather than bookkeeping.
void report_cpu_state();

}  // namespace x86
