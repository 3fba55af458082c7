// console::Uart (uart.h).
#include "servers/console/uart.h"

namespace console {

namespace {

// The most stale bytes init drains (a FIFO holds 16; a UART that keeps
// reporting data is stuck, not talkative).
constexpr u32 kDrainLimit = 64;

}  // namespace

bool Uart::init(u32 baud, bool interrupts) {
    if (baud == 0 || baud > kClock || kClock % baud != 0) return false;
    // A missing UART floats its lines: reads give 0xFF whatever was written.
    out(kRegScratch, 0x5A);
    if (in(kRegScratch) != 0x5A) return false;
    out(kRegScratch, 0xA5);
    if (in(kRegScratch) != 0xA5) return false;

    const u32 divisor = kClock / baud;
    out(kRegIer, 0x00);  // quiet while it is being programmed
    out(kRegLcr, kLcrDlab);
    out(kRegData, static_cast<u8>(divisor & 0xFF));
    out(kRegIer, static_cast<u8>(divisor >> 8));
    out(kRegLcr, kLcr8N1);
    out(kRegFcr, kFcrEnableClear);
    out(kRegMcr, kMcrDtrRtsOut2);

    // Whatever arrived before we owned the port belongs to nobody; reading
    // LSR, IIR and MSR also clears their pending causes.
    for (u32 i = 0; i < kDrainLimit && (in(kRegLsr) & kLsrDataReady); ++i) in(kRegData);
    in(kRegIir);
    in(kRegMsr);

    if (interrupts) out(kRegIer, kIerReceived);
    return true;
}

usize Uart::receive(u8* out, usize max) {
    usize n = 0;
    while (n < max) {
        const u8 lsr = in(kRegLsr);
        if (lsr & kLsrOverrun) ++overruns_;
        if (!(lsr & kLsrDataReady)) break;
        out[n++] = in(kRegData);
    }
    return n;
}

bool Uart::wait_transmitter() {
    for (u32 i = 0; i < kTransmitSpins; ++i) {
        if (in(kRegLsr) & kLsrThrEmpty) return true;
    }
    ++transmit_timeouts_;
    return false;
}

usize Uart::transmit(const char* s, usize n) {
    usize sent = 0;
    while (sent < n) {
        // THR empty means the whole FIFO is: a burst of kFifoSize fits.
        if (!wait_transmitter()) break;
        for (usize i = 0; i < kFifoSize && sent < n; ++i) out(kRegData, static_cast<u8>(s[sent++]));
    }
    return sent;
}

}  // namespace console
