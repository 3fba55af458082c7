// console::PortIo: byte-wide I/O port access behind an interface, so that
// the UART logic (uart.h) runs unchanged against the real ports in the
// console program and against a fake in host tests.
//
// HardwarePorts executes IN and OUT from ring 3, which works only for ports
// the task was given (an ioports capability enabled with
// lstar::sys::ioport_enable); any other port faults and kills the task.
#pragma once

#include "lib/kstd/types.h"

namespace console {

class PortIo {
public:
    virtual u8 in8(u16 port) = 0;
    virtual void out8(u16 port, u8 value) = 0;

protected:
    // Never deleted through the interface (there is no heap), so no
    // virtual destructor and no operator delete to pull in.
    ~PortIo() = default;
};

#if !defined(LSTAR_HOST_TEST)
class HardwarePorts final : public PortIo {
public:
    u8 in8(u16 port) override {
        u8 value;
        asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
        return value;
    }
    void out8(u16 port, u8 value) override { asm volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
};
#endif

}  // namespace console
