// timer: the timer server. Answers sleep requests when they are due and
// tells the time (timer_protocol.h has the protocol and the slots init
// fills; client.h the stub).
//
//   deadline_table.{h,cpp}  the sleepers, in deadline order
//   timer_service.{h,cpp}   the protocol, saved reply rights
//   main.cpp                this file: the loop
//
// The loop: answer whoever is due, then receive with a timeout that ends at
// the next deadline (ipc_recv with abi::kRecvTimeout, the IPC buffer's
// timeout_ns set by Message::set_timeout). With nobody asleep it answers
// and receives in one kernel entry (ipc_reply_recv), which has no timeout.
//
// Output: `timer: ready endpoint=2 registered=1` (registered=0 and the
// error if names is missing), `timer: stopped error=E` if the endpoint
// fails for good.
#include "lib/ipc/names.h"
#include "lib/ipc/server.h"
#include "lib/ipc/transport.h"
#include "lib/user/lstar.h"
#include "servers/timer/timer_protocol.h"
#include "servers/timer/timer_service.h"

namespace {

using namespace timer;

// Consecutive receive errors other than a timeout ridden out before giving
// up (as ipc::serve does).
constexpr u32 kMaxErrors = 8;

Service g_service(kSlotFirstSleeper);

// Errors after which receiving on the endpoint cannot work again.
bool fatal(i64 error) {
    return error == -abi::kCancelled || error == -abi::kBadSlot || error == -abi::kWrongType ||
           error == -abi::kNoRights;
}

// Serves until the endpoint fails for good; returns that error.
i64 serve(u64 endpoint) {
    ipc::Transport& t = ipc::transport();
    ipc::Message msg;
    bool received = false;  // msg holds a request reply_recv brought
    u32 errors = 0;
    for (;;) {
        g_service.expire(lstar::time_ns());
        i64 r = 0;
        if (!received) {
            const u64 wait = g_service.wait_ns(lstar::time_ns());
            if (wait == 0) continue;  // another deadline came due meanwhile
            msg.set_timeout(wait == DeadlineTable::kForever ? ipc::kNoTimeout : wait);
            r = t.recv(endpoint, msg, wait == DeadlineTable::kForever ? 0 : abi::kRecvTimeout);
            // The timeout was for this receive only; replies carry none.
            msg.set_timeout(ipc::kNoTimeout);
            if (r == -abi::kTimeout) continue;
        }
        received = false;
        if (r < 0) {
            if (fatal(r) || ++errors > kMaxErrors) return r;
            msg.clear_receive_slots();
            continue;
        }
        errors = 0;
        if (msg.is_notification()) continue;  // none is bound; nothing to do

        const ipc::Action action = g_service.handle(msg, lstar::time_ns());
        msg.clear_receive_slots();
        if (action != ipc::Action::kReply) continue;
        if (!g_service.table().empty()) {
            // Sleepers: the next receive needs a timeout, which
            // reply_recv cannot wait with.
            t.reply(msg);
            continue;
        }
        r = t.reply_recv(endpoint, msg);
        if (r < 0) {
            if (fatal(r) || ++errors > kMaxErrors) return r;
            continue;
        }
        received = true;
    }
}

}  // namespace

int main(int, char**) {
    const i64 endpoint = ipc::own_endpoint(kSlotEndpoint);
    if (endpoint < 0) {
        lstar::printf("timer: no endpoint error=%ld\n", -endpoint);
        return 1;
    }
    const i64 registered = ipc::names::register_name(kSlotNames, kName, static_cast<u64>(endpoint));
    char error[24] = "";
    if (registered < 0) lstar::snprintf(error, sizeof(error), " error=%ld", -registered);
    lstar::printf("timer: ready endpoint=%ld registered=%d%s\n", endpoint, registered == 0, error);

    const i64 r = serve(static_cast<u64>(endpoint));
    lstar::printf("timer: stopped error=%ld\n", -r);
    return 1;
}
