// ipc::fake::World: an in-process stand-in for the kernel's IPC, for host
// tests only. It implements ipc::Transport with real blocking between host
// threads, so a server and its clients run unchanged in one test process:
//
//     ipc::fake::World world;            // installs itself as ipc::transport()
//     auto* server = world.create_task("hello");
//     auto* client = world.create_task("client");
//     world.create_endpoint(server, ipc::proto::kSlotEndpoint);
//     world.give(server, ipc::proto::kSlotEndpoint, client, 5, abi::kRightSend, 7);
//     std::thread t = world.spawn(server, [] { ipc::serve(...); });
//     { ipc::fake::World::Scope as(world, client); ipc::transport().call(5, msg); }
//     world.kill(server);                // serve returns -kCancelled
//     t.join();
//
// What it models, as the kernel does it (lib/abi/ipc.h, kernel/ipc/):
// - tasks with abi::kCapSlots capability slots each (slot 0 never used; a
//   destination 0 is the lowest free slot); endpoints, notifications and
//   saved reply rights are objects shared by the capabilities to them, and
//   an object dies with its last capability;
// - send/call queue in order until a receiver takes them; a receiver waits
//   for a sender; the receiver gets the sending capability's badge; a call
//   waits for the reply from the thread that took it (or from the slot the
//   right was saved in, reply_save); taking a new call drops the right to
//   answer an earlier one that was not answered (its caller: -kCancelled);
// - capability transfer: sending capabilities takes the grant right on the
//   endpoint (else -kNoRights); they are copied into the receiver's space at
//   its receive slots (or the lowest free ones), and cap(i) tells where; a
//   capability that cannot be placed is not delivered (the count says what
//   was). A reply carries capabilities if the call came through a
//   capability with the grant right, else they are left out (the names
//   lookup relies on this);
// - timeouts (Message::set_timeout) bound the whole call, send or receive
//   (-kTimeout); timeout 0, like abi::kRecvNonBlocking, takes only a
//   partner already waiting (else -kWouldBlock);
// - death: kill(task) or the end of a thread's Scope cancels what its
//   threads wait for and the calls they were to answer (-kCancelled);
//   kill also empties the task's slots. An endpoint or notification that
//   dies cancels everyone waiting on it. Callers queued on an endpoint
//   whose server died stay queued (a restarted server given the same
//   endpoint would serve them): give them a timeout;
// - notifications: signal ORs bits and the capability's badge; wait takes
//   and clears them (bit 63 dropped, as the kernel returns them in RAX); a
//   bound notification's signals reach its thread's receive as label
//   abi::kLabelNotification with the bits as badge; binding a notification
//   bound to another thread is -kExists.
// Errors: kBadSlot (slot out of range or empty), kWrongType, kNoRights,
// kNoSlot (destination taken or space full), kInvalid (mint of a badged
// capability, badge 0, copying a reply right), kNotFound (reply or
// reply_save without a call to answer), kCancelled (the partner is gone,
// or the calling thread's task was killed).
// Every operation is serialised by one lock: this is about semantics, not
// speed.
#pragma once

#include <functional>
#include <memory>
#include <thread>

#include "lib/ipc/transport.h"

namespace ipc::fake {

class Task;
struct ThreadState;

class World final : public Transport {
public:
    // Installs itself as ipc::transport(); the destructor puts back the
    // default. Every thread it runs must be joined before it goes.
    World();
    ~World();
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    // --- What init and the kernel would do --------------------------------
    // A new task with an empty capability space. It lives as long as the
    // world.
    Task* create_task(const char* name);
    // A new endpoint (notification) with every right in task's slot dst (0:
    // the lowest free). Returns the slot, or -abi::Error.
    i64 create_endpoint(Task* task, u64 dst = 0);
    i64 create_notification(Task* task, u64 dst = 0);
    // task_give: copies (badge 0) or mints (badge != 0) the capability in
    // from's slot src into to's slot dst, with rights & src's. Returns the
    // slot, or -abi::Error.
    i64 give(Task* from, u64 src, Task* to, u64 dst, u32 rights, u64 badge = 0);
    // Kills the task: its threads' waits end with -kCancelled (and every
    // later operation of theirs fails so), its slots are emptied.
    void kill(Task* task);
    bool alive(const Task* task) const;
    // A slot of any task, as cap_info reports it; -kBadSlot if empty.
    i64 inspect(const Task* task, u64 slot, abi::CapInfo& info) const;
    // Slots in use.
    u32 caps_held(const Task* task) const;
    // Threads waiting on the endpoint in task's slot: queued to send or
    // call (senders), and receiving (receivers); for tests that must know a
    // thread is blocked before acting.
    u32 waiting_senders(const Task* task, u64 slot) const;
    u32 waiting_receivers(const Task* task, u64 slot) const;

    // --- Threads ---------------------------------------------------------
    // While a Scope lives, the host thread that made it is a thread of
    // task: ipc::transport() operations act as that thread. When it ends,
    // a call the thread received and did not answer is cancelled.
    class Scope {
    public:
        Scope(World& world, Task* task);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        World& world_;
        ThreadState* thread_;
        ThreadState* outer_;
    };
    // A host thread running body() as a thread of task.
    std::thread spawn(Task* task, std::function<void()> body);

    // --- ipc::Transport, for the calling thread's task -------------------
    // A host thread in no Scope of this world gets -kPermission.
    i64 send(u64 endpoint, Message& msg) override;
    i64 recv(u64 endpoint, Message& msg, u32 flags = 0) override;
    i64 call(u64 endpoint, Message& msg) override;
    i64 reply(Message& msg, u64 reply_cap = 0) override;
    i64 reply_recv(u64 endpoint, Message& msg) override;
    i64 reply_save(u64 dst) override;
    i64 endpoint_create(u64 dst) override;
    i64 notification_create(u64 dst) override;
    i64 cap_copy(u64 src, u64 dst, u32 rights) override;
    i64 cap_mint(u64 src, u64 dst, u32 rights, u64 badge) override;
    i64 cap_delete(u64 slot) override;
    i64 cap_info(u64 slot, abi::CapInfo& info) override;
    i64 notify_signal(u64 notification, u64 bits) override;
    i64 notify_wait(u64 notification, u32 flags, u64& bits) override;
    i64 notify_bind(u64 notification) override;
    i64 thread_init() override;
    i64 thread_fini() override;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace ipc::fake
