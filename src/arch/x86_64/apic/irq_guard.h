// Interrupts off on this CPU for a short register sequence (xAPIC ICR
// high/low, I/O APIC select/window), restored to what they were.
#pragma once

#include "kernel/arch.h"
#include "lib/kstd/types.h"

namespace x86 {

class InterruptsOff {
public:
    InterruptsOff() : flags_(arch::irq_save()) {}
    ~InterruptsOff() { arch::irq_restore(flags_); }
    InterruptsOff(const InterruptsOff&) = delete;
    InterruptsOff& operator=(const InterruptsOff&) = delete;

private:
    u64 flags_;
};

}  // namespace x86
