// Scheduler churn: a controller keeps two short-lived threads per CPU alive
// (at most kMaxSlots, and kMaxChildren children at once: the kernel allows
// a task 128 threads and the other workloads need theirs),
// joining the oldest and starting a new one in its place, over and over.
// Each thread has a random affinity and priority and does a few random
// things: change its affinity, sleep, yield, start a child and join it, or
// wait on an endpoint until a timeout. After each one it checks that it
// runs on a CPU of its mask (wrong_cpu otherwise). Thread memory comes from
// a fixed pool, reused once a thread is joined.
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/stress/suite.h"

namespace stress {
namespace {

constexpr u32 kMaxSlots = 8;
constexpr u32 kMaxChildren = 3;
constexpr u32 kMaxActions = 6;

struct Slot {
    void* mem;        // the worker's block
    void* child_mem;  // its child's
    u64 ep;           // an endpoint nobody sends on: waits end in a timeout
    i64 tid;
    u64 serial;       // which worker this is (its random stream)
    u64 mask;         // the worker's current affinity
};

Workload* g_w;
Slot g_slots[kMaxSlots];
u32 g_slot_count;
u32 g_children;  // children alive
u64 g_created, g_exited, g_affinity_changes, g_wrong_cpu, g_errors, g_refused;
i64 g_first_error;

void error(i64 what) {
    bump(g_errors);
    i64 zero = 0;
    __atomic_compare_exchange_n(&g_first_error, &zero, what, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

u64 random_mask(Rng& rng) {
    const u64 m = rng.next() & all_cpus();
    return m ? m : cpu_bit(u32(rng.below(g_run.cpus)));
}

void check_cpu(u64 mask) {
    if ((cpu_bit(lstar::cpu_id()) & mask) == 0) bump(g_wrong_cpu);
}

void child(ThreadCtx& ctx) { check_cpu(ctx.arg); }

void worker(ThreadCtx& ctx) {
    Slot& s = g_slots[ctx.index];
    Rng rng = stream_rng(g_run.seed, 0x200000 + s.serial);
    check_cpu(s.mask);
    const u64 actions = 1 + rng.below(kMaxActions);
    for (u64 k = 0; k < actions && !stopping(); ++k) {
        switch (rng.below(5)) {
            case 0: {
                const u64 mask = random_mask(rng);
                const i64 r = lstar::set_affinity(0, mask);
                if (r == 0) {
                    s.mask = mask;
                    bump(g_affinity_changes);
                } else {
                    error(-100 + r);
                }
                break;
            }
            case 1: lstar::sleep_ns(rng.below(500'000)); break;
            case 2: lstar::yield(); break;
            case 3: {
                if (__atomic_add_fetch(&g_children, 1, __ATOMIC_ACQ_REL) > kMaxChildren) {
                    __atomic_sub_fetch(&g_children, 1, __ATOMIC_ACQ_REL);
                    lstar::yield();
                    break;
                }
                const u64 mask = random_mask(rng);
                const i64 t = spawn(*g_w, child, mask, ctx.index, kBusyPriority + u32(rng.below(2)), mask,
                                    s.child_mem, false);
                if (t == -abi::kNoMemory) {
                    bump(g_refused);  // the task's thread limit, as above
                } else if (t < 0) {
                    error(-200 + t);
                } else {
                    bump(g_created);
                    const i64 st = lstar::thread_join(u64(t));
                    if (st != 0) error(-300 + st);
                    bump(g_exited);
                }
                __atomic_sub_fetch(&g_children, 1, __ATOMIC_ACQ_REL);
                break;
            }
            default: {
                ctx.buf->timeout_ns = 100'000 + rng.below(900'000);
                const i64 r = ipc_raw(abi::kSysIpcRecv, s.ep, abi::kRecvTimeout, ctx.buf, nullptr, 0, nullptr,
                                      nullptr, nullptr);
                if (r != -abi::kTimeout) error(-400 + r);
                break;
            }
        }
        check_cpu(s.mask);
    }
}

void start_worker(u32 i, u64 serial) {
    Slot& s = g_slots[i];
    Rng rng = stream_rng(g_run.seed, 0x100000 + serial);
    s.serial = serial;
    s.mask = random_mask(rng);
    s.tid = spawn(*g_w, worker, 0, i, kBusyPriority + u32(rng.below(2)), s.mask, s.mem, false);
    // A task holds at most 128 threads (docs/tasks.md); with every workload on
    // 8 CPUs the churn can meet that limit while exited threads wait to be
    // joined: kNoMemory then is the kernel's right answer, not a fault.
    if (s.tid == -abi::kNoMemory) bump(g_refused);
    else if (s.tid < 0) error(-500 + s.tid);
    else bump(g_created);
}

void join_worker(u32 i) {
    Slot& s = g_slots[i];
    if (s.tid < 0) return;
    const i64 st = lstar::thread_join(u64(s.tid));
    if (st != 0) error(-600 + st);
    bump(g_exited);
    s.tid = -1;
}

void controller(ThreadCtx&) {
    u64 serial = 0;
    for (u32 i = 0; i < g_slot_count; ++i) start_worker(i, serial++);
    for (u32 i = 0; !stopping(); i = (i + 1) % g_slot_count) {
        join_worker(i);
        if (!stopping()) start_worker(i, serial++);
    }
    for (u32 i = 0; i < g_slot_count; ++i) join_worker(i);
}

}  // namespace

bool sched_start(Workload& w) {
    g_w = &w;
    g_slot_count = 2 * g_run.cpus < kMaxSlots ? 2 * g_run.cpus : kMaxSlots;
    for (u32 i = 0; i < g_slot_count; ++i) {
        Slot& s = g_slots[i];
        s.mem = lstar::vm_alloc(kThreadBytes);
        s.child_mem = lstar::vm_alloc(kThreadBytes);
        const i64 ep = lstar::sys::endpoint_create(0);
        if (!s.mem || !s.child_mem || ep < 0) return false;
        s.ep = u64(ep);
        s.tid = -1;
    }
    return spawn(w, controller, 0, 0, kWakerPriority, all_cpus()) >= 0;
}

void sched_stop(u64) {}

void sched_report(bool stuck) {
    lstar::printf("stress: sched created=%lu exited=%lu affinity_changes=%lu wrong_cpu=%lu refused=%lu\n", g_created,
                  g_exited, g_affinity_changes, g_wrong_cpu, g_refused);
    if (g_wrong_cpu) fail("sched wrong_cpu=%lu", g_wrong_cpu);
    if (g_errors) fail("sched errors=%lu first=%ld", g_errors, g_first_error);
    if (g_created == 0 || g_affinity_changes == 0) fail("sched no progress");
    if (!stuck && g_created != g_exited) fail("sched created=%lu exited=%lu", g_created, g_exited);
}

}  // namespace stress
