// ACPI RSDP / root table / MADT parsers: every length checked before use, every checksum verified.
#include "lib/acpi.h"

#include "lib/format.h"
#include "lib/kstd/unaligned.h"

namespace acpi {
namespace {

// Firmware tables make no alignment promises (XSDT entries sit at offset 36).
using kstd::read_u16;
using kstd::read_u32;
using kstd::read_u64;

const u8* read_phys(PhysReader read, void* ctx, u64 phys, usize len) {
    return static_cast<const u8*>(read(ctx, phys, len));
}

// [ACPI 6.5 5.2.5.3, 5.2.6] a structure is valid when all its bytes sum to 0 (mod 256).
u8 byte_sum(const u8* p, usize n) {
    u8 sum = 0;
    for (usize i = 0; i < n; ++i) sum = static_cast<u8>(sum + p[i]);
    return sum;
}

bool bytes_equal(const u8* p, const char* s, usize n) {
    for (usize i = 0; i < n; ++i) {
        if (p[i] != static_cast<u8>(s[i])) return false;
    }
    return true;
}

// Copies n signature bytes for a message; garbage must not reach the console raw.
void copy_printable(char* dst, const void* src, usize n) {
    const auto* s = static_cast<const u8*>(src);
    for (usize i = 0; i < n; ++i) dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? static_cast<char>(s[i]) : '?';
    dst[n] = 0;
}

constexpr char kRsdpSignature[] = "RSD PTR ";

ParseResult result(Error error, u64 phys = 0, u64 value = 0, u64 limit = 0) {
    ParseResult r{};
    r.error = error;
    r.phys = phys;
    r.value = value;
    r.limit = limit;
    return r;
}

ParseResult table_result(Error error, u64 phys, const char* sig, u64 value = 0, u64 limit = 0) {
    ParseResult r = result(error, phys, value, limit);
    copy_printable(r.signature, sig, 4);
    return r;
}

}  // namespace

ParseResult validate_rsdp(const void* p, usize len, Rsdp& out) {
    out = Rsdp{};
    if (p == nullptr) return result(Error::kNullPointer);
    const auto* b = static_cast<const u8*>(p);
    if (len < kRsdpV1Size) return result(Error::kRsdpTooShort, 0, len, kRsdpV1Size);
    if (!bytes_equal(b, kRsdpSignature, 8)) {
        ParseResult r = result(Error::kRsdpBadSignature);
        copy_printable(r.found, b, 8);
        return r;
    }
    // [ACPI 6.5 Table 5.3] the first checksum covers the ACPI 1.0 part only.
    u8 sum = byte_sum(b, kRsdpV1Size);
    if (sum != 0) return result(Error::kRsdpBadChecksum, 0, sum, kRsdpV1Size);

    u8 revision = b[15];
    out.length = kRsdpV1Size;
    if (revision >= 2) {  // revision 1 was never defined; 2 covers every ACPI 2.0+ RSDP
        if (len < kRsdpV2Size) return result(Error::kRsdpTooShort, 0, len, kRsdpV2Size);
        u32 length = read_u32(b + 20);
        if (length < kRsdpV2Size) return result(Error::kRsdpBadLength, 0, length, kRsdpV2Size);
        if (length > len) return result(Error::kRsdpTooShort, 0, len, length);
        sum = byte_sum(b, length);
        if (sum != 0) return result(Error::kRsdpBadExtendedChecksum, 0, sum, length);
        out.length = length;
        out.xsdt = read_u64(b + 24);
    }
    out.revision = revision;
    out.rsdt = read_u32(b + 16);
    copy_printable(out.oem_id, b + 9, 6);
    return result(Error::kNone);
}

namespace {

struct Scan {
    PhysReader read;
    void* ctx;
    u32 rejected;
    u64 first_rejected;
    u32 windows_scanned;  // bit 0: EBDA, bit 1: BIOS area
};

// Looks for a valid RSDP on each 16-byte boundary of [base, base + size) whose
// 20-byte ACPI 1.0 part lies inside the window.
bool scan_window(Scan& s, u64 base, u64 size, u32 window_bit, Rsdp& out) {
    const u8* w = read_phys(s.read, s.ctx, base, size);
    if (w == nullptr) return false;
    s.windows_scanned |= window_bit;
    for (u64 off = 0; off + kRsdpV1Size <= size; off += 16) {
        if (!bytes_equal(w + off, kRsdpSignature, 8)) continue;
        ParseResult r = validate_rsdp(w + off, size - off, out);
        // A 2.0+ RSDP may extend past the window's end: ask for exactly the bytes it
        // claims (36, then its length field), no more than twice.
        for (int tries = 0; r.error == Error::kRsdpTooShort && tries < 2; ++tries) {
            const void* p = s.read(s.ctx, base + off, r.limit);
            if (p == nullptr) break;
            r = validate_rsdp(p, r.limit, out);
        }
        if (r.ok()) {
            out.phys = base + off;
            return true;
        }
        if (s.rejected++ == 0) s.first_rejected = base + off;
    }
    return false;
}

}  // namespace

ParseResult find_rsdp_legacy(PhysReader read, void* ctx, Rsdp& out) {
    out = Rsdp{};
    Scan s{read, ctx, 0, 0, 0};
    // [ACPI 6.5 5.2.5.1] the BDA word at 0x40e holds the EBDA's real-mode segment.
    const u8* bda = read_phys(read, ctx, kEbdaSegmentPointer, 2);
    u64 ebda = bda != nullptr ? u64{read_u16(bda)} << 4 : 0;
    if (ebda != 0 && scan_window(s, ebda, kEbdaScanSize, 1, out)) return result(Error::kNone, out.phys);
    if (scan_window(s, kBiosAreaStart, kBiosAreaEnd - kBiosAreaStart, 2, out)) {
        return result(Error::kNone, out.phys);
    }
    out = Rsdp{};
    ParseResult r = result(Error::kRsdpNotFound, s.first_rejected, s.rejected, ebda);
    r.index = s.windows_scanned;
    return r;
}

ParseResult read_table(PhysReader read, void* ctx, u64 phys, const char* expected, TableRef& out) {
    out = TableRef{};
    ParseResult r = result(Error::kNone, phys);
    if (expected != nullptr) copy_printable(r.signature, expected, 4);
    const u8* header = read_phys(read, ctx, phys, kSdtHeaderSize);
    if (header == nullptr) {
        r.error = Error::kHeaderUnreadable;
        return r;
    }
    if (expected != nullptr && !bytes_equal(header, expected, 4)) {
        r.error = Error::kTableBadSignature;
        copy_printable(r.found, header, 4);
        return r;
    }
    copy_printable(r.signature, header, 4);
    u32 length = read_u32(header + 4);
    if (length < kSdtHeaderSize) {
        return table_result(Error::kTableTooShort, phys, r.signature, length, kSdtHeaderSize);
    }
    const u8* table = read_phys(read, ctx, phys, length);
    if (table == nullptr) return table_result(Error::kTableUnreadable, phys, r.signature, length);
    u8 sum = byte_sum(table, length);
    if (sum != 0) return table_result(Error::kTableBadChecksum, phys, r.signature, sum);

    out.phys = phys;
    out.data = table;
    out.length = length;
    out.revision = table[8];
    copy_printable(out.signature, table, 4);
    return r;
}

ParseResult find_table(const Rsdp& rsdp, PhysReader read, void* ctx, const char sig[4], u32 index,
                       TableRef& out) {
    out = TableRef{};
    // [ACPI 6.5 5.2.5.3] 2.0+ firmware provides the XSDT, whose 64-bit entries
    // reach tables above 4 GiB; the RSDT is for ACPI 1.0 operating systems.
    bool use_xsdt = rsdp.revision >= 2 && rsdp.xsdt != 0;
    u64 root_phys = use_xsdt ? rsdp.xsdt : rsdp.rsdt;
    const char* root_sig = use_xsdt ? "XSDT" : "RSDT";
    if (root_phys == 0) return result(Error::kNoRootTable, rsdp.phys, rsdp.revision);

    TableRef root;
    ParseResult r = read_table(read, ctx, root_phys, root_sig, root);
    if (!r.ok()) return r;
    // [ACPI 6.5 5.2.7, 5.2.8] entries fill the rest of the table. A partial trailing
    // entry is ignored rather than fatal, as other kernels do: the checksum held.
    u32 width = use_xsdt ? 8 : 4;
    u32 entries = (root.length - kSdtHeaderSize) / width;
    u32 matches = 0;
    for (u32 i = 0; i < entries; ++i) {
        const u8* entry = root.data + kSdtHeaderSize + i * width;
        u64 phys = use_xsdt ? read_u64(entry) : read_u32(entry);
        if (phys == 0) continue;  // seen in the wild; points at nothing
        const u8* header = read_phys(read, ctx, phys, kSdtHeaderSize);
        if (header == nullptr) {
            ParseResult bad = table_result(Error::kRootEntryUnreadable, root_phys, root_sig, phys);
            bad.index = i;
            return bad;
        }
        if (!bytes_equal(header, sig, 4) || matches++ != index) continue;
        return read_table(read, ctx, phys, sig, out);
    }
    ParseResult missing = table_result(Error::kTableNotFound, root_phys, sig, matches, entries);
    missing.index = index;
    copy_printable(missing.found, root_sig, 4);
    return missing;
}

namespace {

// [ACPI 6.5 5.2.12.x] byte size of each entry type parsed; 0 for the others.
// Longer entries are accepted: later revisions append fields.
u32 entry_size(u32 type) {
    switch (type) {
    case kMadtLocalApic: return 8;
    case kMadtIoApic: return 12;
    case kMadtOverride: return 10;
    case kMadtLocalApicNmi: return 6;
    case kMadtLocalApicAddress: return 12;
    case kMadtLocalX2Apic: return 16;
    case kMadtLocalX2ApicNmi: return 12;
    default: return 0;
    }
}

template <typename T, usize N> Error append(T (&items)[N], usize& count, const T& item, Error full) {
    if (count == N) return full;
    items[count++] = item;
    return Error::kNone;
}

// e points at an entry at least entry_size(e[0]) bytes long.
Error parse_entry(const u8* e, Madt& out) {
    switch (e[0]) {
    case kMadtLocalApic:  // [5.2.12.2] uid, APIC id, flags
        return append(out.cpus, out.cpu_count, Cpu{e[3], e[2], read_u32(e + 4), false}, Error::kTooManyCpus);
    case kMadtLocalX2Apic:  // [5.2.12.12] reserved, x2APIC id, flags, uid
        return append(out.cpus, out.cpu_count, Cpu{read_u32(e + 4), read_u32(e + 12), read_u32(e + 8), true},
                      Error::kTooManyCpus);
    case kMadtIoApic:  // [5.2.12.3] id, reserved, address, GSI base
        return append(out.io_apics, out.io_apic_count, IoApic{e[2], read_u32(e + 4), read_u32(e + 8)},
                      Error::kTooManyIoApics);
    case kMadtOverride:  // [5.2.12.5] bus, source, GSI, flags
        return append(out.overrides, out.override_count,
                      Override{e[2], e[3], read_u32(e + 4), read_u16(e + 8)}, Error::kTooManyOverrides);
    case kMadtLocalApicNmi:  // [5.2.12.7] uid, flags, LINT#
        return append(out.nmis, out.nmi_count, Nmi{e[2], read_u16(e + 3), e[5], false}, Error::kTooManyNmis);
    case kMadtLocalX2ApicNmi:  // [5.2.12.13] flags, uid, LINT#
        return append(out.nmis, out.nmi_count, Nmi{read_u32(e + 4), read_u16(e + 2), e[8], true},
                      Error::kTooManyNmis);
    case kMadtLocalApicAddress:  // [5.2.12.8] reserved, 64-bit address; supersedes the header's
        out.lapic_address = read_u64(e + 4);
        out.lapic_address_overridden = true;
        return Error::kNone;
    default: ++out.skipped_count; return Error::kNone;
    }
}

usize capacity_of(Error error) {
    switch (error) {
    case Error::kTooManyCpus: return kMaxCpus;
    case Error::kTooManyIoApics: return kMaxIoApics;
    case Error::kTooManyOverrides: return kMaxOverrides;
    default: return kMaxNmis;
    }
}

}  // namespace

ParseResult parse_madt(const TableRef& table, Madt& out) {
    out.lapic_address = 0;
    out.lapic_address_overridden = false;
    out.flags = 0;
    out.cpu_count = out.io_apic_count = out.override_count = out.nmi_count = 0;
    out.entry_count = out.skipped_count = 0;

    const u8* t = table.data;
    if (t == nullptr) return result(Error::kNullPointer, table.phys);
    if (table.length < kSdtHeaderSize) {
        return table_result(Error::kTableTooShort, table.phys, "APIC", table.length, kSdtHeaderSize);
    }
    if (!bytes_equal(t, "APIC", 4)) {
        ParseResult r = table_result(Error::kTableBadSignature, table.phys, "APIC");
        copy_printable(r.found, t, 4);
        return r;
    }
    if (table.length < kMadtHeaderSize) {
        return table_result(Error::kTableTooShort, table.phys, "APIC", table.length, kMadtHeaderSize);
    }
    out.lapic_address = read_u32(t + 36);
    out.flags = read_u32(t + 40);

    // Every read below is of bytes [offset, offset + length) with offset + length <= table.length.
    u32 offset = kMadtHeaderSize;
    for (u32 index = 0; offset < table.length; ++index) {
        ParseResult r = table_result(Error::kNone, table.phys, "APIC");
        r.offset = offset;
        r.index = index;
        u32 left = table.length - offset;
        if (left < 2) {
            r.error = Error::kEntryHeaderTruncated;
            r.value = left;
            return r;
        }
        r.entry_type = t[offset];
        u32 length = t[offset + 1];
        r.value = length;
        // A zero length would never advance; 1 cannot even hold the header.
        if (length < 2) {
            r.error = Error::kEntryTooShort;
            r.limit = 2;
            return r;
        }
        if (length > left) {
            r.error = Error::kEntryPastEnd;
            r.limit = table.length;
            return r;
        }
        if (length < entry_size(r.entry_type)) {
            r.error = Error::kEntryTooShortForType;
            r.limit = entry_size(r.entry_type);
            return r;
        }
        Error e = parse_entry(t + offset, out);
        if (e != Error::kNone) {
            r.error = e;
            r.value = 0;
            r.limit = capacity_of(e);
            return r;
        }
        ++out.entry_count;
        offset += length;
    }
    return result(Error::kNone, table.phys);
}

namespace {

// u64 is unsigned long on x86_64 (kernel and host alike); the cast keeps %lx honest.
unsigned long ul(u64 v) { return static_cast<unsigned long>(v); }

// "RSDP" or "RSDP at 0x..." (a copy from the boot loader has no address).
usize rsdp_prefix(const ParseResult& r, char* buf, usize size) {
    if (r.phys == 0) return fmt::snprintf(buf, size, "RSDP");
    return fmt::snprintf(buf, size, "RSDP at 0x%lx", ul(r.phys));
}

// Explains kRsdpNotFound: which windows were searched and what was turned down.
void describe_not_found(const ParseResult& r, char* buf, usize size) {
    char ebda[64];
    if (r.limit == 0) fmt::snprintf(ebda, sizeof(ebda), "no EBDA (segment word at 0x40e is 0 or unreadable)");
    else if (r.index & 1) fmt::snprintf(ebda, sizeof(ebda), "EBDA at 0x%lx", ul(r.limit));
    else fmt::snprintf(ebda, sizeof(ebda), "EBDA at 0x%lx unreadable", ul(r.limit));
    const char* bios = r.index & 2 ? "0xe0000-0xfffff" : "0xe0000-0xfffff unreadable";
    if (r.value == 0) {
        fmt::snprintf(buf, size, "no RSDP signature found (%s; %s)", ebda, bios);
        return;
    }
    fmt::snprintf(buf, size, "no valid RSDP (%s; %s): %lu candidate%s rejected, the first at 0x%lx", ebda,
                  bios, ul(r.value), r.value == 1 ? "" : "s", ul(r.phys));
}

// The error-specific part of describe()'s message, after "acpi: ".
void describe_body(const ParseResult& r, char* buf, usize size) {
    char at[48];
    if (r.signature[0] != 0) fmt::snprintf(at, sizeof(at), "table %s at 0x%lx", r.signature, ul(r.phys));
    else fmt::snprintf(at, sizeof(at), "table at 0x%lx", ul(r.phys));
    char entry[96];
    if (r.error == Error::kEntryHeaderTruncated) {
        fmt::snprintf(entry, sizeof(entry), "MADT entry #%u at offset 0x%x", r.index, r.offset);
    } else {
        fmt::snprintf(entry, sizeof(entry), "MADT entry #%u (type %u, %s) at offset 0x%x", r.index,
                      r.entry_type, madt_entry_name(r.entry_type), r.offset);
    }
    char rsdp[40];
    rsdp_prefix(r, rsdp, sizeof(rsdp));

    switch (r.error) {
    case Error::kNone: fmt::snprintf(buf, size, "ok"); return;
    case Error::kNullPointer: fmt::snprintf(buf, size, "null pointer"); return;
    case Error::kRsdpTooShort:
        fmt::snprintf(buf, size, "%s: only %lu bytes readable, needs %lu", rsdp, ul(r.value), ul(r.limit));
        return;
    case Error::kRsdpBadSignature:
        fmt::snprintf(buf, size, "%s: signature \"%s\" (should be \"RSD PTR \")", rsdp, r.found);
        return;
    case Error::kRsdpBadChecksum:
        fmt::snprintf(buf, size, "%s: checksum of the first %lu bytes 0x%lx (should be 0)", rsdp, ul(r.limit),
                      ul(r.value));
        return;
    case Error::kRsdpBadLength:
        fmt::snprintf(buf, size, "%s: length %lu, needs at least %lu", rsdp, ul(r.value), ul(r.limit));
        return;
    case Error::kRsdpBadExtendedChecksum:
        fmt::snprintf(buf, size, "%s: extended checksum over %lu bytes 0x%lx (should be 0)", rsdp,
                      ul(r.limit), ul(r.value));
        return;
    case Error::kRsdpNotFound: describe_not_found(r, buf, size); return;
    case Error::kNoRootTable:
        fmt::snprintf(buf, size, "%s (revision %lu) gives neither an RSDT nor an XSDT address", rsdp,
                      ul(r.value));
        return;
    case Error::kHeaderUnreadable:
        fmt::snprintf(buf, size, "%s: %u-byte header not readable", at, kSdtHeaderSize);
        return;
    case Error::kRootEntryUnreadable:
        fmt::snprintf(buf, size, "%s: entry #%u points to 0x%lx, whose %u-byte header is not readable", at,
                      r.index, ul(r.value), kSdtHeaderSize);
        return;
    case Error::kTableBadSignature:
        fmt::snprintf(buf, size, "%s: signature \"%s\" (should be \"%s\")", at, r.found, r.signature);
        return;
    case Error::kTableTooShort:
        fmt::snprintf(buf, size, "%s: length %lu, needs at least %lu", at, ul(r.value), ul(r.limit));
        return;
    case Error::kTableUnreadable:
        fmt::snprintf(buf, size, "%s: length 0x%lx runs into unreadable memory", at, ul(r.value));
        return;
    case Error::kTableBadChecksum:
        fmt::snprintf(buf, size, "%s: checksum 0x%lx (should be 0)", at, ul(r.value));
        return;
    case Error::kTableNotFound:
        fmt::snprintf(buf, size, "no table %s #%u: the %s at 0x%lx lists %lu such of %lu tables", r.signature,
                      r.index, r.found, ul(r.phys), ul(r.value), ul(r.limit));
        return;
    case Error::kEntryHeaderTruncated:
        fmt::snprintf(buf, size, "%s: only %lu byte left for the 2-byte entry header", entry, ul(r.value));
        return;
    case Error::kEntryTooShort:
    case Error::kEntryTooShortForType:
        fmt::snprintf(buf, size, "%s: length %lu, needs %lu", entry, ul(r.value), ul(r.limit));
        return;
    case Error::kEntryPastEnd:
        fmt::snprintf(buf, size, "%s: length %lu runs past the table end (0x%x + %lu > table length 0x%lx)",
                      entry, ul(r.value), r.offset, ul(r.value), ul(r.limit));
        return;
    case Error::kTooManyCpus:
        fmt::snprintf(buf, size, "%s: more than %lu CPUs", entry, ul(r.limit));
        return;
    case Error::kTooManyIoApics:
        fmt::snprintf(buf, size, "%s: more than %lu I/O APICs", entry, ul(r.limit));
        return;
    case Error::kTooManyOverrides:
        fmt::snprintf(buf, size, "%s: more than %lu interrupt source overrides", entry, ul(r.limit));
        return;
    case Error::kTooManyNmis:
        fmt::snprintf(buf, size, "%s: more than %lu NMI entries", entry, ul(r.limit));
        return;
    }
    fmt::snprintf(buf, size, "unknown error %u", static_cast<u32>(r.error));
}

}  // namespace

usize describe(const ParseResult& r, char* buf, usize size) {
    char body[192];
    describe_body(r, body, sizeof(body));
    return fmt::snprintf(buf, size, "acpi: %s", body);
}

const char* error_name(Error error) {
    switch (error) {
    case Error::kNone: return "none";
    case Error::kNullPointer: return "null pointer";
    case Error::kRsdpTooShort: return "RSDP too short";
    case Error::kRsdpBadSignature: return "RSDP bad signature";
    case Error::kRsdpBadChecksum: return "RSDP bad checksum";
    case Error::kRsdpBadLength: return "RSDP bad length";
    case Error::kRsdpBadExtendedChecksum: return "RSDP bad extended checksum";
    case Error::kRsdpNotFound: return "RSDP not found";
    case Error::kNoRootTable: return "no root table";
    case Error::kHeaderUnreadable: return "header unreadable";
    case Error::kRootEntryUnreadable: return "root entry unreadable";
    case Error::kTableBadSignature: return "table bad signature";
    case Error::kTableTooShort: return "table too short";
    case Error::kTableUnreadable: return "table unreadable";
    case Error::kTableBadChecksum: return "table bad checksum";
    case Error::kTableNotFound: return "table not found";
    case Error::kEntryHeaderTruncated: return "entry header truncated";
    case Error::kEntryTooShort: return "entry too short";
    case Error::kEntryPastEnd: return "entry past end";
    case Error::kEntryTooShortForType: return "entry too short for type";
    case Error::kTooManyCpus: return "too many CPUs";
    case Error::kTooManyIoApics: return "too many I/O APICs";
    case Error::kTooManyOverrides: return "too many overrides";
    case Error::kTooManyNmis: return "too many NMIs";
    }
    return "unknown error";
}

// [ACPI 6.5 Table 5.20] every MADT entry type, so messages about skipped ones read well.
const char* madt_entry_name(u32 type) {
    switch (type) {
    case 0x0: return "processor local APIC";
    case 0x1: return "I/O APIC";
    case 0x2: return "interrupt source override";
    case 0x3: return "NMI source";
    case 0x4: return "local APIC NMI";
    case 0x5: return "local APIC address override";
    case 0x6: return "I/O SAPIC";
    case 0x7: return "local SAPIC";
    case 0x8: return "platform interrupt sources";
    case 0x9: return "processor local x2APIC";
    case 0xa: return "local x2APIC NMI";
    case 0xb: return "GIC CPU interface";
    case 0xc: return "GIC distributor";
    case 0xd: return "GIC MSI frame";
    case 0xe: return "GIC redistributor";
    case 0xf: return "GIC ITS";
    case 0x10: return "multiprocessor wakeup";
    default: return type >= 0x80 ? "OEM" : "reserved";
    }
}

}  // namespace acpi
