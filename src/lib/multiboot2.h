// Validating parser for the Multiboot2 boot information block handed over by GRUB.
#pragma once

#include "lib/kstd/types.h"

// [Multiboot2 spec 3.6] The block is u32 total_size, u32 reserved, then tags
// {u32 type, u32 size, payload} each starting 8-byte aligned, closed by an end tag
// {0, 8}. The loader is trusted little, so parse() checks every size against the
// block before reading and never reads outside [data, data + min(limit, total_size)).
// It is strict: bytes after the end tag are rejected (GRUB sets total_size to end
// exactly there, so anything else means the block is not what we think it is),
// and unknown tag types are skipped. Repeated cmdline / loader-name tags: the last
// wins; repeated memory maps are appended.
namespace mb2 {

enum TagType : u32 {
    kTagEnd = 0,
    kTagCmdline = 1,
    kTagBootloaderName = 2,
    kTagModule = 3,
    kTagBasicMeminfo = 4,
    kTagMemoryMap = 6,
    kTagAcpiOldRsdp = 14,
    kTagAcpiNewRsdp = 15,
};

// [Multiboot2 spec 3.6.8] memory map entry types (same numbering as E820).
enum MemoryType : u32 {
    kMemoryAvailable = 1,
    kMemoryReserved = 2,
    kMemoryAcpiReclaimable = 3,
    kMemoryAcpiNvs = 4,
    kMemoryBad = 5,
};

// Fixed capacity: the parser runs before any allocator exists. Overflow is an
// error rather than silent truncation, since dropping a region loses memory and
// dropping a module loses a server.
constexpr usize kMaxModules = 64;
constexpr usize kMaxMemoryRegions = 128;

// Byte sizes the spec dictates; RSDP payloads are copies of ACPI's RSDP table.
constexpr u32 kHeaderSize = 8;
constexpr u32 kTagHeaderSize = 8;
constexpr u32 kMinTotalSize = kHeaderSize + kTagHeaderSize;  // header + end tag
constexpr u32 kMmapMinEntrySize = 24;
constexpr u32 kRsdpV1Size = 20;
constexpr u32 kRsdpV2Size = 36;

struct MemoryRegion {
    u64 base;
    u64 length;
    u32 type;  // MemoryType; other values are possible and mean "not usable"
};

struct Module {
    u32 start;           // physical, inclusive
    u32 end;             // physical, exclusive
    const char* string;  // points into the info block
};

// All pointers point into the info block, which must therefore stay mapped.
struct Info {
    u32 total_size;
    const char* cmdline;          // "" if the tag is absent
    const char* bootloader_name;  // "" if the tag is absent
    MemoryRegion regions[kMaxMemoryRegions];
    usize region_count;
    Module modules[kMaxModules];
    usize module_count;
    bool has_basic_meminfo;
    u32 mem_lower_kib;
    u32 mem_upper_kib;
    const void* rsdp;  // copy of the RSDP inside the block, nullptr if absent
    u32 rsdp_length;   // payload bytes available at rsdp
    u32 rsdp_version;  // 1 (old RSDP tag) or 2 (new RSDP tag, preferred); 0 if absent
};

enum class Error : u8 {
    kNone,
    kNullPointer,
    kMisaligned,              // value = low 32 bits of the address
    kLimitTooSmall,           // fewer than 8 readable bytes; value = limit
    kTotalSizeTooSmall,       // value = total_size
    kTotalSizeExceedsLimit,   // value = limit (saturated to u32)
    kTagHeaderTruncated,      // value = bytes left for the header
    kTagTooSmall,             // tag size < 8
    kTagPastEnd,              // tag size runs past total_size
    kMissingEndTag,           // tags ran out at offset without an end tag
    kEndTagBadSize,           // end tag size != 8
    kTrailingBytes,           // value = bytes after the end tag
    kStringNotTerminated,     // cmdline / loader name / module string
    kBasicMeminfoTooShort,    // tag size < 16
    kMmapTooShort,            // tag smaller than its 16-byte header
    kMmapBadEntrySize,        // value = entry_size
    kMmapEntriesPastTag,      // value = entry_size
    kModuleTooShort,          // tag smaller than 16 bytes
    kModuleRangeInverted,     // value = mod_start
    kRsdpTooShort,            // value = payload bytes
    kTooManyModules,          // value = capacity
    kTooManyMemoryRegions,    // value = regions needed
};

// Where and why parsing failed. offset is the byte offset of the offending tag
// within the block (0 for block-level errors, the end tag's end for trailing
// bytes). tag_index counts tags from 0.
struct ParseResult {
    Error error;
    u32 offset;
    u32 tag_type;
    u32 tag_index;
    u32 value;       // meaning depends on error, see Error
    u32 tag_size;    // size field of the offending tag; 0 if not read
    u32 total_size;  // as read from the block; 0 if it could not be read

    bool ok() const { return error == Error::kNone; }
};

// On success all of out is filled in; on failure out is partially filled and
// must not be used. limit caps how many bytes may be read (buffer size in tests,
// a sanity cap in the kernel).
ParseResult parse(const void* data, usize limit, Info& out);

// One-line human readable message for result, written with fmt::snprintf;
// returns the full message length as snprintf does.
usize describe(const ParseResult& result, char* buf, usize size);

const char* error_name(Error error);
const char* tag_type_name(u32 type);
const char* memory_type_name(u32 type);

}  // namespace mb2
