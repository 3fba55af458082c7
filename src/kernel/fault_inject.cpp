// Deliberate faults for testing the fault report. Each announces itself with
// a "lstar: fault-injection" line so a test can match the report against it.
#include "kernel/fault_inject.h"

#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/sched/thread.h"
#include "kernel/sync/spinlock.h"
#include "kernel/trace/trace.h"
#include "lib/cmdline.h"
#include "lib/format.h"
#include "lib/kstd/string.h"

namespace fault_inject {
namespace {

// An address in the lower half that the kernel page tables never map.
constexpr u64 kBadAddress = 0x0000000000dead00;
constexpr usize kHugeAllocation = usize(1) << 40;

[[gnu::noinline]] void fault_page(volatile u64* p) { *p = 0x1badbadbad; }

[[gnu::noinline]] void fault_invalid_opcode() { asm volatile("ud2"); }

// In asm: a C++ division by zero is undefined behaviour the compiler may drop.
[[gnu::noinline]] void fault_divide(u64 divisor) {
    u64 lo = 1000, hi = 0;
    asm volatile("divq %2" : "+a"(lo), "+d"(hi) : "r"(divisor));
}

[[gnu::noinline]] void fault_general_protection() {
    // Non-canonical address: #GP, not #PF [SDM 3A 4.5 / 6.15].
    volatile u64* p = reinterpret_cast<volatile u64*>(0x8000000000000000ull);
    *p = 1;
}

// Unbounded recursion into the boot stack's guard page: the #PF cannot push
// its frame, so the CPU raises #DF, which runs on its own IST stack.
// The limit is far beyond the stack size; it only tells the compiler that
// the recursion ends.
[[gnu::noinline]] u64 fault_stack_overflow(u64 depth) {
    volatile u8 pad[512];
    pad[0] = u8(depth);
    if (depth > (1u << 30)) return 0;
    return fault_stack_overflow(depth + 1) + pad[0];
}

void inject_pf() {
    klog::report("fault-injection", "kind=pf addr=0x%lx", kBadAddress);
    fault_page(reinterpret_cast<volatile u64*>(kBadAddress));
}

void inject_ud() {
    klog::report("fault-injection", "kind=ud");
    fault_invalid_opcode();
}

void inject_de() {
    klog::report("fault-injection", "kind=de");
    fault_divide(0);
}

void inject_gp() {
    klog::report("fault-injection", "kind=gp");
    fault_general_protection();
}

void inject_stack() {
    klog::report("fault-injection", "kind=stack");
    fault_stack_overflow(0);
}

// More than any machine we boot on has: operator new must panic with the
// size, never return null.
void inject_oom() {
    klog::report("fault-injection", "kind=oom bytes=0x%lx", kHugeAllocation);
    volatile u8* p = new u8[kHugeAllocation];
    p[0] = 1;
}

// A spinlock held for 3 s while a thread on another CPU waits for it: the
// waiter must report the stall (with the holder's CPU and acquire address)
// and then get the lock.
ksync::SpinLock g_stall_lock{"injected-stall"};
volatile bool g_stall_waiter_done = false;

void stall_waiter(void*) {
    g_stall_lock.lock();
    g_stall_lock.unlock();
    __atomic_store_n(&g_stall_waiter_done, true, __ATOMIC_RELEASE);
}

void inject_stall() {
    constexpr u64 kHoldMs = 3000;
    u64 others = arch::online_cpus() & ~(u64(1) << arch::cpu_id());
    klog::report("fault-injection", "kind=stall hold_ms=%lu", kHoldMs);
    if (!others) {
        klog::report("stall-test", "skipped=1 cpus=1");
        return;
    }
    g_stall_lock.lock();
    if (!sched::spawn_kernel("stall-waiter", stall_waiter, nullptr, 30, others & -others))
        panic("fault=stall: cannot start the waiter thread");
    arch::delay_us(kHoldMs * 1000);
    g_stall_lock.unlock();
    u64 deadline = arch::time_ns() + 5'000'000'000ull;
    while (!__atomic_load_n(&g_stall_waiter_done, __ATOMIC_ACQUIRE) && arch::time_ns() < deadline)
        sched::sleep_ns(1'000'000);
    klog::report("stall-test", "waiter_done=%d", g_stall_waiter_done ? 1 : 0);
}

void inject_panic() {
    klog::report("fault-injection", "kind=panic");
    panic("deliberate panic from the command line");
}

// A panic while tasks run, for the report's per-CPU system calls: a kernel
// thread waits until every online CPU has recorded one (at most 10 s), then
// panics on whichever CPU it runs.
void late_panic(void*) {
    u64 deadline = arch::time_ns() + 10'000'000'000ull;
    for (;;) {
        u64 online = arch::online_cpus(), quiet = 0;
        for (u32 cpu = 0; cpu < 64; cpu++)
            if ((online >> cpu & 1) && trace::recorded(cpu) == 0) quiet |= u64(1) << cpu;
        if (!quiet || arch::time_ns() >= deadline) {
            klog::report("fault-injection", "kind=panic-late cpus_without_calls=0x%lx", quiet);
            panic("deliberate panic from a kernel thread while tasks run");
        }
        sched::sleep_ns(50'000'000);
    }
}

void inject_panic_late() {
    if (!sched::spawn_kernel("late-panic", late_panic, nullptr, 30, arch::online_cpus()))
        panic("fault=panic-late: cannot start its thread");
}

struct Injection {
    const char* kind;
    void (*inject)();
    bool returns = false;  // the boot goes on afterwards
};

constexpr Injection kInjections[] = {
    {"pf", inject_pf},       {"ud", inject_ud},   {"de", inject_de},       {"gp", inject_gp},
    {"stack", inject_stack}, {"oom", inject_oom}, {"panic", inject_panic}, {"stall", inject_stall, true},
    {"panic-late", inject_panic_late, true},
};

}  // namespace

void from_cmdline(const char* cmdline) {
    char kind[16];
    if (!cmdline::get(cmdline, "fault", kind, sizeof kind)) return;
    for (const Injection& inj : kInjections) {
        if (kstd::strcmp(kind, inj.kind) != 0) continue;
        inj.inject();
        if (inj.returns) return;
        panic("fault injection '%s' returned", kind);
    }
    char known[64];
    usize n = 0;
    for (const Injection& inj : kInjections) {
        n += fmt::snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "", inj.kind);
        if (n >= sizeof known) break;
    }
    klog::warn("fault=%s: unknown kind (%s)", kind, known);
}

}  // namespace fault_inject
