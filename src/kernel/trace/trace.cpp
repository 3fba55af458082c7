// The system call tracer: per-CPU rings, trace lines and dumps (trace.h).
#include "kernel/trace/trace.h"

#include "kernel/log.h"
#include "kernel/trace/filter.h"
#include "kernel/trace/format.h"
#include "kernel/trace/ring.h"
#include "lib/cmdline.h"
#include "lib/kstd/string.h"

namespace trace {
namespace {

Filter g_filter;
bool g_ring_on = true;
EventRing* g_rings = nullptr;  // one per CPU online at init
u32 g_ring_count = 0;

constexpr usize kLineSize = 320;  // a six-argument call fits with room to spare

void log_event(const Event& e) {
    char line[kLineSize];
    format_event(e, line, sizeof line);
    klog::raw("%s\n", line);
}

// The ring of the CPU we run on. Interrupts must be off: only this CPU
// writes its ring, and a migration between cpu_id() and the write would
// break that.
EventRing* this_ring(u32 cpu) { return cpu < g_ring_count ? &g_rings[cpu] : nullptr; }

}  // namespace

void init(const char* cmdline) {
    char spec[256];
    if (cmdline::get(cmdline, "trace", spec, sizeof spec)) {
        char error[96];
        if (parse_filter(spec, g_filter, error, sizeof error))
            klog::info("trace: logging system calls as trace=%s says", spec);
        else
            klog::warn("trace=%s ignored: %s (see docs/syscalls.md)", spec, error);
    }
    char ring[8];
    if (cmdline::get(cmdline, "trace_ring", ring, sizeof ring)) g_ring_on = kstd::strcmp(ring, "off") != 0;
    if (!g_ring_on) return;
    u32 cpus = arch::cpu_count();
    g_rings = new EventRing[cpus];
    if (g_rings)
        g_ring_count = cpus;
    else
        klog::warn("trace: no memory for the event rings; recording nothing");
}

u64 initial_mask(const char* name) { return filter_mask(g_filter, name); }

void begin(Call& c, const task::Task& t, u64 tid, u32 nr, const u64 (&args)[abi::kMaxSyscallArgs], u8 path,
           bool returns) {
    c.seq = 0;
    c.log = __atomic_load_n(&t.trace_mask, __ATOMIC_RELAXED) >> nr & 1;
    if (!c.log && g_ring_count == 0) return;
    Event& e = c.event;
    e.seq = 0;
    e.time_ns = arch::time_ns();
    for (u32 i = 0; i < abi::kMaxSyscallArgs; i++) e.args[i] = args[i];
    e.result = 0;
    e.task_id = u32(t.id);
    e.tid = u32(tid);
    usize n = 0;
    for (; n + 1 < sizeof e.task && t.name[n]; n++) e.task[n] = t.name[n];
    for (; n < sizeof e.task; n++) e.task[n] = 0;
    e.nr = u16(nr);
    e.path = path;
    e.state = returns ? EventState::kPending : EventState::kNoReturn;
    u64 irq = arch::irq_save();
    e.cpu = u16(arch::cpu_id());
    if (EventRing* ring = this_ring(e.cpu)) c.seq = ring->push(e);
    arch::irq_restore(irq);
    if (!returns && c.log) log_event(e);
}

void end(Call& c, i64 result) {
    if (!c.log && g_ring_count == 0) return;
    Event& e = c.event;
    e.result = result;
    u64 irq = arch::irq_save();
    u32 cpu = arch::cpu_id();
    EventRing* ring = this_ring(cpu);
    // Completed in place if the call returns on the CPU it entered on and
    // its record is still there; otherwise a whole new record on this CPU
    // (an entry record left on another CPU stays <unfinished>).
    Event* entered = ring && cpu == e.cpu ? ring->find(c.seq) : nullptr;
    if (entered) {
        entered->result = result;
        entered->state = EventState::kDone;
        e.state = EventState::kDone;
    } else {
        e.state = cpu == e.cpu ? EventState::kDone : EventState::kResumed;
        e.cpu = u16(cpu);
        if (ring) ring->push(e);
    }
    arch::irq_restore(irq);
    if (c.log) log_event(e);
}

u64 recorded(u32 cpu) { return cpu < g_ring_count ? g_rings[cpu].pushed() : 0; }

void dump_cpu(u32 cpu, u32 max) {
    if (cpu >= g_ring_count) return;
    const EventRing& ring = g_rings[cpu];
    u64 newest = ring.pushed();
    u64 first = ring.oldest();
    if (newest >= max && newest - max + 1 > first) first = newest - max + 1;
    klog::report("trace-dump", "cpu=%u calls=%lu shown=%lu", cpu, newest, newest - first + 1);
    char line[kLineSize];
    for (u64 seq = first; seq <= newest; seq++) {
        const Event* e = ring.find(seq);
        if (!e) continue;  // overwritten while we read
        format_event(*e, line, sizeof line);
        klog::raw("  #%lu t=%lu.%06lus %s\n", seq, e->time_ns / 1000000000, e->time_ns / 1000 % 1000000,
                  line);
    }
}

void dump_all(u32 max_per_cpu) {
    for (u32 cpu = 0; cpu < g_ring_count; cpu++) dump_cpu(cpu, max_per_cpu);
}

void dump_cpus(u64 mask, u32 max_per_cpu) {
    for (u32 cpu = 0; cpu < g_ring_count && cpu < 64; cpu++)
        if (mask >> cpu & 1) dump_cpu(cpu, max_per_cpu);
}

}  // namespace trace
