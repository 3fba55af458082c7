// Endpoints, notifications and reply rights: the rendezvous, blocking with
// timeouts, cancellation and the fast path. ipc.h has the locking rules;
// docs/ipc.md the protocol.
#include "kernel/ipc/ipc_internal.h"

#include <stddef.h>

#include "kernel/log.h"
#include "kernel/task/task.h"
#include "kernel/trace/trace.h"
#include "lib/abi/syscall.h"
#include "lib/cmdline.h"
#include "lib/kstd/string.h"

namespace ipc {

using sched::Thread;

namespace {

bool g_fastpath = true;

struct alignas(64) CpuCounters {
    abi::IpcStats s;
};
CpuCounters g_stats[sched::kMaxCpus];

abi::IpcStats& my_stats() { return g_stats[arch::cpu_id()].s; }
void bump(u64& counter) { __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED); }

// --- queues (under the object's lock) ---

void push(Thread*& head, Thread*& tail, Thread* t) {
    t->ipc.next = nullptr;
    if (tail) tail->ipc.next = t;
    else head = t;
    tail = t;
}

Thread* pop(Thread*& head, Thread*& tail) {
    Thread* t = head;
    if (!t) return nullptr;
    head = t->ipc.next;
    if (!head) tail = nullptr;
    t->ipc.next = nullptr;
    return t;
}

bool unlink(Thread*& head, Thread*& tail, Thread* t) {
    Thread* prev = nullptr;
    for (Thread* w = head; w; prev = w, w = w->ipc.next) {
        if (w != t) continue;
        if (prev) prev->ipc.next = w->ipc.next;
        else head = w->ipc.next;
        if (tail == w) tail = prev;
        w->ipc.next = nullptr;
        return true;
    }
    return false;
}

// The first receiver that still waits, its ThreadIpc locked. A receiver a
// signal of its bound notification completed meanwhile is dropped here
// (it leaves the endpoint by itself).
Thread* pop_receiver(Endpoint* ep) {
    while (Thread* r = pop(ep->receivers, ep->receivers_tail)) {
        r->ipc.lock.lock();
        if (!r->ipc.done) return r;
        r->ipc.lock.unlock();
    }
    return nullptr;
}

// The receiver's buffer field at `offset`, read through its own page tables.
u64 receiver_slot(Thread* r, u32 i) {
    u64 slot = 0;
    if (r->ipc.buffer)
        task::copy_from_user(r->task, &slot, r->ipc.buffer + offsetof(abi::IpcBuffer, recv_slots) + i * 8, 8);
    return slot;
}

// Marks every thread queued on a dying endpoint done with kCancelled and
// wakes it; they leave (and the last one frees the endpoint) themselves.
void cancel_all_locked(Endpoint* ep) {
    ep->dead = true;
    Thread** queues[] = {&ep->senders, &ep->receivers};
    for (Thread** q : queues) {
        while (Thread* t = *q) {
            *q = t->ipc.next;
            t->ipc.next = nullptr;
            {
                ksync::SpinGuard g(t->ipc.lock);
                if (!t->ipc.done) {
                    t->ipc.done = true;
                    t->ipc.result = -i64(abi::kCancelled);
                }
            }
            sched::wake(t);
        }
    }
    ep->senders_tail = ep->receivers_tail = nullptr;
}

// A thread that queues on an endpoint gives up the reference its lookup
// took (its place in `waiters` keeps the memory instead), so that the
// endpoint dies, cancelling the wait, when its last capability goes. If
// that reference was the last, it dies now. Under the endpoint's lock.
void queue_on(Endpoint* ep, Thread*& head, Thread*& tail, Thread* me) {
    me->ipc.endpoint = ep;
    ep->waiters++;
    push(head, tail, me);
    if (cap::unref(ep)) cancel_all_locked(ep);
}

// Leaves an endpoint after a wait in its queue (removing the thread if it
// is still there); frees the endpoint if it died and this was the last
// waiter. Interrupts off, no lock held.
void leave_endpoint(Endpoint* ep, Thread* me) {
    bool free_it;
    {
        ksync::SpinGuard g(ep->lock);
        if (!unlink(ep->receivers, ep->receivers_tail, me)) unlink(ep->senders, ep->senders_tail, me);
        free_it = ep->dead && --ep->waiters == 0;
        if (!ep->dead) ep->waiters--;
    }
    if (free_it) delete ep;
}

void leave_notification(Notification* n, Thread* me) {
    bool free_it;
    {
        ksync::SpinGuard g(n->lock);
        unlink(n->waiters_head, n->waiters_tail, me);
        free_it = n->dead && --n->waiters == 0;
        if (!n->dead) n->waiters--;
    }
    if (free_it) delete n;
}

}  // namespace

void init(const char* cmdline) {
    init_caps();
    char v[8];
    if (cmdline::get(cmdline, "ipc_fastpath", v, sizeof v)) g_fastpath = kstd::strcmp(v, "off") != 0;
    klog::report("ipc", "fastpath=%s", g_fastpath ? "on" : "off");
}

void stats(u32 cpu, abi::IpcStats& out) {
    const abi::IpcStats& s = g_stats[cpu].s;
    out.fast_calls = __atomic_load_n(&s.fast_calls, __ATOMIC_RELAXED);
    out.fast_replies = __atomic_load_n(&s.fast_replies, __ATOMIC_RELAXED);
    out.slow_calls = __atomic_load_n(&s.slow_calls, __ATOMIC_RELAXED);
    out.sends = __atomic_load_n(&s.sends, __ATOMIC_RELAXED);
    out.receives = __atomic_load_n(&s.receives, __ATOMIC_RELAXED);
    out.notifications = __atomic_load_n(&s.notifications, __ATOMIC_RELAXED);
    for (u32 i = 0; i < abi::kFastMisses; i++) out.misses[i] = __atomic_load_n(&s.misses[i], __ATOMIC_RELAXED);
}

// --- waiting ---

i64 await(Thread* me, u64 deadline) {
    ThreadIpc& st = me->ipc;
    i64 result;
    for (;;) {
        if (st.done) {
            result = st.result;
            break;
        }
        bool timed_out = sched::block(st.lock, deadline);
        st.lock.lock();
        if (st.done) {
            result = st.result;
            break;
        }
        bool dying = me->task && task::must_exit(me->task);
        if (!timed_out && !dying) continue;  // woken for nothing: wait on
        // Give up. A partner may complete the wait until we hold the
        // object's lock, so look at `done` again under it.
        result = -i64(timed_out ? abi::kTimeout : abi::kCancelled);
        if (st.wait == Wait::kReply) {
            st.reply->seq++;  // the server's right to answer this call is void
            st.done = true;
            st.result = result;
            break;
        }
        st.lock.unlock();
        if (st.endpoint) {
            ksync::SpinGuard g(st.endpoint->lock);
            ksync::SpinGuard g2(st.lock);
            if (!st.done) {
                if (!unlink(st.endpoint->receivers, st.endpoint->receivers_tail, me))
                    unlink(st.endpoint->senders, st.endpoint->senders_tail, me);
                st.done = true;
                st.result = result;
            }
        } else if (st.notification) {
            ksync::SpinGuard g(st.notification->lock);
            ksync::SpinGuard g2(st.lock);
            if (!st.done) {
                unlink(st.notification->waiters_head, st.notification->waiters_tail, me);
                st.done = true;
                st.result = result;
            }
        }
        st.lock.lock();
        result = st.result;
        break;
    }
    st.wait = Wait::kNone;
    Endpoint* ep = st.endpoint;
    Notification* n = st.notification;
    st.endpoint = nullptr;
    st.notification = nullptr;
    st.lock.unlock();
    if (ep) leave_endpoint(ep, me);
    if (n) leave_notification(n, me);
    return result;
}

// --- the rendezvous ---

// Copies a sender's staged message into a receiver's state, transferring
// capabilities; `call` makes the receiver owe the sender an answer. The
// endpoint's lock is held and r's ThreadIpc locked.
OwedReply deliver(Thread* s, u64 badge, bool grant, bool call, Thread* r) {
    OwedReply replaced{};
    const KMessage& in = s->ipc.msg;
    KMessage& out = r->ipc.msg;
    u32 words = abi::tag_words(in.tag);
    for (u32 i = 0; i < words; i++) out.words[i] = in.words[i];
    out.badge = badge;
    u32 moved = 0;
    u32 caps = grant ? abi::tag_caps(in.tag) : 0;
    if (caps) {
        u64 wanted[abi::kMaxCaps];
        for (u32 i = 0; i < caps; i++) wanted[i] = receiver_slot(r, i);
        moved = transfer_caps(s->task, in.caps, caps, r->task, wanted, out.caps);
    }
    out.tag = abi::make_tag(abi::tag_label(in.tag), words, moved);
    if (call) {
        // A right the receiver never used is dropped: its caller is told.
        replaced = {r->ipc.owed, r->ipc.owed_seq};
        r->ipc.owed = s->ipc.reply;
        r->ipc.owed_seq = s->ipc.reply->seq;
        cap::ref(s->ipc.reply);
    }
    return replaced;
}

void drop(OwedReply owed) {
    if (!owed.reply) return;
    cancel_reply(owed.reply, owed.seq);
    put(owed.reply);
}

i64 send(Thread* me, Endpoint* ep, u64 badge, bool grant, bool call, u64 deadline, bool nonblocking) {
    bump(my_stats().sends);
    u64 f = arch::irq_save();
    ep->lock.lock();
    if (ep->dead) {
        ep->lock.unlock();
        arch::irq_restore(f);
        put(ep);
        return -i64(abi::kCancelled);
    }
    if (call) {
        // Waiting for the answer from before anyone can give it.
        ksync::SpinGuard g(me->ipc.lock);
        me->ipc.reply->grant = grant;
        me->ipc.reply->seq++;
        me->ipc.done = false;
        me->ipc.wait = Wait::kReply;
    }
    if (Thread* r = pop_receiver(ep)) {
        OwedReply replaced = deliver(me, badge, grant, call, r);
        r->ipc.done = true;
        r->ipc.result = 0;
        r->ipc.lock.unlock();
        if (call) me->ipc.lock.lock();
        ep->lock.unlock();
        sched::wake(r);
        i64 result = call ? await(me, deadline) : 0;
        arch::irq_restore(f);
        drop(replaced);
        put(ep);
        return result;
    }
    if (nonblocking) {
        if (call) {
            ksync::SpinGuard g(me->ipc.lock);
            me->ipc.wait = Wait::kNone;
        }
        ep->lock.unlock();
        arch::irq_restore(f);
        put(ep);
        return -i64(abi::kWouldBlock);
    }
    me->ipc.msg.badge = badge;
    me->ipc.grant = grant;
    {
        ksync::SpinGuard g(me->ipc.lock);
        me->ipc.wait = call ? Wait::kCall : Wait::kSend;
        me->ipc.done = false;
    }
    queue_on(ep, ep->senders, ep->senders_tail, me);
    me->ipc.lock.lock();
    ep->lock.unlock();
    i64 result = await(me, deadline);
    arch::irq_restore(f);
    return result;
}

// Takes the bound notification's bits as a message; false if none.
bool take_bound(Thread* me) {
    Notification* n = me->ipc.bound;
    if (!n) return false;
    u64 bits;
    {
        ksync::SpinGuard g(n->lock);
        bits = n->bits;
        n->bits = 0;
    }
    if (!bits) return false;
    me->ipc.msg.tag = abi::make_tag(abi::kLabelNotification, 0);
    me->ipc.msg.badge = bits;  // as notification_message() writes it
    return true;
}

// A notification's bits as the message a receiver gets.
void notification_message(KMessage& m, u64 bits) {
    m.tag = abi::make_tag(abi::kLabelNotification, 0);
    m.badge = bits;
}

i64 receive(Thread* me, Endpoint* ep, u64 deadline, bool nonblocking) {
    bump(my_stats().receives);
    OwedReply replaced{};
    i64 result = 0;
    u64 f = arch::irq_save();
    if (take_bound(me)) {
        arch::irq_restore(f);
        put(ep);
        return 0;
    }
    ep->lock.lock();
    if (ep->dead) {
        ep->lock.unlock();
        result = -i64(abi::kCancelled);
    } else if (Thread* s = pop(ep->senders, ep->senders_tail)) {
        bool call;
        {
            ksync::SpinGuard g(me->ipc.lock);
            call = s->ipc.wait == Wait::kCall;
            replaced = deliver(s, s->ipc.msg.badge, s->ipc.grant, call, me);
        }
        ksync::SpinGuard g(s->ipc.lock);
        if (call) {
            s->ipc.wait = Wait::kReply;  // still blocked: now on our answer
            ep->lock.unlock();
        } else {
            s->ipc.done = true;
            s->ipc.result = 0;
            ep->lock.unlock();
            sched::wake(s);
        }
    } else if (nonblocking) {
        ep->lock.unlock();
        result = -i64(abi::kWouldBlock);
    } else {
        {
            ksync::SpinGuard g(me->ipc.lock);
            me->ipc.wait = Wait::kRecv;
            me->ipc.done = false;
        }
        queue_on(ep, ep->receivers, ep->receivers_tail, me);  // gives up our reference
        ep->lock.unlock();
        // A signal before we were visible as receiving left its bits.
        if (Notification* n = me->ipc.bound) {
            u64 bits;
            {
                ksync::SpinGuard g(n->lock);
                bits = n->bits;
                n->bits = 0;
            }
            if (bits) {
                bool taken;
                {
                    ksync::SpinGuard g(me->ipc.lock);
                    taken = !me->ipc.done;
                    if (taken) {
                        notification_message(me->ipc.msg, bits);
                        me->ipc.done = true;
                        me->ipc.result = 0;
                    }
                }
                if (!taken) {  // a message came first: the bits wait for the next receive
                    ksync::SpinGuard g(n->lock);
                    n->bits |= bits;
                }
            }
        }
        me->ipc.lock.lock();
        result = await(me, deadline);  // leaves the endpoint
        arch::irq_restore(f);
        drop(replaced);
        return result;
    }
    arch::irq_restore(f);
    drop(replaced);
    put(ep);
    return result;
}

// --- replies ---

// Completes the call `seq` of reply's thread with the current thread's
// staged message; -kCancelled if that call is over (timed out, the caller
// died or was answered). Interrupts off.
i64 answer(Thread* me, Reply* reply, u64 seq, Thread** woken) {
    *woken = nullptr;
    ksync::SpinGuard g(reply->lock);
    Thread* c = reply->caller;
    if (!c) return -i64(abi::kCancelled);
    ksync::SpinGuard g2(c->ipc.lock);
    if (c->ipc.wait != Wait::kReply || c->ipc.done || reply->seq != seq) return -i64(abi::kCancelled);
    const KMessage& in = me->ipc.msg;
    KMessage& out = c->ipc.msg;
    u32 words = abi::tag_words(in.tag);
    for (u32 i = 0; i < words; i++) out.words[i] = in.words[i];
    out.badge = 0;
    // An answer carries capabilities if the call came through a capability
    // with the grant right (a name service answering a lookup).
    u32 moved = 0;
    u32 caps = reply->grant ? abi::tag_caps(in.tag) : 0;
    if (caps) {
        u64 wanted[abi::kMaxCaps];
        for (u32 i = 0; i < caps; i++) wanted[i] = receiver_slot(c, i);
        moved = transfer_caps(me->task, in.caps, caps, c->task, wanted, out.caps);
    }
    out.tag = abi::make_tag(abi::tag_label(in.tag), words, moved);
    c->ipc.done = true;
    c->ipc.result = 0;
    *woken = c;
    return 0;
}

void cancel_reply(Reply* reply, u64 seq) {
    u64 f = arch::irq_save();
    Thread* c;
    {
        ksync::SpinGuard g(reply->lock);
        c = reply->caller;
        if (c) {
            ksync::SpinGuard g2(c->ipc.lock);
            if (c->ipc.wait == Wait::kReply && !c->ipc.done && reply->seq == seq) {
                c->ipc.done = true;
                c->ipc.result = -i64(abi::kCancelled);
            } else {
                c = nullptr;
            }
        }
    }
    if (c) sched::wake(c);
    arch::irq_restore(f);
}

// Answers the call the current thread owes (reply cap 0) or the one a
// saved reply capability names; the owed right is used up either way.
i64 reply(Thread* me, Reply* saved, u64 saved_seq) {
    Reply* r = saved;
    u64 seq = saved_seq;
    if (!r) {
        r = me->ipc.owed;
        seq = me->ipc.owed_seq;
        me->ipc.owed = nullptr;
        if (!r) return -i64(abi::kNotFound);
    }
    u64 f = arch::irq_save();
    Thread* woken;
    i64 result = answer(me, r, seq, &woken);
    if (woken) sched::wake(woken);
    arch::irq_restore(f);
    if (!saved) put(r);
    return result;
}

// --- notifications ---

void signal(Notification* n, u64 bits) {
    bump(my_stats().notifications);
    u64 f = arch::irq_save();
    Thread* woken = nullptr;
    {
        ksync::SpinGuard g(n->lock);
        if (n->dead) {
            arch::irq_restore(f);
            return;
        }
        n->bits |= bits;
        if (Thread* w = pop(n->waiters_head, n->waiters_tail)) {
            ksync::SpinGuard g2(w->ipc.lock);
            w->ipc.result = i64(n->bits & 0x7FFFFFFFFFFFFFFFull);
            w->ipc.done = true;
            n->bits = 0;
            woken = w;
        } else if (Thread* b = n->bound) {
            ksync::SpinGuard g2(b->ipc.lock);
            if (b->ipc.wait == Wait::kRecv && !b->ipc.done) {
                b->ipc.msg.tag = abi::make_tag(abi::kLabelNotification, 0);
                b->ipc.msg.badge = n->bits;
                n->bits = 0;
                b->ipc.done = true;
                b->ipc.result = 0;
                woken = b;
            }
        }
    }
    if (woken) sched::wake(woken);
    arch::irq_restore(f);
}

i64 wait_notification(Thread* me, Notification* n, bool nonblocking) {
    u64 f = arch::irq_save();
    n->lock.lock();
    if (n->dead) {
        n->lock.unlock();
        arch::irq_restore(f);
        return -i64(abi::kCancelled);
    }
    if (n->bits) {
        i64 bits = i64(n->bits & 0x7FFFFFFFFFFFFFFFull);
        n->bits = 0;
        n->lock.unlock();
        arch::irq_restore(f);
        return bits;
    }
    if (nonblocking) {
        n->lock.unlock();
        arch::irq_restore(f);
        return -i64(abi::kWouldBlock);
    }
    me->ipc.notification = n;
    n->waiters++;
    push(n->waiters_head, n->waiters_tail, me);
    me->ipc.lock.lock();
    me->ipc.wait = Wait::kNotify;
    me->ipc.done = false;
    n->lock.unlock();
    i64 r = await(me, 0);
    arch::irq_restore(f);
    return r;
}

// --- object deaths ---

void endpoint_died(Endpoint* ep) {
    bool free_it;
    u64 f = arch::irq_save();
    {
        ksync::SpinGuard g(ep->lock);
        cancel_all_locked(ep);
        free_it = ep->waiters == 0;
    }
    arch::irq_restore(f);
    if (free_it) delete ep;
}

void notification_died(Notification* n) {
    irq_unbind_notification(n);
    bool free_it;
    u64 f = arch::irq_save();
    {
        ksync::SpinGuard g(n->lock);
        n->dead = true;
        while (Thread* t = pop(n->waiters_head, n->waiters_tail)) {
            {
                ksync::SpinGuard g2(t->ipc.lock);
                if (!t->ipc.done) {
                    t->ipc.done = true;
                    t->ipc.result = -i64(abi::kCancelled);
                }
            }
            sched::wake(t);
        }
        if (Thread* b = n->bound) {
            ksync::SpinGuard g2(b->ipc.lock);
            if (b->ipc.bound == n) b->ipc.bound = nullptr;
            n->bound = nullptr;
        }
        free_it = n->waiters == 0;
    }
    arch::irq_restore(f);
    if (free_it) delete n;
}

void thread_exiting(Thread* t) {
    if (Reply* owed = t->ipc.owed) {
        t->ipc.owed = nullptr;
        cancel_reply(owed, t->ipc.owed_seq);
        put(owed);
    }
    if (Notification* n = t->ipc.bound) {
        u64 f = arch::irq_save();
        {
            ksync::SpinGuard g(n->lock);
            if (n->bound == t) n->bound = nullptr;
        }
        t->ipc.bound = nullptr;
        arch::irq_restore(f);
        put(n);
    }
    if (Reply* r = t->ipc.reply) {
        u64 f = arch::irq_save();
        {
            ksync::SpinGuard g(r->lock);
            r->caller = nullptr;
        }
        arch::irq_restore(f);
        t->ipc.reply = nullptr;
        put(r);
    }
}

// --- the fast path ---

namespace {

// The message registers of a 64-bit request into a staged message.
void stage_registers(Thread* me, const arch::SyscallRequest& io, u64 tag) {
    me->ipc.msg.tag = tag;
    me->ipc.msg.words[0] = io.msg[2];
    me->ipc.msg.words[1] = io.msg[3];
    me->ipc.msg.words[2] = io.msg[4];
    me->ipc.msg.words[3] = io.msg[5];
}

bool short_message(u64 tag) {
    return abi::tag_words(tag) <= abi::kRegisterWords && !(tag & abi::kTagTimeout) && !(tag & ~abi::kTagValidBits);
}

}  // namespace

bool fastpath(arch::SyscallRequest& io, i64& result) {
    abi::IpcStats& st = my_stats();
    bool reply_recv = io.nr == abi::kSysIpcReplyRecv;
    u8 miss;
    Thread* me = sched::current();
    u64 tag = io.msg[1];
    if (!g_fastpath || trace::wants(*me->task, u32(io.nr))) miss = abi::kMissOff;
    else if (io.path != abi::kEntrySyscall && io.path != abi::kEntrySysenter) miss = abi::kMissEntry;
    else if (!short_message(tag)) miss = abi::kMissLongMessage;
    else if (abi::tag_caps(tag)) miss = abi::kMissCapTransfer;
    else miss = reply_recv ? fast_reply_recv(me, io, result) : fast_call(me, io, result);
    if (miss == kHit) return true;
    bump(st.misses[miss]);
    bump(st.slow_calls);
    return false;
}

u8 fast_call(Thread* me, arch::SyscallRequest& io, i64& result) {
    i64 error;
    cap::Slot slot;
    auto* ep = static_cast<Endpoint*>(lookup(me->task, io.msg[0], abi::kCapEndpoint, abi::kRightSend, error, &slot));
    if (!ep) return abi::kMissBadCap;
    if (!ensure_reply(me)) {
        put(ep);
        return abi::kMissBadCap;
    }
    u32 cpu = arch::cpu_id();
    u64 f = arch::irq_save();
    ep->lock.lock();
    Thread* r = ep->dead ? nullptr : ep->receivers;
    u8 miss = kHit;
    if (!r) miss = abi::kMissNoReceiver;
    else if (r->cpu != cpu || !r->allowed_on(cpu)) miss = abi::kMissOtherCpu;
    else if (r->priority < me->priority) miss = abi::kMissPriority;
    if (miss == kHit) {
        {
            ksync::SpinGuard g(me->ipc.lock);
            me->ipc.reply->grant = slot.rights & abi::kRightGrant;
            me->ipc.reply->seq++;
            me->ipc.done = false;
            me->ipc.wait = Wait::kReply;
        }
        r = pop_receiver(ep);
        if (!r) {  // only receivers a signal took away
            ksync::SpinGuard g(me->ipc.lock);
            me->ipc.wait = Wait::kNone;
            miss = abi::kMissNoReceiver;
        }
    }
    if (miss != kHit) {
        ep->lock.unlock();
        arch::irq_restore(f);
        put(ep);
        return miss;
    }
    stage_registers(me, io, io.msg[1]);
    OwedReply replaced = deliver(me, slot.badge, false, true, r);
    r->ipc.done = true;
    r->ipc.result = 0;
    r->ipc.lock.unlock();
    me->ipc.lock.lock();
    ep->lock.unlock();
    // switch_to() blocks us unconditionally: only while nothing completed
    // our wait yet (a kill or timeout may have), or that wake-up is lost.
    if (!me->ipc.done && sched::switch_to(r, me->ipc.lock)) {
        bump(my_stats().fast_calls);
        me->ipc.lock.lock();
    } else {
        // Not now after all (a reschedule is due, say): the general way.
        me->ipc.lock.unlock();
        sched::wake(r);
        me->ipc.lock.lock();
        bump(my_stats().misses[abi::kMissSwitch]);
        bump(my_stats().slow_calls);
    }
    result = await(me, 0);
    arch::irq_restore(f);
    drop(replaced);
    put(ep);
    if (result == 0) result = finish_receive(me, io);
    return kHit;
}

u8 fast_reply_recv(Thread* me, arch::SyscallRequest& io, i64& result) {
    i64 error;
    auto* ep = static_cast<Endpoint*>(lookup(me->task, io.msg[0], abi::kCapEndpoint, abi::kRightReceive, error));
    if (!ep) return abi::kMissBadCap;
    Reply* reply = me->ipc.owed;
    u64 seq = me->ipc.owed_seq;
    u32 cpu = arch::cpu_id();
    u64 f = arch::irq_save();
    u8 miss = kHit;
    if (!reply) {
        miss = abi::kMissNoCaller;
    } else {
        ksync::SpinGuard g(reply->lock);
        Thread* c = reply->caller;
        if (!c || c->ipc.wait != Wait::kReply || c->ipc.done || reply->seq != seq) miss = abi::kMissNoCaller;
        else if (me->ipc.bound && __atomic_load_n(&me->ipc.bound->bits, __ATOMIC_RELAXED))
            miss = abi::kMissBoundNotification;
        else if (__atomic_load_n(&ep->senders, __ATOMIC_RELAXED)) miss = abi::kMissSenderWaiting;
        else if (c->cpu != cpu || !c->allowed_on(cpu)) miss = abi::kMissOtherCpu;
        else if (c->priority < me->priority) miss = abi::kMissPriority;
    }
    if (miss != kHit) {
        arch::irq_restore(f);
        put(ep);
        return miss;
    }
    // Answer (the caller is ready to run, but nobody queues it), then wait
    // as a receiver and hand the CPU to the caller.
    stage_registers(me, io, io.msg[1]);
    me->ipc.owed = nullptr;
    Thread* woken;
    answer(me, reply, seq, &woken);
    ep->lock.lock();
    if (ep->dead || ep->senders || !woken) {
        // Changed meanwhile: finish as the general path would.
        ep->lock.unlock();
        if (woken) sched::wake(woken);
        arch::irq_restore(f);
        put(reply);
        bump(my_stats().misses[abi::kMissSwitch]);
        bump(my_stats().slow_calls);
        result = receive(me, ep, 0, false);  // takes our reference
        if (result == 0) result = finish_receive(me, io);
        return kHit;
    }
    {
        ksync::SpinGuard g(me->ipc.lock);
        me->ipc.wait = Wait::kRecv;
        me->ipc.done = false;
    }
    queue_on(ep, ep->receivers, ep->receivers_tail, me);  // gives up our reference
    ep->lock.unlock();
    me->ipc.lock.lock();
    // Visible as a receiver since the unlock above: a sender on another CPU
    // may have delivered to us already, and its wake-up found us running.
    // Blocking now (switch_to does, unconditionally) would lose it.
    if (!me->ipc.done && sched::switch_to(woken, me->ipc.lock)) {
        bump(my_stats().fast_replies);
        me->ipc.lock.lock();
    } else {
        me->ipc.lock.unlock();
        sched::wake(woken);
        me->ipc.lock.lock();
        bump(my_stats().misses[abi::kMissSwitch]);
        bump(my_stats().slow_calls);
    }
    result = await(me, 0);
    arch::irq_restore(f);
    put(reply);
    if (result == 0) result = finish_receive(me, io);
    return kHit;
}

}  // namespace ipc
