// Remote calls over the call-function IPI. Each CPU has one inbox slot per
// possible sender; a sender has at most one call in flight (it waits for it
// with interrupts off), so a slot is never overwritten while in use.
#include "arch/x86_64/apic/lapic.h"
#include "arch/x86_64/apic/lapic_logic.h"
#include "arch/x86_64/cpu/interrupts.h"
#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/percpu.h"
#include "arch/x86_64/cpu/vectors.h"
#include "arch/x86_64/smp/smp.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/panic.h"

namespace x86::smp {
namespace {

struct CallRequest {
    RemoteFn fn;
    void* arg;
    u64 pending;  // bit n: CPU n has not finished yet
};

CallRequest* g_inbox[kMaxCpus][kMaxCpus];  // [target][sender]
// Generous: an emulated CPU's host thread can be descheduled for seconds on
// a loaded host, and a panic here stops the whole machine.
constexpr u64 kCallTimeoutMs = 20000;

void call_function_ipi(TrapFrame&) { serve_remote_calls(); }

}  // namespace

void serve_remote_calls() {
    u32 me = arch::cpu_id();
    for (u32 s = 0; s < cpus_possible(); s++) {
        CallRequest* req = __atomic_exchange_n(&g_inbox[me][s], nullptr, __ATOMIC_ACQ_REL);
        if (!req) continue;
        req->fn(req->arg);
        this_cpu().remote_calls++;
        __atomic_fetch_and(&req->pending, ~(u64(1) << me), __ATOMIC_RELEASE);
    }
}

// The reschedule IPI only has to interrupt: returning from it is what makes
// a halted CPU look at its work again.
void reschedule_ipi(TrapFrame&) {}

// The local APIC found an error (an illegal vector sent or received, a
// failed delivery): the error status register says which [SDM 3A 11.5.3].
void lapic_error(TrapFrame&) {
    lapic::registers().write(lapic::reg::kEsr, 0);  // latch the errors into ESR
    klog::warn("lapic error on cpu %u: ESR=0x%x", arch::cpu_id(), lapic::registers().read(lapic::reg::kEsr));
}

void install_ipi_handlers() {
    set_interrupt_handler(kVectorCallFunction, call_function_ipi);
    set_interrupt_handler(kVectorReschedule, reschedule_ipi);
    set_interrupt_handler(kVectorLapicError, lapic_error);
}

void kick_others() { lapic::send_ipi_others(kVectorReschedule); }

}  // namespace x86::smp

namespace arch {

void send_reschedule(u32 cpu) { x86::lapic::send_ipi(x86::cpu_local(cpu).apic_id, x86::kVectorReschedule); }
u64 online_cpus() { return x86::smp::online_mask(); }
void run_on_all_cpus(void (*fn)(void*), void* arg) { x86::smp::run_on_cpus(~0ull, fn, arg); }

}  // namespace arch

namespace x86::smp {

void run_on_cpus(u64 cpus, RemoteFn fn, void* arg) {
    u64 flags = arch::irq_save();
    u32 me = arch::cpu_id();
    u64 self = u64(1) << me;
    u64 targets = cpus & online_mask() & ~self;
    CallRequest req{fn, arg, targets};
    for (u32 t = 0; t < cpus_possible(); t++) {
        if (!(targets & (u64(1) << t))) continue;
        __atomic_store_n(&g_inbox[t][me], &req, __ATOMIC_RELEASE);
        lapic::send_ipi(cpu_local(t).apic_id, kVectorCallFunction);
    }
    if (cpus & self) fn(arg);
    u64 deadline = arch::time_ns() + kCallTimeoutMs * 1000000;
    while (__atomic_load_n(&req.pending, __ATOMIC_ACQUIRE)) {
        serve_remote_calls();
        pause();
        if (arch::time_ns() > deadline) {
            // A CPU that takes interrupts answers in microseconds; one that
            // does not is stuck with interrupts off. Stopping everything
            // prints where each CPU is, which is what is needed to debug it.
            panic("remote call from cpu %u: cpus 0x%lx did not answer within %lu ms", me,
                  __atomic_load_n(&req.pending, __ATOMIC_ACQUIRE), kCallTimeoutMs);
        }
    }
    arch::irq_restore(flags);
}

}  // namespace x86::smp
