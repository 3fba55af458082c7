// Host tests of console::Uart (src/servers/console/uart.cpp) against a fake
// 16550: the programming sequence, refusing a missing UART or a bad baud,
// draining stale input, receiving with overruns counted, and transmitting
// in FIFO-sized bursts with a bounded wait.
#include <string>

#include "servers/console/uart.h"
#include "fake_ports.h"

#include <CppUTest/TestHarness.h>

using console::Uart;
using console_test::FakePorts;

namespace {
constexpr u16 kBase = 0x3F8;
}

TEST_GROUP(ConsoleUart) {
    FakePorts ports{kBase};
    Uart uart{ports, kBase};

    // The writes after the scratch-register probe (two writes).
    std::vector<std::pair<u16, u8>> programming() {
        const auto& w = ports.writes();
        return std::vector<std::pair<u16, u8>>(w.begin() + 2, w.end());
    }
};

TEST(ConsoleUart, ProgramsEveryRegisterInOrder) {
    CHECK_TRUE(uart.init(115200, true));
    const std::vector<std::pair<u16, u8>> expected = {
        {kBase + 1, 0x00},  // interrupts off while programming
        {kBase + 3, 0x80},  // DLAB
        {kBase + 0, 0x01},  // divisor low: 115200 / 115200
        {kBase + 1, 0x00},  // divisor high
        {kBase + 3, 0x03},  // 8N1, DLAB off
        {kBase + 2, 0x07},  // FIFOs on and cleared, trigger 1 byte
        {kBase + 4, 0x0B},  // DTR, RTS, OUT2 (routes the IRQ)
        {kBase + 1, 0x01},  // received-data interrupt, last
    };
    CHECK(expected == programming());
    UNSIGNED_LONGS_EQUAL(1, ports.divisor());
    UNSIGNED_LONGS_EQUAL(0x03, ports.lcr());
    UNSIGNED_LONGS_EQUAL(0x01, ports.ier());
}

TEST(ConsoleUart, ProbesTheScratchRegisterFirst) {
    CHECK_TRUE(uart.init(115200, false));
    const auto& w = ports.writes();
    CHECK(w.size() >= 2);
    UNSIGNED_LONGS_EQUAL(kBase + 7, w[0].first);
    UNSIGNED_LONGS_EQUAL(kBase + 7, w[1].first);
    CHECK(w[0].second != w[1].second);
}

TEST(ConsoleUart, PolledModeLeavesInterruptsOff) {
    CHECK_TRUE(uart.init(115200, false));
    UNSIGNED_LONGS_EQUAL(0, ports.ier());
    UNSIGNED_LONGS_EQUAL(0x0B, ports.mcr());
}

TEST(ConsoleUart, DivisorForSlowerBauds) {
    CHECK_TRUE(uart.init(9600, true));
    UNSIGNED_LONGS_EQUAL(12, ports.divisor());
    CHECK_TRUE(uart.init(50, true));
    UNSIGNED_LONGS_EQUAL(2304, ports.divisor());  // both divisor bytes used
}

TEST(ConsoleUart, RefusesBadBaudsWithoutTouchingTheUart) {
    CHECK_FALSE(uart.init(0, true));
    CHECK_FALSE(uart.init(115201, true));
    CHECK_FALSE(uart.init(7, true));  // not a divisor of 115200
    UNSIGNED_LONGS_EQUAL(0, ports.writes().size());
}

TEST(ConsoleUart, RefusesAMissingUart) {
    ports.set_absent(true);
    CHECK_FALSE(uart.init(115200, true));
    // Only the probe was written: nothing was programmed.
    CHECK(ports.writes().size() <= 2);
}

TEST(ConsoleUart, DrainsStaleInputBeforeEnablingInterrupts) {
    ports.type("stale");
    CHECK_TRUE(uart.init(115200, true));
    UNSIGNED_LONGS_EQUAL(0, ports.rx_left());
    u8 buf[8];
    UNSIGNED_LONGS_EQUAL(0, uart.receive(buf, sizeof(buf)));
}

TEST(ConsoleUart, ReceivesWhatIsThereUpToMax) {
    CHECK_TRUE(uart.init(115200, true));
    ports.type("hello");
    u8 buf[3];
    UNSIGNED_LONGS_EQUAL(3, uart.receive(buf, sizeof(buf)));
    MEMCMP_EQUAL("hel", buf, 3);
    UNSIGNED_LONGS_EQUAL(2, uart.receive(buf, sizeof(buf)));
    MEMCMP_EQUAL("lo", buf, 2);
    UNSIGNED_LONGS_EQUAL(0, uart.receive(buf, sizeof(buf)));
}

TEST(ConsoleUart, CountsOverruns) {
    CHECK_TRUE(uart.init(115200, true));
    ports.type("x");
    ports.set_overrun();
    u8 buf[4];
    UNSIGNED_LONGS_EQUAL(1, uart.receive(buf, sizeof(buf)));
    UNSIGNED_LONGLONGS_EQUAL(1, uart.overruns());
}

TEST(ConsoleUart, TransmitsInFifoSizedBursts) {
    CHECK_TRUE(uart.init(115200, true));
    const std::string text(40, 'a');
    const usize lsr_reads_before = ports.reads().size();
    UNSIGNED_LONGS_EQUAL(40, uart.transmit(text.data(), text.size()));
    STRCMP_EQUAL(text.c_str(), ports.transmitted().c_str());
    // 40 bytes: three bursts (16 + 16 + 8), one status read before each.
    UNSIGNED_LONGS_EQUAL(3, ports.reads().size() - lsr_reads_before);
}

TEST(ConsoleUart, WaitsForABusyTransmitter) {
    CHECK_TRUE(uart.init(115200, true));
    ports.set_busy_reads(100);
    UNSIGNED_LONGS_EQUAL(2, uart.transmit("ok", 2));
    STRCMP_EQUAL("ok", ports.transmitted().c_str());
    UNSIGNED_LONGLONGS_EQUAL(0, uart.transmit_timeouts());
}

TEST(ConsoleUart, GivesUpOnATransmitterThatNeverDrains) {
    CHECK_TRUE(uart.init(115200, true));
    ports.set_stuck(true);
    UNSIGNED_LONGS_EQUAL(0, uart.transmit("lost", 4));
    STRCMP_EQUAL("", ports.transmitted().c_str());
    UNSIGNED_LONGLONGS_EQUAL(1, uart.transmit_timeouts());
}
