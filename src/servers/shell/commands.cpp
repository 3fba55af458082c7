// shell::parse (commands.h).
#include "servers/shell/commands.h"

#include "lib/format.h"
#include "lib/kstd/string.h"

namespace shell {

namespace {

// The most words any command takes, plus one to tell "too many".
constexpr usize kMaxWords = 4;
// How much of a bad word a message quotes.
constexpr int kQuoteMax = 24;

struct Word {
    const char* text;
    usize len;
};

struct Words {
    Word word[kMaxWords];
    usize count;  // may exceed kMaxWords: the words past it are not kept
};

bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

Words split(const char* line, usize len) {
    Words w{};
    usize i = 0;
    while (i < len && line[i] != '\0') {
        if (blank(line[i])) {
            ++i;
            continue;
        }
        const usize start = i;
        while (i < len && line[i] != '\0' && !blank(line[i])) ++i;
        if (w.count < kMaxWords) w.word[w.count] = {line + start, i - start};
        ++w.count;
    }
    return w;
}

bool is(const Word& w, const char* s) {
    usize i = 0;
    for (; i < w.len; ++i) {
        if (s[i] != w.text[i]) return false;  // also stops at s's NUL
    }
    return s[i] == '\0';
}

int quote_len(const Word& w) { return w.len < kQuoteMax ? static_cast<int>(w.len) : kQuoteMax; }

// A number: decimal, or 0x hex if `hex`; no sign, fits in 64 bits.
bool parse_u64(const Word& w, bool hex, u64& out) {
    u64 base = 10;
    usize i = 0;
    if (hex && w.len > 2 && w.text[0] == '0' && (w.text[1] == 'x' || w.text[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == w.len) return false;
    u64 v = 0;
    for (; i < w.len; ++i) {
        const char c = w.text[i];
        u64 d;
        if (c >= '0' && c <= '9') d = static_cast<u64>(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f') d = static_cast<u64>(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F') d = static_cast<u64>(c - 'A' + 10);
        else return false;
        if (v > (~u64{0} - d) / base) return false;
        v = v * base + d;
    }
    out = v;
    return true;
}

// A task id: decimal or 0x hex, not 0.
bool parse_task(const Word& w, u64& out) {
    u64 v = 0;
    if (!parse_u64(w, true, v) || v == 0) return false;
    out = v;
    return true;
}

Command bad(const char* message) {
    Command c;
    c.kind = Kind::kBad;
    fmt::snprintf(c.message, sizeof(c.message), "%s", message);
    return c;
}

// A message quoting the word at fault: before 'word' after.
Command bad(const char* before, const Word& w, const char* after) {
    Command c;
    c.kind = Kind::kBad;
    fmt::snprintf(c.message, sizeof(c.message), "%s'%.*s'%s", before, quote_len(w), w.text, after);
    return c;
}

// A command without arguments.
Command bare(Kind kind, const Words& w, const char* usage) {
    if (w.count != 1) return bad(usage);
    Command c;
    c.kind = kind;
    return c;
}

Command trace(const Words& w) {
    if (w.count < 2 || w.count > 3) return bad("usage: trace on|off [TASK-ID]");
    Command c;
    c.kind = Kind::kTrace;
    if (is(w.word[1], "on")) c.on = true;
    else if (!is(w.word[1], "off")) return bad("trace: ", w.word[1], " is neither on nor off");
    if (w.count == 3) {
        if (!parse_task(w.word[2], c.task)) return bad("trace: bad task id ", w.word[2], " (a number, 1 or more)");
        c.has_task = true;
    }
    return c;
}

// A task name as ps shows it: a lower-case letter, then letters, digits,
// '_' or '-', shorter than Command::name.
bool parse_name(const Word& w, char* out, usize size) {
    if (w.len == 0 || w.len >= size || w.text[0] < 'a' || w.text[0] > 'z') return false;
    for (usize i = 0; i < w.len; ++i) {
        const char c = w.text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
        out[i] = c;
    }
    out[w.len] = '\0';
    return true;
}

Command kill(const Words& w) {
    if (w.count != 2) return bad("usage: kill TASK-ID|NAME");
    Command c;
    c.kind = Kind::kKill;
    if (parse_name(w.word[1], c.name, sizeof(c.name))) return c;
    if (!parse_task(w.word[1], c.task)) {
        return bad("kill: bad task id ", w.word[1], " (a number, 1 or more, or a task name)");
    }
    return c;
}

bool all_digits(const Word& w) {
    for (usize i = 0; i < w.len; ++i) {
        if (w.text[i] < '0' || w.text[i] > '9') return false;
    }
    return w.len > 0;
}

// stress [SECONDS] [seed=N], in either order, each at most once.
Command stress(const Words& w) {
    constexpr const char* kUsage = "usage: stress [SECONDS] [seed=N]";
    if (w.count > 3) return bad(kUsage);
    Command c;
    c.kind = Kind::kStress;
    bool has_seconds = false;
    for (usize i = 1; i < w.count; ++i) {
        const Word& word = w.word[i];
        constexpr usize kSeedKey = 5;  // "seed="
        if (word.len >= kSeedKey && kstd::strncmp(word.text, "seed=", kSeedKey) == 0) {
            if (c.has_seed) return bad(kUsage);
            const Word value{word.text + kSeedKey, word.len - kSeedKey};
            if (!parse_u64(value, true, c.seed)) return bad("stress: bad seed ", value, " (decimal or 0x hex)");
            c.has_seed = true;
        } else if (all_digits(word)) {
            if (has_seconds) return bad(kUsage);
            if (!parse_u64(word, false, c.seconds) || c.seconds == 0 || c.seconds > kStressMaxSeconds) {
                return bad("stress: bad SECONDS ", word, " (1..3600)");
            }
            has_seconds = true;
        } else {
            return bad(kUsage);
        }
    }
    if (!has_seconds) c.seconds = kStressDefaultSeconds;
    return c;
}

}  // namespace

Command parse(const char* line, usize len) {
    const Words w = split(line, len);
    if (w.count == 0) return Command{};
    const Word& name = w.word[0];
    if (is(name, "help")) return bare(Kind::kHelp, w, "usage: help");
    if (is(name, "ps")) return bare(Kind::kPs, w, "usage: ps");
    if (is(name, "cpus")) return bare(Kind::kCpus, w, "usage: cpus");
    if (is(name, "trace")) return trace(w);
    if (is(name, "kill")) return kill(w);
    if (is(name, "stress")) return stress(w);
    if (is(name, "bench")) return bare(Kind::kBench, w, "usage: bench");
    if (is(name, "shutdown")) return bare(Kind::kShutdown, w, "usage: shutdown");
    return bad("unknown command ", name, " (help lists the commands)");
}

const char* kind_name(Kind kind) {
    switch (kind) {
    case Kind::kEmpty: return "";
    case Kind::kHelp: return "help";
    case Kind::kPs: return "ps";
    case Kind::kCpus: return "cpus";
    case Kind::kTrace: return "trace";
    case Kind::kKill: return "kill";
    case Kind::kStress: return "stress";
    case Kind::kBench: return "bench";
    case Kind::kShutdown: return "shutdown";
    case Kind::kBad: return "bad";
    }
    return "";
}

}  // namespace shell
