// SMP bring-up and the cross-CPU machinery of x86_64 (IPIs, remote calls).
#pragma once

#include "arch/x86_64/cpu/percpu.h"
#include "lib/acpi.h"
#include "lib/kstd/types.h"
#include "lib/multiboot2.h"

namespace x86::smp {

// What start_aps() did, for the `lstar: smp` report.
struct StartReport {
    u32 possible;   // usable CPUs in the MADT (capped at kMaxCpus), BSP included
    u32 online;     // CPUs running kernel code, BSP included
    u32 timed_out;  // APs that never reached the kernel
    u32 strays;     // APs that reached the trampoline but had no table entry
    u64 tsc;        // TSC ticks from the first INIT to the last AP online
    u64 ns;
    u64 boot_tsc;   // TSC when the last AP came online (instructions since reset under -icount)
};

// Starts every usable AP in the MADT with INIT-SIPI-SIPI through the
// trampoline, all in parallel; each AP sets up its own tables and reports
// its `lstar: cpu-state` line. Returns once all are online or the time-out
// has passed for the missing ones.
StartReport start_aps(const acpi::Madt& madt, const mb2::Info& info, u64 info_phys);

// Per-CPU set-up common to the BSP and the APs, after percpu_load():
// local APIC, its timer, machine-check banks.
void init_this_cpu();
// True when the MADT listed an I/O APIC and the driver took it.
bool have_ioapic();
// (Re)starts this CPU's periodic LAPIC tick.
void start_tick();

// What every CPU does once it has nothing to do: halt until an interrupt,
// or, in busy mode, spin with interrupts on (tests that want every CPU
// running code when an NMI lands).
[[noreturn]] void idle_loop();
void set_idle_busy(bool busy);
// The watchdog (each CPU checks the next one's timer ticks); tests that keep
// CPUs busy with interrupts off on purpose turn it off.
void set_watchdog(bool on);
// A function every idle CPU calls on each pass of its loop (tests).
void set_idle_hook(void (*hook)(void*));

// CPU numbers online, as a mask (bit n = CPU n).
u64 online_mask();

}  // namespace x86::smp

namespace x86::smp {

// Remote calls: runs fn(arg) on every online CPU in `cpus` (bit n = CPU n;
// this CPU runs it directly if included) and returns once all have finished.
// Callable with interrupts disabled: while waiting, the caller serves calls
// sent to it, so two CPUs calling each other cannot deadlock. A CPU that
// does not answer within five seconds is a kernel bug: panic, naming it.
using RemoteFn = void (*)(void* arg);
void run_on_cpus(u64 cpus, RemoteFn fn, void* arg);

// The call-function IPI handler's work: runs what other CPUs queued here.
void serve_remote_calls();
void install_ipi_handlers();
// Wakes every other CPU from HLT (reschedule IPI), without waiting.
void kick_others();

}  // namespace x86::smp
