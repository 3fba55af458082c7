// What the workloads of `stress suite` share: the run's parameters and stop
// flag, threads with their own stacks and IPC buffers, counters, and the
// raw IPC call. Each workload (ipc_storm.cpp, sched_churn.cpp,
// mem_churn.cpp, cap_churn.cpp, entry_mix.cpp, victim.cpp) has a start
// function that spawns its threads, a stop function main calls once the
// stop flag is up (to wake threads that wait for messages), and a report
// function that prints its record and adds its failures to the verdict.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/abi/syscall.h"
#include "lib/kstd/types.h"
#include "servers/stress/check.h"

namespace stress {

constexpr u32 kMaxCpus = 64;
// Priorities. Every thread that keeps a CPU busy shares one level, so
// round robin gives each its turn; those that never wait (entry-path
// callers, the memory churn) yield often, so that a thread woken by a
// message does not wait long behind them. (They cannot sit a level lower:
// on one CPU some thread of the level above is always ready.) The threads
// that mostly sleep sit one level above, so that they run as they wake.
//
// The IPC threads (storm, capability churn, victim client) sit above both:
// a woken server or client otherwise waits behind every CPU-bound thread of
// the machine (the fuzzer's and stress32's included) for a slice each, and
// a full run managed a few dozen calls in 20 s. They block on every call;
// clients also sleep briefly every kIpcBurst calls, so that a client and
// server on one CPU cannot take it from the pinned threads for good.
constexpr u32 kSpinPriority = abi::kDefaultPriority;
constexpr u32 kBusyPriority = abi::kDefaultPriority;
constexpr u32 kIpcPriority = abi::kDefaultPriority + 2;
constexpr u32 kWakerPriority = abi::kDefaultPriority + 3;
constexpr u64 kIpcBurst = 16;
constexpr u64 kIpcPauseNs = 100'000;

struct Run {
    u64 seconds;
    u64 seed;
    u32 cpus;
    u64 start_ns;
};
extern Run g_run;

// kIpcPriority on more than one CPU. On one CPU some IPC thread is always
// ready, so a level above would leave the rest no time at all; there every
// thread shares one level.
inline u32 ipc_priority() { return g_run.cpus > 1 ? kIpcPriority : kBusyPriority; }

// Set by main when the run's time is up; every workload loop polls it.
extern u32 g_stop;
inline bool stopping() { return __atomic_load_n(&g_stop, __ATOMIC_ACQUIRE) != 0; }

inline u64 all_cpus() { return g_run.cpus >= 64 ? ~u64{0} : (u64{1} << g_run.cpus) - 1; }
inline u64 cpu_bit(u32 cpu) { return u64{1} << (cpu % 64); }

// A counter more than one thread adds to.
inline void bump(u64& c, u64 n = 1) { __atomic_fetch_add(&c, n, __ATOMIC_RELAXED); }
inline u64 read(const u64& c) { return __atomic_load_n(&c, __ATOMIC_RELAXED); }

// The threads of one workload: how many were started and are still alive
// (the wrapper counts a thread out when its function returns), and the ids
// main joins at the end (those of threads the workload joins itself are
// not kept).
struct Workload {
    const char* name;
    u32 live = 0;
    u32 started = 0;
    u32 spawn_failures = 0;
    u32 tid_count = 0;
    i64 tids[128] = {};
};

struct ThreadCtx;
using ThreadFn = void (*)(ThreadCtx&);

// At the base of each thread's memory: what the thread runs, then its IPC
// buffer; its stack ends at the top of the block.
struct ThreadCtx {
    ThreadFn fn;
    u64 arg;
    Workload* workload;
    abi::IpcBuffer* buf;
    u32 index;  // the workload's own number for the thread
};

constexpr usize kThreadBytes = 20 * 1024;  // context, IPC buffer, 16 KiB of stack

// Starts fn(ctx) on a new thread of `w` with block `mem` (kThreadBytes,
// nullptr: a new one from vm_alloc). `keep`: main joins it at the end.
// Returns the tid or -abi::Error.
i64 spawn(Workload& w, ThreadFn fn, u64 arg, u32 index, u32 priority, u64 affinity, void* mem = nullptr,
          bool keep = true);

// One message call (or receive, reply, reply_recv) of words[0..n) through
// the registers and buf; the answer's words come back in words, its count
// in *n_out, its label and badge in *label / *badge. Returns 0 or -Error.
i64 ipc_raw(u64 nr, u64 cap, u64 tag, abi::IpcBuffer* buf, u64* words, u32 n, u32* n_out, u32* label,
            u64* badge);

// Appends to the verdict's reason; any call makes the run fail.
void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Each workload's entry points.
#define STRESS_WORKLOAD(name)      \
    bool name##_start(Workload&);  \
    void name##_stop(u64 deadline_ns); \
    void name##_report(bool stuck);
STRESS_WORKLOAD(ipc)
STRESS_WORKLOAD(sched)
STRESS_WORKLOAD(mem)
STRESS_WORKLOAD(caps)
STRESS_WORKLOAD(entry)
STRESS_WORKLOAD(victim)
#undef STRESS_WORKLOAD

// Per-CPU message counts of the IPC storm's clients, for the cpu= records.
struct CpuIpc {
    u64 sent;
    u64 verified;
};
extern CpuIpc g_cpu_ipc[kMaxCpus];

// Unsupported calls seen (bit per call, kUnsupported*): reported, not failed.
enum : u32 { kUnsupportedCpuStats = 1, kUnsupportedUnmap = 2, kUnsupportedProtect = 4, kUnsupportedReplace = 8 };
extern u32 g_unsupported;
inline void unsupported(u32 bit) { __atomic_fetch_or(&g_unsupported, bit, __ATOMIC_RELAXED); }

// Sleeps until time_ns() >= t or the stop flag, in short steps.
void sleep_until(u64 t_ns);

}  // namespace stress

int suite_main(int argc, char** argv);
