// What the shell (src/servers/shell) expects from init, and the one request
// it sends init.
//
// The shell must be started privileged (`server shell privileged`): `cpus`
// uses ipc_stats, `trace` uses trace, and `stress` module_info,
// task_create_args and task_wait, all privileged calls.
//
// Capability slots of the shell task (the boot manifest's `at=N`):
//   1  kSlotNames    names, send+grant: used to find "console" when slot 4
//                    is empty
//   4  kSlotConsole  the console's endpoint, send (`give console.console
//                    rights=s at=4`); optional, names is asked otherwise
//   5  kSlotInit     init's control endpoint, send: where `kill` goes;
//                    without it `kill` answers that init cannot be reached
//   16..             the shell's own (the console found through names)
#pragma once

#include "lib/ipc/protocol.h"
#include "lib/kstd/types.h"

namespace shell {

constexpr u64 kSlotNames = ipc::proto::kSlotNames;
constexpr u64 kSlotConsole = ipc::proto::kSlotGivenFirst;
constexpr u64 kSlotInit = ipc::proto::kSlotGivenFirst + 1;
constexpr u64 kSlotFirstFree = ipc::proto::kSlotFirstFree;

// --- The init control protocol (served by init; not yet implemented there) --
// Protocol number 0x12 (ipc::proto::method); not yet in lib/ipc/protocol.h.
constexpr u16 kProtocolInit = 0x12;

// kill: words[0] = a task id. init kills the task (task_kill with its task
// capability) and answers with the status: ok once it is killed; kNotFound
// for a task init did not start or that has ended; kPermission for one init
// will not kill (itself, or a server the system cannot lose); kInvalid for
// a malformed request.
constexpr u32 kInitKill = ipc::proto::method(kProtocolInit, 1);
// The exit status init gives a task it kills on request.
constexpr u64 kKilledStatus = 0x1ff;

}  // namespace shell
