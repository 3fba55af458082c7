// Kernel log implementation: format into a line buffer, then write it in one
// piece so lines from different paths do not interleave mid-line.
#include "kernel/log.h"

#include "kernel/arch.h"
#include "lib/format.h"
#include "lib/kstd/string.h"

namespace klog {
namespace {

Level g_level = Level::Info;
constexpr usize kLineMax = 512;

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
    arch::console_write(line, n);
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

}  // namespace klog
