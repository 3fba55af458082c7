// COM1 (16550 UART, 115200 8N1, polled): the kernel's console until the
// userspace console server takes over the port.
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "kernel/arch.h"

namespace {

constexpr u16 kCom1 = 0x3F8;
constexpr u8 kLsrThrEmpty = 0x20;          // line status: transmit holding register empty
constexpr u8 kLsrTransmitterEmpty = 0x40;  // ... and the shift register too

void put(char c) {
    while ((x86::inb(kCom1 + 5) & kLsrThrEmpty) == 0) x86::pause();
    x86::outb(kCom1, u8(c));
}

u32 g_owner = 0;  // CPU number + 1 of the writer, 0 when free
constexpr u64 kMaxWaitNs = 1000000000;  // a writer stuck longer than this is overridden
constexpr u64 kMaxSpins = 200000000;    // the same bound before the TSC is calibrated

// The writer holding the console was stopped (panic, machine check) and will
// never let go: waiting for it is pointless.
bool owner_stopped(u32 owner) {
    return owner != 0 && owner <= x86::cpus_possible() &&
           __atomic_load_n(&x86::cpu_local(owner - 1).stopped, __ATOMIC_ACQUIRE);
}

}  // namespace

namespace arch {

void console_init() {
    x86::outb(kCom1 + 1, 0x00);  // no UART interrupts: polled output
    x86::outb(kCom1 + 3, 0x80);  // DLAB to set the divisor
    x86::outb(kCom1 + 0, 0x01);  // 115200 baud
    x86::outb(kCom1 + 1, 0x00);
    x86::outb(kCom1 + 3, 0x03);  // 8 data bits, no parity, 1 stop bit
    x86::outb(kCom1 + 2, 0xC7);  // FIFO on, cleared
    x86::outb(kCom1 + 4, 0x03);  // DTR, RTS
}

void console_flush() {
    // Transmitter empty (LSR bit 6): the last byte has left the shift
    // register, so powering the machine off now loses nothing.
    while ((x86::inb(kCom1 + 5) & kLsrTransmitterEmpty) == 0) x86::pause();
}

// One writer at a time across CPUs, so lines do not interleave. The lock
// records its owner: an NMI or machine check that interrupts this CPU while
// it prints goes ahead (its line lands inside the other one) instead of
// deadlocking, and a holder that never lets go (a CPU stopped by a panic
// mid-line) is overridden after a bounded wait.
void console_write(const char* s, usize n) {
    // The owner is a CPU, so the writer must not be preempted mid-line by
    // another thread that would print on the same CPU, nor interrupted by a
    // handler that prints (the timer's machine-check poll did, and its line
    // landed inside the interrupted one). Only an NMI or #MC can still nest.
    const u64 flags = arch::irq_save();
    arch::preempt_disable();
    u32 me = arch::cpu_id() + 1;
    bool nested = __atomic_load_n(&g_owner, __ATOMIC_ACQUIRE) == me;
    if (!nested) {
        u64 spins = 0;
        u64 start = 0;
        u32 expected = 0;
        while (!__atomic_compare_exchange_n(&g_owner, &expected, me, false, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) {
            x86::pause();
            // Every so often: is the holder gone for good, or too slow?
            if ((++spins & 1023) == 0) {
                u64 now = time_ns();
                if (start == 0) start = now;
                if (owner_stopped(expected) || (now != 0 && now - start > kMaxWaitNs) || spins >= kMaxSpins) {
                    __atomic_store_n(&g_owner, me, __ATOMIC_RELAXED);
                    break;
                }
            }
            expected = 0;
        }
    }
    for (usize i = 0; i < n; i++) {
        if (s[i] == '\n') put('\r');
        put(s[i]);
    }
    if (!nested) __atomic_store_n(&g_owner, 0u, __ATOMIC_RELEASE);
    arch::preempt_enable();
    arch::irq_restore(flags);
}

void console_abandon() {
    u32 me = arch::cpu_id() + 1;
    __atomic_compare_exchange_n(&g_owner, &me, 0u, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

}  // namespace arch
