// Kernel log: levelled, printf-style lines on the console, plus the
// machine-readable report lines ("lstar: TOPIC key=value ...") that tests read.
#pragma once

#include <stdarg.h>

#include "lib/kstd/types.h"

namespace klog {

enum class Level : u8 { Debug, Info, Warn, Error };

void set_level(Level level);
// Parses "debug|info|warn|error"; false if the name is unknown.
bool parse_level(const char* name, Level& out);

void vlog(Level level, const char* fmt, va_list ap);
void log(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define KLOG_FN(name, lvl)                                                   \
    inline void name(const char* fmt, ...) __attribute__((format(printf, 1, 2))); \
    inline void name(const char* fmt, ...) {                                 \
        va_list ap;                                                          \
        va_start(ap, fmt);                                                   \
        vlog(Level::lvl, fmt, ap);                                           \
        va_end(ap);                                                          \
    }
KLOG_FN(debug, Debug)
KLOG_FN(info, Info)
KLOG_FN(warn, Warn)
KLOG_FN(error, Error)
#undef KLOG_FN

// A fact for tests and tools, never filtered by level:
//   report("mem", "total_kib=%lu usable_kib=%lu", ...) prints
//   "lstar: mem total_kib=... usable_kib=...".
void report(const char* topic, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Raw text, no prefix and no newline added (fault reports, backtraces).
void raw(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Writes n bytes as they are, in one piece (no formatting, no length limit
// beyond n): what a task's debug_write prints.
void write(const char* s, usize n);

// The kernel log's printer. Until a task claims it, every line goes straight
// to COM1. The console server, which owns COM1 from userspace, claims it
// with klog_read: from then on lines wait in a ring buffer (32 KiB; the
// oldest whole lines are dropped when it is full) and the console prints
// them between its own lines, so neither garbles the other. The kernel
// takes COM1 back, printing what the ring holds first, when that task ends
// (a restarted console claims it again), and for good at shutdown and on a
// panic (take_back: klog_read is refused from then on, so a console still
// running on another CPU cannot take the last lines into the ring).
//
// Copies whole lines (at most len bytes) into out and returns their
// length; -kExists if another task is the printer.
i64 read_lines(u64 task_id, char* out, usize len);
void reader_gone(u64 task_id);
void take_back();

}  // namespace klog
