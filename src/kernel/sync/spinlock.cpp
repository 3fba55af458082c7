// Ticket spinlock: lock() takes the next ticket and waits until serving_
// reaches it; unlock() serves the next ticket. The holder records its CPU and
// acquire address, which the debug checks and stall reports name.
#include "kernel/sync/spinlock.h"

#include "kernel/arch.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "lib/format.h"

namespace ksync {
namespace {

u64 return_pc(void* ra) { return reinterpret_cast<u64>(ra); }

// "function+0xoff" from the kernel symbol table, or "?".
void describe_pc(char* buf, usize size, u64 pc) {
    u64 off = 0;
    const char* name = pc ? ksyms::lookup(pc, off) : nullptr;
    if (name) fmt::snprintf(buf, size, "%s+0x%lx", name, off);
    else fmt::snprintf(buf, size, "?");
}

}  // namespace

void SpinLock::lock() {
    const u64 pc = return_pc(__builtin_return_address(0));
    // A holder that is preempted would leave this CPU's next thread spinning
    // on a lock that cannot be released: no preemption while held. The CPU
    // is read after that: before, the thread could still move to another
    // CPU and take that CPU's own hold for a recursive one.
    arch::preempt_disable();
    const u32 cpu = arch::cpu_id();
#if LSTAR_LOCK_DEBUG
    // Only this CPU ever writes its own number into owner_, so this read is exact.
    if (__atomic_load_n(&owner_, __ATOMIC_RELAXED) == cpu) panic_recursive(cpu);
#endif
    const u32 ticket = __atomic_fetch_add(&next_, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&serving_, __ATOMIC_ACQUIRE) != ticket) wait_for(ticket, cpu);
    acquired(cpu, pc);
}

bool SpinLock::try_lock() {
    const u64 pc = return_pc(__builtin_return_address(0));
    // Free means serving_ == next_. Both only grow and serving_ never passes
    // next_, so if next_ still equals the ticket at the exchange, serving_
    // still equals it too: the ticket taken is the one being served.
    u32 ticket = __atomic_load_n(&next_, __ATOMIC_RELAXED);
    if (__atomic_load_n(&serving_, __ATOMIC_ACQUIRE) != ticket) return false;
    arch::preempt_disable();
    if (!__atomic_compare_exchange_n(&next_, &ticket, ticket + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        arch::preempt_enable();
        return false;
    }
    acquired(arch::cpu_id(), pc);
    return true;
}

void SpinLock::unlock() {
#if LSTAR_LOCK_DEBUG
    const u32 cpu = arch::cpu_id();
    if (__atomic_load_n(&owner_, __ATOMIC_RELAXED) != cpu) panic_not_owner(cpu);
#endif
    __atomic_store_n(&owner_pc_, u64{0}, __ATOMIC_RELAXED);
    __atomic_store_n(&owner_, kNoCpu, __ATOMIC_RELAXED);
    const u32 serving = __atomic_load_n(&serving_, __ATOMIC_RELAXED);
    __atomic_store_n(&serving_, serving + 1, __ATOMIC_RELEASE);
    arch::preempt_enable();
}

bool SpinLock::held_by_this_cpu() const { return owner_cpu() == arch::cpu_id(); }

bool SpinLock::is_locked() const { return queued() != 0; }

void SpinLock::acquired(u32 cpu, u64 pc) {
    __atomic_store_n(&owner_, cpu, __ATOMIC_RELAXED);
    __atomic_store_n(&owner_pc_, pc, __ATOMIC_RELAXED);
}

void SpinLock::wait_for(u32 ticket, u32 cpu) {
#if LSTAR_LOCK_DEBUG
    // time_ns() is 0 until the clock is calibrated; the wait is timed from
    // the first non-zero reading (start == 0: not timed yet). Before
    // calibration only the boot CPU runs, and a CPU waiting for itself is
    // caught as a recursive lock.
    u64 start = 0, next_report = 0;
    while (__atomic_load_n(&serving_, __ATOMIC_ACQUIRE) != ticket) {
        arch::cpu_relax();
        const u64 now = arch::time_ns();
        if (start == 0) {
            start = now;
            next_report = now + kStallNs;
        } else if (now >= next_report) {
            report_stall(cpu, now - start);
            next_report = now + kStallRepeatNs;
        }
    }
#else
    (void)cpu;
    while (__atomic_load_n(&serving_, __ATOMIC_ACQUIRE) != ticket) arch::cpu_relax();
#endif
}

void SpinLock::panic_recursive(u32 cpu) const {
    const u64 pc = owner_pc();
    char where[128];
    describe_pc(where, sizeof where, pc);
    panic("spinlock %s (%p) taken twice on cpu %u, first taken at 0x%lx (%s)", name_,
          static_cast<const void*>(this), cpu, pc, where);
}

void SpinLock::panic_not_owner(u32 cpu) const {
    const u32 owner = owner_cpu();
    const u64 pc = owner_pc();
    if (owner == kNoCpu) {
        panic("spinlock %s (%p) unlocked on cpu %u but no cpu holds it", name_,
              static_cast<const void*>(this), cpu);
    }
    char where[128];
    describe_pc(where, sizeof where, pc);
    panic("spinlock %s (%p) unlocked on cpu %u but held by cpu %u, taken at 0x%lx (%s)", name_,
          static_cast<const void*>(this), cpu, owner, pc, where);
}

void SpinLock::report_stall(u32 cpu, u64 waited_ns) const {
    const u32 owner = owner_cpu();
    const u64 pc = owner_pc();
    char holder[16];
    if (owner == kNoCpu) fmt::snprintf(holder, sizeof holder, "none");
    else fmt::snprintf(holder, sizeof holder, "%u", owner);
    char where[128];
    describe_pc(where, sizeof where, pc);
    // The symbol goes in parentheses: demangled names contain spaces.
    klog::report("lock stall", "lock=%s addr=%p cpu=%u holder=%s holder_pc=0x%lx (%s) waited_ms=%lu queued=%u", name_,
                 static_cast<const void*>(this), cpu, holder, pc, where, waited_ns / 1'000'000, queued());
}

}  // namespace ksync
