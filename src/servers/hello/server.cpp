// hello_server: the template server. Copy this folder to start a new one
// (docs/writing-a-server.md walks through it):
//   hello_service.{h,cpp}  the logic, against the IPC library only, host-tested;
//   server.cpp             this file: the program around it;
//   client.h               the client stub other programs include;
// and the protocol's labels in lib/ipc/protocol.h.
//
// What it does: takes its endpoint (slot proto::kSlotEndpoint, from init's
// `endpoint hello at=2`, or made here if the slot is empty), publishes it
// as "hello" with the names server (slot proto::kSlotNames), and serves.
//
// Output: `hello_server: ready endpoint=2 registered=1` (registered=0 and
// the error if names refused or is missing: clients that were given the
// endpoint directly can still call), `hello_server: stopped error=E` if
// serving ends.
#include "lib/ipc/names.h"
#include "lib/ipc/protocol.h"
#include "lib/ipc/server.h"
#include "lib/user/lstar.h"
#include "servers/hello/client.h"
#include "servers/hello/hello_service.h"

namespace {

namespace proto = ipc::proto;

// Global rather than on main's stack: a server's state lives as long as
// the program.
hello::Service g_service;

}  // namespace

int main(int, char**) {
    const i64 endpoint = ipc::own_endpoint(proto::kSlotEndpoint);
    if (endpoint < 0) {
        lstar::printf("hello_server: no endpoint error=%ld\n", -endpoint);
        return 1;
    }
    // Blocks until names receives: init starts names first, but the call
    // would simply wait for it otherwise.
    const i64 registered =
        ipc::names::register_name(proto::kSlotNames, hello::Client::kName, static_cast<u64>(endpoint));
    if (registered < 0) lstar::printf("hello_server: register failed error=%ld\n", -registered);
    lstar::printf("hello_server: ready endpoint=%ld registered=%d\n", endpoint, registered == 0);

    const i64 r = ipc::serve(static_cast<u64>(endpoint), [](ipc::Message& msg) { return g_service.handle(msg); });
    lstar::printf("hello_server: stopped error=%ld served=%lu\n", -r, g_service.served());
    return 1;
}
