// Tests of ksync::SpinLock and its guards. Host threads play CPUs: the fake
// arch::cpu_id() returns a thread_local number, so several std::threads
// contend for a lock as several CPUs would. panic() is faked to record its
// message and throw, so a test can provoke a debug check and carry on; the
// log goes to a captured console; time_ns() is a clock the test sets.
#include "kernel/sync/spinlock.h"

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CppUTest/TestHarness.h"
#include "kernel/arch.h"
#include "kernel/ksyms.h"
#include "kernel/panic.h"
#include "lib/format.h"

using ksync::IrqSpinGuard;
using ksync::SpinGuard;
using ksync::SpinLock;

// ---------------------------------------------------------------------------
// Fakes of the arch seam, the symbol table and panic().

namespace {

thread_local u32 t_cpu = 0;
thread_local bool t_irqs = true;
thread_local int t_preempt = 0;  // preempt_disable() depth (spinlocks held)
thread_local std::vector<bool> t_irqs_seen_by_cpu_id;  // interrupt flag at each cpu_id() call

std::atomic<u64> g_clock_ns{0};
std::atomic<u64> g_clock_reads{0};

std::mutex g_console_mutex;
std::string g_console;

struct Panic {
    std::string message;
};

std::string console() {
    std::lock_guard<std::mutex> g(g_console_mutex);
    return g_console;
}

}  // namespace

namespace arch {

u32 cpu_id() {
    t_irqs_seen_by_cpu_id.push_back(t_irqs);
    return t_cpu;
}
u64 irq_save() {
    u64 was = t_irqs ? 1 : 0;
    t_irqs = false;
    return was;
}
void irq_restore(u64 state) { t_irqs = state != 0; }
void preempt_disable() { t_preempt++; }
void preempt_enable() { t_preempt--; }
bool irqs_enabled() { return t_irqs; }
// More host threads than cores may contend: let the holder run.
void cpu_relax() { std::this_thread::yield(); }
u64 time_ns() {
    g_clock_reads.fetch_add(1);
    return g_clock_ns.load();
}
void console_write(const char* s, usize n) {
    std::lock_guard<std::mutex> g(g_console_mutex);
    g_console.append(s, n);
}

}  // namespace arch

void panic(const char* fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    fmt::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    throw Panic{msg};
}

namespace {

// Known acquire sites, so the fake symbol table can name them. The empty asm
// after the call keeps it from being a tail call: the return address the lock
// records lies inside these functions.
__attribute__((noinline)) void take_here(SpinLock& lock) {
    lock.lock();
    asm volatile("" ::: "memory");
}

__attribute__((noinline)) u64 guard_here(SpinLock& lock) {
    SpinGuard g(lock);
    u64 pc = lock.owner_pc();
    asm volatile("" ::: "memory");
    return pc;
}

constexpr u64 kFunctionSpan = 256;

struct KnownFunction {
    const char* name;
    u64 addr;
};

const KnownFunction kKnown[] = {
    {"take_here", reinterpret_cast<u64>(&take_here)},
    {"guard_here", reinterpret_cast<u64>(&guard_here)},
};

[[maybe_unused]] bool inside(u64 pc, const char* name) {
    for (const KnownFunction& f : kKnown)
        if (std::string(f.name) == name) return pc > f.addr && pc < f.addr + kFunctionSpan;
    return false;
}

[[maybe_unused]] std::string hex(u64 v) {
    char buf[32];
    fmt::snprintf(buf, sizeof buf, "0x%lx", v);
    return buf;
}

[[maybe_unused]] std::string pointer(const void* p) {
    char buf[32];
    fmt::snprintf(buf, sizeof buf, "%p", p);
    return buf;
}

bool wait_until(const std::function<bool()>& done, int timeout_ms = 10000) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

// Lines of the captured console starting with prefix.
[[maybe_unused]] std::vector<std::string> lines_with(const std::string& prefix) {
    std::vector<std::string> out;
    std::string text = console();
    usize at = 0;
    while (at < text.size()) {
        usize end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(at, end - at);
        if (line.rfind(prefix, 0) == 0) out.push_back(line);
        at = end + 1;
    }
    return out;
}

}  // namespace

namespace ksyms {

const char* lookup(u64 pc, u64& offset) {
    for (const KnownFunction& f : kKnown) {
        if (pc >= f.addr && pc < f.addr + kFunctionSpan) {
            offset = pc - f.addr;
            return f.name;
        }
    }
    return nullptr;
}

}  // namespace ksyms

// The constructor is constexpr, so a global lock is constant-initialized:
// nothing has to run before the kernel may take it.
constexpr SpinLock kConstantProbe{"probe"};
static_assert(kConstantProbe.name()[0] == 'p', "SpinLock must be constexpr-constructible");
SpinLock g_global_lock{"global"};

TEST_GROUP(SpinLock) {
    void setup() override {
        t_cpu = 0;
        t_irqs = true;
        t_preempt = 0;  // tests that end inside a panic leave their locks held
        t_irqs_seen_by_cpu_id.clear();
        g_clock_ns = 0;
        g_clock_reads = 0;
    }
    void teardown() override {
        std::lock_guard<std::mutex> g(g_console_mutex);
        std::string().swap(g_console);
        std::vector<bool>().swap(t_irqs_seen_by_cpu_id);
    }
};

TEST(SpinLock, StartsFree) {
    SpinLock lock{"fresh"};
    STRCMP_EQUAL("fresh", lock.name());
    CHECK_FALSE(lock.is_locked());
    CHECK_FALSE(lock.held_by_this_cpu());
    UNSIGNED_LONGS_EQUAL(SpinLock::kNoCpu, lock.owner_cpu());
    UNSIGNED_LONGS_EQUAL(0, lock.owner_pc());
    UNSIGNED_LONGS_EQUAL(0, lock.queued());
}

TEST(SpinLock, GlobalLockIsConstantInitialized) {
    STRCMP_EQUAL("global", g_global_lock.name());
    g_global_lock.lock();
    CHECK_TRUE(g_global_lock.held_by_this_cpu());
    g_global_lock.unlock();
    CHECK_FALSE(g_global_lock.is_locked());
}

TEST(SpinLock, LockRecordsOwnerCpuAndAcquireAddress) {
    SpinLock lock{"owner"};
    t_cpu = 3;
    take_here(lock);
    CHECK_TRUE(lock.is_locked());
    CHECK_TRUE(lock.held_by_this_cpu());
    UNSIGNED_LONGS_EQUAL(3, lock.owner_cpu());
    CHECK_TRUE(inside(lock.owner_pc(), "take_here"));
    UNSIGNED_LONGS_EQUAL(1, lock.queued());
    lock.unlock();
    CHECK_FALSE(lock.is_locked());
    CHECK_FALSE(lock.held_by_this_cpu());
    UNSIGNED_LONGS_EQUAL(SpinLock::kNoCpu, lock.owner_cpu());
    UNSIGNED_LONGS_EQUAL(0, lock.owner_pc());
}

TEST(SpinLock, HeldByThisCpuIsFalseOnOtherCpus) {
    SpinLock lock{"other"};
    lock.lock();
    bool held_elsewhere = true;
    std::thread other([&] {
        t_cpu = 1;
        held_elsewhere = lock.held_by_this_cpu();
    });
    other.join();
    CHECK_FALSE(held_elsewhere);
    CHECK_TRUE(lock.held_by_this_cpu());
    lock.unlock();
}

TEST(SpinLock, TryLockTakesAFreeLock) {
    SpinLock lock{"try"};
    t_cpu = 5;
    CHECK_TRUE(lock.try_lock());
    CHECK_TRUE(lock.held_by_this_cpu());
    UNSIGNED_LONGS_EQUAL(5, lock.owner_cpu());
    CHECK_TRUE(lock.owner_pc() != 0);
    lock.unlock();
    CHECK_TRUE(lock.try_lock());  // and again once released
    lock.unlock();
    CHECK_FALSE(lock.is_locked());
}

TEST(SpinLock, PreemptionIsOffExactlyWhileHeld) {
    SpinLock a{"a"}, b{"b"};
    LONGS_EQUAL(0, t_preempt);
    a.lock();
    LONGS_EQUAL(1, t_preempt);
    CHECK_TRUE(b.try_lock());
    LONGS_EQUAL(2, t_preempt);
    b.unlock();
    a.unlock();
    LONGS_EQUAL(0, t_preempt);
    // A failed try_lock leaves the count as it was.
    a.lock();
    std::thread other([&] {
        t_cpu = 1;
        CHECK_FALSE(a.try_lock());
        LONGS_EQUAL(0, t_preempt);
    });
    other.join();
    a.unlock();
    LONGS_EQUAL(0, t_preempt);
}

TEST(SpinLock, TryLockFailsWhileAnotherCpuHoldsIt) {
    SpinLock lock{"try-busy"};
    lock.lock();
    bool got = true;
    std::thread other([&] {
        t_cpu = 1;
        got = lock.try_lock();
    });
    other.join();
    CHECK_FALSE(got);
    UNSIGNED_LONGS_EQUAL(0, lock.owner_cpu());
    UNSIGNED_LONGS_EQUAL(1, lock.queued());  // a failed try takes no ticket
    lock.unlock();
}

TEST(SpinLock, TryLockByTheHolderFailsWithoutPanicking) {
    SpinLock lock{"try-self"};
    lock.lock();
    CHECK_FALSE(lock.try_lock());
    CHECK_TRUE(lock.held_by_this_cpu());
    lock.unlock();
    CHECK_FALSE(lock.is_locked());
}

TEST(SpinLock, MutualExclusionUnderContention) {
    SpinLock lock{"counter"};
    constexpr u32 kCpus = 8;
    constexpr u32 kRounds = 20000;
    u64 counter = 0;      // plain: only the lock protects it
    u32 inside_now = 0;   // CPUs inside the critical section
    u32 max_inside = 0;
    std::vector<std::thread> cpus;
    for (u32 c = 0; c < kCpus; ++c) {
        cpus.emplace_back([&, c] {
            t_cpu = c;
            for (u32 i = 0; i < kRounds; ++i) {
                bool tried = (i % 7 == 0) && lock.try_lock();
                if (!tried) lock.lock();
                u32 now = ++inside_now;
                if (now > max_inside) max_inside = now;
                u64 v = counter;
                if (i % 64 == 0) std::this_thread::yield();  // widen the window
                counter = v + 1;
                --inside_now;
                lock.unlock();
            }
        });
    }
    for (std::thread& t : cpus) t.join();
    UNSIGNED_LONGS_EQUAL(u64{kCpus} * kRounds, counter);
    UNSIGNED_LONGS_EQUAL(1, max_inside);
    CHECK_FALSE(lock.is_locked());
    UNSIGNED_LONGS_EQUAL(0, lock.queued());
}

TEST(SpinLock, WaitersAreServedInTicketOrder) {
    SpinLock lock{"fifo"};
    constexpr u32 kWaiters = 6;
    std::vector<u32> order;
    order.reserve(kWaiters);
    lock.lock();
    std::vector<std::thread> cpus;
    for (u32 c = 1; c <= kWaiters; ++c) {
        cpus.emplace_back([&, c] {
            t_cpu = c;
            lock.lock();
            order.push_back(c);
            lock.unlock();
        });
        // CPU c has its ticket before CPU c + 1 starts.
        CHECK_TRUE(wait_until([&] { return lock.queued() == c + 1; }));
    }
    lock.unlock();
    for (std::thread& t : cpus) t.join();
    UNSIGNED_LONGS_EQUAL(kWaiters, order.size());
    for (u32 i = 0; i < kWaiters; ++i) UNSIGNED_LONGS_EQUAL(i + 1, order[i]);
}

TEST(SpinLock, SpinGuardHoldsForItsScope) {
    SpinLock lock{"guard"};
    {
        SpinGuard g(lock);
        CHECK_TRUE(lock.held_by_this_cpu());
        CHECK_TRUE(t_irqs);  // interrupts untouched
    }
    CHECK_FALSE(lock.is_locked());
    CHECK_TRUE(t_irqs);
}

TEST(SpinLock, GuardRecordsTheAddressOfItsUser) {
    SpinLock lock{"guard-pc"};
    u64 pc = guard_here(lock);
    CHECK_TRUE(inside(pc, "guard_here"));
    CHECK_FALSE(lock.is_locked());
}

TEST(SpinLock, IrqSpinGuardDisablesInterruptsAroundTheLock) {
    SpinLock lock{"irq"};
    t_irqs = true;
    t_irqs_seen_by_cpu_id.clear();
    {
        IrqSpinGuard g(lock);
        CHECK_FALSE(t_irqs);
        CHECK_TRUE(lock.held_by_this_cpu());
    }
    CHECK_TRUE(t_irqs);
    CHECK_FALSE(lock.is_locked());
    // Every cpu_id() call of lock() and unlock() saw interrupts disabled:
    // disabled before the lock is taken, restored after it is released.
    CHECK_TRUE(!t_irqs_seen_by_cpu_id.empty());
    CHECK_FALSE(t_irqs_seen_by_cpu_id.front());
    CHECK_FALSE(t_irqs_seen_by_cpu_id.back());
}

TEST(SpinLock, IrqSpinGuardKeepsInterruptsDisabledWhenTheyWere) {
    SpinLock lock{"irq-off"};
    t_irqs = false;
    {
        IrqSpinGuard g(lock);
        CHECK_FALSE(t_irqs);
    }
    CHECK_FALSE(t_irqs);
    CHECK_FALSE(lock.is_locked());
}

TEST(SpinLock, NestedIrqSpinGuardsRestoreInOrder) {
    SpinLock outer{"outer"}, inner{"inner"};
    t_irqs = true;
    {
        IrqSpinGuard a(outer);
        {
            IrqSpinGuard b(inner);
            CHECK_FALSE(t_irqs);
        }
        CHECK_FALSE(t_irqs);  // still inside the outer guard
        CHECK_TRUE(outer.held_by_this_cpu());
        CHECK_FALSE(inner.is_locked());
    }
    CHECK_TRUE(t_irqs);
    CHECK_FALSE(outer.is_locked());
}

#if LSTAR_LOCK_DEBUG

TEST(SpinLock, RecursiveLockPanicsNamingLockCpuAndFirstAcquirer) {
    SpinLock lock{"recursive_test"};
    t_cpu = 2;
    take_here(lock);
    const u64 first = lock.owner_pc();
    std::string message;
    try {
        lock.lock();
    } catch (const Panic& p) {
        message = p.message;
    }
    std::string expected = "spinlock recursive_test (" + pointer(&lock) + ") taken twice on cpu 2, first taken at " +
                           hex(first) + " (take_here+" + hex(first - kKnown[0].addr) + ")";
    STRCMP_EQUAL(expected.c_str(), message.c_str());
    // The check fires before a ticket is taken: the lock is as it was.
    CHECK_TRUE(lock.held_by_this_cpu());
    UNSIGNED_LONGS_EQUAL(1, lock.queued());
    lock.unlock();
    CHECK_FALSE(lock.is_locked());
}

TEST(SpinLock, RecursionThroughGuardsIsCaught) {
    SpinLock lock{"guarded"};
    t_cpu = 4;
    std::string message;
    {
        SpinGuard g(lock);
        try {
            IrqSpinGuard again(lock);  // say, an interrupt handler on the holder's CPU
        } catch (const Panic& p) {
            message = p.message;
        }
        t_irqs = true;  // the throwing constructor left them off
    }
    CHECK_TRUE(message.find("spinlock guarded (") == 0);
    CHECK_TRUE(message.find("taken twice on cpu 4, first taken at 0x") != std::string::npos);
    CHECK_FALSE(lock.is_locked());
}

TEST(SpinLock, UnlockByAnotherCpuPanicsNamingTheHolder) {
    SpinLock lock{"not_mine"};
    t_cpu = 0;
    take_here(lock);
    const u64 pc = lock.owner_pc();
    std::string message;
    std::thread other([&] {
        t_cpu = 7;
        try {
            lock.unlock();
        } catch (const Panic& p) {
            message = p.message;
        }
    });
    other.join();
    std::string expected = "spinlock not_mine (" + pointer(&lock) + ") unlocked on cpu 7 but held by cpu 0, taken at " +
                           hex(pc) + " (take_here+" + hex(pc - kKnown[0].addr) + ")";
    STRCMP_EQUAL(expected.c_str(), message.c_str());
    CHECK_TRUE(lock.held_by_this_cpu());  // untouched
    lock.unlock();
}

TEST(SpinLock, UnlockOfAFreeLockPanics) {
    SpinLock lock{"free"};
    t_cpu = 1;
    std::string message;
    try {
        lock.unlock();
    } catch (const Panic& p) {
        message = p.message;
    }
    std::string expected = "spinlock free (" + pointer(&lock) + ") unlocked on cpu 1 but no cpu holds it";
    STRCMP_EQUAL(expected.c_str(), message.c_str());
    CHECK_FALSE(lock.is_locked());
    UNSIGNED_LONGS_EQUAL(0, lock.queued());
}

TEST(SpinLock, StallIsReportedOnceThenEveryFewSeconds) {
    SpinLock lock{"stall_test"};
    constexpr u64 kT0 = 5'000'000'000;
    g_clock_ns = kT0;
    t_cpu = 0;
    take_here(lock);
    const u64 pc = lock.owner_pc();
    bool waiter_got_it = false;
    std::thread waiter([&] {
        t_cpu = 1;
        lock.lock();
        waiter_got_it = lock.held_by_this_cpu();
        lock.unlock();
    });
    // The waiter has read the clock, so its wait started at kT0.
    CHECK_TRUE(wait_until([] { return g_clock_reads.load() > 0; }));
    auto reads_go_on = [] {
        u64 seen = g_clock_reads.load();
        return wait_until([seen] { return g_clock_reads.load() > seen + 100; });
    };

    g_clock_ns = kT0 + SpinLock::kStallNs - 1;
    CHECK_TRUE(reads_go_on());
    UNSIGNED_LONGS_EQUAL(0, lines_with("lstar: lock stall").size());

    g_clock_ns = kT0 + 1'200'000'000;
    CHECK_TRUE(wait_until([] { return !lines_with("lstar: lock stall").empty(); }));
    std::string expected = "lstar: lock stall lock=stall_test addr=" + pointer(&lock) +
                           " cpu=1 holder=0 holder_pc=" + hex(pc) + " (take_here+" + hex(pc - kKnown[0].addr) +
                           ") waited_ms=1200 queued=2";
    STRCMP_EQUAL(expected.c_str(), lines_with("lstar: lock stall")[0].c_str());

    // No second report before kStallRepeatNs after the first.
    g_clock_ns = kT0 + 1'200'000'000 + SpinLock::kStallRepeatNs - 1;
    CHECK_TRUE(reads_go_on());
    UNSIGNED_LONGS_EQUAL(1, lines_with("lstar: lock stall").size());

    g_clock_ns = kT0 + 1'200'000'000 + SpinLock::kStallRepeatNs;
    CHECK_TRUE(wait_until([] { return lines_with("lstar: lock stall").size() == 2; }));
    CHECK_TRUE(lines_with("lstar: lock stall")[1].find(" waited_ms=6200 ") != std::string::npos);

    lock.unlock();
    waiter.join();
    CHECK_TRUE(waiter_got_it);
    CHECK_FALSE(lock.is_locked());
    UNSIGNED_LONGS_EQUAL(2, lines_with("lstar: lock stall").size());
}

TEST(SpinLock, StallTimingStartsWhenTheClockRuns) {
    SpinLock lock{"early"};
    g_clock_ns = 0;  // not calibrated yet: time_ns() is 0
    t_cpu = 0;
    lock.lock();  // from here: not a symbol the fake table knows
    const u64 pc = lock.owner_pc();
    std::thread waiter([&] {
        t_cpu = 3;
        lock.lock();
        lock.unlock();
    });
    auto reads_go_on = [] {
        u64 seen = g_clock_reads.load();
        return wait_until([seen] { return g_clock_reads.load() > seen + 100; });
    };
    CHECK_TRUE(reads_go_on());
    // Calibrated: the first non-zero reading starts the wait, not time 0.
    constexpr u64 kCalibrated = 50'000'000'000;
    g_clock_ns = kCalibrated;
    CHECK_TRUE(reads_go_on());
    g_clock_ns = kCalibrated + SpinLock::kStallNs / 2;
    CHECK_TRUE(reads_go_on());
    UNSIGNED_LONGS_EQUAL(0, lines_with("lstar: lock stall").size());

    g_clock_ns = kCalibrated + 1'100'000'000;
    CHECK_TRUE(wait_until([] { return !lines_with("lstar: lock stall").empty(); }));
    std::string expected = "lstar: lock stall lock=early addr=" + pointer(&lock) + " cpu=3 holder=0 holder_pc=" +
                           hex(pc) + " (?) waited_ms=1100 queued=2";
    STRCMP_EQUAL(expected.c_str(), lines_with("lstar: lock stall")[0].c_str());
    lock.unlock();
    waiter.join();
}

#else  // !LSTAR_LOCK_DEBUG

TEST(SpinLock, NoDebugModeNeverReadsTheClock) {
    SpinLock lock{"quiet"};
    g_clock_ns = 5'000'000'000;
    lock.lock();
    std::thread waiter([&] {
        t_cpu = 1;
        lock.lock();
        lock.unlock();
    });
    CHECK_TRUE(wait_until([&] { return lock.queued() == 2; }));
    g_clock_ns = 100'000'000'000;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    lock.unlock();
    waiter.join();
    UNSIGNED_LONGS_EQUAL(0, g_clock_reads.load());
    CHECK_TRUE(console().empty());
}

#endif  // LSTAR_LOCK_DEBUG
