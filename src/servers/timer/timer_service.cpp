// timer::Service (timer_service.h).
#include "servers/timer/timer_service.h"

#include "lib/ipc/transport.h"

namespace timer {

ipc::Action Service::handle(ipc::Message& msg, u64 now) {
    // No method takes capabilities: drop any a client sent.
    ipc::drop_received_caps(msg);
    const u32 label = msg.label();
    if (label == kTimerNow) {
        msg.reply().push(now);
        return ipc::Action::kReply;
    }
    if (label != kTimerSleep && label != kTimerSleepUntil) return ipc::reject(msg);
    if (msg.word_count() != 1) {
        msg.reply_error(abi::kInvalid);
        return ipc::Action::kReply;
    }
    const u64 value = msg.word(0);
    if (label == kTimerSleepUntil) return sleep_until(msg, value, now);
    // A sleep that would end past the clock's range ends with it.
    return sleep_until(msg, value > ~u64{0} - now ? ~u64{0} : now + value, now);
}

ipc::Action Service::sleep_until(ipc::Message& msg, u64 deadline, u64 now) {
    if (deadline <= now) {
        msg.reply().push(now);
        return ipc::Action::kReply;
    }
    const u64 slot = table_.free_slot();
    if (slot == 0) {
        msg.reply_error(abi::kNoMemory);
        return ipc::Action::kReply;
    }
    const u64 badge = msg.badge();
    const i64 saved = ipc::transport().reply_save(slot);
    if (saved < 0 || !table_.insert(deadline, static_cast<u64>(saved), badge)) {
        // Still ours to answer (or saved where the table cannot track it):
        // refuse now rather than leave the caller waiting forever.
        if (saved >= 0) {
            ipc::Message refusal;
            refusal.reply_error(abi::kNoMemory);
            ipc::transport().reply(refusal, static_cast<u64>(saved));
            return ipc::Action::kNoReply;
        }
        msg.reply_error(abi::kNoMemory);
        return ipc::Action::kReply;
    }
    return ipc::Action::kNoReply;
}

u32 Service::expire(u64 now) {
    u32 answered = 0;
    DeadlineTable::Entry e;
    while (table_.pop_due(now, e)) {
        ipc::Message reply;
        reply.reply().push(now);
        if (ipc::transport().reply(reply, e.slot) == 0) {
            ++answered;
        } else {
            // The sleeper is gone; make sure the slot is empty for the next.
            ipc::transport().cap_delete(e.slot);
        }
    }
    return answered;
}

}  // namespace timer
