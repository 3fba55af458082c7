// Kernel log implementation: format into a line buffer, then write it in one
// piece so lines from different paths do not interleave mid-line.
#include "kernel/log.h"

#include "kernel/arch.h"
#include "lib/abi/syscall.h"
#include "lib/format.h"
#include "lib/kstd/string.h"

namespace klog {
namespace {

Level g_level = Level::Info;
constexpr usize kLineMax = 512;

// The ring of lines waiting for the printer task (log.h). Positions count
// bytes ever written and read; the lock records its CPU, so that an NMI or
// machine check that interrupts the holder prints directly instead of
// deadlocking.
constexpr usize kRingSize = 32768;
char g_ring[kRingSize];
u64 g_head = 0, g_tail = 0;
u64 g_dropped = 0;          // bytes of whole lines dropped since the last read
u64 g_reader = 0;           // the printer's task id, 0: COM1 directly
u32 g_ring_owner = 0;       // CPU number + 1 holding the ring, 0 when free
bool g_final = false;       // take_back() ran (shutdown, panic): nobody may claim the log again

// Takes the ring; false if this CPU holds it already (nested in an NMI).
bool ring_lock(u64& flags) {
    flags = arch::irq_save();
    const u32 me = arch::cpu_id() + 1;
    if (__atomic_load_n(&g_ring_owner, __ATOMIC_ACQUIRE) == me) {
        arch::irq_restore(flags);
        return false;
    }
    u32 expected = 0;
    while (!__atomic_compare_exchange_n(&g_ring_owner, &expected, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        expected = 0;
        arch::cpu_relax();
    }
    return true;
}

void ring_unlock(u64 flags) {
    __atomic_store_n(&g_ring_owner, 0u, __ATOMIC_RELEASE);
    arch::irq_restore(flags);
}

// Drops the oldest whole line (the ring holds whole lines only).
void drop_line() {
    while (g_tail < g_head) {
        ++g_dropped;
        if (g_ring[g_tail++ % kRingSize] == '\n') return;
    }
}

// Writes every line the ring holds to COM1 and empties it (lock held).
void drain_to_console() {
    while (g_tail < g_head) {
        const usize at = g_tail % kRingSize;
        usize n = g_head - g_tail;
        if (n > kRingSize - at) n = kRingSize - at;
        arch::console_write(g_ring + at, n);
        g_tail += n;
    }
}

void deliver(const char* line, usize n) {
    u64 flags;
    if (__atomic_load_n(&g_reader, __ATOMIC_ACQUIRE) == 0 || !ring_lock(flags)) {
        arch::console_write(line, n);
        return;
    }
    if (g_reader == 0) {
        ring_unlock(flags);
        arch::console_write(line, n);
        return;
    }
    while (g_head - g_tail + n > kRingSize) drop_line();
    for (usize i = 0; i < n; ++i) g_ring[g_head++ % kRingSize] = line[i];
    ring_unlock(flags);
}

const char* level_tag(Level level) {
    switch (level) {
        case Level::Debug: return "[debug] ";
        case Level::Info: return "[info] ";
        case Level::Warn: return "[warn] ";
        case Level::Error: return "[error] ";
    }
    return "";
}

void emit(const char* prefix, const char* fmt, va_list ap, bool newline) {
    char line[kLineMax];
    usize n = fmt::snprintf(line, sizeof line, "%s", prefix);
    if (n >= sizeof line) n = sizeof line - 1;
    usize m = fmt::vsnprintf(line + n, sizeof line - n, fmt, ap);
    n = (n + m >= sizeof line) ? sizeof line - 1 : n + m;
    if (newline) {
        if (n == sizeof line - 1) n--;  // keep room for the newline
        line[n++] = '\n';
    }
    deliver(line, n);
}

}  // namespace

void set_level(Level level) { g_level = level; }

bool parse_level(const char* name, Level& out) {
    static const struct { const char* name; Level level; } kNames[] = {
        {"debug", Level::Debug}, {"info", Level::Info}, {"warn", Level::Warn}, {"error", Level::Error}};
    for (const auto& n : kNames) {
        if (kstd::strcmp(n.name, name) == 0) {
            out = n.level;
            return true;
        }
    }
    return false;
}

void vlog(Level level, const char* fmt, va_list ap) {
    if (level < g_level) return;
    emit(level_tag(level), fmt, ap, true);
}

void log(Level level, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

void report(const char* topic, const char* fmt, ...) {
    char prefix[64];
    fmt::snprintf(prefix, sizeof prefix, "lstar: %s ", topic);
    va_list ap;
    va_start(ap, fmt);
    emit(prefix, fmt, ap, true);
    va_end(ap);
}

void raw(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit("", fmt, ap, false);
    va_end(ap);
}

void write(const char* s, usize n) {
    if (n) deliver(s, n);
}

i64 read_lines(u64 task_id, char* out, usize len) {
    u64 flags;
    if (!ring_lock(flags)) return 0;
    if (g_final || (g_reader != 0 && g_reader != task_id)) {
        ring_unlock(flags);
        return -i64(abi::kExists);
    }
    g_reader = task_id;
    usize note = 0;
    if (g_dropped != 0 && len > 64) {
        note = fmt::snprintf(out, len, "lstar: klog dropped_bytes=%lu (the ring was full)\n", g_dropped);
        g_dropped = 0;
    }
    // Whole lines only: up to the last '\n' that fits.
    usize n = note, whole = note;
    for (u64 pos = g_tail; pos < g_head && n < len; ++pos) {
        out[n++] = g_ring[pos % kRingSize];
        if (out[n - 1] == '\n') whole = n;
    }
    g_tail += whole - note;
    ring_unlock(flags);
    return i64(whole);
}

void reader_gone(u64 task_id) {
    u64 flags;
    if (!ring_lock(flags)) return;
    if (g_reader == task_id && task_id != 0) {
        g_reader = 0;
        drain_to_console();
    }
    ring_unlock(flags);
}

void take_back() {
    u64 flags;
    if (!ring_lock(flags)) {
        __atomic_store_n(&g_final, true, __ATOMIC_RELEASE);
        __atomic_store_n(&g_reader, u64{0}, __ATOMIC_RELEASE);
        return;
    }
    g_final = true;
    g_reader = 0;
    drain_to_console();
    ring_unlock(flags);
}

}  // namespace klog
