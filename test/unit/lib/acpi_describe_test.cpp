// Unit tests for the ACPI parsers' messages and name tables.
#include <string.h>

#include <CppUTest/TestHarness.h>

#include "acpi_builder.h"
#include "lib/acpi.h"

using acpi::Error;

namespace {

acpi::Madt g_madt;
char g_buf[256];

const char* message(const acpi::ParseResult& r) {
    usize n = acpi::describe(r, g_buf, sizeof(g_buf));
    UNSIGNED_LONGS_EQUAL(strlen(g_buf), n);
    return g_buf;
}

}  // namespace

TEST_GROUP(AcpiDescribe){};

TEST(AcpiDescribe, TableChecksumFromARealWalk) {
    FakePhys phys;
    phys.add_region(0x7fe0000, 0x10000);
    MadtBuilder madt;
    madt.finish();
    madt.spoil_checksum(0x5a);
    madt.install(phys, 0x7fe1234);
    const u64 entries[] = {0x7fe1234};
    root_table(true, entries, 1).install(phys, 0x7fe0000);
    u8 bytes[36];
    make_rsdp(bytes, 2, 0, 0x7fe0000);
    acpi::Rsdp rsdp;
    CHECK_TRUE(acpi::validate_rsdp(bytes, sizeof(bytes), rsdp).ok());
    acpi::TableRef ref;
    acpi::ParseResult r = acpi::find_table(rsdp, phys.reader(), phys.ctx(), "APIC", 0, ref);
    STRCMP_EQUAL("acpi: table APIC at 0x7fe1234: checksum 0x5a (should be 0)", message(r));

    r = acpi::find_table(rsdp, phys.reader(), phys.ctx(), "SSDT", 1, ref);
    STRCMP_EQUAL("acpi: no table SSDT #1: the XSDT at 0x7fe0000 lists 0 such of 1 tables", message(r));
}

TEST(AcpiDescribe, MadtEntryTooShortForItsType) {
    MadtBuilder b;
    b.local_apic(0, 0, acpi::kCpuEnabled);    // 0x2c
    b.local_apic_nmi(0xff, 0, 1);             // 0x34
    b.raw(0x7f, 2, nullptr, 0);               // 0x3a
    b.raw(acpi::kMadtIoApic, 8, nullptr, 6);  // 0x3c
    b.finish();
    acpi::TableRef ref{0x7fe1234, b.data(), b.size(), 5, "APIC"};
    STRCMP_EQUAL("acpi: MADT entry #3 (type 1, I/O APIC) at offset 0x3c: length 8, needs 12",
                 message(acpi::parse_madt(ref, g_madt)));
}

TEST(AcpiDescribe, MadtEntryMessages) {
    acpi::ParseResult r{};
    r.error = Error::kEntryPastEnd;
    r.offset = 0x54;
    r.index = 5;
    r.entry_type = 0x42;
    r.value = 0x30;
    r.limit = 0x70;
    STRCMP_EQUAL("acpi: MADT entry #5 (type 66, reserved) at offset 0x54: length 48 runs past the table end "
                 "(0x54 + 48 > table length 0x70)",
                 message(r));
    r.error = Error::kEntryHeaderTruncated;
    r.value = 1;
    STRCMP_EQUAL("acpi: MADT entry #5 at offset 0x54: only 1 byte left for the 2-byte entry header",
                 message(r));
    r.error = Error::kTooManyCpus;
    r.entry_type = 9;
    r.limit = 256;
    STRCMP_EQUAL("acpi: MADT entry #5 (type 9, processor local x2APIC) at offset 0x54: more than 256 CPUs",
                 message(r));
}

TEST(AcpiDescribe, RsdpMessages) {
    u8 bytes[36];
    make_rsdp(bytes, 2, 0x1000, 0x2000);
    bytes[24] = static_cast<u8>(bytes[24] + 0x10);
    acpi::Rsdp rsdp;
    STRCMP_EQUAL("acpi: RSDP: extended checksum over 36 bytes 0x10 (should be 0)",
                 message(acpi::validate_rsdp(bytes, sizeof(bytes), rsdp)));
    memcpy(bytes, "RSD PTX\x01", 8);
    STRCMP_EQUAL("acpi: RSDP: signature \"RSD PTX?\" (should be \"RSD PTR \")",
                 message(acpi::validate_rsdp(bytes, sizeof(bytes), rsdp)));

    acpi::ParseResult r{};
    r.error = Error::kRsdpBadChecksum;
    r.phys = 0xf5a30;
    r.value = 0x5a;
    r.limit = 20;
    STRCMP_EQUAL("acpi: RSDP at 0xf5a30: checksum of the first 20 bytes 0x5a (should be 0)", message(r));
}

TEST(AcpiDescribe, LegacyScanMessages) {
    FakePhys phys;
    phys.add_low_memory();
    phys.put_u16(acpi::kEbdaSegmentPointer, 0x9fc0);
    u8 bytes[36];
    make_rsdp(bytes, 0, 0x1000, 0);
    bytes[8] = static_cast<u8>(bytes[8] + 1);
    phys.put(0xe0010, bytes, 20);
    acpi::Rsdp rsdp;
    STRCMP_EQUAL("acpi: no valid RSDP (EBDA at 0x9fc00; 0xe0000-0xfffff): 1 candidate rejected, the first at "
                 "0xe0010",
                 message(acpi::find_rsdp_legacy(phys.reader(), phys.ctx(), rsdp)));

    FakePhys empty;
    STRCMP_EQUAL("acpi: no RSDP signature found (no EBDA (segment word at 0x40e is 0 or unreadable); "
                 "0xe0000-0xfffff unreadable)",
                 message(acpi::find_rsdp_legacy(empty.reader(), empty.ctx(), rsdp)));
}

TEST(AcpiDescribe, RootTableMessages) {
    acpi::ParseResult r{};
    r.error = Error::kRootEntryUnreadable;
    r.phys = 0x7fe0000;
    memcpy(r.signature, "XSDT", 5);
    r.index = 2;
    r.value = 0xdead0000;
    STRCMP_EQUAL("acpi: table XSDT at 0x7fe0000: entry #2 points to 0xdead0000, whose 36-byte header is not "
                 "readable",
                 message(r));
    r = {};
    r.error = Error::kHeaderUnreadable;
    r.phys = 0x40000000;
    STRCMP_EQUAL("acpi: table at 0x40000000: 36-byte header not readable", message(r));
}

TEST(AcpiDescribe, EveryErrorHasANameAndAMessage) {
    for (u32 e = 0; e <= static_cast<u32>(Error::kTooManyNmis); ++e) {
        acpi::ParseResult r{};
        r.error = static_cast<Error>(e);
        STRCMP_CONTAINS("acpi: ", message(r));
        CHECK(strstr(g_buf, "unknown error") == nullptr);
        CHECK(strcmp("unknown error", acpi::error_name(r.error)) != 0);
        for (u32 other = 0; other < e; ++other) {
            CHECK(strcmp(acpi::error_name(static_cast<Error>(other)), acpi::error_name(r.error)) != 0);
        }
    }
}

TEST(AcpiDescribe, TruncatesLikeSnprintf) {
    acpi::ParseResult r{};
    r.error = Error::kTableBadChecksum;
    r.phys = 0x7fe1234;
    r.value = 0x5a;
    memcpy(r.signature, "APIC", 5);
    char small[12];
    usize n = acpi::describe(r, small, sizeof(small));
    STRCMP_EQUAL("acpi: table", small);
    UNSIGNED_LONGS_EQUAL(strlen("acpi: table APIC at 0x7fe1234: checksum 0x5a (should be 0)"), n);
}

TEST(AcpiDescribe, MadtEntryNames) {
    STRCMP_EQUAL("processor local APIC", acpi::madt_entry_name(0));
    STRCMP_EQUAL("local x2APIC NMI", acpi::madt_entry_name(0xa));
    STRCMP_EQUAL("multiprocessor wakeup", acpi::madt_entry_name(0x10));
    STRCMP_EQUAL("reserved", acpi::madt_entry_name(0x7f));
    STRCMP_EQUAL("OEM", acpi::madt_entry_name(0x80));
}
