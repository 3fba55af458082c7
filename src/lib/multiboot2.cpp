// Multiboot2 info block parser: walks the tags, validating every size before use.
#include "lib/multiboot2.h"

#include "lib/format.h"
#include "lib/kstd/unaligned.h"
#include "lib/kstd/utility.h"

namespace mb2 {
namespace {

using kstd::read_u32;
using kstd::read_u64;

// A tag whose size has been checked to lie within the block.
struct Tag {
    u32 type;
    u32 size;
    const u8* payload;  // right after the 8-byte tag header
    u32 payload_size;
};

// What a tag handler reports; error kNone means the tag was accepted.
struct Verdict {
    Error error;
    u32 value;
};

constexpr Verdict kAccept{Error::kNone, 0};

// Every string must end inside its own tag, or a reader would run into the next one.
Verdict check_string(const u8* s, u32 n, const char*& out) {
    for (u32 i = 0; i < n; ++i) {
        if (s[i] == 0) {
            out = reinterpret_cast<const char*>(s);
            return kAccept;
        }
    }
    return {Error::kStringNotTerminated, 0};
}

// [Multiboot2 spec 3.6.6] mod_start, mod_end, then the module's string.
Verdict parse_module(const Tag& tag, Info& out) {
    if (tag.payload_size < 8) return {Error::kModuleTooShort, 0};
    u32 start = read_u32(tag.payload);
    u32 end = read_u32(tag.payload + 4);
    if (start > end) return {Error::kModuleRangeInverted, start};
    if (out.module_count == kMaxModules) return {Error::kTooManyModules, static_cast<u32>(kMaxModules)};
    const char* string = nullptr;
    Verdict v = check_string(tag.payload + 8, tag.payload_size - 8, string);
    if (v.error != Error::kNone) return v;
    out.modules[out.module_count++] = {start, end, string};
    return kAccept;
}

// [Multiboot2 spec 3.6.3] mem_lower and mem_upper in KiB.
Verdict parse_basic_meminfo(const Tag& tag, Info& out) {
    if (tag.payload_size < 8) return {Error::kBasicMeminfoTooShort, 0};
    out.has_basic_meminfo = true;
    out.mem_lower_kib = read_u32(tag.payload);
    out.mem_upper_kib = read_u32(tag.payload + 4);
    return kAccept;
}

// [Multiboot2 spec 3.6.8] entry_size, entry_version, then entries. entry_size is
// honoured rather than assumed to be 24 so that future, longer entries still parse;
// it must stay a multiple of 8 to keep the u64 fields aligned.
Verdict parse_memory_map(const Tag& tag, Info& out) {
    if (tag.payload_size < 8) return {Error::kMmapTooShort, 0};
    u32 entry_size = read_u32(tag.payload);
    if (entry_size < kMmapMinEntrySize || entry_size % 8 != 0) return {Error::kMmapBadEntrySize, entry_size};
    u32 bytes = tag.payload_size - 8;
    if (bytes % entry_size != 0) return {Error::kMmapEntriesPastTag, entry_size};
    usize count = bytes / entry_size;
    if (count > kMaxMemoryRegions - out.region_count) {
        return {Error::kTooManyMemoryRegions, static_cast<u32>(out.region_count + count)};
    }
    const u8* entry = tag.payload + 8;
    for (usize i = 0; i < count; ++i, entry += entry_size) {
        out.regions[out.region_count++] = {read_u64(entry), read_u64(entry + 8), read_u32(entry + 16)};
    }
    return kAccept;
}

// [Multiboot2 spec 3.6.11/3.6.12] copies of the ACPI RSDP: 20 bytes for ACPI 1.0,
// 36 for the 2.0+ XSDP. The newer one wins since it carries the XSDT address.
Verdict parse_rsdp(const Tag& tag, Info& out) {
    u32 version = tag.type == kTagAcpiNewRsdp ? 2 : 1;
    u32 needed = version == 2 ? kRsdpV2Size : kRsdpV1Size;
    if (tag.payload_size < needed) return {Error::kRsdpTooShort, tag.payload_size};
    if (version >= out.rsdp_version) {
        out.rsdp = tag.payload;
        out.rsdp_length = tag.payload_size;
        out.rsdp_version = version;
    }
    return kAccept;
}

Verdict parse_tag(const Tag& tag, Info& out) {
    switch (tag.type) {
    case kTagCmdline: return check_string(tag.payload, tag.payload_size, out.cmdline);
    case kTagBootloaderName: return check_string(tag.payload, tag.payload_size, out.bootloader_name);
    case kTagModule: return parse_module(tag, out);
    case kTagBasicMeminfo: return parse_basic_meminfo(tag, out);
    case kTagMemoryMap: return parse_memory_map(tag, out);
    case kTagAcpiOldRsdp:
    case kTagAcpiNewRsdp: return parse_rsdp(tag, out);
    default: return kAccept;  // framebuffer, ELF sections, EFI, ...: not ours to judge
    }
}

void reset(Info& out) {
    out.total_size = 0;
    out.cmdline = "";
    out.bootloader_name = "";
    out.region_count = 0;
    out.module_count = 0;
    out.has_basic_meminfo = false;
    out.mem_lower_kib = 0;
    out.mem_upper_kib = 0;
    out.rsdp = nullptr;
    out.rsdp_length = 0;
    out.rsdp_version = 0;
}

ParseResult block_error(Error error, u32 value, u32 total_size) {
    return {error, 0, 0, 0, value, 0, total_size};
}

}  // namespace

ParseResult parse(const void* data, usize limit, Info& out) {
    reset(out);
    if (data == nullptr) return block_error(Error::kNullPointer, 0, 0);
    uptr address = reinterpret_cast<uptr>(data);
    if (!kstd::is_aligned(address, uptr{8})) return block_error(Error::kMisaligned, static_cast<u32>(address), 0);
    if (limit < kHeaderSize) return block_error(Error::kLimitTooSmall, static_cast<u32>(limit), 0);

    const auto* base = static_cast<const u8*>(data);
    u32 total = read_u32(base);
    if (total < kMinTotalSize) return block_error(Error::kTotalSizeTooSmall, total, total);
    if (total > limit) {
        u32 shown_limit = static_cast<u32>(kstd::min(limit, usize{0xffffffff}));
        return block_error(Error::kTotalSizeExceedsLimit, shown_limit, total);
    }

    // From here on every read is at base + offset with offset + width <= total.
    // offset is 64-bit so that aligning a tag that ends near 4 GiB cannot wrap.
    u64 offset = kHeaderSize;
    for (u32 index = 0;; ++index) {
        ParseResult r{Error::kNone, static_cast<u32>(kstd::min(offset, u64{total})), 0, index, 0, 0, total};
        if (offset >= total) {
            r.error = Error::kMissingEndTag;
            return r;
        }
        u32 left = total - static_cast<u32>(offset);
        if (left < kTagHeaderSize) {
            r.error = Error::kTagHeaderTruncated;
            r.value = left;
            return r;
        }
        const u8* header = base + offset;
        r.tag_type = read_u32(header);
        r.tag_size = read_u32(header + 4);
        if (r.tag_size < kTagHeaderSize) {
            r.error = Error::kTagTooSmall;
            return r;
        }
        if (r.tag_size > left) {
            r.error = Error::kTagPastEnd;
            return r;
        }
        if (r.tag_type == kTagEnd) {
            if (r.tag_size != kTagHeaderSize) {
                r.error = Error::kEndTagBadSize;
                return r;
            }
            if (left != kTagHeaderSize) {
                r.error = Error::kTrailingBytes;
                r.offset += kTagHeaderSize;
                r.value = left - kTagHeaderSize;
                return r;
            }
            out.total_size = total;
            return {Error::kNone, 0, 0, 0, 0, 0, total};
        }
        Tag tag{r.tag_type, r.tag_size, header + kTagHeaderSize, r.tag_size - kTagHeaderSize};
        Verdict v = parse_tag(tag, out);
        if (v.error != Error::kNone) {
            r.error = v.error;
            r.value = v.value;
            return r;
        }
        offset += kstd::align_up(u64{r.tag_size}, u64{8});
    }
}

namespace {

// Fills detail with the error-specific part of describe()'s message and returns
// whether the error concerns a particular tag (and so gets the tag prefix).
bool describe_detail(const ParseResult& r, char* detail, usize size) {
    switch (r.error) {
    case Error::kNone: fmt::snprintf(detail, size, "ok (total_size 0x%x)", r.total_size); return false;
    case Error::kNullPointer: fmt::snprintf(detail, size, "info block pointer is null"); return false;
    case Error::kMisaligned:
        fmt::snprintf(detail, size, "info block address (low bits 0x%x) is not 8-byte aligned", r.value);
        return false;
    case Error::kLimitTooSmall:
        fmt::snprintf(detail, size, "only %u bytes may be read, the fixed header needs %u", r.value, kHeaderSize);
        return false;
    case Error::kTotalSizeTooSmall:
        fmt::snprintf(detail, size, "total_size 0x%x is below the minimum 0x%x (header and end tag)", r.total_size,
                      kMinTotalSize);
        return false;
    case Error::kTotalSizeExceedsLimit:
        fmt::snprintf(detail, size, "total_size 0x%x exceeds the 0x%x bytes that may be read", r.total_size, r.value);
        return false;
    case Error::kTagHeaderTruncated:
        fmt::snprintf(detail, size,
                      "tag #%u at offset 0x%x: only %u bytes left for the %u-byte tag header (total_size 0x%x)",
                      r.tag_index, r.offset, r.value, kTagHeaderSize, r.total_size);
        return false;
    case Error::kMissingEndTag:
        fmt::snprintf(detail, size, "no end tag: the %u tags end at offset 0x%x (total_size 0x%x)", r.tag_index,
                      r.offset, r.total_size);
        return false;
    case Error::kTrailingBytes:
        fmt::snprintf(detail, size, "%u bytes follow the end tag at offset 0x%x (total_size 0x%x)", r.value,
                      r.offset, r.total_size);
        return false;
    case Error::kTagTooSmall:
        fmt::snprintf(detail, size, "size 0x%x is smaller than the %u-byte tag header", r.tag_size, kTagHeaderSize);
        return true;
    case Error::kTagPastEnd:
        fmt::snprintf(detail, size, "size 0x%x runs past the end of the info block (total_size 0x%x)", r.tag_size,
                      r.total_size);
        return true;
    case Error::kEndTagBadSize:
        fmt::snprintf(detail, size, "end tag has size 0x%x, must be 0x%x", r.tag_size, kTagHeaderSize);
        return true;
    case Error::kStringNotTerminated:
        fmt::snprintf(detail, size, "string is not NUL-terminated within the tag (size 0x%x)", r.tag_size);
        return true;
    case Error::kBasicMeminfoTooShort:
        fmt::snprintf(detail, size, "size 0x%x is too short, needs 0x10", r.tag_size);
        return true;
    case Error::kMmapTooShort:
        fmt::snprintf(detail, size, "size 0x%x is too short for the 16-byte memory map header", r.tag_size);
        return true;
    case Error::kMmapBadEntrySize:
        fmt::snprintf(detail, size, "entry_size 0x%x is invalid (must be >= 0x%x and a multiple of 8)", r.value,
                      kMmapMinEntrySize);
        return true;
    case Error::kMmapEntriesPastTag:
        fmt::snprintf(detail, size, "entries of entry_size 0x%x run past the tag (size 0x%x = 16 + 0x%x)", r.value,
                      r.tag_size, r.tag_size - 16);
        return true;
    case Error::kModuleTooShort:
        fmt::snprintf(detail, size, "size 0x%x is too short for mod_start and mod_end", r.tag_size);
        return true;
    case Error::kModuleRangeInverted:
        fmt::snprintf(detail, size, "mod_start 0x%x lies above mod_end", r.value);
        return true;
    case Error::kRsdpTooShort:
        fmt::snprintf(detail, size, "RSDP copy has %u bytes, needs %u", r.value,
                      r.tag_type == kTagAcpiNewRsdp ? kRsdpV2Size : kRsdpV1Size);
        return true;
    case Error::kTooManyModules:
        fmt::snprintf(detail, size, "more than %u modules", r.value);
        return true;
    case Error::kTooManyMemoryRegions:
        fmt::snprintf(detail, size, "%u memory regions exceed the capacity of %u", r.value,
                      static_cast<u32>(kMaxMemoryRegions));
        return true;
    }
    fmt::snprintf(detail, size, "unknown error %u", static_cast<u32>(r.error));
    return false;
}

}  // namespace

usize describe(const ParseResult& r, char* buf, usize size) {
    char detail[160];
    if (!describe_detail(r, detail, sizeof(detail))) return fmt::snprintf(buf, size, "multiboot2: %s", detail);
    return fmt::snprintf(buf, size, "multiboot2: tag #%u (type %u, %s) at offset 0x%x: %s", r.tag_index, r.tag_type,
                         tag_type_name(r.tag_type), r.offset, detail);
}

const char* error_name(Error error) {
    switch (error) {
    case Error::kNone: return "none";
    case Error::kNullPointer: return "null pointer";
    case Error::kMisaligned: return "misaligned";
    case Error::kLimitTooSmall: return "limit too small";
    case Error::kTotalSizeTooSmall: return "total_size too small";
    case Error::kTotalSizeExceedsLimit: return "total_size exceeds limit";
    case Error::kTagHeaderTruncated: return "tag header truncated";
    case Error::kTagTooSmall: return "tag too small";
    case Error::kTagPastEnd: return "tag past end";
    case Error::kMissingEndTag: return "missing end tag";
    case Error::kEndTagBadSize: return "end tag bad size";
    case Error::kTrailingBytes: return "trailing bytes";
    case Error::kStringNotTerminated: return "string not terminated";
    case Error::kBasicMeminfoTooShort: return "basic meminfo too short";
    case Error::kMmapTooShort: return "memory map too short";
    case Error::kMmapBadEntrySize: return "memory map bad entry size";
    case Error::kMmapEntriesPastTag: return "memory map entries past tag";
    case Error::kModuleTooShort: return "module too short";
    case Error::kModuleRangeInverted: return "module range inverted";
    case Error::kRsdpTooShort: return "RSDP too short";
    case Error::kTooManyModules: return "too many modules";
    case Error::kTooManyMemoryRegions: return "too many memory regions";
    }
    return "unknown error";
}

// [Multiboot2 spec 3.6] names for every tag type the spec defines, so messages
// about skipped tags are still readable.
const char* tag_type_name(u32 type) {
    switch (type) {
    case 0: return "end";
    case 1: return "command line";
    case 2: return "boot loader name";
    case 3: return "module";
    case 4: return "basic meminfo";
    case 5: return "BIOS boot device";
    case 6: return "memory map";
    case 7: return "VBE info";
    case 8: return "framebuffer info";
    case 9: return "ELF sections";
    case 10: return "APM table";
    case 11: return "EFI32 system table";
    case 12: return "EFI64 system table";
    case 13: return "SMBIOS tables";
    case 14: return "ACPI old RSDP";
    case 15: return "ACPI new RSDP";
    case 16: return "networking info";
    case 17: return "EFI memory map";
    case 18: return "EFI boot services not terminated";
    case 19: return "EFI32 image handle";
    case 20: return "EFI64 image handle";
    case 21: return "image load base address";
    default: return "unknown";
    }
}

const char* memory_type_name(u32 type) {
    switch (type) {
    case kMemoryAvailable: return "available";
    case kMemoryReserved: return "reserved";
    case kMemoryAcpiReclaimable: return "ACPI reclaimable";
    case kMemoryAcpiNvs: return "ACPI NVS";
    case kMemoryBad: return "bad";
    default: return "unknown";
    }
}

}  // namespace mb2
