// Unit tests for the ELF32 (i386) side of the executable parser: the Elf32 field
// offsets, 32-bit sums, the ELF32 limit, and every error with its ELF32 message.
#include "lib/elf.h"

#include <string.h>

#include <CppUTest/TestHarness.h>

#include "elf_builder.h"

using elf::Error;

#define CHECK_ELF_ERROR(result, expected_error, expected_index)                         \
    do {                                                                                \
        STRCMP_EQUAL(elf::error_name(expected_error), elf::error_name((result).error)); \
        UNSIGNED_LONGS_EQUAL(expected_index, (result).index);                           \
        UNSIGNED_LONGS_EQUAL(elf::kClass32, (result).elf_class);                        \
    } while (0)

namespace {

elf::Image g_image;
char g_buf[256];

elf::Result parse(const ElfBuilder& b, const elf::Limits& limits = kLimits) {
    return elf::parse(b.data(), b.size(), limits, g_image);
}

elf::Result rebuild_and_parse(ElfBuilder& b, const elf::Limits& limits = kLimits) {
    b.build();
    return parse(b, limits);
}

const char* message(const elf::Result& r) {
    usize n = elf::describe(r, g_buf, sizeof(g_buf));
    UNSIGNED_LONGS_EQUAL(strlen(g_buf), n);
    return g_buf;
}

void check_segment(const elf::Segment& s, u64 vaddr, u64 memsz, u64 filesz, u64 offset, u32 flags) {
    UNSIGNED_LONGLONGS_EQUAL(vaddr, s.vaddr);
    UNSIGNED_LONGLONGS_EQUAL(memsz, s.memsz);
    UNSIGNED_LONGLONGS_EQUAL(filesz, s.filesz);
    UNSIGNED_LONGLONGS_EQUAL(offset, s.offset);
    UNSIGNED_LONGS_EQUAL(flags, s.flags);
}

constexpr u32 kRX = elf::kFlagR | elf::kFlagX;
constexpr u32 kRW = elf::kFlagR | elf::kFlagW;
constexpr u64 k4GiB = u64{1} << 32;

// n one-page PT_LOADs as in elf_test.cpp, in the ELF32 layout.
void add_pages(ElfBuilder& b, usize n) {
    b.add({elf::kPtLoad, kRX, 0, 0x400000, 0, 0x400, 0x1000, 0x1000});
    for (usize i = 1; i < n; ++i) b.add({elf::kPtLoad, kRW, 0, 0x400000 + i * 0x1000, 0, 0, 0x1000, 0x1000});
    b.entry = 0x400200;
    b.build();
}

}  // namespace

TEST_GROUP(Elf32Good){};

TEST(Elf32Good, TextAndDataWithPtPhdr) {
    GoodImage32 g;
    elf::Result r = parse(g.b);
    CHECK_ELF_ERROR(r, Error::kOk, 2);
    CHECK_TRUE(g_image.compat);
    UNSIGNED_LONGLONGS_EQUAL(GoodImage::kEntry, g_image.entry);
    UNSIGNED_LONGLONGS_EQUAL(0x400034, g_image.phdr_vaddr);
    UNSIGNED_LONGS_EQUAL(4, g_image.phnum);
    UNSIGNED_LONGS_EQUAL(32, g_image.phentsize);
    UNSIGNED_LONGS_EQUAL(2, g_image.segment_count);
    check_segment(g_image.segments[0], 0x400000, 0x1234, 0x1234, 0, kRX);
    check_segment(g_image.segments[1], 0x402000, 0x3000, 0x100, 0x2000, kRW);
    STRCMP_EQUAL("elf: ok: ELF32, entry 0x401000, 2 loadable segments", message(r));
}

TEST(Elf32Good, WithoutPtPhdrTheTableIsFoundInTheLoadCoveringIt) {
    GoodImage32 g(false);
    CHECK_ELF_ERROR(parse(g.b), Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(0x400034, g_image.phdr_vaddr);
    UNSIGNED_LONGS_EQUAL(3, g_image.phnum);

    // 3 * 32 bytes at 0x2010 inside data's file bytes [0x2000-0x20b0): one byte
    // more and the table would not be loaded.
    GoodImage32 h(false);
    h.b.phoff = GoodImage::kDataOffset + 0x10;
    h.b.phdrs[h.data].filesz = 0x10 + 3 * 32;
    CHECK_ELF_ERROR(rebuild_and_parse(h.b), Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(GoodImage::kDataVaddr + 0x10, g_image.phdr_vaddr);
    h.b.phdrs[h.data].filesz = 0x10 + 3 * 32 - 1;
    h.b.file_size = GoodImage::kDataOffset + 0x10 + 3 * 32;
    CHECK_ELF_ERROR(rebuild_and_parse(h.b), Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(0, g_image.phdr_vaddr);
}

TEST(Elf32Good, FieldsComeFromTheElf32Offsets) {
    // p_flags sits at +24 in Elf32_Phdr (after p_memsz) and p_paddr at +12 is
    // ignored: distinct values in every field show each one read from its place.
    ElfBuilder b(Width::k32);
    b.add({elf::kPtLoad, kRX | 0x100, 0, 0x10000, 0x12345678, 0x345, 0x1345, 0x1000});
    b.add({elf::kPtLoad, kRW, 0x1678, 0x7ff678, 0x9abcdef0, 0x88, 0x999, 8});
    b.entry = 0x10100;
    elf::Result r = rebuild_and_parse(b);
    CHECK_ELF_ERROR(r, Error::kOk, 2);
    check_segment(g_image.segments[0], 0x10000, 0x1345, 0x345, 0, kRX | 0x100);
    check_segment(g_image.segments[1], 0x7ff678, 0x999, 0x88, 0x1678, kRW);
    UNSIGNED_LONGLONGS_EQUAL(0x10100, g_image.entry);
    UNSIGNED_LONGLONGS_EQUAL(0x10034, g_image.phdr_vaddr);
    UNSIGNED_LONGS_EQUAL(2, g_image.phnum);
}

TEST(Elf32Good, ParsesAtEveryByteAlignment) {
    GoodImage32 g;
    static u8 buffer[ElfBuilder::kCapacity + 16];
    for (usize shift = 0; shift < 16; ++shift) {
        memcpy(buffer + shift, g.b.data(), g.b.size());
        elf::Result r = elf::parse(buffer + shift, g.b.size(), kLimits, g_image);
        CHECK_ELF_ERROR(r, Error::kOk, 2);
        UNSIGNED_LONGLONGS_EQUAL(GoodImage::kEntry, g_image.entry);
        check_segment(g_image.segments[1], 0x402000, 0x3000, 0x100, 0x2000, kRW);
    }
}

TEST(Elf32Good, SegmentEndingExactlyAtTheElf32TopIsAccepted) {
    GoodImage32 g;
    g.b.phdrs[g.data].vaddr = kCompatTop - GoodImage::kDataMemSize;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(0xfffe8000, g_image.segments[1].vaddr);
}

TEST(Elf32Good, EachClassHasItsOwnTop) {
    // The ELF64 top does not let an ELF32 segment through...
    GoodImage32 g;
    g.b.phdrs[g.data].vaddr = 0xfffef000;
    elf::Result r = rebuild_and_parse(g.b, {kMinVaddr, kUserTop, 0x80000000});
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, g.data);
    UNSIGNED_LONGLONGS_EQUAL(0x80000000, r.limit);

    // ... and the ELF32 top does not stop an ELF64 one.
    GoodImage h;
    h.b.phdrs[h.data].vaddr = 0x7ffffff02000;
    r = elf::parse(h.b.data(), h.b.size(), {kMinVaddr, kUserTop, 0x1000}, g_image);
    STRCMP_EQUAL("ok", elf::error_name(r.error));
    CHECK_FALSE(g_image.compat);
    UNSIGNED_LONGS_EQUAL(elf::kClass64, r.elf_class);
}

TEST(Elf32Good, AnElf32SegmentMayReachTheLastByteBelow4GiB) {
    // With no limit of the caller's, the address space itself is the limit:
    // the last byte below 4 GiB may be used, and an end at 4 GiB wraps (the
    // 32-bit sum is 0), as an end at 2^64 does for ELF64.
    const elf::Limits open = {kMinVaddr, kUserTop, ~u64{0}};
    GoodImage32 g;
    g.b.phdrs[g.data].vaddr = 0xfffff000;
    g.b.phdrs[g.data].memsz = 0xfff;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b, open), Error::kOk, 2);
    g.b.phdrs[g.data].memsz = 0x1000;
    elf::Result r = rebuild_and_parse(g.b, open);
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, g.data);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, r.value);
}

TEST(Elf32Good, EntryAtTheFirstAndLastByteOfText) {
    GoodImage32 g;
    g.b.entry = GoodImage::kTextVaddr;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    g.b.entry = GoodImage::kTextVaddr + GoodImage::kTextSize - 1;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
}

TEST(Elf32Good, SixteenSegmentsFit) {
    ElfBuilder b(Width::k32);
    add_pages(b, elf::kMaxSegments);
    CHECK_ELF_ERROR(parse(b), Error::kOk, 16);
    check_segment(g_image.segments[15], 0x40f000, 0x1000, 0, 0, kRW);
}

TEST_GROUP(Elf32HeaderErrors){};

TEST(Elf32HeaderErrors, TooSmall) {
    GoodImage32 g;
    elf::Result r = elf::parse(g.b.data(), 51, kLimits, g_image);
    CHECK_ELF_ERROR(r, Error::kTooSmall, 0);
    UNSIGNED_LONGLONGS_EQUAL(51, r.value);
    UNSIGNED_LONGLONGS_EQUAL(52, r.limit);
    STRCMP_EQUAL("elf: 51 bytes are too few for the 52-byte ELF32 header", message(r));

    // The header alone: the first program header is missing.
    r = elf::parse(g.b.data(), 52, kLimits, g_image);
    CHECK_ELF_ERROR(r, Error::kPhdrsPastEnd, 0);
}

TEST(Elf32HeaderErrors, NotLittleEndian) {
    GoodImage32 g;
    g.b.ident[5] = 2;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kNotLittleEndian, 0);
    STRCMP_EQUAL(
        "elf: EI_DATA is 2 (ELFDATA2MSB, big-endian), only 1 (ELFDATA2LSB, little-endian) is supported",
        message(r));
}

TEST(Elf32HeaderErrors, BadVersion) {
    GoodImage32 g;
    g.b.version = 0x101;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kBadVersion, 0);
    UNSIGNED_LONGLONGS_EQUAL(1, r.value);
    UNSIGNED_LONGLONGS_EQUAL(0x101, r.limit);
    STRCMP_EQUAL("elf: e_ident[EI_VERSION] is 1 and e_version 257, both must be 1 (EV_CURRENT)", message(r));
}

TEST(Elf32HeaderErrors, NotExecutable) {
    GoodImage32 g;
    g.b.type = elf::kTypeDyn;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kNotExecutable, 0);
    UNSIGNED_LONGLONGS_EQUAL(3, r.value);
}

TEST(Elf32HeaderErrors, WrongMachine) {
    GoodImage32 g;
    g.b.machine = elf::kMachineX86_64;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kWrongMachine, 0);
    UNSIGNED_LONGLONGS_EQUAL(62, r.value);
    UNSIGNED_LONGLONGS_EQUAL(3, r.limit);
    STRCMP_EQUAL("elf: e_machine is 62 (EM_X86_64), ELF32 files must be 3 (EM_386)", message(r));

    g.b.machine = 40;
    STRCMP_EQUAL("elf: e_machine is 40 (EM_ARM), ELF32 files must be 3 (EM_386)",
                 message(rebuild_and_parse(g.b)));
}

TEST(Elf32HeaderErrors, AnElf32FileClaimingElfClass64) {
    // Read with the ELF64 offsets, e_machine (the same place in both) is EM_386.
    GoodImage32 g;
    g.b.ident[4] = elf::kClass64;
    elf::Result r = rebuild_and_parse(g.b);
    STRCMP_EQUAL("wrong machine", elf::error_name(r.error));
    UNSIGNED_LONGS_EQUAL(elf::kClass64, r.elf_class);
    STRCMP_EQUAL("elf: e_machine is 3 (EM_386), ELF64 files must be 62 (EM_X86_64)", message(r));
}

TEST(Elf32HeaderErrors, BadPhentsize) {
    const u16 sizes[] = {0, 31, 33, 56, 64};
    for (u16 size : sizes) {
        GoodImage32 g;
        g.b.phentsize = size;
        elf::Result r = rebuild_and_parse(g.b);
        CHECK_ELF_ERROR(r, Error::kBadPhentsize, 0);
        UNSIGNED_LONGLONGS_EQUAL(size, r.value);
        UNSIGNED_LONGLONGS_EQUAL(32, r.limit);
    }
    GoodImage32 g;
    g.b.phentsize = 56;
    STRCMP_EQUAL("elf: e_phentsize is 56, ELF32 program headers are 32 bytes",
                 message(rebuild_and_parse(g.b)));
}

TEST(Elf32HeaderErrors, ProgramHeaderTablePartlyPastTheEnd) {
    // Four headers at [0x34, 0xb4): cut one byte off the last.
    GoodImage32 g;
    elf::Result r = elf::parse(g.b.data(), 0xb3, kLimits, g_image);
    CHECK_ELF_ERROR(r, Error::kPhdrsPastEnd, 3);
    UNSIGNED_LONGLONGS_EQUAL(0x94, r.value);
    UNSIGNED_LONGLONGS_EQUAL(0xb3, r.limit);
    STRCMP_EQUAL("elf: program header 3 (32 bytes at file offset 0x94) is not inside the 0xb3-byte file",
                 message(r));

    r = elf::parse(g.b.data(), 0xb4, kLimits, g_image);
    CHECK_ELF_ERROR(r, Error::kSegmentPastEnd, g.text);
}

TEST(Elf32HeaderErrors, ProgramHeaderTableStartsPastTheEnd) {
    const u64 offsets[] = {0x2101, 0x10000, 0xffffffff, 0xffffffff - 31, 0x80000000};
    for (u64 phoff : offsets) {
        GoodImage32 g;
        g.b.phoff = phoff;
        g.b.file_size = 0x2100;
        elf::Result r = rebuild_and_parse(g.b);
        CHECK_ELF_ERROR(r, Error::kPhdrsPastEnd, 0);
        UNSIGNED_LONGLONGS_EQUAL(phoff, r.value);
        UNSIGNED_LONGLONGS_EQUAL(0x2100, r.limit);
    }
}

TEST(Elf32HeaderErrors, HugeProgramHeaderCount) {
    GoodImage32 g;
    g.b.phnum_field = 0xffff;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kPhdrsPastEnd, (0x2100 - 52) / 32);
    UNSIGNED_LONGLONGS_EQUAL(52 + (0x2100 - 52) / 32 * 32, r.value);
}

TEST(Elf32HeaderErrors, NoProgramHeadersOrNoLoadableOne) {
    GoodImage32 g;
    g.b.phnum_field = 0;
    g.b.phentsize = 0;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kNoLoadableSegment, 0);
    STRCMP_EQUAL("elf: no program headers (e_phnum is 0)", message(r));

    ElfBuilder b(Width::k32);
    b.add({kPtGnuStack, kRW, 0, 0, 0, 0, 0, 16});
    b.add({elf::kPtLoad, kRX, 0, 0x400000, 0, 0, 0, 0x1000});
    b.entry = 0x400000;
    r = rebuild_and_parse(b);
    CHECK_ELF_ERROR(r, Error::kNoLoadableSegment, 0);
    UNSIGNED_LONGLONGS_EQUAL(2, r.value);
}

TEST(Elf32HeaderErrors, EntryOutsideAnExecutableSegment) {
    const u64 entries[] = {0, GoodImage::kTextVaddr - 1, GoodImage::kTextVaddr + GoodImage::kTextSize,
                           GoodImage::kDataVaddr, 0xffffffff};
    for (u64 entry : entries) {
        GoodImage32 g;
        g.b.entry = entry;
        elf::Result r = rebuild_and_parse(g.b);
        CHECK_ELF_ERROR(r, Error::kEntryOutside, 0);
        UNSIGNED_LONGLONGS_EQUAL(entry, r.value);
    }
    // Only the low 32 bits are in the file: 0x1_0040_1000 is the entry 0x401000.
    GoodImage32 g;
    g.b.entry = k4GiB + GoodImage::kEntry;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(GoodImage::kEntry, g_image.entry);
}

TEST_GROUP(Elf32SegmentErrors){};

TEST(Elf32SegmentErrors, TooManySegments) {
    ElfBuilder b(Width::k32);
    add_pages(b, 17);
    elf::Result r = parse(b);
    CHECK_ELF_ERROR(r, Error::kTooManySegments, 16);
    UNSIGNED_LONGLONGS_EQUAL(17, r.value);
    STRCMP_EQUAL("elf: program header 16: 17 loadable segments exceed the capacity of 16", message(r));
}

TEST(Elf32SegmentErrors, FileszAboveMemsz) {
    GoodImage32 g;
    g.b.phdrs[g.text].filesz = GoodImage::kTextSize + 1;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kFileszAboveMemsz, g.text);
    STRCMP_EQUAL("elf: program header 1: p_filesz 0x1235 exceeds p_memsz 0x1234", message(r));
}

TEST(Elf32SegmentErrors, SegmentPastTheEndOfTheFile) {
    GoodImage32 g;
    g.b.phdrs[g.data].filesz = GoodImage::kDataFileSize + 1;
    g.b.file_size = 0x2100;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kSegmentPastEnd, g.data);
    UNSIGNED_LONGLONGS_EQUAL(0x2101, r.value);
    STRCMP_EQUAL(
        "elf: program header 2: file range [0x2000-0x2101) runs past the end of the file (0x2100 bytes)",
        message(r));
}

TEST(Elf32SegmentErrors, FileRangeThatWrapsAround32Bits) {
    GoodImage32 g;
    g.b.phdrs[g.data].offset = 0xfffff000;  // page-congruent with 0x402000
    g.b.phdrs[g.data].filesz = 0x2000;
    g.b.file_size = 0x2100;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kSegmentPastEnd, g.data);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, r.value);
    STRCMP_EQUAL(
        "elf: program header 2: file range at p_offset 0xfffff000 of p_filesz 0x2000 wraps around 32 bits",
        message(r));

    // A 32-bit sum that wraps is caught even if the caller claims a huge file,
    // and so is one that ends exactly at 4 GiB.
    r = elf::parse(g.b.data(), ~usize{0}, kLimits, g_image);
    CHECK_ELF_ERROR(r, Error::kSegmentPastEnd, g.data);
    g.b.phdrs[g.data].filesz = 0x1000;
    r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kSegmentPastEnd, g.data);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, r.value);
}

TEST(Elf32SegmentErrors, BadAlignment) {
    GoodImage32 g;
    g.b.phdrs[g.data].align = 0x1800;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kBadAlignment, g.data);
    UNSIGNED_LONGLONGS_EQUAL(0, r.limit);
    STRCMP_EQUAL("elf: program header 2: p_align 0x1800 is not 0, 1 or a power of two", message(r));

    GoodImage32 h;
    h.b.phdrs[h.data].vaddr = 0x41a000;
    h.b.phdrs[h.data].align = 0x10000;
    r = rebuild_and_parse(h.b);
    CHECK_ELF_ERROR(r, Error::kBadAlignment, h.data);
    UNSIGNED_LONGLONGS_EQUAL(0x10000, r.limit);

    GoodImage32 k;
    k.b.phdrs[k.data].vaddr = 0x402800;
    k.b.phdrs[k.data].align = 16;
    r = rebuild_and_parse(k.b);
    CHECK_ELF_ERROR(r, Error::kBadAlignment, k.data);
    STRCMP_EQUAL(
        "elf: program header 2: p_vaddr 0x402800 and p_offset 0x2000 differ modulo the page size 0x1000",
        message(r));
}

TEST(Elf32SegmentErrors, SegmentBelowMinVaddr) {
    GoodImage32 g;
    g.b.phdrs[g.text].vaddr = kMinVaddr - 0x1000;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, g.text);
    STRCMP_EQUAL(
        "elf: program header 1: segment [0xf000-0x10234) starts below the lowest user address 0x10000",
        message(r));
}

TEST(Elf32SegmentErrors, SegmentOneBytePastTheElf32Top) {
    GoodImage32 g;
    g.b.phdrs[g.data].vaddr = kCompatTop - GoodImage::kDataMemSize;
    g.b.phdrs[g.data].memsz = GoodImage::kDataMemSize + 1;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, g.data);
    UNSIGNED_LONGLONGS_EQUAL(kCompatTop + 1, r.value);
    UNSIGNED_LONGLONGS_EQUAL(kCompatTop, r.limit);
    check_segment(r.segment, 0xfffe8000, 0x3001, 0x100, 0x2000, kRW);
    STRCMP_EQUAL(
        "elf: program header 2: segment [0xfffe8000-0xfffeb001) reaches past the 32-bit user area "
        "(limit 0xfffeb000)",
        message(r));
}

TEST(Elf32SegmentErrors, MemoryRangeThatWrapsAround32Bits) {
    GoodImage32 g;
    g.b.phdrs[g.data].vaddr = 0xfffff000;
    g.b.phdrs[g.data].memsz = 0x2000;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, g.data);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, r.value);
    STRCMP_EQUAL(
        "elf: program header 2: segment at 0xfffff000 of p_memsz 0x2000 wraps around the 32-bit address "
        "space",
        message(r));

    // Caught as a wrap, so no top lets it through (a 64-bit sum would not wrap).
    r = rebuild_and_parse(g.b, {kMinVaddr, ~u64{0}, ~u64{0}});
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, g.data);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, r.value);
}

TEST(Elf32SegmentErrors, SegmentsSharingAPage) {
    GoodImage32 g;
    g.b.phdrs[g.data].vaddr = 0x401000;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kSegmentsOverlap, g.data);
    UNSIGNED_LONGLONGS_EQUAL(0x401000, r.value);
    UNSIGNED_LONGLONGS_EQUAL(g.text, r.limit);
    STRCMP_EQUAL(
        "elf: program header 2: segment [0x401000-0x404000) shares the page at 0x401000 with program "
        "header 1",
        message(r));
}
