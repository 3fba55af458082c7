// A fake 16550 behind console::PortIo for the console's host tests: it
// keeps the registers a program writes (with the divisor latch behind
// DLAB), logs every write, hands out queued input through RBR/LSR, and
// collects what is transmitted. Thread-safe: the service tests feed input
// from the test thread while the server thread reads.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "servers/console/port_io.h"
#include "servers/console/uart.h"

namespace console_test {

class FakePorts final : public console::PortIo {
public:
    explicit FakePorts(u16 base) : base_(base) {}

    u8 in8(u16 port) override {
        std::lock_guard<std::mutex> g(lock_);
        reads_.push_back(port);
        if (absent_) return 0xFF;  // a floating bus
        const u16 reg = static_cast<u16>(port - base_);
        const bool dlab = (lcr_ & console::Uart::kLcrDlab) != 0;
        switch (reg) {
        case console::Uart::kRegData:
            if (dlab) return dll_;
            if (rx_.empty()) return 0;
            {
                const u8 c = static_cast<u8>(rx_.front());
                rx_.erase(rx_.begin());
                return c;
            }
        case console::Uart::kRegIer: return dlab ? dlm_ : ier_;
        case console::Uart::kRegIir: return 0x01;  // nothing pending
        case console::Uart::kRegLcr: return lcr_;
        case console::Uart::kRegMcr: return mcr_;
        case console::Uart::kRegLsr: {
            u8 lsr = 0;
            if (!rx_.empty()) lsr |= console::Uart::kLsrDataReady;
            if (overrun_) lsr |= console::Uart::kLsrOverrun;
            overrun_ = false;  // reading LSR clears it
            if (busy_reads_ > 0) --busy_reads_;
            else if (!stuck_) lsr |= console::Uart::kLsrThrEmpty;
            return lsr;
        }
        case console::Uart::kRegMsr: return 0;
        case console::Uart::kRegScratch: return scratch_;
        default: return 0xFF;
        }
    }

    void out8(u16 port, u8 value) override {
        std::lock_guard<std::mutex> g(lock_);
        writes_.emplace_back(port, value);
        if (absent_) return;
        const u16 reg = static_cast<u16>(port - base_);
        const bool dlab = (lcr_ & console::Uart::kLcrDlab) != 0;
        switch (reg) {
        case console::Uart::kRegData:
            if (dlab) dll_ = value;
            else tx_ += static_cast<char>(value);
            break;
        case console::Uart::kRegIer:
            if (dlab) dlm_ = value;
            else ier_ = value;
            break;
        case console::Uart::kRegFcr: fcr_ = value; break;
        case console::Uart::kRegLcr: lcr_ = value; break;
        case console::Uart::kRegMcr: mcr_ = value; break;
        case console::Uart::kRegScratch: scratch_ = value; break;
        default: break;
        }
    }

    // --- Test controls -------------------------------------------------------
    void type(const std::string& s) {
        std::lock_guard<std::mutex> g(lock_);
        rx_ += s;
    }
    std::string transmitted() {
        std::lock_guard<std::mutex> g(lock_);
        return tx_;
    }
    void clear_transmitted() {
        std::lock_guard<std::mutex> g(lock_);
        tx_.clear();
    }
    void set_absent(bool absent) { absent_ = absent; }
    void set_overrun() { overrun_ = true; }
    // The next n LSR reads report the transmitter busy; stuck: always.
    void set_busy_reads(u32 n) { busy_reads_ = n; }
    void set_stuck(bool stuck) { stuck_ = stuck; }

    const std::vector<std::pair<u16, u8>>& writes() const { return writes_; }
    const std::vector<u16>& reads() const { return reads_; }
    u8 ier() const { return ier_; }
    u8 lcr() const { return lcr_; }
    u8 mcr() const { return mcr_; }
    u8 fcr() const { return fcr_; }
    u16 divisor() const { return static_cast<u16>(dll_ | dlm_ << 8); }
    usize rx_left() const { return rx_.size(); }

private:
    std::mutex lock_;
    u16 base_;
    bool absent_ = false;
    bool overrun_ = false;
    bool stuck_ = false;
    u32 busy_reads_ = 0;
    u8 dll_ = 0, dlm_ = 0, ier_ = 0, lcr_ = 0, mcr_ = 0, fcr_ = 0, scratch_ = 0;
    std::string rx_;
    std::string tx_;
    std::vector<std::pair<u16, u8>> writes_;
    std::vector<u16> reads_;
};

}  // namespace console_test
