// The timer protocol (src/servers/timer): sleeping and the time, through a
// server, so that a client can wait on a timer like on any other request.
// Clients use the stub in servers/timer/client.h.
//
// Capability slots of the timer task (the boot manifest's `at=N`):
//   1  kSlotNames     names, send+grant (optional: the server registers
//                     "timer" there)
//   2  kSlotEndpoint  its endpoint, every right (`endpoint timer at=2`; made
//                     by the server if the slot is empty)
//   16..              saved reply rights of sleepers, one per sleeper
#pragma once

#include "lib/ipc/protocol.h"
#include "lib/kstd/types.h"

namespace timer {

constexpr u64 kSlotNames = ipc::proto::kSlotNames;
constexpr u64 kSlotEndpoint = ipc::proto::kSlotEndpoint;
constexpr u64 kSlotFirstSleeper = ipc::proto::kSlotFirstFree;

// The name the server registers with names.
constexpr const char* kName = "timer";

// Protocol number 0x11 (ipc::proto::method); not yet in lib/ipc/protocol.h.
constexpr u16 kProtocolTimer = 0x11;

// Sleepers waiting at once; one more gets kNoMemory.
constexpr u32 kMaxSleepers = 32;

// sleep: words[0] = nanoseconds. The reply comes when they have passed
// (at the earliest): ok, words[0] = the time then (lstar::time_ns, the
// server's clock). 0 ns is answered at once. kNoMemory: kMaxSleepers are
// waiting.
constexpr u32 kTimerSleep = ipc::proto::method(kProtocolTimer, 1);
// now: Reply: ok, words[0] = lstar::time_ns (nanoseconds since boot).
constexpr u32 kTimerNow = ipc::proto::method(kProtocolTimer, 2);
// sleep_until: words[0] = a time_ns deadline; as sleep, answered at once if
// it has passed.
constexpr u32 kTimerSleepUntil = ipc::proto::method(kProtocolTimer, 3);

}  // namespace timer
