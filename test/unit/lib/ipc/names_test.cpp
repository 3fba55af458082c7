// Unit tests of the name service: names::Table (src/servers/names) on its
// own, then names::Service serving the names client (lib/ipc/names.h) in a
// host thread under the fake transport: register, lookup (the capability
// travels in the reply), duplicates, bad names and capabilities, list.
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "lib/ipc/fake_transport.h"
#include "lib/ipc/names.h"
#include "lib/ipc/protocol.h"
#include "lib/ipc/server.h"
#include "servers/names/names_service.h"
#include "servers/names/names_table.h"

#include <CppUTest/TestHarness.h>

namespace proto = ipc::proto;
using ipc::Message;
using ipc::fake::Task;
using ipc::fake::World;

// --- names::Table ------------------------------------------------------------

TEST_GROUP(NamesTable){};

TEST(NamesTable, AddFindInOrder) {
    names::Table t;
    UNSIGNED_LONGS_EQUAL(0, t.count());
    POINTERS_EQUAL(nullptr, t.find("console"));
    LONGS_EQUAL(abi::kOk, t.add("console", 20, 7));
    LONGS_EQUAL(abi::kOk, t.add("disk", 21, 0));
    UNSIGNED_LONGS_EQUAL(2, t.count());
    const names::Table::Entry* e = t.find("disk");
    CHECK(e != nullptr);
    UNSIGNED_LONGLONGS_EQUAL(21, e->slot);
    STRCMP_EQUAL("console", t.at(0)->name);
    UNSIGNED_LONGLONGS_EQUAL(7, t.at(0)->badge);
    STRCMP_EQUAL("disk", t.at(1)->name);
    POINTERS_EQUAL(nullptr, t.at(2));
    POINTERS_EQUAL(nullptr, t.find("consol"));
    POINTERS_EQUAL(nullptr, t.find("console2"));
}

TEST(NamesTable, DuplicatesRefused) {
    names::Table t;
    LONGS_EQUAL(abi::kOk, t.add("console", 20, 0));
    LONGS_EQUAL(abi::kExists, t.add("console", 21, 0));
    UNSIGNED_LONGS_EQUAL(1, t.count());
    UNSIGNED_LONGLONGS_EQUAL(20, t.find("console")->slot);
}

TEST(NamesTable, SameBadgeTakesItsNameBack) {
    names::Table t;
    u64 replaced = 99;
    LONGS_EQUAL(abi::kOk, t.add("console", 20, 7, &replaced));
    UNSIGNED_LONGLONGS_EQUAL(0, replaced);
    LONGS_EQUAL(abi::kExists, t.add("console", 21, 8, &replaced));  // another badge
    UNSIGNED_LONGLONGS_EQUAL(0, replaced);
    LONGS_EQUAL(abi::kOk, t.add("console", 22, 7, &replaced));  // the same one: restarted
    UNSIGNED_LONGLONGS_EQUAL(20, replaced);
    UNSIGNED_LONGS_EQUAL(1, t.count());
    UNSIGNED_LONGLONGS_EQUAL(22, t.find("console")->slot);
    LONGS_EQUAL(abi::kOk, t.add("timer", 30, 0, &replaced));
    LONGS_EQUAL(abi::kExists, t.add("timer", 31, 0, &replaced));  // badge 0 never takes over
}

TEST(NamesTable, NamesMustBeValid) {
    names::Table t;
    const std::string longest(proto::kMaxNameLength, 'n');
    const std::string too_long(proto::kMaxNameLength + 1, 'n');
    LONGS_EQUAL(abi::kOk, t.add(longest.c_str(), 1, 0));
    LONGS_EQUAL(abi::kInvalid, t.add(too_long.c_str(), 2, 0));
    LONGS_EQUAL(abi::kInvalid, t.add("", 2, 0));
    LONGS_EQUAL(abi::kInvalid, t.add(nullptr, 2, 0));
    LONGS_EQUAL(abi::kInvalid, t.add("two words", 2, 0));
    LONGS_EQUAL(abi::kInvalid, t.add("tab\there", 2, 0));
    LONGS_EQUAL(abi::kInvalid, t.add("\x7f", 2, 0));
    LONGS_EQUAL(abi::kOk, t.add("a.b-c_d/1!~", 2, 0));
    UNSIGNED_LONGS_EQUAL(2, t.count());
}

TEST(NamesTable, AtMostCapacityNames) {
    names::Table t;
    for (u32 i = 0; i < names::Table::kCapacity; ++i) {
        const std::string name = "server" + std::to_string(i);
        LONGS_EQUAL(abi::kOk, t.add(name.c_str(), 100 + i, 0));
    }
    LONGS_EQUAL(abi::kNoMemory, t.add("one-more", 1, 0));
    LONGS_EQUAL(abi::kExists, t.add("server3", 1, 0));  // taken is said first
    UNSIGNED_LONGS_EQUAL(proto::kMaxNames, t.count());
    UNSIGNED_LONGLONGS_EQUAL(131, t.find("server31")->slot);
}

// --- names::Service through the names client ---------------------------------

namespace {

constexpr u64 kNamesEp = proto::kSlotEndpoint;

}  // namespace

TEST_GROUP(NamesService) {
    World* world = nullptr;
    Task* names_task = nullptr;
    Task* server = nullptr;
    Task* client = nullptr;
    names::Service* service = nullptr;
    std::thread names_thread;
    std::atomic<i64> served{1};

    void setup() override {
        world = new World;
        service = new names::Service;
        names_task = world->create_task("names");
        server = world->create_task("console");
        client = world->create_task("client");
        LONGS_EQUAL(static_cast<i64>(kNamesEp), world->create_endpoint(names_task, kNamesEp));
        const u32 sg = abi::kRightSend | abi::kRightGrant;
        LONGS_EQUAL(1, world->give(names_task, kNamesEp, server, proto::kSlotNames, sg, 11));
        LONGS_EQUAL(1, world->give(names_task, kNamesEp, client, proto::kSlotNames, sg, 12));
        names::Service* s = service;
        names_thread = world->spawn(names_task, [this, s] {
            served = ipc::serve(kNamesEp, [s](Message& m) { return s->handle(m); });
        });
    }
    void teardown() override {
        world->kill(names_task);
        names_thread.join();
        LONGS_EQUAL(-abi::kCancelled, served.load());
        delete service;
        delete world;
    }

    u64 object_of(const Task* t, u64 slot) {
        abi::CapInfo info{};
        return world->inspect(t, slot, info) == 0 ? info.object : 0;
    }
};

TEST(NamesService, RegisterThenLookupGivesACopy) {
    {
        World::Scope as(*world, server);
        LONGS_EQUAL(proto::kSlotEndpoint, ipc::own_endpoint(proto::kSlotEndpoint));
        LONGS_EQUAL(0, ipc::names::register_name(proto::kSlotNames, "console", proto::kSlotEndpoint));
    }
    World::Scope as(*world, client);
    const i64 slot = ipc::names::lookup(proto::kSlotNames, "console", 30);
    LONGS_EQUAL(30, slot);
    UNSIGNED_LONGLONGS_EQUAL(object_of(server, proto::kSlotEndpoint), object_of(client, 30));
    const i64 any = ipc::names::lookup(proto::kSlotNames, "console", 0);
    CHECK(any > 1 && any != 30);
    UNSIGNED_LONGLONGS_EQUAL(object_of(server, proto::kSlotEndpoint), object_of(client, static_cast<u64>(any)));
    // The table remembers who registered (the badge init gave console).
    UNSIGNED_LONGLONGS_EQUAL(11, service->table().find("console")->badge);
}

TEST(NamesService, LookedUpEndpointReachesTheServer) {
    std::atomic<u64> seen_badge{1};
    std::thread console = world->spawn(server, [&] {
        ipc::own_endpoint(proto::kSlotEndpoint);
        ipc::names::register_name(proto::kSlotNames, "console", proto::kSlotEndpoint);
        Message m;
        if (ipc::transport().recv(proto::kSlotEndpoint, m) != 0) return;
        seen_badge = m.badge();
        const u64 w = m.word(0);  // before reply() empties the message
        m.reply().push(w + 1);
        ipc::transport().reply(m);
    });
    World::Scope as(*world, client);
    i64 slot = -abi::kNotFound;
    for (int i = 0; i < 5000 && slot == -abi::kNotFound; ++i) {
        slot = ipc::names::lookup(proto::kSlotNames, "console", 0);
        if (slot == -abi::kNotFound) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    CHECK(slot > 0);
    Message m(1);
    m.push(41);
    LONGS_EQUAL(0, ipc::transport().call(static_cast<u64>(slot), m));
    UNSIGNED_LONGLONGS_EQUAL(42, m.word(0));
    console.join();
    UNSIGNED_LONGLONGS_EQUAL(0, seen_badge.load());  // names hands out what was registered
}

TEST(NamesService, DuplicateAndMissingNames) {
    World::Scope as(*world, server);
    LONGS_EQUAL(5, ipc::transport().endpoint_create(5));
    LONGS_EQUAL(6, ipc::transport().endpoint_create(6));
    LONGS_EQUAL(0, ipc::names::register_name(proto::kSlotNames, "console", 5));
    const u32 held = world->caps_held(names_task);
    {
        // Another badge: refused, and the copy it carried dropped.
        World::Scope other(*world, client);
        LONGS_EQUAL(7, ipc::transport().endpoint_create(7));
        LONGS_EQUAL(-abi::kExists, ipc::names::register_name(proto::kSlotNames, "console", 7));
        UNSIGNED_LONGS_EQUAL(held, world->caps_held(names_task));
    }
    // The same badge (a restarted server): taken back, the old copy deleted.
    LONGS_EQUAL(0, ipc::names::register_name(proto::kSlotNames, "console", 6));
    UNSIGNED_LONGS_EQUAL(held, world->caps_held(names_task));
    CHECK(service->taken_back());
    LONGS_EQUAL(-abi::kNotFound, ipc::names::lookup(proto::kSlotNames, "disk", 0));
    LONGS_EQUAL(-abi::kInvalid, ipc::names::lookup(proto::kSlotNames, "two words", 0));
    LONGS_EQUAL(-abi::kInvalid, ipc::names::register_name(proto::kSlotNames, "", 5));
}

TEST(NamesService, OnlyEndpointsMayBeRegistered) {
    World::Scope as(*world, server);
    LONGS_EQUAL(5, ipc::transport().notification_create(5));
    const u32 held = world->caps_held(names_task);
    LONGS_EQUAL(-abi::kWrongType, ipc::names::register_name(proto::kSlotNames, "console", 5));
    UNSIGNED_LONGS_EQUAL(held, world->caps_held(names_task));
    // A raw register without any capability.
    Message m = Message::request(proto::kNamesRegister);
    m.push_string("console");
    LONGS_EQUAL(0, ipc::transport().call(proto::kSlotNames, m));
    LONGS_EQUAL(-abi::kInvalid, m.status());
    // A bad name the client stub would have refused.
    LONGS_EQUAL(6, ipc::transport().endpoint_create(6));
    Message bad = Message::request(proto::kNamesRegister);
    bad.push_string("two words").push_cap(6);
    LONGS_EQUAL(0, ipc::transport().call(proto::kSlotNames, bad));
    LONGS_EQUAL(-abi::kInvalid, bad.status());
    UNSIGNED_LONGS_EQUAL(held, world->caps_held(names_task));
    UNSIGNED_LONGS_EQUAL(0, service->table().count());
}

TEST(NamesService, LookupWithoutGrantGetsNoCapability) {
    {
        World::Scope as(*world, server);
        LONGS_EQUAL(5, ipc::transport().endpoint_create(5));
        LONGS_EQUAL(0, ipc::names::register_name(proto::kSlotNames, "console", 5));
    }
    Task* weak = world->create_task("weak");
    LONGS_EQUAL(1, world->give(names_task, kNamesEp, weak, proto::kSlotNames, abi::kRightSend));
    World::Scope as(*world, weak);
    const u32 held = world->caps_held(weak);
    LONGS_EQUAL(-abi::kNoRights, ipc::names::lookup(proto::kSlotNames, "console", 0));
    UNSIGNED_LONGS_EQUAL(held, world->caps_held(weak));
}

TEST(NamesService, UnknownMethodIsNoSys) {
    World::Scope as(*world, client);
    Message m = Message::request(proto::kHelloGreet);
    LONGS_EQUAL(0, ipc::transport().call(proto::kSlotNames, m));
    LONGS_EQUAL(-abi::kNoSys, m.status());
}

TEST(NamesService, ListEveryNameAcrossReplies) {
    std::vector<std::string> registered;
    {
        World::Scope as(*world, server);
        LONGS_EQUAL(5, ipc::transport().endpoint_create(5));
        for (u32 i = 0; i < proto::kMaxNames; ++i) {
            // Long names: only a few fit in one reply.
            std::string name = "service-with-a-long-name-" + std::to_string(i);
            LONGS_EQUAL(0, ipc::names::register_name(proto::kSlotNames, name.c_str(), 5));
            registered.push_back(name);
        }
        LONGS_EQUAL(-abi::kNoMemory, ipc::names::register_name(proto::kSlotNames, "full", 5));
    }
    World::Scope as(*world, client);
    std::vector<std::string> listed;
    const i64 total = ipc::names::list(proto::kSlotNames, [&](const char* name) { listed.push_back(name); });
    LONGS_EQUAL(proto::kMaxNames, total);
    CHECK(registered == listed);
}

TEST(NamesService, EmptyList) {
    World::Scope as(*world, client);
    int calls = 0;
    LONGS_EQUAL(0, ipc::names::list(proto::kSlotNames, [&](const char*) { ++calls; }));
    LONGS_EQUAL(0, calls);
}
