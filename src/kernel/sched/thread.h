// Threads and the per-CPU scheduler built on RunQueue/SleepQueue (see
// docs/scheduler.md). There is no global scheduler lock: each CPU's run
// queue and sleep queue sit under that CPU's own lock, taken with interrupts
// off, and a thread's state changes only under the lock of the CPU it is on.
#pragma once

#include "kernel/arch.h"
#include "kernel/ipc/thread_ipc.h"
#include "kernel/sched/balance.h"
#include "kernel/sched/run_queue.h"
#include "kernel/sched/sleep_queue.h"
#include "kernel/sync/spinlock.h"
#include "lib/kstd/types.h"

namespace task {
struct Task;
}

namespace sched {

enum class ThreadState : u8 {
    kNew,      // created, never run
    kReady,    // in a run queue
    kRunning,  // some CPU's current thread
    kBlocked,  // waiting (a wait queue, a sleep, a join)
    kWaking,   // being moved from blocked to a run queue by a waker
    kDead,     // exited; its stack is freed once it has switched away
};
const char* state_name(ThreadState s);

struct Thread : Entity {
    arch::ThreadContext ctx{};
    u64 tid = 0;
    task::Task* task = nullptr;  // nullptr: a kernel thread
    char name[24] = {};
    volatile ThreadState state = ThreadState::kNew;
    bool idle = false;         // a CPU's idle thread (never queued)
    bool own_stack = false;    // the kernel stack was allocated for it (freed on reap)
    u64 kstack_bottom = 0;
    void (*kernel_fn)(void*) = nullptr;  // a kernel thread's function and argument
    void* kernel_arg = nullptr;
    u64 exit_code = 0;
    Thread* wait_next = nullptr;  // in a WaitQueue
    Thread* reap_next = nullptr;  // in the reaper's list
    ipc::ThreadIpc ipc;           // IPC state (kernel/ipc)

    // Statistics (reported when the thread exits).
    u64 ran_on = 0;       // bit n: ran on CPU n
    u64 switches = 0;     // times switched in
    u64 migrations = 0;   // times it started running on a CPU other than the last one
    u32 last_cpu = ~0u;   // where it last ran
    u64 runtime_ns = 0;
    u64 switched_in_ns = 0;
};

// A list of blocked threads, all woken by wake_all.
struct WaitQueue {
    ksync::SpinLock lock{"wait queue"};
    Thread* head = nullptr;
    Thread* tail = nullptr;
};

// Boot CPU: makes kernel_main's context a thread and creates this CPU's idle
// thread; installs the interrupt hooks. Before smp_init.
void init_boot();
bool started();

Thread* current();
// A kernel thread running fn(arg), ready on a CPU of `affinity`. nullptr if
// out of memory.
Thread* spawn_kernel(const char* name, void (*fn)(void*), void* arg, u8 priority, u64 affinity);
// Allocates a thread (stack, FPU area for user threads); not yet runnable.
Thread* create_thread(const char* name, task::Task* task, u8 priority, u64 affinity);
void destroy_thread(Thread* t);
// Makes a new thread runnable (placement as for a wake-up).
void start(Thread* t);
// Makes a new user thread runnable: it enters user mode at `entry` with RSP
// = user_sp, RDI = arg0, every other register 0 and RFLAGS = 0x202. compat:
// in 32-bit compatibility mode (the thread's task is a 32-bit one), with
// arg0 in EAX.
void start_user(Thread* t, u64 entry, u64 user_sp, u64 arg0, bool compat);
// Interrupts `t` soon: wakes it if blocked, or makes the CPU running it pass
// through the scheduler (used to make a task's threads notice a kill).
void kick(Thread* t);

void yield();
// Blocks the calling thread for at least `ns` nanoseconds.
void sleep_ns(u64 ns);
// Blocks on `q` until woken. Returns immediately if `ready()` already holds
// (checked under the queue's lock, so a wake-up cannot be missed).
void wait(WaitQueue& q, bool (*ready)(void*), void* arg);
void wake_all(WaitQueue& q);
// Sets *done (under the queue's lock, where wait() tests its condition) and
// wakes every waiter. A waiter that sees *done may free the object holding
// the queue at once: this touches the queue only before that can happen.
void wake_all_done(WaitQueue& q, volatile bool* done);
// The primitive under IPC's waits. `held` is a lock the caller took with
// interrupts off that guards what a waker checks; the thread is marked
// blocked before `held` is released, so a waker that takes `held` later and
// calls wake() cannot be missed. deadline (time_ns; 0: none) wakes it at
// the latest then. Returns, interrupts still off and `held` released, when
// woken; true if the deadline had passed by then.
bool block(ksync::SpinLock& held, u64 deadline);
// Blocks the calling thread as block() does and runs `next` at once,
// without the run queues: `next` must be blocked and last have run on this
// CPU (IPC's fast path). False, with nothing changed and `held` still
// held, if it cannot (then wake and block instead).
bool switch_to(Thread* next, ksync::SpinLock& held);
// Makes a blocked thread runnable; false if it was not blocked.
bool wake(Thread* t);

// Changes priority or affinity; a thread running or queued where it may no
// longer run is moved. False if the affinity has no online CPU.
void set_priority(Thread* t, u8 priority);
bool set_affinity(Thread* t, u64 affinity);

// Ends the calling thread; its kernel stack is freed by the reaper once it
// has switched away. The task (if any) is told through task::thread_exited.
[[noreturn]] void exit_current(u64 code);

// Boot self-tests (kernel threads on every CPU); true when all passed.
bool run_selftests();

// Scheduler statistics for reports.
struct CpuStats {
    u64 switches, idle_switches, steals, ticks;
    u64 direct_switches;  // switch_to(): IPC handing the CPU straight over
    u64 migrations;       // threads switched in here that last ran on another CPU
    u32 queued;
};
CpuStats cpu_stats(u32 cpu);
// One `lstar: sched-cpu` line per scheduling CPU (what runs, what waits),
// read without the run-queue locks: for failure reports.
void report_cpus();

}  // namespace sched
