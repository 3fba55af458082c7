// Tasks: an address space, its threads and their resources. User programs
// are loaded from multiboot2 modules (ELF64, or ELF32 i386 for 32-bit tasks);
// see docs/tasks.md for the initial state a task starts in.
#pragma once

#include "kernel/arch.h"
#include "kernel/sched/thread.h"
#include "kernel/sync/spinlock.h"
#include "lib/kstd/types.h"
#include "lib/abi/ipc.h"
#include "lib/multiboot2.h"

namespace ipc {
struct CSpace;
}

namespace task {

constexpr u32 kMaxThreads = 128;  // threads a task may have at once

// Where vm_alloc starts: far above any 64-bit program, and for a 32-bit task
// at 1 GiB, between the program (linked at 4 MiB or 128 MiB) and its stack.
constexpr u64 kVmBase64 = 0x0000100000000000;
constexpr u64 kVmBase32 = 0x0000000040000000;

struct ThreadSlot {
    sched::Thread* thread;  // nullptr once reaped
    u64 tid;
    u64 code;
    bool used, exited, joined;
    bool joining;  // a thread_join is waiting for it: a second one gets kNotFound
};

struct Task {
    u64 id = 0;
    char name[32] = {};
    arch::UserSpace* space = nullptr;
    bool privileged = false;  // init: may use the temporary kernel calls
    bool compat = false;      // a 32-bit task: every thread runs in compatibility mode
    ksync::SpinLock lock{"task"};
    ThreadSlot slots[kMaxThreads] = {};
    u32 live = 0;             // threads that have not exited
    u32 unreaped = 0;         // threads whose kernel objects still exist
    volatile bool dying = false;
    u64 status = 0;           // exit status once every thread is gone
    volatile bool reaped = false;
    bool waited = false;      // a task_wait claimed it (under the task list lock)
    u64 vm_next = 0;          // vm_alloc's next address
    usize pages = 0;          // user pages mapped
    u64 trace_mask = 0;       // bit n: the tracer logs call n (kernel/trace/trace.h)
    u64 start_entry = 0, start_sp = 0;  // where the first thread starts (start_task)
    bool started = false;
    ipc::CSpace* cspace = nullptr;  // capability space (kernel/ipc)
    u8* io_bitmap = nullptr;  // 8 KiB I/O permission bitmap; nullptr: no ports
    u64 io_version = 1;       // bumped on every change of io_bitmap (io_owner_of)
    sched::WaitQueue joiners;      // thread_join
    sched::WaitQueue exit_waiters; // task_wait
    Task* next = nullptr;     // the task list
};

// Boot information for the module calls and the verdict for kSysShutdown.
void init(const mb2::Info& info, bool selftests_ok);
void set_boot_info(const mb2::Info& info);
// Boot module `index`, or nullptr past the end (or before init).
const mb2::Module* boot_module(u64 index);
// Loads module `index` as a task (listed, with its capability space, not
// yet running); nullptr with `error` set (an abi::Error) if it cannot.
// cmdline: the task's command line (argv; its first word is the task's
// name), or null for the module's own string.
Task* create_module(u64 index, i64& error, const char* cmdline = nullptr);
// Starts a created task's first thread; returns the task id, or
// -kInvalid if it was started already.
i64 start_task(Task* t, u32 priority, u64 affinity, bool privileged);
// The same in two steps, for callers that find the task under the task list
// lock: claim_start (-kInvalid if started or dying) under it, start_claimed
// after it is released. Making the thread allocates and maps a kernel stack,
// which may wait for a TLB shootdown: never with interrupts off. A claimed
// task has no thread, so nothing can reap and free it in between.
i64 claim_start(Task* t);
i64 start_claimed(Task* t, u32 priority, u64 affinity, bool privileged);
// Both: the task's first thread is ready to run.
Task* spawn_module(u64 index, u32 priority, u64 affinity, bool privileged, i64& error);

// Used by the scheduler.
inline arch::UserSpace* space_of(Task* t) { return t->space; }
inline const u8* io_bitmap_of(Task* t) { return t->io_bitmap; }
// Identifies a task's bitmap as it is now, for context_switch's "already
// loaded" check: changes when ioport_enable or a revoke changes the bitmap.
inline const void* io_owner_of(Task* t) {
    return t ? reinterpret_cast<const void*>(t->id << 24 | __atomic_load_n(&t->io_version, __ATOMIC_ACQUIRE))
             : nullptr;
}
inline bool must_exit(Task* t) { return t->dying; }
u64 kill_exit_code(Task* t);
void thread_exiting(sched::Thread* t);
void thread_reaped(sched::Thread* t);
void user_fault(const arch::UserFault& fault);
i64 syscall(arch::SyscallRequest& request);

// Ends every thread of `t`; the task's status becomes `status`.
void kill(Task* t, u64 status);

// Copies between kernel memory and the current task's user memory; false if
// any byte is not mapped user memory (writable for copy_to_user).
bool copy_from_user(Task* t, void* dst, u64 src, usize n);
bool copy_to_user(Task* t, u64 dst, const void* src, usize n);

// The task list: find by id (and take it off the list, for the one waiter
// that frees it).
Task* find_task(u64 id, bool unlink);
// For task_wait: the task, claimed for the caller (nullptr if there is no
// such task or another waiter has it). It stays on the list, so that ps and
// task capabilities still find it while it runs, until unclaim_task (the
// waiter gave up) or find_task(id, true) once it is reaped.
Task* claim_task(u64 id);
void unclaim_task(Task* t);
// Runs fn(task) with the task list locked (so the task cannot be freed
// meanwhile); -kNotFound if there is no such task.
i64 with_task_locked(u64 id, i64 (*fn)(Task*, void*), void* arg);
template <typename F>
i64 with_task(u64 id, F fn) {
    return with_task_locked(id, [](Task* t, void* f) { return (*static_cast<F*>(f))(t); }, &fn);
}
// Fills out[0..max) with the threads of every task; returns how many exist.
usize list_threads(abi::ThreadInfo* out, usize max);
void free_task(Task* t);
// Sets the trace mask of the listed task `id`; false if there is none.
bool exchange_trace_mask(u64 id, u64 mask, u64& previous);

}  // namespace task
