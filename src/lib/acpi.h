// Validating parsers for the ACPI tables the kernel needs to boot: RSDP, RSDT/XSDT, MADT.
#pragma once

#include "lib/kstd/types.h"

// Firmware tables are trusted little: every length is checked against what the
// reader handed out before a byte is looked at, every checksum is verified, and
// fixed-capacity outputs report overflow instead of truncating.
//
// Physical memory is reached only through a PhysReader, so the same code runs in
// the kernel (direct map) and in host tests (fake memory). The parser reads only
// the bytes of the range it asked for, never around it. Returned pointers must
// stay valid while the parse call runs; TableRef::data for as long as the caller
// uses it (the kernel's direct map never goes away).
namespace acpi {

// A pointer to len readable bytes at phys, or nullptr if that range is not readable.
using PhysReader = const void* (*)(void* ctx, u64 phys, usize len);

// [ACPI 6.5 5.2.5.3] RSDP layout sizes.
constexpr u32 kRsdpV1Size = 20;  // through RsdtAddress, covered by the first checksum
constexpr u32 kRsdpV2Size = 36;  // through the reserved bytes after the extended checksum
// [ACPI 6.5 5.2.6] every system description table starts with this header.
constexpr u32 kSdtHeaderSize = 36;
// [ACPI 6.5 5.2.12] MADT header: SDT header, local APIC address, flags.
constexpr u32 kMadtHeaderSize = 44;

// [ACPI 6.5 5.2.5.1] where a legacy BIOS leaves the RSDP.
constexpr u64 kEbdaSegmentPointer = 0x40e;  // BDA word: EBDA real-mode segment
constexpr u64 kEbdaScanSize = 1024;
constexpr u64 kBiosAreaStart = 0xe0000;
constexpr u64 kBiosAreaEnd = 0x100000;  // exclusive

struct Rsdp {
    u64 phys;        // where it was found; 0 if validated from a copy (multiboot2)
    u8 revision;     // 0: ACPI 1.0 (RSDT only); >= 2: ACPI 2.0+ (XSDT too)
    u32 length;      // 20 for revision < 2, else the length field
    u32 rsdt;        // physical address of the RSDT, may be 0 on 2.0+ systems
    u64 xsdt;        // physical address of the XSDT; 0 for revision < 2
    char oem_id[7];  // NUL-terminated
};

// A table whose header, length and checksum have been validated.
struct TableRef {
    u64 phys;
    const u8* data;  // from the reader, covers exactly [phys, phys + length)
    u32 length;
    u8 revision;
    char signature[5];  // NUL-terminated
};

// [ACPI 6.5 5.2.12.2, 5.2.12.12] processor local (x2)APIC flags.
constexpr u32 kCpuEnabled = 1u << 0;
constexpr u32 kCpuOnlineCapable = 1u << 1;  // ACPI 6.3+: may be enabled at runtime
// [ACPI 6.5 Table 5.19] MADT flags.
constexpr u32 kMadtPcatCompat = 1u << 0;  // dual 8259s present: mask them before using the I/O APIC
// [ACPI 6.5 Table 5.26] MPS INTI flags of overrides and NMI entries.
constexpr u16 kPolarityMask = 0x3;  // 0 bus default, 1 active high, 3 active low
constexpr u16 kTriggerShift = 2;
constexpr u16 kTriggerMask = 0x3;  // 0 bus default, 1 edge, 3 level
// [ACPI 6.5 5.2.12.7, 5.2.12.13] "all processors" in NMI entries.
constexpr u32 kAllCpusUid = 0xff;
constexpr u32 kAllCpusX2Uid = 0xffffffff;

enum MadtEntryType : u8 {
    kMadtLocalApic = 0,
    kMadtIoApic = 1,
    kMadtOverride = 2,
    kMadtLocalApicNmi = 4,
    kMadtLocalApicAddress = 5,
    kMadtLocalX2Apic = 9,
    kMadtLocalX2ApicNmi = 0xa,
};

// Fixed capacity: the MADT is parsed before any allocator exists.
constexpr usize kMaxCpus = 256;
constexpr usize kMaxIoApics = 16;
constexpr usize kMaxOverrides = 48;
constexpr usize kMaxNmis = 32;

struct Cpu {
    u32 apic_id;  // xAPIC id (type 0, < 256) or x2APIC id (type 9)
    u32 uid;      // ACPI processor UID, matches the namespace's Processor objects
    u32 flags;    // kCpuEnabled, kCpuOnlineCapable
    bool x2apic;  // from a processor local x2APIC entry

    // Neither enabled nor online-capable: firmware says never to start it.
    bool usable() const { return (flags & (kCpuEnabled | kCpuOnlineCapable)) != 0; }
};

struct IoApic {
    u8 id;
    u32 address;   // physical MMIO base
    u32 gsi_base;  // first global system interrupt this I/O APIC serves
};

// An ISA IRQ that does not arrive on the GSI of the same number (or not as edge/high).
struct Override {
    u8 bus;  // 0 = ISA
    u8 source;
    u32 gsi;
    u16 flags;  // MPS INTI flags

    u16 polarity() const { return flags & kPolarityMask; }
    u16 trigger() const { return (flags >> kTriggerShift) & kTriggerMask; }
};

// Which LINT pin of which CPU's local APIC is wired to NMI.
struct Nmi {
    u32 uid;  // ACPI processor UID, or kAllCpusUid / kAllCpusX2Uid
    u16 flags;
    u8 lint;      // 0 or 1
    bool x2apic;  // from a local x2APIC NMI entry

    bool all_cpus() const { return uid == (x2apic ? kAllCpusX2Uid : kAllCpusUid); }
};

struct Madt {
    u64 lapic_address;  // 64-bit override if present, else the header's 32-bit field
    bool lapic_address_overridden;
    u32 flags;  // kMadtPcatCompat
    Cpu cpus[kMaxCpus];
    usize cpu_count;  // including unusable ones
    IoApic io_apics[kMaxIoApics];
    usize io_apic_count;
    Override overrides[kMaxOverrides];
    usize override_count;
    Nmi nmis[kMaxNmis];
    usize nmi_count;
    usize entry_count;    // every entry, parsed or not
    usize skipped_count;  // entries of types this parser does not handle

    bool pcat_compat() const { return (flags & kMadtPcatCompat) != 0; }
};

enum class Error : u8 {
    kNone,
    kNullPointer,
    kRsdpTooShort,             // value = bytes available, limit = bytes needed
    kRsdpBadSignature,         // found = the 8 bytes read
    kRsdpBadChecksum,          // value = byte sum of the first 20 bytes
    kRsdpBadLength,            // value = length field (revision >= 2), limit = minimum
    kRsdpBadExtendedChecksum,  // value = byte sum, limit = length
    kRsdpNotFound,             // legacy scan; value = candidates rejected, phys = first one, limit =
                               // EBDA base (0: none), index = windows scanned (bit 0 EBDA, bit 1 BIOS)
    kNoRootTable,              // RSDP holds neither an RSDT nor a usable XSDT address
    kHeaderUnreadable,         // the 36-byte header at phys
    kRootEntryUnreadable,      // phys = root table, index = entry number, value = the header's address
    kTableBadSignature,        // found = signature read
    kTableTooShort,            // value = length, limit = minimum
    kTableUnreadable,          // value = length: the table runs into unreadable memory
    kTableBadChecksum,         // value = byte sum
    kTableNotFound,            // phys = root table, found = its signature, index = requested,
                               // value = tables with that signature, limit = root entries
    kEntryHeaderTruncated,     // MADT; value = bytes left
    kEntryTooShort,            // MADT; value = length field (< 2)
    kEntryPastEnd,             // MADT; value = length field, limit = table length
    kEntryTooShortForType,     // MADT; value = length field, limit = the type's size
    kTooManyCpus,              // MADT; limit = capacity (same for the three below)
    kTooManyIoApics,
    kTooManyOverrides,
    kTooManyNmis,
};

// Where and why parsing failed. Fields not named by the Error are zero / "".
struct ParseResult {
    Error error;
    u64 phys;           // RSDP or table concerned; 0 if unknown
    u32 offset;         // MADT entry offset within the table
    u32 index;          // MADT entry number; root entry number; requested table index
    u32 entry_type;     // MADT entry type
    u64 value;          // see Error
    u64 limit;          // see Error
    char signature[5];  // table concerned ("APIC", "XSDT"); "" for the RSDP or unknown
    char found[9];      // signature actually read, non-printables as '?'

    bool ok() const { return error == Error::kNone; }
};

// Validates an RSDP copy of len readable bytes at p (a multiboot2 tag payload, or
// memory from a scan). Revision >= 2 needs len >= its length field.
ParseResult validate_rsdp(const void* p, usize len, Rsdp& out);

// Scans the first KiB of the EBDA, then 0xe0000-0xfffff, on 16-byte boundaries
// [ACPI 6.5 5.2.5.1]. Candidates failing validation are skipped and counted.
ParseResult find_rsdp_legacy(PhysReader read, void* ctx, Rsdp& out);

// Validates the table at phys: header readable, signature (if expected is not
// null), length >= 36, whole length readable, byte sum 0.
ParseResult read_table(PhysReader read, void* ctx, u64 phys, const char* expected, TableRef& out);

// The index-th (from 0) table with signature sig listed in the XSDT (revision >= 2
// and non-zero address) or else the RSDT. The root table is validated each call;
// of the tables it lists, only those with a matching signature are validated, so
// a broken table nobody asks for does not hide the others. Null entries are skipped.
ParseResult find_table(const Rsdp& rsdp, PhysReader read, void* ctx, const char sig[4], u32 index,
                       TableRef& out);

// Parses a MADT found by find_table. On failure out is partially filled.
ParseResult parse_madt(const TableRef& table, Madt& out);

// One-line message ("acpi: ..."), written with fmt::snprintf; returns the full
// length as snprintf does.
usize describe(const ParseResult& result, char* buf, usize size);

const char* error_name(Error error);
const char* madt_entry_name(u32 type);

}  // namespace acpi
