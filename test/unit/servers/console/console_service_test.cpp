// Host tests of console::Service (src/servers/console/console_service.cpp):
// the console's arrangement at boot in host threads under the IPC
// library's fake transport. The server thread runs ipc::serve with a bound
// notification, as main.cpp does; the test plays the interrupt by
// signalling that notification after "typing" into the fake UART; clients
// call through the stub in servers/console/client.h.
//
// Worker threads never CHECK: they record what they saw, and the test
// checks after join().
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "fake_ports.h"
#include "lib/ipc/fake_transport.h"
#include "lib/ipc/server.h"
#include "servers/console/client.h"
#include "servers/console/console_protocol.h"
#include "servers/console/console_service.h"
#include "servers/console/terminal.h"
#include "servers/console/uart.h"

#include <CppUTest/TestHarness.h>

using ipc::Message;
using ipc::fake::Task;
using ipc::fake::World;

namespace {

constexpr u16 kBase = console::kCom1Base;
constexpr u64 kClientSlot = 4;  // each client's capability to the console
constexpr u64 kIrqSlot = 4;     // the "interrupt" task's copy of the notification

// Waits (up to 5 s) for cond to hold.
template <typename Cond>
bool eventually(Cond cond) {
    for (int i = 0; i < 5000; ++i) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return cond();
}

// What a reading client saw.
struct ReadResult {
    std::atomic<bool> done{false};
    i64 result = 0;
    std::string text;
};

}  // namespace

TEST_GROUP(ConsoleService) {
    World* world = nullptr;
    console_test::FakePorts* ports = nullptr;
    console::Uart* uart = nullptr;
    console::Terminal* terminal = nullptr;
    console::Service* service = nullptr;
    Task* server = nullptr;
    Task* irq = nullptr;
    std::thread server_thread;
    std::atomic<i64> served{1};

    void setup() override {
        world = new World;
        ports = new console_test::FakePorts(kBase);
        uart = new console::Uart(*ports, kBase);
        CHECK_TRUE(uart->init(115200, true));
        terminal = new console::Terminal(*uart);
        service = new console::Service(*terminal, console::kSlotFirstReader);
        server = world->create_task("console");
        irq = world->create_task("irq");
        LONGS_EQUAL(console::kSlotEndpoint, world->create_endpoint(server, console::kSlotEndpoint));
        LONGS_EQUAL(console::kSlotNotification, world->create_notification(server, console::kSlotNotification));
        LONGS_EQUAL(kIrqSlot, world->give(server, console::kSlotNotification, irq, kIrqSlot, abi::kRightSend));
        console::Terminal* t = terminal;
        console::Service* s = service;
        server_thread = world->spawn(server, [this, t, s] {
            if (ipc::transport().notify_bind(console::kSlotNotification) != 0) return;
            served = ipc::serve(
                console::kSlotEndpoint, [s](Message& m) { return s->handle(m); },
                [t, s](u64 bits) {
                    if (!(bits & console::kIrqBit)) return;
                    t->poll_input();
                    s->input_arrived();
                });
        });
    }

    void teardown() override {
        world->kill(server);
        server_thread.join();
        LONGS_EQUAL(-abi::kCancelled, served.load());
        delete world;
        delete service;
        delete terminal;
        delete uart;
        delete ports;
    }

    Task* client(const char* name, u64 badge) {
        Task* t = world->create_task(name);
        LONGS_EQUAL(kClientSlot, world->give(server, console::kSlotEndpoint, t, kClientSlot, abi::kRightSend, badge));
        return t;
    }

    // Keys typed, then the interrupt.
    void type(const std::string& s) {
        ports->type(s);
        World::Scope as(*world, irq);
        LONGS_EQUAL(0, ipc::transport().notify_signal(kIrqSlot, console::kIrqBit));
    }

    // A thread of task t that reads one line (max bytes) into r.
    std::thread reader(Task* t, ReadResult& r, usize max = 64) {
        return world->spawn(t, [&r, max] {
            console::Client tty(kClientSlot);
            char buf[console::kMaxRead];
            r.result = tty.read(buf, max);
            if (r.result > 0) r.text.assign(buf, static_cast<usize>(r.result));
            r.done = true;
        });
    }

    // Readers waiting: each holds a saved reply right in the server's space
    // besides its endpoint and notification (counted under the fake's
    // lock, unlike the service's own count, which is the server thread's).
    u32 waiting() { return world->caps_held(server) - 2; }
};

TEST(ConsoleService, WritesWholeLines) {
    Task* c = client("writer", 7);
    World::Scope as(*world, c);
    console::Client tty(kClientSlot);
    LONGS_EQUAL(6, tty.write("hello\n"));
    LONGS_EQUAL(3, tty.write("abc"));
    STRCMP_EQUAL("hello\r\n", ports->transmitted().c_str());
    LONGS_EQUAL(4, tty.write("def\n"));
    STRCMP_EQUAL("hello\r\nabcdef\r\n", ports->transmitted().c_str());
    LONGS_EQUAL(2, tty.write("> ", true));
    STRCMP_EQUAL("hello\r\nabcdef\r\n> ", ports->transmitted().c_str());
}

TEST(ConsoleService, LongWritesGoInSeveralRequests) {
    Task* c = client("writer", 7);
    World::Scope as(*world, c);
    console::Client tty(kClientSlot);
    std::string text;
    for (int i = 0; i < 60; ++i) text += "line " + std::to_string(i) + " of a long report\n";
    CHECK(text.size() > 2 * console::kMaxWrite);
    LONGS_EQUAL(static_cast<i64>(text.size()), tty.write(text.c_str()));
    std::string expected;
    for (int i = 0; i < 60; ++i) expected += "line " + std::to_string(i) + " of a long report\r\n";
    STRCMP_EQUAL(expected.c_str(), ports->transmitted().c_str());
}

TEST(ConsoleService, ReadTakesALineAlreadyTyped) {
    Task* c = client("reader", 1);
    type("ls -l\r");
    World::Scope as(*world, c);
    console::Client tty(kClientSlot);
    char buf[32];
    const i64 n = tty.read(buf, sizeof(buf));
    LONGS_EQUAL(6, n);
    STRCMP_EQUAL("ls -l\n", std::string(buf, 6).c_str());
}

TEST(ConsoleService, NonBlockingReadWithNothingTyped) {
    Task* c = client("reader", 1);
    World::Scope as(*world, c);
    console::Client tty(kClientSlot);
    char buf[8];
    LONGS_EQUAL(0, tty.read(buf, sizeof(buf), true));
    type("x");  // typed, but no line yet
    LONGS_EQUAL(0, tty.read(buf, sizeof(buf), true));
    UNSIGNED_LONGS_EQUAL(0, waiting());
}

TEST(ConsoleService, ReadIsAnsweredWhenALineArrives) {
    Task* c = client("shell", 3);
    ReadResult r;
    std::thread t = world->spawn(c, [&r] {
        console::Client tty(kClientSlot);
        tty.write("lstar> ");  // shows only once the read asks for input
        char buf[64];
        r.result = tty.read(buf, sizeof(buf));
        if (r.result > 0) r.text.assign(buf, static_cast<usize>(r.result));
        r.done = true;
    });
    CHECK_TRUE(eventually([&] { return waiting() == 1; }));
    STRCMP_EQUAL("lstar> ", ports->transmitted().c_str());
    type("pw");
    type("d\r");
    t.join();
    LONGS_EQUAL(4, r.result);
    STRCMP_EQUAL("pwd\n", r.text.c_str());
    STRCMP_EQUAL("lstar> pwd\r\n", ports->transmitted().c_str());
    UNSIGNED_LONGS_EQUAL(0, waiting());
}

TEST(ConsoleService, ReadersAreAnsweredInOrder) {
    Task* a = client("a", 1);
    Task* b = client("b", 2);
    ReadResult ra, rb;
    std::thread ta = reader(a, ra);
    CHECK_TRUE(eventually([&] { return waiting() == 1; }));
    std::thread tb = reader(b, rb);
    CHECK_TRUE(eventually([&] { return waiting() == 2; }));
    type("first\rsecond\r");
    ta.join();
    tb.join();
    STRCMP_EQUAL("first\n", ra.text.c_str());
    STRCMP_EQUAL("second\n", rb.text.c_str());
}

TEST(ConsoleService, ALineIsNotLostToAReaderThatDied) {
    Task* a = client("a", 1);
    Task* b = client("b", 2);
    ReadResult ra, rb;
    std::thread ta = reader(a, ra);
    CHECK_TRUE(eventually([&] { return waiting() == 1; }));
    std::thread tb = reader(b, rb);
    CHECK_TRUE(eventually([&] { return waiting() == 2; }));
    world->kill(a);
    ta.join();
    LONGS_EQUAL(-abi::kCancelled, ra.result);
    type("kept\r");
    tb.join();
    STRCMP_EQUAL("kept\n", rb.text.c_str());
    // The dead reader's reply slot was emptied: a new reader can use it.
    CHECK_TRUE(eventually([&] { return waiting() == 0; }));
    abi::CapInfo info{};
    LONGS_EQUAL(-abi::kBadSlot, world->inspect(server, console::kSlotFirstReader, info));
}

TEST(ConsoleService, ALineLongerThanTheReadComesInPieces) {
    Task* c = client("reader", 1);
    type("hello\r");
    World::Scope as(*world, c);
    console::Client tty(kClientSlot);
    char buf[8];
    LONGS_EQUAL(3, tty.read(buf, 3));
    STRCMP_EQUAL("hel", std::string(buf, 3).c_str());
    LONGS_EQUAL(3, tty.read(buf, sizeof(buf)));
    STRCMP_EQUAL("lo\n", std::string(buf, 3).c_str());
}

TEST(ConsoleService, TooManyReadersAreRefused) {
    Task* tasks[console::kMaxReaders];
    ReadResult results[console::kMaxReaders];
    std::thread threads[console::kMaxReaders];
    for (u32 i = 0; i < console::kMaxReaders; ++i) {
        tasks[i] = client(("r" + std::to_string(i)).c_str(), i + 1);
        threads[i] = reader(tasks[i], results[i]);
        CHECK_TRUE(eventually([&] { return waiting() == i + 1; }));
    }
    Task* extra = client("extra", 99);
    {
        World::Scope as(*world, extra);
        console::Client tty(kClientSlot);
        char buf[8];
        LONGS_EQUAL(-abi::kNoMemory, tty.read(buf, sizeof(buf)));
    }
    std::string lines;
    for (u32 i = 0; i < console::kMaxReaders; ++i) lines += "l" + std::to_string(i) + "\r";
    type(lines);
    for (u32 i = 0; i < console::kMaxReaders; ++i) {
        threads[i].join();
        STRCMP_EQUAL(("l" + std::to_string(i) + "\n").c_str(), results[i].text.c_str());
    }
}

TEST(ConsoleService, MalformedRequestsAreRefused) {
    Task* c = client("bad", 1);
    World::Scope as(*world, c);
    ipc::Transport& t = ipc::transport();

    Message flags = Message::request(console::kConsoleWrite);
    flags.push(0x80).push_bytes("x", 1);
    LONGS_EQUAL(0, t.call(kClientSlot, flags));
    LONGS_EQUAL(-abi::kInvalid, flags.status());

    Message no_text = Message::request(console::kConsoleWrite);
    no_text.push(0);
    LONGS_EQUAL(0, t.call(kClientSlot, no_text));
    LONGS_EQUAL(-abi::kInvalid, no_text.status());

    Message zero = Message::request(console::kConsoleRead);
    zero.push(0);
    LONGS_EQUAL(0, t.call(kClientSlot, zero));
    LONGS_EQUAL(-abi::kInvalid, zero.status());

    Message huge = Message::request(console::kConsoleRead);
    huge.push(console::kMaxRead + 1);
    LONGS_EQUAL(0, t.call(kClientSlot, huge));
    LONGS_EQUAL(-abi::kInvalid, huge.status());

    Message unknown = Message::request(ipc::proto::kHelloAdd);
    LONGS_EQUAL(0, t.call(kClientSlot, unknown));
    LONGS_EQUAL(-abi::kNoSys, unknown.status());
}

TEST(ConsoleService, CapabilitiesSentAreDropped) {
    Task* c = world->create_task("granter");
    LONGS_EQUAL(kClientSlot, world->give(server, console::kSlotEndpoint, c, kClientSlot,
                                         abi::kRightSend | abi::kRightGrant));
    const u32 held = world->caps_held(server);
    World::Scope as(*world, c);
    LONGS_EQUAL(9, ipc::transport().endpoint_create(9));
    Message m = Message::request(console::kConsoleWrite);
    m.push(0).push_bytes("hi\n", 3).push_cap(9);
    LONGS_EQUAL(0, ipc::transport().call(kClientSlot, m));
    LONGS_EQUAL(0, m.status());
    UNSIGNED_LONGS_EQUAL(held, world->caps_held(server));
}

TEST(ConsoleService, StatsCountTheTraffic) {
    Task* c = client("stats", 1);
    type("ab\r");
    World::Scope as(*world, c);
    console::Client tty(kClientSlot);
    char buf[8];
    LONGS_EQUAL(3, tty.read(buf, sizeof(buf)));
    Message m = Message::request(console::kConsoleStats);
    LONGS_EQUAL(0, ipc::transport().call(kClientSlot, m));
    LONGS_EQUAL(0, m.status());
    UNSIGNED_LONGS_EQUAL(5, m.word_count());
    UNSIGNED_LONGLONGS_EQUAL(3, m.word(0));  // received
    UNSIGNED_LONGLONGS_EQUAL(4, m.word(1));  // transmitted: "ab\r\n" echoed
    UNSIGNED_LONGLONGS_EQUAL(1, m.word(2));  // lines
    UNSIGNED_LONGLONGS_EQUAL(0, m.word(3));  // dropped
    UNSIGNED_LONGLONGS_EQUAL(0, m.word(4));  // overruns
}
