// hello::Service (hello_service.h): the template server's methods.
#include "servers/hello/hello_service.h"

#include "lib/ipc/protocol.h"
#include "lib/ipc/transport.h"

namespace hello {

namespace proto = ipc::proto;

namespace {

// Appends s to out[used..] (NUL-terminated, truncating at size).
usize append(char* out, usize size, usize used, const char* s) {
    while (*s != '\0' && used + 1 < size) out[used++] = *s++;
    out[used] = '\0';
    return used;
}

}  // namespace

ipc::Action Service::handle(ipc::Message& msg) {
    // No method of this protocol takes capabilities: drop any a client sent,
    // so that nobody can fill our capability space.
    ipc::drop_received_caps(msg);
    ++served_;
    switch (msg.label()) {
    case proto::kHelloGreet: return greet(msg);
    case proto::kHelloAdd: return add(msg);
    case proto::kHelloEcho: return echo(msg);
    case proto::kHelloStats: return stats(msg);
    default: return ipc::reject(msg);
    }
}

// greet(name) -> badge, "hello NAME": the badge tells the server which
// client is calling (init or the client's parent minted it), so a server
// can tell clients apart without trusting anything in the message.
ipc::Action Service::greet(ipc::Message& msg) {
    char name[proto::kHelloMaxName + 1] = "";
    ipc::Reader in(msg);
    if (!in.at_end() && (!in.string(name, sizeof(name)) || !in.at_end())) {
        msg.reply_error(abi::kInvalid);
        return ipc::Action::kReply;
    }
    char greeting[proto::kHelloGreetingSize];
    usize n = append(greeting, sizeof(greeting), 0, "hello ");
    append(greeting, sizeof(greeting), n, name[0] != '\0' ? name : "stranger");
    const u64 badge = msg.badge();
    msg.reply().push(badge).push_string(greeting);
    return ipc::Action::kReply;
}

// add(numbers...) -> their sum.
ipc::Action Service::add(ipc::Message& msg) {
    u64 sum = 0;
    for (u32 i = 0; i < msg.word_count(); ++i) sum += msg.word(i);
    msg.reply().push(sum);
    return ipc::Action::kReply;
}

// echo(seq, payload..., checksum) -> seq, badge, payload..., checksum. The
// request is checked whole before anything is answered; the reply is built
// from a copy, as it overwrites the request's words.
ipc::Action Service::echo(ipc::Message& msg) {
    const u32 n = msg.word_count();
    // seq and checksum at least, and room for the badge in the reply.
    if (n < 2 || n + 1 > abi::kMaxWords || proto::checksum(msg.words(), n - 1) != msg.word(n - 1)) {
        ++refused_;
        msg.reply_error(abi::kInvalid);
        return ipc::Action::kReply;
    }
    u64 payload[abi::kMaxWords];
    const u32 count = n - 2;
    for (u32 i = 0; i < count; ++i) payload[i] = msg.word(1 + i);
    const u64 seq = msg.word(0);
    const u64 badge = msg.badge();
    msg.reply().push(seq).push(badge);
    for (u32 i = 0; i < count; ++i) msg.push(payload[i]);
    msg.push(proto::checksum(msg.words(), msg.word_count()));
    return ipc::Action::kReply;
}

// stats() -> served, refused.
ipc::Action Service::stats(ipc::Message& msg) {
    msg.reply().push(served_).push(refused_);
    return ipc::Action::kReply;
}

}  // namespace hello
