// IPC and capabilities in the kernel: the objects capabilities name, each
// task's capability space, and the operations the system calls and the
// rest of the kernel use. docs/ipc.md describes the model.
//
// Locking. There is no global IPC lock:
//  - each endpoint and notification has its own lock, guarding its queues;
//  - each thread's ThreadIpc.lock guards what partners write into it, and
//    is taken after an object's lock (endpoint -> thread);
//  - each capability space has a lock guarding its slots' contents, which
//    IPC lookups take alone;
//  - changes of the derivation tree (copy, mint, move, delete, revoke,
//    capability transfer) take g_cdt_lock, then space locks; a transfer
//    inside a rendezvous takes them last.
//  Order: task list -> notification -> endpoint -> reply -> thread ipc ->
//  cdt -> space. Interrupts are off under all but the last two.
// Objects are reference counted (cap::Object::refs: slots and temporary
// users); a thread waiting in an endpoint's or notification's queue keeps
// the object's memory alive through `waiters`, so an object whose last
// capability goes cancels its waiters and is freed once they have left.
#pragma once

#include "kernel/sched/thread.h"
#include "kernel/sync/spinlock.h"
#include "lib/abi/ipc.h"
#include "lib/cap/cap_table.h"

namespace task {
struct Task;
}

namespace ipc {

struct Endpoint : cap::Object {
    ksync::SpinLock lock{"endpoint"};
    sched::Thread* senders = nullptr;  // FIFO of Wait::kSend / kCall threads
    sched::Thread* senders_tail = nullptr;
    sched::Thread* receivers = nullptr;  // FIFO of Wait::kRecv threads
    sched::Thread* receivers_tail = nullptr;
    u32 waiters = 0;  // threads that queued here and have not yet left
    bool dead = false;
    u64 id = 0;
};

struct Notification : cap::Object {
    ksync::SpinLock lock{"notification"};
    u64 bits = 0;
    sched::Thread* waiters_head = nullptr;  // Wait::kNotify threads
    sched::Thread* waiters_tail = nullptr;
    u32 waiters = 0;
    sched::Thread* bound = nullptr;  // the thread that receives its signals with ipc_recv
    bool dead = false;
    u64 id = 0;
};

// The right to answer one call: a thread's calls all go through its one
// Reply; `seq` numbers the calls, so a stale right (the call timed out or
// was answered) is refused.
struct Reply : cap::Object {
    ksync::SpinLock lock{"reply"};
    sched::Thread* caller = nullptr;  // nullptr once the thread is gone
    u64 seq = 0;
    bool grant = false;  // the call came through a capability with kRightGrant
    u64 id = 0;
};

// A task or thread named by a capability: by id, looked up on use, so the
// capability never keeps a dead task's memory.
struct TaskRef : cap::Object {
    u64 task_id = 0;
};

// The single object behind every irq and ioports capability: the range
// lives in the capability.
struct Hardware : cap::Object {};

// A region of physical frames (mem_create); mapped with mem_map.
struct Memory : cap::Object {
    u64 bytes = 0;
    u64 pages = 0;
    u64* frames = nullptr;  // physical addresses
    u64 id = 0;
};

// Each task's capability space.
struct CSpace {
    task::Task* owner_task = nullptr;
    ksync::SpinLock lock{"cspace"};
    cap::Slot slots[abi::kCapSlots];
    cap::Space space{slots, abi::kCapSlots};
};

// --- Set-up and life cycle (task/, sched/) ---
void init(const char* cmdline);  // ipc_fastpath=off on the command line
void init_caps();
CSpace* cspace_create(task::Task* t);
// Empties a dead task's space (its saved reply rights cancel their callers)
// and frees it.
void cspace_destroy(task::Task* t);
// init's capabilities at start: all I/O ports and interrupt lines.
void give_root_caps(task::Task* t);
// A thread is exiting: callers waiting on its answer get kCancelled, its
// reply right dies, its bound notification is unbound.
void thread_exiting(sched::Thread* t);
// An interrupt line bound with irq_bind fired (interrupts off).
void irq_fire(u32 line);

// --- Used by the system calls (kernel/ipc/syscalls.cpp) ---
// Takes a temporary reference to the object in slot `index` of the caller's
// space, of `type` with `rights`; nullptr and `error` (an abi::Error) if
// none. The slot's badge, rights and range are copied out.
cap::Object* lookup(task::Task* t, u64 index, u8 type, u32 rights, i64& error, cap::Slot* copy = nullptr);
void put(cap::Object* o);  // drops a temporary reference

// The fast path for ipc_call and ipc_reply_recv: true if it handled the call
// (result in `result`, message registers in the request); otherwise it has
// counted why not and the general handler runs.
bool fastpath(arch::SyscallRequest& io, i64& result);

// Statistics of CPU `cpu`.
void stats(u32 cpu, abi::IpcStats& out);

}  // namespace ipc
