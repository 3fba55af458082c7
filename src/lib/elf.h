// Validating parser for the ELF executables the kernel loads as user programs.
#pragma once

#include "lib/kstd/types.h"

// A program image arrives as a boot module: untrusted bytes at any address. parse()
// checks everything the kernel's page-by-page mapper relies on before it maps a
// single page, so the mapper can trust Image without re-checking:
//   - every read stays inside [data, data + size), with all offset arithmetic
//     overflow-checked, and headers are read with unaligned-safe loads;
//   - each PT_LOAD's file bytes lie inside the file, its memory range inside
//     [min_vaddr, top) (the top for the file's class), and vaddr and offset
//     agree modulo the page size, so file page k of a segment is memory page k;
//   - no two PT_LOAD segments touch the same page, so every page gets exactly one
//     segment's permissions and contents;
//   - the entry point lies in an executable PT_LOAD.
// Only static, fixed-address executables (ET_EXEC) are accepted: the kernel has no
// dynamic linker and does not relocate.
//
// Two classes are accepted: ELFCLASS64 with EM_X86_64 (64-bit programs) and
// ELFCLASS32 with EM_386 (i386 programs, run in compatibility mode). They
// differ only in where the header and program header fields sit and how wide
// they are; the rules are the same, and both fill the same width-neutral
// Image (u64 addresses). Sums of an ELF32 file's fields are done in 32 bits:
// one that does not fit wraps around, as it would for an i386 loader.
namespace elf {

// [gABI ch. 4, ELF Identification] e_ident bytes.
constexpr u32 kMagic = 0x464c457f;  // "\x7fELF" read as a little-endian u32
constexpr u8 kClass32 = 1;
constexpr u8 kClass64 = 2;
constexpr u8 kDataLittleEndian = 1;  // ELFDATA2LSB
constexpr u8 kVersionCurrent = 1;    // EV_CURRENT, in e_ident and in e_version

// [gABI ch. 4, ELF Header] e_type and e_machine values.
constexpr u16 kTypeExec = 2;        // ET_EXEC
constexpr u16 kTypeDyn = 3;         // ET_DYN (PIE, shared objects): rejected
constexpr u16 kMachine386 = 3;      // EM_386
constexpr u16 kMachineX86_64 = 62;  // EM_X86_64

// [gABI ch. 5, Program Header] p_type values the parser looks at; others are skipped.
constexpr u32 kPtLoad = 1;
constexpr u32 kPtPhdr = 6;

// Structure sizes [gABI ch. 4 and 5]: e_ident, which says the class, then
// the header and program header of each class.
constexpr u32 kIdentSize = 16;  // EI_NIDENT
constexpr u32 kElf32HeaderSize = 52;
constexpr u32 kElf32PhdrSize = 32;
constexpr u32 kElf64HeaderSize = 64;
constexpr u32 kElf64PhdrSize = 56;

// The granule the kernel maps segments in.
constexpr u64 kPageSize = 4096;

// Fixed capacity: the loader runs without an allocator. Real executables have 2-5
// PT_LOAD segments; more than this is an error, never a silent truncation.
constexpr usize kMaxSegments = 16;

// [gABI ch. 5, Segment Permissions] p_flags bits (PF_R, PF_W, PF_X).
constexpr u32 kFlagX = 1;
constexpr u32 kFlagW = 2;
constexpr u32 kFlagR = 4;

// One PT_LOAD: map [vaddr, vaddr + memsz) with flags; the first filesz bytes come
// from the file at offset, the rest is zero (.bss). memsz is never 0 (such segments
// map nothing and are left out) and filesz <= memsz.
struct Segment {
    u64 vaddr;
    u64 memsz;
    u64 filesz;
    u64 offset;
    u32 flags;  // kFlagR | kFlagW | kFlagX as found, unknown bits included
};

struct Image {
    bool compat;  // ELFCLASS32 (i386): runs in compatibility mode
    u64 entry;
    // User address of the program header table (for the AT_PHDR auxv entry): from
    // PT_PHDR if present, else the PT_LOAD whose file bytes hold the table; 0 if the
    // table is not part of the loaded image.
    u64 phdr_vaddr;
    u16 phnum;
    u16 phentsize;
    Segment segments[kMaxSegments];
    usize segment_count;  // PT_LOAD segments with memsz > 0, in file order
};

// For every error, index is the program header concerned (0 for file-header
// errors) and segment holds its PT_LOAD fields where it has been read. "Header
// size", "overflows" and the like are those of the file's class (Result::elf_class).
enum class Error : u8 {
    kOk,                 // index = PT_LOAD segments kept, value = entry
    kTooSmall,           // value = size (0 for a null pointer), limit = kIdentSize before the
                         // class is known, else the class's ELF header size
    kBadMagic,           // value = first 4 bytes as a little-endian u32, limit = kMagic
    kUnsupportedClass,   // value = EI_CLASS (neither kClass32 nor kClass64)
    kNotLittleEndian,    // value = EI_DATA, limit = kDataLittleEndian
    kBadVersion,         // value = e_ident[EI_VERSION], limit = e_version (both must be 1)
    kNotExecutable,      // value = e_type, limit = kTypeExec
    kWrongMachine,       // value = e_machine, limit = the class's machine (EM_386 for
                         // ELFCLASS32, EM_X86_64 for ELFCLASS64)
    kBadPhentsize,       // value = e_phentsize, limit = the class's program header size
    kPhdrsPastEnd,       // index = first header not inside the file, value = its file offset
                         // (e_phoff if that is already past the end), limit = size
    kTooManySegments,    // index = first PT_LOAD over capacity, value = PT_LOADs in all,
                         // limit = kMaxSegments
    kNoLoadableSegment,  // value = e_phnum
    kFileszAboveMemsz,   // value = p_filesz, limit = p_memsz
    kSegmentPastEnd,     // value = p_offset + p_filesz (~0 if that overflows), limit = size
    kBadAlignment,       // value = p_align; limit = modulus violated: 0 when p_align is not
                         // 0, 1 or a power of two, p_align when p_vaddr and p_offset differ
                         // modulo p_align, kPageSize when they differ modulo the page size
    kOutsideUserRange,   // below: value = p_vaddr, limit = min_vaddr (value < limit);
                         // above: value = p_vaddr + p_memsz (~0 if that overflows),
                         // limit = the class's top (value > limit)
    kSegmentsOverlap,    // index = the later header, value = first page both touch,
                         // limit = the earlier header's index
    kEntryOutside,       // value = e_entry
};

struct Result {
    Error error;
    u8 elf_class;  // kClass32 or kClass64 once EI_CLASS has been accepted, else 0
    usize index;
    u64 value;
    u64 limit;
    Segment segment;  // the PT_LOAD concerned; zero for errors not about one

    bool ok() const { return error == Error::kOk; }
};

// Where a program's segments may lie, per class. Each top is the first
// address a segment may not use: the kernel passes the end of the lower half
// (0x0000800000000000) for ELF64 and the bottom of the 32-bit stack area for
// ELF32. Whatever top32 says, an ELF32 segment ends below 4 GiB (its end is a
// 32-bit sum). min_vaddr is the lowest address a segment may start at (the
// kernel passes 0x10000 so that null-pointer dereferences keep faulting). All
// should be page-aligned.
struct Limits {
    u64 min_vaddr;
    u64 top64;
    u64 top32;
};

// Parses and validates data[0, size). On failure out is partially filled and
// must not be used. Nothing in out points into data.
Result parse(const void* data, usize size, const Limits& limits, Image& out);

// One-line message ("elf: ..."), written with fmt::snprintf; returns the full
// length as snprintf does.
usize describe(const Result& result, char* buf, usize size);

const char* error_name(Error error);

}  // namespace elf
