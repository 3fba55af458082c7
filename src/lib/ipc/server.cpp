// ipc::serve (server.h).
#include "lib/ipc/server.h"

#include "lib/ipc/transport.h"

namespace ipc {
namespace {

// Consecutive receive errors serve rides out before it gives up: a fault
// that repeats on every receive would otherwise spin forever.
constexpr u32 kMaxRetries = 8;

// Errors after which receiving on the endpoint cannot work again.
bool fatal(i64 error) {
    switch (-error) {
    case abi::kCancelled:
    case abi::kBadSlot:
    case abi::kWrongType:
    case abi::kNoRights:
        return true;
    default:
        return false;
    }
}

// After a failed reply_recv: the kernel may have refused the answer itself
// (a bad tag, a fault reading the IPC buffer) before receiving. The caller
// then still waits, so it gets the error as the answer's status; if the
// answer did go, this finds no call to answer and does nothing.
void answer_failure(Transport& t, i64 error) {
    Message status;
    status.reply_error(static_cast<abi::Error>(-error));
    t.reply(status);
}

}  // namespace

i64 serve(u64 endpoint, Handler handler, NotificationHandler on_notification) {
    Transport& t = transport();
    Message msg;
    i64 r = t.recv(endpoint, msg);
    bool answering = false;  // r is reply_recv's
    u32 errors = 0;
    for (;;) {
        if (r < 0) {
            if (fatal(r) || ++errors > kMaxRetries) return r;
            if (answering) answer_failure(t, r);
            answering = false;
            msg.clear_receive_slots();
            r = t.recv(endpoint, msg);
            continue;
        }
        errors = 0;
        if (msg.is_notification()) {
            if (on_notification) on_notification(msg.badge());
            answering = false;
            r = t.recv(endpoint, msg);
            continue;
        }
        const Action action = handler(msg);
        // Received capabilities go to free slots unless a handler asks.
        msg.clear_receive_slots();
        answering = action == Action::kReply;
        switch (action) {
        case Action::kReply:
            r = t.reply_recv(endpoint, msg);
            break;
        case Action::kNoReply:
            r = t.recv(endpoint, msg);
            break;
        case Action::kStop:
            t.reply(msg);
            return 0;
        }
    }
}

i64 own_endpoint(u64 slot) {
    abi::CapInfo info{};
    if (transport().cap_info(slot, info) == 0) {
        return info.type == abi::kCapEndpoint ? static_cast<i64>(slot) : -abi::kWrongType;
    }
    return transport().endpoint_create(slot);
}

Action reject(Message& msg) {
    drop_received_caps(msg);
    msg.reply_error(abi::kNoSys);
    return Action::kReply;
}

}  // namespace ipc
