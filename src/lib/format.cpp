// printf-style formatter: parses conversion specs and renders them into a Sink.
#include "lib/format.h"

#include "lib/kstd/string.h"
#include "lib/kstd/utility.h"

namespace fmt {
namespace {

// One parsed conversion specification (C11 7.21.6.1), minus the conversion itself.
struct Spec {
    bool left = false;   // '-'
    bool zero = false;   // '0'
    bool plus = false;   // '+'
    bool space = false;  // ' '
    bool alt = false;    // '#'
    usize width = 0;
    bool has_precision = false;
    usize precision = 0;
};

enum class Length { kNone, kChar, kShort, kLong, kLongLong, kSize, kPtrdiff, kIntmax };

// va_list is an array type on x86_64, so it cannot be passed by reference
// portably; wrapping it in a struct lets helpers consume arguments in place.
struct Args {
    va_list ap;
};

// Counts everything produced and forwards it to the sink (if any).
class Writer {
public:
    Writer(Sink sink, void* ctx) : sink_(sink), ctx_(ctx) {}

    void put(const char* s, usize n) {
        if (n == 0) return;
        if (sink_ != nullptr) sink_(ctx_, s, n);
        count_ += n;
    }

    void repeat(char c, usize n) {
        char chunk[16];
        for (char& ch : chunk) ch = c;
        while (n > 0) {
            usize take = kstd::min(n, sizeof(chunk));
            put(chunk, take);
            n -= take;
        }
    }

    usize count() const { return count_; }

private:
    Sink sink_;
    void* ctx_;
    usize count_ = 0;
};

// Emits s[0..n) right- or left-justified in the field width, padding with spaces.
void emit_padded(Writer& w, const Spec& spec, const char* s, usize n) {
    usize pad = spec.width > n ? spec.width - n : 0;
    if (!spec.left) w.repeat(' ', pad);
    w.put(s, n);
    if (spec.left) w.repeat(' ', pad);
}

void emit_integer(Writer& w, const Spec& spec, u64 magnitude, bool negative, bool is_signed, u32 base,
                  bool upper) {
    const char* digit_set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[24];  // 22 octal digits cover 64 bits
    usize nd = 0;
    for (u64 v = magnitude; v != 0; v /= base) digits[nd++] = digit_set[v % base];

    // Precision is the minimum digit count; the default of 1 makes zero print as
    // "0", while "%.0d" of zero prints no digits at all (C11 7.21.6.1p8).
    usize precision = spec.has_precision ? spec.precision : 1;
    usize zeros = precision > nd ? precision - nd : 0;
    // "%#o" guarantees a leading 0 by raising the precision just enough.
    if (base == 8 && spec.alt && zeros == 0) zeros = 1;

    char prefix[2];
    usize np = 0;
    if (is_signed) {
        if (negative) prefix[np++] = '-';
        else if (spec.plus) prefix[np++] = '+';
        else if (spec.space) prefix[np++] = ' ';
    }
    if (base == 16 && spec.alt && magnitude != 0) {
        prefix[np++] = '0';
        prefix[np++] = upper ? 'X' : 'x';
    }

    usize body = np + zeros + nd;
    usize pad = spec.width > body ? spec.width - body : 0;
    // The '0' flag is ignored with '-' or an explicit precision (C11 7.21.6.1p6).
    bool zero_pad = spec.zero && !spec.left && !spec.has_precision;
    if (!spec.left && !zero_pad) w.repeat(' ', pad);
    w.put(prefix, np);
    if (zero_pad) w.repeat('0', pad);
    w.repeat('0', zeros);
    char ordered[24];
    for (usize i = 0; i < nd; ++i) ordered[i] = digits[nd - 1 - i];
    w.put(ordered, nd);
    if (spec.left) w.repeat(' ', pad);
}

// Default argument promotion turns char/short into int, so those are fetched as
// int and narrowed back, exactly as the callee of a C printf must.
i64 fetch_signed(Args& args, Length length) {
    switch (length) {
    case Length::kChar: return static_cast<signed char>(va_arg(args.ap, int));
    case Length::kShort: return static_cast<short>(va_arg(args.ap, int));
    case Length::kLong: return va_arg(args.ap, long);
    case Length::kLongLong: return va_arg(args.ap, long long);
    case Length::kSize: return static_cast<i64>(va_arg(args.ap, usize));
    case Length::kPtrdiff: return va_arg(args.ap, ptrdiff_t);
    case Length::kIntmax: return va_arg(args.ap, intmax_t);
    case Length::kNone: break;
    }
    return va_arg(args.ap, int);
}

u64 fetch_unsigned(Args& args, Length length) {
    switch (length) {
    case Length::kChar: return static_cast<unsigned char>(va_arg(args.ap, unsigned));
    case Length::kShort: return static_cast<unsigned short>(va_arg(args.ap, unsigned));
    case Length::kLong: return va_arg(args.ap, unsigned long);
    case Length::kLongLong: return va_arg(args.ap, unsigned long long);
    case Length::kSize: return va_arg(args.ap, usize);
    case Length::kPtrdiff: return static_cast<u64>(va_arg(args.ap, ptrdiff_t));
    case Length::kIntmax: return va_arg(args.ap, uintmax_t);
    case Length::kNone: break;
    }
    return va_arg(args.ap, unsigned);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads a decimal field; saturates at kMaxField so huge numbers cannot overflow.
usize parse_field(const char*& f) {
    usize v = 0;
    while (is_digit(*f)) {
        v = kstd::min(v * 10 + static_cast<usize>(*f - '0'), kMaxField);
        ++f;
    }
    return v;
}

void parse_flags(const char*& f, Spec& spec) {
    for (;; ++f) {
        switch (*f) {
        case '-': spec.left = true; break;
        case '0': spec.zero = true; break;
        case '+': spec.plus = true; break;
        case ' ': spec.space = true; break;
        case '#': spec.alt = true; break;
        default: return;
        }
    }
}

void parse_width_precision(const char*& f, Spec& spec, Args& args) {
    if (*f == '*') {
        ++f;
        // A negative `*` width means '-' plus the absolute value (C11 7.21.6.1p5).
        i64 width = va_arg(args.ap, int);
        if (width < 0) {
            spec.left = true;
            width = -width;
        }
        spec.width = kstd::min(static_cast<usize>(width), kMaxField);
    } else {
        spec.width = parse_field(f);
    }
    if (*f != '.') return;
    ++f;
    if (*f == '*') {
        ++f;
        // A negative `*` precision is taken as if it were omitted.
        int precision = va_arg(args.ap, int);
        spec.has_precision = precision >= 0;
        spec.precision = precision >= 0 ? kstd::min(static_cast<usize>(precision), kMaxField) : 0;
    } else {
        spec.has_precision = true;
        spec.precision = parse_field(f);
    }
}

Length parse_length(const char*& f) {
    switch (*f) {
    case 'h':
        ++f;
        if (*f == 'h') {
            ++f;
            return Length::kChar;
        }
        return Length::kShort;
    case 'l':
        ++f;
        if (*f == 'l') {
            ++f;
            return Length::kLongLong;
        }
        return Length::kLong;
    case 'z': ++f; return Length::kSize;
    case 't': ++f; return Length::kPtrdiff;
    case 'j': ++f; return Length::kIntmax;
    default: return Length::kNone;
    }
}

void emit_pointer(Writer& w, const Spec& spec, const void* p) {
    // Fixed width so addresses line up in logs and fault reports.
    char text[18] = {'0', 'x'};
    u64 v = reinterpret_cast<uptr>(p);
    for (int i = 17; i >= 2; --i, v >>= 4) text[i] = "0123456789abcdef"[v & 0xf];
    emit_padded(w, spec, text, sizeof(text));
}

void emit_string(Writer& w, const Spec& spec, const char* s) {
    if (s == nullptr) s = "(null)";
    // With a precision the argument need not be NUL-terminated, so never scan
    // further than the precision allows.
    usize n = spec.has_precision ? kstd::strnlen(s, spec.precision) : kstd::strlen(s);
    emit_padded(w, spec, s, n);
}

}  // namespace

usize vformat(Sink sink, void* ctx, const char* f, va_list ap) {
    Writer w{sink, ctx};
    Args args;
    va_copy(args.ap, ap);
    while (*f != '\0') {
        // Hand literal runs to the sink in one piece rather than per character.
        const char* run = f;
        while (*f != '\0' && *f != '%') ++f;
        w.put(run, static_cast<usize>(f - run));
        if (*f == '\0') break;

        const char* spec_start = f++;
        Spec spec;
        parse_flags(f, spec);
        parse_width_precision(f, spec, args);
        Length length = parse_length(f);
        char conv = *f;
        if (conv == '\0') {
            // A spec cut off by the end of the string is shown as written.
            w.put(spec_start, static_cast<usize>(f - spec_start));
            break;
        }
        ++f;
        switch (conv) {
        case 'd':
        case 'i': {
            i64 v = fetch_signed(args, length);
            // Negate in unsigned arithmetic: -INT64_MIN is not representable.
            u64 magnitude = v < 0 ? 0 - static_cast<u64>(v) : static_cast<u64>(v);
            emit_integer(w, spec, magnitude, v < 0, true, 10, false);
            break;
        }
        case 'u': emit_integer(w, spec, fetch_unsigned(args, length), false, false, 10, false); break;
        case 'x': emit_integer(w, spec, fetch_unsigned(args, length), false, false, 16, false); break;
        case 'X': emit_integer(w, spec, fetch_unsigned(args, length), false, false, 16, true); break;
        case 'o': emit_integer(w, spec, fetch_unsigned(args, length), false, false, 8, false); break;
        case 'p': emit_pointer(w, spec, va_arg(args.ap, const void*)); break;
        case 's': emit_string(w, spec, va_arg(args.ap, const char*)); break;
        case 'c': {
            char c = static_cast<char>(va_arg(args.ap, int));
            emit_padded(w, spec, &c, 1);
            break;
        }
        case '%': w.put("%", 1); break;
        default:
            // Unknown conversion: show it rather than guess at (and consume) an argument.
            w.put(spec_start, static_cast<usize>(f - spec_start));
            break;
        }
    }
    va_end(args.ap);
    return w.count();
}

usize format(Sink sink, void* ctx, const char* f, ...) {
    va_list ap;
    va_start(ap, f);
    usize n = vformat(sink, ctx, f, ap);
    va_end(ap);
    return n;
}

namespace {

// snprintf's sink: keeps the first size-1 characters and drops the rest, so the
// terminator always fits.
struct BufferSink {
    char* buf;
    usize size;
    usize used;
};

void buffer_sink(void* ctx, const char* s, usize n) {
    auto* b = static_cast<BufferSink*>(ctx);
    if (b->size == 0) return;
    usize take = kstd::min(n, b->size - 1 - b->used);
    for (usize i = 0; i < take; ++i) b->buf[b->used + i] = s[i];
    b->used += take;
}

}  // namespace

usize vsnprintf(char* buf, usize size, const char* f, va_list ap) {
    BufferSink b{buf, size, 0};
    usize n = vformat(buffer_sink, &b, f, ap);
    if (size > 0) buf[b.used] = '\0';
    return n;
}

usize snprintf(char* buf, usize size, const char* f, ...) {
    va_list ap;
    va_start(ap, f);
    usize n = vsnprintf(buf, size, f, ap);
    va_end(ap);
    return n;
}

}  // namespace fmt
