// Each thread's IPC state, embedded in sched::Thread. See kernel/ipc/ipc.h
// for the locking rules and docs/ipc.md for the protocol.
#pragma once

#include "kernel/sync/spinlock.h"
#include "lib/abi/ipc.h"
#include "lib/kstd/types.h"

namespace sched {
struct Thread;
}

namespace ipc {

struct Endpoint;
struct Notification;
struct Reply;

// What a blocked thread waits for.
enum class Wait : u8 {
    kNone,
    kSend,    // queued on an endpoint with a message (send)
    kCall,    // queued on an endpoint with a call
    kReply,   // its call was received: waiting for the answer
    kRecv,    // queued on an endpoint for a message
    kNotify,  // queued on a notification (notify_wait)
};

// A message inside the kernel: staged in the sender's state while it is
// queued, and in the receiver's once delivered.
struct KMessage {
    u64 tag;
    u64 badge;
    u64 words[abi::kMaxWords];
    u64 caps[abi::kMaxCaps];  // sender: its slots; receiver: the slots they went to
};

struct ThreadIpc {
    // Guards every field below that a partner writes (wait, done, result,
    // msg while blocked). Taken after any endpoint or notification lock.
    ksync::SpinLock lock{"thread ipc"};
    Wait wait = Wait::kNone;
    bool done = false;  // a partner completed what the thread waited for
    i64 result = 0;     // then: 0, or -abi::Error (kCancelled...)
    // Queue links (an endpoint's senders or receivers, a notification's
    // waiters), under that object's lock.
    Endpoint* endpoint = nullptr;          // the endpoint whose queue holds it
    Notification* notification = nullptr;  // the notification whose queue holds it
    sched::Thread* next = nullptr;
    bool grant = false;  // a queued sender's capability had kRightGrant
    KMessage msg{};
    u64 buffer = 0;          // the registered abi::IpcBuffer (0: none)
    Reply* reply = nullptr;  // this thread's reply object: the right to answer its calls
    Reply* owed = nullptr;   // the call this thread received and has not answered
    u64 owed_seq = 0;
    Notification* bound = nullptr;  // bound notification (notify_bind)
};

}  // namespace ipc
