// Kernel command line queries: word splitting and key lookup (see cmdline.h).
#include "lib/cmdline.h"

#include "lib/kstd/string.h"

namespace cmdline {
namespace {

bool is_separator(char c) { return c == ' ' || c == '\t'; }

// A slice of the command line; words are never copied to find them.
struct Word {
    const char* text;
    usize length;
};

// Returns the next word at or after `cursor` and advances past it; length 0 at the end.
Word next_word(const char*& cursor) {
    while (is_separator(*cursor)) ++cursor;
    const char* start = cursor;
    while (*cursor != '\0' && !is_separator(*cursor)) ++cursor;
    return {start, static_cast<usize>(cursor - start)};
}

// Finds the value of the last `key=...` word. The key must be a whole word
// prefix, so "foo" does not match "foobar=1".
bool find_value(const char* line, const char* key, Word& value) {
    if (line == nullptr || key == nullptr) return false;
    usize key_length = kstd::strlen(key);
    if (key_length == 0) return false;
    bool found = false;
    for (const char* cursor = line;;) {
        Word w = next_word(cursor);
        if (w.length == 0) return found;
        if (w.length > key_length && w.text[key_length] == '=' && kstd::strncmp(w.text, key, key_length) == 0) {
            value = {w.text + key_length + 1, w.length - key_length - 1};
            found = true;
        }
    }
}

int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

bool has_flag(const char* line, const char* name) {
    if (line == nullptr || name == nullptr) return false;
    usize name_length = kstd::strlen(name);
    if (name_length == 0) return false;
    for (const char* cursor = line;;) {
        Word w = next_word(cursor);
        if (w.length == 0) return false;
        if (w.length == name_length && kstd::strncmp(w.text, name, name_length) == 0) return true;
    }
}

bool get(const char* line, const char* key, char* out, usize out_size) {
    Word value;
    if (!find_value(line, key, value)) return false;
    if (value.length >= out_size) return false;
    for (usize i = 0; i < value.length; ++i) out[i] = value.text[i];
    out[value.length] = '\0';
    return true;
}

bool get_u64(const char* line, const char* key, u64& out) {
    Word value;
    if (!find_value(line, key, value)) return false;
    const char* p = value.text;
    usize n = value.length;
    u64 base = 10;
    if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
        n -= 2;
    }
    if (n == 0) return false;
    u64 result = 0;
    for (usize i = 0; i < n; ++i) {
        int d = digit_value(p[i]);
        if (d < 0 || static_cast<u64>(d) >= base) return false;
        // Reject rather than wrap: a silently truncated memory size is worse than none.
        if (result > (~u64{0} - static_cast<u64>(d)) / base) return false;
        result = result * base + static_cast<u64>(d);
    }
    out = result;
    return true;
}

}  // namespace cmdline
