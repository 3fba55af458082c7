// What the files of kernel/ipc share among themselves.
#pragma once

#include "kernel/ipc/ipc.h"

namespace ipc {

// fast_call / fast_reply_recv: handled (not an abi::FastMiss).
constexpr u8 kHit = 0xFF;

// The derivation tree's lock (ipc.h, "Locking").
extern ksync::SpinLock g_cdt_lock;

// A reply right a receiver held and lost to a newer call: its caller is
// told (kCancelled) once no lock is held.
struct OwedReply {
    Reply* reply;
    u64 seq;
};
void drop(OwedReply owed);

// The operations behind the system calls; each returns 0 or -abi::Error.
// The current thread's message is staged in me->ipc.msg (stage_message)
// before a send, and read from it (finish_receive) after a receive.
// send and receive consume the caller's reference to ep.
i64 send(sched::Thread* me, Endpoint* ep, u64 badge, bool grant, bool call, u64 deadline, bool nonblocking);
i64 receive(sched::Thread* me, Endpoint* ep, u64 deadline, bool nonblocking);
i64 reply(sched::Thread* me, Reply* saved, u64 saved_seq);
void signal(Notification* n, u64 bits);
i64 wait_notification(sched::Thread* me, Notification* n, bool nonblocking);
i64 answer(sched::Thread* me, Reply* reply, u64 seq, sched::Thread** woken);
void cancel_reply(Reply* reply, u64 seq);
i64 await(sched::Thread* me, u64 deadline);
OwedReply deliver(sched::Thread* s, u64 badge, bool grant, bool call, sched::Thread* r);

// Copies `count` capabilities from slots `src` of task `from` into task
// `to` (each wanted[i], 0: any free slot), as children of the sender's;
// writes the slots used to `got` and returns how many went (the first
// failure ends the transfer).
u32 transfer_caps(task::Task* from, const u64* src, u32 count, task::Task* to, const u64* wanted, u64* got);

// The thread's reply object (made on its first call); false if out of memory.
bool ensure_reply(sched::Thread* t);
// Reads the current thread's outgoing message: the tag, words 0..3 from
// the registers (64-bit) and the rest, with the capability slots, from its
// IPC buffer. -abi::Error on a bad tag or buffer.
i64 stage_message(sched::Thread* me, const arch::SyscallRequest& io, u64 tag);
// Hands the received message to the current thread: registers (64-bit),
// the rest and the received capabilities' slots into its IPC buffer.
i64 finish_receive(sched::Thread* me, arch::SyscallRequest& io);
// The deadline a message's tag asks for: 0 none, else time_ns() + the
// buffer's timeout_ns; `nonblocking` when that timeout is 0.
i64 deadline_of(sched::Thread* me, u64 tag, u64& deadline, bool& nonblocking);

void endpoint_died(Endpoint* ep);
void notification_died(Notification* n);
void irq_unbind_notification(Notification* n);

u8 fast_call(sched::Thread* me, arch::SyscallRequest& io, i64& result);
u8 fast_reply_recv(sched::Thread* me, arch::SyscallRequest& io, i64& result);

}  // namespace ipc
