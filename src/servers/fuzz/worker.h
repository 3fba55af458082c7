// The fuzzer's worker threads and what they share with main.cpp: each worker
// issues the calls of its generator stream through the entry paths until the
// deadline, checks every answer, and keeps the children it started so that
// it can join them all.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/kstd/types.h"
#include "servers/fuzz/generator.h"

namespace fuzz {

constexpr u32 kMaxWorkers = 48;
constexpr u32 kMaxCpus = 64;
constexpr u64 kScratchBytes = 8192;
constexpr u64 kChildStackBytes = 4096;
constexpr u32 kHashedCalls = 256;  // the per-thread fingerprint covers these
constexpr u8 kGuardByte = 0xA5;
// The vm_* fuzz window: nothing of the fuzzer's is there.
constexpr u64 kWindow = 0x0000300000000000ull;
constexpr u64 kWindowBytes = 8ull << 20;

// Each worker's memory the kernel may be pointed at, between guards that no
// call is ever given: a kernel that writes past a buffer changes a guard.
struct alignas(4096) ThreadArea {
    u8 guard_lo[256];
    u8 scratch[kScratchBytes];
    u8 guard_mid[256];
    abi::IpcBuffer ipc;
    u8 guard_hi[256];
    alignas(16) u8 child_stacks[kChildStackBytes];  // children never touch their stacks: stays as filled
};

struct Child {
    u64 tid;
    u64 code;  // thread_create's arg, which the child exits with
};

struct WorkerResult {
    u64 tid;
    u64 calls, ok, errors, violations;
    u64 hash, hashed;
    u64 created, joined, kept_regs_bad;
    u64 cpus_seen;  // mask of CPUs a batch started on
};

// Set up by main before the workers start; read-only afterwards.
struct Setup {
    u64 seed;
    u64 deadline_ns;
    u32 workers;
    u32 cpus;
    u64 online_mask;
    bool sysenter;   // the CPU has SYSENTER in 64-bit mode (Intel)
    u64 entry_page;  // AT_SYSINFO, 0 if none
};

extern Setup g_setup;
extern ThreadArea g_areas[kMaxWorkers];
extern WorkerResult g_results[kMaxWorkers];
extern u64 g_worker_tids[kMaxWorkers];
extern u64 g_cpu_calls[kMaxCpus];
extern u64 g_path_calls[u32(Path::kCount)];
extern u32 g_go;  // set (release) once g_worker_tids is complete
struct ReadonlyTable {
    u64 v[512];
    constexpr ReadonlyTable();
};
extern const ReadonlyTable kReadonlyTable;

// The worker thread: arg = its index.
void worker_main(u64 index);

// The generator layout of worker `index`.
Layout layout_of(u32 index);

// Prints a violation line (the first kMaxViolationLines of the whole run).
void report_violation(u32 worker, u64 index, const CallSpec& c, const u64* regs, i64 result, Path path,
                      const char* why);
u64 violations_total();

}  // namespace fuzz

extern "C" {
// enter.asm
u64 fz_enter(u64 nr, u64* regs, u64 path, u64 target);
void fz_child_entry();
}
