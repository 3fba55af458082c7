// Unit tests for the Multiboot2 info parser: a good block, every malformed case, fuzzing.
#include "lib/multiboot2.h"

#include <string.h>

#include <CppUTest/TestHarness.h>

#include "multiboot2_builder.h"

using mb2::Error;

// Compares errors by name so a failure says which error was reported instead.
#define CHECK_PARSE_ERROR(result, expected_error, expected_offset)                          \
    do {                                                                                    \
        STRCMP_EQUAL(mb2::error_name(expected_error), mb2::error_name((result).error));     \
        UNSIGNED_LONGS_EQUAL(expected_offset, (result).offset);                             \
    } while (0)

namespace {

// Info is a few KiB; keep it off the test's stack frame.
mb2::Info g_info;

mb2::ParseResult parse(Mb2Builder& b) { return mb2::parse(b.data(), b.size(), g_info); }

// Builds header + one tag + end tag and parses it.
mb2::ParseResult parse_single(u32 type, u32 size_field, const void* payload, u32 n) {
    Mb2Builder b;
    b.raw_tag(type, size_field, payload, n);
    b.end();
    b.finish();
    return parse(b);
}

}  // namespace

TEST_GROUP(Multiboot2Good){};

TEST(Multiboot2Good, ParsesEveryTagKind) {
    GoodBlock g;
    mb2::ParseResult r = parse(g.b);
    CHECK_PARSE_ERROR(r, Error::kNone, 0);
    CHECK_TRUE(r.ok());
    const mb2::Info& info = g_info;
    UNSIGNED_LONGS_EQUAL(g.b.size(), info.total_size);
    STRCMP_EQUAL("console=serial mem=64M", info.cmdline);
    STRCMP_EQUAL("GRUB 2.06", info.bootloader_name);

    UNSIGNED_LONGS_EQUAL(2, info.module_count);
    UNSIGNED_LONGS_EQUAL(0x100000, info.modules[0].start);
    UNSIGNED_LONGS_EQUAL(0x180000, info.modules[0].end);
    STRCMP_EQUAL("init", info.modules[0].string);
    UNSIGNED_LONGS_EQUAL(0x200000, info.modules[1].start);
    UNSIGNED_LONGS_EQUAL(0x200000, info.modules[1].end);
    STRCMP_EQUAL("", info.modules[1].string);

    CHECK_TRUE(info.has_basic_meminfo);
    UNSIGNED_LONGS_EQUAL(639, info.mem_lower_kib);
    UNSIGNED_LONGS_EQUAL(130048, info.mem_upper_kib);

    UNSIGNED_LONGS_EQUAL(3, info.region_count);
    for (usize i = 0; i < 3; ++i) {
        UNSIGNED_LONGLONGS_EQUAL(kGoodRegions[i].base, info.regions[i].base);
        UNSIGNED_LONGLONGS_EQUAL(kGoodRegions[i].length, info.regions[i].length);
        UNSIGNED_LONGS_EQUAL(kGoodRegions[i].type, info.regions[i].type);
    }

    // Both RSDP tags present: the 2.0+ copy wins.
    UNSIGNED_LONGS_EQUAL(2, info.rsdp_version);
    UNSIGNED_LONGS_EQUAL(mb2::kRsdpV2Size, info.rsdp_length);
    POINTERS_EQUAL(g.b.data() + g.rsdp_new + 8, info.rsdp);
    LONGS_EQUAL(0, memcmp(info.rsdp, "RSD PTR ", 8));
}

TEST(Multiboot2Good, PointersStayInsideTheBlock) {
    GoodBlock g;
    CHECK_TRUE(parse(g.b).ok());
    POINTERS_EQUAL(g.b.data() + g.cmdline + 8, g_info.cmdline);
    POINTERS_EQUAL(g.b.data() + g.loader + 8, g_info.bootloader_name);
    POINTERS_EQUAL(g.b.data() + g.module_a + 16, g_info.modules[0].string);
}

TEST(Multiboot2Good, NewRsdpPreferredWhicheverComesFirst) {
    Mb2Builder b;
    u32 rsdp_new = b.rsdp(mb2::kTagAcpiNewRsdp, mb2::kRsdpV2Size);
    b.rsdp(mb2::kTagAcpiOldRsdp, mb2::kRsdpV1Size);
    b.end();
    b.finish();
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(2, g_info.rsdp_version);
    POINTERS_EQUAL(b.data() + rsdp_new + 8, g_info.rsdp);
}

TEST(Multiboot2Good, OldRsdpAlone) {
    Mb2Builder b;
    u32 rsdp_old = b.rsdp(mb2::kTagAcpiOldRsdp, mb2::kRsdpV1Size);
    b.end();
    b.finish();
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(1, g_info.rsdp_version);
    UNSIGNED_LONGS_EQUAL(mb2::kRsdpV1Size, g_info.rsdp_length);
    POINTERS_EQUAL(b.data() + rsdp_old + 8, g_info.rsdp);
}

TEST(Multiboot2Good, MinimalBlockHasDefaults) {
    Mb2Builder b;
    b.end();
    b.finish();
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(16, g_info.total_size);
    STRCMP_EQUAL("", g_info.cmdline);
    STRCMP_EQUAL("", g_info.bootloader_name);
    UNSIGNED_LONGS_EQUAL(0, g_info.module_count);
    UNSIGNED_LONGS_EQUAL(0, g_info.region_count);
    CHECK_FALSE(g_info.has_basic_meminfo);
    POINTERS_EQUAL(nullptr, g_info.rsdp);
    UNSIGNED_LONGS_EQUAL(0, g_info.rsdp_version);
}

TEST(Multiboot2Good, LimitLargerThanTotalSizeIsFine) {
    GoodBlock g;
    CHECK_TRUE(mb2::parse(g.b.data(), Mb2Builder::kCapacity, g_info).ok());
}

TEST(Multiboot2Good, OddSizedTagsArePaddedTo8) {
    Mb2Builder b;
    b.string_tag(mb2::kTagCmdline, "a");  // size 10, next tag at +16
    u32 loader = b.string_tag(mb2::kTagBootloaderName, "xyz");
    b.end();
    b.finish();
    CHECK_TRUE(parse(b).ok());
    POINTERS_EQUAL(b.data() + loader + 8, g_info.bootloader_name);
}

TEST(Multiboot2Good, WiderMemoryMapEntriesAreHonoured) {
    Mb2Builder b;
    b.memory_map(kGoodRegions, 3, 32);
    b.end();
    b.finish();
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(3, g_info.region_count);
    UNSIGNED_LONGLONGS_EQUAL(0xfffc0000, g_info.regions[2].base);
    UNSIGNED_LONGS_EQUAL(mb2::kMemoryReserved, g_info.regions[2].type);
}

TEST(Multiboot2Good, ExactlyFullCapacities) {
    static mb2::MemoryRegion regions[mb2::kMaxMemoryRegions];
    for (usize i = 0; i < mb2::kMaxMemoryRegions; ++i) regions[i] = {i * 0x1000, 0x1000, mb2::kMemoryAvailable};
    Mb2Builder b;
    b.memory_map(regions, mb2::kMaxMemoryRegions);
    for (usize i = 0; i < mb2::kMaxModules; ++i) b.module(static_cast<u32>(i), static_cast<u32>(i + 1), "m");
    b.end();
    b.finish();
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(mb2::kMaxMemoryRegions, g_info.region_count);
    UNSIGNED_LONGS_EQUAL(mb2::kMaxModules, g_info.module_count);
    UNSIGNED_LONGLONGS_EQUAL(127 * 0x1000, g_info.regions[127].base);
}

TEST(Multiboot2Good, SeveralMemoryMapsAreAppended) {
    Mb2Builder b;
    b.memory_map(kGoodRegions, 2);
    b.memory_map(kGoodRegions + 2, 1);
    b.end();
    b.finish();
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(3, g_info.region_count);
    UNSIGNED_LONGLONGS_EQUAL(0xfffc0000, g_info.regions[2].base);
}

TEST_GROUP(Multiboot2BlockErrors){};

TEST(Multiboot2BlockErrors, NullPointer) {
    mb2::ParseResult r = mb2::parse(nullptr, 4096, g_info);
    CHECK_PARSE_ERROR(r, Error::kNullPointer, 0);
}

TEST(Multiboot2BlockErrors, Misaligned) {
    GoodBlock g;
    mb2::ParseResult r = mb2::parse(g.b.data() + 4, g.b.size(), g_info);
    CHECK_PARSE_ERROR(r, Error::kMisaligned, 0);
}

TEST(Multiboot2BlockErrors, LimitTooSmall) {
    GoodBlock g;
    mb2::ParseResult r = mb2::parse(g.b.data(), 7, g_info);
    CHECK_PARSE_ERROR(r, Error::kLimitTooSmall, 0);
    UNSIGNED_LONGS_EQUAL(7, r.value);
    CHECK_PARSE_ERROR(mb2::parse(g.b.data(), 0, g_info), Error::kLimitTooSmall, 0);
}

TEST(Multiboot2BlockErrors, TotalSizeTooSmall) {
    GoodBlock g;
    g.b.put_u32(0, 15);
    mb2::ParseResult r = parse(g.b);
    CHECK_PARSE_ERROR(r, Error::kTotalSizeTooSmall, 0);
    UNSIGNED_LONGS_EQUAL(15, r.total_size);
    g.b.put_u32(0, 0);
    CHECK_PARSE_ERROR(parse(g.b), Error::kTotalSizeTooSmall, 0);
}

TEST(Multiboot2BlockErrors, TotalSizeExceedsLimit) {
    GoodBlock g;
    mb2::ParseResult r = mb2::parse(g.b.data(), g.b.size() - 1, g_info);
    CHECK_PARSE_ERROR(r, Error::kTotalSizeExceedsLimit, 0);
    UNSIGNED_LONGS_EQUAL(g.b.size(), r.total_size);
    UNSIGNED_LONGS_EQUAL(g.b.size() - 1, r.value);
    // Limit of exactly 8: the header is readable, the rest is not.
    CHECK_PARSE_ERROR(mb2::parse(g.b.data(), 8, g_info), Error::kTotalSizeExceedsLimit, 0);
}

TEST_GROUP(Multiboot2TagErrors){};

TEST(Multiboot2TagErrors, TagHeaderTruncated) {
    Mb2Builder b;
    b.string_tag(mb2::kTagCmdline, "abc");  // 12 bytes, next tag at 24
    b.finish();
    b.put_u32(0, 28);  // 4 bytes where the next 8-byte header should be
    mb2::ParseResult r = mb2::parse(b.data(), 28, g_info);
    CHECK_PARSE_ERROR(r, Error::kTagHeaderTruncated, 24);
    UNSIGNED_LONGS_EQUAL(1, r.tag_index);
    UNSIGNED_LONGS_EQUAL(4, r.value);
}

TEST(Multiboot2TagErrors, TagSmallerThanHeader) {
    Mb2Builder b;
    b.string_tag(mb2::kTagCmdline, "abc");
    u32 bad = b.raw_tag(mb2::kTagBootloaderName, 4, nullptr, 0);
    b.end();
    b.finish();
    mb2::ParseResult r = parse(b);
    CHECK_PARSE_ERROR(r, Error::kTagTooSmall, bad);
    UNSIGNED_LONGS_EQUAL(1, r.tag_index);
    UNSIGNED_LONGS_EQUAL(4, r.tag_size);
    UNSIGNED_LONGS_EQUAL(mb2::kTagBootloaderName, r.tag_type);
}

TEST(Multiboot2TagErrors, ZeroSizedTagDoesNotLoopForever) {
    mb2::ParseResult r = parse_single(42, 0, nullptr, 0);
    CHECK_PARSE_ERROR(r, Error::kTagTooSmall, 8);
}

TEST(Multiboot2TagErrors, TagRunsPastTotalSize) {
    GoodBlock g;
    g.b.put_u32(g.mmap + 4, 0x1000);
    mb2::ParseResult r = parse(g.b);
    CHECK_PARSE_ERROR(r, Error::kTagPastEnd, g.mmap);
    UNSIGNED_LONGS_EQUAL(5, r.tag_index);
    UNSIGNED_LONGS_EQUAL(mb2::kTagMemoryMap, r.tag_type);
    UNSIGNED_LONGS_EQUAL(0x1000, r.tag_size);
}

TEST(Multiboot2TagErrors, HugeTagSizeDoesNotWrap) {
    GoodBlock g;
    g.b.put_u32(g.cmdline + 4, 0xfffffff9);
    CHECK_PARSE_ERROR(parse(g.b), Error::kTagPastEnd, g.cmdline);
}

TEST(Multiboot2TagErrors, MissingEndTag) {
    Mb2Builder b;
    b.string_tag(mb2::kTagCmdline, "abc");
    b.finish();
    mb2::ParseResult r = parse(b);
    CHECK_PARSE_ERROR(r, Error::kMissingEndTag, 24);
    UNSIGNED_LONGS_EQUAL(1, r.tag_index);
}

TEST(Multiboot2TagErrors, MissingEndTagWhenPaddingOverrunsTotalSize) {
    Mb2Builder b;
    b.string_tag(mb2::kTagCmdline, "abcd");  // size 13, ends at 21, padded to 24
    b.put_u32(0, 21);
    mb2::ParseResult r = mb2::parse(b.data(), 21, g_info);
    CHECK_PARSE_ERROR(r, Error::kMissingEndTag, 21);
}

TEST(Multiboot2TagErrors, EndTagWithWrongSize) {
    Mb2Builder b;
    b.string_tag(mb2::kTagCmdline, "abc");
    const u8 junk[8] = {};
    u32 end = b.raw_tag(mb2::kTagEnd, 16, junk, sizeof(junk));
    b.finish();
    mb2::ParseResult r = parse(b);
    CHECK_PARSE_ERROR(r, Error::kEndTagBadSize, end);
    UNSIGNED_LONGS_EQUAL(16, r.tag_size);
}

TEST(Multiboot2TagErrors, BytesAfterEndTagAreRejected) {
    Mb2Builder b;
    u32 end = b.end();
    b.string_tag(mb2::kTagCmdline, "abc");
    b.finish();
    mb2::ParseResult r = parse(b);
    CHECK_PARSE_ERROR(r, Error::kTrailingBytes, end + 8);
    UNSIGNED_LONGS_EQUAL(16, r.value);
}

TEST(Multiboot2TagErrors, UnterminatedStrings) {
    CHECK_PARSE_ERROR(parse_single(mb2::kTagCmdline, 12, "abcd", 4), Error::kStringNotTerminated, 8);
    CHECK_PARSE_ERROR(parse_single(mb2::kTagBootloaderName, 12, "GRUB", 4), Error::kStringNotTerminated, 8);
    // A string tag with no payload at all has no room for the terminator either.
    CHECK_PARSE_ERROR(parse_single(mb2::kTagCmdline, 8, nullptr, 0), Error::kStringNotTerminated, 8);
}

TEST(Multiboot2TagErrors, StringTerminatorMustBeInsideTheTag) {
    // The NUL exists, but in the padding after the tag's declared size.
    Mb2Builder b;
    u32 cmdline = b.raw_tag(mb2::kTagCmdline, 11, "abc", 4);
    b.end();
    b.finish();
    CHECK_PARSE_ERROR(parse(b), Error::kStringNotTerminated, cmdline);
}

TEST(Multiboot2TagErrors, BasicMeminfoTooShort) {
    const u32 lower = 639;
    CHECK_PARSE_ERROR(parse_single(mb2::kTagBasicMeminfo, 12, &lower, 4), Error::kBasicMeminfoTooShort, 8);
}

TEST(Multiboot2TagErrors, MemoryMapTooShortForItsHeader) {
    const u32 entry_size = 24;
    CHECK_PARSE_ERROR(parse_single(mb2::kTagMemoryMap, 12, &entry_size, 4), Error::kMmapTooShort, 8);
}

TEST(Multiboot2TagErrors, MemoryMapBadEntrySize) {
    const u32 sizes[] = {0, 8, 16, 23, 28, 33};
    for (u32 entry_size : sizes) {
        Mb2Builder b;
        b.string_tag(mb2::kTagCmdline, "x");
        u32 mmap = b.memory_map(kGoodRegions, 1, 24);
        b.put_u32(mmap + 8, entry_size);
        b.end();
        b.finish();
        mb2::ParseResult r = parse(b);
        CHECK_PARSE_ERROR(r, Error::kMmapBadEntrySize, mmap);
        UNSIGNED_LONGS_EQUAL(entry_size, r.value);
        UNSIGNED_LONGS_EQUAL(1, r.tag_index);
    }
}

TEST(Multiboot2TagErrors, MemoryMapEntriesRunPastTag) {
    Mb2Builder b;
    u32 mmap = b.memory_map(kGoodRegions, 2, 24);
    b.put_u32(mmap + 4, 16 + 24 + 20);  // second entry cut short
    b.end();
    b.finish();
    mb2::ParseResult r = parse(b);
    CHECK_PARSE_ERROR(r, Error::kMmapEntriesPastTag, mmap);
    UNSIGNED_LONGS_EQUAL(24, r.value);
}

TEST(Multiboot2TagErrors, ModuleTooShort) {
    const u32 start = 0x1000;
    CHECK_PARSE_ERROR(parse_single(mb2::kTagModule, 12, &start, 4), Error::kModuleTooShort, 8);
}

TEST(Multiboot2TagErrors, ModuleWithoutString) {
    const u32 range[2] = {0x1000, 0x2000};
    CHECK_PARSE_ERROR(parse_single(mb2::kTagModule, 16, range, 8), Error::kStringNotTerminated, 8);
}

TEST(Multiboot2TagErrors, ModuleRangeInverted) {
    Mb2Builder b;
    b.module(0x1000, 0x2000, "ok");
    u32 bad = b.module(0x3000, 0x2fff, "bad");
    b.end();
    b.finish();
    mb2::ParseResult r = parse(b);
    CHECK_PARSE_ERROR(r, Error::kModuleRangeInverted, bad);
    UNSIGNED_LONGS_EQUAL(0x3000, r.value);
    UNSIGNED_LONGS_EQUAL(1, r.tag_index);
}

TEST(Multiboot2TagErrors, RsdpTooShort) {
    Mb2Builder b;
    u32 old_rsdp = b.rsdp(mb2::kTagAcpiOldRsdp, 19);
    b.end();
    b.finish();
    mb2::ParseResult r = parse(b);
    CHECK_PARSE_ERROR(r, Error::kRsdpTooShort, old_rsdp);
    UNSIGNED_LONGS_EQUAL(19, r.value);

    Mb2Builder b2;
    u32 new_rsdp = b2.rsdp(mb2::kTagAcpiNewRsdp, 35);
    b2.end();
    b2.finish();
    r = parse(b2);
    CHECK_PARSE_ERROR(r, Error::kRsdpTooShort, new_rsdp);
    UNSIGNED_LONGS_EQUAL(35, r.value);

    // A v1-sized payload in the v2 tag is still too short for an XSDP.
    Mb2Builder b3;
    b3.rsdp(mb2::kTagAcpiNewRsdp, mb2::kRsdpV1Size);
    b3.end();
    b3.finish();
    CHECK_PARSE_ERROR(parse(b3), Error::kRsdpTooShort, 8);
}

TEST(Multiboot2TagErrors, TooManyModules) {
    Mb2Builder b;
    for (usize i = 0; i < mb2::kMaxModules; ++i) b.module(0, 1, "m");
    u32 extra = b.module(0, 1, "one too many");
    b.end();
    b.finish();
    mb2::ParseResult r = parse(b);
    CHECK_PARSE_ERROR(r, Error::kTooManyModules, extra);
    UNSIGNED_LONGS_EQUAL(mb2::kMaxModules, r.tag_index);
    UNSIGNED_LONGS_EQUAL(mb2::kMaxModules, r.value);
    UNSIGNED_LONGS_EQUAL(mb2::kMaxModules, g_info.module_count);  // never written past the array
}

TEST(Multiboot2TagErrors, TooManyMemoryRegionsInOneMap) {
    static mb2::MemoryRegion regions[mb2::kMaxMemoryRegions + 1];
    Mb2Builder b;
    u32 mmap = b.memory_map(regions, mb2::kMaxMemoryRegions + 1);
    b.end();
    b.finish();
    mb2::ParseResult r = parse(b);
    CHECK_PARSE_ERROR(r, Error::kTooManyMemoryRegions, mmap);
    UNSIGNED_LONGS_EQUAL(mb2::kMaxMemoryRegions + 1, r.value);
    UNSIGNED_LONGS_EQUAL(0, g_info.region_count);
}

TEST(Multiboot2TagErrors, TooManyMemoryRegionsAcrossMaps) {
    static mb2::MemoryRegion regions[100];
    Mb2Builder b;
    b.memory_map(regions, 100);
    u32 second = b.memory_map(regions, 100);
    b.end();
    b.finish();
    mb2::ParseResult r = parse(b);
    CHECK_PARSE_ERROR(r, Error::kTooManyMemoryRegions, second);
    UNSIGNED_LONGS_EQUAL(200, r.value);
    UNSIGNED_LONGS_EQUAL(100, g_info.region_count);
}

TEST(Multiboot2TagErrors, UnknownTagsAreSkippedButStillBoundsChecked) {
    Mb2Builder b;
    const u8 payload[5] = {};
    u32 unknown = b.raw_tag(0x1234, 0x10000, payload, sizeof(payload));
    b.end();
    b.finish();
    CHECK_PARSE_ERROR(parse(b), Error::kTagPastEnd, unknown);
}
