// Boot self-tests of the scheduler with kernel threads: preemption of
// kernel code (two threads that never yield share each CPU), affinity, and
// sleeping with a deadline.
#include "kernel/log.h"
#include "kernel/sched/thread.h"
#include "kernel/selftest.h"

namespace sched {
namespace {

constexpr u32 kPerCpu = 2;
constexpr u64 kRunNs = 100 * 1000000ull;
// On a loaded host an emulated CPU's thread can be descheduled for seconds
// while the TSC (host time) runs on: wait up to this long for every spinner
// to have run (and to have stopped), ending as soon as all have. A real hang
// is still caught, by the boot's timeout.
constexpr u64 kRunLimitNs = 30000 * 1000000ull;
constexpr u64 kSleepNs = 30 * 1000000ull;

struct Spinner {
    volatile u64 count;
    volatile bool done;
    u64 ran_on;
    u32 wrong_cpu;
    u32 cpu;
};

volatile bool g_stop = false;

void spin(void* p) {
    auto* s = static_cast<Spinner*>(p);
    while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
        s->count = s->count + 1;
        if (arch::cpu_id() != s->cpu) s->wrong_cpu++;
    }
    s->ran_on = current()->ran_on;
    __atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
}

}  // namespace

bool run_selftests() {
    bool ok = true;
    // Sleep: wakes no earlier than asked, and not absurdly late.
    u64 t0 = arch::time_ns();
    sleep_ns(kSleepNs);
    u64 slept = arch::time_ns() - t0;
    klog::report("selftest", "sched-sleep asked_us=%lu slept_us=%lu", kSleepNs / 1000, slept / 1000);
    ok &= selftest::tap(slept >= kSleepNs && slept < kSleepNs + kRunLimitNs, "sleep %lu us returns after %lu us",
                        kSleepNs / 1000, slept / 1000);

    u64 online = arch::online_cpus();
    u32 stacks_before = arch::kstacks_in_use();
    Spinner* spinners = new Spinner[64 * kPerCpu]();
    u32 n = 0;
    g_stop = false;
    for (u32 cpu = 0; cpu < 64; cpu++) {
        if (!(online >> cpu & 1)) continue;
        for (u32 k = 0; k < kPerCpu; k++) {
            Spinner& s = spinners[n++];
            s.cpu = cpu;
            if (!spawn_kernel("spinner", spin, &s, 20, u64(1) << cpu)) {
                s.done = true;
                ok &= selftest::tap(false, "start spinner on cpu %u", cpu);
            }
        }
    }
    sleep_ns(kRunNs);
    u64 limit = arch::time_ns() + kRunLimitNs;
    for (;;) {
        bool all = true;
        for (u32 i = 0; i < n; i++) all &= spinners[i].count > 0 || spinners[i].done;
        if (all || arch::time_ns() > limit) break;
        sleep_ns(10000000);
    }
    __atomic_store_n(&g_stop, true, __ATOMIC_RELEASE);
    // A spinner that has never run cannot see g_stop either: wait a bounded
    // time, so that such a CPU is reported below instead of hanging the boot.
    u64 stop_limit = arch::time_ns() + kRunLimitNs;
    bool all_done = false;
    for (;;) {
        // Checked after the deadline too: the sleep that passed it may have
        // been long, and the spinners may have finished meanwhile.
        bool late = arch::time_ns() >= stop_limit;
        all_done = true;
        for (u32 i = 0; i < n; i++) all_done &= __atomic_load_n(&spinners[i].done, __ATOMIC_ACQUIRE);
        if (all_done || late) break;
        sleep_ns(1000000);
    }
    bool all_ran = true, pinned = true;
    for (u32 i = 0; i < n; i++) {
        const Spinner& s = spinners[i];
        klog::report("selftest", "sched-spinner cpu=%u count=%lu ran_on=0x%lx wrong_cpu=%u done=%u", s.cpu, s.count,
                     s.ran_on, s.wrong_cpu, s.done);
        all_ran &= s.count > 0;
        pinned &= s.ran_on == (u64(1) << s.cpu) && s.wrong_cpu == 0;
    }
    ok &= selftest::tap(all_ran, "%u kernel threads that never yield all ran (%u per cpu, preempted)", n, kPerCpu);
    ok &= selftest::tap(pinned, "pinned kernel threads ran only on their cpu");
    ok &= selftest::tap(all_done, "every spinner stopped when told");
    if (!all_done) report_cpus();
    if (all_done) delete[] spinners;  // else a late spinner still writes to its Spinner: leak them
    // The reaper frees their stacks (with TLB shootdowns); wait for it, so
    // that no shootdown is still in flight when later tests start.
    u64 deadline = arch::time_ns() + kRunLimitNs;
    while (arch::kstacks_in_use() != stacks_before && arch::time_ns() < deadline) sleep_ns(1000000);
    u32 stacks_after = arch::kstacks_in_use();
    klog::report("selftest", "sched-reap kstacks_before=%u kstacks_after=%u threads=%u", stacks_before, stacks_after, n);
    ok &= selftest::tap(stacks_after == stacks_before, "the %u exited threads' kernel stacks were freed (%u in use, %u before)",
                        n, stacks_after, stacks_before);
    return ok;
}

}  // namespace sched
