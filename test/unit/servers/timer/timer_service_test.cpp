// Host tests of timer::Service (src/servers/timer/timer_service.cpp) under
// the IPC library's fake transport, with a clock the test sets: now, sleeps
// answered at once when already due, sleepers kept with saved reply rights
// and answered in deadline order by expire(), the sleeper limit, sleepers
// that went away, bad requests. The test thread is the server (as the
// timer's loop in main.cpp: receive, handle, reply); clients are threads
// calling through the stub in servers/timer/client.h.
#include <atomic>
#include <chrono>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "lib/ipc/fake_transport.h"
#include "lib/ipc/server.h"
#include "servers/timer/client.h"
#include "servers/timer/timer_protocol.h"
#include "servers/timer/timer_service.h"

#include <CppUTest/TestHarness.h>

using ipc::Action;
using ipc::Message;
using ipc::fake::Task;
using ipc::fake::World;

namespace {

constexpr u64 kClientSlot = 4;

// What a sleeping client saw.
struct Sleeper {
    std::atomic<bool> done{false};
    i64 result = 1;
    u64 woke = 0;
};

}  // namespace

TEST_GROUP(TimerService) {
    World* world = nullptr;
    timer::Service* service = nullptr;
    Task* server = nullptr;
    World::Scope* as_server = nullptr;
    std::vector<std::thread> clients;
    // Owned here, not by a test body: a client thread may still write its
    // Sleeper until teardown joins it.
    std::deque<Sleeper> sleepers;

    void setup() override {
        world = new World;
        service = new timer::Service(timer::kSlotFirstSleeper);
        server = world->create_task("timer");
        LONGS_EQUAL(timer::kSlotEndpoint, world->create_endpoint(server, timer::kSlotEndpoint));
        as_server = new World::Scope(*world, server);
    }

    void teardown() override {
        delete as_server;
        world->kill(server);  // cancels whoever still sleeps
        for (auto& t : clients) t.join();
        delete service;
        delete world;
    }

    Task* client(const std::string& name, u64 badge = 0) {
        Task* t = world->create_task(name.c_str());
        LONGS_EQUAL(kClientSlot,
                    world->give(server, timer::kSlotEndpoint, t, kClientSlot, abi::kRightSend, badge));
        return t;
    }

    // A client thread sleeping ns; what it saw goes to the Sleeper returned.
    Sleeper& sleep(Task* t, u64 ns) {
        Sleeper& s = sleepers.emplace_back();
        clients.push_back(world->spawn(t, [ns, &s] {
            timer::Client timer(kClientSlot);
            s.result = timer.sleep(ns, s.woke);
            s.done = true;
        }));
        return s;
    }

    // Receives the next request and handles it at `now` as the server loop
    // does; returns what the handler decided (after replying if kReply).
    Action serve_one(u64 now) {
        Message m;
        LONGS_EQUAL(0, ipc::transport().recv(timer::kSlotEndpoint, m));
        const Action a = service->handle(m, now);
        if (a == Action::kReply) LONGS_EQUAL(0, ipc::transport().reply(m));
        return a;
    }

    // Waits (up to 5 s) for a thread to finish.
    static bool finished(const Sleeper& s) {
        for (int i = 0; i < 5000 && !s.done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return s.done;
    }
};

TEST(TimerService, NowIsTheServersClock) {
    Message m = Message::request(timer::kTimerNow);
    LONGS_EQUAL(static_cast<int>(Action::kReply), static_cast<int>(service->handle(m, 12345)));
    LONGS_EQUAL(0, m.status());
    UNSIGNED_LONGS_EQUAL(1, m.word_count());
    UNSIGNED_LONGLONGS_EQUAL(12345, m.word(0));
}

TEST(TimerService, ZeroSleepAndPastDeadlinesAreAnsweredAtOnce) {
    Message zero = Message::request(timer::kTimerSleep);
    zero.push(0);
    LONGS_EQUAL(static_cast<int>(Action::kReply), static_cast<int>(service->handle(zero, 500)));
    UNSIGNED_LONGLONGS_EQUAL(500, zero.word(0));
    Message past = Message::request(timer::kTimerSleepUntil);
    past.push(499);
    LONGS_EQUAL(static_cast<int>(Action::kReply), static_cast<int>(service->handle(past, 500)));
    LONGS_EQUAL(0, past.status());
    UNSIGNED_LONGLONGS_EQUAL(500, past.word(0));
    CHECK_TRUE(service->table().empty());
}

TEST(TimerService, BadRequestsAreRefused) {
    Message none = Message::request(timer::kTimerSleep);
    service->handle(none, 0);
    LONGS_EQUAL(-abi::kInvalid, none.status());
    Message two = Message::request(timer::kTimerSleep);
    two.push(1).push(2);
    service->handle(two, 0);
    LONGS_EQUAL(-abi::kInvalid, two.status());
    Message unknown = Message::request(ipc::proto::kNamesLookup);
    service->handle(unknown, 0);
    LONGS_EQUAL(-abi::kNoSys, unknown.status());
}

TEST(TimerService, SleepersWakeInDeadlineOrder) {
    Task* a = client("a", 1);
    Task* b = client("b", 2);
    Sleeper& sa = sleep(a, 1000);
    LONGS_EQUAL(static_cast<int>(Action::kNoReply), static_cast<int>(serve_one(100)));  // due at 1100
    Sleeper& sb = sleep(b, 500);
    LONGS_EQUAL(static_cast<int>(Action::kNoReply), static_cast<int>(serve_one(200)));  // due at 700
    UNSIGNED_LONGS_EQUAL(2, service->table().size());
    UNSIGNED_LONGLONGS_EQUAL(500, service->wait_ns(200));
    UNSIGNED_LONGLONGS_EQUAL(2, service->table().at(0).badge);

    UNSIGNED_LONGS_EQUAL(0, service->expire(699));
    CHECK_FALSE(sa.done || sb.done);
    UNSIGNED_LONGS_EQUAL(1, service->expire(700));
    CHECK_TRUE(finished(sb));
    LONGS_EQUAL(0, sb.result);
    UNSIGNED_LONGLONGS_EQUAL(700, sb.woke);
    CHECK_FALSE(sa.done);
    UNSIGNED_LONGLONGS_EQUAL(400, service->wait_ns(700));

    UNSIGNED_LONGS_EQUAL(1, service->expire(1500));
    CHECK_TRUE(finished(sa));
    LONGS_EQUAL(0, sa.result);
    UNSIGNED_LONGLONGS_EQUAL(1500, sa.woke);
    CHECK_TRUE(service->table().empty());
    UNSIGNED_LONGLONGS_EQUAL(timer::DeadlineTable::kForever, service->wait_ns(1500));
}

TEST(TimerService, OneExpiryWakesEverySleeperDue) {
    Sleeper* s[5];
    for (int i = 0; i < 5; ++i) {
        s[i] = &sleep(client("s" + std::to_string(i)), 100 * (5 - i));
        serve_one(0);
    }
    UNSIGNED_LONGS_EQUAL(3, service->expire(300));  // 100, 200, 300
    for (int i = 2; i < 5; ++i) CHECK_TRUE(finished(*s[i]));
    CHECK_FALSE(s[0]->done || s[1]->done);
    UNSIGNED_LONGS_EQUAL(2, service->expire(10'000));
    CHECK_TRUE(finished(*s[0]) && finished(*s[1]));
}

TEST(TimerService, TooManySleepersAreRefused) {
    for (u32 i = 0; i < timer::kMaxSleepers; ++i) {
        sleep(client("s" + std::to_string(i)), 1000 + i);
        LONGS_EQUAL(static_cast<int>(Action::kNoReply), static_cast<int>(serve_one(0)));
    }
    Sleeper& extra = sleep(client("extra"), 10);
    LONGS_EQUAL(static_cast<int>(Action::kReply), static_cast<int>(serve_one(0)));
    CHECK_TRUE(finished(extra));
    LONGS_EQUAL(-abi::kNoMemory, extra.result);
    UNSIGNED_LONGS_EQUAL(timer::kMaxSleepers, service->expire(~u64{0}));
}

TEST(TimerService, ASleeperThatWentAwayIsDropped) {
    Task* gone = client("gone");
    Task* stays = client("stays");
    Sleeper& sg = sleep(gone, 100);
    serve_one(0);
    Sleeper& ss = sleep(stays, 200);
    serve_one(0);
    world->kill(gone);
    CHECK_TRUE(finished(sg));
    LONGS_EQUAL(-abi::kCancelled, sg.result);
    UNSIGNED_LONGS_EQUAL(1, service->expire(1000));  // only the one still there
    CHECK_TRUE(finished(ss));
    LONGS_EQUAL(0, ss.result);
    // Both reply slots are empty again: the endpoint is all it holds.
    UNSIGNED_LONGS_EQUAL(1, world->caps_held(server));
}

TEST(TimerService, SleepsTooLongForTheClockEndWithIt) {
    Task* c = client("forever");
    Sleeper& s = sleep(c, ~u64{0});
    serve_one(10);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, service->table().next_deadline());
    UNSIGNED_LONGS_EQUAL(0, service->expire(~u64{0} - 1));
    // A server that dies leaves nobody asleep for good.
    world->kill(server);
    CHECK_TRUE(finished(s));
    LONGS_EQUAL(-abi::kCancelled, s.result);
}
