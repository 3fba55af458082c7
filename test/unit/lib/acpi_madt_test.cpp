// Unit tests for the MADT parser: every entry kind, unknown entries, malformed entries, capacities.
#include <CppUTest/TestHarness.h>

#include "acpi_builder.h"
#include "lib/acpi.h"

using acpi::Error;

#define CHECK_MADT_ERROR(result, expected_error, expected_offset)                         \
    do {                                                                                  \
        STRCMP_EQUAL(acpi::error_name(expected_error), acpi::error_name((result).error)); \
        UNSIGNED_LONGS_EQUAL(expected_offset, (result).offset);                           \
    } while (0)

namespace {

constexpr u64 kMadtPhys = 0x7fe1234;

// A few KiB; keep it off the test's stack frame.
acpi::Madt g_madt;

acpi::TableRef ref_of(const TableBuilder& t) { return {kMadtPhys, t.data(), t.size(), 5, "APIC"}; }

acpi::ParseResult parse(MadtBuilder& b) {
    b.finish();
    return acpi::parse_madt(ref_of(b), g_madt);
}

}  // namespace

TEST_GROUP(AcpiMadt){};

TEST(AcpiMadt, FourCpusOneDisabledOneOnlineCapable) {
    MadtBuilder b(0xfee00000, acpi::kMadtPcatCompat);
    b.local_apic(0, 0, acpi::kCpuEnabled);
    b.local_apic(1, 2, acpi::kCpuEnabled);
    b.local_apic(2, 4, 0);                        // disabled for good
    b.local_apic(3, 6, acpi::kCpuOnlineCapable);  // hot-pluggable
    acpi::ParseResult r = parse(b);
    CHECK_MADT_ERROR(r, Error::kNone, 0);
    UNSIGNED_LONGLONGS_EQUAL(kMadtPhys, r.phys);
    UNSIGNED_LONGLONGS_EQUAL(0xfee00000, g_madt.lapic_address);
    CHECK_FALSE(g_madt.lapic_address_overridden);
    CHECK_TRUE(g_madt.pcat_compat());
    UNSIGNED_LONGS_EQUAL(4, g_madt.cpu_count);
    UNSIGNED_LONGS_EQUAL(4, g_madt.entry_count);
    UNSIGNED_LONGS_EQUAL(0, g_madt.skipped_count);
    const bool usable[] = {true, true, false, true};
    for (u32 i = 0; i < 4; ++i) {
        UNSIGNED_LONGS_EQUAL(i, g_madt.cpus[i].uid);
        UNSIGNED_LONGS_EQUAL(2 * i, g_madt.cpus[i].apic_id);
        CHECK_FALSE(g_madt.cpus[i].x2apic);
        CHECK_EQUAL(usable[i], g_madt.cpus[i].usable());
    }
    UNSIGNED_LONGS_EQUAL(acpi::kCpuOnlineCapable, g_madt.cpus[3].flags);
}

TEST(AcpiMadt, NoPcatCompatAndNoEntries) {
    MadtBuilder b(0xfee00000, 0);
    CHECK_TRUE(parse(b).ok());
    CHECK_FALSE(g_madt.pcat_compat());
    UNSIGNED_LONGS_EQUAL(0, g_madt.cpu_count);
    UNSIGNED_LONGS_EQUAL(0, g_madt.entry_count);
}

TEST(AcpiMadt, X2ApicEntries) {
    MadtBuilder b;
    b.local_apic(0, 0, acpi::kCpuEnabled);
    b.local_x2apic(0x100, acpi::kCpuEnabled, 0x1000);
    b.local_x2apic(0x12345678, 0, 0xabcdef);
    b.local_x2apic_nmi(acpi::kAllCpusX2Uid, 0x5, 1);
    b.local_x2apic_nmi(0x1000, 0, 0);
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(3, g_madt.cpu_count);
    const acpi::Cpu& a = g_madt.cpus[1];
    CHECK_TRUE(a.x2apic);
    UNSIGNED_LONGS_EQUAL(0x100, a.apic_id);
    UNSIGNED_LONGS_EQUAL(0x1000, a.uid);
    CHECK_TRUE(a.usable());
    const acpi::Cpu& c = g_madt.cpus[2];
    UNSIGNED_LONGS_EQUAL(0x12345678, c.apic_id);
    UNSIGNED_LONGS_EQUAL(0xabcdef, c.uid);
    CHECK_FALSE(c.usable());

    UNSIGNED_LONGS_EQUAL(2, g_madt.nmi_count);
    const acpi::Nmi& all = g_madt.nmis[0];
    CHECK_TRUE(all.x2apic);
    CHECK_TRUE(all.all_cpus());
    UNSIGNED_LONGS_EQUAL(0x5, all.flags);
    UNSIGNED_LONGS_EQUAL(1, all.lint);
    CHECK_FALSE(g_madt.nmis[1].all_cpus());
    UNSIGNED_LONGS_EQUAL(0x1000, g_madt.nmis[1].uid);
}

TEST(AcpiMadt, IoApics) {
    MadtBuilder b;
    b.io_apic(2, 0xfec00000, 0);
    b.io_apic(3, 0xfec01000, 24);
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(2, g_madt.io_apic_count);
    UNSIGNED_LONGS_EQUAL(2, g_madt.io_apics[0].id);
    UNSIGNED_LONGS_EQUAL(0xfec00000, g_madt.io_apics[0].address);
    UNSIGNED_LONGS_EQUAL(0, g_madt.io_apics[0].gsi_base);
    UNSIGNED_LONGS_EQUAL(3, g_madt.io_apics[1].id);
    UNSIGNED_LONGS_EQUAL(0xfec01000, g_madt.io_apics[1].address);
    UNSIGNED_LONGS_EQUAL(24, g_madt.io_apics[1].gsi_base);
}

TEST(AcpiMadt, InterruptSourceOverrides) {
    MadtBuilder b;
    b.override_entry(0, 0, 2, 0);               // PIT: IRQ 0 -> GSI 2, bus defaults
    b.override_entry(0, 9, 9, 0xd);             // SCI: level, active high
    b.override_entry(0, 11, 20, (3 << 2) | 3);  // level, active low
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(3, g_madt.override_count);
    const acpi::Override& pit = g_madt.overrides[0];
    UNSIGNED_LONGS_EQUAL(0, pit.bus);
    UNSIGNED_LONGS_EQUAL(0, pit.source);
    UNSIGNED_LONGS_EQUAL(2, pit.gsi);
    UNSIGNED_LONGS_EQUAL(0, pit.polarity());
    UNSIGNED_LONGS_EQUAL(0, pit.trigger());
    UNSIGNED_LONGS_EQUAL(1, g_madt.overrides[1].polarity());
    UNSIGNED_LONGS_EQUAL(3, g_madt.overrides[1].trigger());
    UNSIGNED_LONGS_EQUAL(11, g_madt.overrides[2].source);
    UNSIGNED_LONGS_EQUAL(20, g_madt.overrides[2].gsi);
    UNSIGNED_LONGS_EQUAL(3, g_madt.overrides[2].polarity());
    UNSIGNED_LONGS_EQUAL(3, g_madt.overrides[2].trigger());
}

TEST(AcpiMadt, LocalApicNmis) {
    MadtBuilder b;
    b.local_apic_nmi(acpi::kAllCpusUid, 0x5, 1);
    b.local_apic_nmi(3, 0xf, 0);
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(2, g_madt.nmi_count);
    CHECK_TRUE(g_madt.nmis[0].all_cpus());
    CHECK_FALSE(g_madt.nmis[0].x2apic);
    UNSIGNED_LONGS_EQUAL(0x5, g_madt.nmis[0].flags);
    UNSIGNED_LONGS_EQUAL(1, g_madt.nmis[0].lint);
    CHECK_FALSE(g_madt.nmis[1].all_cpus());
    UNSIGNED_LONGS_EQUAL(3, g_madt.nmis[1].uid);
    UNSIGNED_LONGS_EQUAL(0xf, g_madt.nmis[1].flags);
    UNSIGNED_LONGS_EQUAL(0, g_madt.nmis[1].lint);
}

TEST(AcpiMadt, LocalApicAddressOverride) {
    MadtBuilder b(0xfee00000);
    b.lapic_address_override(0x1'fee0'0000);
    b.local_apic(0, 0, acpi::kCpuEnabled);
    CHECK_TRUE(parse(b).ok());
    CHECK_TRUE(g_madt.lapic_address_overridden);
    UNSIGNED_LONGLONGS_EQUAL(0x1'fee0'0000, g_madt.lapic_address);
}

TEST(AcpiMadt, UnknownTypesAreSkippedAndCounted) {
    MadtBuilder b;
    const u8 sapic[14] = {};
    b.local_apic(0, 0, acpi::kCpuEnabled);
    b.raw(6, 16, sapic, sizeof(sapic));  // I/O SAPIC
    b.raw(0x3, 8, sapic, 6);             // NMI source: known to ACPI, not handled
    b.raw(0x7f, 2, nullptr, 0);          // reserved, header only
    b.raw(0xff, 5, sapic, 3);            // OEM
    b.local_apic(1, 1, acpi::kCpuEnabled);
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(6, g_madt.entry_count);
    UNSIGNED_LONGS_EQUAL(4, g_madt.skipped_count);
    UNSIGNED_LONGS_EQUAL(2, g_madt.cpu_count);
    UNSIGNED_LONGS_EQUAL(1, g_madt.cpus[1].apic_id);
}

TEST(AcpiMadt, LongerKnownEntriesAreAccepted) {
    // Later ACPI revisions append fields; the defined prefix is what is parsed.
    MadtBuilder b;
    const u8 io_apic[14] = {7, 0, 0x00, 0x00, 0xc0, 0xfe, 16, 0, 0, 0};
    b.raw(acpi::kMadtIoApic, 16, io_apic, sizeof(io_apic));
    b.local_apic(0, 0, acpi::kCpuEnabled);
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(7, g_madt.io_apics[0].id);
    UNSIGNED_LONGS_EQUAL(0xfec00000, g_madt.io_apics[0].address);
    UNSIGNED_LONGS_EQUAL(16, g_madt.io_apics[0].gsi_base);
    UNSIGNED_LONGS_EQUAL(1, g_madt.cpu_count);
}

TEST_GROUP(AcpiMadtErrors){};

TEST(AcpiMadtErrors, EntryHeaderTruncated) {
    MadtBuilder b;
    b.local_apic(0, 0, acpi::kCpuEnabled);
    u32 at = b.append_u8(0);
    acpi::ParseResult r = parse(b);
    CHECK_MADT_ERROR(r, Error::kEntryHeaderTruncated, at);
    UNSIGNED_LONGS_EQUAL(1, r.index);
    UNSIGNED_LONGLONGS_EQUAL(1, r.value);
}

TEST(AcpiMadtErrors, EntryLengthBelowTwo) {
    for (u8 length = 0; length < 2; ++length) {
        MadtBuilder b;
        b.local_apic(0, 0, acpi::kCpuEnabled);
        u32 at = b.raw(0x7f, length, nullptr, 6);
        acpi::ParseResult r = parse(b);
        CHECK_MADT_ERROR(r, Error::kEntryTooShort, at);
        UNSIGNED_LONGLONGS_EQUAL(length, r.value);
        UNSIGNED_LONGLONGS_EQUAL(2, r.limit);
        UNSIGNED_LONGS_EQUAL(0x7f, r.entry_type);
    }
}

TEST(AcpiMadtErrors, EntryRunsPastTable) {
    MadtBuilder b;
    b.local_apic(0, 0, acpi::kCpuEnabled);
    u32 at = b.raw(acpi::kMadtLocalApic, 9, nullptr, 6);  // one byte more than the table holds
    acpi::ParseResult r = parse(b);
    CHECK_MADT_ERROR(r, Error::kEntryPastEnd, at);
    UNSIGNED_LONGLONGS_EQUAL(9, r.value);
    UNSIGNED_LONGLONGS_EQUAL(b.size(), r.limit);
    UNSIGNED_LONGS_EQUAL(1, r.index);

    MadtBuilder unknown;
    at = unknown.raw(0x42, 0xff, nullptr, 4);  // unknown types are bounds-checked too
    CHECK_MADT_ERROR(parse(unknown), Error::kEntryPastEnd, at);
}

TEST(AcpiMadtErrors, EveryKnownTypeShorterThanDefined) {
    struct Case {
        u8 type;
        u8 size;
    };
    const Case cases[] = {{acpi::kMadtLocalApic, 8},        {acpi::kMadtIoApic, 12},
                          {acpi::kMadtOverride, 10},        {acpi::kMadtLocalApicNmi, 6},
                          {acpi::kMadtLocalApicAddress, 12}, {acpi::kMadtLocalX2Apic, 16},
                          {acpi::kMadtLocalX2ApicNmi, 12}};
    for (const Case& c : cases) {
        for (u8 length = 2; length < c.size; ++length) {
            MadtBuilder b;
            b.io_apic(1, 0xfec00000, 0);
            u32 at = b.raw(c.type, length, nullptr, length - 2u);
            b.local_apic(0, 0, acpi::kCpuEnabled);
            acpi::ParseResult r = parse(b);
            CHECK_MADT_ERROR(r, Error::kEntryTooShortForType, at);
            UNSIGNED_LONGS_EQUAL(c.type, r.entry_type);
            UNSIGNED_LONGS_EQUAL(1, r.index);
            UNSIGNED_LONGLONGS_EQUAL(length, r.value);
            UNSIGNED_LONGLONGS_EQUAL(c.size, r.limit);
        }
    }
}

TEST(AcpiMadtErrors, TableTooShortOrNotAMadt) {
    MadtBuilder b;
    b.finish();
    acpi::TableRef ref = ref_of(b);
    ref.length = 43;
    acpi::ParseResult r = acpi::parse_madt(ref, g_madt);
    STRCMP_EQUAL("table too short", acpi::error_name(r.error));
    UNSIGNED_LONGLONGS_EQUAL(43, r.value);
    UNSIGNED_LONGLONGS_EQUAL(44, r.limit);
    UNSIGNED_LONGLONGS_EQUAL(kMadtPhys, r.phys);
    ref.length = 3;
    r = acpi::parse_madt(ref, g_madt);
    UNSIGNED_LONGLONGS_EQUAL(36, r.limit);

    TableBuilder facp("FACP");
    facp.append(nullptr, 8);
    facp.finish();
    r = acpi::parse_madt(ref_of(facp), g_madt);
    STRCMP_EQUAL("table bad signature", acpi::error_name(r.error));
    STRCMP_EQUAL("FACP", r.found);
    STRCMP_EQUAL("APIC", r.signature);

    acpi::TableRef null_ref{kMadtPhys, nullptr, 44, 5, "APIC"};
    STRCMP_EQUAL("null pointer", acpi::error_name(acpi::parse_madt(null_ref, g_madt).error));
}

TEST_GROUP(AcpiMadtCapacity){};

TEST(AcpiMadtCapacity, ExactlyFull) {
    MadtBuilder b;
    for (usize i = 0; i < acpi::kMaxCpus / 2; ++i) b.local_apic(static_cast<u8>(i), static_cast<u8>(i), 1);
    for (usize i = 0; i < acpi::kMaxCpus / 2; ++i) b.local_x2apic(static_cast<u32>(0x100 + i), 1, 0);
    for (usize i = 0; i < acpi::kMaxIoApics; ++i) b.io_apic(static_cast<u8>(i), 0xfec00000, 0);
    for (usize i = 0; i < acpi::kMaxOverrides; ++i) b.override_entry(0, 0, 0, 0);
    for (usize i = 0; i < acpi::kMaxNmis; ++i) b.local_apic_nmi(0xff, 0, 1);
    CHECK_TRUE(parse(b).ok());
    UNSIGNED_LONGS_EQUAL(acpi::kMaxCpus, g_madt.cpu_count);
    UNSIGNED_LONGS_EQUAL(0x100 + acpi::kMaxCpus / 2 - 1, g_madt.cpus[acpi::kMaxCpus - 1].apic_id);
    UNSIGNED_LONGS_EQUAL(acpi::kMaxIoApics, g_madt.io_apic_count);
    UNSIGNED_LONGS_EQUAL(acpi::kMaxOverrides, g_madt.override_count);
    UNSIGNED_LONGS_EQUAL(acpi::kMaxNmis, g_madt.nmi_count);
}

TEST(AcpiMadtCapacity, OneTooManyOfEachIsReported) {
    struct Case {
        Error error;
        usize capacity;
        u32 (*add)(MadtBuilder&);
        const usize* count;
    };
    const Case cases[] = {
        {Error::kTooManyCpus, acpi::kMaxCpus, [](MadtBuilder& b) { return b.local_apic(0, 0, 1); },
         &g_madt.cpu_count},
        {Error::kTooManyCpus, acpi::kMaxCpus, [](MadtBuilder& b) { return b.local_x2apic(0x100, 1, 0); },
         &g_madt.cpu_count},
        {Error::kTooManyIoApics, acpi::kMaxIoApics,
         [](MadtBuilder& b) { return b.io_apic(0, 0xfec00000, 0); }, &g_madt.io_apic_count},
        {Error::kTooManyOverrides, acpi::kMaxOverrides,
         [](MadtBuilder& b) { return b.override_entry(0, 0, 2, 0); }, &g_madt.override_count},
        {Error::kTooManyNmis, acpi::kMaxNmis, [](MadtBuilder& b) { return b.local_apic_nmi(0xff, 0, 1); },
         &g_madt.nmi_count},
        {Error::kTooManyNmis, acpi::kMaxNmis, [](MadtBuilder& b) { return b.local_x2apic_nmi(0, 0, 1); },
         &g_madt.nmi_count},
    };
    for (const Case& c : cases) {
        MadtBuilder b;
        for (usize i = 0; i < c.capacity; ++i) c.add(b);
        u32 at = c.add(b);
        acpi::ParseResult r = parse(b);
        CHECK_MADT_ERROR(r, c.error, at);
        UNSIGNED_LONGS_EQUAL(c.capacity, r.index);
        UNSIGNED_LONGLONGS_EQUAL(c.capacity, r.limit);
        UNSIGNED_LONGS_EQUAL(c.capacity, *c.count);  // never written past the array
    }
}
