// The seam between generic kernel code and the architecture: everything
// src/kernel may ask of the CPU and platform, implemented in src/arch/<arch>/.
#pragma once

#include "lib/abi/stats.h"
#include "lib/acpi.h"
#include "lib/kstd/types.h"
#include "lib/multiboot2.h"

namespace arch {

// Early console (COM1 on x86_64): usable from the first line of kernel_main.
void console_init();
void console_write(const char* s, usize n);
void console_flush();  // returns once everything written has been sent
// A CPU that stops for good lets go of the console even if it was stopped
// in the middle of a line, so the CPUs still running can report.
void console_abandon();

// CPU tables of the boot CPU (GDT, TSS with IST stacks, IDT).
void cpu_init_boot();

// This CPU's number: 0 is the boot CPU, APs are numbered in MADT order.
// Valid from cpu_init_boot() on (the per-CPU block is reached through GS).
u32 cpu_id();
// The thread running on this CPU (what context_switch last installed), read
// in one GS-relative load: code that may be preempted and migrated cannot
// pair one CPU's number with another CPU's thread this way.
void* current_thread();
// CPUs online so far (1 until the APs are started).
u32 cpu_count();

// Interrupt flag: irq_save() disables interrupts and returns the previous
// state for irq_restore(). cpu_relax() is the spin-wait hint (PAUSE).
u64 irq_save();
void irq_restore(u64 state);
bool irqs_enabled();
void irq_enable();
void cpu_relax();

// Local APIC, I/O APICs and every AP in the MADT (nullptr: the boot CPU
// alone). Returns the number of CPUs online. Command line: `xapic` keeps the
// local APIC in xAPIC mode even where x2APIC exists.
u32 smp_init(const mb2::Info& info, u64 info_phys, const acpi::Madt* madt);

// Stops every other CPU (each prints where it was and its last system calls)
// before a panic's verdict. Returns the CPUs that did not report (bit n =
// CPU n), still running or stuck.
u64 stop_other_cpus(const char* why);

// Boot self-tests of the interrupt and SMP machinery (remote calls, IPIs,
// LAPIC timers, I/O APIC routing); TAP lines through selftest::tap().
bool run_smp_selftests();

// Runs the SMP test named by `test=` on the command line, if it is one of
// the architecture's (nmi, mce, tlb, tlb-no-shootdown, watchdog); returns
// false if it is not.
// `pass` receives the outcome.
bool run_smp_test(const char* cmdline, bool& pass);

// Monotonic time since reset, in nanoseconds (TSC calibrated against the PIT).
void time_init();
u64 time_ns();
// Busy-waits at least `us` microseconds by the clock above.
void delay_us(u64 us);

// Reports the kernel's verdict to the emulator (isa-debug-exit in QEMU; a
// serial line plus the Bochs shutdown port otherwise) and stops this CPU.
[[noreturn]] void exit_with_verdict(bool pass);
[[noreturn]] void halt_forever();
// Idles this CPU for good with interrupts on (it still answers IPIs, timer
// ticks and the watchdog); unlike halt_forever(), for a healthy CPU.
[[noreturn]] void idle_forever();

// Frame-pointer walk from the caller; returns the number of return addresses.
usize backtrace(u64* pcs, usize max);
usize backtrace_from(u64 rbp, u64* pcs, usize max);

}  // namespace arch

// Kernel address space (the upper half shared by every address space).
namespace arch {

enum MapFlags : u32 {
    kMapRead = 0,
    kMapWrite = 1 << 0,
    kMapExec = 1 << 1,
    kMapUser = 1 << 2,
    kMapUncached = 1 << 3,
};

// Builds the kernel page tables (image W^X per section, guard pages left
// out, direct map of physical memory up to phys_top) and switches to them.
// Returns the end of the direct map (phys_top rounded up to its page size).
u64 paging_init(u64 phys_top);

// 4 KiB mappings in the kernel half; false with a logged reason on error.
bool kernel_map(u64 virt, u64 phys, u32 flags);
bool kernel_unmap(u64 virt);
bool kernel_translate(u64 virt, u64& phys);

}  // namespace arch

// Threads: what the scheduler needs from the CPU.
namespace arch {

// The architecture's part of a thread. Generic code owns the storage and
// passes it back; it never interprets the fields.
struct ThreadContext {
    u64 kernel_sp;    // saved stack pointer while the thread is switched out
    u64 stack_top;    // top of its kernel stack: the entry stack while it runs
    u64 user_fs;      // user FS and GS bases (user threads)
    u64 user_gs;
    void* fpu;        // user FPU/SSE/AVX state; nullptr for kernel threads
    bool compat;      // user mode runs 32-bit code (a compatibility-mode task)
};

// Kernel stacks for threads (with an unmapped guard below each); false if
// out of memory or slots. kstack_free unmaps and frees one.
bool kstack_alloc(u64& bottom, u64& top);
void kstack_free(u64 bottom);
u32 kstacks_in_use();

// Sets up a thread's kernel stack so that the first switch to it calls
// fn(arg) on that stack. fn must not return.
void context_init(ThreadContext& ctx, void (*fn)(void*), void* arg);
// Writes the user register frame at the top of the kernel stack: RIP =
// entry, RSP = user_sp, RDI = arg0, every other register 0, RFLAGS = 0x202.
// compat: a 32-bit code segment, and arg0 in EAX instead (no RDI there).
void context_set_user(ThreadContext& ctx, u64 entry, u64 user_sp, u64 arg0, bool compat = false);
// Bytes of an FPU save area and the state a new user thread starts with.
usize fpu_area_size();
void fpu_area_init(void* area);
// Leaves `prev` (saving its callee state, user FS/GS and FPU state) and
// continues `next`: TSS.RSP0 and the per-CPU current-thread pointer follow
// `next`. `io_bitmap` (8 KiB, 1 = port denied) is the next task's I/O
// permission bitmap or nullptr for none; `io_owner` identifies whose bitmap
// it is, so the same task's is not copied again. Interrupts must be off.
void context_switch(ThreadContext& prev, ThreadContext& next, void* current, const u8* io_bitmap,
                    const void* io_owner);
// Enters user mode through the frame context_set_user() wrote (or the one
// the thread entered the kernel with). Does not return.
[[noreturn]] void return_to_user(ThreadContext& ctx);
// Adopts the running code's stack as a thread (a CPU's first thread).
void context_adopt_current(ThreadContext& ctx, u64 stack_top, void* current);

// Preemption is disabled while the count is nonzero (spinlocks hold it).
void preempt_disable();
void preempt_enable();
u32 preempt_count();

// Makes `cpu` look at its run queue soon (reschedule IPI).
void send_reschedule(u32 cpu);
// Runs fn(arg) on every CPU online (this one included) with interrupts off,
// returning when all have.
void run_on_all_cpus(void (*fn)(void*), void* arg);
// Loads an I/O permission bitmap into this CPU at once (as context_switch
// would for `owner`), for a bitmap that changed under a running task.
void io_bitmap_load(const u8* io_bitmap, const void* io_owner);

// Device interrupt lines (ISA IRQs 0-15 on x86_64): attach routes the line
// to a CPU and unmasks it; each interrupt calls handler(line) with
// interrupts off. mask/unmask hold it back and let it through again.
bool irq_attach(u32 line, void (*handler)(u32 line));
void irq_mask(u32 line);
void irq_unmask(u32 line);
// A system call as the entry path found it. 64-bit tasks: args are RDI,
// RSI, RDX, R10, R8, R9. Compatibility-mode tasks: args are the six 32-bit
// argument slots of the 32-bit convention (EBX, ECX, EDX, ESI, EDI, EBP,
// wherever the path found them), zero-extended; the generic dispatcher
// rebuilds typed arguments from them (a 64-bit argument takes two slots).
// The result goes back in RAX (64-bit) or EDX:EAX (compat).
//
// IPC calls (lib/abi/ipc.h) also use `msg`: a 64-bit task's RDI, RSI, R10,
// R8, R9 and R12 (cap or badge, tag, words 0..3) as they came in; a handler
// that sets write_msg has them written back.
struct SyscallRequest {
    u64 nr;
    u64 args[6];
    u8 path;      // abi::EntryPath
    bool compat;
    bool write_msg;
    u64 msg[6];
};

// What a user-mode exception looked like, for the kill report.
struct UserFault {
    u64 vector;
    const char* name;  // "#PF page fault", ...
    u64 error_code;
    u64 rip;
    u64 address;       // CR2 for page faults, else 0
};
// The generic kernel's entry points from interrupt handling, all called with
// interrupts off on the current thread's kernel stack.
struct KernelHooks {
    void (*tick)();                            // every local timer tick
    void (*interrupt_exit)(bool to_user);      // leaving any interrupt, exception or system call
    void (*idle)();                            // each pass of a CPU's idle loop
    void (*user_fault)(const UserFault& fault);  // an exception in user mode; must not return
    // A system call (see SyscallRequest); returns the result. Called with
    // interrupts on.
    i64 (*syscall)(SyscallRequest& request);
    void (*cpu_start)();                       // an AP, once, before it enters its idle loop
};
void set_kernel_hooks(const KernelHooks& hooks);
// CPUs online as a mask (bit n = CPU n).
u64 online_cpus();
// The architecture's counters of an online CPU for cpu_stats (every field
// but switches and migrations, which are the scheduler's); false if the CPU
// is not online.
bool cpu_counters(u32 cpu, abi::CpuStats& out);

// User address spaces: a private lower half plus the shared kernel half.
class UserSpace;
UserSpace* uspace_create();
// Frees every page mapped in the lower half, the page tables and the space.
// It must not be live on any CPU. Returns the user frames freed.
usize uspace_destroy(UserSpace* space);
// Maps a zeroed 4 KiB frame (allocated here) at `virt` with `flags`
// (kMapWrite, kMapExec; kMapUser is implied); false if out of memory or
// already mapped.
bool uspace_map_new(UserSpace* space, u64 virt, u32 flags, u64* phys_out);
// Physical address of the user page holding `virt` if it is mapped with
// user access (and writable when `write`).
bool uspace_lookup(UserSpace* space, u64 virt, bool write, u64& phys);
// What happened to one user page (uspace_unmap, uspace_protect, uspace_map).
enum class PageChange : u8 {
    kDone,       // unmapped, protected, or mapped fresh where nothing was
    kReplaced,   // uspace_map with replace: a page was there and is replaced
    kNotMapped,  // nothing mapped there (unmap, protect)
    kMapped,     // uspace_map without replace: a page is there already
    kPinned,     // the kernel's shared page (the entry page): left alone
    kNoMemory,   // uspace_map: no frame
};
// The lowest page-aligned address in [virt, end) with a page mapped, or
// `end` (skips unmapped stretches table by table).
u64 uspace_next_mapped(UserSpace* space, u64 virt, u64 end);
// True if the frame at `phys` is one the kernel shares between tasks (the
// entry page): a task may not unmap, protect or replace it.
bool uspace_pinned(u64 phys);
// Unmaps the 4 KiB page at `virt` and frees its frame once every CPU the
// space is live on has dropped its translation; another thread racing on the
// same page finds it either mapped or not, so the frame is freed once.
PageChange uspace_unmap(UserSpace* space, u64 virt);
// Sets the protection (kMapWrite, kMapExec) of the page at `virt`; every CPU
// sees it when this returns.
PageChange uspace_protect(UserSpace* space, u64 virt, u32 flags);
// Maps a zeroed frame at `virt`. A page there already is kMapped, or with
// `replace` is replaced in the same step, its frame freed after every CPU
// has dropped it.
PageChange uspace_map(UserSpace* space, u64 virt, u32 flags, bool replace, u64* phys_out = nullptr);
// Loads the space (nullptr: the kernel's) on this CPU.
void uspace_activate(UserSpace* space);
// Lowest and end of user virtual addresses.
constexpr u64 kUserBase = 0x10000;
constexpr u64 kUserTop = 0x0000800000000000;
// Maps the entry page for 64-bit or compatibility-mode tasks (one shared,
// read-only, executable frame, never freed with the space) at its fixed
// address; returns that address (the AT_SYSINFO value), 0 if out of memory.
u64 entry_page_map(UserSpace* space, bool compat);

// User memory of the current address space, read and written only through
// these: a range outside [0, kUserTop) or any byte that is not mapped user
// memory (writable, for the copy out) makes them return false, never a
// kernel fault.
bool copy_from_user(void* dst, u64 src, usize n);
bool copy_to_user(u64 dst, const void* src, usize n);

}  // namespace arch
