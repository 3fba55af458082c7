// Boot manifest parser: line splitting, words, statements and the cross
// references between servers (see manifest.h for the format).
#include "lib/manifest.h"

#include <stdarg.h>

#include "lib/abi/ipc.h"
#include "lib/format.h"
#include "lib/kstd/string.h"

namespace manifest {
namespace {

unsigned long long ull(u64 v) { return static_cast<unsigned long long>(v); }

constexpr u32 kOwnEndpointRights = abi::kRightSend | abi::kRightReceive | abi::kRightGrant;
constexpr u32 kDeviceRights = abi::kRightControl;  // what using ioports and irq capabilities takes

// Words quoted in messages are cut to this many characters (and "...").
constexpr usize kShownLength = 32;

bool is_separator(char c) { return c == ' ' || c == '\t'; }

// A slice of one line; never copied to be looked at.
struct Word {
    const char* text;
    usize length;
};

bool equals(Word w, const char* s) {
    usize n = kstd::strlen(s);
    return w.length == n && kstd::strncmp(w.text, s, n) == 0;
}

// For "'%.*s%s'" in messages: the word cut to kShownLength characters.
int shown(Word w) { return static_cast<int>(w.length < kShownLength ? w.length : kShownLength); }
const char* more(Word w) { return w.length > kShownLength ? "..." : ""; }

void copy(Word w, char* out) {
    for (usize i = 0; i < w.length; ++i) out[i] = w.text[i];
    out[w.length] = '\0';
}

// The words of one line (line end and comment excluded). A word runs to the
// next space or tab or `#` outside double quotes; inside quotes, spaces, tabs
// and `#` are part of it.
class Words {
public:
    enum class Next { kEnd, kWord, kUnterminatedQuote };

    Words(const char* text, usize length) : p_(text), end_(text + length) {}

    Next next(Word& w) {
        while (p_ < end_ && is_separator(*p_)) ++p_;
        if (p_ == end_ || *p_ == '#') return Next::kEnd;
        const char* start = p_;
        bool quoted = false;
        for (; p_ < end_; ++p_) {
            if (*p_ == '"') {
                quoted = !quoted;
            } else if (!quoted && (is_separator(*p_) || *p_ == '#')) {
                break;
            }
        }
        if (quoted) return Next::kUnterminatedQuote;
        w = {start, static_cast<usize>(p_ - start)};
        return Next::kWord;
    }

private:
    const char* p_;
    const char* end_;
};

// `key=value` split at the first '='; a word without one is all key.
struct Option {
    Word key;
    Word value;
    bool has_value;
};

Option split_option(Word w) {
    for (usize i = 0; i < w.length; ++i) {
        if (w.text[i] == '=') return {{w.text, i}, {w.text + i + 1, w.length - i - 1}, true};
    }
    return {w, {w.text + w.length, 0}, false};
}

int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

enum class Number { kOk, kBad, kTooBig };

// Decimal or 0x/0X hex, in full.
Number parse_number(Word w, u64& out) {
    const char* p = w.text;
    usize n = w.length;
    u64 base = 10;
    if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
        n -= 2;
    }
    if (n == 0) return Number::kBad;
    u64 result = 0;
    bool too_big = false;
    for (usize i = 0; i < n; ++i) {
        int d = digit_value(p[i]);
        if (d < 0 || static_cast<u64>(d) >= base) return Number::kBad;
        if (result > (~u64{0} - static_cast<u64>(d)) / base) too_big = true;
        result = result * base + static_cast<u64>(d);
    }
    if (too_big) return Number::kTooBig;
    out = result;
    return Number::kOk;
}

enum class Name { kOk, kEmpty, kTooLong, kBadFirst, kBadChar };

// [a-z][a-z0-9_-]*, at most kMaxNameLength characters; bad is set to the
// offending character for kBadFirst and kBadChar.
Name check_name(Word w, char& bad) {
    if (w.length == 0) return Name::kEmpty;
    if (w.length > kMaxNameLength) return Name::kTooLong;
    if (w.text[0] < 'a' || w.text[0] > 'z') {
        bad = w.text[0];
        return Name::kBadFirst;
    }
    for (usize i = 1; i < w.length; ++i) {
        char c = w.text[i];
        if ((c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-') {
            bad = c;
            return Name::kBadChar;
        }
    }
    return Name::kOk;
}

// Names a character in a message: itself if printable, else its code.
struct CharName {
    char text[8];
};

CharName char_name(char c) {
    CharName n;
    u8 b = static_cast<u8>(c);
    if (b >= 0x21 && b < 0x7f) {
        fmt::snprintf(n.text, sizeof(n.text), "'%c'", c);
    } else {
        fmt::snprintf(n.text, sizeof(n.text), "0x%02x", unsigned{b});
    }
    return n;
}

// One manifest being parsed: the statements of each line go into out.
class Parser {
public:
    Parser(Manifest& out, Result& result) : out_(out), result_(result) {}

    // One line without its line end.
    bool parse_line(const char* text, usize length, u32 line);

    // After the last line: resolves every give.
    bool resolve();

private:
    bool fail(const char* f, ...) __attribute__((format(printf, 2, 3)));

    // Each of these reads the rest of a line, after the statement's word.
    bool parse_server(Words& words);
    bool parse_endpoint(Words& words, Server& server);
    bool parse_give(Words& words, Server& server);
    bool parse_ioports(Words& words, Server& server);
    bool parse_irq(Words& words, Server& server);

    // The next word; false at the end of the line (unterminated set) or
    // after an error.
    bool next_word(Words& words, Word& w, bool& error);
    // A name word: what is its role in messages ("server name").
    bool take_name(Word w, const char* what, char* out);
    bool take_number(Option o, u64 min, u64 max, u64& out);
    bool take_slot(Word value, const Server& server, u32& slot);
    bool check_once(Option o, u32 bit, u32& seen);
    bool unknown(Option o, const char* statement);
    Grant* add_grant(Server& server, GrantKind kind, const char* statement);

    Manifest& out_;
    Result& result_;
    u32 line_ = 0;
};

bool Parser::fail(const char* f, ...) {
    result_.ok = false;
    result_.line = line_;
    usize n = fmt::snprintf(result_.message, sizeof(result_.message),
                            "line %lu: ", static_cast<unsigned long>(line_));
    if (n < sizeof(result_.message)) {
        va_list ap;
        va_start(ap, f);
        fmt::vsnprintf(result_.message + n, sizeof(result_.message) - n, f, ap);
        va_end(ap);
    }
    return false;
}

bool Parser::next_word(Words& words, Word& w, bool& error) {
    switch (words.next(w)) {
        case Words::Next::kWord:
            return true;
        case Words::Next::kEnd:
            return false;
        case Words::Next::kUnterminatedQuote:
            error = true;
            fail("unterminated quote");
            return false;
    }
    return false;
}

bool Parser::take_name(Word w, const char* what, char* out) {
    char bad = 0;
    switch (check_name(w, bad)) {
        case Name::kOk:
            copy(w, out);
            return true;
        case Name::kEmpty:
            return fail("%s is empty", what);
        case Name::kTooLong:
            return fail("%s '%.*s%s' longer than %lu characters", what, shown(w), w.text, more(w),
                        static_cast<unsigned long>(kMaxNameLength));
        case Name::kBadFirst:
            return fail("%s '%.*s%s' must start with a letter a-z, not %s", what, shown(w), w.text, more(w),
                        char_name(bad).text);
        case Name::kBadChar:
            return fail("%s '%.*s%s' has bad character %s (a-z, 0-9, _, - only)", what, shown(w), w.text,
                        more(w), char_name(bad).text);
    }
    return false;
}

bool Parser::take_number(Option o, u64 min, u64 max, u64& out) {
    u64 v = 0;
    switch (parse_number(o.value, v)) {
        case Number::kOk:
            break;
        case Number::kBad:
            return fail("bad number '%.*s%s' for %.*s", shown(o.value), o.value.text, more(o.value),
                        shown(o.key), o.key.text);
        case Number::kTooBig:
            return fail("bad number '%.*s%s' for %.*s: more than 64 bits", shown(o.value), o.value.text,
                        more(o.value), shown(o.key), o.key.text);
    }
    if (v < min || v > max) {
        return fail("%.*s %llu out of range %llu..%llu", shown(o.key), o.key.text, ull(v), ull(min),
                    ull(max));
    }
    out = v;
    return true;
}

bool Parser::take_slot(Word value, const Server& server, u32& slot) {
    u64 v = 0;
    if (!take_number({{"slot", 4}, value, true}, kMinSlot, kMaxSlot, v)) return false;
    if (const Grant* g = find_slot(server, static_cast<u32>(v))) {
        return fail("slot %llu already used by server %s on line %lu", ull(v), server.name,
                    static_cast<unsigned long>(g->line));
    }
    slot = static_cast<u32>(v);
    return true;
}

bool Parser::check_once(Option o, u32 bit, u32& seen) {
    if (seen & bit) return fail("%.*s given twice", shown(o.key), o.key.text);
    seen |= bit;
    if (!o.has_value)
        return fail("%.*s needs a value (%.*s=...)", shown(o.key), o.key.text, shown(o.key), o.key.text);
    return true;
}

bool Parser::unknown(Option o, const char* statement) {
    if (!o.has_value) {
        return fail("unexpected word '%.*s%s' in %s", shown(o.key), o.key.text, more(o.key), statement);
    }
    return fail("unknown key '%.*s%s' in %s", shown(o.key), o.key.text, more(o.key), statement);
}

Grant* Parser::add_grant(Server& server, GrantKind kind, const char* statement) {
    if (server.grant_count == kMaxGrants) {
        fail("%s: server %s has more than %lu capabilities", statement, server.name,
             static_cast<unsigned long>(kMaxGrants));
        return nullptr;
    }
    Grant& g = server.grants[server.grant_count++];
    g.kind = kind;
    g.slot = 0;
    g.line = line_;
    g.rights = 0;
    g.badge = 0;
    g.base = 0;
    g.count = 0;
    g.server[0] = '\0';
    g.endpoint[0] = '\0';
    g.target_server = 0;
    g.target_grant = 0;
    return &g;
}

bool Parser::parse_line(const char* text, usize length, u32 line) {
    line_ = line;
    Words words(text, length);
    Word first;
    bool error = false;
    if (!next_word(words, first, error)) return !error;
    if (equals(first, "server")) return parse_server(words);
    bool known = equals(first, "endpoint") || equals(first, "give") || equals(first, "ioports") ||
                 equals(first, "irq");
    if (!known) return fail("unknown statement '%.*s%s'", shown(first), first.text, more(first));
    if (out_.count == 0) return fail("%.*s before any server line", shown(first), first.text);
    Server& server = out_.servers[out_.count - 1];
    if (equals(first, "endpoint")) return parse_endpoint(words, server);
    if (equals(first, "give")) return parse_give(words, server);
    if (equals(first, "ioports")) return parse_ioports(words, server);
    return parse_irq(words, server);
}

bool Parser::parse_server(Words& words) {
    Word w;
    bool error = false;
    if (!next_word(words, w, error)) return error ? false : fail("server needs a name");
    if (out_.count == kMaxServers) {
        return fail("more than %lu servers", static_cast<unsigned long>(kMaxServers));
    }
    Server& s = out_.servers[out_.count];
    if (!take_name(w, "server name", s.name)) return false;
    if (kstd::strcmp(s.name, kInitServerName) == 0) return fail("server name 'init' is reserved for init itself");
    if (const Server* other = find_server(out_, s.name)) {
        return fail("duplicate server name '%s', first declared on line %lu", s.name,
                    static_cast<unsigned long>(other->line));
    }
    s.line = line_;
    s.priority = kDefaultPriority;
    s.cpus = kAllCpus;
    s.restart = true;
    s.privileged = false;
    s.args[0] = '\0';
    s.grant_count = 0;
    copy({s.name, kstd::strlen(s.name)}, s.program);

    enum : u32 { kPrio = 1, kCpus = 2, kRestart = 4, kPrivileged = 8, kArgs = 16, kProgram = 32 };
    u32 seen = 0;
    while (next_word(words, w, error)) {
        Option o = split_option(w);
        if (equals(o.key, "prio")) {
            u64 v = 0;
            if (!check_once(o, kPrio, seen) || !take_number(o, 0, kMaxPriority, v)) return false;
            s.priority = static_cast<u32>(v);
        } else if (equals(o.key, "program")) {
            if (!check_once(o, kProgram, seen) || !take_name(o.value, "program name", s.program)) return false;
        } else if (equals(o.key, "cpus")) {
            if (!check_once(o, kCpus, seen) || !take_number(o, 1, ~u64{0}, s.cpus)) return false;
        } else if (equals(o.key, "restart")) {
            if (!check_once(o, kRestart, seen)) return false;
            if (equals(o.value, "yes")) {
                s.restart = true;
            } else if (equals(o.value, "no")) {
                s.restart = false;
            } else {
                return fail("restart must be yes or no, not '%.*s%s'", shown(o.value), o.value.text,
                            more(o.value));
            }
        } else if (equals(o.key, "privileged")) {
            if (seen & kPrivileged) return fail("privileged given twice");
            seen |= kPrivileged;
            if (o.has_value) return fail("privileged takes no value");
            s.privileged = true;
        } else if (equals(o.key, "args")) {
            if (!check_once(o, kArgs, seen)) return false;
            Word v = o.value;
            bool quoted = v.length >= 2 && v.text[0] == '"' && v.text[v.length - 1] == '"';
            for (usize i = 1; quoted && i + 1 < v.length; ++i) quoted = v.text[i] != '"';
            if (!quoted) return fail("args must be one quoted string: args=\"...\"");
            Word inner = {v.text + 1, v.length - 2};
            if (inner.length > kMaxArgsLength) {
                return fail("args longer than %lu characters", static_cast<unsigned long>(kMaxArgsLength));
            }
            copy(inner, s.args);
        } else {
            return unknown(o, "server");
        }
    }
    if (error) return false;
    ++out_.count;
    return true;
}

bool Parser::parse_endpoint(Words& words, Server& server) {
    Word w;
    bool error = false;
    if (!next_word(words, w, error)) return error ? false : fail("endpoint needs a name: endpoint NAME at=N");
    char name[kNameSize];
    if (!take_name(w, "endpoint name", name)) return false;
    if (const Grant* other = find_endpoint(server, name)) {
        return fail("endpoint '%s' already declared by server %s on line %lu", name, server.name,
                    static_cast<unsigned long>(other->line));
    }
    u32 slot = 0, seen = 0;
    while (next_word(words, w, error)) {
        Option o = split_option(w);
        if (!equals(o.key, "at")) return unknown(o, "endpoint");
        if (!check_once(o, 1, seen) || !take_slot(o.value, server, slot)) return false;
    }
    if (error) return false;
    if (slot == 0) return fail("missing at=N for endpoint '%s'", name);
    Grant* g = add_grant(server, GrantKind::kOwnEndpoint, "endpoint");
    if (g == nullptr) return false;
    g->slot = slot;
    g->rights = kOwnEndpointRights;
    copy({server.name, kstd::strlen(server.name)}, g->server);
    copy({name, kstd::strlen(name)}, g->endpoint);
    return true;
}

bool Parser::parse_give(Words& words, Server& server) {
    Word w;
    bool error = false;
    if (!next_word(words, w, error)) {
        return error ? false : fail("give needs a target: give SERVER.ENDPOINT rights=RIGHTS at=N");
    }
    usize dot = 0;
    while (dot < w.length && w.text[dot] != '.') ++dot;
    if (dot == w.length) {
        return fail("give target '%.*s%s' must be SERVER.ENDPOINT", shown(w), w.text, more(w));
    }
    char target_server[kNameSize], target_endpoint[kNameSize];
    if (!take_name({w.text, dot}, "give server name", target_server)) return false;
    if (!take_name({w.text + dot + 1, w.length - dot - 1}, "give endpoint name", target_endpoint))
        return false;

    enum : u32 { kRights = 1, kAt = 2, kBadge = 4 };
    u32 seen = 0, rights = 0, slot = 0;
    u64 badge = 0;
    while (next_word(words, w, error)) {
        Option o = split_option(w);
        if (equals(o.key, "rights")) {
            if (!check_once(o, kRights, seen)) return false;
            if (o.value.length == 0) return fail("rights is empty: one or more of s, r, g");
            for (usize i = 0; i < o.value.length; ++i) {
                char c = o.value.text[i];
                u32 bit = c == 's'   ? static_cast<u32>(abi::kRightSend)
                          : c == 'r' ? static_cast<u32>(abi::kRightReceive)
                          : c == 'g' ? static_cast<u32>(abi::kRightGrant)
                                     : 0;
                if (bit == 0) {
                    return fail("unknown right %s in rights=%.*s%s (s, r, g)", char_name(c).text,
                                shown(o.value), o.value.text, more(o.value));
                }
                if (rights & bit)
                    return fail("right '%c' repeated in rights=%.*s", c, shown(o.value), o.value.text);
                rights |= bit;
            }
        } else if (equals(o.key, "at")) {
            if (!check_once(o, kAt, seen) || !take_slot(o.value, server, slot)) return false;
        } else if (equals(o.key, "badge")) {
            if (!check_once(o, kBadge, seen)) return false;
            u64 v = 0;
            switch (parse_number(o.value, v)) {
                case Number::kOk:
                    break;
                case Number::kBad:
                    return fail("bad number '%.*s%s' for badge", shown(o.value), o.value.text, more(o.value));
                case Number::kTooBig:
                    return fail("bad number '%.*s%s' for badge: more than 64 bits", shown(o.value),
                                o.value.text, more(o.value));
            }
            if (v == 0) return fail("badge 0 out of range: must be non-zero (leave badge= out for none)");
            badge = v;
        } else {
            return unknown(o, "give");
        }
    }
    if (error) return false;
    if (rights == 0) return fail("missing rights= for give %s.%s", target_server, target_endpoint);
    if (slot == 0) return fail("missing at=N for give %s.%s", target_server, target_endpoint);
    Grant* g = add_grant(server, GrantKind::kEndpoint, "give");
    if (g == nullptr) return false;
    g->slot = slot;
    g->rights = rights;
    g->badge = badge;
    copy({target_server, kstd::strlen(target_server)}, g->server);
    copy({target_endpoint, kstd::strlen(target_endpoint)}, g->endpoint);
    return true;
}

bool Parser::parse_ioports(Words& words, Server& server) {
    Word base_word, count_word;
    bool error = false;
    if (!next_word(words, base_word, error) || !next_word(words, count_word, error)) {
        return error ? false : fail("ioports needs a range: ioports BASE COUNT at=N");
    }
    u64 base = 0, count = 0;
    if (!take_number({{"ioports base", 12}, base_word, true}, 0, kIoPortLimit - 1, base)) return false;
    if (!take_number({{"ioports count", 13}, count_word, true}, 1, kIoPortLimit, count)) return false;
    if (count > kIoPortLimit - base) {
        return fail("ioports range 0x%llx + %llu runs past the last port 0xffff", ull(base), ull(count));
    }
    u32 slot = 0, seen = 0;
    Word w;
    while (next_word(words, w, error)) {
        Option o = split_option(w);
        if (!equals(o.key, "at")) return unknown(o, "ioports");
        if (!check_once(o, 1, seen) || !take_slot(o.value, server, slot)) return false;
    }
    if (error) return false;
    if (slot == 0) return fail("missing at=N for ioports 0x%llx %llu", ull(base), ull(count));
    Grant* g = add_grant(server, GrantKind::kIoPorts, "ioports");
    if (g == nullptr) return false;
    g->slot = slot;
    g->rights = kDeviceRights;
    g->base = base;
    g->count = count;
    return true;
}

bool Parser::parse_irq(Words& words, Server& server) {
    Word line_word;
    bool error = false;
    if (!next_word(words, line_word, error)) return error ? false : fail("irq needs a line: irq LINE at=N");
    u64 irq = 0;
    if (!take_number({{"irq line", 8}, line_word, true}, 0, kMaxIrq, irq)) return false;
    u32 slot = 0, seen = 0;
    Word w;
    while (next_word(words, w, error)) {
        Option o = split_option(w);
        if (!equals(o.key, "at")) return unknown(o, "irq");
        if (!check_once(o, 1, seen) || !take_slot(o.value, server, slot)) return false;
    }
    if (error) return false;
    if (slot == 0) return fail("missing at=N for irq %llu", ull(irq));
    Grant* g = add_grant(server, GrantKind::kIrq, "irq");
    if (g == nullptr) return false;
    g->slot = slot;
    g->rights = kDeviceRights;
    g->base = irq;
    g->count = 1;
    return true;
}

bool Parser::resolve() {
    // Servers and their grants are in line order, so the first bad give
    // found is the first in the text.
    for (u32 i = 0; i < out_.count; ++i) {
        Server& s = out_.servers[i];
        for (u32 j = 0; j < s.grant_count; ++j) {
            Grant& g = s.grants[j];
            if (g.kind == GrantKind::kOwnEndpoint) {
                g.target_server = i;
                g.target_grant = j;
                continue;
            }
            if (g.kind != GrantKind::kEndpoint) continue;
            line_ = g.line;
            if (kstd::strcmp(g.server, kInitServerName) == 0) {
                if (kstd::strcmp(g.endpoint, kInitEndpointName) != 0) {
                    return fail("give init.%s: init offers only the endpoint '%s'", g.endpoint, kInitEndpointName);
                }
                g.kind = GrantKind::kInitEndpoint;
                continue;
            }
            i32 t = server_index(out_, g.server);
            if (t < 0) return fail("give %s.%s names unknown server '%s'", g.server, g.endpoint, g.server);
            const Server& target = out_.servers[t];
            const Grant* e = find_endpoint(target, g.endpoint);
            if (e == nullptr) {
                return fail("give %s.%s: server %s declares no endpoint '%s'", g.server, g.endpoint,
                            target.name, g.endpoint);
            }
            g.target_server = static_cast<u32>(t);
            g.target_grant = static_cast<u32>(e - target.grants);
        }
    }
    return true;
}

}  // namespace

Result parse(const char* text, usize len, Manifest& out) {
    Result result;
    result.ok = true;
    result.line = 0;
    result.message[0] = '\0';
    out.count = 0;
    Parser parser(out, result);
    if (text == nullptr && len != 0) {
        fmt::snprintf(result.message, sizeof(result.message), "line 0: no text (null) of %llu bytes",
                      ull(len));
        result.ok = false;
        return result;
    }
    u32 line = 0;
    usize pos = 0;
    while (pos < len) {
        ++line;
        usize start = pos;
        usize nul = len;  // offset of the first NUL byte on this line, len if none
        while (pos < len && text[pos] != '\n') {
            if (text[pos] == '\0' && nul == len) nul = pos;
            ++pos;
        }
        usize end = pos;
        if (pos < len) ++pos;  // past the '\n'
        if (end > start && text[end - 1] == '\r') --end;
        if (nul != len) {
            result.ok = false;
            result.line = line;
            fmt::snprintf(result.message, sizeof(result.message), "line %lu: NUL byte at column %llu",
                          static_cast<unsigned long>(line), ull(nul - start + 1));
            return result;
        }
        if (end - start > kMaxLineLength) {
            result.ok = false;
            result.line = line;
            fmt::snprintf(result.message, sizeof(result.message),
                          "line %lu: longer than %lu characters (%llu)", static_cast<unsigned long>(line),
                          static_cast<unsigned long>(kMaxLineLength), ull(end - start));
            return result;
        }
        if (!parser.parse_line(text + start, end - start, line)) return result;
    }
    if (!parser.resolve()) return result;
    result.ok = true;
    result.line = line;
    fmt::snprintf(result.message, sizeof(result.message), "ok");
    return result;
}

i32 server_index(const Manifest& manifest, const char* name) {
    for (u32 i = 0; i < manifest.count && i < kMaxServers; ++i) {
        if (kstd::strcmp(manifest.servers[i].name, name) == 0) return static_cast<i32>(i);
    }
    return -1;
}

const Server* find_server(const Manifest& manifest, const char* name) {
    i32 i = server_index(manifest, name);
    return i < 0 ? nullptr : &manifest.servers[i];
}

const Grant* find_endpoint(const Server& server, const char* name) {
    for (u32 i = 0; i < server.grant_count && i < kMaxGrants; ++i) {
        const Grant& g = server.grants[i];
        if (g.kind == GrantKind::kOwnEndpoint && kstd::strcmp(g.endpoint, name) == 0) return &g;
    }
    return nullptr;
}

const Grant* find_slot(const Server& server, u32 slot) {
    for (u32 i = 0; i < server.grant_count && i < kMaxGrants; ++i) {
        if (server.grants[i].slot == slot) return &server.grants[i];
    }
    return nullptr;
}

const char* kind_name(GrantKind kind) {
    switch (kind) {
        case GrantKind::kOwnEndpoint:
            return "endpoint";
        case GrantKind::kEndpoint:
            return "give";
        case GrantKind::kIoPorts:
            return "ioports";
        case GrantKind::kIrq:
            return "irq";
        case GrantKind::kInitEndpoint:
            return "give";
    }
    return "?";
}

}  // namespace manifest
