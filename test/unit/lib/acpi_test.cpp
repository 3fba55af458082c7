// Unit tests for the ACPI RSDP validation, legacy RSDP scan and root table walk.
#include "lib/acpi.h"

#include <string.h>

#include <CppUTest/TestHarness.h>

#include "acpi_builder.h"

using acpi::Error;

// Compares errors by name so a failure says which error was reported instead.
#define CHECK_ACPI_ERROR(result, expected_error, expected_phys)                               \
    do {                                                                                      \
        STRCMP_EQUAL(acpi::error_name(expected_error), acpi::error_name((result).error));     \
        UNSIGNED_LONGLONGS_EQUAL(expected_phys, (result).phys);                               \
    } while (0)

namespace {

// Where the tables live: a high region as QEMU and most firmware use.
constexpr u64 kHigh = 0x7fe0000;
constexpr usize kHighSize = 0x10000;
constexpr u64 kXsdt = 0x7fe0000;
constexpr u64 kRsdt = 0x7fe0100;
constexpr u64 kFacp = 0x7fe1000;
constexpr u64 kMadt = 0x7fe1234;
constexpr u64 kSsdt0 = 0x7fe2000;
constexpr u64 kSsdt1 = 0x7fe3000;

acpi::Rsdp rsdp_v2(u64 xsdt, u32 rsdt = 0) {
    u8 bytes[36];
    make_rsdp(bytes, 2, rsdt, xsdt);
    acpi::Rsdp r;
    CHECK_TRUE(acpi::validate_rsdp(bytes, sizeof(bytes), r).ok());
    return r;
}

acpi::Rsdp rsdp_v1(u32 rsdt) {
    u8 bytes[36];
    make_rsdp(bytes, 0, rsdt, 0);
    acpi::Rsdp r;
    CHECK_TRUE(acpi::validate_rsdp(bytes, acpi::kRsdpV1Size, r).ok());
    return r;
}

void install_table(FakePhys& phys, u64 at, const char* sig, u8 revision = 1) {
    TableBuilder t(sig, revision);
    t.append_u32(0x11223344);  // some body
    t.finish();
    t.install(phys, at);
}

// FACP, APIC, SSDT, SSDT listed by an XSDT; the RSDT lists only the FACP and the
// same APIC (ACPI 1.0 readers see fewer tables, as firmware often does).
struct Tables {
    Tables() {
        phys.add_region(kHigh, kHighSize);
        const u64 xsdt_entries[] = {kFacp, kMadt, kSsdt0, kSsdt1};
        root_table(true, xsdt_entries, 4).install(phys, kXsdt);
        const u64 rsdt_entries[] = {kFacp, kMadt};
        root_table(false, rsdt_entries, 2).install(phys, kRsdt);
        install_table(phys, kFacp, "FACP", 6);
        MadtBuilder madt;
        madt.local_apic(0, 0, acpi::kCpuEnabled);
        madt.finish();
        madt.install(phys, kMadt);
        install_table(phys, kSsdt0, "SSDT", 2);
        install_table(phys, kSsdt1, "SSDT", 3);
    }

    acpi::ParseResult find(const acpi::Rsdp& rsdp, const char* sig, u32 index = 0) {
        return acpi::find_table(rsdp, phys.reader(), phys.ctx(), sig, index, ref);
    }

    FakePhys phys;
    acpi::TableRef ref;
};

}  // namespace

TEST_GROUP(AcpiRsdp){};

TEST(AcpiRsdp, GoodVersion1) {
    u8 bytes[36];
    make_rsdp(bytes, 0, 0x7fe0100, 0);
    acpi::Rsdp r;
    acpi::ParseResult result = acpi::validate_rsdp(bytes, acpi::kRsdpV1Size, r);
    CHECK_ACPI_ERROR(result, Error::kNone, 0);
    UNSIGNED_LONGS_EQUAL(0, r.revision);
    UNSIGNED_LONGS_EQUAL(20, r.length);
    UNSIGNED_LONGS_EQUAL(0x7fe0100, r.rsdt);
    UNSIGNED_LONGLONGS_EQUAL(0, r.xsdt);
    UNSIGNED_LONGLONGS_EQUAL(0, r.phys);
    STRCMP_EQUAL("LSTAR ", r.oem_id);
}

TEST(AcpiRsdp, GoodVersion2) {
    u8 bytes[36];
    make_rsdp(bytes, 2, 0x7fe0100, 0x1'2345'6000);
    acpi::Rsdp r;
    CHECK_TRUE(acpi::validate_rsdp(bytes, sizeof(bytes), r).ok());
    UNSIGNED_LONGS_EQUAL(2, r.revision);
    UNSIGNED_LONGS_EQUAL(36, r.length);
    UNSIGNED_LONGS_EQUAL(0x7fe0100, r.rsdt);
    UNSIGNED_LONGLONGS_EQUAL(0x1'2345'6000, r.xsdt);
}

TEST(AcpiRsdp, Version2WithLongerLengthIsChecksummedOverAll) {
    u8 bytes[40] = {};
    make_rsdp(bytes, 2, 0, 0x7fe0000);
    bytes[20] = 40;
    bytes[36] = 0x10;  // future field, compensated in the extended checksum
    bytes[32] = static_cast<u8>(bytes[32] - 4 - 0x10);
    acpi::Rsdp r;
    CHECK_TRUE(acpi::validate_rsdp(bytes, sizeof(bytes), r).ok());
    UNSIGNED_LONGS_EQUAL(40, r.length);
    bytes[36] = 0x11;
    acpi::ParseResult result = acpi::validate_rsdp(bytes, sizeof(bytes), r);
    CHECK_ACPI_ERROR(result, Error::kRsdpBadExtendedChecksum, 0);
    UNSIGNED_LONGLONGS_EQUAL(1, result.value);
    UNSIGNED_LONGLONGS_EQUAL(40, result.limit);
}

TEST(AcpiRsdp, Revision1IsTreatedAsAcpi10) {
    u8 bytes[36];
    make_rsdp(bytes, 1, 0x1000, 0);
    acpi::Rsdp r;
    CHECK_TRUE(acpi::validate_rsdp(bytes, acpi::kRsdpV1Size, r).ok());
    UNSIGNED_LONGS_EQUAL(20, r.length);
    UNSIGNED_LONGLONGS_EQUAL(0, r.xsdt);
}

TEST(AcpiRsdp, BadSignature) {
    u8 bytes[36];
    make_rsdp(bytes, 0, 0x1000, 0);
    bytes[7] = 'X';
    bytes[8] = static_cast<u8>(bytes[8] + ' ' - 'X');  // keep the checksum right: only the signature is wrong
    acpi::Rsdp r;
    acpi::ParseResult result = acpi::validate_rsdp(bytes, acpi::kRsdpV1Size, r);
    CHECK_ACPI_ERROR(result, Error::kRsdpBadSignature, 0);
    STRCMP_EQUAL("RSD PTRX", result.found);
    bytes[0] = 0x01;
    result = acpi::validate_rsdp(bytes, acpi::kRsdpV1Size, r);
    STRCMP_EQUAL("?SD PTRX", result.found);
}

TEST(AcpiRsdp, BadVersion1Checksum) {
    u8 bytes[36];
    make_rsdp(bytes, 0, 0x1000, 0);
    bytes[16] = static_cast<u8>(bytes[16] + 0x5a);
    acpi::Rsdp r;
    acpi::ParseResult result = acpi::validate_rsdp(bytes, acpi::kRsdpV1Size, r);
    CHECK_ACPI_ERROR(result, Error::kRsdpBadChecksum, 0);
    UNSIGNED_LONGLONGS_EQUAL(0x5a, result.value);
    UNSIGNED_LONGLONGS_EQUAL(0, r.rsdt);  // out is cleared on failure
}

TEST(AcpiRsdp, BadVersion1ChecksumOnVersion2) {
    // The first checksum must hold on its own even when the extended one does.
    u8 bytes[36];
    make_rsdp(bytes, 2, 0x1000, 0x2000);
    bytes[8] = static_cast<u8>(bytes[8] + 1);
    bytes[33] = static_cast<u8>(bytes[33] - 1);
    acpi::Rsdp r;
    CHECK_ACPI_ERROR(acpi::validate_rsdp(bytes, sizeof(bytes), r), Error::kRsdpBadChecksum, 0);
}

TEST(AcpiRsdp, BadExtendedChecksum) {
    u8 bytes[36];
    make_rsdp(bytes, 2, 0x1000, 0x2000);
    bytes[24] = static_cast<u8>(bytes[24] + 3);  // XSDT address: outside the first 20 bytes
    acpi::Rsdp r;
    acpi::ParseResult result = acpi::validate_rsdp(bytes, sizeof(bytes), r);
    CHECK_ACPI_ERROR(result, Error::kRsdpBadExtendedChecksum, 0);
    UNSIGNED_LONGLONGS_EQUAL(3, result.value);
    UNSIGNED_LONGLONGS_EQUAL(36, result.limit);
}

TEST(AcpiRsdp, TooShort) {
    u8 bytes[36];
    make_rsdp(bytes, 0, 0x1000, 0);
    acpi::Rsdp r;
    acpi::ParseResult result = acpi::validate_rsdp(bytes, 19, r);
    CHECK_ACPI_ERROR(result, Error::kRsdpTooShort, 0);
    UNSIGNED_LONGLONGS_EQUAL(19, result.value);
    UNSIGNED_LONGLONGS_EQUAL(20, result.limit);

    make_rsdp(bytes, 2, 0x1000, 0x2000);
    result = acpi::validate_rsdp(bytes, 20, r);  // a v2 RSDP in a v1-sized copy
    CHECK_ACPI_ERROR(result, Error::kRsdpTooShort, 0);
    UNSIGNED_LONGLONGS_EQUAL(36, result.limit);

    bytes[20] = 48;  // length beyond the 36 bytes readable (outside the first checksum)
    result = acpi::validate_rsdp(bytes, sizeof(bytes), r);
    CHECK_ACPI_ERROR(result, Error::kRsdpTooShort, 0);
    UNSIGNED_LONGLONGS_EQUAL(36, result.value);
    UNSIGNED_LONGLONGS_EQUAL(48, result.limit);
}

TEST(AcpiRsdp, LengthFieldBelow36) {
    u8 bytes[36];
    make_rsdp(bytes, 2, 0x1000, 0x2000);
    bytes[20] = 20;  // outside the first checksum; the length is checked before the extended one
    acpi::Rsdp r;
    acpi::ParseResult result = acpi::validate_rsdp(bytes, sizeof(bytes), r);
    CHECK_ACPI_ERROR(result, Error::kRsdpBadLength, 0);
    UNSIGNED_LONGLONGS_EQUAL(20, result.value);
    UNSIGNED_LONGLONGS_EQUAL(36, result.limit);
}

TEST(AcpiRsdp, NullPointer) {
    acpi::Rsdp r;
    CHECK_ACPI_ERROR(acpi::validate_rsdp(nullptr, 36, r), Error::kNullPointer, 0);
}

TEST_GROUP(AcpiLegacyScan){
    FakePhys phys;
    acpi::Rsdp rsdp;

    void setup() override {
        phys.add_low_memory();
        phys.set_guarded(true);
    }

    void put_rsdp(u64 at, u8 revision, u32 rsdt) {
        u8 bytes[36];
        u32 n = make_rsdp(bytes, revision, rsdt, revision >= 2 ? 0x7fe0000 : 0);
        phys.put(at, bytes, n);
    }

    acpi::ParseResult scan() { return acpi::find_rsdp_legacy(phys.reader(), phys.ctx(), rsdp); }
};

TEST(AcpiLegacyScan, FindsRsdpInEbda) {
    phys.put_u16(acpi::kEbdaSegmentPointer, 0x9fc0);
    put_rsdp(0x9fc40, 2, 0x7fe0100);
    put_rsdp(0xf0000, 0, 0x1111);  // the EBDA is searched first
    acpi::ParseResult r = scan();
    CHECK_ACPI_ERROR(r, Error::kNone, 0x9fc40);
    UNSIGNED_LONGLONGS_EQUAL(0x9fc40, rsdp.phys);
    UNSIGNED_LONGS_EQUAL(2, rsdp.revision);
    UNSIGNED_LONGS_EQUAL(0x7fe0100, rsdp.rsdt);
    UNSIGNED_LONGLONGS_EQUAL(0x7fe0000, rsdp.xsdt);
}

TEST(AcpiLegacyScan, FindsRsdpInBiosArea) {
    phys.put_u16(acpi::kEbdaSegmentPointer, 0x9fc0);
    put_rsdp(0xf5a30, 0, 0x7fe0100);
    acpi::ParseResult r = scan();
    CHECK_ACPI_ERROR(r, Error::kNone, 0xf5a30);
    UNSIGNED_LONGS_EQUAL(0x7fe0100, rsdp.rsdt);
    // One read each for the BDA word, the EBDA's first KiB and the BIOS area.
    UNSIGNED_LONGS_EQUAL(3, phys.read_count());
    UNSIGNED_LONGS_EQUAL(1024, phys.longest_read_at(0x9fc00));
    UNSIGNED_LONGS_EQUAL(0x20000, phys.longest_read_at(0xe0000));
}

TEST(AcpiLegacyScan, FindsRsdpAtBothEndsOfTheBiosArea) {
    put_rsdp(0xe0000, 0, 0x1000);
    CHECK_ACPI_ERROR(scan(), Error::kNone, 0xe0000);
    phys.put_u8(0xe0000, 0);
    put_rsdp(0xfffe0, 0, 0x2000);  // the last boundary whose 20 bytes fit below 1 MiB
    CHECK_ACPI_ERROR(scan(), Error::kNone, 0xfffe0);
}

TEST(AcpiLegacyScan, SkipsBadChecksumCandidate) {
    put_rsdp(0xe0010, 0, 0x1111);
    phys.put_u8(0xe0010 + 16, 0x99);  // breaks the checksum
    put_rsdp(0xf0020, 0, 0x2222);
    acpi::ParseResult r = scan();
    CHECK_ACPI_ERROR(r, Error::kNone, 0xf0020);
    UNSIGNED_LONGS_EQUAL(0x2222, rsdp.rsdt);
}

TEST(AcpiLegacyScan, OnlySixteenByteBoundariesAreCandidates) {
    put_rsdp(0xf0008, 0, 0x1111);
    acpi::ParseResult r = scan();
    CHECK_ACPI_ERROR(r, Error::kRsdpNotFound, 0);
    UNSIGNED_LONGLONGS_EQUAL(0, r.value);
    UNSIGNED_LONGLONGS_EQUAL(0, r.limit);  // no EBDA pointer
    UNSIGNED_LONGS_EQUAL(2, r.index);      // only the BIOS area was scanned
    UNSIGNED_LONGLONGS_EQUAL(0, rsdp.rsdt);
}

TEST(AcpiLegacyScan, NotFoundCountsRejectedCandidates) {
    phys.put_u16(acpi::kEbdaSegmentPointer, 0x9fc0);
    put_rsdp(0x9fc10, 0, 0x1111);
    *phys.at(0x9fc10 + 8) += 1;  // bad checksum
    put_rsdp(0xe4000, 2, 0x2222);
    *phys.at(0xe4000 + 33) += 1;  // bad extended checksum
    acpi::ParseResult r = scan();
    CHECK_ACPI_ERROR(r, Error::kRsdpNotFound, 0x9fc10);
    UNSIGNED_LONGLONGS_EQUAL(2, r.value);
    UNSIGNED_LONGLONGS_EQUAL(0x9fc00, r.limit);
    UNSIGNED_LONGS_EQUAL(3, r.index);
}

TEST(AcpiLegacyScan, Version2RsdpRunningPastTheEbdaWindowIsReadWhole) {
    // At EBDA + 0x3e0 the first 20 bytes lie inside the first KiB, the rest do not.
    phys.put_u16(acpi::kEbdaSegmentPointer, 0x9fc0);
    put_rsdp(0x9ffe0, 2, 0x1234);
    CHECK_ACPI_ERROR(scan(), Error::kNone, 0x9ffe0);
    UNSIGNED_LONGLONGS_EQUAL(0x7fe0000, rsdp.xsdt);
    UNSIGNED_LONGS_EQUAL(36, phys.longest_read_at(0x9ffe0));
}

TEST(AcpiLegacyScan, UnreadableMemoryIsNotScanned) {
    FakePhys empty;
    acpi::ParseResult r = acpi::find_rsdp_legacy(empty.reader(), empty.ctx(), rsdp);
    CHECK_ACPI_ERROR(r, Error::kRsdpNotFound, 0);
    UNSIGNED_LONGS_EQUAL(0, r.index);

    // An EBDA pointer into memory that cannot be read is skipped, not fatal.
    FakePhys low;
    low.add_region(0, 0x1000);
    low.put_u16(acpi::kEbdaSegmentPointer, 0x9fc0);
    r = acpi::find_rsdp_legacy(low.reader(), low.ctx(), rsdp);
    CHECK_ACPI_ERROR(r, Error::kRsdpNotFound, 0);
    UNSIGNED_LONGLONGS_EQUAL(0x9fc00, r.limit);
    UNSIGNED_LONGS_EQUAL(0, r.index);
}

TEST_GROUP(AcpiTables){};

TEST(AcpiTables, XsdtPreferredOverRsdt) {
    Tables t;
    // Point the RSDT's APIC entry somewhere else to tell the two walks apart.
    MadtBuilder other;
    other.finish();
    other.install(t.phys, kHigh + 0x8000);
    const u64 rsdt_entries[] = {kFacp, kHigh + 0x8000};
    root_table(false, rsdt_entries, 2).install(t.phys, kRsdt);

    CHECK_ACPI_ERROR(t.find(rsdp_v2(kXsdt, kRsdt), "APIC"), Error::kNone, kMadt);
    UNSIGNED_LONGLONGS_EQUAL(kMadt, t.ref.phys);
    CHECK_ACPI_ERROR(t.find(rsdp_v1(kRsdt), "APIC"), Error::kNone, kHigh + 0x8000);
    // Revision 2 without an XSDT address falls back to the RSDT.
    CHECK_ACPI_ERROR(t.find(rsdp_v2(0, kRsdt), "APIC"), Error::kNone, kHigh + 0x8000);
}

TEST(AcpiTables, FindBySignatureAndIndex) {
    Tables t;
    acpi::Rsdp rsdp = rsdp_v2(kXsdt, kRsdt);
    CHECK_TRUE(t.find(rsdp, "FACP").ok());
    UNSIGNED_LONGLONGS_EQUAL(kFacp, t.ref.phys);
    UNSIGNED_LONGS_EQUAL(6, t.ref.revision);
    STRCMP_EQUAL("FACP", t.ref.signature);
    UNSIGNED_LONGS_EQUAL(40, t.ref.length);
    CHECK_TRUE(t.find(rsdp, "SSDT", 0).ok());
    UNSIGNED_LONGLONGS_EQUAL(kSsdt0, t.ref.phys);
    CHECK_TRUE(t.find(rsdp, "SSDT", 1).ok());
    UNSIGNED_LONGLONGS_EQUAL(kSsdt1, t.ref.phys);
    UNSIGNED_LONGS_EQUAL(3, t.ref.revision);
    LONGS_EQUAL(0, memcmp(t.ref.data, t.phys.at(kSsdt1, 40), 40));
}

TEST(AcpiTables, NotFound) {
    Tables t;
    acpi::ParseResult r = t.find(rsdp_v2(kXsdt), "SSDT", 2);
    CHECK_ACPI_ERROR(r, Error::kTableNotFound, kXsdt);
    STRCMP_EQUAL("SSDT", r.signature);
    STRCMP_EQUAL("XSDT", r.found);
    UNSIGNED_LONGS_EQUAL(2, r.index);
    UNSIGNED_LONGLONGS_EQUAL(2, r.value);
    UNSIGNED_LONGLONGS_EQUAL(4, r.limit);
    POINTERS_EQUAL(nullptr, t.ref.data);

    r = t.find(rsdp_v1(kRsdt), "HPET");
    CHECK_ACPI_ERROR(r, Error::kTableNotFound, kRsdt);
    UNSIGNED_LONGLONGS_EQUAL(0, r.value);
    UNSIGNED_LONGLONGS_EQUAL(2, r.limit);
}

TEST(AcpiTables, TableWithBadChecksum) {
    Tables t;
    MadtBuilder madt;
    madt.finish();
    madt.spoil_checksum(0x5a);
    madt.install(t.phys, kMadt);
    acpi::ParseResult r = t.find(rsdp_v2(kXsdt), "APIC");
    CHECK_ACPI_ERROR(r, Error::kTableBadChecksum, kMadt);
    STRCMP_EQUAL("APIC", r.signature);
    UNSIGNED_LONGLONGS_EQUAL(0x5a, r.value);
    POINTERS_EQUAL(nullptr, t.ref.data);
}

TEST(AcpiTables, TableShorterThanItsHeader) {
    Tables t;
    t.phys.put_u32(kSsdt0 + 4, 35);
    acpi::ParseResult r = t.find(rsdp_v2(kXsdt), "SSDT");
    CHECK_ACPI_ERROR(r, Error::kTableTooShort, kSsdt0);
    UNSIGNED_LONGLONGS_EQUAL(35, r.value);
    UNSIGNED_LONGLONGS_EQUAL(36, r.limit);
    t.phys.put_u32(kSsdt0 + 4, 0);
    CHECK_ACPI_ERROR(t.find(rsdp_v2(kXsdt), "SSDT"), Error::kTableTooShort, kSsdt0);
}

TEST(AcpiTables, LengthPastReadableMemory) {
    Tables t;
    u64 end = kHigh + kHighSize;
    install_table(t.phys, end - 40, "SSDT");
    t.phys.put_u32(end - 40 + 4, 41);  // one byte too many (checksum never reached)
    const u64 entries[] = {end - 40};
    root_table(true, entries, 1).install(t.phys, kXsdt);
    acpi::ParseResult r = t.find(rsdp_v2(kXsdt), "SSDT");
    CHECK_ACPI_ERROR(r, Error::kTableUnreadable, end - 40);
    UNSIGNED_LONGLONGS_EQUAL(41, r.value);
    STRCMP_EQUAL("SSDT", r.signature);

    t.phys.put_u32(end - 40 + 4, 0xffffffff);
    CHECK_ACPI_ERROR(t.find(rsdp_v2(kXsdt), "SSDT"), Error::kTableUnreadable, end - 40);
}

TEST(AcpiTables, RootTableErrors) {
    Tables t;
    acpi::ParseResult r = t.find(rsdp_v2(kFacp), "APIC");
    CHECK_ACPI_ERROR(r, Error::kTableBadSignature, kFacp);
    STRCMP_EQUAL("XSDT", r.signature);
    STRCMP_EQUAL("FACP", r.found);

    t.phys.put_u8(kRsdt + 40, 0x99);  // inside the first entry
    r = t.find(rsdp_v1(kRsdt), "APIC");
    CHECK_ACPI_ERROR(r, Error::kTableBadChecksum, kRsdt);
    STRCMP_EQUAL("RSDT", r.signature);

    r = t.find(rsdp_v2(0x40000000), "APIC");
    CHECK_ACPI_ERROR(r, Error::kHeaderUnreadable, 0x40000000);
    STRCMP_EQUAL("XSDT", r.signature);
}

TEST(AcpiTables, NoRootTable) {
    Tables t;
    acpi::Rsdp rsdp = rsdp_v2(0, 0);
    rsdp.phys = 0xf0000;
    acpi::ParseResult r = t.find(rsdp, "APIC");
    CHECK_ACPI_ERROR(r, Error::kNoRootTable, 0xf0000);
    UNSIGNED_LONGLONGS_EQUAL(2, r.value);
}

TEST(AcpiTables, RootEntryWithUnreadableHeader) {
    Tables t;
    const u64 entries[] = {kFacp, kHigh + kHighSize - 20, kMadt};
    root_table(true, entries, 3).install(t.phys, kXsdt);
    acpi::ParseResult r = t.find(rsdp_v2(kXsdt), "APIC");
    CHECK_ACPI_ERROR(r, Error::kRootEntryUnreadable, kXsdt);
    STRCMP_EQUAL("XSDT", r.signature);
    UNSIGNED_LONGS_EQUAL(1, r.index);
    UNSIGNED_LONGLONGS_EQUAL(kHigh + kHighSize - 20, r.value);
}

TEST(AcpiTables, NullEntriesAreSkipped) {
    Tables t;
    const u64 entries[] = {0, kFacp, 0, kMadt};
    root_table(true, entries, 4).install(t.phys, kXsdt);
    CHECK_ACPI_ERROR(t.find(rsdp_v2(kXsdt), "APIC"), Error::kNone, kMadt);
}

TEST(AcpiTables, BrokenUnrelatedTableDoesNotHideOthers) {
    Tables t;
    t.phys.put_u8(kFacp + 36, 0);  // FACP checksum now wrong
    t.phys.put_u32(kSsdt0 + 4, 0x100000);  // SSDT length runs out of memory
    CHECK_ACPI_ERROR(t.find(rsdp_v2(kXsdt), "SSDT", 1), Error::kNone, kSsdt1);
    CHECK_ACPI_ERROR(t.find(rsdp_v2(kXsdt), "APIC"), Error::kNone, kMadt);
    // Of a table nobody asked for, only the header was read.
    UNSIGNED_LONGS_EQUAL(36, t.phys.longest_read_at(kFacp));
    UNSIGNED_LONGS_EQUAL(36, t.phys.longest_read_at(kSsdt0));
}

TEST(AcpiTables, PartialTrailingRootEntryIsIgnored) {
    Tables t;
    TableBuilder rsdt("RSDT");
    rsdt.append_u32(static_cast<u32>(kFacp));
    rsdt.append_u32(static_cast<u32>(kMadt));
    rsdt.append_u16(0x1234);
    rsdt.finish();
    rsdt.install(t.phys, kRsdt);
    acpi::ParseResult r = t.find(rsdp_v1(kRsdt), "SSDT");
    CHECK_ACPI_ERROR(r, Error::kTableNotFound, kRsdt);
    UNSIGNED_LONGLONGS_EQUAL(2, r.limit);
    CHECK_TRUE(t.find(rsdp_v1(kRsdt), "APIC").ok());
}

TEST(AcpiTables, XsdtReachesTablesAbove4GiB) {
    Tables t;
    const u64 above = 0x1'0000'2000;
    t.phys.add_region(above, 0x1000);
    install_table(t.phys, above, "HPET");
    const u64 entries[] = {kFacp, above};
    root_table(true, entries, 2).install(t.phys, kXsdt);
    CHECK_ACPI_ERROR(t.find(rsdp_v2(kXsdt), "HPET"), Error::kNone, above);
}

TEST(AcpiTables, EveryReadStaysInsideWhatWasAskedFor) {
    // Guarded mode: each read is a fresh copy ending at an inaccessible page.
    Tables t;
    t.phys.set_guarded(true);
    acpi::Rsdp rsdp = rsdp_v2(kXsdt, kRsdt);
    CHECK_TRUE(t.find(rsdp, "SSDT", 1).ok());
    CHECK_TRUE(t.find(rsdp_v1(kRsdt), "APIC").ok());
    acpi::Madt* madt = new acpi::Madt;
    CHECK_TRUE(acpi::parse_madt(t.ref, *madt).ok());
    UNSIGNED_LONGS_EQUAL(1, madt->cpu_count);
    delete madt;
}

TEST(AcpiTables, ReadTableWithoutExpectedSignature) {
    Tables t;
    acpi::TableRef ref;
    acpi::ParseResult r = acpi::read_table(t.phys.reader(), t.phys.ctx(), kSsdt0, nullptr, ref);
    CHECK_ACPI_ERROR(r, Error::kNone, kSsdt0);
    STRCMP_EQUAL("SSDT", ref.signature);
    t.phys.put_u8(kSsdt0 + 20, 1);
    r = acpi::read_table(t.phys.reader(), t.phys.ctx(), kSsdt0, nullptr, ref);
    CHECK_ACPI_ERROR(r, Error::kTableBadChecksum, kSsdt0);
    STRCMP_EQUAL("SSDT", r.signature);
    r = acpi::read_table(t.phys.reader(), t.phys.ctx(), kSsdt0, "DSDT", ref);
    CHECK_ACPI_ERROR(r, Error::kTableBadSignature, kSsdt0);
    STRCMP_EQUAL("DSDT", r.signature);
    STRCMP_EQUAL("SSDT", r.found);
}
