// The fuzzer's call generator: from a seed and a thread index, a stream of
// system calls (number, entry path, the seven registers they take) with
// random and boundary arguments chosen by the argument types of
// abi::kSyscalls, and constrained so that no call can hurt the fuzzer
// itself (slots, addresses, timeouts; see generator.cpp). The stream never
// looks at results: values that only exist at run time (a child's thread
// id, a sibling's) are references the worker resolves, so the sequence is a
// pure function of (seed, thread index, Layout) and a replay with the same
// seed issues the same calls. Freestanding; host-tested.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/abi/syscall_info.h"
#include "lib/kstd/types.h"

namespace fuzz {

// splitmix64: small, fast, every seed (0 too) is a good one.
class Rng {
public:
    explicit Rng(u64 seed) : state_(seed) {}
    u64 next() {
        u64 z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    u64 below(u64 n) { return n ? next() % n : 0; }
    bool one_in(u64 n) { return below(n) == 0; }

private:
    u64 state_;
};

// The stream of thread `index` under `seed` (distinct per thread).
u64 stream_seed(u64 seed, u32 index);

// How a call enters the kernel. The worker maps the SYSENTER ones to
// SYSCALL / the int 0x80 variant on CPUs without SYSENTER in 64-bit mode.
enum class Path : u8 { kSyscall, kSysenter, kInt80, kPage, kPageSyscall, kPageSysenter, kPageInt80, kCount };
inline constexpr const char* kPathNames[u32(Path::kCount)] = {
    "syscall", "sysenter", "int80", "page", "page_syscall", "page_sysenter", "page_int80"};

// A register whose value is known only at run time.
enum class Ref : u8 {
    kNone,    // the value itself
    kChild,   // value = an index: one of this worker's own children (its tid)
    kWorker,  // value = a worker index: that worker's tid
    kSelf,    // the calling thread's tid
};

// Registers of a call, in the order the entry harness loads them: the
// argument registers RDI RSI RDX R10 R8 R9, then R12 (the fourth message
// word of the IPC calls; junk for the others).
constexpr u32 kRegs = 7;
constexpr u32 kRdi = 0, kRsi = 1, kRdx = 2, kR10 = 3, kR8 = 4, kR9 = 5, kR12 = 6;

// Capability slots. The fuzzer's own objects sit in kOwnFirst..kOwnLast and
// are never passed to cap_delete, cap_move or cap_revoke; random slots come
// from the fuzz range or are out of range.
constexpr u64 kSlotEndpoint = 8;      // E: a helper thread answers calls on it
constexpr u64 kSlotNotification = 9;  // N: only the final check waits on it
constexpr u64 kSlotSendOnly = 10;     // E with the send right only
constexpr u64 kSlotPing = 11;         // P: a pinger thread keeps sending on it
constexpr u64 kSlotPingNote = 12;     // Q: the pinger keeps signalling it
constexpr u64 kOwnFirst = 8, kOwnLast = 15;
constexpr u64 kFuzzFirst = 64, kFuzzLast = abi::kCapSlots - 1;

// IPC timeouts the generator picks stay below this: no call waits longer.
constexpr u64 kMaxTimeoutNs = 2'000'000;
constexpr u64 kMaxSleepNs = 1'000'000;
// What vm_alloc may take per thread over a whole run (it is never freed).
constexpr u64 kVmAllocBudget = 2ull << 20;
constexpr u64 kVmAllocMax = 64ull << 10;

// Where things are, as the generator may use them. The runtime fills it
// from its own static layout; host tests use made-up values.
struct Layout {
    u64 scratch, scratch_bytes;  // this thread's scratch buffer (out_ptr targets)
    u64 ipc_buffer;              // this thread's registered abi::IpcBuffer
    u64 window, window_bytes;    // the vm_* fuzz window: holds nothing of the fuzzer's
    u64 readonly;                // a read-only table (readable; writes must fail)
    u64 child_entry;             // thread_create's entry: a function that exits at once
    u64 stacks, stack_bytes;     // a pool of stacks for children (16-aligned)
    u64 online_mask;             // online CPUs
    u32 workers;                 // Ref::kWorker indexes 0..workers-1
};

struct CallSpec {
    u64 nr;
    Path path;
    u64 regs[kRegs];
    Ref refs[kRegs];
    // IPC calls: the IPC buffer's timeout_ns, caps[] and recv_slots[].
    u64 timeout_ns;
    u64 send_caps[abi::kMaxCaps];
    u64 recv_slots[abi::kMaxCaps];
    bool certain_error;   // some argument makes success impossible
    bool privileged;      // the answer must be -kPermission
    bool unknown_nr;      // past the table: the answer must be -kNoSys
};

class Generator {
public:
    Generator(u64 seed, u32 index, const Layout& layout);
    CallSpec next();
    u64 issued() const { return issued_; }

private:
    u64 number(abi::ArgType t);
    u64 pick(const u64* values, u64 n) { return values[rng_.below(n)]; }
    u64 slot(bool destroy, bool dst);
    u64 bad_address();
    u64 in_pointer(u64& room, bool& bad);
    u64 out_pointer(u64 min_bytes, u64& room, bool& bad);
    u64 length(u64 room, bool bad, bool& certain);
    u64 affinity(bool& bad);
    u64 priority(u32 lowest, bool& bad);
    u64 tid(CallSpec& c, u32 reg, bool joinable, bool& bad);
    u64 tag(bool& bad);
    void generic(CallSpec& c);
    void constrain(CallSpec& c);
    void window_range(CallSpec& c);
    void ipc(CallSpec& c);

    Rng rng_;
    Layout layout_;
    u64 issued_ = 0;
    u64 vm_alloc_left_ = kVmAllocBudget;
};

// FNV-1a over a call as generated (references stay symbolic): the per-thread
// fingerprint a replay compares.
u64 hash_call(u64 h, const CallSpec& c);
constexpr u64 kHashStart = 0xcbf29ce484222325ull;

// The slot-naming argument names of syscalls.def (a uword that is a slot).
bool is_slot_arg(const char* name);

}  // namespace fuzz
