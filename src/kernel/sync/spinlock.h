// Spinlocks: a FIFO ticket lock for short critical sections shared between
// CPUs, and the guards that take and release it.
//
//   ksync::SpinLock g_table_lock{"table"};         // constexpr: no constructor runs
//   { ksync::SpinGuard g(g_table_lock); ... }      // data no interrupt handler touches
//   { ksync::IrqSpinGuard g(g_table_lock); ... }   // data also touched by interrupt handlers
//
// A lock that an interrupt handler may take must always be taken with
// interrupts disabled (IrqSpinGuard), or the handler deadlocks against the
// code it interrupted on the same CPU.
//
// With LSTAR_LOCK_DEBUG (the default; meson option lock_debug) the lock panics
// on a second acquisition by the CPU that holds it and on an unlock by a CPU
// that does not hold it, and a CPU that waits for more than kStallNs reports
// the stall (see docs/architecture.md, "Spinlocks").
#pragma once

#include "kernel/arch.h"
#include "lib/kstd/types.h"

#ifndef LSTAR_LOCK_DEBUG
#define LSTAR_LOCK_DEBUG 1
#endif

namespace ksync {

class SpinLock {
public:
    static constexpr u32 kNoCpu = ~u32{0};
    // Debug mode: first stall report after this long waiting, then at most
    // one report per kStallRepeatNs while the wait goes on.
    static constexpr u64 kStallNs = 1'000'000'000;
    static constexpr u64 kStallRepeatNs = 5'000'000'000;

    // name: one word, used in panics and stall reports. Not copied.
    explicit constexpr SpinLock(const char* name) : name_(name) {}
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;

    // Spins until this CPU holds the lock; waiters are served in arrival
    // order. Not recursive (debug mode: a second lock() on the same CPU panics).
    __attribute__((noinline)) void lock();
    // Takes the lock only if it is free; never waits and never panics (also
    // false when this CPU holds it already).
    __attribute__((noinline)) bool try_lock();
    // Debug mode: panics unless this CPU holds the lock.
    void unlock();

    // True when this CPU holds the lock (exact: only the holder writes its
    // own CPU number into the lock). Meant for assertions.
    bool held_by_this_cpu() const;
    bool is_locked() const;

    constexpr const char* name() const { return name_; }
    // Diagnostics, racy by nature when read by another CPU: the holder's CPU
    // number (kNoCpu when free) and the return address of its lock() call;
    // CPUs holding or waiting for the lock.
    u32 owner_cpu() const { return __atomic_load_n(&owner_, __ATOMIC_RELAXED); }
    u64 owner_pc() const { return __atomic_load_n(&owner_pc_, __ATOMIC_RELAXED); }
    u32 queued() const {
        // serving_ first: it never passes next_, so the difference cannot wrap.
        const u32 serving = __atomic_load_n(&serving_, __ATOMIC_ACQUIRE);
        return __atomic_load_n(&next_, __ATOMIC_RELAXED) - serving;
    }

private:
    void wait_for(u32 ticket, u32 cpu);
    void acquired(u32 cpu, u64 pc);
    [[noreturn]] void panic_recursive(u32 cpu) const;
    [[noreturn]] void panic_not_owner(u32 cpu) const;
    void report_stall(u32 cpu, u64 waited_ns) const;

    const char* name_;
    u32 next_ = 0;     // next ticket handed out
    u32 serving_ = 0;  // ticket that holds the lock; written only by the holder
    u32 owner_ = kNoCpu;
    u64 owner_pc_ = 0;
};

// Holds a lock for the guard's scope. The constructors are always inlined so
// that the acquire address a SpinLock records is the guard's user.
class SpinGuard {
public:
    __attribute__((always_inline)) explicit SpinGuard(SpinLock& lock) : lock_(lock) { lock_.lock(); }
    ~SpinGuard() { lock_.unlock(); }
    SpinGuard(const SpinGuard&) = delete;
    SpinGuard& operator=(const SpinGuard&) = delete;

private:
    SpinLock& lock_;
};

// Disables interrupts on this CPU, then takes the lock; releases the lock,
// then restores the interrupt flag as it was.
class IrqSpinGuard {
public:
    __attribute__((always_inline)) explicit IrqSpinGuard(SpinLock& lock)
        : lock_(lock), saved_(arch::irq_save()) {
        lock_.lock();
    }
    ~IrqSpinGuard() {
        lock_.unlock();
        arch::irq_restore(saved_);
    }
    IrqSpinGuard(const IrqSpinGuard&) = delete;
    IrqSpinGuard& operator=(const IrqSpinGuard&) = delete;

private:
    SpinLock& lock_;
    u64 saved_;
};

}  // namespace ksync
