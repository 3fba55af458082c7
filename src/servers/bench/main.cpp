// bench: lstar's benchmarks (docs/performance.md, run by `make bench`).
//
//   bench run [iters=N] [runs=R] [only=null|ipc|switch|vm]   (privileged)
//       on every CPU in turn, from a thread pinned there:
//         null_syscall, null_sysenter (Intel), null_int80, null_page
//             probe(0..0) through SYSCALL, the entry page's SYSENTER
//             stub, INT 0x80, and the entry page's default function;
//         ipc_same, ipc_cross
//             ipc_call + reply to a server task (bench server) pinned to
//             the same CPU, or to the next CPU;
//         yield_pingpong
//             two threads on the CPU hand it to each other with yield():
//             one round trip is two switches;
//         vm_local, vm_remote
//             vm_map + vm_unmap of one page, with the task live on this
//             CPU only, or with a second thread of it spinning on the next
//             CPU (so that the unmap needs a remote TLB shootdown);
//       then starts the module `bench32` for the 32-bit entry paths and
//       waits for it. Needs the privileged calls: it finds its own module
//       and bench32's (module_info), starts the server from its own module
//       (task_create_args) and reads the IPC and CPU counters.
//   bench server   (started by bench run, with an endpoint in slot 1)
//
// Method: every figure is the time-stamp-counter ticks of a loop of `iters`
// entries (loops.asm, serialised time stamps) minus the same loop with each
// entry instruction replaced by a NOP of the same length, divided by
// `iters`. R + 1 runs, the first discarded; min, median and max of the R.
// Under QEMU -icount the counter counts retired instructions.
//
// Records (one line each):
//   bench: start cpus=N iters=N runs=R intel=0|1
//   bench: op=NAME cpu=C peer=P unit=tsc iters=N runs=R min=.. median=.. max=.. [extra]
//       extra: ipc_*: fast_calls= slow_calls= (IPC counters of every CPU,
//       over all runs) path=fast|slow (slow when any call missed the fast
//       path); vm_*: shootdowns= (TLB shootdowns started, every CPU, over all
//       runs). peer is the other end's CPU (the same CPU for *_same,
//       yield_pingpong, vm_local, null_*).
//   bench: error what=.. result=..
//   bench: done records=N errors=N
// bench32 prints its own `bench: op=null32_...` records in between.
// The exit status is 0 when every measurement ran.
#include "lib/abi/ipc.h"
#include "lib/abi/stats.h"
#include "lib/ipc/kernel_entry.h"
#include "lib/kstd/string.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/bench/stats.h"

namespace {

// The registers of one entry (loops.asm's block): RAX the call number,
// then the arguments, RBP the target of CALL.
struct BenchCall {
    u64 rax, rdi, rsi, rdx, r10, r8, r9, r12, target;
};

}  // namespace

extern "C" {
u64 bl_syscall(u64 iters, const BenchCall* a, const BenchCall* b);
u64 bl_int80(u64 iters, const BenchCall* a, const BenchCall* b);
u64 bl_call(u64 iters, const BenchCall* a, const BenchCall* b);
u64 bl_nop(u64 iters, const BenchCall* a, const BenchCall* b);
u64 bl_syscall2(u64 iters, const BenchCall* a, const BenchCall* b);
u64 bl_nop2(u64 iters, const BenchCall* a, const BenchCall* b);
}

namespace {

using Loop = u64 (*)(u64, const BenchCall*, const BenchCall*);

constexpr u64 kBusSlot = 1;  // the server's endpoint, in both tasks
constexpr u32 kLabelPing = 1, kLabelPin = 2, kLabelStop = 3;
constexpr u32 kThreadPriority = 20;
constexpr u64 kMapAddr = 0x0000300000000000;  // far from the vm_alloc window
constexpr u64 kPage = 4096;

u64 g_iters = 1000;
u32 g_runs = 5;
u32 g_cpus = 1;
bool g_intel = false;
u64 g_page = 0;
u32 g_records = 0, g_errors = 0;

bool intel_cpu() {
    u32 a, b, c, d;
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;  // "GenuineIntel"
}

u64 cpu_bit(u32 cpu) { return u64(1) << cpu; }

void error(const char* what, i64 result) {
    g_errors++;
    lstar::printf("bench: error what=%s result=%ld\n", what, result);
}

bench::Figures measure(Loop op, Loop nop, const BenchCall& a, const BenchCall& b) {
    u64 per[bench::kMaxRuns];
    u32 runs = g_runs;
    for (u32 r = 0; r <= runs; r++) {  // run 0 warms caches and TLBs and is discarded
        u64 t = op(g_iters, &a, &b);
        u64 base = nop(g_iters, &a, &b);
        if (r > 0) per[r - 1] = (t > base ? t - base : 0) / g_iters;
    }
    return bench::summarise(per, runs);
}

void record(const char* op, u32 cpu, u32 peer, const bench::Figures& f, const char* extra = "") {
    g_records++;
    lstar::printf("bench: op=%s cpu=%u peer=%u unit=tsc iters=%lu runs=%u min=%lu median=%lu max=%lu%s\n", op, cpu,
                  peer, g_iters, g_runs, f.min, f.median, f.max, extra);
}

// --- counters (privileged) ---

struct Totals {
    u64 fast_calls = 0, slow_calls = 0, shootdowns = 0;
};

Totals totals() {
    Totals t;
    for (u32 c = 0; c < g_cpus; c++) {
        abi::IpcStats s{};
        if (lstar::sys::ipc_stats(c, &s) == 0) {
            t.fast_calls += s.fast_calls + s.fast_replies;
            t.slow_calls += s.slow_calls;
        }
        abi::CpuStats cs{};
        if (lstar::sys::cpu_stats(c, &cs) == 0) t.shootdowns += cs.shootdowns;
    }
    return t;
}

// --- the server task ---

i64 ipc(u64 nr, u64 cap, u64 tag, u64 w0, ipc::KernelRegs& r) {
    r = ipc::KernelRegs{cap, tag, {w0, 0, 0, 0}};
    return lstar_ipc_syscall(nr, &r);
}

bool own_buffer() {
    auto* b = static_cast<abi::IpcBuffer*>(lstar::vm_alloc(sizeof(abi::IpcBuffer)));
    return b && lstar::sys::ipc_buffer(reinterpret_cast<uptr>(b)) == 0;
}

// Answers pings with an empty message; a pin moves it to the CPUs of word
// 0 before it answers; a stop ends it.
int server() {
    if (!own_buffer()) return 1;
    ipc::KernelRegs r;
    i64 result = ipc(abi::kSysIpcRecv, kBusSlot, 0, 0, r);
    while (result == 0) {
        u32 label = abi::tag_label(r.rsi);
        if (label == kLabelPin) lstar::set_affinity(0, r.words[0]);
        if (label == kLabelStop) break;
        result = ipc(abi::kSysIpcReplyRecv, kBusSlot, abi::make_tag(0, 0), 0, r);
    }
    if (result == 0) ipc(abi::kSysIpcReply, 0, abi::make_tag(0, 0), 0, r);
    return result == 0 ? 0 : 1;
}

// The server task, from this program's own module, with an endpoint in
// slot 1 of both tasks.
i64 start_server(u64 module) {
    i64 ep = lstar::sys::endpoint_create(kBusSlot);
    if (ep < 0) return ep;
    const char args[] = "bench server";
    i64 task = lstar::sys::task_create_args(module, abi::kAnySlot, args, sizeof args - 1);
    if (task < 0) return task;
    i64 r = lstar::sys::task_give(u64(task), kBusSlot, kBusSlot, abi::kRightsAll, 0);
    if (r < 0) return r;
    return lstar::sys::task_start(u64(task), kThreadPriority, ~u64(0), 0);
}

// Moves the server to `cpu` (its reply comes from there).
i64 pin_server(u32 cpu) {
    ipc::KernelRegs r;
    return ipc(abi::kSysIpcCall, kBusSlot, abi::make_tag(kLabelPin, 1), cpu_bit(cpu), r);
}

// --- the measurements, each in a thread pinned to its CPU ---

struct Job {
    u32 cpu, peer;
    const char* only;
};

volatile u32 g_stop = 0, g_running = 0;

bool wanted(const Job& j, const char* group) { return j.only[0] == '\0' || kstd::strcmp(j.only, group) == 0; }

void null_calls(const Job& j) {
    BenchCall probe{abi::kSysProbe, 0, 0, 0, 0, 0, 0, 0, 0};
    record("null_syscall", j.cpu, j.cpu, measure(bl_syscall, bl_nop, probe, probe));
    if (g_intel) {
        BenchCall p = probe;
        p.target = g_page + abi::kEntryOffsetSysenter;
        record("null_sysenter", j.cpu, j.cpu, measure(bl_call, bl_nop, p, p));
    }
    record("null_int80", j.cpu, j.cpu, measure(bl_int80, bl_nop, probe, probe));
    BenchCall p = probe;
    p.target = g_page;
    record("null_page", j.cpu, j.cpu, measure(bl_call, bl_nop, p, p));
}

void ipc_round_trip(const char* op, u32 cpu, u32 peer) {
    i64 r = pin_server(peer);
    if (r != 0) return error("pin_server", r);
    BenchCall call{abi::kSysIpcCall, kBusSlot, abi::make_tag(kLabelPing, 0), 0, 0, 0, 0, 0, 0};
    Totals before = totals();
    bench::Figures f = measure(bl_syscall, bl_nop, call, call);
    Totals after = totals();
    u64 fast = after.fast_calls - before.fast_calls, slow = after.slow_calls - before.slow_calls;
    char extra[96];
    lstar::snprintf(extra, sizeof extra, " fast_calls=%lu slow_calls=%lu path=%s", fast, slow,
                    slow == 0 ? "fast" : "slow");
    record(op, cpu, peer, f, extra);
}

void spin_partner(u64) {
    g_running = 1;
    while (!g_stop) asm volatile("pause" ::: "memory");
    lstar::thread_exit(0);
}

void yield_partner(u64) {
    const BenchCall y{abi::kSysYield, 0, 0, 0, 0, 0, 0, 0, 0};
    g_running = 1;
    while (!g_stop) bl_syscall(64, &y, &y);
    lstar::thread_exit(0);
}

// Starts `fn` pinned to `cpu` (g_stop clear) and waits until it runs there
// (on another CPU it might otherwise not have started before the
// measurement ends); returns its tid or < 0.
i64 partner(void (*fn)(u64), u32 cpu) {
    g_stop = 0;
    g_running = 0;
    i64 tid = lstar::thread_create(fn, 0, 0, kThreadPriority, cpu_bit(cpu));
    while (tid > 0 && !g_running) {
        lstar::yield();
        asm volatile("pause" ::: "memory");
    }
    return tid;
}

void stop_partner(i64 tid) {
    g_stop = 1;
    if (tid > 0) lstar::thread_join(u64(tid));
}

void pingpong(const Job& j) {
    i64 tid = partner(yield_partner, j.cpu);
    if (tid < 0) return error("thread_create", tid);
    const BenchCall y{abi::kSysYield, 0, 0, 0, 0, 0, 0, 0, 0};
    bench::Figures f = measure(bl_syscall, bl_nop, y, y);
    stop_partner(tid);
    record("yield_pingpong", j.cpu, j.cpu, f);
}

void map_unmap(const char* op, u32 cpu, u32 peer) {
    const BenchCall map{abi::kSysVmMap, kMapAddr, kPage, abi::kProtWrite, 0, 0, 0, 0, 0};
    const BenchCall unmap{abi::kSysVmUnmap, kMapAddr, kPage, 0, 0, 0, 0, 0, 0};
    i64 tid = 0;
    if (peer != cpu) {
        tid = partner(spin_partner, peer);
        if (tid < 0) return error("thread_create", tid);
    }
    Totals before = totals();
    bench::Figures f = measure(bl_syscall2, bl_nop2, map, unmap);
    Totals after = totals();
    stop_partner(tid);
    char extra[48];
    lstar::snprintf(extra, sizeof extra, " shootdowns=%lu", after.shootdowns - before.shootdowns);
    record(op, cpu, peer, f, extra);
}

void run_job(u64 arg) {
    const Job& j = *reinterpret_cast<const Job*>(arg);
    if (lstar::cpu_id() != j.cpu) {
        error("pinned", lstar::cpu_id());
        lstar::thread_exit(1);
    }
    if (!own_buffer()) error("ipc_buffer", -1);
    if (wanted(j, "null")) null_calls(j);
    if (wanted(j, "ipc")) {
        ipc_round_trip("ipc_same", j.cpu, j.cpu);
        if (j.peer != j.cpu) ipc_round_trip("ipc_cross", j.cpu, j.peer);
    }
    if (wanted(j, "switch")) pingpong(j);
    if (wanted(j, "vm")) {
        map_unmap("vm_local", j.cpu, j.cpu);
        if (j.peer != j.cpu) map_unmap("vm_remote", j.cpu, j.peer);
    }
    lstar::thread_exit(0);
}

// The index of the boot module whose first word is `name`, or -kNotFound.
i64 find_module(const char* name) {
    const usize n = kstd::strlen(name);
    for (u64 index = 0; index < 64; index++) {
        char line[128];
        i64 r = lstar::sys::module_info(index, line, sizeof line);
        if (r == -abi::kNotFound) break;
        if (r < 0) continue;
        line[usize(r) < sizeof line ? usize(r) : sizeof line - 1] = '\0';
        const char* s = line;
        while (*s == ' ') s++;
        if (kstd::strncmp(s, name, n) == 0 && (s[n] == '\0' || s[n] == ' ')) return i64(index);
    }
    return -abi::kNotFound;
}

// Starts bench32 with our iters and runs and waits for it.
void run_bench32() {
    i64 module = find_module("bench32");
    if (module < 0) return error("bench32_module", module);
    char args[64];
    int len = lstar::snprintf(args, sizeof args, "bench32 iters=%lu runs=%u", g_iters, g_runs);
    i64 task = lstar::sys::task_create_args(u64(module), abi::kAnySlot, args, usize(len));
    if (task < 0) return error("bench32_create", task);
    i64 id = lstar::sys::task_start(u64(task), kThreadPriority, ~u64(0), 0);
    if (id < 0) return error("bench32_start", id);
    i64 status = lstar::sys::task_wait(u64(id));
    if (status != 0) error("bench32_status", status);
    lstar::sys::cap_delete(u64(task));
}

int run(const char* args) {
    lstar::arg_u64(args, "iters", g_iters);
    u64 runs = g_runs;
    lstar::arg_u64(args, "runs", runs);
    char only[16] = "";
    lstar::arg_get(args, "only", only, sizeof only);
    if (g_iters == 0 || runs == 0 || runs > bench::kMaxRuns) {
        lstar::printf("bench: error what=usage result=-1\n");
        return 2;
    }
    g_runs = u32(runs);
    g_cpus = lstar::cpu_count();
    g_intel = intel_cpu();
    g_page = lstar::aux(abi::kAtSysinfo);
    lstar::printf("bench: start cpus=%u iters=%lu runs=%u intel=%u\n", g_cpus, g_iters, g_runs, g_intel);

    i64 self = find_module("bench");
    i64 server_id = self >= 0 ? start_server(u64(self)) : self;
    if (server_id < 0) error("server", server_id);

    for (u32 cpu = 0; cpu < g_cpus; cpu++) {
        Job j{cpu, (cpu + 1) % g_cpus, only};
        i64 tid = lstar::thread_create(run_job, 0, reinterpret_cast<u64>(&j), kThreadPriority, cpu_bit(cpu));
        if (tid < 0) {
            error("thread_create", tid);
            continue;
        }
        i64 st = lstar::thread_join(u64(tid));
        if (st != 0) error("job", st);
    }
    if (server_id >= 0) {
        ipc::KernelRegs r;
        ipc(abi::kSysIpcCall, kBusSlot, abi::make_tag(kLabelStop, 0), 0, r);
        lstar::sys::task_wait(u64(server_id));
    }
    if (only[0] == '\0' || kstd::strcmp(only, "null") == 0) run_bench32();
    lstar::printf("bench: done records=%u errors=%u\n", g_records, g_errors);
    return g_errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    char args[256] = "";
    usize n = 0;
    for (int i = 2; i < argc; i++) n += lstar::snprintf(args + n, sizeof args - n, "%s ", argv[i]);
    if (argc >= 2 && kstd::strcmp(argv[1], "server") == 0) return server();
    if (argc >= 2 && kstd::strcmp(argv[1], "run") == 0) return run(args);
    lstar::printf("bench: error what=usage result=-1\n");
    return 2;
}
