// The IPC and capability system calls (lib/abi/syscalls.def 21-48): argument
// checks and the user side of messages; the mechanisms are in ipc.cpp and
// cspace.cpp.
#include <stddef.h>

#include "kernel/ipc/ipc_internal.h"
#include "kernel/task/syscall_dispatch.h"
#include "kernel/task/task.h"
#include "lib/abi/syscall.h"
#include "lib/kstd/string.h"

// As in task/syscalls.cpp: a handler that does not match its generated
// declaration is a compile error.
#pragma GCC diagnostic error "-Wmissing-declarations"

namespace ipc {

// Capability operations (cspace.cpp).
i64 cap_op_copy(task::Task* t, u64 src, u64& dst, u32 rights, u64 badge, bool mint);
i64 cap_op_narrow(task::Task* t, u64 src, u64& dst, u64 base, u64 count);
i64 cap_op_move(task::Task* t, u64 src, u64& dst);
i64 cap_op_delete(task::Task* t, u64 index);
i64 cap_op_revoke(task::Task* t, u64 index);
i64 cap_op_info(task::Task* t, u64 index, abi::CapInfo& info);
i64 cap_op_insert(task::Task* t, u64& dst, u8 type, u32 rights, cap::Object* o, u64 badge, u64 base, u64 count);
i64 cap_op_give(task::Task* from, u64 src, task::Task* to, u64& dst, u32 rights, u64 badge);
i64 ioport_enable(task::Task* t, u64 index);
i64 irq_bind(task::Task* t, u64 irq_cap, u32 line, Notification* n, u64 bits);
i64 irq_ack(task::Task* t, u64 irq_cap, u32 line);

namespace {

constexpr u64 kWordsOffset = offsetof(abi::IpcBuffer, words);
constexpr u64 kCapsOffset = offsetof(abi::IpcBuffer, caps);
constexpr u64 kRecvCapsOffset = offsetof(abi::IpcBuffer, recv_caps);

}  // namespace

bool ensure_reply(sched::Thread* t) {
    if (t->ipc.reply) return true;
    Reply* r = new Reply();
    if (!r) return false;
    r->type = abi::kCapReply;
    r->refs = 1;  // the thread's own
    r->caller = t;
    t->ipc.reply = r;
    return true;
}

i64 stage_message(sched::Thread* me, const arch::SyscallRequest& io, u64 tag) {
    if ((tag & ~abi::kTagValidBits) || abi::tag_words(tag) > abi::kMaxWords || abi::tag_caps(tag) > abi::kMaxCaps)
        return -i64(abi::kInvalid);
    KMessage& m = me->ipc.msg;
    u32 words = abi::tag_words(tag);
    u32 caps = abi::tag_caps(tag);
    m.tag = tag;
    u32 first_in_buffer = 0;
    if (!io.compat) {
        for (u32 i = 0; i < abi::kRegisterWords; i++) m.words[i] = io.msg[2 + i];
        first_in_buffer = abi::kRegisterWords;
    }
    bool needs_buffer = words > first_in_buffer || caps;
    if (needs_buffer && !me->ipc.buffer) return -i64(abi::kInvalid);
    if (words > first_in_buffer &&
        !arch::copy_from_user(&m.words[first_in_buffer], me->ipc.buffer + kWordsOffset + first_in_buffer * 8,
                              (words - first_in_buffer) * 8))
        return -i64(abi::kFault);
    if (caps && !arch::copy_from_user(m.caps, me->ipc.buffer + kCapsOffset, caps * 8)) return -i64(abi::kFault);
    return 0;
}

i64 finish_receive(sched::Thread* me, arch::SyscallRequest& io) {
    const KMessage& m = me->ipc.msg;
    u32 words = abi::tag_words(m.tag);
    u32 caps = abi::tag_caps(m.tag);
    u64 buf = me->ipc.buffer;
    u32 first_in_buffer = 0;
    if (!io.compat) {
        io.msg[0] = m.badge;
        io.msg[1] = m.tag;
        // Words past the message are zero, not an earlier message's.
        for (u32 i = 0; i < abi::kRegisterWords; i++) io.msg[2 + i] = i < words ? m.words[i] : 0;
        io.write_msg = true;
        first_in_buffer = abi::kRegisterWords;
    }
    bool needs_buffer = words > first_in_buffer || caps || io.compat;
    if (!needs_buffer) return 0;
    if (!buf) return io.compat ? -i64(abi::kInvalid) : -i64(abi::kFault);
    if (words > first_in_buffer &&
        !arch::copy_to_user(buf + kWordsOffset + first_in_buffer * 8, &m.words[first_in_buffer],
                            (words - first_in_buffer) * 8))
        return -i64(abi::kFault);
    if (caps && !arch::copy_to_user(buf + kRecvCapsOffset, m.caps, caps * 8)) return -i64(abi::kFault);
    if (io.compat) {
        if (!arch::copy_to_user(buf + offsetof(abi::IpcBuffer, tag), &m.tag, 8) ||
            !arch::copy_to_user(buf + offsetof(abi::IpcBuffer, badge), &m.badge, 8))
            return -i64(abi::kFault);
    }
    return 0;
}

i64 deadline_of(sched::Thread* me, u64 tag, u64& deadline, bool& nonblocking) {
    deadline = 0;
    nonblocking = false;
    if (!(tag & abi::kTagTimeout)) return 0;
    u64 timeout;
    if (!me->ipc.buffer) return -i64(abi::kInvalid);
    if (!arch::copy_from_user(&timeout, me->ipc.buffer + offsetof(abi::IpcBuffer, timeout_ns), 8))
        return -i64(abi::kFault);
    if (timeout == 0) {
        nonblocking = true;
        return 0;
    }
    u64 now = arch::time_ns();
    deadline = timeout > ~u64(0) - now ? ~u64(0) : now + timeout;
    return 0;
}

}  // namespace ipc

namespace task {

namespace {

using ipc::Endpoint;
using ipc::Notification;
using sched::Thread;

i64 err(abi::Error e) { return -i64(e); }
Task* self() { return sched::current()->task; }

template <typename T>
T* lookup_as(u64 slot, u8 type, u32 rights, i64& error, cap::Slot* copy = nullptr) {
    return static_cast<T*>(ipc::lookup(self(), slot, type, rights, error, copy));
}

// Runs fn(task) on the live task a task capability names, with the task
// list locked so that it cannot be freed meanwhile.
template <typename F>
i64 with_task_cap(u64 slot, F fn) {
    i64 error;
    auto* ref = lookup_as<ipc::TaskRef>(slot, abi::kCapTask, abi::kRightControl, error);
    if (!ref) return -error;
    u64 id = ref->task_id;
    ipc::put(ref);
    return with_task(id, fn);
}

}  // namespace

i64 sys_ipc_buffer(u64 addr) {
    Thread* me = sched::current();
    if (addr == 0) {
        me->ipc.buffer = 0;
        return 0;
    }
    u64 top = self()->compat ? abi::kCompatTop : arch::kUserTop;
    if (addr % 8 || addr >= top || sizeof(abi::IpcBuffer) > top - addr) return err(abi::kInvalid);
    // Mapped and writable: each page of it read and written back.
    for (u64 a = addr; a < addr + sizeof(abi::IpcBuffer); a = (a & ~u64(4095)) + 4096) {
        u64 v;
        if (!arch::copy_from_user(&v, a, 8) || !arch::copy_to_user(a, &v, 8)) return err(abi::kFault);
    }
    u64 last = addr + sizeof(abi::IpcBuffer) - 8, v;
    if (!arch::copy_from_user(&v, last, 8) || !arch::copy_to_user(last, &v, 8)) return err(abi::kFault);
    me->ipc.buffer = addr;
    return 0;
}

i64 sys_endpoint_create(u64 dst) {
    static u64 next_id = 1;
    auto* ep = new Endpoint();
    if (!ep) return err(abi::kNoMemory);
    ep->type = abi::kCapEndpoint;
    ep->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
    i64 r = ipc::cap_op_insert(self(), dst, abi::kCapEndpoint, abi::kRightsAll, ep, 0, 0, 0);
    if (r < 0) delete ep;
    return r;
}

i64 sys_notification_create(u64 dst) {
    static u64 next_id = 1;
    auto* n = new Notification();
    if (!n) return err(abi::kNoMemory);
    n->type = abi::kCapNotification;
    n->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
    i64 r = ipc::cap_op_insert(self(), dst, abi::kCapNotification, abi::kRightsAll, n, 0, 0, 0);
    if (r < 0) delete n;
    return r;
}

i64 sys_cap_copy(u64 src, u64 dst, u32 rights) { return ipc::cap_op_copy(self(), src, dst, rights, 0, false); }

i64 sys_cap_mint(u64 src, u64 dst, u32 rights, u64 badge) {
    return ipc::cap_op_copy(self(), src, dst, rights, badge, true);
}

i64 sys_cap_narrow(u64 src, u64 dst, u64 base, u64 count) {
    return ipc::cap_op_narrow(self(), src, dst, base, count);
}

i64 sys_cap_move(u64 src, u64 dst) { return ipc::cap_op_move(self(), src, dst); }
i64 sys_cap_delete(u64 slot) { return ipc::cap_op_delete(self(), slot); }
i64 sys_cap_revoke(u64 slot) { return ipc::cap_op_revoke(self(), slot); }

i64 sys_cap_info(u64 slot, u64 info) {
    abi::CapInfo out{};
    // The buffer first: a bad pointer is -kFault whatever the slot.
    if (!copy_to_user(self(), info, &out, sizeof out)) return err(abi::kFault);
    i64 r = ipc::cap_op_info(self(), slot, out);
    if (r < 0) return r;
    return copy_to_user(self(), info, &out, sizeof out) ? 0 : err(abi::kFault);
}

namespace {

// ipc_send and ipc_call: stage the message, resolve the timeout and the
// endpoint, then send (which takes the lookup's reference).
i64 send_message(arch::SyscallRequest& io, u64 cap, u64 tag, bool call) {
    Thread* me = sched::current();
    i64 r = ipc::stage_message(me, io, tag);
    u64 deadline;
    bool nonblocking;
    if (r == 0) r = ipc::deadline_of(me, tag, deadline, nonblocking);
    if (r < 0) return r;
    i64 error;
    cap::Slot slot;
    auto* ep = lookup_as<Endpoint>(cap, abi::kCapEndpoint, abi::kRightSend, error, &slot);
    if (!ep) return -error;
    bool grant = slot.rights & abi::kRightGrant;
    if (abi::tag_caps(tag) && !grant) {
        ipc::put(ep);
        return err(abi::kNoRights);
    }
    return ipc::send(me, ep, slot.badge, grant, call, deadline, nonblocking);
}

}  // namespace

i64 sys_ipc_send(arch::SyscallRequest& io, u64 cap, u64 tag) { return send_message(io, cap, tag, false); }

i64 sys_ipc_recv(arch::SyscallRequest& io, u64 cap, u32 flags) {
    Thread* me = sched::current();
    if (flags & ~(abi::kRecvNonBlocking | abi::kRecvTimeout)) return err(abi::kInvalid);
    u64 deadline;
    bool nonblocking;
    i64 r = ipc::deadline_of(me, flags & abi::kRecvTimeout ? abi::kTagTimeout : 0, deadline, nonblocking);
    if (r < 0) return r;
    nonblocking = nonblocking || (flags & abi::kRecvNonBlocking);
    i64 error;
    auto* ep = lookup_as<Endpoint>(cap, abi::kCapEndpoint, abi::kRightReceive, error);
    if (!ep) return -error;
    r = ipc::receive(me, ep, deadline, nonblocking);  // takes our reference
    return r == 0 ? ipc::finish_receive(me, io) : r;
}

i64 sys_ipc_call(arch::SyscallRequest& io, u64 cap, u64 tag) {
    Thread* me = sched::current();
    if (!ipc::ensure_reply(me)) return err(abi::kNoMemory);
    i64 r = send_message(io, cap, tag, true);
    return r == 0 ? ipc::finish_receive(me, io) : r;
}

i64 sys_ipc_reply(arch::SyscallRequest& io, u64 cap, u64 tag) {
    Thread* me = sched::current();
    i64 r = ipc::stage_message(me, io, tag);
    if (r < 0) return r;
    if (cap == 0) return ipc::reply(me, nullptr, 0);
    i64 error;
    cap::Slot slot;
    auto* saved = lookup_as<ipc::Reply>(cap, abi::kCapReply, abi::kRightSend, error, &slot);
    if (!saved) return -error;
    r = ipc::reply(me, saved, slot.badge);
    ipc::put(saved);
    ipc::cap_op_delete(self(), cap);  // one answer per right
    return r;
}

i64 sys_ipc_reply_recv(arch::SyscallRequest& io, u64 cap, u64 tag) {
    Thread* me = sched::current();
    i64 error;
    auto* ep = lookup_as<Endpoint>(cap, abi::kCapEndpoint, abi::kRightReceive, error);
    if (!ep) return -error;
    i64 r = ipc::stage_message(me, io, tag);
    // The answer goes if it can; a caller that is gone does not stop the loop.
    if (r == 0 && me->ipc.owed) ipc::reply(me, nullptr, 0);
    if (r < 0) {
        ipc::put(ep);
        return r;
    }
    r = ipc::receive(me, ep, 0, false);  // takes our reference
    return r == 0 ? ipc::finish_receive(me, io) : r;
}

i64 sys_ipc_reply_save(u64 dst) {
    Thread* me = sched::current();
    ipc::Reply* owed = me->ipc.owed;
    if (!owed) return err(abi::kNotFound);
    i64 r = ipc::cap_op_insert(self(), dst, abi::kCapReply, abi::kRightSend, owed, me->ipc.owed_seq, 0, 0);
    if (r < 0) return r;
    me->ipc.owed = nullptr;
    ipc::put(owed);  // the slot holds its own reference now
    return r;
}

i64 sys_notify_signal(u64 cap, u64 bits) {
    i64 error;
    cap::Slot slot;
    auto* n = lookup_as<Notification>(cap, abi::kCapNotification, abi::kRightSend, error, &slot);
    if (!n) return -error;
    if ((bits | slot.badge) >> 63) {  // notify_wait returns the bits as a non-negative i64
        ipc::put(n);
        return err(abi::kInvalid);
    }
    ipc::signal(n, bits | slot.badge);
    ipc::put(n);
    return 0;
}

i64 sys_notify_wait(u64 cap, u32 flags) {
    if (flags & ~abi::kRecvNonBlocking) return err(abi::kInvalid);
    i64 error;
    auto* n = lookup_as<Notification>(cap, abi::kCapNotification, abi::kRightReceive, error);
    if (!n) return -error;
    i64 r = ipc::wait_notification(sched::current(), n, flags & abi::kRecvNonBlocking);
    ipc::put(n);
    return r;
}

i64 sys_notify_bind(u64 cap) {
    Thread* me = sched::current();
    Notification* n = nullptr;
    if (cap != 0) {
        i64 error;
        n = lookup_as<Notification>(cap, abi::kCapNotification, abi::kRightReceive, error);
        if (!n) return -error;  // the reference taken stays with the binding
    }
    Notification* old = me->ipc.bound;
    if (n) {
        u64 f = arch::irq_save();
        bool taken;
        {
            ksync::SpinGuard g(n->lock);
            taken = n->bound && n->bound != me;
            if (!taken) n->bound = me;
        }
        if (!taken) me->ipc.bound = n;
        arch::irq_restore(f);
        if (taken) {
            ipc::put(n);
            return err(abi::kExists);
        }
    } else {
        me->ipc.bound = nullptr;
    }
    if (old && old != n) {
        u64 f = arch::irq_save();
        {
            ksync::SpinGuard g(old->lock);
            if (old->bound == me) old->bound = nullptr;
        }
        arch::irq_restore(f);
    }
    if (old) ipc::put(old);
    return 0;
}

i64 sys_ioport_enable(u64 cap) { return ipc::ioport_enable(self(), cap); }

i64 sys_irq_bind(u64 irq_cap, u32 irq, u64 notification, u64 bits) {
    i64 error;
    auto* n = lookup_as<Notification>(notification, abi::kCapNotification, abi::kRightSend, error);
    if (!n) return -error;
    i64 r = ipc::irq_bind(self(), irq_cap, irq, n, bits);
    ipc::put(n);
    return r;
}

i64 sys_irq_ack(u64 irq_cap, u32 irq) { return ipc::irq_ack(self(), irq_cap, irq); }

namespace {

i64 create_task_cap(u64 index, u64 dst, const char* cmdline) {
    i64 error = 0;
    Task* t = create_module(index, error, cmdline);
    if (!t) return -error;
    auto* ref = new ipc::TaskRef();
    if (!ref) return err(abi::kNoMemory);
    ref->type = abi::kCapTask;
    ref->task_id = t->id;
    i64 r = ipc::cap_op_insert(self(), dst, abi::kCapTask, abi::kRightsAll, ref, 0, 0, 0);
    if (r < 0) {
        delete ref;
        kill(t, abi::kStatusKilled);  // never started: nothing else would end it
    }
    return r;
}

}  // namespace

i64 sys_task_create(u64 index, u64 dst) { return create_task_cap(index, dst, nullptr); }

i64 sys_task_create_args(u64 index, u64 dst, u64 args, usize len) {
    constexpr usize kMaxArgs = 255;
    char cmdline[kMaxArgs + 1];
    if (len > kMaxArgs) return err(abi::kInvalid);
    if (!copy_from_user(self(), cmdline, args, len)) return err(abi::kFault);
    if (len == 0) return err(abi::kInvalid);
    cmdline[len] = '\0';
    if (kstd::strlen(cmdline) != len) return err(abi::kInvalid);  // a NUL inside
    return create_task_cap(index, dst, cmdline);
}

i64 sys_task_give(u64 task, u64 src, u64 dst, u32 rights, u64 badge) {
    Task* me = self();
    return with_task_cap(task, [&](Task* t) { return ipc::cap_op_give(me, src, t, dst, rights, badge); });
}

i64 sys_task_start(u64 task, u32 priority, u64 affinity, u32 flags) {
    if (priority > abi::kMaxPriority || !(affinity & arch::online_cpus()) || (flags & ~abi::kTaskPrivileged))
        return err(abi::kInvalid);
    bool privileged = flags & abi::kTaskPrivileged;
    if (privileged && !self()->privileged) return err(abi::kPermission);
    Task* claimed = nullptr;
    i64 r = with_task_cap(task, [&](Task* t) {
        claimed = t;
        return claim_start(t);
    });
    return r < 0 ? r : start_claimed(claimed, priority, affinity, privileged);
}

i64 sys_task_kill(u64 task, u64 status) {
    return with_task_cap(task, [&](Task* t) {
        kill(t, status);
        return i64(0);
    });
}

i64 sys_thread_list(u64 buf, usize len) {
    constexpr usize kMax = 256;
    usize want = len / sizeof(abi::ThreadInfo);
    if (want > kMax) want = kMax;
    // The whole buffer is cleared first: a bad one is -kFault, however short.
    static const u8 zeros[256] = {};
    for (usize done = 0; done < len;) {
        usize n = len - done < sizeof zeros ? len - done : sizeof zeros;
        if (!copy_to_user(self(), buf + done, zeros, n)) return err(abi::kFault);
        done += n;
    }
    abi::ThreadInfo* infos = want ? new abi::ThreadInfo[want] : nullptr;
    if (want && !infos) return err(abi::kNoMemory);
    usize total = list_threads(infos, want);
    usize n = total < want ? total : want;
    bool ok = n == 0 || copy_to_user(self(), buf, infos, n * sizeof(abi::ThreadInfo));
    delete[] infos;
    return ok ? i64(total) : err(abi::kFault);
}

i64 sys_ipc_stats(u32 cpu, u64 out) {
    if (cpu >= 64 || !(arch::online_cpus() >> cpu & 1)) return err(abi::kInvalid);
    abi::IpcStats s{};
    ipc::stats(cpu, s);
    return copy_to_user(self(), out, &s, sizeof s) ? 0 : err(abi::kFault);
}

}  // namespace task
