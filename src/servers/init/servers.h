// init's servers: the boot manifest (lib/manifest.h) read from its module,
// every server it names started with its capabilities, each one watched by
// a thread of init that restarts it when it ends, and init's control
// endpoint (the shell's `kill`, servers/shell/shell_protocol.h).
#pragma once

#include "lib/kstd/types.h"
#include "lib/manifest.h"

namespace init {

// A boot module: its index and its string (the program name first).
struct Module {
    u64 index;
    char string[256];
};

// Init's own capabilities from the kernel (task.cpp gives them at load).
constexpr u64 kSlotRootIoPorts = 1;  // every I/O port, control right
constexpr u64 kSlotRootIrq = 2;      // every interrupt line, control right

// Reads the manifest from module `index`, parses it and starts every server
// in manifest order, each from the module whose program name (first word)
// is the server's program. Prints `init: manifest servers=N bytes=B` or
// `init: manifest error line L: MESSAGE`, and for each server `init: server
// NAME task=ID started` or `init: server NAME start failed step=S error=E`.
// Returns how many servers failed to start (a parse error counts as one).
// Modules used by a server are marked in `used` (indexed like `modules`).
u32 start_servers(u64 index, const Module* modules, usize count, bool* used);

// Blocks until every server with restart=no has ended, then prints `init:
// server NAME task=ID status=S expected=0 ok|MISMATCH` for each and returns
// how many did not end with status 0.
u32 wait_for_finite_servers();

}  // namespace init
