// ipc::serve: the receive-handle-reply loop of a server.
//
//     hello::Service service;
//     ipc::serve(endpoint, [&](ipc::Message& m) { return service.handle(m); });
//
// The handler gets each request in a Message (label = method, badge = which
// client, words, received caps) and turns the same Message into the reply
// (Message::reply(status), then push()). serve answers it and waits for
// the next request in one kernel entry (ipc_reply_recv). A thread with a
// bound notification also gets its signals: they go to the optional second
// callback with the signalled bits, and are never answered.
#pragma once

#include "lib/ipc/function_ref.h"
#include "lib/ipc/message.h"

namespace ipc {

// What serve does once the handler returns.
enum class Action : u8 {
    kReply,    // answer the request with the message as the handler left it
    kNoReply,  // do not answer now: the request was a send, or the handler
               // kept the right to answer with reply_save()
    kStop,     // answer, then return 0 from serve
};

using Handler = FunctionRef<Action(Message&)>;
using NotificationHandler = FunctionRef<void(u64 bits)>;

// Serves requests on `endpoint` (a capability with the receive right) until
// the handler says kStop (returns 0) or the endpoint fails for good: it is
// gone, or the task is dying (returns -abi::Error: kCancelled, kBadSlot,
// kWrongType, kNoRights). Any other receive error is retried a few times
// before serve gives up with it. An answer the kernel refuses (say, one
// with capabilities it will not carry) reaches the caller as that error's
// status, so no caller is left waiting.
i64 serve(u64 endpoint, Handler handler, NotificationHandler on_notification = {});

// The endpoint a server serves: the one init put in `slot` (the manifest's
// `endpoint NAME at=N`), or, if the slot is empty, a new one made there.
// Returns the slot, or -abi::Error (kWrongType: the slot holds something
// else).
i64 own_endpoint(u64 slot);

// The unknown-method answer every handler gives: abi::kNoSys, with any
// capabilities the request brought deleted.
Action reject(Message& msg);

}  // namespace ipc
