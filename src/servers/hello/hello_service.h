// hello::Service: the logic of the hello server, the template to copy for a
// new server (docs/writing-a-server.md). It implements the hello protocol
// (lib/ipc/protocol.h: greet, add, echo, stats) against the IPC library
// only: no system calls, no printing. So the same code runs in the
// hello_server program (server.cpp) and, in host tests, in a host thread
// under the fake transport (test/unit/servers/hello/hello_service_test.cpp).
//
// A new server keeps this shape: one class, handle() dispatching on the
// label to one small function per method, each reading the request with an
// ipc::Reader, checking it completely, and turning the message into the
// reply (status first, then the reply's words).
#pragma once

#include "lib/ipc/message.h"
#include "lib/ipc/server.h"
#include "lib/kstd/types.h"

namespace hello {

class Service {
public:
    // Handles one request in msg and leaves the reply in it.
    ipc::Action handle(ipc::Message& msg);

    // Requests answered, and echoes refused for a bad checksum.
    u64 served() const { return served_; }
    u64 refused() const { return refused_; }

private:
    ipc::Action greet(ipc::Message& msg);
    ipc::Action add(ipc::Message& msg);
    ipc::Action echo(ipc::Message& msg);
    ipc::Action stats(ipc::Message& msg);

    // One server thread calls handle(), so plain counters do.
    u64 served_ = 0;
    u64 refused_ = 0;
};

}  // namespace hello
