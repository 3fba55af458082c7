// The call generator (generator.h). Arguments come from the types and names
// of abi::kSyscalls; a few calls get hand-written constraints on top, each
// there so that the call cannot block forever, unmap or overwrite the
// fuzzer's own memory, destroy its capabilities or start a thread anywhere
// but at a function that exits at once.
#include "servers/fuzz/generator.h"

#include "lib/abi/ipc.h"
#include "lib/abi/syscall_table.h"
#include "lib/kstd/string.h"

namespace fuzz {

namespace {

constexpr u64 kPage = 4096;
constexpr u64 kUserTop = 0x0000800000000000ull;  // the canonical boundary
constexpr u64 kVmWindowMax = 256ull << 20;       // what vm_alloc and vm_map accept at most

// Numbers every argument of an integer type draws from now and then: the
// edges of signed and unsigned 32- and 64-bit ranges, page sizes, and
// addresses that are kernel, non-canonical or the last user page.
constexpr u64 kBoundary[] = {
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x100,
    0xfff,
    0x1000,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000ull,
    u64(1) << 63,
    ~u64(0),
    ~u64(0) - 1,
    0x7fffffffffffffffull,
    0xffff800000000000ull,
    0xffffffff80000000ull,
    0x0000800000000000ull,
    0x00007ffffffff000ull,
    0x00007fffffffffffull,
};

// Addresses no call may succeed with: kernel, non-canonical.
constexpr u64 kKernelAddresses[] = {0xffff800000000000ull, 0xffffffff80000000ull, 0xfffffffffffff000ull,
                                    ~u64(0) - 7, u64(1) << 63};
constexpr u64 kNonCanonical[] = {0x0000800000000000ull, 0x0000800000001000ull, 0x8000000000000000ull,
                                 0x00ff000000000000ull};
// Unmapped user addresses: page 0, below the program, a hole nothing maps,
// the last page below the canonical boundary (the fuzzer never maps it).
constexpr u64 kHole = 0x0000400000000000ull;
constexpr u64 kUnmapped[] = {0, 8, 0x1000, kHole, kHole + 0x12340, 0x00007ffffffff000ull, 0x00007ffffffffff8ull};
constexpr u64 kEntryPage = abi::kEntryPage64;  // read-only and executable: writes fail

// Slots past the capability space, some of which name an own slot in their
// low 32 bits (a kernel that truncated would hit it).
constexpr u64 kBadSlots[] = {abi::kCapSlots, abi::kCapSlots + 1, 0x1ff, 0x100000000ull | kSlotEndpoint,
                             u64(1) << 40, ~u64(0), u64(1) << 63, 0x8000000000000000ull | kSlotNotification};

// Call numbers past the table; 1 << 32 | probe answers like probe where the
// number is cut to 32 bits.
constexpr u64 kUnknownCalls[] = {abi::kSysCount, abi::kSysCount + 7, 0xff, 0xffffffff,
                                 0x100000000ull | abi::kSysProbe, u64(1) << 63, ~u64(0)};

bool named(const abi::SyscallInfo& info, u32 i, const char* name) {
    return info.arg_names[i] && kstd::strcmp(info.arg_names[i], name) == 0;
}

bool narrow(abi::ArgType t) {
    return t == abi::ArgType::kU32 || t == abi::ArgType::kI32 || t == abi::ArgType::kBits32;
}

}  // namespace

u64 stream_seed(u64 seed, u32 index) {
    Rng r(seed ^ (u64(index) + 1) * 0xD1B54A32D192ED03ull);
    r.next();
    return r.next();
}

bool is_slot_arg(const char* name) {
    const char* kNames[] = {"cap", "slot", "src", "dst", "task", "irq_cap", "notification"};
    for (const char* n : kNames)
        if (kstd::strcmp(name, n) == 0) return true;
    return false;
}

Generator::Generator(u64 seed, u32 index, const Layout& layout) : rng_(stream_seed(seed, index)), layout_(layout) {}

u64 Generator::number(abi::ArgType t) {
    u64 v;
    switch (rng_.below(8)) {
    case 0:
    case 1:
    case 2: v = pick(kBoundary, sizeof kBoundary / 8); break;
    case 3: v = rng_.below(64); break;
    case 4: v = (u64(1) << rng_.below(64)) + (rng_.below(3) - 1); break;
    default: v = rng_.next(); break;
    }
    // A 32-bit argument is the low half of its register; the kernel must
    // ignore the rest, so put junk there now and then.
    if (narrow(t)) {
        v &= 0xffffffff;
        if (rng_.one_in(4)) v |= rng_.next() << 32;
    }
    return v;
}

u64 Generator::slot(bool destroy, bool dst) {
    u64 r = rng_.below(16);
    if (r < 9) return kFuzzFirst + rng_.below(kFuzzLast - kFuzzFirst + 1);
    if (r == 9) return pick(kBadSlots, sizeof kBadSlots / 8);
    if (r == 10) return 0;
    if (destroy || dst) return kFuzzFirst + rng_.below(kFuzzLast - kFuzzFirst + 1);
    // Using (not destroying) a capability: the fuzzer's own ones too, and
    // the low slots where copies and transferred capabilities land.
    if (r < 14) return kOwnFirst + rng_.below(5);
    return rng_.one_in(2) ? 1 + rng_.below(7) : 16 + rng_.below(48);
}

u64 Generator::bad_address() {
    switch (rng_.below(3)) {
    case 0: return pick(kKernelAddresses, sizeof kKernelAddresses / 8);
    case 1: return pick(kNonCanonical, sizeof kNonCanonical / 8);
    default: return pick(kUnmapped, sizeof kUnmapped / 8);
    }
}

// Memory the kernel reads: the scratch buffer, the read-only table, the
// window (mapped or not), or an address that faults (bad).
u64 Generator::in_pointer(u64& room, bool& bad) {
    bad = false;
    u64 r = rng_.below(12);
    if (r < 5) {
        u64 off = rng_.below(layout_.scratch_bytes);
        room = layout_.scratch_bytes - off;
        return layout_.scratch + off;
    }
    if (r == 5) {
        room = 256;
        return layout_.readonly + rng_.below(64);
    }
    if (r == 6) {
        u64 off = rng_.below(layout_.window_bytes);
        room = layout_.window_bytes - off;
        return layout_.window + off;
    }
    bad = true;
    room = 0;
    return bad_address();
}

// Memory the kernel writes: the scratch buffer (at least min_bytes of it
// left), the window, or an address that faults (bad: read-only ones too).
u64 Generator::out_pointer(u64 min_bytes, u64& room, bool& bad) {
    bad = false;
    u64 r = rng_.below(12);
    if (r < 6) {
        u64 off = rng_.below(layout_.scratch_bytes - min_bytes + 1);
        if (!rng_.one_in(4)) off &= ~u64(7);
        room = layout_.scratch_bytes - off;
        return layout_.scratch + off;
    }
    if (r == 6) {
        u64 off = rng_.below(layout_.window_bytes - min_bytes + 1);
        room = layout_.window_bytes - off;
        return layout_.window + off;
    }
    bad = true;
    room = 0;
    if (r == 7) return layout_.readonly;
    if (r == 8) return kEntryPage + rng_.below(64);
    return bad_address();
}

// A length for a buffer with `room` bytes behind it: never more than that
// where the buffer is real memory. With a bad buffer, any non-zero length
// makes the call fail for sure.
u64 Generator::length(u64 room, bool bad, bool& certain) {
    u64 len;
    if (!bad) {
        switch (rng_.below(4)) {
        case 0: len = 0; break;
        case 1: len = room; break;
        default: len = rng_.below(room + 1); break;
        }
        return len;
    }
    len = rng_.one_in(2) ? 1 + rng_.below(4096) : number(abi::ArgType::kUsize);
    if (len) certain = true;
    return len;
}

u64 Generator::affinity(bool& bad) {
    const u64 online = layout_.online_mask;
    u64 v;
    switch (rng_.below(10)) {
    case 0:
    case 1:
    case 2:
    case 3: v = rng_.next() & online; break;
    case 4: v = online & (u64(1) << rng_.below(64)); break;
    case 5: v = online; break;
    case 6: v = ~u64(0); break;
    case 7: v = 0; break;
    default: v = ~online & (rng_.next() | u64(1) << 63); break;
    }
    if (v == 0 && rng_.one_in(2)) v = online & -online;  // the lowest online CPU
    bad = (v & online) == 0;
    return v;
}

// A priority from lowest..kMaxPriority, or one past the range (bad), or a
// valid one with junk in the upper half of the register (ignored).
u64 Generator::priority(u32 lowest, bool& bad) {
    bad = false;
    u64 r = rng_.below(10);
    u64 v = lowest + rng_.below(abi::kMaxPriority - lowest + 1);
    if (r < 7) return v;
    if (r == 7) return v | rng_.next() << 32;
    constexpr u64 kBadPriorities[] = {abi::kPriorities, abi::kPriorities + 1, 0xff, 0x7fffffff, 0x80000000,
                                      0xffffffff};
    bad = true;
    return pick(kBadPriorities, sizeof kBadPriorities / 8);
}

// A thread id: 0 (the caller), the caller's own, a child's, a sibling
// worker's (never for thread_join: two workers joining each other would
// wait forever), or one that cannot exist (bad).
u64 Generator::tid(CallSpec& c, u32 reg, bool joinable, bool& bad) {
    bad = false;
    u64 r = rng_.below(10);
    if (r < 4) {
        c.refs[reg] = Ref::kChild;
        return rng_.below(8);
    }
    if (r == 4) {
        c.refs[reg] = Ref::kSelf;
        return 0;
    }
    if (r == 5 && !joinable) {
        c.refs[reg] = Ref::kWorker;
        return rng_.below(layout_.workers);
    }
    if (r == 6 && !joinable) return 0;
    // Thread ids are counted from 1 and never get near 2^32.
    bad = true;
    constexpr u64 kBadTids[] = {0x100000000ull, 0xffffffff00000000ull, ~u64(0), u64(1) << 63,
                                0x0000deadbeef0000ull};
    return pick(kBadTids, sizeof kBadTids / 8) ^ rng_.below(16);
}

// A message tag: mostly valid (0..4 words, sometimes up to 64, 0..4 caps),
// sometimes with a bit or a count no tag may have (bad).
u64 Generator::tag(bool& bad) {
    u32 words = rng_.one_in(4) ? u32(rng_.below(abi::kMaxWords + 1)) : u32(rng_.below(abi::kRegisterWords + 1));
    u32 caps = rng_.one_in(4) ? u32(rng_.below(abi::kMaxCaps + 1)) : 0;
    u64 t = abi::make_tag(u32(rng_.next()), words, caps);
    bad = false;
    switch (rng_.below(12)) {
    case 0: t |= u64(1) << 7; bad = true; break;                       // not a field
    case 1: t |= u64(1) << (13 + rng_.below(19)); bad = true; break;    // between timeout and label
    case 2: t = (t & ~u64(0x7f)) | (abi::kMaxWords + 1 + rng_.below(63)); bad = true; break;  // > 64 words
    case 3: t = (t & ~u64(0x700)) | u64(5 + rng_.below(3)) << 8; bad = true; break;            // > 4 caps
    default: break;
    }
    return t;
}

// Arguments by type and name; every register past the call's arguments
// gets junk (the kernel must not look at it).
void Generator::generic(CallSpec& c) {
    const abi::SyscallInfo& info = abi::kSyscalls[c.nr];
    u64 room = 0;
    bool ptr_bad = false, after_ptr = false;
    for (u32 i = 0; i < info.argc; i++) {
        abi::ArgType t = info.types[i];
        const char* name = info.arg_names[i];
        bool bad = false;
        u64 v;
        if (c.privileged) {
            v = number(t);
        } else if (t == abi::ArgType::kUword && is_slot_arg(name)) {
            bool destroy = c.nr == abi::kSysCapDelete || c.nr == abi::kSysCapRevoke ||
                           (c.nr == abi::kSysCapMove && named(info, i, "src"));
            v = slot(destroy, named(info, i, "dst"));
            bad = v >= abi::kCapSlots;
        } else if (t == abi::ArgType::kInPtr) {
            v = in_pointer(room, ptr_bad);
            after_ptr = true;
            if (i + 1 == info.argc || !named(info, i + 1, "len")) bad = ptr_bad;
        } else if (t == abi::ArgType::kOutPtr) {
            bool has_len = i + 1 < info.argc && named(info, i + 1, "len");
            v = out_pointer(has_len ? 0 : 512, room, ptr_bad);
            after_ptr = true;
            if (!has_len) bad = ptr_bad;
        } else if (after_ptr && t == abi::ArgType::kUsize && named(info, i, "len")) {
            v = length(room, ptr_bad, bad);
            after_ptr = false;
        } else if (named(info, i, "priority")) {
            v = priority(8, bad);
        } else if (named(info, i, "affinity") || named(info, i, "mask")) {
            v = affinity(bad);
        } else if (named(info, i, "tid")) {
            v = tid(c, i, c.nr == abi::kSysThreadJoin, bad);
        } else {
            v = number(t);
        }
        c.regs[i] = v;
        c.certain_error = c.certain_error || bad;
    }
    for (u32 i = info.argc; i < kRegs; i++) c.regs[i] = number(abi::ArgType::kU64);
}

// An address range for vm_map / vm_unmap / vm_protect: inside the window
// (any part of it may be mapped by another worker meanwhile), or one no call
// may accept: unaligned, kernel, non-canonical, or wrapping past the top.
void Generator::window_range(CallSpec& c) {
    const u64 pages = layout_.window_bytes / kPage;
    u64 page = rng_.below(pages);
    u64 addr = layout_.window + page * kPage;
    // Mostly a few pages: each mapped page costs a frame and a clear, and
    // each replaced or unmapped one a TLB shootdown that takes milliseconds
    // under emulation; now and then up to the rest of the window.
    const u64 room = (pages - page) * kPage;
    u64 span = rng_.one_in(32) ? 256 * kPage : rng_.one_in(8) ? 64 * kPage : 4 * kPage;
    if (span > room) span = room;
    u64 bytes = 1 + rng_.below(span);
    if (rng_.one_in(2)) bytes = (bytes + kPage - 1) & ~(kPage - 1);
    switch (rng_.below(12)) {
    case 0: addr += 1 + rng_.below(kPage - 1); c.certain_error = true; break;
    case 1: addr = pick(kKernelAddresses, sizeof kKernelAddresses / 8) & ~(kPage - 1); c.certain_error = true; break;
    case 2: addr = pick(kNonCanonical, sizeof kNonCanonical / 8) & ~(kPage - 1); c.certain_error = true; break;
    case 3: {
        constexpr u64 kWrapping[] = {~u64(0) - (kPage - 1), u64(1) << 63, kUserTop};
        bytes = rng_.one_in(2) ? pick(kWrapping, sizeof kWrapping / 8) : (kUserTop - addr) + kPage;
        c.certain_error = true;
        break;
    }
    default: break;
    }
    c.regs[kRdi] = addr;
    c.regs[kRsi] = bytes;
}

void Generator::ipc(CallSpec& c) {
    bool bad = false;
    c.timeout_ns = rng_.one_in(3) ? 0 : rng_.below(kMaxTimeoutNs);
    for (u32 i = 0; i < abi::kMaxCaps; i++) {
        c.send_caps[i] = slot(false, false);
        c.recv_slots[i] = rng_.one_in(2) ? 0 : slot(false, true);
    }
    switch (c.nr) {
    case abi::kSysIpcSend:
    case abi::kSysIpcCall:
        // With the timeout flag the call waits at most timeout_ns, for the
        // receiver and (ipc_call) for the answer. A call with timeout 0
        // still waits for its answer without a deadline once a receiver
        // took it: never 0 there.
        c.regs[kRsi] = tag(bad) | abi::kTagTimeout;
        if (c.nr == abi::kSysIpcCall && c.timeout_ns == 0) c.timeout_ns = 1 + rng_.below(kMaxTimeoutNs);
        break;
    case abi::kSysIpcRecv: {
        u64 flags = rng_.one_in(2) ? abi::kRecvNonBlocking : abi::kRecvTimeout;
        if (rng_.one_in(4)) {
            // The ping endpoint always gets a message soon: wait on it.
            c.regs[kRdi] = kSlotPing;
            if (rng_.one_in(2)) flags = 0;
        }
        if (rng_.one_in(8)) {
            flags |= u64(1) << (1 + rng_.below(31));
            bad = (flags & ~u64(abi::kRecvNonBlocking | abi::kRecvTimeout)) != 0;
        }
        c.regs[kRsi] = flags;
        break;
    }
    case abi::kSysIpcReply:
        if (rng_.one_in(2)) c.regs[kRdi] = 0;  // the last call received
        c.regs[kRsi] = tag(bad);
        break;
    case abi::kSysIpcReplyRecv:
        // Its receive always blocks: only on the ping endpoint, or with a
        // tag that fails before it gets there.
        if (rng_.one_in(2)) {
            c.regs[kRdi] = kSlotPing;
            c.regs[kRsi] = tag(bad);
            if (bad) c.regs[kRsi] = abi::make_tag(u32(rng_.next()), u32(rng_.below(abi::kRegisterWords + 1)));
            bad = false;
        } else {
            c.regs[kRsi] = tag(bad) | u64(1) << 7;
            bad = true;
        }
        break;
    case abi::kSysNotifyWait: {
        u64 flags = abi::kRecvNonBlocking;
        if (rng_.one_in(4)) {
            c.regs[kRdi] = kSlotPingNote;  // signalled all the time: may block
            if (rng_.one_in(2)) flags = 0;
        }
        if (rng_.one_in(8)) {
            flags |= u64(1) << (1 + rng_.below(31));
            bad = true;
        }
        c.regs[kRsi] = flags;
        break;
    }
    default: break;
    }
    // The slot may have been replaced above: judge it again.
    c.certain_error = bad || c.regs[kRdi] >= abi::kCapSlots;
}

// The hand-written constraints, applied over generic()'s arguments.
void Generator::constrain(CallSpec& c) {
    bool bad = false;
    switch (c.nr) {
    case abi::kSysDebugWrite:
        // Nothing reaches the console: readable buffers get length 0.
        if (c.regs[kRdi] >= kUserTop || c.regs[kRdi] < 0x400000 ||
            (c.regs[kRdi] >= kHole && c.regs[kRdi] < kHole + 0x100000)) {
            c.certain_error = c.regs[kRsi] != 0;
        } else {
            c.regs[kRsi] = 0;
            c.certain_error = false;
        }
        break;
    case abi::kSysKlogRead:
        // A readable buffer would make the fuzzer the kernel log's printer.
        c.regs[kRdi] = bad_address();
        c.regs[kRsi] = 1 + rng_.below(4096);
        c.certain_error = true;
        break;
    case abi::kSysSleep:
        c.regs[kRdi] = rng_.one_in(4) ? rng_.below(2) : rng_.below(kMaxSleepNs);
        break;
    case abi::kSysThreadCreate: {
        c.certain_error = false;
        // Every child that starts is a kernel log line when it ends: most
        // of these calls are refused for their entry.
        u64 r = rng_.below(10);
        c.regs[kRdi] = r < 3 ? layout_.child_entry : pick(kKernelAddresses, sizeof kKernelAddresses / 8);
        if (r >= 3) c.certain_error = true;
        u64 slots = layout_.stack_bytes / 256;
        u64 top = layout_.stacks + (1 + rng_.below(slots)) * 256;
        switch (rng_.below(10)) {
        case 0: top = 0; break;  // the child never touches its stack
        case 1: top += 8; c.certain_error = true; break;
        case 2: top = pick(kKernelAddresses, sizeof kKernelAddresses / 8) & ~u64(15); c.certain_error = true; break;
        default: break;
        }
        c.regs[kRsi] = top;
        c.regs[kR10] = priority(abi::kDefaultPriority, bad);
        c.certain_error = c.certain_error || bad;
        c.regs[kR8] = affinity(bad);
        c.certain_error = c.certain_error || bad;
        break;
    }
    case abi::kSysVmAlloc: {
        u64 bytes = 1 + rng_.below(kVmAllocMax);
        u64 cost = ((bytes + kPage - 1) & ~(kPage - 1)) + kPage;
        if (rng_.one_in(2) && cost <= vm_alloc_left_) {
            vm_alloc_left_ -= cost;
            c.regs[kRdi] = bytes;
        } else {
            constexpr u64 kTooBig[] = {0, kVmWindowMax + 1, 0x80000000, u64(1) << 63, ~u64(0)};
            c.regs[kRdi] = pick(kTooBig, sizeof kTooBig / 8);
            c.certain_error = true;
        }
        c.regs[kRsi] = rng_.below(4);
        if (rng_.one_in(8)) {
            c.regs[kRsi] |= u64(1) << (2 + rng_.below(30));
            c.certain_error = true;
        }
        break;
    }
    case abi::kSysVmMap:
    case abi::kSysVmUnmap:
    case abi::kSysVmProtect:
        c.certain_error = false;
        window_range(c);
        if (c.nr != abi::kSysVmUnmap) {
            u64 prot = rng_.below(4);
            if (c.nr == abi::kSysVmMap && rng_.one_in(2)) prot |= abi::kMapReplace;
            if (rng_.one_in(8)) {
                prot |= u64(1) << (2 + rng_.below(30));
                c.certain_error = c.certain_error || (prot & ~u64(3 | abi::kMapReplace)) != 0;
            }
            c.regs[kRdx] = prot;
        }
        break;
    case abi::kSysIpcBuffer: {
        c.certain_error = true;
        switch (rng_.below(9)) {
        case 0: c.regs[kRdi] = layout_.ipc_buffer; c.certain_error = false; break;
        case 1: c.regs[kRdi] = 0; c.certain_error = false; break;
        case 2:
            c.regs[kRdi] = layout_.scratch + (rng_.below(layout_.scratch_bytes - sizeof(abi::IpcBuffer)) & ~u64(7));
            c.certain_error = false;
            break;
        case 3: c.regs[kRdi] = layout_.ipc_buffer + 1 + rng_.below(7); break;
        case 4: c.regs[kRdi] = layout_.readonly; break;
        case 5: c.regs[kRdi] = 0x00007ffffffffff8ull; break;
        default: c.regs[kRdi] = bad_address() & ~u64(7); if (c.regs[kRdi] == 0) c.regs[kRdi] = kHole; break;
        }
        break;
    }
    default: break;
    }
    if (abi::kSyscalls[c.nr].flags & abi::kSysFlagMessage || c.nr == abi::kSysNotifyWait) ipc(c);
}

CallSpec Generator::next() {
    CallSpec c{};
    issued_++;
    c.path = Path(rng_.below(u64(Path::kCount)));
    if (rng_.one_in(50)) {
        c.nr = pick(kUnknownCalls, sizeof kUnknownCalls / 8);
        c.unknown_nr = true;
        // Arguments that no call could use, should the number be misread.
        for (u32 i = 0; i < kRegs; i++) c.regs[i] = pick(kKernelAddresses, sizeof kKernelAddresses / 8);
        return c;
    }
    for (;;) {
        c.nr = rng_.below(abi::kSysCount);
        u8 flags = abi::kSyscalls[c.nr].flags;
        if (!(flags & abi::kSysFlagNoReturn)) break;
        // shutdown: refused to an unprivileged task; now and then.
        if (flags & abi::kSysFlagPrivileged && rng_.one_in(8)) break;
    }
    c.privileged = abi::kSyscalls[c.nr].flags & abi::kSysFlagPrivileged;
    generic(c);
    if (!c.privileged) constrain(c);
    return c;
}

u64 hash_call(u64 h, const CallSpec& c) {
    auto mix = [&h](u64 v) {
        for (u32 i = 0; i < 8; i++) {
            h ^= (v >> (8 * i)) & 0xff;
            h *= 0x100000001b3ull;
        }
    };
    mix(c.nr);
    for (u32 i = 0; i < kRegs; i++) mix(c.regs[i] ^ u64(c.refs[i]) << 56);
    return h;
}

}  // namespace fuzz
