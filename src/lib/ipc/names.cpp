// The names client (names.h): one call per operation, a client stub like
// the ones every protocol gets (see src/servers/hello/client.h).
#include "lib/ipc/names.h"

#include "lib/ipc/message.h"
#include "lib/ipc/protocol.h"
#include "lib/ipc/transport.h"
#include "lib/kstd/string.h"

namespace ipc::names {

bool valid_name(const char* name) {
    if (name == nullptr) return false;
    const usize n = kstd::strnlen(name, proto::kMaxNameLength + 1);
    if (n == 0 || n > proto::kMaxNameLength) return false;
    for (usize i = 0; i < n; ++i) {
        if (name[i] < '!' || name[i] > '~') return false;
    }
    return true;
}

i64 register_name(u64 names, const char* name, u64 endpoint) {
    if (!valid_name(name)) return -abi::kInvalid;
    Message m = Message::request(proto::kNamesRegister);
    m.push_string(name).push_cap(endpoint);
    i64 r = transport().call(names, m);
    return r < 0 ? r : m.status();
}

i64 lookup(u64 names, const char* name, u64 dst) {
    if (!valid_name(name)) return -abi::kInvalid;
    Message m = Message::request(proto::kNamesLookup);
    m.push_string(name).receive_cap_into(0, dst);
    i64 r = transport().call(names, m);
    if (r < 0) return r;
    if (m.status() != 0) {
        drop_received_caps(m);
        return m.status();
    }
    if (m.cap_count() < 1) return -abi::kNoRights;
    return static_cast<i64>(m.cap(0));
}

i64 list(u64 names, FunctionRef<void(const char*)> fn) {
    u64 next = 0;
    for (;;) {
        Message m = Message::request(proto::kNamesList);
        m.push(next);
        i64 r = transport().call(names, m);
        if (r < 0) return r;
        if (m.status() != 0) return m.status();
        Reader in(m);
        const u64 total = in.word();
        const u64 count = in.word();
        for (u64 i = 0; i < count; ++i) {
            char name[proto::kMaxNameLength + 1];
            if (!in.string(name, sizeof(name))) return -abi::kInvalid;
            if (fn) fn(name);
        }
        if (!in.ok()) return -abi::kInvalid;
        next += count;
        // count 0 before the end would loop forever: the server is broken.
        if (next >= total || count == 0) return static_cast<i64>(total);
    }
}

}  // namespace ipc::names
