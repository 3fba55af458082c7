// Host tests of the template server (src/servers/hello): hello::Service on
// its own, then the whole arrangement hello_server has at boot, in host
// threads under the fake transport: the names server, hello_server's own
// code path (endpoint, register "hello", serve), and several clients, some
// finding it through names, some given badged capabilities, each making
// sequence-numbered, checksummed calls through the stub in client.h.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "lib/ipc/fake_transport.h"
#include "lib/ipc/names.h"
#include "lib/ipc/protocol.h"
#include "lib/ipc/server.h"
#include "servers/hello/client.h"
#include "servers/hello/hello_service.h"
#include "servers/names/names_service.h"

#include <CppUTest/TestHarness.h>

namespace proto = ipc::proto;
using ipc::Action;
using ipc::Message;
using ipc::fake::Task;
using ipc::fake::World;

// --- hello::Service alone -----------------------------------------------------

TEST_GROUP(HelloService) {
    hello::Service service;

    // Handles m as the server would and returns the reply's status.
    i64 handle(Message& m) {
        LONGS_EQUAL(static_cast<int>(Action::kReply), static_cast<int>(service.handle(m)));
        return m.status();
    }
};

TEST(HelloService, GreetWithAndWithoutName) {
    Message m = Message::request(proto::kHelloGreet);
    m.push_string("ada");
    m.set_received(m.tag(), 9);  // as if it came through a capability with badge 9
    LONGS_EQUAL(0, handle(m));
    ipc::Reader in(m);
    UNSIGNED_LONGLONGS_EQUAL(9, in.word());
    char greeting[proto::kHelloGreetingSize];
    CHECK_TRUE(in.string(greeting, sizeof(greeting)));
    STRCMP_EQUAL("hello ada", greeting);

    Message anon = Message::request(proto::kHelloGreet);
    LONGS_EQUAL(0, handle(anon));
    ipc::Reader in2(anon);
    in2.word();
    in2.string(greeting, sizeof(greeting));
    STRCMP_EQUAL("hello stranger", greeting);
}

TEST(HelloService, GreetRefusesBadNames) {
    Message too_long = Message::request(proto::kHelloGreet);
    too_long.push_string(std::string(proto::kHelloMaxName + 1, 'x').c_str());
    LONGS_EQUAL(-abi::kInvalid, handle(too_long));
    Message trailing = Message::request(proto::kHelloGreet);
    trailing.push_string("ada").push(1);
    LONGS_EQUAL(-abi::kInvalid, handle(trailing));
    Message longest = Message::request(proto::kHelloGreet);
    longest.push_string(std::string(proto::kHelloMaxName, 'x').c_str());
    LONGS_EQUAL(0, handle(longest));
}

TEST(HelloService, AddWraps) {
    Message m = Message::request(proto::kHelloAdd);
    m.push(~u64{0}).push(2).push(40);
    LONGS_EQUAL(0, handle(m));
    UNSIGNED_LONGS_EQUAL(1, m.word_count());
    UNSIGNED_LONGLONGS_EQUAL(41, m.word(0));
    Message none = Message::request(proto::kHelloAdd);
    LONGS_EQUAL(0, handle(none));
    UNSIGNED_LONGLONGS_EQUAL(0, none.word(0));
}

TEST(HelloService, EchoChecksTheChecksum) {
    Message m = Message::request(proto::kHelloEcho);
    m.push(5).push(10).push(20);
    m.push(proto::checksum(m.words(), m.word_count()));
    m.set_received(m.tag(), 3);
    LONGS_EQUAL(0, handle(m));
    UNSIGNED_LONGS_EQUAL(5, m.word_count());
    UNSIGNED_LONGLONGS_EQUAL(5, m.word(0));
    UNSIGNED_LONGLONGS_EQUAL(3, m.word(1));
    UNSIGNED_LONGLONGS_EQUAL(10, m.word(2));
    UNSIGNED_LONGLONGS_EQUAL(20, m.word(3));
    UNSIGNED_LONGLONGS_EQUAL(proto::checksum(m.words(), 4), m.word(4));

    Message bad = Message::request(proto::kHelloEcho);
    bad.push(5).push(10).push(0xbad);
    LONGS_EQUAL(-abi::kInvalid, handle(bad));
    Message short_one = Message::request(proto::kHelloEcho);
    short_one.push(5);
    LONGS_EQUAL(-abi::kInvalid, handle(short_one));
    // A full request leaves no room for the badge in the reply.
    Message full = Message::request(proto::kHelloEcho);
    for (u32 i = 0; i < abi::kMaxWords - 1; ++i) full.push(i);
    full.push(proto::checksum(full.words(), full.word_count()));
    LONGS_EQUAL(-abi::kInvalid, handle(full));
    UNSIGNED_LONGLONGS_EQUAL(3, service.refused());
}

TEST(HelloService, StatsAndUnknownMethods) {
    Message unknown = Message::request(proto::kNamesLookup);
    LONGS_EQUAL(-abi::kNoSys, handle(unknown));
    Message m = Message::request(proto::kHelloStats);
    LONGS_EQUAL(0, handle(m));
    UNSIGNED_LONGLONGS_EQUAL(2, m.word(0));  // this request included
    UNSIGNED_LONGLONGS_EQUAL(0, m.word(1));
}

// --- The template server under the fake transport ------------------------------

namespace {

constexpr int kClients = 8;
constexpr u64 kCalls = 250;
constexpr u64 kBadgeBase = 100;

// Payload word i of call seq of client c: distinct everywhere.
u64 payload_word(int c, u64 seq, u32 i) { return (u64(c) << 48 | seq << 16 | i) * 0x9e3779b97f4a7c15ull; }

// What a client thread saw (checked by the test thread after join).
struct ClientResult {
    i64 found = 1;  // names lookup (clients that use names)
    u64 ok = 0;
    u64 failed = 0;
    u64 wrong_badge = 0;
    std::string greeting;
};

}  // namespace

TEST_GROUP(HelloServer) {
    World* world = nullptr;
    names::Service* names_service = nullptr;
    hello::Service* hello_service = nullptr;
    Task* names_task = nullptr;
    Task* hello_task = nullptr;
    std::thread names_thread, hello_thread;
    std::atomic<i64> names_served{1}, hello_served{1}, registered{1};

    void setup() override {
        world = new World;
        names_service = new names::Service;
        hello_service = new hello::Service;
        names_task = world->create_task("names");
        hello_task = world->create_task("hello_server");
        // What init does from the manifest: names' endpoint, and a names
        // capability for hello_server.
        LONGS_EQUAL(static_cast<i64>(proto::kSlotEndpoint), world->create_endpoint(names_task, proto::kSlotEndpoint));
        give_names(hello_task);
        names::Service* ns = names_service;
        names_thread = world->spawn(names_task, [this, ns] {
            names_served = ipc::serve(proto::kSlotEndpoint, [ns](Message& m) { return ns->handle(m); });
        });
        // hello_server's main (src/servers/hello/server.cpp), step by step.
        hello::Service* hs = hello_service;
        hello_thread = world->spawn(hello_task, [this, hs] {
            const i64 ep = ipc::own_endpoint(proto::kSlotEndpoint);
            if (ep < 0) return;
            registered = ipc::names::register_name(proto::kSlotNames, hello::Client::kName, static_cast<u64>(ep));
            hello_served = ipc::serve(static_cast<u64>(ep), [hs](Message& m) { return hs->handle(m); });
        });
    }

    void teardown() override {
        world->kill(hello_task);
        hello_thread.join();
        world->kill(names_task);
        names_thread.join();
        LONGS_EQUAL(-abi::kCancelled, hello_served.load());
        LONGS_EQUAL(-abi::kCancelled, names_served.load());
        delete hello_service;
        delete names_service;
        delete world;
    }

    void give_names(Task* to) {
        LONGS_EQUAL(static_cast<i64>(proto::kSlotNames),
                    world->give(names_task, proto::kSlotEndpoint, to, proto::kSlotNames,
                                abi::kRightSend | abi::kRightGrant));
    }

    // Waits until hello_server has registered; its endpoint then exists.
    void wait_registered() {
        for (int i = 0; i < 5000 && registered.load() == 1; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        LONGS_EQUAL(0, registered.load());
    }

    // A client calling through `slot` (found through names if 0): greet,
    // then kCalls echoes of every length, then an add.
    static void run_client(int c, u64 slot, u64 expected_badge, ClientResult& r) {
        if (slot == 0) {
            r.found = -abi::kNotFound;
            for (int i = 0; i < 5000 && r.found == -abi::kNotFound; ++i) {
                r.found = hello::Client::find(proto::kSlotNames, 0);
                if (r.found == -abi::kNotFound) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            if (r.found <= 0) return;
            slot = static_cast<u64>(r.found);
        }
        hello::Client hello(slot);
        char greeting[proto::kHelloGreetingSize];
        u64 badge = 0;
        const std::string name = "client" + std::to_string(c);
        if (hello.greet(name.c_str(), greeting, sizeof(greeting), badge) == 0) r.greeting = greeting;
        if (badge != expected_badge) r.wrong_badge++;
        for (u64 seq = 0; seq < kCalls; ++seq) {
            u64 payload[abi::kMaxWords];
            const u32 count = static_cast<u32>((seq + c) % (abi::kMaxWords - 2));
            for (u32 i = 0; i < count; ++i) payload[i] = payload_word(c, seq, i);
            if (hello.echo(seq, payload, count, badge) == 0) r.ok++;
            else r.failed++;
            if (badge != expected_badge) r.wrong_badge++;
        }
        const u64 values[] = {u64(c), 1000, 2000};
        u64 sum = 0;
        if (hello.add(values, 3, sum) == 0 && sum == u64(c) + 3000) r.ok++;
        else r.failed++;
    }
};

TEST(HelloServer, RegistersWithNames) {
    wait_registered();
    const names::Table::Entry* e = names_service->table().find("hello");
    CHECK(e != nullptr);
    abi::CapInfo names_copy{}, own{};
    LONGS_EQUAL(0, world->inspect(names_task, e->slot, names_copy));
    LONGS_EQUAL(0, world->inspect(hello_task, proto::kSlotEndpoint, own));
    UNSIGNED_LONGLONGS_EQUAL(own.object, names_copy.object);
    UNSIGNED_LONGS_EQUAL(abi::kCapEndpoint, own.type);
}

TEST(HelloServer, ManyClientsSequencedAndChecksummed) {
    wait_registered();
    std::vector<Task*> tasks;
    std::vector<u64> slots, badges;
    for (int c = 0; c < kClients; ++c) {
        tasks.push_back(world->create_task(("client" + std::to_string(c)).c_str()));
        if (c % 2 == 0) {
            // Finds hello through names: an unbadged copy.
            give_names(tasks.back());
            slots.push_back(0);
            badges.push_back(0);
        } else {
            // Given a badged capability, as init does with `give ... badge=B`.
            const u64 slot = proto::kSlotGivenFirst;
            LONGS_EQUAL(static_cast<i64>(slot), world->give(hello_task, proto::kSlotEndpoint, tasks.back(), slot,
                                                            abi::kRightSend, kBadgeBase + c));
            slots.push_back(slot);
            badges.push_back(kBadgeBase + c);
        }
    }
    std::vector<ClientResult> results(kClients);
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
        threads.push_back(world->spawn(tasks[c], [c, &slots, &badges, &results] {
            run_client(c, slots[c], badges[c], results[c]);
        }));
    }
    for (auto& t : threads) t.join();
    for (int c = 0; c < kClients; ++c) {
        const ClientResult& r = results[c];
        if (slots[c] == 0) CHECK(r.found > 0);
        UNSIGNED_LONGLONGS_EQUAL(kCalls + 1, r.ok);
        UNSIGNED_LONGLONGS_EQUAL(0, r.failed);
        UNSIGNED_LONGLONGS_EQUAL(0, r.wrong_badge);
        STRCMP_EQUAL(("hello client" + std::to_string(c)).c_str(), r.greeting.c_str());
    }
    // Every request reached the server once: greet + echoes + add per client.
    World::Scope as(*world, tasks[1]);
    hello::Client hello(slots[1]);
    u64 served = 0, refused = 0;
    LONGS_EQUAL(0, hello.stats(served, refused));
    UNSIGNED_LONGLONGS_EQUAL(kClients * (kCalls + 2) + 1, served);
    UNSIGNED_LONGLONGS_EQUAL(0, refused);
}

TEST(HelloServer, CorruptedEchoIsRefusedAndCapsDropped) {
    wait_registered();
    Task* t = world->create_task("client");
    LONGS_EQUAL(4, world->give(hello_task, proto::kSlotEndpoint, t, 4, abi::kRightSend | abi::kRightGrant));
    World::Scope as(*world, t);
    LONGS_EQUAL(9, ipc::transport().endpoint_create(9));
    const u32 held = world->caps_held(hello_task);
    Message m = Message::request(proto::kHelloEcho);
    m.push(1).push(2).push(3).push_cap(9);  // wrong checksum, and a capability nobody asked for
    LONGS_EQUAL(0, ipc::transport().call(4, m));
    LONGS_EQUAL(-abi::kInvalid, m.status());
    UNSIGNED_LONGS_EQUAL(held, world->caps_held(hello_task));
    hello::Client hello(4);
    u64 served = 0, refused = 0;
    LONGS_EQUAL(0, hello.stats(served, refused));
    UNSIGNED_LONGLONGS_EQUAL(1, refused);
}

TEST(HelloServer, ClientSeesTheServerDie) {
    wait_registered();
    Task* t = world->create_task("client");
    give_names(t);
    World::Scope as(*world, t);
    const i64 slot = hello::Client::find(proto::kSlotNames, 0);
    CHECK(slot > 0);
    hello::Client hello(static_cast<u64>(slot));
    u64 sum = 0;
    const u64 one = 1;
    LONGS_EQUAL(0, hello.add(&one, 1, sum));
    world->kill(hello_task);
    // The endpoint lives on (names and this client hold it): a call waits
    // for a server that may be restarted, so a client sets a timeout.
    hello.set_timeout(10'000'000);
    LONGS_EQUAL(-abi::kTimeout, hello.add(&one, 1, sum));
}
