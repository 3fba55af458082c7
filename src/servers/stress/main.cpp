// stress: SMP scheduler stress for the boot tests. Every thread it starts is
// CPU-bound and does a fixed amount of work W (calibrated at start as the
// iterations one CPU does in ms= milliseconds), reporting after each of its
// ~200 batches which CPU it ran on. Two modes, chosen by the first word after
// the program name in the module string:
//
//   stress sched [ms=M]
//       three groups at once: A (priority 20, 2 threads pinned to the last
//       CPU), B (priority 12, 2*C threads on any of the C CPUs) and D
//       (priority 4, C threads on any CPU). Tests strict priorities, round
//       robin within a level, affinity and load balancing.
//   stress work threads=N prio=P cpus=MASK [ms=M]
//       N threads at priority P with affinity MASK; run next to a `spin` task
//       pinned to the same CPU at the same priority to show that a task that
//       never yields does not starve the others at its level.
//
// Every output line is one `stress: key=value ...` record that the tests parse:
// one `stress: thread ...` line per thread, one `stress: group=...` line per
// group (taken by the first thread of the group to finish: the progress of its
// siblings in percent of W, which round robin keeps close), and a final
// `stress: sched done ...` or `stress: work done ...`. The exit status is 0 if
// every thread did its W iterations, no thread ever ran outside its affinity
// and every group's slowest sibling had reached 33% (or fair=N%) of W; 1 if a check failed;
// 2 for a bad command line.
//
//   stress suite seconds=S seed=X [workloads=...]
//       the SMP stress suite (suite.cpp): IPC, scheduler, memory, capability,
//       entry-path and server-restart workloads at once on every CPU.
#include "lib/user/lstar.h"
#include "servers/stress/suite.h"

namespace {

constexpr u32 kMaxThreads = 256;
constexpr u32 kMaxGroups = 3;
constexpr u64 kBatchesPerThread = 200;
constexpr u64 kDefaultMs = 150;
constexpr u64 kCalibrateNs = 20'000'000;  // total calibration time
constexpr u64 kMinWindowNs = 500'000;     // one timed calibration batch at least this long
constexpr u64 kMaxCalibrateBatch = u64{1} << 36;  // minutes of work: the clock is stuck
// `fair=N` overrides it: where the emulated CPUs do not run at the same
// speed (QEMU's CPU threads share the host's cores), shares across CPUs say
// more about the host than about the scheduler.
u32 g_min_pct_required = 33;
constexpr u32 kMainPriority = 30;

// The work: a xorshift step whose state the compiler must treat as read and
// written by the empty asm, so the loop can be neither removed nor folded.
u64 burn(u64 iterations, u64 state) {
    for (u64 i = 0; i < iterations; ++i) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        asm volatile("" : "+r"(state));
    }
    return state;
}

// One 64-byte slot per thread so that a thread's progress stores never share
// a cache line with another thread's.
struct alignas(64) Slot {
    u64 progress;  // iterations done; written by the owner, read by siblings
};
static_assert(sizeof(Slot) == 64);

struct Group {
    char name;
    u32 priority;
    u64 affinity;
    u32 first;  // index of its first thread in g_threads
    u32 count;
    u32 first_done;  // 0 until a thread claims the snapshot, then 1
    // Written by the claiming thread before it exits; main reads them after
    // joining every thread.
    i64 first_done_tid;
    u32 min_pct;
    u32 max_pct;
};

struct Thread {
    u32 group;
    u32 index;  // within its group
    i64 tid;    // from thread_create; -error if it could not be created
    // Written by the thread itself before it exits.
    u64 count;
    u64 wrong_cpu;
    u64 cpus_seen;
    u64 sink;  // burn's final state, so the work has a visible result
};

Slot g_slots[kMaxThreads];
Thread g_threads[kMaxThreads];
Group g_groups[kMaxGroups];
u32 g_thread_count;
u32 g_group_count;
u64 g_work;   // W: iterations per thread
u64 g_batch;  // iterations between progress updates and CPU checks
u64 g_calibration_sink;

u64 load(const u64& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
void store(u64& v, u64 x) { __atomic_store_n(&v, x, __ATOMIC_RELAXED); }

u64 cpu_bit(u32 cpu) { return cpu < 64 ? u64{1} << cpu : 0; }
u64 all_cpus(u32 count) { return count >= 64 ? ~u64{0} : (u64{1} << count) - 1; }

u32 percent(u64 done, u64 total) { return total == 0 ? 100 : static_cast<u32>(done * 100 / total); }

// Iterations per millisecond of one CPU. Runs timed batches for ~20 ms and
// keeps the best rate, so a batch that was preempted or interrupted does not
// lower the estimate below what the CPU does alone.
// Returns 0 if time_ns does not advance.
u64 calibrate() {
    u64 batch = 1024;
    u64 state = 0x9e3779b97f4a7c15;
    u64 start = lstar::time_ns();
    u64 best = 0;  // iterations per ms
    for (;;) {
        u64 t0 = lstar::time_ns();
        state = burn(batch, state);
        u64 ns = lstar::time_ns() - t0;
        if (ns < kMinWindowNs) {
            if (batch >= kMaxCalibrateBatch) break;
            batch *= 2;  // too short to time well: grow until it is not
        } else {
            u64 rate = batch * 1'000'000 / ns;
            if (rate > best) best = rate;
        }
        if (lstar::time_ns() - start >= kCalibrateNs && best != 0) break;
    }
    g_calibration_sink = state;  // keep the result observable
    return best;
}

// Claims the group's snapshot for the first thread to finish and records the
// progress of every sibling (not the caller, which is at 100%).
void snapshot(Group& g, u32 self) {
    u32 expected = 0;
    if (!__atomic_compare_exchange_n(&g.first_done, &expected, 1, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return;
    u32 min_pct = 100, max_pct = 0;
    bool any = false;
    for (u32 i = g.first; i < g.first + g.count; ++i) {
        if (i == self) continue;
        u32 pct = percent(load(g_slots[i].progress), g_work);
        if (pct < min_pct) min_pct = pct;
        if (pct > max_pct) max_pct = pct;
        any = true;
    }
    if (!any) min_pct = max_pct = 100;  // a group of one has no sibling to lag
    g.first_done_tid = lstar::thread_self();
    g.min_pct = min_pct;
    g.max_pct = max_pct;
    lstar::printf("stress: group=%c prio=%u threads=%u affinity=0x%lx first_done_tid=%ld min_pct=%u max_pct=%u\n",
                  g.name, g.priority, g.count, g.affinity, g.first_done_tid, min_pct, max_pct);
}

void worker(u64 arg) {
    u32 self = static_cast<u32>(arg);
    Thread& t = g_threads[self];
    Group& g = g_groups[t.group];
    u64 state = 0x2545f4914f6cdd1d ^ arg;
    u64 done = 0, wrong = 0, seen = 0;
    while (done < g_work) {
        u64 n = g_work - done < g_batch ? g_work - done : g_batch;
        state = burn(n, state);
        done += n;
        store(g_slots[self].progress, done);
        u64 bit = cpu_bit(lstar::cpu_id());
        seen |= bit;
        if ((bit & g.affinity) == 0) ++wrong;
    }
    t.count = done;
    t.wrong_cpu = wrong;
    t.cpus_seen = seen;
    t.sink = state;
    snapshot(g, self);
    lstar::printf("stress: thread group=%c idx=%u tid=%ld prio=%u affinity=0x%lx count=%lu wrong_cpu=%lu cpus_seen=0x%lx\n",
                  g.name, t.index, lstar::thread_self(), g.priority, g.affinity, done, wrong, seen);
    lstar::thread_exit(done == g_work && wrong == 0 ? 0 : 1);
}

bool add_group(char name, u32 priority, u64 affinity, u32 count) {
    if (g_group_count == kMaxGroups || count > kMaxThreads - g_thread_count) {
        lstar::printf("stress: error too many threads (max %u)\n", kMaxThreads);
        return false;
    }
    Group& g = g_groups[g_group_count];
    g = Group{name, priority, affinity, g_thread_count, count, 0, -1, 0, 0};
    for (u32 i = 0; i < count; ++i) {
        Thread& t = g_threads[g_thread_count + i];
        t = Thread{g_group_count, i, -1, 0, 0, 0, 0};
    }
    g_thread_count += count;
    ++g_group_count;
    return true;
}

// Calibrates W for `ms` milliseconds of solo CPU time.
bool set_work(u64 ms) {
    u64 per_ms = calibrate();
    if (per_ms == 0) {
        lstar::printf("stress: error calibration failed: time_ns does not advance\n");
        return false;
    }
    g_work = per_ms * ms;
    if (g_work < kBatchesPerThread) g_work = kBatchesPerThread;
    g_batch = g_work / kBatchesPerThread;
    lstar::printf("stress: calibrated iterations_per_ms=%lu ms=%lu work=%lu batch=%lu\n", per_ms, ms, g_work,
                  g_batch);
    return true;
}

struct RunResult {
    bool ok;            // every thread created, joined and exited 0 with W done and no wrong CPU
    u32 threads;
    u64 wrong_cpu;
    u64 elapsed_ms;
};

// Starts every thread of every group, joins them all and prints their lines.
RunResult run_groups() {
    RunResult r{true, g_thread_count, 0, 0};
    u64 t0 = lstar::time_ns();
    for (u32 i = 0; i < g_thread_count; ++i) {
        Thread& t = g_threads[i];
        const Group& g = g_groups[t.group];
        t.tid = lstar::thread_create(worker, 0, i, g.priority, g.affinity);
        if (t.tid < 0) {
            lstar::printf("stress: error thread_create group=%c idx=%u result=%ld\n", g.name, t.index, t.tid);
            r.ok = false;
        }
    }
    for (u32 i = 0; i < g_thread_count; ++i) {
        Thread& t = g_threads[i];
        if (t.tid < 0) continue;
        i64 status = lstar::thread_join(static_cast<u64>(t.tid));
        if (status != 0) {
            lstar::printf("stress: error thread group=%c idx=%u tid=%ld status=%ld\n", g_groups[t.group].name,
                          t.index, t.tid, status);
            r.ok = false;
        }
    }
    r.elapsed_ms = (lstar::time_ns() - t0) / 1'000'000;
    for (u32 i = 0; i < g_thread_count; ++i) {
        const Thread& t = g_threads[i];
        if (t.tid < 0) continue;
        r.wrong_cpu += t.wrong_cpu;
        if (t.count != g_work || t.wrong_cpu != 0) r.ok = false;
    }
    for (u32 i = 0; i < g_group_count; ++i) {
        const Group& g = g_groups[i];
        // Group D only runs on CPUs the groups above leave free, one CPU at a
        // time as they finish, so its members start at different times: for
        // it only completion counts, not shares.
        bool shares_count = g.name != 'D';
        if (g.first_done == 0 || (shares_count && g.min_pct < g_min_pct_required)) r.ok = false;
    }
    return r;
}

// The value of `key=` in any argument word after the mode, the last one winning.
bool arg_u64(int argc, char** argv, const char* key, u64& out) {
    bool found = false;
    for (int i = 2; i < argc; ++i) {
        u64 v;
        if (lstar::arg_u64(argv[i], key, v)) {
            out = v;
            found = true;
        }
    }
    return found;
}

bool streq(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

int sched_mode(u64 ms) {
    u32 cpus = lstar::cpu_count();
    if (cpus == 0 || cpus > 64) {
        lstar::printf("stress: error cpu_count=%u\n", cpus);
        return 2;
    }
    u64 all = all_cpus(cpus);
    if (!add_group('A', 20, cpu_bit(cpus - 1), 2) || !add_group('B', 12, all, 2 * cpus) ||
        !add_group('D', 4, all, cpus))
        return 2;
    if (!set_work(ms)) return 1;
    RunResult r = run_groups();
    lstar::printf("stress: sched done threads=%u wrong_cpu=%lu min_pct_A=%u min_pct_B=%u min_pct_D=%u elapsed_ms=%lu\n",
                  r.threads, r.wrong_cpu, g_groups[0].min_pct, g_groups[1].min_pct, g_groups[2].min_pct,
                  r.elapsed_ms);
    return r.ok ? 0 : 1;
}

int work_mode(int argc, char** argv, u64 ms) {
    u32 cpus = lstar::cpu_count();
    if (cpus == 0 || cpus > 64) {
        lstar::printf("stress: error cpu_count=%u\n", cpus);
        return 2;
    }
    u64 threads = 2, prio = abi::kDefaultPriority, mask = all_cpus(cpus);
    arg_u64(argc, argv, "threads", threads);
    arg_u64(argc, argv, "prio", prio);
    arg_u64(argc, argv, "cpus", mask);
    if (threads == 0 || threads > kMaxThreads || prio > abi::kMaxPriority || (mask & all_cpus(cpus)) == 0) {
        lstar::printf("stress: error bad arguments threads=%lu prio=%lu cpus=0x%lx (cpu_count=%u)\n", threads, prio,
                      mask, cpus);
        return 2;
    }
    if (!add_group('W', static_cast<u32>(prio), mask, static_cast<u32>(threads))) return 2;
    if (!set_work(ms)) return 1;
    RunResult r = run_groups();
    lstar::printf("stress: work done threads=%u min_pct=%u elapsed_ms=%lu\n", r.threads, g_groups[0].min_pct,
                  r.elapsed_ms);
    return r.ok ? 0 : 1;
}

// pingpong: two threads of one priority pinned to one CPU hand it to each
// other with yield(); every round trip is two user-to-user switches, each
// one system call entry, a pass through the scheduler and a switch back to
// user mode. A benchmark, not a test: under `-icount` its ns are instructions.
constexpr u32 kPingPongPriority = 20;
volatile u64 g_pingpong_rounds = 0;

void pingpong_thread(u64 rounds) {
    for (u64 i = 0; i < rounds; ++i) lstar::yield();
    lstar::thread_exit(0);
}

int pingpong_mode(int argc, char** argv) {
    u64 rounds = 10000, cpu = 0;
    arg_u64(argc, argv, "rounds", rounds);
    arg_u64(argc, argv, "cpu", cpu);
    if (rounds == 0 || cpu >= lstar::cpu_count()) return 2;
    i64 tids[2];
    u64 t0 = lstar::time_ns();
    for (i64& tid : tids) tid = lstar::thread_create(pingpong_thread, 0, rounds, kPingPongPriority, cpu_bit(u32(cpu)));
    for (i64 tid : tids) {
        if (tid < 0 || lstar::thread_join(u64(tid)) != 0) return 1;
    }
    u64 ns = lstar::time_ns() - t0;
    lstar::printf("stress: pingpong rounds=%lu switches=%lu ns=%lu ns_per_switch=%lu cpu=%lu\n", rounds, 2 * rounds, ns,
                  ns / (2 * rounds), cpu);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "";
    u64 ms = kDefaultMs;
    arg_u64(argc, argv, "ms", ms);
    if (ms == 0) ms = 1;
    u64 fair = g_min_pct_required;
    arg_u64(argc, argv, "fair", fair);
    g_min_pct_required = fair > 100 ? 100 : u32(fair);
    // Above every worker, so that all of them exist before any runs on this
    // CPU, and the calibration is not shared with other tasks here.
    i64 r = lstar::set_priority(0, kMainPriority);
    if (r < 0) {
        lstar::printf("stress: error set_priority result=%ld\n", r);
        return 1;
    }
    if (streq(mode, "sched")) return sched_mode(ms);
    if (streq(mode, "work")) return work_mode(argc, argv, ms);
    if (streq(mode, "pingpong")) return pingpong_mode(argc, argv);
    if (streq(mode, "suite")) return suite_main(argc, argv);
    lstar::printf("stress: error usage: stress sched [ms=M] | stress work threads=N prio=P cpus=MASK [ms=M] | "
                  "stress suite seconds=S seed=X [workloads=ipc,sched,mem,caps,entry,victim]\n");
    return 2;
}
