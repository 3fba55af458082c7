// console::Client: the client stub of the console protocol
// (console_protocol.h), in the pattern of servers/hello/client.h.
//
//     i64 slot = console::Client::find(ipc::proto::kSlotNames, 0);
//     console::Client tty(static_cast<u64>(slot));
//     tty.write("lstar> ");
//     char line[128];
//     i64 n = tty.read(line, sizeof(line));  // waits for Enter
//
// Every method returns a count or -abi::Error: a transport error (the
// console is gone: kCancelled), the server's status, or kInvalid for a reply
// without the promised shape.
#pragma once

#include "lib/ipc/message.h"
#include "lib/ipc/names.h"
#include "lib/ipc/transport.h"
#include "lib/kstd/string.h"
#include "servers/console/console_protocol.h"

namespace console {

class Client {
public:
    explicit Client(u64 endpoint) : endpoint_(endpoint) {}

    // Looks "console" up through the names capability in names_slot; its
    // endpoint goes to dst (0: any free slot). The slot or -abi::Error
    // (kNotFound: not registered yet).
    static i64 find(u64 names_slot, u64 dst) { return ipc::names::lookup(names_slot, kName, dst); }

    u64 endpoint() const { return endpoint_; }

    // Writes s[0, n), in as many requests as it takes. Whole lines show at
    // once; a trailing partial line shows with the next '\n', the next
    // read, or now if `flush`. Returns n or -abi::Error.
    i64 write(const char* s, usize n, bool flush = false) {
        usize done = 0;
        do {
            const usize piece = n - done < kMaxWrite ? n - done : kMaxWrite;
            const bool last = done + piece == n;
            ipc::Message m = ipc::Message::request(kConsoleWrite);
            m.push(last && flush ? kWriteFlush : 0).push_bytes(s + done, piece);
            if (i64 e = call(m)) return e;
            if (m.word_count() != 1 || m.word(0) != piece) return -abi::kInvalid;
            done += piece;
        } while (done < n);
        return static_cast<i64>(n);
    }
    i64 write(const char* s, bool flush = false) { return write(s, kstd::strlen(s), flush); }

    // The next input line, '\n' included (or its first max bytes), into
    // buf; waits for one unless `nonblocking` (then 0 if none is typed
    // yet). Not NUL-terminated. Returns the byte count or -abi::Error.
    i64 read(char* buf, usize max, bool nonblocking = false) {
        if (max == 0) return -abi::kInvalid;
        ipc::Message m = ipc::Message::request(kConsoleRead);
        m.push(max < kMaxRead ? max : kMaxRead).push(nonblocking ? kReadNonBlocking : 0);
        if (i64 e = call(m)) return e;
        ipc::Reader in(m);
        const usize n = in.bytes(buf, max);
        if (!in.ok() || !in.at_end()) return -abi::kInvalid;
        return static_cast<i64>(n);
    }

private:
    // The call and the status: 0 only for an ok reply.
    i64 call(ipc::Message& m) const {
        if (i64 r = ipc::transport().call(endpoint_, m)) return r;
        ipc::drop_received_caps(m);  // a reply has no business carrying any
        return m.status();
    }

    u64 endpoint_;
};

}  // namespace console
