// The conventions every lstar server and client share: which capability
// slots hold what when a server starts, how replies report status, and the
// methods (message labels) of the base protocols. docs/writing-a-server.md
// walks through them with the hello template.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/kstd/types.h"

namespace ipc::proto {

// --- Well-known capability slots -------------------------------------------
// init places capabilities at these slots (the boot manifest's `at=N`), so
// that a server finds them without asking anyone. A program that creates
// capabilities itself takes kSlotFirstFree and above (or 0: the lowest free
// slot, which may be one of the reserved ones while it is empty).

// A send (and grant) capability to the names server, in every task but
// names itself: `give names.names rights=sg at=1`.
constexpr u64 kSlotNames = 1;
// The server's own endpoint, with the receive right: made by init
// (`endpoint NAME at=2`) or, if that slot is empty, by the server itself.
// The names server's endpoint is here too.
constexpr u64 kSlotEndpoint = 2;
// The server's own notification (interrupts, signals), bound to its
// serving thread so that serve() gets its signals. Created by the server.
constexpr u64 kSlotNotification = 3;
// Slots init fills with further capabilities of the manifest (endpoints of
// other servers, ioports, irq), in the order the server documents.
constexpr u64 kSlotGivenFirst = 4;
constexpr u64 kSlotGivenLast = 15;
// The first slot a program manages itself (lookups, capabilities received).
constexpr u64 kSlotFirstFree = 16;

// --- Status replies --------------------------------------------------------
// A reply's label is its status: 0 is ok, anything else a positive
// abi::Error (ipc::Message::reply, Message::status). Every server answers a
// method it does not know with abi::kNoSys, a malformed request with
// abi::kInvalid.
constexpr u32 kStatusOk = 0;

// --- Methods ---------------------------------------------------------------
// A request's label: the protocol in the high 16 bits, the method in the
// low 16, so that a request sent to the wrong server is refused (kNoSys)
// rather than taken for one of its own methods. Protocol 0xFFFF is never
// used: abi::kLabelNotification is 0xFFFFFFFF.
constexpr u32 method(u16 protocol, u16 number) { return u32{protocol} << 16 | number; }
constexpr u16 protocol_of(u32 label) { return static_cast<u16>(label >> 16); }

// Protocol numbers in use, one per protocol, never reused: 1 names and
// 2 hello (below); 0x10 console, 0x11 timer, 0x12 init's shell protocol
// (each in its server's *_protocol.h). A new protocol takes a new number
// and adds it to this list.
constexpr u16 kProtocolNames = 1;
constexpr u16 kProtocolHello = 2;

// --- The names protocol (src/servers/names) ----------------------------------
// Names are 1..kMaxNameLength printable ASCII characters without spaces
// ('!'..'~'); strings travel as Message::push_string packs them.
constexpr usize kMaxNameLength = 31;
constexpr u32 kMaxNames = 32;

// register: words = name; caps[0] = an endpoint capability (the names
// capability needs the grant right to carry it). A name registered through
// the same non-zero badge as before is taken over (a restarted server gets
// its names capability from init with the same badge). Reply: status; kExists if
// the name is taken, kNoMemory if kMaxNames are, kInvalid for a bad name or
// no capability, kWrongType if it is not an endpoint.
constexpr u32 kNamesRegister = method(kProtocolNames, 1);
// lookup: words = name. Reply: status (kNotFound); ok carries a copy of the
// registered capability in caps[0] (into the caller's receive slot).
constexpr u32 kNamesLookup = method(kProtocolNames, 2);
// list: words[0] = index of the first name wanted. Reply: status; words =
// the number of names registered, the number n in this reply, then n names
// (strings), in registration order, as many as fit.
constexpr u32 kNamesList = method(kProtocolNames, 3);

// --- The hello protocol (src/servers/hello: the template server) ------------
// greet: words = the caller's name (a string of at most kHelloMaxName
// bytes, or nothing). Reply: ok; words = the caller's badge, then the
// greeting (a string shorter than kHelloGreetingSize).
constexpr u32 kHelloGreet = method(kProtocolHello, 1);
constexpr usize kHelloMaxName = 47;
constexpr usize kHelloGreetingSize = 64;
// add: words = any numbers. Reply: ok; words[0] = their sum modulo 2^64.
constexpr u32 kHelloAdd = method(kProtocolHello, 2);
// echo: words = a sequence number, payload words, and last checksum() of
// all the words before it. Reply: kInvalid if the checksum is wrong; ok
// with words = the sequence number, the caller's badge, the payload, and
// last checksum() of the reply's words before it.
constexpr u32 kHelloEcho = method(kProtocolHello, 3);
// stats: Reply: ok; words = requests served (this one included), echoes
// refused for a bad checksum.
constexpr u32 kHelloStats = method(kProtocolHello, 4);

// The checksum of the echo method: every bit of every word, and the word
// order, move it.
constexpr u64 checksum(const u64* words, u32 count) {
    u64 h = 0x9e3779b97f4a7c15ull ^ count;
    for (u32 i = 0; i < count; ++i) {
        h ^= words[i] + 0x632be59bd9b4e019ull + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdull;
    }
    return h ^ (h >> 33);
}

}  // namespace ipc::proto
