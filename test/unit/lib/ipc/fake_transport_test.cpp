// Unit tests for the fake transport (lib/ipc/fake_transport.h) and, through
// it, ipc::serve (lib/ipc/server.h): call/reply pairing between many host
// threads, badges, one-way sends, timeouts, capability transfer, dead
// servers, capability operations, notifications, deferred replies.
//
// Worker threads never use CHECK (CppUTest reports from the test's own
// thread): they record what they saw, and the test checks after join().
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "lib/ipc/fake_transport.h"
#include "lib/ipc/server.h"

// After the standard headers: CppUTest redefines new.
#include <CppUTest/TestHarness.h>

using ipc::Action;
using ipc::Message;
using ipc::fake::Task;
using ipc::fake::World;

namespace {

constexpr u64 kEp = 2;      // the server's endpoint
constexpr u64 kClient = 1;  // the client's capability to it
constexpr u32 kPing = 0x7001;

// Waits (up to 5 s) for cond to hold.
template <typename Cond>
bool eventually(Cond cond) {
    for (int i = 0; i < 5000; ++i) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return cond();
}

u64 object_of(const World& w, const Task* t, u64 slot) {
    abi::CapInfo info{};
    return w.inspect(t, slot, info) == 0 ? info.object : 0;
}

u32 rights_of(const World& w, const Task* t, u64 slot) {
    abi::CapInfo info{};
    return w.inspect(t, slot, info) == 0 ? info.rights : 0;
}

}  // namespace

TEST_GROUP(FakeTransport) {
    World* world = nullptr;
    Task* server = nullptr;
    Task* client = nullptr;

    void setup() override {
        world = new World;
        server = world->create_task("server");
        client = world->create_task("client");
        LONGS_EQUAL(static_cast<i64>(kEp), world->create_endpoint(server, kEp));
    }
    void teardown() override { delete world; }

    void give_client(u32 rights, u64 badge = 0, u64 slot = kClient, Task* to = nullptr) {
        LONGS_EQUAL(static_cast<i64>(slot), world->give(server, kEp, to ? to : client, slot, rights, badge));
    }

    // A server thread answering every call with (badge, word 0 * 2) until
    // its task is killed; serve's result goes to *result.
    std::thread doubling_server(std::atomic<i64>* result) {
        return world->spawn(server, [result] {
            *result = ipc::serve(kEp, [](Message& m) {
                const u64 badge = m.badge(), w = m.word(0);
                m.reply().push(badge).push(w * 2);
                return Action::kReply;
            });
        });
    }
};

TEST(FakeTransport, CallReplyPairingAcrossManyClients) {
    constexpr int kClients = 6, kCalls = 300;
    std::vector<Task*> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(world->create_task("c"));
        give_client(abi::kRightSend, 100 + i, kClient, clients.back());
    }
    std::atomic<i64> served{1};
    std::thread srv = doubling_server(&served);
    std::atomic<int> wrong{0}, done{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
        threads.push_back(world->spawn(clients[c], [&, c] {
            for (u64 i = 0; i < kCalls; ++i) {
                Message m = Message::request(kPing);
                const u64 w = u64(c) << 32 | i;
                m.push(w);
                if (ipc::transport().call(kClient, m) != 0 || m.status() != 0 || m.word(0) != u64(100 + c) ||
                    m.word(1) != w * 2 || m.word_count() != 2)
                    wrong++;
                else
                    done++;
            }
        }));
    }
    for (auto& t : threads) t.join();
    world->kill(server);
    srv.join();
    LONGS_EQUAL(0, wrong.load());
    LONGS_EQUAL(kClients * kCalls, done.load());
    LONGS_EQUAL(-abi::kCancelled, served.load());
}

TEST(FakeTransport, UnbadgedCapabilityGivesBadgeZero) {
    give_client(abi::kRightSend);
    std::atomic<i64> served{1};
    std::thread srv = doubling_server(&served);
    {
        World::Scope as(*world, client);
        Message m = Message::request(kPing);
        m.push(21);
        LONGS_EQUAL(0, ipc::transport().call(kClient, m));
        UNSIGNED_LONGLONGS_EQUAL(0, m.word(0));
        UNSIGNED_LONGLONGS_EQUAL(42, m.word(1));
        UNSIGNED_LONGLONGS_EQUAL(0, m.badge());  // replies carry no badge
    }
    world->kill(server);
    srv.join();
}

TEST(FakeTransport, SendIsOneWay) {
    give_client(abi::kRightSend, 5);
    std::atomic<i64> reply_result{1};
    std::atomic<u64> got{0}, badge{0};
    std::thread srv = world->spawn(server, [&] {
        Message m;
        if (ipc::transport().recv(kEp, m) == 0) {
            got = m.word(0);
            badge = m.badge();
        }
        Message r;
        reply_result = ipc::transport().reply(r);  // nobody called
    });
    {
        World::Scope as(*world, client);
        Message m = Message::request(kPing);
        m.push(77);
        LONGS_EQUAL(0, ipc::transport().send(kClient, m));
        UNSIGNED_LONGS_EQUAL(kPing, m.label());  // a send leaves the message alone
    }
    srv.join();
    UNSIGNED_LONGLONGS_EQUAL(77, got.load());
    UNSIGNED_LONGLONGS_EQUAL(5, badge.load());
    LONGS_EQUAL(-abi::kNotFound, reply_result.load());
}

TEST(FakeTransport, CallTimesOutWithoutReceiver) {
    give_client(abi::kRightSend);
    World::Scope as(*world, client);
    Message m = Message::request(kPing);
    m.set_timeout(20'000'000);
    const auto start = std::chrono::steady_clock::now();
    LONGS_EQUAL(-abi::kTimeout, ipc::transport().call(kClient, m));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(20));
    UNSIGNED_LONGS_EQUAL(0, world->waiting_senders(server, kEp));
    UNSIGNED_LONGS_EQUAL(kPing, m.label());
    m.set_timeout(0);
    LONGS_EQUAL(-abi::kWouldBlock, ipc::transport().call(kClient, m));
    LONGS_EQUAL(-abi::kWouldBlock, ipc::transport().send(kClient, m));
}

TEST(FakeTransport, ReceiveTimesOutOrDoesNotWait) {
    World::Scope as(*world, server);
    Message m;
    LONGS_EQUAL(-abi::kWouldBlock, ipc::transport().recv(kEp, m, abi::kRecvNonBlocking));
    m.set_timeout(5'000'000);
    LONGS_EQUAL(-abi::kTimeout, ipc::transport().recv(kEp, m));
    UNSIGNED_LONGS_EQUAL(0, world->waiting_receivers(server, kEp));
}

TEST(FakeTransport, CallerThatTimedOutCannotBeAnswered) {
    give_client(abi::kRightSend);
    std::atomic<bool> taken{false}, caller_gone{false};
    std::atomic<i64> reply_result{1};
    std::thread srv = world->spawn(server, [&] {
        Message m;
        ipc::transport().recv(kEp, m);
        taken = true;
        eventually([&] { return caller_gone.load(); });
        m.reply().push(1);
        reply_result = ipc::transport().reply(m);
    });
    {
        World::Scope as(*world, client);
        Message m = Message::request(kPing);
        m.set_timeout(30'000'000);
        LONGS_EQUAL(-abi::kTimeout, ipc::transport().call(kClient, m));
        CHECK_TRUE(taken.load());
        caller_gone = true;
    }
    srv.join();
    LONGS_EQUAL(-abi::kCancelled, reply_result.load());
}

TEST(FakeTransport, CapabilityTransferBothWays) {
    give_client(abi::kRightSend | abi::kRightGrant);
    u64 server_slot = 0, client_slot = 0;
    std::atomic<i64> reply_result{1};
    std::thread srv = world->spawn(server, [&] {
        Message m;
        m.receive_cap_into(0, 40);
        if (ipc::transport().recv(kEp, m) != 0 || m.cap_count() != 1) return;
        server_slot = m.cap(0);
        m.reply().push_cap(kEp);  // answer with a copy of our endpoint
        reply_result = ipc::transport().reply(m);
    });
    World::Scope as(*world, client);
    LONGS_EQUAL(5, ipc::transport().notification_create(5));
    Message m = Message::request(kPing);
    m.push_cap(5);
    LONGS_EQUAL(0, ipc::transport().call(kClient, m));
    srv.join();
    LONGS_EQUAL(0, reply_result.load());
    UNSIGNED_LONGLONGS_EQUAL(40, server_slot);
    UNSIGNED_LONGLONGS_EQUAL(object_of(*world, client, 5), object_of(*world, server, 40));
    UNSIGNED_LONGS_EQUAL(1, m.cap_count());
    client_slot = m.cap(0);
    CHECK(client_slot != 0 && client_slot != 5 && client_slot != kClient);
    UNSIGNED_LONGLONGS_EQUAL(object_of(*world, server, kEp), object_of(*world, client, client_slot));
    // The sender keeps its own capability: transfer copies.
    UNSIGNED_LONGLONGS_EQUAL(object_of(*world, client, 5), object_of(*world, server, 40));
}

TEST(FakeTransport, CapabilitiesNeedTheGrantRight) {
    give_client(abi::kRightSend);
    World::Scope as(*world, client);
    LONGS_EQUAL(5, ipc::transport().endpoint_create(5));
    Message m = Message::request(kPing);
    m.push_cap(5);
    LONGS_EQUAL(-abi::kNoRights, ipc::transport().call(kClient, m));
    UNSIGNED_LONGS_EQUAL(0, world->waiting_senders(server, kEp));
}

TEST(FakeTransport, SendingAnEmptySlotIsBadSlot) {
    give_client(abi::kRightSend | abi::kRightGrant);
    World::Scope as(*world, client);
    Message m = Message::request(kPing);
    m.push_cap(77);
    LONGS_EQUAL(-abi::kBadSlot, ipc::transport().call(kClient, m));
}

TEST(FakeTransport, ReplyCapabilitiesNeedTheCallersGrant) {
    give_client(abi::kRightSend);  // no grant: the answer's capability is left out
    std::thread srv = world->spawn(server, [] {
        Message m;
        ipc::transport().recv(kEp, m);
        m.reply().push(1).push_cap(kEp);
        ipc::transport().reply(m);
    });
    World::Scope as(*world, client);
    const u32 held = world->caps_held(client);
    Message m = Message::request(kPing);
    LONGS_EQUAL(0, ipc::transport().call(kClient, m));
    srv.join();
    UNSIGNED_LONGS_EQUAL(1, m.word_count());
    UNSIGNED_LONGS_EQUAL(0, m.cap_count());
    UNSIGNED_LONGS_EQUAL(held, world->caps_held(client));
}

TEST(FakeTransport, DeadServerCancelsTheCallItHolds) {
    give_client(abi::kRightSend);
    std::atomic<bool> holding{false}, killed{false};
    std::atomic<i64> served{1};
    std::thread srv = world->spawn(server, [&] {
        served = ipc::serve(kEp, [&](Message& m) {
            holding = true;
            eventually([&] { return killed.load(); });
            m.reply();
            return Action::kReply;
        });
    });
    std::atomic<i64> called{1};
    std::thread caller = world->spawn(client, [&] {
        Message m = Message::request(kPing);
        called = ipc::transport().call(kClient, m);
    });
    CHECK_TRUE(eventually([&] { return holding.load(); }));
    world->kill(server);
    killed = true;
    caller.join();
    srv.join();
    LONGS_EQUAL(-abi::kCancelled, called.load());
    LONGS_EQUAL(-abi::kCancelled, served.load());
    CHECK_FALSE(world->alive(server));
    UNSIGNED_LONGS_EQUAL(0, world->caps_held(server));
}

TEST(FakeTransport, ServerThreadEndingUnansweredCancelsItsCaller) {
    give_client(abi::kRightSend);
    std::thread srv = world->spawn(server, [] {
        Message m;
        ipc::transport().recv(kEp, m);
        // returns without answering: the thread ends
    });
    World::Scope as(*world, client);
    Message m = Message::request(kPing);
    LONGS_EQUAL(-abi::kCancelled, ipc::transport().call(kClient, m));
    srv.join();
}

TEST(FakeTransport, TakingANewCallDropsAnUnansweredOne) {
    Task* other = world->create_task("other");
    give_client(abi::kRightSend);
    give_client(abi::kRightSend, 0, kClient, other);
    std::atomic<i64> first{1}, second{1};
    std::thread a = world->spawn(client, [&] {
        Message m = Message::request(kPing);
        first = ipc::transport().call(kClient, m);
    });
    CHECK_TRUE(eventually([&] { return world->waiting_senders(server, kEp) == 1; }));
    std::thread b = world->spawn(other, [&] {
        Message m = Message::request(kPing);
        second = ipc::transport().call(kClient, m);
    });
    CHECK_TRUE(eventually([&] { return world->waiting_senders(server, kEp) == 2; }));
    {
        World::Scope as(*world, server);
        Message m;
        LONGS_EQUAL(0, ipc::transport().recv(kEp, m));  // a's call
        LONGS_EQUAL(0, ipc::transport().recv(kEp, m));  // b's: a's right is gone
        a.join();
        LONGS_EQUAL(-abi::kCancelled, first.load());
        m.reply();
        LONGS_EQUAL(0, ipc::transport().reply(m));
    }
    b.join();
    LONGS_EQUAL(0, second.load());
}

TEST(FakeTransport, EndpointDeathCancelsQueuedCallers) {
    give_client(abi::kRightSend);
    std::atomic<i64> called{1};
    std::thread caller = world->spawn(client, [&] {
        Message m = Message::request(kPing);
        called = ipc::transport().call(kClient, m);
    });
    CHECK_TRUE(eventually([&] { return world->waiting_senders(server, kEp) == 1; }));
    world->kill(server);  // the server's capability goes; the client's remains
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    LONGS_EQUAL(1, called.load());  // still queued: a restarted server could answer
    {
        World::Scope as(*world, client);  // another thread of the client
        LONGS_EQUAL(0, ipc::transport().cap_delete(kClient));  // the last capability
    }
    caller.join();
    LONGS_EQUAL(-abi::kCancelled, called.load());
}

TEST(FakeTransport, QueuedCallerOfDeadServerTimesOut) {
    give_client(abi::kRightSend);
    Task* init = world->create_task("init");
    LONGS_EQUAL(9, world->give(server, kEp, init, 9, abi::kRightsAll));  // init keeps the endpoint
    world->kill(server);
    World::Scope as(*world, client);
    Message m = Message::request(kPing);
    m.set_timeout(10'000'000);
    LONGS_EQUAL(-abi::kTimeout, ipc::transport().call(kClient, m));
}

TEST(FakeTransport, KilledTaskCannotDoAnything) {
    give_client(abi::kRightSend);
    world->kill(client);
    World::Scope as(*world, client);
    Message m = Message::request(kPing);
    LONGS_EQUAL(-abi::kCancelled, ipc::transport().call(kClient, m));
    LONGS_EQUAL(-abi::kCancelled, ipc::transport().endpoint_create(0));
}

TEST(FakeTransport, NoScopeNoTransport) {
    Message m;
    LONGS_EQUAL(-abi::kPermission, ipc::transport().call(kClient, m));
    LONGS_EQUAL(-abi::kPermission, ipc::transport().endpoint_create(0));
    LONGS_EQUAL(-abi::kPermission, ipc::thread_init());
}

TEST(FakeTransport, CapabilityOperations) {
    World::Scope as(*world, client);
    ipc::Transport& t = ipc::transport();
    LONGS_EQUAL(1, t.endpoint_create(0));  // the lowest free slot
    LONGS_EQUAL(5, t.endpoint_create(5));
    LONGS_EQUAL(-abi::kNoSlot, t.endpoint_create(5));
    LONGS_EQUAL(-abi::kBadSlot, t.endpoint_create(abi::kCapSlots));
    abi::CapInfo info{};
    LONGS_EQUAL(0, t.cap_info(5, info));
    UNSIGNED_LONGS_EQUAL(abi::kCapEndpoint, info.type);
    UNSIGNED_LONGS_EQUAL(abi::kRightsAll, info.rights);
    LONGS_EQUAL(-abi::kBadSlot, t.cap_info(0, info));
    LONGS_EQUAL(-abi::kBadSlot, t.cap_info(6, info));

    LONGS_EQUAL(2, t.cap_copy(5, 0, abi::kRightSend));
    UNSIGNED_LONGS_EQUAL(abi::kRightSend, rights_of(*world, client, 2));
    LONGS_EQUAL(4, t.cap_copy(2, 4, abi::kRightsAll));  // never more than the source
    UNSIGNED_LONGS_EQUAL(abi::kRightSend, rights_of(*world, client, 4));
    LONGS_EQUAL(0, t.cap_delete(4));
    LONGS_EQUAL(-abi::kInvalid, t.cap_mint(5, 0, abi::kRightSend, 0));
    LONGS_EQUAL(3, t.cap_mint(5, 0, abi::kRightSend, 7));
    LONGS_EQUAL(0, t.cap_info(3, info));
    UNSIGNED_LONGLONGS_EQUAL(7, info.badge);
    UNSIGNED_LONGLONGS_EQUAL(object_of(*world, client, 5), info.object);
    LONGS_EQUAL(-abi::kInvalid, t.cap_mint(3, 0, abi::kRightSend, 8));  // already badged

    Message m = Message::request(kPing);
    LONGS_EQUAL(-abi::kNoRights, t.recv(2, m));  // send only
    LONGS_EQUAL(7, t.notification_create(7));
    LONGS_EQUAL(-abi::kWrongType, t.call(7, m));
    LONGS_EQUAL(-abi::kBadSlot, t.call(60, m));
    LONGS_EQUAL(-abi::kNotFound, t.reply(m));
    LONGS_EQUAL(-abi::kNotFound, t.reply_save(0));

    LONGS_EQUAL(0, t.cap_delete(2));
    LONGS_EQUAL(-abi::kBadSlot, t.cap_delete(2));
    LONGS_EQUAL(0, t.thread_init());
    LONGS_EQUAL(0, t.thread_fini());
}

TEST(FakeTransport, NotificationsCarryBitsAndBadges) {
    World::Scope as(*world, client);
    ipc::Transport& t = ipc::transport();
    LONGS_EQUAL(3, t.notification_create(3));
    LONGS_EQUAL(4, t.cap_mint(3, 4, abi::kRightSend, 0x100));
    u64 bits = 0;
    LONGS_EQUAL(-abi::kWouldBlock, t.notify_wait(3, abi::kRecvNonBlocking, bits));
    LONGS_EQUAL(0, t.notify_signal(4, 0x1));
    LONGS_EQUAL(0, t.notify_signal(3, 0x10));
    LONGS_EQUAL(0, t.notify_wait(3, 0, bits));
    UNSIGNED_LONGLONGS_EQUAL(0x111, bits);
    LONGS_EQUAL(-abi::kWouldBlock, t.notify_wait(3, abi::kRecvNonBlocking, bits));

    // A waiter blocked in another thread of the task gets the next signal.
    std::atomic<u64> got{0};
    std::thread waiter = world->spawn(client, [&] {
        u64 b = 0;
        if (ipc::transport().notify_wait(3, 0, b) == 0) got = b;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    LONGS_EQUAL(0, t.notify_signal(3, 0x8000000000000002ull));  // bit 63 is never reported
    waiter.join();
    UNSIGNED_LONGLONGS_EQUAL(0x2, got.load());
}

TEST(FakeTransport, BoundNotificationReachesServe) {
    give_client(abi::kRightSend);
    constexpr u64 kNote = 3;
    LONGS_EQUAL(static_cast<i64>(kNote), world->create_notification(server, kNote));
    LONGS_EQUAL(6, world->give(server, kNote, client, 6, abi::kRightSend, 0x40));
    std::atomic<u64> notified{0};
    std::atomic<i64> served{1}, bound{1};
    std::atomic<bool> ready{false};
    std::thread srv = world->spawn(server, [&] {
        bound = ipc::transport().notify_bind(kNote);
        ready = true;
        served = ipc::serve(
            kEp,
            [](Message& m) {
                m.reply();
                return m.label() == 0 ? Action::kStop : Action::kReply;
            },
            [&](u64 bits) { notified |= bits; });
    });
    CHECK_TRUE(eventually([&] { return ready.load(); }));
    {
        World::Scope as(*world, server);  // another server thread cannot bind it too
        LONGS_EQUAL(-abi::kExists, ipc::transport().notify_bind(kNote));
    }
    World::Scope as(*world, client);
    LONGS_EQUAL(0, ipc::transport().notify_signal(6, 0x1));
    CHECK_TRUE(eventually([&] { return notified.load() == 0x41; }));
    Message stop = Message::request(kPing);
    stop.reset(0);  // label 0: the handler's stop request
    LONGS_EQUAL(0, ipc::transport().call(kClient, stop));
    srv.join();
    LONGS_EQUAL(0, bound.load());
    LONGS_EQUAL(0, served.load());
    UNSIGNED_LONGLONGS_EQUAL(0x41, notified.load());
}

TEST(FakeTransport, DeferredReplyThroughASavedRight) {
    give_client(abi::kRightSend);
    Task* other = world->create_task("other");
    give_client(abi::kRightSend, 0, kClient, other);
    constexpr u32 kDefer = 1, kRelease = 2;
    constexpr u64 kSaved = 20;
    std::atomic<bool> saved{false};
    std::thread srv = world->spawn(server, [&] {
        ipc::serve(kEp, [&](Message& m) {
            if (m.label() == kDefer) {
                saved = ipc::transport().reply_save(kSaved) == static_cast<i64>(kSaved);
                return Action::kNoReply;
            }
            Message late;
            late.reply().push(111);
            const i64 r = ipc::transport().reply(late, kSaved);
            m.reply().push(static_cast<u64>(r)).push(222);
            return Action::kStop;
        });
    });
    std::atomic<u64> deferred_answer{0};
    std::thread a = world->spawn(client, [&] {
        Message m = Message::request(kDefer);
        if (ipc::transport().call(kClient, m) == 0) deferred_answer = m.word(0);
    });
    CHECK_TRUE(eventually([&] { return saved.load(); }));
    World::Scope as(*world, other);
    Message m = Message::request(kRelease);
    LONGS_EQUAL(0, ipc::transport().call(kClient, m));
    a.join();
    srv.join();
    UNSIGNED_LONGLONGS_EQUAL(0, m.word(0));  // the saved reply went through
    UNSIGNED_LONGLONGS_EQUAL(222, m.word(1));
    UNSIGNED_LONGLONGS_EQUAL(111, deferred_answer.load());
    abi::CapInfo info{};
    LONGS_EQUAL(-abi::kBadSlot, world->inspect(server, kSaved, info));  // one-shot
}

TEST(FakeTransport, RejectAnswersNoSysAndDropsCaps) {
    give_client(abi::kRightSend | abi::kRightGrant);
    std::thread srv = world->spawn(server, [] {
        ipc::serve(kEp, [](Message& m) {
            if (m.label() == 0) {
                m.reply();
                return Action::kStop;
            }
            return ipc::reject(m);
        });
    });
    World::Scope as(*world, client);
    LONGS_EQUAL(5, ipc::transport().endpoint_create(5));
    const u32 server_caps = world->caps_held(server);
    Message m = Message::request(0x5555);
    m.push_cap(5);
    LONGS_EQUAL(0, ipc::transport().call(kClient, m));
    LONGS_EQUAL(-abi::kNoSys, m.status());
    Message stop(0);
    LONGS_EQUAL(0, ipc::transport().call(kClient, stop));
    srv.join();
    UNSIGNED_LONGS_EQUAL(server_caps, world->caps_held(server));
}

namespace {

// The world's transport, except that answers carrying capabilities are
// refused as a kernel might refuse them: -kInvalid before anything else.
class RefusingTransport final : public ipc::Transport {
public:
    explicit RefusingTransport(World& w) : w_(w) {}
    i64 send(u64 e, Message& m) override { return w_.send(e, m); }
    i64 recv(u64 e, Message& m, u32 f) override { return w_.recv(e, m, f); }
    i64 call(u64 e, Message& m) override { return w_.call(e, m); }
    i64 reply(Message& m, u64 c) override { return m.cap_count() ? -abi::kInvalid : w_.reply(m, c); }
    i64 reply_recv(u64 e, Message& m) override { return m.cap_count() ? -abi::kInvalid : w_.reply_recv(e, m); }
    i64 reply_save(u64 d) override { return w_.reply_save(d); }
    i64 endpoint_create(u64 d) override { return w_.endpoint_create(d); }
    i64 notification_create(u64 d) override { return w_.notification_create(d); }
    i64 cap_copy(u64 s, u64 d, u32 r) override { return w_.cap_copy(s, d, r); }
    i64 cap_mint(u64 s, u64 d, u32 r, u64 b) override { return w_.cap_mint(s, d, r, b); }
    i64 cap_delete(u64 s) override { return w_.cap_delete(s); }
    i64 cap_info(u64 s, abi::CapInfo& i) override { return w_.cap_info(s, i); }
    i64 notify_signal(u64 n, u64 b) override { return w_.notify_signal(n, b); }
    i64 notify_wait(u64 n, u32 f, u64& b) override { return w_.notify_wait(n, f, b); }
    i64 notify_bind(u64 n) override { return w_.notify_bind(n); }
    i64 thread_init() override { return w_.thread_init(); }
    i64 thread_fini() override { return w_.thread_fini(); }

private:
    World& w_;
};

}  // namespace

TEST(FakeTransport, RefusedAnswerReachesTheCallerAsItsError) {
    give_client(abi::kRightSend | abi::kRightGrant);
    RefusingTransport refusing(*world);
    ipc::set_transport(&refusing);
    std::atomic<i64> served{1};
    std::thread srv = world->spawn(server, [&] {
        served = ipc::serve(kEp, [](Message& m) {
            if (m.label() == 0) {
                m.reply();
                return Action::kStop;
            }
            m.reply().push(5).push_cap(kEp);  // refused
            return Action::kReply;
        });
    });
    {
        World::Scope as(*world, client);
        Message m = Message::request(kPing);
        LONGS_EQUAL(0, ipc::transport().call(kClient, m));
        LONGS_EQUAL(-abi::kInvalid, m.status());
        Message again = Message::request(kPing);  // the server still serves
        LONGS_EQUAL(0, ipc::transport().call(kClient, again));
        LONGS_EQUAL(-abi::kInvalid, again.status());
        Message stop(0);
        LONGS_EQUAL(0, ipc::transport().call(kClient, stop));
    }
    srv.join();
    ipc::set_transport(world);
    LONGS_EQUAL(0, served.load());
}
