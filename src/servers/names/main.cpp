// names: the name service. Servers publish their endpoint under a name
// (ipc::names::register_name), clients find it (ipc::names::lookup) and get
// a copy of the capability; list enumerates the names. The protocol is in
// lib/ipc/protocol.h, the logic in names_service.cpp and names_table.cpp.
//
// Capabilities: the endpoint it serves in slot proto::kSlotEndpoint (2),
// made by init from the manifest (`endpoint names at=2`; every other server
// gets `give names.names rights=sg at=1`). If the slot is empty, names
// makes an endpoint there itself, which nobody else can reach: the manifest
// must have the endpoint line.
//
// Output: `names: ready endpoint=2`, then `names: registered NAME badge=B`
// (or `re-registered` when a restarted server takes its name back)
// per registration; `names: stopped error=E` if serving ends.
#include "lib/ipc/protocol.h"
#include "lib/ipc/server.h"
#include "lib/user/lstar.h"
#include "servers/names/names_service.h"

namespace {

namespace proto = ipc::proto;

names::Service g_service;

}  // namespace

int main(int, char**) {
    const i64 endpoint = ipc::own_endpoint(proto::kSlotEndpoint);
    if (endpoint < 0) {
        lstar::printf("names: no endpoint error=%ld\n", -endpoint);
        return 1;
    }
    lstar::printf("names: ready endpoint=%ld\n", endpoint);
    const i64 r = ipc::serve(static_cast<u64>(endpoint), [](ipc::Message& msg) {
        const ipc::Action action = g_service.handle(msg);
        if (const names::Table::Entry* e = g_service.registered()) {
            lstar::printf("names: %s %s badge=%lu\n", g_service.taken_back() ? "re-registered" : "registered",
                          e->name, e->badge);
        }
        return action;
    });
    lstar::printf("names: stopped error=%ld\n", -r);
    return 1;
}
