// console::Service: the console protocol (console_protocol.h) over a
// Terminal, written against the IPC library only (ipc::transport() for the
// saved reply rights), so the same code runs in the console program and in
// host tests under the fake transport.
//
// A read that finds no complete line keeps the right to answer it
// (ipc_reply_save into slot first_reader_slot + i) and waits in a FIFO of
// kMaxReaders; input_arrived() answers them, oldest first, as lines
// complete. A reader that went away meanwhile is skipped and its line goes
// to the next one: the line is taken off the queue only once a reply was
// delivered.
#pragma once

#include "lib/ipc/message.h"
#include "lib/ipc/server.h"
#include "lib/kstd/types.h"
#include "servers/console/console_protocol.h"
#include "servers/console/terminal.h"

namespace console {

class Service {
public:
    Service(Terminal& terminal, u64 first_reader_slot) : terminal_(terminal), first_slot_(first_reader_slot) {}

    // Handles one request in msg and leaves the reply in it (or keeps the
    // right to answer: ipc::Action::kNoReply).
    ipc::Action handle(ipc::Message& msg);

    // Input may have completed lines: answers waiting readers while there
    // are lines for them. Returns how many were answered.
    u32 input_arrived();

    u32 waiting_readers() const { return waiting_; }

private:
    struct Waiting {
        u64 slot;   // the saved reply right
        u64 badge;  // who asked
        usize max;  // bytes wanted
    };

    ipc::Action write(ipc::Message& msg);
    ipc::Action read(ipc::Message& msg);
    ipc::Action stats(ipc::Message& msg);
    // A slot of first_slot_ + 0..kMaxReaders-1 no waiting reader uses.
    u64 free_slot() const;

    Terminal& terminal_;
    u64 first_slot_;
    Waiting readers_[kMaxReaders] = {};  // readers_[0] is the oldest
    u32 waiting_ = 0;
};

}  // namespace console
