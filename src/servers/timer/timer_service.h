// timer::Service: the timer protocol (timer_protocol.h) over a
// DeadlineTable, written against the IPC library only and given the time by
// its caller, so that host tests run it under the fake transport with a
// clock of their own.
//
// A sleep keeps the right to answer it (ipc_reply_save into a slot the
// table hands out) and is answered by expire() once due. The program's loop
// (main.cpp) receives with a timeout of wait_ns(), so that it is back in
// time for the earliest deadline.
#pragma once

#include "lib/ipc/message.h"
#include "lib/ipc/server.h"
#include "lib/kstd/types.h"
#include "servers/timer/deadline_table.h"
#include "servers/timer/timer_protocol.h"

namespace timer {

static_assert(kMaxSleepers == DeadlineTable::kCapacity);

class Service {
public:
    explicit Service(u64 first_sleeper_slot) : table_(first_sleeper_slot) {}

    // Handles one request received at `now`; leaves the reply in msg, or
    // keeps the right to answer (ipc::Action::kNoReply).
    ipc::Action handle(ipc::Message& msg, u64 now);

    // Answers every sleeper due at `now` with that time; returns how many
    // were answered (a sleeper that went away is dropped, not counted).
    u32 expire(u64 now);

    // How long the loop may wait for a request at `now`
    // (DeadlineTable::kForever: as long as it takes).
    u64 wait_ns(u64 now) const { return table_.wait_ns(now); }

    const DeadlineTable& table() const { return table_; }

private:
    ipc::Action sleep_until(ipc::Message& msg, u64 deadline, u64 now);

    DeadlineTable table_;
};

}  // namespace timer
