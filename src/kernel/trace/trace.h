// The system call tracer. Every call is recorded in its CPU's ring of recent
// events (the flight recorder the panic and fault reports dump); the calls a
// task's trace mask selects are also logged, one line each (format.h).
// Masks start from trace= on the command line (filter.h) and change through
// the trace call. See docs/syscalls.md.
#pragma once

#include "kernel/task/task.h"
#include "kernel/trace/event.h"

namespace trace {

// Reads trace= and trace_ring= from the command line and allocates a ring per
// CPU online; once, after the CPUs are started and before any task.
void init(const char* cmdline);

// The trace mask a new task named `name` starts with.
u64 initial_mask(const char* name);

// Whether the task's mask logs call nr (the IPC fast path steps aside then).
inline bool wants(const task::Task& t, u32 nr) { return __atomic_load_n(&t.trace_mask, __ATOMIC_RELAXED) >> nr & 1; }

// One system call from begin() to end(), on the caller's stack.
struct Call {
    Event event;
    u64 seq;   // in the ring of event.cpu; 0: not recorded
    bool log;  // the task's mask selects this call
};

// Records the call's entry; a call that will not return (returns false) is
// logged now. nr < abi::kSysCount.
void begin(Call& c, const task::Task& t, u64 tid, u32 nr, const u64 (&args)[abi::kMaxSyscallArgs], u8 path,
           bool returns);
// Records and logs the result.
void end(Call& c, i64 result);

// System calls recorded in `cpu`'s ring so far (0 without a ring).
u64 recorded(u32 cpu);

// Events of each CPU a panic, fault or fatal machine-check report shows.
constexpr u32 kReportEvents = 8;

// Prints the last `max` events of `cpu`'s ring, oldest first, or of every
// ring, or of the rings of the CPUs in `mask` (bit n = CPU n). Lock-free and
// bounded (at most `max` lines a CPU, a torn record still prints safely):
// meant for the panic path, NMI context included. A ring read while its CPU
// still runs may have moved on meanwhile.
void dump_cpu(u32 cpu, u32 max = 64);
void dump_all(u32 max_per_cpu = 16);
void dump_cpus(u64 mask, u32 max_per_cpu = kReportEvents);

}  // namespace trace
