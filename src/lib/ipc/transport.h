// ipc::Transport: every kernel operation the IPC library needs, behind one
// interface. User programs get the kernel's (kernel_transport.cpp: the
// system calls of lib/abi/syscalls.def, 21..39); host tests install the
// in-process fake (fake_transport.h) with set_transport(), and then run the
// very same server and client code in host threads.
//
// Results follow the system calls: 0 (or a slot number, for the calls that
// fill one) on success, -abi::Error on failure. Slots are indices into the
// calling task's capability space (abi::kCapSlots of them, 0 never holds a
// capability; a destination 0 means the lowest free slot).
#pragma once

#include "lib/abi/ipc.h"
#include "lib/ipc/message.h"
#include "lib/kstd/types.h"

namespace ipc {

class Transport {
public:
    // --- Messages (lib/abi/ipc.h) ----------------------------------------
    // Each takes what to send in msg (label, words, caps, timeout) and, if
    // it receives, leaves the message received there (badge, label, words,
    // and in cap(i) the slots the received capabilities went to, as
    // msg.receive_cap_into() asked).

    // Sends msg on endpoint (send right), waiting for a receiver.
    virtual i64 send(u64 endpoint, Message& msg) = 0;
    // Receives the next message on endpoint (receive right), or a signal of
    // the thread's bound notification (label abi::kLabelNotification, the
    // bits in badge()). flags: abi::kRecvNonBlocking (-kWouldBlock if none).
    virtual i64 recv(u64 endpoint, Message& msg, u32 flags = 0) = 0;
    // Sends msg and waits for the answer, which replaces it.
    virtual i64 call(u64 endpoint, Message& msg) = 0;
    // Answers the last call this thread received (reply_cap 0) or the one
    // saved in reply_cap by reply_save(). -kNotFound if there is none,
    // -kCancelled if the caller is gone.
    virtual i64 reply(Message& msg, u64 reply_cap = 0) = 0;
    // Answers the last call received with msg (if there is one and its
    // caller still waits), then receives the next message on endpoint into
    // msg: the server's loop in one kernel entry. The result is the
    // receive's.
    virtual i64 reply_recv(u64 endpoint, Message& msg) = 0;
    // Moves the right to answer the last call received into slot dst, to
    // answer later with reply(msg, slot). Returns the slot.
    virtual i64 reply_save(u64 dst) = 0;

    // --- Objects and capabilities ----------------------------------------
    virtual i64 endpoint_create(u64 dst) = 0;
    virtual i64 notification_create(u64 dst) = 0;
    virtual i64 cap_copy(u64 src, u64 dst, u32 rights) = 0;
    virtual i64 cap_mint(u64 src, u64 dst, u32 rights, u64 badge) = 0;
    virtual i64 cap_delete(u64 slot) = 0;
    virtual i64 cap_info(u64 slot, abi::CapInfo& info) = 0;

    // --- Notifications ---------------------------------------------------
    // ORs bits (and the capability's badge) into the notification.
    virtual i64 notify_signal(u64 notification, u64 bits) = 0;
    // Waits for bits, returns them in `bits` and clears them (bit 63 is
    // never reported). flags: abi::kRecvNonBlocking.
    virtual i64 notify_wait(u64 notification, u32 flags, u64& bits) = 0;
    // Binds a notification to the calling thread (0: unbinds): recv() then
    // also returns its signals.
    virtual i64 notify_bind(u64 notification) = 0;

    // --- Threads ---------------------------------------------------------
    // Prepares the calling thread for IPC (the kernel transport registers an
    // IPC buffer for it). See ipc::thread_init().
    virtual i64 thread_init() = 0;
    // The calling thread is done with IPC (ipc::thread_fini()).
    virtual i64 thread_fini() = 0;

protected:
    // Transports live as long as the program; nothing deletes one through
    // this interface, so there is no virtual destructor to pull in delete.
    ~Transport() = default;
};

// The transport the library uses: the kernel's in user programs unless
// another was set; in host tests, the one the test set.
Transport& transport();
// Installs t as the transport (nullptr: back to the default).
void set_transport(Transport* t);

// Prepares the calling thread for IPC. The kernel transport gives each
// thread an IPC buffer (the kernel reads and writes message words 4.. and
// capability slots there): the main thread gets one on its first IPC;
// every other thread must call this before its first receive (a send of a
// long message also registers one, lazily). 0 or -abi::Error.
inline i64 thread_init() { return transport().thread_init(); }
// Before a thread that called thread_init() exits: unregisters its buffer,
// which a later thread_init() of another thread then reuses (there is no
// vm_free). 0 or -abi::Error.
inline i64 thread_fini() { return transport().thread_fini(); }

// Deletes the capabilities a received message brought (its cap(i) slots),
// for a server that did not want them: a client cannot fill a server's
// capability space by sending capabilities it does not ask for.
void drop_received_caps(const Message& msg);

}  // namespace ipc
