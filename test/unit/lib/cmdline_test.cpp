// Unit tests for the kernel command line queries.
#include "lib/cmdline.h"

#include <CppUTest/TestHarness.h>

TEST_GROUP(CmdlineFlag){};

TEST(CmdlineFlag, FindsBareWords) {
    const char* line = "quiet  smp=4\tnoapic verbose";
    CHECK_TRUE(cmdline::has_flag(line, "quiet"));
    CHECK_TRUE(cmdline::has_flag(line, "noapic"));
    CHECK_TRUE(cmdline::has_flag(line, "verbose"));
}

TEST(CmdlineFlag, KeyValueIsNotAFlag) {
    CHECK_FALSE(cmdline::has_flag("smp=4", "smp"));
    CHECK_FALSE(cmdline::has_flag("smp=", "smp"));
}

TEST(CmdlineFlag, WholeWordsOnly) {
    CHECK_FALSE(cmdline::has_flag("quietly", "quiet"));
    CHECK_FALSE(cmdline::has_flag("unquiet", "quiet"));
    CHECK_FALSE(cmdline::has_flag("qui", "quiet"));
}

TEST(CmdlineFlag, EmptyAndNullInputs) {
    CHECK_FALSE(cmdline::has_flag("", "quiet"));
    CHECK_FALSE(cmdline::has_flag("   ", "quiet"));
    CHECK_FALSE(cmdline::has_flag(nullptr, "quiet"));
    CHECK_FALSE(cmdline::has_flag("quiet", ""));
    CHECK_FALSE(cmdline::has_flag("quiet", nullptr));
}

TEST_GROUP(CmdlineGet){};

TEST(CmdlineGet, CopiesValue) {
    char out[16];
    CHECK_TRUE(cmdline::get("console=ttyS0 root=/dev/sda", "root", out, sizeof(out)));
    STRCMP_EQUAL("/dev/sda", out);
    CHECK_TRUE(cmdline::get("console=ttyS0 root=/dev/sda", "console", out, sizeof(out)));
    STRCMP_EQUAL("ttyS0", out);
}

TEST(CmdlineGet, EmptyValue) {
    char out[4] = "xyz";
    CHECK_TRUE(cmdline::get("a b= c", "b", out, sizeof(out)));
    STRCMP_EQUAL("", out);
}

TEST(CmdlineGet, ValueMayContainEquals) {
    char out[16];
    CHECK_TRUE(cmdline::get("init=/bin/sh=x", "init", out, sizeof(out)));
    STRCMP_EQUAL("/bin/sh=x", out);
}

TEST(CmdlineGet, LastOccurrenceWins) {
    char out[8];
    CHECK_TRUE(cmdline::get("log=info quiet log=debug", "log", out, sizeof(out)));
    STRCMP_EQUAL("debug", out);
}

TEST(CmdlineGet, AbsentKey) {
    char out[8] = "keep";
    CHECK_FALSE(cmdline::get("quiet smp=4", "root", out, sizeof(out)));
    CHECK_FALSE(cmdline::get("root", "root", out, sizeof(out)));  // a flag has no value
    CHECK_FALSE(cmdline::get("rootfs=x", "root", out, sizeof(out)));
    CHECK_FALSE(cmdline::get("xroot=x", "root", out, sizeof(out)));
    CHECK_FALSE(cmdline::get(nullptr, "root", out, sizeof(out)));
    CHECK_FALSE(cmdline::get("=x", "", out, sizeof(out)));
    STRCMP_EQUAL("keep", out);
}

TEST(CmdlineGet, ValueMustFitWithTerminator) {
    char out[6] = "keep!";
    CHECK_FALSE(cmdline::get("name=abcdef", "name", out, sizeof(out)));
    STRCMP_EQUAL("keep!", out);
    CHECK_TRUE(cmdline::get("name=abcde", "name", out, sizeof(out)));
    STRCMP_EQUAL("abcde", out);
    CHECK_FALSE(cmdline::get("name=", "name", out, 0));
}

TEST_GROUP(CmdlineU64){};

TEST(CmdlineU64, DecimalAndHex) {
    u64 v = 0;
    CHECK_TRUE(cmdline::get_u64("smp=4", "smp", v));
    UNSIGNED_LONGLONGS_EQUAL(4, v);
    CHECK_TRUE(cmdline::get_u64("mem=0x8000000", "mem", v));
    UNSIGNED_LONGLONGS_EQUAL(0x8000000, v);
    CHECK_TRUE(cmdline::get_u64("mem=0XdeadBEEF", "mem", v));
    UNSIGNED_LONGLONGS_EQUAL(0xdeadbeef, v);
    CHECK_TRUE(cmdline::get_u64("n=0", "n", v));
    UNSIGNED_LONGLONGS_EQUAL(0, v);
    CHECK_TRUE(cmdline::get_u64("n=007", "n", v));
    UNSIGNED_LONGLONGS_EQUAL(7, v);
}

TEST(CmdlineU64, Limits) {
    u64 v = 0;
    CHECK_TRUE(cmdline::get_u64("n=18446744073709551615", "n", v));
    UNSIGNED_LONGLONGS_EQUAL(UINT64_MAX, v);
    CHECK_TRUE(cmdline::get_u64("n=0xffffffffffffffff", "n", v));
    UNSIGNED_LONGLONGS_EQUAL(UINT64_MAX, v);
}

TEST(CmdlineU64, RejectsGarbageAndOverflow) {
    u64 v = 1234;
    CHECK_FALSE(cmdline::get_u64("n=18446744073709551616", "n", v));
    CHECK_FALSE(cmdline::get_u64("n=0x10000000000000000", "n", v));
    CHECK_FALSE(cmdline::get_u64("n=99999999999999999999999", "n", v));
    CHECK_FALSE(cmdline::get_u64("n=", "n", v));
    CHECK_FALSE(cmdline::get_u64("n=0x", "n", v));
    CHECK_FALSE(cmdline::get_u64("n=12abc", "n", v));
    CHECK_FALSE(cmdline::get_u64("n=-1", "n", v));
    CHECK_FALSE(cmdline::get_u64("n=+1", "n", v));
    CHECK_FALSE(cmdline::get_u64("n=0xg", "n", v));
    CHECK_FALSE(cmdline::get_u64("n=ff", "n", v));
    CHECK_FALSE(cmdline::get_u64("n", "n", v));
    CHECK_FALSE(cmdline::get_u64("m=1", "n", v));
    UNSIGNED_LONGLONGS_EQUAL(1234, v);  // untouched on failure
}

TEST(CmdlineU64, LongValuesAreNotLimitedByABuffer) {
    u64 v = 0;
    CHECK_TRUE(cmdline::get_u64("n=00000000000000000000000000000000000042", "n", v));
    UNSIGNED_LONGLONGS_EQUAL(42, v);
}
