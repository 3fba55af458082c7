// Interrupt vector assignment. 0-31 are exceptions [SDM 3A 6.3.1]; the
// 8259s are remapped to 0x20-0x2F only so that a stray PIC interrupt is
// recognisable; device interrupts routed through the I/O APIC start at 0x30;
// the local APIC's own sources and IPIs sit at the top, highest priority
// class first [SDM 3A 11.8.3.1].
#pragma once

#include "lib/kstd/types.h"

namespace x86 {

constexpr u8 kVectorPicBase = 0x20;        // 0x20-0x2F: masked 8259 lines (spurious only)
constexpr u8 kVectorIrqBase = 0x30;        // 0x30-0x3F: ISA IRQ n through the I/O APIC
constexpr u8 kVectorIrqLast = 0x3F;
constexpr u8 kVectorSyscall = 0x80;        // int 0x80 from ring 3 (DPL 3 gate); never an IRQ
constexpr u8 kVectorLapicTimer = 0xF0;
constexpr u8 kVectorCallFunction = 0xF1;   // remote call (and TLB shootdown) IPI
constexpr u8 kVectorReschedule = 0xF2;
constexpr u8 kVectorSelftest = 0xF8;       // boot self-tests of IPIs and timers
constexpr u8 kVectorLapicError = 0xFE;
constexpr u8 kVectorSpurious = 0xFF;       // low nibble all ones, as older APICs require

}  // namespace x86
