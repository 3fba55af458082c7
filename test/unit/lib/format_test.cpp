// Unit tests for fmt::format / fmt::snprintf, including a differential check against libc.
#include "lib/format.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <CppUTest/TestHarness.h>

namespace {

// Formats into a roomy buffer and checks both the text and the returned length.
#define CHECK_FMT(expected, ...)                                      \
    do {                                                              \
        char buf_[256];                                               \
        usize n_ = fmt::snprintf(buf_, sizeof(buf_), __VA_ARGS__);    \
        STRCMP_EQUAL(expected, buf_);                                 \
        UNSIGNED_LONGS_EQUAL(strlen(expected), n_);                   \
    } while (0)

// Collects sink output and records how many pieces arrived.
struct Collector {
    char text[512];
    usize length;
    usize pieces;
};

void collect(void* ctx, const char* s, usize n) {
    auto* c = static_cast<Collector*>(ctx);
    memcpy(c->text + c->length, s, n);
    c->length += n;
    c->text[c->length] = '\0';
    ++c->pieces;
}

}  // namespace

TEST_GROUP(Format){};

TEST(Format, PlainTextAndPercent) {
    CHECK_FMT("", "%s", "");
    CHECK_FMT("hello", "hello");
    CHECK_FMT("100%", "100%%");
    CHECK_FMT("%%", "%%%%");
}

TEST(Format, SignedDecimal) {
    CHECK_FMT("0", "%d", 0);
    CHECK_FMT("-1", "%d", -1);
    CHECK_FMT("2147483647", "%d", INT32_MAX);
    CHECK_FMT("-2147483648", "%i", INT32_MIN);
    CHECK_FMT("-9223372036854775808", "%lld", static_cast<long long>(INT64_MIN));
    CHECK_FMT("9223372036854775807", "%lld", static_cast<long long>(INT64_MAX));
    CHECK_FMT("-9223372036854775808", "%jd", static_cast<intmax_t>(INT64_MIN));
    CHECK_FMT("-9223372036854775808", "%ld", static_cast<long>(INT64_MIN));
}

TEST(Format, UnsignedBases) {
    CHECK_FMT("4294967295", "%u", UINT32_MAX);
    CHECK_FMT("18446744073709551615", "%llu", static_cast<unsigned long long>(UINT64_MAX));
    CHECK_FMT("deadbeef", "%x", 0xdeadbeefu);
    CHECK_FMT("DEADBEEF", "%X", 0xdeadbeefu);
    CHECK_FMT("ffffffffffffffff", "%lx", static_cast<unsigned long>(UINT64_MAX));
    CHECK_FMT("1777777777777777777777", "%llo", static_cast<unsigned long long>(UINT64_MAX));
    CHECK_FMT("17", "%o", 15u);
}

TEST(Format, LengthModifiersNarrowPromotedArguments) {
    CHECK_FMT("-1", "%hhd", 255);
    CHECK_FMT("5", "%hhu", 261);
    CHECK_FMT("-1", "%hd", 65535);
    CHECK_FMT("0", "%hu", 65536);
    CHECK_FMT("ff", "%hhx", 0x1ff);
    CHECK_FMT("18446744073709551615", "%zu", SIZE_MAX);
    CHECK_FMT("-5", "%td", static_cast<ptrdiff_t>(-5));
    CHECK_FMT("-7", "%zd", static_cast<long>(-7));
    CHECK_FMT("18446744073709551615", "%ju", static_cast<uintmax_t>(UINT64_MAX));
}

TEST(Format, FlagsAndWidth) {
    CHECK_FMT("   42", "%5d", 42);
    CHECK_FMT("42   |", "%-5d|", 42);
    CHECK_FMT("00042", "%05d", 42);
    CHECK_FMT("-0042", "%05d", -42);
    CHECK_FMT("+42", "%+d", 42);
    CHECK_FMT(" 42", "% d", 42);
    CHECK_FMT("-42", "% d", -42);
    CHECK_FMT("0x2a", "%#x", 42u);
    CHECK_FMT("0X2A", "%#X", 42u);
    CHECK_FMT("0x00002a", "%#08x", 42u);
    CHECK_FMT("0", "%#x", 0u);
    CHECK_FMT("052", "%#o", 42u);
    CHECK_FMT("0", "%#o", 0u);
    CHECK_FMT("42", "%1d", 42);
}

TEST(Format, Precision) {
    CHECK_FMT("00042", "%.5d", 42);
    CHECK_FMT("-00042", "%.5d", -42);
    CHECK_FMT("   00042", "%8.5d", 42);
    CHECK_FMT("0x0002a", "%#.5x", 42u);
    CHECK_FMT("00052", "%#.5o", 42u);
}

TEST(Format, ZeroWithPrecisionZeroPrintsNoDigits) {
    CHECK_FMT("", "%.0d", 0);
    CHECK_FMT("", "%.d", 0);
    CHECK_FMT("     ", "%5.0d", 0);
    CHECK_FMT("", "%.0x", 0u);
    CHECK_FMT("", "%#.0x", 0u);
    CHECK_FMT("0", "%#.0o", 0u);
    CHECK_FMT("+", "%+.0d", 0);
    CHECK_FMT("1", "%.0d", 1);
}

TEST(Format, StarWidthAndPrecision) {
    CHECK_FMT("   42", "%*d", 5, 42);
    CHECK_FMT("42   |", "%*d|", -5, 42);
    CHECK_FMT("00042", "%.*d", 5, 42);
    CHECK_FMT("0", "%.*d", -1, 0);  // negative precision: as if omitted
    CHECK_FMT("", "%.*d", 0, 0);
    CHECK_FMT("  007", "%*.*d", 5, 3, 7);
    CHECK_FMT("ab   |", "%-*.*s|", 5, 2, "abcdef");
}

TEST(Format, Strings) {
    // volatile: keeps gcc from proving the argument null at compile time and warning.
    const char* volatile null_string = nullptr;
    CHECK_FMT("abc", "%s", "abc");
    CHECK_FMT("  abc", "%5s", "abc");
    CHECK_FMT("abc  |", "%-5s|", "abc");
    CHECK_FMT("ab", "%.2s", "abc");
    CHECK_FMT("abc", "%.10s", "abc");
    CHECK_FMT("(null)", "%s", null_string);
    CHECK_FMT("(nu", "%.3s", null_string);
    CHECK_FMT("  (null)", "%8s", null_string);
}

TEST(Format, PrecisionBoundsStringReads) {
    // Not NUL-terminated: the precision is the only thing keeping the read in bounds.
    const char raw[4] = {'w', 'x', 'y', 'z'};
    CHECK_FMT("wxyz", "%.4s", raw);
    CHECK_FMT("wx", "%.*s", 2, raw);
}

TEST(Format, Chars) {
    CHECK_FMT("a", "%c", 'a');
    CHECK_FMT("    a", "%5c", 'a');
    CHECK_FMT("a    |", "%-5c|", 'a');
    char buf[8];
    usize n = fmt::snprintf(buf, sizeof(buf), "x%cy", 0);
    UNSIGNED_LONGS_EQUAL(3, n);
    BYTES_EQUAL('x', buf[0]);
    BYTES_EQUAL(0, buf[1]);
    BYTES_EQUAL('y', buf[2]);
}

TEST(Format, Pointers) {
    CHECK_FMT("0x0000000000001234", "%p", reinterpret_cast<void*>(0x1234));
    CHECK_FMT("0x0000000000000000", "%p", static_cast<void*>(nullptr));
    CHECK_FMT("0xffffffff80000000", "%p", reinterpret_cast<void*>(0xffffffff80000000ull));
    CHECK_FMT("  0x00000000000000ff", "%20p", reinterpret_cast<void*>(0xff));
    CHECK_FMT("0x00000000000000ff  |", "%-20p|", reinterpret_cast<void*>(0xff));
}

TEST(Format, MixedConversions) {
    CHECK_FMT("cpu 3: rip=0x00000000deadbeef err=-14 name=idle",
              "cpu %u: rip=%p err=%d name=%s", 3u, reinterpret_cast<void*>(0xdeadbeef), -14, "idle");
}

// These deliberately use formats gcc's format checker objects to.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"

TEST(Format, RedundantFlagsFollowC) {
    CHECK_FMT("+42", "%+ d", 42);               // '+' beats ' '
    CHECK_FMT("42   ", "%-05d", 42);            // '-' beats '0'
    CHECK_FMT("   00042", "%08.5d", 42);        // precision beats '0'
    CHECK_FMT("-0042", "%+05d", -42);
}

TEST(Format, UnknownConversionsAreVerbatim) {
    CHECK_FMT("%q", "%q");
    CHECK_FMT("a%-5qb", "a%-5qb");
    CHECK_FMT("%lq 7", "%lq %d", 7);
    CHECK_FMT("%f", "%f");
    CHECK_FMT("%n", "%n");
}

TEST(Format, DanglingPercentAtEndIsVerbatim) {
    CHECK_FMT("abc%", "abc%");
    CHECK_FMT("abc%-5", "abc%-5");
    CHECK_FMT("abc%ll", "abc%ll");
}

TEST(Format, HugeWidthIsClamped) {
    usize n = fmt::snprintf(nullptr, 0, "%999999999999999999999999d", 1);
    UNSIGNED_LONGS_EQUAL(fmt::kMaxField, n);
    n = fmt::snprintf(nullptr, 0, "%*d", 1 << 30, 1);
    UNSIGNED_LONGS_EQUAL(fmt::kMaxField, n);
    n = fmt::snprintf(nullptr, 0, "%.999999d", 1);
    UNSIGNED_LONGS_EQUAL(fmt::kMaxField, n);
}

#pragma GCC diagnostic pop

TEST_GROUP(FormatSnprintf){};

TEST(FormatSnprintf, SizeZeroWritesNothingAndMeasures) {
    char buf[4] = {'x', 'x', 'x', 'x'};
    UNSIGNED_LONGS_EQUAL(5, fmt::snprintf(buf, 0, "%s", "hello"));
    BYTES_EQUAL('x', buf[0]);
    UNSIGNED_LONGS_EQUAL(5, fmt::snprintf(nullptr, 0, "%d", 12345));
}

TEST(FormatSnprintf, SizeOneWritesOnlyTerminator) {
    char buf[4] = {'x', 'x', 'x', 'x'};
    UNSIGNED_LONGS_EQUAL(5, fmt::snprintf(buf, 1, "hello"));
    BYTES_EQUAL(0, buf[0]);
    BYTES_EQUAL('x', buf[1]);
}

TEST(FormatSnprintf, TruncatesAtEverySize) {
    const char* expected = "value=-123 end";
    usize full = strlen(expected);
    for (usize size = 1; size <= full + 2; ++size) {
        char buf[32];
        memset(buf, 'x', sizeof(buf));
        usize n = fmt::snprintf(buf, size, "value=%d %s", -123, "end");
        UNSIGNED_LONGS_EQUAL(full, n);
        usize kept = size - 1 < full ? size - 1 : full;
        LONGS_EQUAL(0, memcmp(buf, expected, kept));
        BYTES_EQUAL(0, buf[kept]);
        // Nothing beyond the given size is touched.
        for (usize i = size; i < sizeof(buf); ++i) BYTES_EQUAL('x', buf[i]);
    }
}

TEST(FormatSnprintf, TruncatesInsidePadding) {
    char buf[4];
    UNSIGNED_LONGS_EQUAL(10, fmt::snprintf(buf, sizeof(buf), "%10d", 7));
    STRCMP_EQUAL("   ", buf);
}

TEST_GROUP(FormatSink){};

TEST(FormatSink, LiteralRunsArriveInOnePiece) {
    Collector c{};
    usize n = fmt::format(collect, &c, "hello world");
    UNSIGNED_LONGS_EQUAL(11, n);
    UNSIGNED_LONGS_EQUAL(1, c.pieces);
    STRCMP_EQUAL("hello world", c.text);
}

TEST(FormatSink, CountMatchesOutput) {
    Collector c{};
    usize n = fmt::format(collect, &c, "[%-6s|%06x|%c]", "ab", 0xbeefu, '!');
    STRCMP_EQUAL("[ab    |00beef|!]", c.text);
    UNSIGNED_LONGS_EQUAL(c.length, n);
}

TEST(FormatSink, NullSinkOnlyCounts) {
    UNSIGNED_LONGS_EQUAL(7, fmt::format(nullptr, nullptr, "%s-%d", "abc", 123));
}

TEST(FormatSink, EmptyPiecesAreNotDelivered) {
    Collector c{};
    fmt::format(collect, &c, "%s%s%.0d", "", "", 0);
    UNSIGNED_LONGS_EQUAL(0, c.pieces);
}

// Differential test: for every conversion/flag/width/precision combination whose
// meaning C defines, our output must match the host libc's byte for byte.
TEST_GROUP(FormatVersusLibc){};

namespace {

// Passes value as the type the length modifier calls for (int unless "ll"), so
// both implementations read exactly what was passed.
void check_against_libc(const char* f, bool is_long_long, long long value) {
    char ours[128];
    char theirs[128];
    usize n = is_long_long ? fmt::snprintf(ours, sizeof(ours), f, value)
                           : fmt::snprintf(ours, sizeof(ours), f, static_cast<int>(value));
    int m = is_long_long ? ::snprintf(theirs, sizeof(theirs), f, value)
                         : ::snprintf(theirs, sizeof(theirs), f, static_cast<int>(value));
    if (strcmp(ours, theirs) != 0 || n != static_cast<usize>(m)) {
        char message[512];
        ::snprintf(message, sizeof(message), "format \"%s\" value %lld: ours \"%s\" libc \"%s\"", f, value, ours,
                   theirs);
        FAIL(message);
    }
}

}  // namespace

TEST(FormatVersusLibc, IntegerConversions) {
    const char* flag_chars = "-0+ #";
    const char* widths[] = {"", "1", "5", "25"};
    const char* precisions[] = {"", ".0", ".1", ".3", ".22"};
    const char* lengths[] = {"ll", "", "hh", "h"};
    const char conversions[] = {'d', 'i', 'u', 'x', 'X', 'o'};
    const long long values[] = {0, 1, -1, 7, 8, 255, -255, 0x1234abcd, INT64_MIN, INT64_MAX, -0x7f, 0x80};
    for (unsigned mask = 0; mask < 32; ++mask) {
        for (char conv : conversions) {
            bool is_decimal = conv == 'd' || conv == 'i' || conv == 'u';
            if (is_decimal && (mask & 16) != 0) continue;  // '#' with decimal is undefined
            for (const char* width : widths) {
                for (const char* precision : precisions) {
                    for (const char* length : lengths) {
                        char f[32];
                        usize k = 0;
                        f[k++] = '%';
                        for (unsigned bit = 0; bit < 5; ++bit)
                            if ((mask & (1u << bit)) != 0) f[k++] = flag_chars[bit];
                        ::snprintf(f + k, sizeof(f) - k, "%s%s%s%c", width, precision, length, conv);
                        for (long long v : values) check_against_libc(f, strcmp(length, "ll") == 0, v);
                    }
                }
            }
        }
    }
}

TEST(FormatVersusLibc, StringAndCharConversions) {
    const char* formats[] = {"%s", "%10s", "%-10s|", "%.0s", "%.2s", "%5.1s", "%-5.3s|", "%c", "%3c", "%-3c|"};
    const char* strings[] = {"", "a", "hello", "a longer string than the width"};
    char ours[128];
    char theirs[128];
    for (const char* f : formats) {
        bool is_char = f[strlen(f) - 1] == 'c' || (f[strlen(f) - 1] == '|' && f[strlen(f) - 2] == 'c');
        for (const char* s : strings) {
            usize n = is_char ? fmt::snprintf(ours, sizeof(ours), f, s[0] == 0 ? 'z' : s[0])
                              : fmt::snprintf(ours, sizeof(ours), f, s);
            int m = is_char ? ::snprintf(theirs, sizeof(theirs), f, s[0] == 0 ? 'z' : s[0])
                            : ::snprintf(theirs, sizeof(theirs), f, s);
            STRCMP_EQUAL(theirs, ours);
            UNSIGNED_LONGS_EQUAL(static_cast<usize>(m), n);
        }
    }
}
