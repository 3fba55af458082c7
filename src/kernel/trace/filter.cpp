// Parsing of trace= (see filter.h).
#include "kernel/trace/filter.h"

#include "lib/abi/syscall_table.h"
#include "lib/format.h"
#include "lib/kstd/string.h"

namespace trace {
namespace {

bool same(const char* a, usize n, const char* b) {
    return kstd::strlen(b) == n && kstd::memcmp(a, b, n) == 0;
}

bool fail(char* error, usize size, const char* what, const char* text, usize n) {
    fmt::snprintf(error, size, "%s '%.*s'", what, int(n), text);
    return false;
}

// CALLS of one rule: [begin, end) of the spec.
bool parse_calls(const char* s, const char* end, u64& mask, char* error, usize error_size) {
    mask = 0;
    char op = '+';
    while (s <= end) {
        const char* word = s;
        while (s < end && *s != '+' && *s != '-') s++;
        usize n = usize(s - word);
        if (n == 0) return fail(error, error_size, "empty call name in", word, usize(end - word));
        u64 bits;
        if (same(word, n, "all")) {
            bits = kAllCalls;
        } else {
            i32 nr = syscall_by_name(word, n);
            if (nr < 0) return fail(error, error_size, "unknown call", word, n);
            bits = u64(1) << nr;
        }
        mask = op == '+' ? mask | bits : mask & ~bits;
        if (s == end) break;
        op = *s++;
    }
    return true;
}

// One RULE, [s, end) of the spec, appended to out.
bool parse_rule(const char* s, const char* end, Filter& out, char* error, usize error_size) {
    const char* colon = s;
    while (colon < end && *colon != ':') colon++;
    usize n = usize(colon - s);
    if (n == 0) return fail(error, error_size, "no task name in rule", s, usize(end - s));
    if (n >= Filter::kNameSize) return fail(error, error_size, "task name too long:", s, n);
    if (out.count == Filter::kMaxRules)
        return fail(error, error_size, "too many rules at", s, usize(end - s));
    Filter::Rule& r = out.rules[out.count];
    bool every_task = same(s, n, "*") || same(s, n, "all");
    usize copied = every_task ? 0 : n;
    for (usize i = 0; i < copied; i++) r.task[i] = s[i];
    r.task[copied] = 0;
    r.calls = kAllCalls;
    if (colon < end && !parse_calls(colon + 1, end, r.calls, error, error_size)) return false;
    out.count++;
    return true;
}

}  // namespace

i32 syscall_by_name(const char* name, usize n) {
    for (u32 nr = 0; nr < abi::kSysCount; nr++)
        if (same(name, n, abi::kSyscalls[nr].name)) return i32(nr);
    return -1;
}

bool parse_filter(const char* spec, Filter& out, char* error, usize error_size) {
    out.count = 0;
    if (error_size) error[0] = 0;
    for (const char* s = spec;; s++) {  // s++: past the comma
        const char* rule = s;
        while (*s && *s != ',') s++;
        if (!parse_rule(rule, s, out, error, error_size)) {
            out.count = 0;
            return false;
        }
        if (!*s) return true;
    }
}

u64 filter_mask(const Filter& filter, const char* task) {
    u64 mask = 0;
    for (u32 i = 0; i < filter.count; i++) {
        const Filter::Rule& r = filter.rules[i];
        if (r.task[0] == 0 || kstd::strcmp(r.task, task) == 0) mask |= r.calls;
    }
    return mask;
}

}  // namespace trace
