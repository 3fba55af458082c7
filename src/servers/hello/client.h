// hello::Client: the client stub of the hello protocol, and the pattern for
// every protocol's stub. A stub turns each method into a C++ call: it
// builds the request, makes the call through ipc::transport(), checks the
// status and the shape of the reply, and hands back plain values. Clients
// then never touch labels or word positions, and a protocol change is
// made in two places: the server's handler and its stub.
//
//     i64 slot = hello::Client::find(ipc::proto::kSlotNames, 0);  // through names
//     hello::Client hello(static_cast<u64>(slot));
//     u64 sum;
//     if (hello.add(values, 3, sum) == 0) ...
//
// Every method returns 0 or -abi::Error: a transport error (the server is
// gone: kCancelled; a timeout: kTimeout), the server's status (kInvalid,
// kNoSys ...), or kInvalid for a reply that does not have the promised
// shape.
#pragma once

#include "lib/ipc/message.h"
#include "lib/ipc/names.h"
#include "lib/ipc/protocol.h"
#include "lib/ipc/transport.h"

namespace hello {

class Client {
public:
    // The name the hello server registers with names.
    static constexpr const char* kName = "hello";

    explicit Client(u64 endpoint) : endpoint_(endpoint) {}

    // Looks the hello server up through the names capability in
    // names_slot; its endpoint goes to dst (0: any free slot). Returns the
    // slot or -abi::Error (kNotFound: not registered yet).
    static i64 find(u64 names_slot, u64 dst) { return ipc::names::lookup(names_slot, kName, dst); }

    u64 endpoint() const { return endpoint_; }

    // Calls wait at most ns each (0: only a server already waiting);
    // ipc::kNoTimeout (the default) waits as long as it takes.
    void set_timeout(u64 ns) { timeout_ns_ = ns; }

    // greet: the greeting for `name` into greeting (NUL-terminated), and
    // the badge the server saw.
    i64 greet(const char* name, char* greeting, usize size, u64& badge) {
        ipc::Message m = request(ipc::proto::kHelloGreet);
        m.push_string(name);
        if (i64 e = call(m)) return e;
        ipc::Reader in(m);
        badge = in.word();
        if (!in.string(greeting, size) || !in.at_end()) return -abi::kInvalid;
        return 0;
    }

    // add: the sum of values[0..count) modulo 2^64.
    i64 add(const u64* values, u32 count, u64& sum) {
        ipc::Message m = request(ipc::proto::kHelloAdd);
        for (u32 i = 0; i < count; ++i) m.push(values[i]);
        if (!m.ok()) return -abi::kInvalid;
        if (i64 e = call(m)) return e;
        if (m.word_count() != 1) return -abi::kInvalid;
        sum = m.word(0);
        return 0;
    }

    // echo: sends seq and payload[0..count) with their checksum and checks
    // that the reply carries them back intact; the badge the server saw
    // goes to badge. count <= abi::kMaxWords - 3.
    i64 echo(u64 seq, const u64* payload, u32 count, u64& badge) {
        if (count + 3 > abi::kMaxWords) return -abi::kInvalid;
        ipc::Message m = request(ipc::proto::kHelloEcho);
        m.push(seq);
        for (u32 i = 0; i < count; ++i) m.push(payload[i]);
        m.push(ipc::proto::checksum(m.words(), m.word_count()));
        if (i64 e = call(m)) return e;
        const u32 n = m.word_count();
        if (n != count + 3 || m.word(0) != seq) return -abi::kInvalid;
        if (ipc::proto::checksum(m.words(), n - 1) != m.word(n - 1)) return -abi::kInvalid;
        for (u32 i = 0; i < count; ++i) {
            if (m.word(2 + i) != payload[i]) return -abi::kInvalid;
        }
        badge = m.word(1);
        return 0;
    }

    // stats: requests the server answered and echoes it refused.
    i64 stats(u64& served, u64& refused) {
        ipc::Message m = request(ipc::proto::kHelloStats);
        if (i64 e = call(m)) return e;
        if (m.word_count() != 2) return -abi::kInvalid;
        served = m.word(0);
        refused = m.word(1);
        return 0;
    }

private:
    ipc::Message request(u32 label) const {
        ipc::Message m = ipc::Message::request(label);
        if (timeout_ns_ != ipc::kNoTimeout) m.set_timeout(timeout_ns_);
        return m;
    }

    // The call and the status: 0 only for an ok reply.
    i64 call(ipc::Message& m) const {
        if (i64 r = ipc::transport().call(endpoint_, m)) return r;
        // A reply has no business carrying capabilities here.
        ipc::drop_received_caps(m);
        return m.status();
    }

    u64 endpoint_;
    u64 timeout_ns_ = ipc::kNoTimeout;
};

}  // namespace hello
