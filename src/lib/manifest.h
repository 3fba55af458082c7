// Boot manifest parser: the text module that tells init which servers to
// start and which capabilities each one gets.
#pragma once

#include "lib/kstd/types.h"

// Format
// ------
// Text, one statement per line (lines end in "\n" or "\r\n"). `#` starts a
// comment that runs to the end of the line (except inside a quoted args
// value); blank and comment-only lines are ignored. Words are separated by
// spaces and tabs; indentation means nothing.
//
//   server NAME [program=PROG] [prio=P] [cpus=MASK] [restart=yes|no] [privileged] [args="..."]
//       Starts a server: the program PROG (default NAME; the boot module
//       whose string starts with that word, so one program can run as
//       several servers under different names), at priority P
//       (0..31, default 16), on the CPUs of MASK (non-zero, default all:
//       ~0), restarted when it ends (default yes), allowed the privileged
//       calls if `privileged`, with the command line args (quoted, may hold
//       spaces and `#`, no escapes, at most 95 characters; default empty:
//       the module's own string). NAME `init` is reserved.
//   endpoint NAME at=N
//       init creates an endpoint for the current server, which gets it with
//       every endpoint right (send, receive, grant) in slot N. Other servers
//       receive it through `give`.
//   give SERVER.ENDPOINT rights=RIGHTS at=N [badge=B]
//       A capability to the endpoint ENDPOINT that server SERVER declares
//       (anywhere in the manifest, before or after, the current server
//       included), with RIGHTS, in slot N, minted with badge B (non-zero;
//       no badge if left out). RIGHTS is one or more of the letters s (send),
//       r (receive), g (grant), each at most once, in any order.
//       SERVER `init` names init itself: `give init.control ...` is init's
//       control endpoint (kill requests; its only endpoint).
//   ioports BASE COUNT at=N
//       I/O ports [BASE, BASE + COUNT), within 0..0xffff, COUNT >= 1.
//   irq LINE at=N
//       Interrupt line LINE (0..255).
//
// endpoint, give, ioports and irq belong to the most recent server line; one
// before any server line is an error. Each key is given at most once per line.
// Numbers are decimal or 0x/0X hex, at most 64 bits. NAME is [a-z][a-z0-9_-]*,
// at most 23 characters. Slots N are 1..255 and unique within one server;
// endpoint names are unique within one server; server names are unique.
// A line holds at most 255 characters (line end excluded); the text must not
// contain a NUL byte. An empty manifest (no server) is valid.
//
//   # servers of the base system
//   server console prio=20 restart=yes
//     endpoint tty at=1
//     ioports 0x3f8 8 at=2
//     irq 4 at=3
//   server shell privileged args="shell --prompt '> '"
//     give console.tty rights=s at=1 badge=7
//
// Everything is checked before parse() returns ok, so init can trust the
// result: every give names an endpoint that exists (resolved to indices), every
// value is within its range, and every slot is free.
namespace manifest {

constexpr u32 kMaxServers = 16;
constexpr u32 kMaxGrants = 16;   // per server: endpoint, give, ioports and irq lines together
constexpr usize kNameSize = 24;  // a name and its terminator
constexpr usize kMaxNameLength = kNameSize - 1;
constexpr usize kArgsSize = 96;  // args and its terminator
constexpr usize kMaxArgsLength = kArgsSize - 1;
constexpr usize kMaxLineLength = 255;
constexpr usize kMessageSize = 160;  // Result::message, enough for two full names and a word

constexpr u32 kMinSlot = 1;
constexpr u32 kMaxSlot = 255;         // abi::kCapSlots - 1
constexpr u32 kMaxPriority = 31;      // abi::kMaxPriority
constexpr u32 kDefaultPriority = 16;  // abi::kDefaultPriority
constexpr u64 kAllCpus = ~u64{0};
constexpr u64 kIoPortLimit = 0x10000;  // ports are 0..0xffff
constexpr u64 kMaxIrq = 255;

enum class GrantKind : u8 {
    kOwnEndpoint,  // endpoint NAME: created by init for this server
    kEndpoint,     // give SERVER.ENDPOINT: a copy of another (or its own) server's endpoint
    kIoPorts,      // ioports BASE COUNT
    kIrq,          // irq LINE
    kInitEndpoint, // give init.ENDPOINT: an endpoint of init's own (kInitEndpointName)
};

// The one endpoint init offers to the manifest: `give init.control ...`.
inline constexpr char kInitServerName[] = "init";
inline constexpr char kInitEndpointName[] = "control";

// One capability a server gets, in slot `slot`.
struct Grant {
    GrantKind kind;
    u32 slot;  // kMinSlot..kMaxSlot
    u32 line;  // the manifest line it comes from
    // abi::CapRights. kOwnEndpoint: send | receive | grant; kEndpoint: as
    // given; kIoPorts, kIrq: abi::kRightControl (what using them takes).
    u32 rights;
    u64 badge;  // kEndpoint: the badge to mint, 0 for none; otherwise 0
    // kIoPorts: the port range; kIrq: base = the line, count = 1; else 0.
    u64 base, count;
    // kOwnEndpoint: this server's name and the endpoint's; kEndpoint: the
    // SERVER and ENDPOINT given; otherwise empty.
    char server[kNameSize];
    char endpoint[kNameSize];
    // kOwnEndpoint, kEndpoint: where the endpoint is declared, as indices of
    // Manifest::servers and that server's grants (a kOwnEndpoint grant);
    // a kOwnEndpoint grant points to itself. Otherwise 0.
    u32 target_server, target_grant;
};

struct Server {
    char name[kNameSize];
    char program[kNameSize];  // program=, default the name
    u32 line;      // of its server statement
    u32 priority;  // 0..kMaxPriority
    u64 cpus;      // non-zero affinity mask
    bool restart;
    bool privileged;
    char args[kArgsSize];      // without the quotes; empty if none given
    Grant grants[kMaxGrants];  // in manifest order
    u32 grant_count;
};

struct Manifest {
    Server servers[kMaxServers];  // in manifest order
    u32 count;
};

// ok: message is "ok" and line the number of lines read. Otherwise line is the
// 1-based line at fault and message says so and what is wrong, e.g.
// "line 4: slot 3 already used by server console on line 2".
struct Result {
    bool ok;
    u32 line;
    char message[kMessageSize];
};

// Parses text[0, len) into out and checks every cross reference. On failure
// out is partially filled and must not be used. Nothing in out points into
// text. A null text is an empty one if len is 0, an error otherwise.
Result parse(const char* text, usize len, Manifest& out);

// The server called name, or null.
const Server* find_server(const Manifest& manifest, const char* name);
// Its index in manifest.servers, or -1.
i32 server_index(const Manifest& manifest, const char* name);
// The kOwnEndpoint grant of server that declares endpoint name, or null.
const Grant* find_endpoint(const Server& server, const char* name);
// The grant of server in slot, or null.
const Grant* find_slot(const Server& server, u32 slot);
// "endpoint", "give", "ioports", "irq": the statement of each kind.
const char* kind_name(GrantKind kind);

}  // namespace manifest
