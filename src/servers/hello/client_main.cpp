// hello_client: a client of hello_server, through the stub in client.h.
// Finds "hello" with the names server (slot proto::kSlotNames), then makes
// each call of the protocol and checks the answers.
//
// argv: `hello_client [calls=N]`: N sequence-numbered echoes (default 16).
// Output: `hello_client: greeting="hello hello_client" badge=B`, then
// `hello_client: done calls=N failed=F served=S`; exit status 0 if every
// answer was right, 1 otherwise.
#include "lib/ipc/protocol.h"
#include "lib/user/lstar.h"
#include "servers/hello/client.h"

namespace {

namespace proto = ipc::proto;

// hello_server may not have registered yet when we start: ask again for a
// while (kNotFound) before giving up.
constexpr int kLookupTries = 100;
constexpr u64 kLookupPauseNs = 10'000'000;

i64 find_hello() {
    i64 slot = -abi::kNotFound;
    for (int i = 0; i < kLookupTries && slot == -abi::kNotFound; ++i) {
        slot = hello::Client::find(proto::kSlotNames, 0);
        if (slot == -abi::kNotFound) lstar::sleep_ns(kLookupPauseNs);
    }
    return slot;
}

// Echo payload i of call seq: different in every word and every call.
u64 payload_word(u64 seq, u32 i) { return (seq << 32 | i) * 0x9e3779b97f4a7c15ull; }

}  // namespace

int main(int argc, char** argv) {
    u64 calls = 16;
    for (int i = 1; i < argc; ++i) lstar::arg_u64(argv[i], "calls", calls);

    const i64 slot = find_hello();
    if (slot < 0) {
        lstar::printf("hello_client: lookup failed error=%ld\n", -slot);
        return 1;
    }
    hello::Client hello(static_cast<u64>(slot));
    u64 failed = 0;

    char greeting[proto::kHelloGreetingSize];
    u64 badge = 0;
    i64 r = hello.greet("hello_client", greeting, sizeof(greeting), badge);
    if (r < 0) ++failed;
    lstar::printf("hello_client: greeting=\"%s\" badge=%lu error=%ld\n", r == 0 ? greeting : "", badge, -r);

    const u64 values[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    u64 sum = 0;
    if (hello.add(values, 10, sum) < 0 || sum != 55) ++failed;

    // Payload lengths cycle through short (registers only) and long (IPC
    // buffer) messages.
    for (u64 seq = 0; seq < calls; ++seq) {
        u64 payload[abi::kMaxWords - 3];
        const u32 count = static_cast<u32>(seq % (abi::kMaxWords - 2));
        for (u32 i = 0; i < count; ++i) payload[i] = payload_word(seq, i);
        if (hello.echo(seq, payload, count, badge) < 0) ++failed;
    }

    u64 served = 0, refused = 0;
    if (hello.stats(served, refused) < 0) ++failed;
    lstar::printf("hello_client: done calls=%lu failed=%lu served=%lu\n", calls, failed, served);
    return failed == 0 ? 0 : 1;
}
