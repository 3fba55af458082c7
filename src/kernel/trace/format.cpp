// Trace line formatting (see format.h).
#include "kernel/trace/format.h"

#include <stdarg.h>

#include "lib/abi/syscall_table.h"
#include "lib/format.h"

namespace trace {
namespace {

// The line so far; len counts what did not fit too.
struct Line {
    char* buf;
    usize size;
    usize len = 0;

    void add(const char* f, ...) __attribute__((format(printf, 2, 3)));
};

void Line::add(const char* f, ...) {
    usize at = len < size ? len : size;
    va_list ap;
    va_start(ap, f);
    len += fmt::vsnprintf(buf ? buf + at : nullptr, size - at, f, ap);
    va_end(ap);
}

void add_value(Line& line, abi::ArgType type, u64 v) {
    if (abi::prints_hex(type))
        line.add("0x%lx", v);
    else if (abi::is_signed(type))
        line.add("%ld", i64(v));
    else
        line.add("%lu", v);
}

void add_result(Line& line, abi::ArgType type, i64 r) {
    const char* error = r < 0 ? abi::error_name(-r) : nullptr;
    if (error)
        line.add("%ld (%s)", r, error);
    else
        add_value(line, type, u64(r));
}

}  // namespace

usize format_event(const Event& e, char* buf, usize size) {
    Line line{buf, size};
    if (buf && size) buf[0] = 0;
    // A torn record (a dump racing a writer) must still print safely:
    // every field is bounded here before it is used.
    line.add("[cpu%u] %.15s/%u ", u32(e.cpu), e.task, e.tid);
    const abi::SyscallInfo* call = e.nr < abi::kSysCount ? &abi::kSyscalls[e.nr] : nullptr;
    if (call)
        line.add("%s(", call->name);
    else
        line.add("call%u(", u32(e.nr));
    u32 argc = call ? call->argc : 0;
    for (u32 i = 0; i < argc && i < abi::kMaxSyscallArgs; i++) {
        line.add("%s%s=", i ? ", " : "", call->arg_names[i]);
        add_value(line, call->types[i], e.args[i]);
    }
    line.add(") = ");
    bool returned = e.state == EventState::kDone || e.state == EventState::kResumed;
    if (returned)
        add_result(line, call ? call->result : abi::ArgType::kI64, e.result);
    else
        line.add("?");
    line.add(" via %s", e.path < abi::kEntryPaths ? abi::kEntryPathNames[e.path] : "?");
    if (e.state == EventState::kPending) line.add(" <unfinished>");
    if (e.state == EventState::kResumed) line.add(" <resumed>");
    return line.len;
}

}  // namespace trace
