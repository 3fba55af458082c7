// The per-CPU scheduler: switching, blocking and waking, the timer tick,
// placement and load balancing. See thread.h for the locking rules and
// docs/scheduler.md for the whole picture.
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/sched/thread.h"
#include "kernel/task/task.h"
#include "lib/format.h"

namespace sched {
namespace {

constexpr u32 kSliceTicks = 1;    // 10 ms at the 100 Hz tick
constexpr u32 kBalanceTicks = 4;  // busy CPUs look for starving work every 40 ms
constexpr u32 kStealTries = 3;

struct alignas(64) Cpu {
    ksync::SpinLock lock{"run queue"};
    RunQueue rq;
    SleepQueue sleepers;
    Thread* current = nullptr;
    Thread* idle = nullptr;
    bool started = false;
    volatile bool need_resched = false;
    u32 slice_ticks = 0;
    // Snapshots other CPUs read without the lock (balancing, placement).
    u32 load = 0;
    int running_priority = kIdlePriority;
    int lowest_queued = -1;  // lowest priority level with a queued thread
    u64 enqueues = 0;        // rq.enqueues() at the last publish
    // Balancing, this CPU as the thief: victim n's enqueue count when a
    // steal from it last found nothing this CPU may take.
    u64 futile[kMaxCpus] = {};
    u64 futile_mask = 0;
    // Handed from schedule_locked() to finish_switch() across the switch.
    Thread* prev = nullptr;
    Thread* migrate = nullptr;
    CpuStats stats{};
};

Cpu g_cpu[kMaxCpus];
u64 g_next_tid = 1;
bool g_started = false;

// Dead threads wait here for the reaper thread, which frees their stacks
// (that needs TLB shootdowns, so interrupts must be on).
ksync::SpinLock g_reap_lock{"reap list"};
Thread* g_reap_head = nullptr;
WaitQueue g_reap_queue;
Thread* g_reaper = nullptr;

Cpu& this_cpu() { return g_cpu[arch::cpu_id()]; }

void publish(Cpu& c) {
    bool busy = c.current && !c.current->idle;
    __atomic_store_n(&c.load, cpu_load(busy, c.rq), __ATOMIC_RELAXED);
    __atomic_store_n(&c.running_priority, busy ? int(level_of(c.current)) : kIdlePriority, __ATOMIC_RELAXED);
    u32 levels = c.rq.bitmap();
    __atomic_store_n(&c.lowest_queued, levels ? __builtin_ctz(levels) : -1, __ATOMIC_RELAXED);
    c.stats.queued = c.rq.count();
    __atomic_store_n(&c.enqueues, c.rq.enqueues(), __ATOMIC_RELAXED);
}

// What placement and balancing decide on: each CPU's load, the CPUs that
// schedule (online and started) and those with starving threads.
struct Snapshot {
    u32 loads[kMaxCpus];
    u32 ncpus;  // highest scheduling CPU + 1
    u64 running;
    u64 starving;
};

void snapshot(Snapshot& s) {
    s.ncpus = 0;
    s.running = s.starving = 0;
    u64 online = arch::online_cpus();
    for (u32 i = 0; i < kMaxCpus; i++) {
        s.loads[i] = 0;
        if (!(online >> i & 1) || !g_cpu[i].started) continue;
        s.ncpus = i + 1;
        s.running |= u64(1) << i;
        s.loads[i] = __atomic_load_n(&g_cpu[i].load, __ATOMIC_RELAXED);
        // Starving: something queued there is below the running priority, so
        // it gets no time on that CPU until everything above it blocks (two
        // round-robin threads at the top keep the level below waiting too).
        int low = __atomic_load_n(&g_cpu[i].lowest_queued, __ATOMIC_RELAXED);
        int run = __atomic_load_n(&g_cpu[i].running_priority, __ATOMIC_RELAXED);
        if (low >= 0 && low < run) s.starving |= u64(1) << i;
    }
}

Thread* as_thread(Entity* e) { return static_cast<Thread*>(e); }

// Locks the run queue of the CPU `t` is on (interrupts must be off). A
// thread's cpu changes only under the lock of the queue it leaves or joins,
// so the value read before locking is checked again after.
Cpu& lock_cpu_of(Thread* t) {
    for (;;) {
        u32 cpu = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
        Cpu& c = g_cpu[cpu];
        c.lock.lock();
        if (t->cpu == cpu) return c;
        c.lock.unlock();
    }
}

void finish_switch();

// The bookkeeping of every switch on CPU `me` (its lock held): run times,
// migrations, the running state and the counters.
void account_switch(Cpu& c, u32 me, Thread* prev, Thread* next) {
    u64 now = arch::time_ns();
    prev->runtime_ns += now - prev->switched_in_ns;
    next->switched_in_ns = now;
    if (next->last_cpu != me && next->switches) {
        next->migrations++;
        c.stats.migrations++;
    }
    next->last_cpu = me;
    next->state = ThreadState::kRunning;
    next->cpu = me;
    next->ran_on |= u64(1) << me;
    next->switches++;
    c.current = next;
    c.stats.switches++;
}

// Switches away from the current thread. Called with this CPU's lock held
// and interrupts off; returns (in the same thread, when it runs again) with
// the lock released and interrupts still off.
void schedule_locked(Cpu& c) {
    u32 me = arch::cpu_id();
    Thread* prev = c.current;
    Thread* migrate = nullptr;
    if (prev->state == ThreadState::kRunning && !prev->idle) {
        if (!prev->allowed_on(me)) {
            prev->state = ThreadState::kWaking;  // placed elsewhere once off this stack
            migrate = prev;
        } else {
            prev->state = ThreadState::kReady;
            prev->cpu = me;
            // Cut short by a higher priority: resume before peers that had their turn.
            if (c.slice_ticks > 0) c.rq.enqueue_front(prev);
            else c.rq.enqueue(prev);
        }
    }
    Entity* e = c.rq.pop_highest();
    Thread* next = e ? as_thread(e) : c.idle;
    c.need_resched = false;
    c.slice_ticks = kSliceTicks;
    if (next == prev) {
        prev->state = ThreadState::kRunning;
        publish(c);
        c.lock.unlock();
        return;
    }
    account_switch(c, me, prev, next);
    if (next->idle) c.stats.idle_switches++;
    publish(c);
    c.prev = prev;
    c.migrate = migrate;

    task::Task* nt = next->task;
    if (!prev->task || !nt || task::space_of(prev->task) != task::space_of(nt))
        arch::uspace_activate(nt ? task::space_of(nt) : nullptr);
    arch::context_switch(prev->ctx, next->ctx, next, nt ? task::io_bitmap_of(nt) : nullptr, task::io_owner_of(nt));
    finish_switch();
}

void place(Thread* t);

// First thing after every switch, in the thread that now runs (which may be
// on another CPU than when it switched out).
void finish_switch() {
    Cpu& c = this_cpu();
    Thread* prev = c.prev;
    Thread* migrate = c.migrate;
    c.prev = nullptr;
    c.migrate = nullptr;
    // Decided under the lock: once it is released, a prev that blocked can
    // be woken on another CPU, run and exit there, and that CPU reaps it;
    // looking at its state afterwards reaped it twice (a double free).
    const bool dead = prev && prev->state == ThreadState::kDead;
    c.lock.unlock();
    if (migrate) place(migrate);
    if (dead) {
        {
            ksync::SpinGuard g(g_reap_lock);
            prev->reap_next = g_reap_head;
            g_reap_head = prev;
        }
        if (g_reaper) wake_all(g_reap_queue);
    }
}

void schedule_irqs_off() {
    Cpu& c = this_cpu();
    c.lock.lock();
    schedule_locked(c);
}

// Puts a thread that is in no queue (new, waking or migrating) on the run
// queue of the best CPU for it, and makes that CPU look.
void place(Thread* t) {
    Snapshot s;
    snapshot(s);
    u32 cpu = choose_cpu(s.loads, s.ncpus, s.running, t->affinity, t->cpu);
    if (cpu == kNoCpu) cpu = arch::cpu_id();  // set_affinity refuses masks without a CPU; stay alive anyway
    Cpu& c = g_cpu[cpu];
    bool kick;
    {
        ksync::IrqSpinGuard g(c.lock);
        t->cpu = cpu;
        t->state = ThreadState::kReady;
        c.rq.enqueue(t);
        int running = c.current && !c.current->idle ? int(level_of(c.current)) : kIdlePriority;
        kick = should_preempt(running, c.rq, false);
        if (kick) c.need_resched = true;
        publish(c);
    }
    if (kick && cpu != arch::cpu_id()) arch::send_reschedule(cpu);
}

// Load balancing: pulls one thread from a busier (or starving) CPU.
//
// Balancing is opportunistic, so a thief never waits for a victim's lock: a
// busy lock is skipped (idle CPUs pull on every tick and interrupt, and
// spinning on a remote run queue with interrupts off made whole machines
// crawl behind one contended lock). A victim whose queue held nothing this
// CPU may take (threads pinned there) is skipped until something new is
// queued on it.
void pull(Cpu& me_cpu, u32 me, bool idle) {
    Snapshot s;
    snapshot(s);
    u64 skip = 0;
    for (u64 m = me_cpu.futile_mask; m; m &= m - 1) {
        u32 v = u32(__builtin_ctzll(m));
        if (__atomic_load_n(&g_cpu[v].enqueues, __ATOMIC_RELAXED) == me_cpu.futile[v]) skip |= u64(1) << v;
        else me_cpu.futile_mask &= ~(u64(1) << v);
    }
    for (u32 tries = 0; tries < kStealTries; tries++) {
        u32 victim = choose_victim(s.loads, s.ncpus, s.running, me, s.starving, skip);
        if (victim == kNoCpu) return;
        skip |= u64(1) << victim;
        Cpu& v = g_cpu[victim];
        Thread* t = nullptr;
        {
            u64 flags = arch::irq_save();
            if (!v.lock.try_lock()) {
                arch::irq_restore(flags);
                continue;
            }
            int floor = idle ? 0 : __atomic_load_n(&me_cpu.running_priority, __ATOMIC_RELAXED);
            if (Entity* e = v.rq.steal_for(me, floor < 0 ? 0 : floor)) {
                t = as_thread(e);
                t->state = ThreadState::kWaking;
                publish(v);
            } else if (idle) {
                me_cpu.futile[victim] = v.rq.enqueues();
                me_cpu.futile_mask |= u64(1) << victim;
            }
            v.lock.unlock();
            arch::irq_restore(flags);
        }
        if (!t) continue;
        {
            ksync::IrqSpinGuard g(me_cpu.lock);
            t->cpu = me;
            t->state = ThreadState::kReady;
            me_cpu.rq.enqueue(t);
            int running = idle ? kIdlePriority : int(level_of(me_cpu.current));
            if (should_preempt(running, me_cpu.rq, false)) me_cpu.need_resched = true;
            me_cpu.stats.steals++;
            publish(me_cpu);
        }
        return;
    }
}

// --- hooks called from interrupt handling (interrupts off) ---

void on_tick() {
    u32 me = arch::cpu_id();
    Cpu& c = g_cpu[me];
    if (!c.started) return;
    c.stats.ticks++;
    bool idle;
    Thread* moved = nullptr;
    {
        c.lock.lock();
        u64 now = arch::time_ns();
        while (Entity* e = c.sleepers.pop_expired(now)) {
            Thread* t = as_thread(e);
            if (t->allowed_on(me)) {
                t->state = ThreadState::kReady;
                t->cpu = me;
                c.rq.enqueue(t);
            } else {
                // Its affinity changed while it slept: placed elsewhere below.
                t->state = ThreadState::kWaking;
                t->wait_next = moved;
                moved = t;
            }
        }
        Thread* cur = c.current;
        idle = cur->idle;
        bool expired = !idle && c.slice_ticks > 0 && --c.slice_ticks == 0;
        if (should_preempt(idle ? kIdlePriority : int(level_of(cur)), c.rq, expired)) c.need_resched = true;
        else if (expired) c.slice_ticks = kSliceTicks;  // nobody else at this level: run on
        publish(c);
        c.lock.unlock();
    }
    while (moved) {
        Thread* t = moved;
        moved = t->wait_next;
        t->wait_next = nullptr;
        place(t);
    }
    if (idle || c.stats.ticks % kBalanceTicks == 0) pull(c, me, idle);
}

void on_interrupt_exit(bool to_user) {
    Cpu& c = this_cpu();
    if (!c.started) return;
    if (!to_user) {
        // Kernel code is preempted only outside spinlocks.
        if (c.need_resched && arch::preempt_count() == 0) schedule_irqs_off();
        return;
    }
    for (;;) {
        if (this_cpu().need_resched) schedule_irqs_off();
        Thread* t = current();
        if (t->task && task::must_exit(t->task)) exit_current(task::kill_exit_code(t->task));
        if (!this_cpu().need_resched) return;
    }
}

void on_idle() {
    u32 me = arch::cpu_id();
    Cpu& c = g_cpu[me];
    if (!c.started) return;
    if (c.rq.empty() && !c.need_resched) pull(c, me, true);
    if (!c.rq.empty() || c.need_resched) schedule_irqs_off();
}

void on_cpu_start() {
    u32 me = arch::cpu_id();
    Cpu& c = g_cpu[me];
    Thread* idle = new Thread();
    if (!idle) panic("sched: no memory for cpu %u's idle thread", me);
    fmt::snprintf(idle->name, sizeof idle->name, "idle/%u", me);
    idle->idle = true;
    idle->affinity = u64(1) << me;
    idle->priority = 0;
    idle->cpu = me;
    idle->state = ThreadState::kRunning;
    idle->tid = __atomic_fetch_add(&g_next_tid, 1, __ATOMIC_RELAXED);
    idle->ran_on = u64(1) << me;
    arch::context_adopt_current(idle->ctx, 0, idle);
    c.idle = idle;
    c.current = idle;
    publish(c);
    __atomic_store_n(&c.started, true, __ATOMIC_RELEASE);
}

void idle_thread_main(void*) {
    finish_switch();
    arch::idle_forever();
}

void kernel_thread_start(void* arg) {
    finish_switch();
    arch::irq_enable();
    Thread* t = static_cast<Thread*>(arg);
    t->kernel_fn(t->kernel_arg);
    exit_current(0);
}

void user_thread_start(void* arg) {
    finish_switch();
    Thread* t = static_cast<Thread*>(arg);
    // Created just before its task was killed: never enter user mode.
    if (task::must_exit(t->task)) exit_current(task::kill_exit_code(t->task));
    arch::return_to_user(t->ctx);
}

bool reap_pending(void*) { return __atomic_load_n(&g_reap_head, __ATOMIC_ACQUIRE) != nullptr; }

void reaper_main(void*) {
    for (;;) {
        wait(g_reap_queue, reap_pending, nullptr);
        Thread* list;
        {
            ksync::IrqSpinGuard g(g_reap_lock);
            list = g_reap_head;
            g_reap_head = nullptr;
        }
        while (list) {
            Thread* t = list;
            list = t->reap_next;
            destroy_thread(t);
        }
    }
}

}  // namespace

const char* state_name(ThreadState s) {
    switch (s) {
    case ThreadState::kNew: return "new";
    case ThreadState::kReady: return "ready";
    case ThreadState::kRunning: return "running";
    case ThreadState::kBlocked: return "blocked";
    case ThreadState::kWaking: return "waking";
    case ThreadState::kDead: return "dead";
    }
    return "?";
}

bool started() { return g_started; }

// Not g_cpu[cpu_id()].current: a preemptible caller could move to another
// CPU between the two reads and get that CPU's thread (an idle thread, in
// the fuzzer's crash in the IPC fast path).
Thread* current() { return static_cast<Thread*>(arch::current_thread()); }

CpuStats cpu_stats(u32 cpu) { return g_cpu[cpu].stats; }

void report_cpus() {
    u64 online = arch::online_cpus();
    for (u32 i = 0; i < kMaxCpus; i++) {
        const Cpu& c = g_cpu[i];
        if (!(online >> i & 1) || !c.started) continue;
        const Thread* cur = __atomic_load_n(&c.current, __ATOMIC_ACQUIRE);
        klog::report("sched-cpu", "cpu=%u current=%s tid=%lu prio=%u queued=%u need_resched=%d ticks=%lu switches=%lu "
                     "lock_holder=%d",
                     i, cur ? cur->name : "none", cur ? cur->tid : 0, cur ? unsigned(cur->priority) : 0, c.rq.count(),
                     c.need_resched ? 1 : 0, c.stats.ticks, c.stats.switches, int(c.lock.owner_cpu()));
    }
}

Thread* create_thread(const char* name, task::Task* task, u8 priority, u64 affinity) {
    Thread* t = new Thread();
    if (!t) return nullptr;
    fmt::snprintf(t->name, sizeof t->name, "%s", name);
    t->task = task;
    t->priority = priority > kMaxPriority ? kMaxPriority : priority;
    t->affinity = affinity;
    t->tid = __atomic_fetch_add(&g_next_tid, 1, __ATOMIC_RELAXED);
    t->cpu = arch::cpu_id();
    u64 bottom, top;
    if (!arch::kstack_alloc(bottom, top)) {
        delete t;
        return nullptr;
    }
    t->own_stack = true;
    t->kstack_bottom = bottom;
    t->ctx.stack_top = top;
    if (task) {
        usize size = arch::fpu_area_size();
        usize alloc = 64;
        while (alloc < size) alloc <<= 1;  // heap objects are aligned to their power-of-two class
        t->ctx.fpu = new u8[alloc];
        if (!t->ctx.fpu) {
            destroy_thread(t);
            return nullptr;
        }
        arch::fpu_area_init(t->ctx.fpu);
    }
    return t;
}

void destroy_thread(Thread* t) {
    if (t->task) task::thread_reaped(t);
    if (t->own_stack) arch::kstack_free(t->kstack_bottom);
    delete[] static_cast<u8*>(t->ctx.fpu);
    delete t;
}

void start(Thread* t) { place(t); }

void start_user(Thread* t, u64 entry, u64 user_sp, u64 arg0, bool compat) {
    arch::context_set_user(t->ctx, entry, user_sp, arg0, compat);
    arch::context_init(t->ctx, user_thread_start, t);
    place(t);
}

void kick(Thread* t) {
    if (wake(t)) return;
    u32 cpu = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
    if (t->state == ThreadState::kRunning) {
        g_cpu[cpu].need_resched = true;
        if (cpu != arch::cpu_id()) arch::send_reschedule(cpu);
    }
}

Thread* spawn_kernel(const char* name, void (*fn)(void*), void* arg, u8 priority, u64 affinity) {
    Thread* t = create_thread(name, nullptr, priority, affinity);
    if (!t) return nullptr;
    t->kernel_fn = fn;
    t->kernel_arg = arg;
    arch::context_init(t->ctx, kernel_thread_start, t);
    start(t);
    return t;
}

void init_boot() {
    on_cpu_start();  // kernel_main's context becomes a thread of CPU 0...
    Cpu& c = g_cpu[0];
    Thread* main = c.idle;
    main->idle = false;
    fmt::snprintf(main->name, sizeof main->name, "kmain");
    main->priority = 24;
    // ...and CPU 0 gets a real idle thread of its own.
    Thread* idle = create_thread("idle/0", nullptr, 0, 1);
    if (!idle) panic("sched: no memory for cpu 0's idle thread");
    idle->idle = true;
    idle->state = ThreadState::kReady;
    arch::context_init(idle->ctx, idle_thread_main, nullptr);
    c.idle = idle;
    publish(c);
    arch::KernelHooks hooks{};
    hooks.tick = on_tick;
    hooks.interrupt_exit = on_interrupt_exit;
    hooks.idle = on_idle;
    hooks.cpu_start = on_cpu_start;
    hooks.user_fault = task::user_fault;
    hooks.syscall = task::syscall;
    arch::set_kernel_hooks(hooks);
    g_started = true;
    g_reaper = spawn_kernel("reaper", reaper_main, nullptr, kMaxPriority, ~0ull);
    if (!g_reaper) panic("sched: cannot start the reaper thread");
}

void yield() {
    u64 f = arch::irq_save();
    Cpu& c = this_cpu();
    c.lock.lock();
    c.slice_ticks = 0;  // to the tail of its level
    schedule_locked(c);
    arch::irq_restore(f);
}

void sleep_ns(u64 ns) {
    u64 f = arch::irq_save();
    Cpu& c = this_cpu();
    c.lock.lock();
    Thread* t = c.current;
    t->state = ThreadState::kBlocked;
    c.sleepers.insert(t, arch::time_ns() + ns);
    schedule_locked(c);
    arch::irq_restore(f);
}

void wait(WaitQueue& q, bool (*ready)(void*), void* arg) {
    u64 f = arch::irq_save();
    q.lock.lock();
    if (ready(arg)) {
        q.lock.unlock();
        arch::irq_restore(f);
        return;
    }
    Cpu& c = this_cpu();
    Thread* t = c.current;
    t->wait_next = nullptr;
    if (q.tail) q.tail->wait_next = t;
    else q.head = t;
    q.tail = t;
    c.lock.lock();
    t->state = ThreadState::kBlocked;
    q.lock.unlock();
    schedule_locked(c);
    // Woken by someone else than wake_all (a kill): leave the queue.
    q.lock.lock();
    Thread* prev = nullptr;
    for (Thread* w = q.head; w; prev = w, w = w->wait_next) {
        if (w != t) continue;
        if (prev) prev->wait_next = w->wait_next;
        else q.head = w->wait_next;
        if (q.tail == w) q.tail = prev;
        break;
    }
    q.lock.unlock();
    arch::irq_restore(f);
}

bool block(ksync::SpinLock& held, u64 deadline) {
    Cpu& c = this_cpu();
    Thread* t = c.current;
    c.lock.lock();
    // A kill sets `dying` before it kicks: either the kick's wake() finds
    // this thread blocked, or this check sees the flag.
    if (t->task && task::must_exit(t->task)) {
        c.lock.unlock();
        held.unlock();
        return false;
    }
    t->state = ThreadState::kBlocked;
    if (deadline) c.sleepers.insert(t, deadline);
    held.unlock();
    schedule_locked(c);
    return deadline && arch::time_ns() >= deadline;
}

bool switch_to(Thread* next, ksync::SpinLock& held) {
    u32 me = arch::cpu_id();
    Cpu& c = g_cpu[me];
    c.lock.lock();
    Thread* prev = c.current;
    if (next->state != ThreadState::kBlocked || next->cpu != me || !next->allowed_on(me) || c.need_resched ||
        (prev->task && task::must_exit(prev->task))) {
        c.lock.unlock();
        return false;
    }
    if (next->sleeping) c.sleepers.remove(next);
    prev->state = ThreadState::kBlocked;
    held.unlock();
    // As schedule_locked() does for a thread it pops, minus the queues.
    account_switch(c, me, prev, next);
    c.stats.direct_switches++;
    publish(c);
    c.prev = prev;
    c.migrate = nullptr;
    task::Task* nt = next->task;
    if (!prev->task || !nt || task::space_of(prev->task) != task::space_of(nt))
        arch::uspace_activate(nt ? task::space_of(nt) : nullptr);
    arch::context_switch(prev->ctx, next->ctx, next, nt ? task::io_bitmap_of(nt) : nullptr, task::io_owner_of(nt));
    finish_switch();
    return true;
}

void wake_all(WaitQueue& q) { wake_all_done(q, nullptr); }

void wake_all_done(WaitQueue& q, volatile bool* done) {
    Thread* list;
    {
        ksync::IrqSpinGuard g(q.lock);
        if (done) __atomic_store_n(done, true, __ATOMIC_RELEASE);
        list = q.head;
        q.head = q.tail = nullptr;
    }
    while (list) {
        Thread* t = list;
        list = t->wait_next;
        t->wait_next = nullptr;
        wake(t);
    }
}

bool wake(Thread* t) {
    u64 f = arch::irq_save();
    Cpu* c = &lock_cpu_of(t);
    if (t->state != ThreadState::kBlocked) {
        c->lock.unlock();
        arch::irq_restore(f);
        return false;
    }
    if (t->sleeping) c->sleepers.remove(t);
    t->state = ThreadState::kWaking;
    c->lock.unlock();
    place(t);
    arch::irq_restore(f);
    return true;
}

void set_priority(Thread* t, u8 priority) {
    if (priority > kMaxPriority) priority = kMaxPriority;
    u64 f = arch::irq_save();
    Cpu& c = lock_cpu_of(t);
    u32 cpu = t->cpu;
    bool queued = t->queued;
    if (queued) c.rq.remove(t);
    t->priority = priority;
    if (queued) c.rq.enqueue(t);
    Thread* cur = c.current;
    if (should_preempt(cur->idle ? kIdlePriority : int(level_of(cur)), c.rq, false)) c.need_resched = true;
    publish(c);
    bool kick = c.need_resched && cpu != arch::cpu_id();
    c.lock.unlock();
    if (kick) arch::send_reschedule(cpu);
    arch::irq_restore(f);
}

bool set_affinity(Thread* t, u64 affinity) {
    Snapshot s;
    snapshot(s);
    if ((affinity & s.running) == 0) return false;
    u64 f = arch::irq_save();
    Thread* move = nullptr;
    u32 kick_cpu = kNoCpu;
    Cpu& c = lock_cpu_of(t);
    u32 cpu = t->cpu;
    t->affinity = affinity;
    if (!t->allowed_on(cpu)) {
        if (t->queued) {
            c.rq.remove(t);
            t->state = ThreadState::kWaking;
            move = t;
            publish(c);
        } else if (t->state == ThreadState::kRunning) {
            // schedule_locked() moves it once it is off that CPU.
            c.need_resched = true;
            if (cpu != arch::cpu_id()) kick_cpu = cpu;
        }
    }
    c.lock.unlock();
    if (move) place(move);
    if (kick_cpu != kNoCpu) arch::send_reschedule(kick_cpu);
    arch::irq_restore(f);
    if (t == current() && !t->allowed_on(arch::cpu_id())) yield();
    return true;
}

void exit_current(u64 code) {
    Thread* t = current();
    t->exit_code = code;
    if (t->task) task::thread_exiting(t);
    arch::irq_save();
    Cpu& c = this_cpu();
    c.lock.lock();
    t->state = ThreadState::kDead;
    schedule_locked(c);
    panic("a dead thread was scheduled again");
}

}  // namespace sched
