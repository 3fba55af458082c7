// console::Uart: the register logic of a 16550 UART (COM1 on a PC) over a
// PortIo: programming it, taking received bytes, sending bytes. No policy:
// line editing is LineDiscipline's, line assembly Terminal's.
//
// The console server runs it interrupt-driven for input (IER: received data
// available, OUT2 set so the PC routes the UART's interrupt to the
// interrupt controller) and polled for output (it waits for the transmit
// holding register before each burst of up to 16 bytes, the FIFO's size).
#pragma once

#include "lib/kstd/types.h"
#include "servers/console/port_io.h"

namespace console {

class Uart {
public:
    // Register offsets from the base port.
    static constexpr u16 kRegData = 0;     // RBR (read) / THR (write); DLL with DLAB
    static constexpr u16 kRegIer = 1;      // interrupt enable; DLM with DLAB
    static constexpr u16 kRegIir = 2;      // interrupt identification (read)
    static constexpr u16 kRegFcr = 2;      // FIFO control (write)
    static constexpr u16 kRegLcr = 3;      // line control
    static constexpr u16 kRegMcr = 4;      // modem control
    static constexpr u16 kRegLsr = 5;      // line status
    static constexpr u16 kRegMsr = 6;      // modem status
    static constexpr u16 kRegScratch = 7;

    static constexpr u8 kLcrDlab = 0x80;
    static constexpr u8 kLcr8N1 = 0x03;
    // FIFOs on, both cleared, receive trigger at 1 byte: every key press
    // interrupts at once, whether or not the emulator models the FIFO's
    // character timeout.
    static constexpr u8 kFcrEnableClear = 0x07;
    static constexpr u8 kMcrDtrRtsOut2 = 0x0B;
    static constexpr u8 kIerReceived = 0x01;
    static constexpr u8 kLsrDataReady = 0x01;
    static constexpr u8 kLsrOverrun = 0x02;
    static constexpr u8 kLsrThrEmpty = 0x20;

    static constexpr u32 kClock = 115200;  // the divisor's base: 1.8432 MHz / 16
    static constexpr usize kFifoSize = 16;
    // LSR reads to wait for the transmitter before giving up on a byte (a
    // UART that never drains must not hang the server).
    static constexpr u32 kTransmitSpins = 1'000'000;

    Uart(PortIo& io, u16 base) : io_(io), base_(base) {}

    // Checks that a UART answers (its scratch register keeps what is
    // written), then programs it: baud (a divisor of kClock, 1..kClock),
    // 8N1, FIFOs, DTR/RTS/OUT2, stale input drained, and the received-data
    // interrupt enabled if `interrupts`. False if no UART or a bad baud.
    bool init(u32 baud, bool interrupts);

    // Moves received bytes into out (up to max) while the UART has any;
    // returns how many. Counts overruns the line status reports.
    usize receive(u8* out, usize max);

    // Sends s[0, n); returns the bytes sent (fewer only if the transmitter
    // stayed busy for kTransmitSpins status reads).
    usize transmit(const char* s, usize n);

    u64 overruns() const { return overruns_; }
    u64 transmit_timeouts() const { return transmit_timeouts_; }

private:
    u8 in(u16 reg) { return io_.in8(static_cast<u16>(base_ + reg)); }
    void out(u16 reg, u8 value) { io_.out8(static_cast<u16>(base_ + reg), value); }
    bool wait_transmitter();

    PortIo& io_;
    u16 base_;
    u64 overruns_ = 0;
    u64 transmit_timeouts_ = 0;
};

}  // namespace console
