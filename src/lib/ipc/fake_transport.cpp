// ipc::fake::World (fake_transport.h): the kernel's IPC semantics between
// host threads. Host only: this file uses the C++ standard library.
//
// One mutex serialises everything. A thread that must wait sets up what its
// partner needs (its message, its queue entry), then sleeps on its own
// condition variable until a partner or a canceller calls finish() on it,
// or its deadline passes; after waking it tidies its own wait state.
// Partners and cancellers remove it from any queue before finishing it, so
// a thread is finished at most once per wait.
#include "lib/ipc/fake_transport.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ipc {

namespace {

// Every operation of a host thread that set no transport: -kNoSys.
class NoTransport final : public Transport {
public:
    i64 send(u64, Message&) override { return -abi::kNoSys; }
    i64 recv(u64, Message&, u32) override { return -abi::kNoSys; }
    i64 call(u64, Message&) override { return -abi::kNoSys; }
    i64 reply(Message&, u64) override { return -abi::kNoSys; }
    i64 reply_recv(u64, Message&) override { return -abi::kNoSys; }
    i64 reply_save(u64) override { return -abi::kNoSys; }
    i64 endpoint_create(u64) override { return -abi::kNoSys; }
    i64 notification_create(u64) override { return -abi::kNoSys; }
    i64 cap_copy(u64, u64, u32) override { return -abi::kNoSys; }
    i64 cap_mint(u64, u64, u32, u64) override { return -abi::kNoSys; }
    i64 cap_delete(u64) override { return -abi::kNoSys; }
    i64 cap_info(u64, abi::CapInfo&) override { return -abi::kNoSys; }
    i64 notify_signal(u64, u64) override { return -abi::kNoSys; }
    i64 notify_wait(u64, u32, u64&) override { return -abi::kNoSys; }
    i64 notify_bind(u64) override { return -abi::kNoSys; }
    i64 thread_init() override { return -abi::kNoSys; }
    i64 thread_fini() override { return -abi::kNoSys; }
};

NoTransport g_no_transport;

}  // namespace

namespace detail {
Transport& default_transport() { return g_no_transport; }
}  // namespace detail

namespace fake {

namespace {

using Clock = std::chrono::steady_clock;

// When a wait ends: never, or at a point in time.
struct Deadline {
    bool forever = true;
    Clock::time_point at{};
    bool immediate = false;  // timeout 0: take a waiting partner or -kWouldBlock

    static Deadline of(const Message& m) {
        Deadline d;
        if (!m.has_timeout()) return d;
        d.forever = false;
        d.immediate = m.timeout() == 0;
        d.at = Clock::now() + std::chrono::nanoseconds(m.timeout() > u64{INT64_MAX} ? INT64_MAX : m.timeout());
        return d;
    }
};

}  // namespace

struct Object {
    u64 id = 0;
    u32 caps = 0;  // capabilities referring to it; the last one going kills it
    virtual ~Object() = default;
    // The last capability went: everyone waiting on the object is cancelled.
    virtual void died() {}
};

struct Endpoint;
struct Notification;
struct ReplyRight;

struct Cap {
    u8 type = abi::kCapNone;
    u32 rights = 0;
    u64 badge = 0;
    std::shared_ptr<Object> object;

    bool empty() const { return type == abi::kCapNone; }
};

class Task {
public:
    std::string name;
    bool dead = false;
    Cap slots[abi::kCapSlots];
    std::vector<ThreadState*> threads;
};

struct ThreadState {
    World::Impl* world = nullptr;
    Task* task = nullptr;
    std::condition_variable cv;
    bool blocked = false;  // in block()
    bool done = false;     // the wait is over (result says how)
    i64 result = 0;
    // Queued to send or call on sending_on; out is the message sent and,
    // for a call, where the reply goes.
    std::shared_ptr<Endpoint> sending_on;
    Message* out = nullptr;
    u64 send_badge = 0;
    bool send_grant = false;
    bool is_call = false;
    // Receiving on receiving_on into `in`.
    std::shared_ptr<Endpoint> receiving_on;
    Message* in = nullptr;
    // A call taken by a receiver: the right that will answer it.
    ReplyRight* awaiting = nullptr;
    // In notify_wait.
    std::shared_ptr<Notification> waiting_on;
    u64 notified_bits = 0;
    // The right to answer the last call this thread received.
    std::shared_ptr<ReplyRight> reply_to;
    std::shared_ptr<Notification> bound;
};

namespace {

thread_local ThreadState* t_current = nullptr;

void finish(ThreadState* t, i64 result) {
    t->result = result;
    t->done = true;
    t->cv.notify_one();
}

template <typename T>
void erase(std::deque<T*>& q, T* x) {
    q.erase(std::remove(q.begin(), q.end(), x), q.end());
}

}  // namespace

struct Endpoint : Object {
    std::deque<ThreadState*> senders;    // queued send and call, in order
    std::deque<ThreadState*> receivers;  // waiting in recv, in order

    void died() override {
        std::deque<ThreadState*> waiting;
        waiting.swap(senders);
        for (ThreadState* t : receivers) waiting.push_back(t);
        receivers.clear();
        for (ThreadState* t : waiting) finish(t, -abi::kCancelled);
    }
};

struct Notification : Object {
    u64 bits = 0;
    std::deque<ThreadState*> waiters;  // in notify_wait
    ThreadState* bound = nullptr;

    void died() override;
};

// The one-shot right to answer a call: held by the receiving thread
// (reply_to) or, after reply_save, by a slot. Whoever drops it unanswered
// cancels the caller.
struct ReplyRight : Object {
    ThreadState* caller = nullptr;
    bool grant = false;  // the call came through a capability with the grant right

    ~ReplyRight() override {
        if (caller == nullptr) return;
        caller->awaiting = nullptr;
        finish(caller, -abi::kCancelled);
    }
};

void Notification::died() {
    std::deque<ThreadState*> waiting;
    waiting.swap(waiters);
    for (ThreadState* t : waiting) finish(t, -abi::kCancelled);
    // The capability being removed still holds the object while this runs.
    if (bound != nullptr) {
        ThreadState* b = bound;
        bound = nullptr;
        b->bound.reset();
    }
}

// notify_wait returns the bits in RAX: bit 63 is dropped so that they never
// read as an error (as the kernel does).
constexpr u64 kNotifyBits = 0x7FFFFFFFFFFFFFFFull;

struct World::Impl {
    mutable std::mutex m;
    std::vector<std::unique_ptr<Task>> tasks;
    u64 next_id = 1;

    ThreadState* me() const { return t_current != nullptr && t_current->world == this ? t_current : nullptr; }

    // --- Slots -------------------------------------------------------------
    static Cap* slot(Task* t, u64 i) { return i == 0 || i >= abi::kCapSlots ? nullptr : &t->slots[i]; }

    static i64 lookup(Task* t, u64 i, u8 type, u32 rights, Cap*& out) {
        Cap* c = slot(t, i);
        if (c == nullptr || c->empty()) return -abi::kBadSlot;
        if (type != abi::kCapNone && c->type != type) return -abi::kWrongType;
        if ((c->rights & rights) != rights) return -abi::kNoRights;
        out = c;
        return 0;
    }

    static i64 pick(Task* t, u64& dst) {
        if (dst == abi::kAnySlot) {
            for (u64 i = 1; i < abi::kCapSlots; ++i) {
                if (t->slots[i].empty()) {
                    dst = i;
                    return 0;
                }
            }
            return -abi::kNoSlot;
        }
        if (dst >= abi::kCapSlots) return -abi::kBadSlot;
        return t->slots[dst].empty() ? 0 : -abi::kNoSlot;
    }

    static void put(Task* t, u64 i, Cap cap) {
        cap.object->caps++;
        t->slots[i] = std::move(cap);
    }

    static void clear(Task* t, u64 i) {
        Cap old = std::move(t->slots[i]);
        t->slots[i] = Cap{};
        if (old.object && --old.object->caps == 0) old.object->died();
        // `old` goes here: an unanswered reply right cancels its caller.
    }

    template <typename T>
    std::shared_ptr<T> make_object() {
        auto o = std::make_shared<T>();
        o->id = next_id++;
        return o;
    }

    i64 create(Task* t, u64 dst, u8 type) {
        if (i64 e = pick(t, dst)) return e;
        Cap c;
        c.type = type;
        c.rights = abi::kRightsAll;  // "a capability with every right" (syscalls.def)
        if (type == abi::kCapEndpoint) c.object = make_object<Endpoint>();
        else c.object = make_object<Notification>();
        put(t, dst, std::move(c));
        return static_cast<i64>(dst);
    }

    // A copy (badge 0) or mint of from's src into to's dst.
    static i64 derive(Task* from, u64 src, Task* to, u64 dst, u32 rights, u64 badge, bool mint) {
        Cap* c = nullptr;
        if (i64 e = lookup(from, src, abi::kCapNone, 0, c)) return e;
        if (c->type == abi::kCapReply) return -abi::kInvalid;
        if (mint) {
            if (badge == 0 || c->badge != 0) return -abi::kInvalid;
            if (c->type != abi::kCapEndpoint && c->type != abi::kCapNotification) return -abi::kInvalid;
        }
        if (i64 e = pick(to, dst)) return e;
        Cap copy = *c;
        copy.rights &= rights;
        if (mint) copy.badge = badge;
        put(to, dst, std::move(copy));
        return static_cast<i64>(dst);
    }

    // --- Messages ----------------------------------------------------------
    // Copies src (sent by `from` through a capability with `badge`) into
    // dst, a message of task `to`, with its capabilities if grant allows.
    static void deliver(Task* from, const Message& src, u64 badge, bool grant, Task* to, Message& dst) {
        dst.set_received(abi::make_tag(src.label(), src.word_count(), 0), badge);
        for (u32 i = 0; i < src.word_count(); ++i) dst.set_received_word(i, src.word(i));
        u32 caps = 0;
        for (u32 i = 0; grant && i < src.cap_count(); ++i) {
            Cap* c = slot(from, src.cap(i));
            if (c == nullptr || c->empty() || c->type == abi::kCapReply) continue;
            u64 where = dst.receive_slot(i);
            if (pick(to, where) < 0) continue;
            put(to, where, *c);
            dst.set_received_cap(caps++, where);
        }
        dst.set_counts(src.word_count(), caps);
    }

    static void deliver_signal(Notification& n, Message& dst) {
        dst.set_received(abi::make_tag(abi::kLabelNotification, 0, 0), n.bits);
        n.bits = 0;
    }

    // receiver r took caller c's call: r now holds the right to answer it.
    static void take_call(ThreadState* r, ThreadState* c) {
        auto right = std::make_shared<ReplyRight>();
        right->caller = c;
        right->grant = c->send_grant;
        c->awaiting = right.get();
        r->reply_to = std::move(right);  // drops an earlier unanswered one
    }

    // Takes t out of whatever it waits in.
    static void withdraw(ThreadState* t) {
        if (t->sending_on) erase(t->sending_on->senders, t);
        if (t->receiving_on) erase(t->receiving_on->receivers, t);
        if (t->waiting_on) erase(t->waiting_on->waiters, t);
        if (t->awaiting != nullptr) {
            t->awaiting->caller = nullptr;
            t->awaiting = nullptr;
        }
    }

    // Sleeps until finish(t) or the deadline; the wait's result.
    static i64 block(std::unique_lock<std::mutex>& lock, ThreadState* t, const Deadline& d) {
        t->blocked = true;
        auto over = [t] { return t->done; };
        if (d.forever) t->cv.wait(lock, over);
        else t->cv.wait_until(lock, d.at, over);
        t->blocked = false;
        i64 r;
        if (t->done) {
            r = t->result;
        } else {
            withdraw(t);
            r = -abi::kTimeout;
        }
        t->done = false;
        t->sending_on.reset();
        t->receiving_on.reset();
        t->waiting_on.reset();
        t->out = nullptr;
        t->in = nullptr;
        t->awaiting = nullptr;
        return r;
    }

    i64 send(u64 ep, Message& msg, bool is_call) {
        std::unique_lock<std::mutex> lock(m);
        ThreadState* t = me();
        if (t == nullptr) return -abi::kPermission;
        if (t->task->dead) return -abi::kCancelled;
        Cap* c = nullptr;
        if (i64 e = lookup(t->task, ep, abi::kCapEndpoint, abi::kRightSend, c)) return e;
        const bool grant = (c->rights & abi::kRightGrant) != 0;
        if (msg.cap_count() > 0) {
            if (!grant) return -abi::kNoRights;
            for (u32 i = 0; i < msg.cap_count(); ++i) {
                Cap* x = slot(t->task, msg.cap(i));
                if (x == nullptr || x->empty()) return -abi::kBadSlot;
                if (x->type == abi::kCapReply) return -abi::kInvalid;
            }
        }
        auto e = std::static_pointer_cast<Endpoint>(c->object);
        const Deadline d = Deadline::of(msg);
        t->out = &msg;
        t->send_badge = c->badge;
        t->send_grant = grant;
        t->is_call = is_call;
        t->done = false;
        if (!e->receivers.empty()) {
            ThreadState* r = e->receivers.front();
            e->receivers.pop_front();
            deliver(t->task, msg, c->badge, grant, r->task, *r->in);
            if (is_call) take_call(r, t);
            finish(r, 0);
            if (!is_call) {
                t->out = nullptr;
                return 0;
            }
        } else {
            if (d.immediate) {
                t->out = nullptr;
                return -abi::kWouldBlock;
            }
            t->sending_on = e;
            e->senders.push_back(t);
        }
        return block(lock, t, d);
    }

    i64 recv(u64 ep, Message& msg, u32 flags) {
        std::unique_lock<std::mutex> lock(m);
        ThreadState* t = me();
        if (t == nullptr) return -abi::kPermission;
        if (t->task->dead) return -abi::kCancelled;
        Cap* c = nullptr;
        if (i64 e = lookup(t->task, ep, abi::kCapEndpoint, abi::kRightReceive, c)) return e;
        auto e = std::static_pointer_cast<Endpoint>(c->object);
        if (t->bound && t->bound->bits != 0) {
            deliver_signal(*t->bound, msg);
            return 0;
        }
        if (!e->senders.empty()) {
            ThreadState* s = e->senders.front();
            e->senders.pop_front();
            deliver(s->task, *s->out, s->send_badge, s->send_grant, t->task, msg);
            if (s->is_call) take_call(t, s);
            else finish(s, 0);
            return 0;
        }
        const Deadline d = Deadline::of(msg);
        if ((flags & abi::kRecvNonBlocking) || d.immediate) return -abi::kWouldBlock;
        t->done = false;
        t->receiving_on = e;
        t->in = &msg;
        e->receivers.push_back(t);
        return block(lock, t, d);
    }

    // Answers the call behind `right` with msg from thread t.
    static i64 answer(ThreadState* t, ReplyRight& right, const Message& msg) {
        ThreadState* c = right.caller;
        if (c == nullptr) return -abi::kCancelled;  // the caller gave up or died
        deliver(t->task, msg, 0, right.grant, c->task, *c->out);
        right.caller = nullptr;
        c->awaiting = nullptr;
        finish(c, 0);
        return 0;
    }

    i64 reply(Message& msg, u64 reply_cap) {
        std::unique_lock<std::mutex> lock(m);
        ThreadState* t = me();
        if (t == nullptr) return -abi::kPermission;
        if (t->task->dead) return -abi::kCancelled;
        std::shared_ptr<ReplyRight> right;
        if (reply_cap == abi::kAnySlot) {
            right = std::move(t->reply_to);
            if (!right) return -abi::kNotFound;
        } else {
            Cap* c = nullptr;
            if (i64 e = lookup(t->task, reply_cap, abi::kCapReply, abi::kRightSend, c)) return e;
            right = std::static_pointer_cast<ReplyRight>(c->object);
            clear(t->task, reply_cap);  // one-shot
        }
        return answer(t, *right, msg);
    }

    i64 reply_save(u64 dst) {
        std::unique_lock<std::mutex> lock(m);
        ThreadState* t = me();
        if (t == nullptr) return -abi::kPermission;
        if (t->task->dead) return -abi::kCancelled;
        if (!t->reply_to) return -abi::kNotFound;
        if (i64 e = pick(t->task, dst)) return e;
        Cap c;
        c.type = abi::kCapReply;
        c.rights = abi::kRightSend;
        c.object = std::move(t->reply_to);
        put(t->task, dst, std::move(c));
        return static_cast<i64>(dst);
    }

    // --- Notifications -----------------------------------------------------
    i64 signal(u64 cap, u64 bits) {
        std::unique_lock<std::mutex> lock(m);
        ThreadState* t = me();
        if (t == nullptr) return -abi::kPermission;
        if (t->task->dead) return -abi::kCancelled;
        Cap* c = nullptr;
        if (i64 e = lookup(t->task, cap, abi::kCapNotification, abi::kRightSend, c)) return e;
        auto& n = static_cast<Notification&>(*c->object);
        n.bits |= bits | c->badge;
        if (n.bits == 0) return 0;
        ThreadState* b = n.bound;
        if (b != nullptr && b->blocked && !b->done && b->receiving_on) {
            erase(b->receiving_on->receivers, b);
            deliver_signal(n, *b->in);
            finish(b, 0);
        } else if (!n.waiters.empty()) {
            ThreadState* w = n.waiters.front();
            n.waiters.pop_front();
            w->notified_bits = n.bits & kNotifyBits;
            n.bits = 0;
            finish(w, 0);
        }
        return 0;
    }

    i64 wait(u64 cap, u32 flags, u64& bits) {
        std::unique_lock<std::mutex> lock(m);
        ThreadState* t = me();
        if (t == nullptr) return -abi::kPermission;
        if (t->task->dead) return -abi::kCancelled;
        Cap* c = nullptr;
        if (i64 e = lookup(t->task, cap, abi::kCapNotification, abi::kRightReceive, c)) return e;
        auto n = std::static_pointer_cast<Notification>(c->object);
        if (n->bits != 0) {
            bits = n->bits & kNotifyBits;
            n->bits = 0;
            return 0;
        }
        if (flags & abi::kRecvNonBlocking) return -abi::kWouldBlock;
        t->done = false;
        t->waiting_on = n;
        n->waiters.push_back(t);
        i64 r = block(lock, t, Deadline{});
        if (r == 0) bits = t->notified_bits;
        return r;
    }

    i64 bind(u64 cap) {
        std::unique_lock<std::mutex> lock(m);
        ThreadState* t = me();
        if (t == nullptr) return -abi::kPermission;
        if (t->task->dead) return -abi::kCancelled;
        if (cap == abi::kAnySlot) {
            unbind(t);
            return 0;
        }
        Cap* c = nullptr;
        if (i64 e = lookup(t->task, cap, abi::kCapNotification, abi::kRightReceive, c)) return e;
        auto n = std::static_pointer_cast<Notification>(c->object);
        if (n->bound != nullptr && n->bound != t) return -abi::kExists;  // bound to another thread
        unbind(t);
        n->bound = t;
        t->bound = std::move(n);
        return 0;
    }

    static void unbind(ThreadState* t) {
        if (!t->bound) return;
        t->bound->bound = nullptr;
        t->bound.reset();
    }

    // Ends whatever t waits for with -kCancelled and drops what it holds.
    static void cancel_thread(ThreadState* t) {
        if (t->blocked && !t->done) {
            withdraw(t);
            finish(t, -abi::kCancelled);
        }
        t->reply_to.reset();
        unbind(t);
    }

    // Runs op(task) for the calling thread's task, under the lock.
    template <typename Op>
    i64 as_me(Op&& op) {
        std::unique_lock<std::mutex> lock(m);
        ThreadState* t = me();
        if (t == nullptr) return -abi::kPermission;
        if (t->task->dead) return -abi::kCancelled;
        return op(t->task);
    }

    static void info_of(const Cap& c, abi::CapInfo& info) {
        info = abi::CapInfo{c.type, c.rights, c.badge, 0, 0, c.object->id};
    }
};

// --- World ---------------------------------------------------------------

World::World() : impl_(std::make_unique<Impl>()) { set_transport(this); }

World::~World() {
    if (&transport() == this) set_transport(nullptr);
    std::unique_lock<std::mutex> lock(impl_->m);
    // Reply rights in slots must not reach callers that are gone.
    for (auto& task : impl_->tasks) {
        for (Cap& c : task->slots) {
            if (c.type == abi::kCapReply) static_cast<ReplyRight&>(*c.object).caller = nullptr;
        }
    }
    impl_->tasks.clear();
}

Task* World::create_task(const char* name) {
    std::unique_lock<std::mutex> lock(impl_->m);
    auto task = std::make_unique<Task>();
    task->name = name != nullptr ? name : "";
    impl_->tasks.push_back(std::move(task));
    return impl_->tasks.back().get();
}

i64 World::create_endpoint(Task* task, u64 dst) {
    std::unique_lock<std::mutex> lock(impl_->m);
    return impl_->create(task, dst, abi::kCapEndpoint);
}

i64 World::create_notification(Task* task, u64 dst) {
    std::unique_lock<std::mutex> lock(impl_->m);
    return impl_->create(task, dst, abi::kCapNotification);
}

i64 World::give(Task* from, u64 src, Task* to, u64 dst, u32 rights, u64 badge) {
    std::unique_lock<std::mutex> lock(impl_->m);
    return Impl::derive(from, src, to, dst, rights, badge, badge != 0);
}

void World::kill(Task* task) {
    std::unique_lock<std::mutex> lock(impl_->m);
    task->dead = true;
    for (ThreadState* t : task->threads) Impl::cancel_thread(t);
    for (u64 i = 1; i < abi::kCapSlots; ++i) Impl::clear(task, i);
}

bool World::alive(const Task* task) const {
    std::unique_lock<std::mutex> lock(impl_->m);
    return !task->dead;
}

i64 World::inspect(const Task* task, u64 slot, abi::CapInfo& info) const {
    std::unique_lock<std::mutex> lock(impl_->m);
    const Cap* c = Impl::slot(const_cast<Task*>(task), slot);
    if (c == nullptr || c->empty()) return -abi::kBadSlot;
    Impl::info_of(*c, info);
    return 0;
}

u32 World::caps_held(const Task* task) const {
    std::unique_lock<std::mutex> lock(impl_->m);
    u32 n = 0;
    for (const Cap& c : task->slots) n += c.empty() ? 0 : 1;
    return n;
}

u32 World::waiting_senders(const Task* task, u64 slot) const {
    std::unique_lock<std::mutex> lock(impl_->m);
    const Cap* c = Impl::slot(const_cast<Task*>(task), slot);
    if (c == nullptr || c->type != abi::kCapEndpoint) return 0;
    return static_cast<u32>(static_cast<const Endpoint&>(*c->object).senders.size());
}

u32 World::waiting_receivers(const Task* task, u64 slot) const {
    std::unique_lock<std::mutex> lock(impl_->m);
    const Cap* c = Impl::slot(const_cast<Task*>(task), slot);
    if (c == nullptr || c->type != abi::kCapEndpoint) return 0;
    return static_cast<u32>(static_cast<const Endpoint&>(*c->object).receivers.size());
}

World::Scope::Scope(World& world, Task* task) : world_(world), thread_(new ThreadState), outer_(t_current) {
    std::unique_lock<std::mutex> lock(world_.impl_->m);
    thread_->world = world_.impl_.get();
    thread_->task = task;
    task->threads.push_back(thread_);
    t_current = thread_;
}

World::Scope::~Scope() {
    {
        std::unique_lock<std::mutex> lock(world_.impl_->m);
        Impl::cancel_thread(thread_);
        auto& threads = thread_->task->threads;
        threads.erase(std::remove(threads.begin(), threads.end(), thread_), threads.end());
    }
    delete thread_;
    t_current = outer_;
}

std::thread World::spawn(Task* task, std::function<void()> body) {
    return std::thread([this, task, body = std::move(body)] {
        Scope scope(*this, task);
        body();
    });
}

// --- Transport -------------------------------------------------------------

i64 World::send(u64 endpoint, Message& msg) { return impl_->send(endpoint, msg, false); }
i64 World::call(u64 endpoint, Message& msg) { return impl_->send(endpoint, msg, true); }
i64 World::recv(u64 endpoint, Message& msg, u32 flags) { return impl_->recv(endpoint, msg, flags); }
i64 World::reply(Message& msg, u64 reply_cap) { return impl_->reply(msg, reply_cap); }

i64 World::reply_recv(u64 endpoint, Message& msg) {
    // The answer's failure (no call to answer, the caller gone) does not
    // stop the receive, as for the kernel's ipc_reply_recv.
    impl_->reply(msg, abi::kAnySlot);
    return impl_->recv(endpoint, msg, 0);
}

i64 World::reply_save(u64 dst) { return impl_->reply_save(dst); }

i64 World::endpoint_create(u64 dst) {
    return impl_->as_me([&](Task* t) { return impl_->create(t, dst, abi::kCapEndpoint); });
}

i64 World::notification_create(u64 dst) {
    return impl_->as_me([&](Task* t) { return impl_->create(t, dst, abi::kCapNotification); });
}

i64 World::cap_copy(u64 src, u64 dst, u32 rights) {
    return impl_->as_me([&](Task* t) { return Impl::derive(t, src, t, dst, rights, 0, false); });
}

i64 World::cap_mint(u64 src, u64 dst, u32 rights, u64 badge) {
    return impl_->as_me([&](Task* t) { return Impl::derive(t, src, t, dst, rights, badge, true); });
}

i64 World::cap_delete(u64 slot) {
    return impl_->as_me([&](Task* t) -> i64 {
        Cap* c = nullptr;
        if (i64 e = Impl::lookup(t, slot, abi::kCapNone, 0, c)) return e;
        Impl::clear(t, slot);
        return 0;
    });
}

i64 World::cap_info(u64 slot, abi::CapInfo& info) {
    return impl_->as_me([&](Task* t) -> i64 {
        Cap* c = nullptr;
        if (i64 e = Impl::lookup(t, slot, abi::kCapNone, 0, c)) return e;
        Impl::info_of(*c, info);
        return 0;
    });
}

i64 World::notify_signal(u64 notification, u64 bits) { return impl_->signal(notification, bits); }
i64 World::notify_wait(u64 notification, u32 flags, u64& bits) { return impl_->wait(notification, flags, bits); }
i64 World::notify_bind(u64 notification) { return impl_->bind(notification); }
i64 World::thread_init() { return impl_->me() != nullptr ? 0 : -abi::kPermission; }
i64 World::thread_fini() { return impl_->me() != nullptr ? 0 : -abi::kPermission; }

}  // namespace fake
}  // namespace ipc
