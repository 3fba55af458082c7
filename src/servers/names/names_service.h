// names::Service: the names protocol (lib/ipc/protocol.h) over a Table,
// written against the IPC library only, so that the same code runs in the
// `names` program (main.cpp) and in host tests under the fake transport.
#pragma once

#include "lib/ipc/message.h"
#include "lib/ipc/server.h"
#include "servers/names/names_table.h"

namespace names {

class Service {
public:
    // Handles one request in msg and leaves the reply in it.
    ipc::Action handle(ipc::Message& msg);

    const Table& table() const { return table_; }
    // The entry the last handle() registered (or took back for the same
    // badge), or nullptr; and whether it was taken back.
    const Table::Entry* registered() const { return registered_; }
    bool taken_back() const { return taken_back_; }

private:
    ipc::Action register_name(ipc::Message& msg);
    ipc::Action lookup(ipc::Message& msg);
    ipc::Action list(ipc::Message& msg);

    Table table_;
    const Table::Entry* registered_ = nullptr;
    bool taken_back_ = false;
};

}  // namespace names
