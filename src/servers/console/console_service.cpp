// console::Service (console_service.h).
#include "servers/console/console_service.h"

#include "lib/ipc/transport.h"

namespace console {

ipc::Action Service::handle(ipc::Message& msg) {
    // No method takes capabilities: drop any a client sent, so that nobody
    // can fill our capability space.
    ipc::drop_received_caps(msg);
    switch (msg.label()) {
    case kConsoleWrite: return write(msg);
    case kConsoleRead: return read(msg);
    case kConsoleStats: return stats(msg);
    default: return ipc::reject(msg);
    }
}

// write(flags, bytes) -> bytes taken.
ipc::Action Service::write(ipc::Message& msg) {
    ipc::Reader in(msg);
    const u64 flags = in.word();
    char text[kMaxWrite];
    const usize n = in.bytes(text, sizeof(text));
    if (!in.ok() || !in.at_end() || (flags & ~kWriteFlush) != 0) {
        msg.reply_error(abi::kInvalid);
        return ipc::Action::kReply;
    }
    const usize taken = terminal_.write(msg.badge(), text, n, (flags & kWriteFlush) != 0);
    msg.reply().push(taken);
    return ipc::Action::kReply;
}

// read(max[, flags]) -> the first complete line, now or once there is one.
ipc::Action Service::read(ipc::Message& msg) {
    ipc::Reader in(msg);
    const u64 max = in.word();
    const u64 flags = in.at_end() ? 0 : in.word();
    if (!in.ok() || !in.at_end() || max == 0 || max > kMaxRead || (flags & ~kReadNonBlocking) != 0) {
        msg.reply_error(abi::kInvalid);
        return ipc::Action::kReply;
    }
    // The caller's prompt shows before it waits for the answer to it.
    terminal_.flush(msg.badge());

    char line[kMaxRead];
    // Lines go to readers in the order they asked: none is handed past one
    // that is already waiting (input_arrived keeps that queue empty while
    // there are lines).
    if (waiting_ == 0) {
        const usize n = terminal_.input().peek_line(line, static_cast<usize>(max));
        if (n > 0) {
            terminal_.input().consume(n);
            msg.reply().push_bytes(line, n);
            return ipc::Action::kReply;
        }
    }
    if (flags & kReadNonBlocking) {
        msg.reply().push_bytes(line, 0);
        return ipc::Action::kReply;
    }
    const u64 slot = free_slot();
    if (waiting_ == kMaxReaders || slot == 0) {
        msg.reply_error(abi::kNoMemory);
        return ipc::Action::kReply;
    }
    const i64 saved = ipc::transport().reply_save(slot);
    if (saved < 0) {
        // The right is still ours: answer now rather than never.
        msg.reply_error(abi::kNoMemory);
        return ipc::Action::kReply;
    }
    readers_[waiting_++] = {static_cast<u64>(saved), msg.badge(), static_cast<usize>(max)};
    return ipc::Action::kNoReply;
}

u32 Service::input_arrived() {
    u32 answered = 0;
    while (waiting_ > 0 && terminal_.input().has_line()) {
        const Waiting reader = readers_[0];
        for (u32 i = 1; i < waiting_; ++i) readers_[i - 1] = readers_[i];
        --waiting_;

        char line[kMaxRead];
        const usize n = terminal_.input().peek_line(line, reader.max);
        ipc::Message reply;
        reply.reply().push_bytes(line, n);
        if (ipc::transport().reply(reply, reader.slot) < 0) {
            // The reader is gone (its right failed): the line waits for the
            // next one. The slot is emptied either way.
            ipc::transport().cap_delete(reader.slot);
            continue;
        }
        terminal_.input().consume(n);
        ++answered;
    }
    return answered;
}

// stats() -> received, transmitted, lines, dropped, overruns.
ipc::Action Service::stats(ipc::Message& msg) {
    const LineDiscipline& in = terminal_.input();
    msg.reply()
        .push(terminal_.bytes_received())
        .push(terminal_.bytes_transmitted())
        .push(in.lines_completed())
        .push(in.dropped())
        .push(terminal_.overruns());
    return ipc::Action::kReply;
}

u64 Service::free_slot() const {
    for (u64 i = 0; i < kMaxReaders; ++i) {
        const u64 slot = first_slot_ + i;
        bool used = false;
        for (u32 r = 0; r < waiting_; ++r) used |= readers_[r].slot == slot;
        if (!used) return slot;
    }
    return 0;
}

}  // namespace console
