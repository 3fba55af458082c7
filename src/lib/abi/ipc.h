// The IPC and capability ABI shared by the kernel, the user IPC library and
// host tests: object types, rights, the message tag, the per-thread IPC
// buffer and the register convention of the IPC calls. docs/ipc.md tells
// the whole story.
#pragma once

#include "lib/kstd/types.h"

namespace abi {

// --- Capabilities -------------------------------------------------------

// Every task has a capability space of kCapSlots slots, named by index.
// Slot 0 never holds a capability: a call taking a destination slot picks
// the lowest free one when given 0, and returns the slot it used.
constexpr u32 kCapSlots = 256;
constexpr u64 kAnySlot = 0;  // as a destination: the lowest free slot

// What a capability refers to.
enum CapType : u8 {
    kCapNone = 0,
    kCapEndpoint = 1,      // synchronous IPC
    kCapNotification = 2,  // asynchronous signal bits
    kCapReply = 3,         // a one-shot right to answer one call (ipc_reply_save)
    kCapThread = 4,
    kCapTask = 5,          // a task and its address space
    kCapMemory = 6,        // a region of physical frames (mem_create)
    kCapIrq = 7,           // interrupt lines [base, base + count)
    kCapIoPorts = 8,       // I/O ports [base, base + count)
    kCapTypes = 9,
};
inline constexpr const char* kCapTypeNames[kCapTypes] = {
    "none", "endpoint", "notification", "reply", "thread", "task", "memory", "irq", "ioports"};

// Rights: a copy may have fewer, never more.
enum CapRights : u32 {
    kRightSend = 1 << 0,     // endpoint: send, call; notification: signal; reply: reply
    kRightReceive = 1 << 1,  // endpoint: receive; notification: wait, bind
    kRightGrant = 1 << 2,    // endpoint: messages sent through it may carry capabilities
    kRightMap = 1 << 3,      // memory: map it readable
    kRightWrite = 1 << 4,    // memory: map it writable
    kRightControl = 1 << 5,  // thread, task: kill, start, give capabilities; irq, ioports: use them
    kRightsAll = (1 << 6) - 1,
};

// What cap_info reports about a slot.
struct CapInfo {
    u32 type;    // CapType
    u32 rights;  // CapRights
    u64 badge;
    u64 base, count;  // irq, ioports: the range; memory: 0 and the bytes
    u64 object;       // an id of the object, equal for every copy of a capability
};

// --- Messages -----------------------------------------------------------

// The tag, first word of every message:
//   bits  0..6   words: message words, 0..kMaxWords
//   bits  8..10  caps: capabilities to transfer, 0..kMaxCaps (the slots are
//                in the IPC buffer's caps[]; the endpoint needs kRightGrant)
//   bit  12      timeout: the call or receive waits at most the IPC
//                buffer's timeout_ns. 0: does not wait for a partner
//                (-kWouldBlock if none is waiting); a call delivered that
//                way still waits for its reply without a limit
//   bits 32..63  label: the protocol's method or status, untouched by the kernel
// On receipt the kernel rewrites words and caps to what was delivered.
constexpr u32 kMaxWords = 64;
constexpr u32 kRegisterWords = 4;  // words 0..3 travel in registers (64-bit tasks)
constexpr u32 kMaxCaps = 4;
constexpr u64 kTagTimeout = u64(1) << 12;

inline constexpr u64 make_tag(u32 label, u32 words, u32 caps = 0) {
    return u64(label) << 32 | u64(caps & 7) << 8 | (words & 0x7F);
}
inline constexpr u32 tag_label(u64 tag) { return u32(tag >> 32); }
inline constexpr u32 tag_words(u64 tag) { return u32(tag & 0x7F); }
inline constexpr u32 tag_caps(u64 tag) { return u32(tag >> 8 & 7); }
// Bits a tag may have set; any other is -kInvalid.
constexpr u64 kTagValidBits = 0xFFFFFFFF00000000ull | kTagTimeout | 0x77Full;

// The label of a message that is really a notification: a thread waiting on
// an endpoint with a bound notification receives this tag (0 words) and the
// notification's bits as the badge.
constexpr u32 kLabelNotification = 0xFFFFFFFF;

// Each thread registers one IPC buffer (ipc_buffer); the kernel reads words
// kRegisterWords.. and caps[] of a message from the sender's buffer and
// writes them to the receiver's. A 32-bit task has no registers to spare:
// all its words, and the received tag and badge, go through the buffer.
struct IpcBuffer {
    u64 words[kMaxWords];
    u64 caps[kMaxCaps];       // send: slots of the capabilities to transfer
    u64 recv_slots[kMaxCaps]; // receive: where received capabilities go (0: any free slot)
    u64 timeout_ns;           // with kTagTimeout in the tag
    u64 tag;                  // 32-bit tasks: the received tag
    u64 badge;                // 32-bit tasks: the received badge
    u64 recv_caps[kMaxCaps];  // receive: the slots the received capabilities went to
};
static_assert(sizeof(IpcBuffer) == 8 * (kMaxWords + 3 * kMaxCaps + 3));

// Register convention of ipc_send, ipc_call, ipc_reply_recv, ipc_recv and
// ipc_reply for 64-bit tasks (none of them one SYSRET or SYSEXIT needs):
//   in:  RDI cap slot, RSI tag, R10 R8 R9 R12 words 0..3
//   out: RAX 0 or -Error, RDI badge, RSI tag, R10 R8 R9 R12 words 0..3
// (ipc_send and ipc_reply leave RDI..R9 as they were). 32-bit tasks pass
// the cap slot and the tag as the first two argument slots; words, received
// tag and badge are in the IPC buffer.

// ipc_recv / notify_wait flags: do not wait at all, or (ipc_recv) wait at
// most the IPC buffer's timeout_ns.
constexpr u32 kRecvNonBlocking = 1;
constexpr u32 kRecvTimeout = u32(kTagTimeout);

// --- Fast-path statistics (ipc_stats) ------------------------------------

// Why a call or reply_recv took the general path; counted per CPU. The
// fast path's conditions are checked in this order (docs/ipc.md).
enum FastMiss : u8 {
    kMissEntry = 0,       // not a 64-bit SYSCALL or SYSENTER entry
    kMissLongMessage,     // more than kRegisterWords words, or the timeout flag
    kMissCapTransfer,     // the message carries capabilities
    kMissBadCap,          // the slot is not an endpoint with the send right (an error follows)
    kMissNoReceiver,      // no thread waiting on the endpoint
    kMissOtherCpu,        // the receiver last ran on (or may only run on) another CPU
    kMissPriority,        // the receiver's priority is below the caller's
    kMissBoundNotification,  // reply_recv: a bound notification has bits pending
    kMissNoCaller,        // reply_recv: no call to answer, or the caller is gone
    kMissSenderWaiting,   // reply_recv: a sender is queued, so the server does not block
    kMissSwitch,          // the receiver could not be switched to at once (woken instead)
    kMissOff,             // forced off (ipc_fastpath=off) or the call is traced
    kFastMisses,
};
inline constexpr const char* kFastMissNames[kFastMisses] = {
    "entry",        "long",     "caps",    "badcap", "noreceiver", "othercpu", "priority",
    "notification", "nocaller", "pending", "switch", "off"};

struct IpcStats {
    u64 fast_calls;          // call: switched straight to the receiver
    u64 fast_replies;        // reply_recv: switched straight back to the caller
    u64 slow_calls;          // call and reply_recv through the general path
    u64 sends, receives, notifications;
    u64 misses[kFastMisses];
};

// --- Tasks -----------------------------------------------------------------

// task_start flags.
constexpr u32 kTaskPrivileged = 1;  // may make the privileged calls (init's helpers: the shell)

// What thread_list reports per thread.
enum ThreadStateCode : u8 { kThreadNew, kThreadReady, kThreadRunning, kThreadBlocked, kThreadWaking, kThreadDead };
inline constexpr const char* kThreadStateNames[] = {"new", "ready", "running", "blocked", "waking", "dead"};
struct ThreadInfo {
    u64 task_id;  // 0: a kernel thread
    u64 tid;
    char name[24];  // the task's name (kernel threads: their own)
    u32 cpu;        // where it runs or last ran
    u8 state;       // ThreadStateCode
    u8 priority;
    u8 compat;      // a 32-bit task
    u8 privileged;
    u64 switches;
    u64 runtime_ns;
};

}  // namespace abi
