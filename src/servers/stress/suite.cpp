// `stress suite seconds=S seed=X [workloads=ipc,sched,mem,caps,entry,victim]`:
// every workload at once on every online CPU for S seconds, then stopped,
// joined and checked. Records (one line each, docs in main.cpp):
//   stress: suite start seconds=S seed=0xX cpus=N
//   stress: suite stopping
//   stress: cpu=N sent=.. verified=.. switches=.. ... mce_recovered=..
//   stress: ipc|sched|mem|caps|entry|victim ...   (one per workload run)
//   stress: suite done verdict=pass|fail reason="..."
// A workload whose threads have not ended 3.5 s after the stop is reported
// stuck (a failure naming it) and the task ends anyway: the suite never
// runs much past S + 5 s.
#include "servers/stress/suite.h"

#include <stdarg.h>

#include "lib/abi/stats.h"
#include "lib/format.h"
#include "lib/ipc/kernel_entry.h"
#include "lib/kstd/string.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"

namespace stress {

Run g_run;
u32 g_stop;
CpuIpc g_cpu_ipc[kMaxCpus];
u32 g_unsupported;

namespace {

constexpr u64 kStartWaitNs = 1'000'000'000;  // for every thread to be running
constexpr u64 kStopGraceNs = 3'500'000'000;  // from the stop to giving up on a thread

char g_reason[320];
usize g_reason_len;

void thread_entry(u64 arg) {
    auto* ctx = reinterpret_cast<ThreadCtx*>(arg);
    if (ctx->buf) lstar::sys::ipc_buffer(reinterpret_cast<uptr>(ctx->buf));
    __atomic_fetch_add(&ctx->workload->started, 1, __ATOMIC_RELEASE);
    ctx->fn(*ctx);
    __atomic_fetch_sub(&ctx->workload->live, 1, __ATOMIC_RELEASE);
    lstar::thread_exit(0);
}

struct Entry {
    const char* name;
    bool (*start)(Workload&);
    void (*stop)(u64);
    void (*report)(bool);
};
const Entry kWorkloads[] = {
    {"ipc", ipc_start, ipc_stop, ipc_report},         {"sched", sched_start, sched_stop, sched_report},
    {"mem", mem_start, mem_stop, mem_report},         {"caps", caps_start, caps_stop, caps_report},
    {"entry", entry_start, entry_stop, entry_report}, {"victim", victim_start, victim_stop, victim_report},
};
constexpr u32 kWorkloadCount = sizeof kWorkloads / sizeof kWorkloads[0];

// Is `name` in the comma-separated list?
bool listed(const char* list, const char* name) {
    const usize n = kstd::strlen(name);
    for (const char* p = list; *p;) {
        const char* e = p;
        while (*e && *e != ',') ++e;
        if (usize(e - p) == n && kstd::strncmp(p, name, n) == 0) return true;
        p = *e ? e + 1 : e;
    }
    return false;
}

void print_cpus() {
    for (u32 c = 0; c < g_run.cpus && c < kMaxCpus; ++c) {
        abi::CpuStats s{};
        const i64 r = lstar::sys::cpu_stats(c, &s);
        if (r == -abi::kNoSys) {
            unsupported(kUnsupportedCpuStats);
            s = abi::CpuStats{};
        } else if (r < 0) {
            fail("cpu_stats cpu=%u error=%ld", c, r);
            s = abi::CpuStats{};
        }
        lstar::printf(
            "stress: cpu=%u sent=%lu verified=%lu switches=%lu migrations=%lu shootdowns=%lu tlb_flushes=%lu "
            "nmi_user=%lu nmi_kernel=%lu nmi_stub_user_gs=%lu nmi_stub_kernel_gs=%lu nmi_wrong_gs=%lu nmi_ipis=%lu "
            "mce=%lu mce_recovered=%lu\n",
            c, read(g_cpu_ipc[c].sent), read(g_cpu_ipc[c].verified), s.switches, s.migrations, s.shootdowns,
            s.tlb_flushes, s.nmi[abi::kNmiUser], s.nmi[abi::kNmiKernel], s.nmi[abi::kNmiStubUserGs],
            s.nmi[abi::kNmiStubKernelGs], s.nmi_wrong_gs, s.nmi_ipis_sent, s.mce_corrected, s.mce_recovered);
    }
}

u32 live(const Workload& w) { return __atomic_load_n(&w.live, __ATOMIC_ACQUIRE); }

// Where a stuck workload's threads are, from the kernel's thread list: one
// `stress: stuck ...` line per thread of it that still exists.
void report_stuck(const Workload& w) {
    static abi::ThreadInfo infos[256];
    const i64 n = lstar::sys::thread_list(infos, sizeof infos);
    if (n < 0) return;
    const i64 shown = n < i64(sizeof infos / sizeof infos[0]) ? n : i64(sizeof infos / sizeof infos[0]);
    const i64 self_tid = lstar::thread_self();
    u64 task = 0;
    for (i64 k = 0; k < shown; ++k)
        if (i64(infos[k].tid) == self_tid) task = infos[k].task_id;
    for (u32 t = 0; t < w.tid_count; ++t) {
        for (i64 k = 0; k < shown; ++k) {
            const abi::ThreadInfo& ti = infos[k];
            if (ti.task_id != task || i64(ti.tid) != w.tids[t] || ti.state == abi::kThreadDead) continue;
            lstar::printf("stress: stuck workload=%s tid=%lu state=%s cpu=%u prio=%u switches=%lu\n", w.name,
                          static_cast<unsigned long>(ti.tid),
                          ti.state < 6 ? abi::kThreadStateNames[ti.state] : "?", ti.cpu, unsigned(ti.priority),
                          static_cast<unsigned long>(ti.switches));
        }
    }
}

}  // namespace

i64 spawn(Workload& w, ThreadFn fn, u64 arg, u32 index, u32 priority, u64 affinity, void* mem, bool keep) {
    if (!mem) mem = lstar::vm_alloc(kThreadBytes);
    if (!mem) {
        w.spawn_failures++;
        return -abi::kNoMemory;
    }
    auto* ctx = static_cast<ThreadCtx*>(mem);
    auto* buf = reinterpret_cast<abi::IpcBuffer*>(static_cast<char*>(mem) + 64);
    *ctx = ThreadCtx{fn, arg, &w, buf, index};
    __atomic_fetch_add(&w.live, 1, __ATOMIC_RELAXED);
    const uptr top = reinterpret_cast<uptr>(mem) + kThreadBytes;
    const i64 tid = lstar::thread_create(thread_entry, top, reinterpret_cast<uptr>(ctx), priority, affinity & all_cpus());
    if (tid < 0) {
        __atomic_fetch_sub(&w.live, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&w.spawn_failures, 1, __ATOMIC_RELAXED);
        return tid;
    }
    if (keep && w.tid_count < sizeof w.tids / sizeof w.tids[0]) w.tids[w.tid_count++] = tid;
    return tid;
}

i64 ipc_raw(u64 nr, u64 cap, u64 tag, abi::IpcBuffer* buf, u64* words, u32 n, u32* n_out, u32* label, u64* badge) {
    ipc::KernelRegs r{cap, tag, {}};
    for (u32 i = 0; i < n; ++i) {
        if (i < abi::kRegisterWords) r.words[i] = words[i];
        else buf->words[i] = words[i];
    }
    const i64 result = lstar_ipc_syscall(nr, &r);
    if (badge) *badge = r.rdi;
    const u32 got = abi::tag_words(r.rsi);
    if (label) *label = abi::tag_label(r.rsi);
    if (n_out) *n_out = got;
    if (result == 0 && n_out) {
        for (u32 i = 0; i < got; ++i) words[i] = i < abi::kRegisterWords ? r.words[i] : buf->words[i];
    }
    return result;
}

void fail(const char* fmt, ...) {
    if (g_reason_len + 3 >= sizeof g_reason) return;
    if (g_reason_len) {
        g_reason[g_reason_len++] = ';';
        g_reason[g_reason_len++] = ' ';
    }
    va_list ap;
    va_start(ap, fmt);
    const usize room = sizeof g_reason - g_reason_len;
    const usize n = fmt::vsnprintf(g_reason + g_reason_len, room, fmt, ap);
    va_end(ap);
    g_reason_len += n < room ? n : room - 1;
}

void sleep_until(u64 t_ns) {
    for (;;) {
        const u64 now = lstar::time_ns();
        if (now >= t_ns || stopping()) return;
        const u64 left = t_ns - now;
        lstar::sleep_ns(left < 20'000'000 ? left : 20'000'000);
    }
}

}  // namespace stress

using namespace stress;

int suite_main(int argc, char** argv) {
    u64 seconds = 10, seed = 1;
    char list[96] = "ipc,sched,mem,caps,entry,victim";
    for (int i = 2; i < argc; ++i) {
        lstar::arg_u64(argv[i], "seconds", seconds);
        lstar::arg_u64(argv[i], "seed", seed);
        lstar::arg_get(argv[i], "workloads", list, sizeof list);
    }
    const u32 cpus = lstar::cpu_count();
    if (seconds == 0 || seconds > 3600 || cpus == 0 || cpus > kMaxCpus) {
        lstar::printf("stress: error usage: stress suite seconds=1..3600 seed=X [workloads=...] (cpus=%u)\n", cpus);
        return 2;
    }
    g_run = Run{seconds, seed, cpus, 0};
    static Workload ws[kWorkloadCount];
    bool on[kWorkloadCount] = {};
    for (u32 i = 0; i < kWorkloadCount; ++i) {
        ws[i].name = kWorkloads[i].name;
        on[i] = listed(list, kWorkloads[i].name);
        if (on[i] && !kWorkloads[i].start(ws[i])) fail("%s could not start", ws[i].name);
        if (ws[i].spawn_failures) fail("%s spawn_failures=%u", ws[i].name, ws[i].spawn_failures);
    }
    // Every thread running (or the start's time is up) before the record
    // that lets the host begin its injections.
    const u64 t_wait = lstar::time_ns() + kStartWaitNs;
    for (u32 i = 0; i < kWorkloadCount; ++i) {
        while (on[i] && __atomic_load_n(&ws[i].started, __ATOMIC_ACQUIRE) < ws[i].tid_count &&
               lstar::time_ns() < t_wait)
            lstar::sleep_ns(1'000'000);
    }
    g_run.start_ns = lstar::time_ns();
    lstar::printf("stress: suite start seconds=%lu seed=0x%lx cpus=%u\n", seconds, seed, cpus);
    sleep_until(g_run.start_ns + seconds * 1'000'000'000);
    __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
    lstar::printf("stress: suite stopping\n");

    const u64 give_up = lstar::time_ns() + kStopGraceNs;
    for (u32 i = 0; i < kWorkloadCount; ++i) {
        if (on[i]) kWorkloads[i].stop(give_up - 1'000'000'000);
    }
    for (u32 i = 0; i < kWorkloadCount; ++i) {
        while (on[i] && live(ws[i]) != 0 && lstar::time_ns() < give_up) lstar::sleep_ns(2'000'000);
    }
    bool stuck[kWorkloadCount] = {}, any_stuck = false;
    for (u32 i = 0; i < kWorkloadCount; ++i) {
        stuck[i] = on[i] && live(ws[i]) != 0;
        any_stuck = any_stuck || stuck[i];
        if (stuck[i]) continue;
        for (u32 t = 0; t < ws[i].tid_count; ++t) lstar::thread_join(u64(ws[i].tids[t]));
    }
    print_cpus();
    for (u32 i = 0; i < kWorkloadCount; ++i) {
        if (!on[i]) continue;
        kWorkloads[i].report(stuck[i]);
        if (stuck[i]) {
            report_stuck(ws[i]);
            fail("%s stuck threads=%u", ws[i].name, live(ws[i]));
        }
    }
    const bool pass = g_reason_len == 0;
    if (pass) {
        const u32 u = g_unsupported;
        lstar::snprintf(g_reason, sizeof g_reason, "ok%s%s%s%s%s", u ? " unsupported=" : "",
                        u & kUnsupportedCpuStats ? "cpu_stats," : "", u & kUnsupportedUnmap ? "vm_unmap," : "",
                        u & kUnsupportedProtect ? "vm_protect," : "", u & kUnsupportedReplace ? "kMapReplace," : "");
        usize n = kstd::strlen(g_reason);
        if (n && g_reason[n - 1] == ',') g_reason[n - 1] = '\0';
    }
    lstar::printf("stress: suite done verdict=%s reason=\"%s\"\n", pass ? "pass" : "fail", g_reason);
    // Threads still stuck in the kernel end with the task.
    if (any_stuck) lstar::task_exit(1);
    return pass ? 0 : 1;
}
