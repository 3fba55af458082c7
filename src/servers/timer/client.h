// timer::Client: the client stub of the timer protocol (timer_protocol.h),
// in the pattern of servers/hello/client.h.
//
//     i64 slot = timer::Client::find(ipc::proto::kSlotNames, 0);
//     timer::Client timer(static_cast<u64>(slot));
//     u64 woke;
//     timer.sleep(5'000'000, woke);  // 5 ms
//
// Every method returns 0 or -abi::Error: a transport error (the server is
// gone: kCancelled), the server's status (kNoMemory: too many sleepers), or
// kInvalid for a reply without the promised shape.
#pragma once

#include "lib/ipc/message.h"
#include "lib/ipc/names.h"
#include "lib/ipc/transport.h"
#include "servers/timer/timer_protocol.h"

namespace timer {

class Client {
public:
    explicit Client(u64 endpoint) : endpoint_(endpoint) {}

    // Looks "timer" up through the names capability in names_slot; its
    // endpoint goes to dst (0: any free slot). The slot or -abi::Error.
    static i64 find(u64 names_slot, u64 dst) { return ipc::names::lookup(names_slot, kName, dst); }

    u64 endpoint() const { return endpoint_; }

    // Returns once ns nanoseconds have passed; woke = the server's time then.
    i64 sleep(u64 ns, u64& woke) { return one_word(kTimerSleep, ns, woke); }
    // Returns once the server's clock reached deadline.
    i64 sleep_until(u64 deadline, u64& woke) { return one_word(kTimerSleepUntil, deadline, woke); }
    // The server's clock (nanoseconds since boot).
    i64 now(u64& time) {
        ipc::Message m = ipc::Message::request(kTimerNow);
        return finish(m, time);
    }

private:
    i64 one_word(u32 label, u64 value, u64& time) {
        ipc::Message m = ipc::Message::request(label);
        m.push(value);
        return finish(m, time);
    }

    i64 finish(ipc::Message& m, u64& time) {
        if (i64 r = ipc::transport().call(endpoint_, m)) return r;
        ipc::drop_received_caps(m);
        if (i64 e = m.status()) return e;
        if (m.word_count() != 1) return -abi::kInvalid;
        time = m.word(0);
        return 0;
    }

    u64 endpoint_;
};

}  // namespace timer
