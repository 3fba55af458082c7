// Unit tests for the Multiboot2 parser's messages and name tables.
#include "lib/multiboot2.h"

#include <string.h>

#include <CppUTest/TestHarness.h>

#include "multiboot2_builder.h"

using mb2::Error;

namespace {

mb2::Info g_info;

}  // namespace

TEST_GROUP(Multiboot2Describe){};

TEST(Multiboot2Describe, TagErrorNamesTagTypeOffsetAndSizes) {
    mb2::ParseResult r{Error::kTagPastEnd, 0x48, 6, 3, 0, 0x1000, 0x120};
    char buf[256];
    usize n = mb2::describe(r, buf, sizeof(buf));
    STRCMP_EQUAL("multiboot2: tag #3 (type 6, memory map) at offset 0x48: size 0x1000 runs past the end of the "
                 "info block (total_size 0x120)",
                 buf);
    UNSIGNED_LONGS_EQUAL(strlen(buf), n);
}

TEST(Multiboot2Describe, MessagesFromRealParses) {
    char buf[256];

    GoodBlock g;
    g.b.put_u32(g.mmap + 8, 20);
    mb2::describe(mb2::parse(g.b.data(), g.b.size(), g_info), buf, sizeof(buf));
    STRCMP_EQUAL("multiboot2: tag #5 (type 6, memory map) at offset 0x80: entry_size 0x14 is invalid (must be "
                 ">= 0x18 and a multiple of 8)",
                 buf);

    Mb2Builder b;
    b.end();
    b.end();
    b.finish();
    mb2::describe(mb2::parse(b.data(), b.size(), g_info), buf, sizeof(buf));
    STRCMP_EQUAL("multiboot2: 8 bytes follow the end tag at offset 0x10 (total_size 0x18)", buf);

    GoodBlock g2;
    mb2::describe(mb2::parse(g2.b.data(), 0x40, g_info), buf, sizeof(buf));
    STRCMP_EQUAL("multiboot2: total_size 0x150 exceeds the 0x40 bytes that may be read", buf);

    mb2::describe(mb2::parse(g2.b.data(), g2.b.size(), g_info), buf, sizeof(buf));
    STRCMP_EQUAL("multiboot2: ok (total_size 0x150)", buf);
}

TEST(Multiboot2Describe, ModuleAndRsdpMessages) {
    char buf[256];
    mb2::ParseResult inverted{Error::kModuleRangeInverted, 0x30, 3, 2, 0x3000, 0x18, 0x100};
    mb2::describe(inverted, buf, sizeof(buf));
    STRCMP_EQUAL("multiboot2: tag #2 (type 3, module) at offset 0x30: mod_start 0x3000 lies above mod_end", buf);
    mb2::ParseResult rsdp{Error::kRsdpTooShort, 0x8, 15, 0, 20, 28, 0x30};
    mb2::describe(rsdp, buf, sizeof(buf));
    STRCMP_EQUAL("multiboot2: tag #0 (type 15, ACPI new RSDP) at offset 0x8: RSDP copy has 20 bytes, needs 36", buf);
}

TEST(Multiboot2Describe, EveryErrorHasANameAndAMessage) {
    for (u32 e = 0; e <= static_cast<u32>(Error::kTooManyMemoryRegions); ++e) {
        Error error = static_cast<Error>(e);
        STRCMP_CONTAINS("", mb2::error_name(error));
        CHECK(strcmp("unknown error", mb2::error_name(error)) != 0);
        mb2::ParseResult r{error, 0x10, 6, 1, 24, 16, 0x40};
        char buf[256];
        usize n = mb2::describe(r, buf, sizeof(buf));
        UNSIGNED_LONGS_EQUAL(strlen(buf), n);
        CHECK(strncmp(buf, "multiboot2: ", 12) == 0);
        CHECK(strstr(buf, "unknown") == nullptr);
    }
}

TEST(Multiboot2Describe, TruncatesLikeSnprintf) {
    mb2::ParseResult r{Error::kNullPointer, 0, 0, 0, 0, 0, 0};
    char full[128];
    usize n = mb2::describe(r, full, sizeof(full));
    char small[10];
    UNSIGNED_LONGS_EQUAL(n, mb2::describe(r, small, sizeof(small)));
    STRCMP_EQUAL("multiboot", small);
    UNSIGNED_LONGS_EQUAL(n, mb2::describe(r, nullptr, 0));
}

TEST(Multiboot2Describe, NameTables) {
    STRCMP_EQUAL("available", mb2::memory_type_name(1));
    STRCMP_EQUAL("reserved", mb2::memory_type_name(2));
    STRCMP_EQUAL("ACPI reclaimable", mb2::memory_type_name(3));
    STRCMP_EQUAL("ACPI NVS", mb2::memory_type_name(4));
    STRCMP_EQUAL("bad", mb2::memory_type_name(5));
    STRCMP_EQUAL("unknown", mb2::memory_type_name(0));
    STRCMP_EQUAL("unknown", mb2::memory_type_name(99));
    STRCMP_EQUAL("end", mb2::tag_type_name(0));
    STRCMP_EQUAL("memory map", mb2::tag_type_name(6));
    STRCMP_EQUAL("framebuffer info", mb2::tag_type_name(8));
    STRCMP_EQUAL("unknown", mb2::tag_type_name(1000));
    STRCMP_EQUAL("null pointer", mb2::error_name(Error::kNullPointer));
}
