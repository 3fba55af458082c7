// The console protocol (src/servers/console): what the console server
// expects from init, the methods it answers, and its limits. Clients use
// the stub in servers/console/client.h rather than these labels directly.
//
// Capability slots of the console task (the boot manifest's `at=N`):
//   1  kSlotNames         names, send+grant (optional: the server registers
//                         "console" there; clients given slot 2's endpoint
//                         directly work without it)
//   2  kSlotEndpoint      its endpoint, every right (`endpoint console at=2`;
//                         made by the server if the slot is empty)
//   3  kSlotNotification  made by the server: IRQ 4 arrives there, bound to
//                         the serving thread
//   4  kSlotIoPorts       `ioports 0x3f8 8 at=4`: COM1's eight registers
//   5  kSlotIrq           `irq 4 at=5`: COM1's interrupt line
//   16..                  saved reply rights of readers waiting for input
#pragma once

#include "lib/abi/ipc.h"
#include "lib/ipc/protocol.h"
#include "lib/kstd/types.h"

namespace console {

// --- Slots -------------------------------------------------------------------
constexpr u64 kSlotNames = ipc::proto::kSlotNames;
constexpr u64 kSlotEndpoint = ipc::proto::kSlotEndpoint;
constexpr u64 kSlotNotification = ipc::proto::kSlotNotification;
constexpr u64 kSlotIoPorts = ipc::proto::kSlotGivenFirst;
constexpr u64 kSlotIrq = ipc::proto::kSlotGivenFirst + 1;
constexpr u64 kSlotFirstReader = ipc::proto::kSlotFirstFree;

// --- The device ----------------------------------------------------------------
constexpr u16 kCom1Base = 0x3F8;
constexpr u32 kCom1Ports = 8;
constexpr u32 kCom1Irq = 4;
// The notification bit IRQ 4 sets.
constexpr u64 kIrqBit = 1;
// The console's own tick: print the kernel log lines waiting for it.
constexpr u64 kKlogBit = 2;
// The badge the kernel's lines are written under (no client has it).
constexpr u64 kKernelBadge = ~u64{0};

// The name the server registers with names.
constexpr const char* kName = "console";

// --- Methods -----------------------------------------------------------------
// Protocol number 0x10 (ipc::proto::method); not yet in lib/ipc/protocol.h.
constexpr u16 kProtocolConsole = 0x10;

// Bytes of text one write carries, and one read returns: the message's words
// less the flags word and the byte count (Message::push_bytes).
constexpr usize kMaxWrite = (abi::kMaxWords - 2) * 8;
constexpr usize kMaxRead = (abi::kMaxWords - 1) * 8;

// write: words[0] = flags (kWriteFlush), then the text as Message::push_bytes
// (at most kMaxWrite bytes, any byte values). Reply: ok, words[0] = the bytes
// taken (all of them). Output is assembled per client (per badge) into lines:
// a line goes to the UART whole once its '\n' arrives, so lines of different
// clients never mix. A partial line waits for the rest unless the write has
// kWriteFlush, the same client reads (its prompt shows), or it outgrows the
// line buffer. '\n' goes out as CR LF; '\r' in output is dropped.
constexpr u32 kConsoleWrite = ipc::proto::method(kProtocolConsole, 1);
constexpr u64 kWriteFlush = 1;

// read: words[0] = the most bytes wanted (1..kMaxRead), words[1] = flags
// (optional; kReadNonBlocking). Input is line-edited (echo, backspace,
// CR/LF, Ctrl-U) and handed out a line at a time: the reply carries the
// first complete line, '\n' included (or its first max bytes; the rest
// comes with the next read). Reply: ok, words = the bytes (push_bytes). If
// no line is complete, the reply is deferred until one is, or, with
// kReadNonBlocking, comes at once with 0 bytes. kNoMemory: kMaxReaders
// readers are already waiting. A read first flushes the caller's partial
// output line (a prompt).
constexpr u32 kConsoleRead = ipc::proto::method(kProtocolConsole, 2);
constexpr u64 kReadNonBlocking = 1;
constexpr u32 kMaxReaders = 4;

// stats: Reply: ok, words = bytes received, bytes transmitted, lines read,
// input bytes dropped (line too long or queue full), UART overruns.
constexpr u32 kConsoleStats = ipc::proto::method(kProtocolConsole, 3);

}  // namespace console
