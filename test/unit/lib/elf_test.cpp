// Unit tests for the ELF64 executable parser: good images, every error, messages
// (the ELF32 side is in elf32_test.cpp).
#include "lib/elf.h"

#include <fcntl.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CppUTest/TestHarness.h>

#include "elf_builder.h"

using elf::Error;

// Compares errors by name so a failure says which error was reported instead.
#define CHECK_ELF_ERROR(result, expected_error, expected_index)                         \
    do {                                                                                \
        STRCMP_EQUAL(elf::error_name(expected_error), elf::error_name((result).error)); \
        UNSIGNED_LONGS_EQUAL(expected_index, (result).index);                           \
    } while (0)

namespace {

elf::Image g_image;
char g_buf[256];

elf::Result parse(const ElfBuilder& b) {
    return elf::parse(b.data(), b.size(), kLimits, g_image);
}

// Rebuilds after the test edited fields, then parses.
elf::Result rebuild_and_parse(ElfBuilder& b) {
    b.build();
    return parse(b);
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

}  // namespace

TEST_GROUP(ElfGood){};

TEST(ElfGood, TextAndDataWithPtPhdr) {
    GoodImage g;
    elf::Result r = parse(g.b);
    CHECK_ELF_ERROR(r, Error::kOk, 2);
    CHECK_TRUE(r.ok());
    UNSIGNED_LONGS_EQUAL(elf::kClass64, r.elf_class);
    CHECK_FALSE(g_image.compat);
    UNSIGNED_LONGLONGS_EQUAL(GoodImage::kEntry, r.value);
    UNSIGNED_LONGLONGS_EQUAL(GoodImage::kEntry, g_image.entry);
    UNSIGNED_LONGLONGS_EQUAL(0x400040, g_image.phdr_vaddr);
    UNSIGNED_LONGS_EQUAL(4, g_image.phnum);
    UNSIGNED_LONGS_EQUAL(56, g_image.phentsize);
    UNSIGNED_LONGS_EQUAL(2, g_image.segment_count);
    check_segment(g_image.segments[0], 0x400000, 0x1234, 0x1234, 0, kRX);
    check_segment(g_image.segments[1], 0x402000, 0x3000, 0x100, 0x2000, kRW);
    STRCMP_EQUAL("elf: ok: ELF64, entry 0x401000, 2 loadable segments", message(r));
}

TEST(ElfGood, WithoutPtPhdrTheTableIsFoundInTheLoadCoveringIt) {
    GoodImage g(false);
    elf::Result r = parse(g.b);
    CHECK_ELF_ERROR(r, Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(0x400040, g_image.phdr_vaddr);
    UNSIGNED_LONGS_EQUAL(3, g_image.phnum);
    UNSIGNED_LONGS_EQUAL(2, g_image.segment_count);
    check_segment(g_image.segments[0], 0x400000, 0x1234, 0x1234, 0, kRX);
    check_segment(g_image.segments[1], 0x402000, 0x3000, 0x100, 0x2000, kRW);
}

TEST(ElfGood, TableInsideTheDataSegmentMapsAtTheMatchingAddress) {
    GoodImage g(false);
    g.b.phoff = GoodImage::kDataOffset + 0x10;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(GoodImage::kDataVaddr + 0x10, g_image.phdr_vaddr);
}

TEST(ElfGood, TableNotInAnySegmentsFileBytesHasNoAddress) {
    // Text moved off the first page: the headers at offset 64 are not loaded.
    GoodImage g(false);
    g.b.phdrs[g.text] = {elf::kPtLoad, kRX, 0x1000, 0x401000, 0, 0x234, 0x234, 0x1000};
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(0, g_image.phdr_vaddr);

    // The table straddles the end of the data segment's file bytes: the part in
    // .bss would read as zeros, so it does not count as loaded either.
    GoodImage h(false);
    h.b.phoff = GoodImage::kDataOffset + 0x10;
    h.b.phdrs[h.data].filesz = 0x10 + 3 * 56 - 1;
    h.b.file_size = GoodImage::kDataOffset + 0x10 + 3 * 56;
    CHECK_ELF_ERROR(rebuild_and_parse(h.b), Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(0, g_image.phdr_vaddr);
}

TEST(ElfGood, PtPhdrIsTakenAsGivenAndTheFirstOneWins) {
    GoodImage g;
    g.b.phdrs[g.pt_phdr].vaddr = 0x400100;
    g.b.add({elf::kPtPhdr, elf::kFlagR, 64, 0x400200, 0, 56, 56, 8});
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(0x400100, g_image.phdr_vaddr);
    UNSIGNED_LONGS_EQUAL(5, g_image.phnum);
}

TEST(ElfGood, OtherSegmentTypesAreNotChecked) {
    // Nonsense that would fail every PT_LOAD rule.
    GoodImage g;
    g.b.add({kPtNote, 0, ~u64{0}, 0x3, 0, ~u64{0}, 1, 3});
    g.b.add({kPtTls, kRW, 0x1fff, 0xffffffff80000000, 0, 0x10, 0x8, 0x40});
    g.b.add({kPtNull, 0, 0, 0, 0, 0, 0, 0});
    g.b.add({0x70000000, 0, 0x100000, 0, 0, 0x100000, 0, 0});
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    UNSIGNED_LONGS_EQUAL(8, g_image.phnum);
    UNSIGNED_LONGS_EQUAL(2, g_image.segment_count);
}

TEST(ElfGood, EmptyLoadIsCheckedButLeftOut) {
    GoodImage g;
    g.b.add({elf::kPtLoad, elf::kFlagR, 0x123, 0x406123, 0, 0, 0, 0x1000});
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    UNSIGNED_LONGS_EQUAL(2, g_image.segment_count);

    GoodImage h;
    usize empty = h.b.add({elf::kPtLoad, elf::kFlagR, 0, 0, 0, 0, 0, 0x1000});
    elf::Result r = rebuild_and_parse(h.b);
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, empty);
}

TEST(ElfGood, ParsesAtEveryByteAlignment) {
    GoodImage g;
    static u8 buffer[ElfBuilder::kCapacity + 16];
    for (usize shift = 0; shift < 16; ++shift) {
        memcpy(buffer + shift, g.b.data(), g.b.size());
        elf::Result r = elf::parse(buffer + shift, g.b.size(), kLimits, g_image);
        CHECK_ELF_ERROR(r, Error::kOk, 2);
        UNSIGNED_LONGLONGS_EQUAL(GoodImage::kEntry, g_image.entry);
        check_segment(g_image.segments[1], 0x402000, 0x3000, 0x100, 0x2000, kRW);
    }
}

TEST(ElfGood, AnyPowerOfTwoAlignmentIsAcceptedWhenCongruent) {
    // 0 and 1 mean "no constraint"; 2 MiB is what older GNU ld wrote on x86-64.
    const u64 aligns[] = {0, 1, 2, 16, 0x1000, 0x200000};
    for (u64 align : aligns) {
        GoodImage g;
        g.b.phdrs[g.text].align = align;
        g.b.phdrs[g.data].align = align;
        CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    }
}

TEST(ElfGood, SegmentsMayTouchWithoutSharingAPage) {
    GoodImage g;
    g.b.phdrs[g.text].filesz = g.b.phdrs[g.text].memsz = 0x2000;  // [0x400000-0x402000)
    g.b.phdrs[g.data].filesz = 0;
    g.b.file_size = 0x2000;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
}

TEST(ElfGood, SegmentEndingExactlyAtUserTopIsAccepted) {
    GoodImage g;
    g.b.phdrs[g.data].vaddr = kUserTop - GoodImage::kDataMemSize;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(kUserTop - 0x3000, g_image.segments[1].vaddr);
}

TEST(ElfGood, SegmentStartingExactlyAtMinVaddrIsAccepted) {
    GoodImage g(false);
    g.b.phdrs[g.text].vaddr = kMinVaddr;
    g.b.entry = kMinVaddr;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    UNSIGNED_LONGLONGS_EQUAL(kMinVaddr + 64, g_image.phdr_vaddr);
}

TEST(ElfGood, EntryAtTheFirstAndLastByteOfText) {
    GoodImage g;
    g.b.entry = GoodImage::kTextVaddr;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
    g.b.entry = GoodImage::kTextVaddr + GoodImage::kTextSize - 1;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kOk, 2);
}

namespace {

// n one-page PT_LOADs: the first holds the headers and is executable, the
// others are .bss-like (no file bytes), one page apart.
void add_pages(ElfBuilder& b, usize n) {
    b.add({elf::kPtLoad, kRX, 0, 0x400000, 0, 0x400, 0x1000, 0x1000});
    for (usize i = 1; i < n; ++i) b.add({elf::kPtLoad, kRW, 0, 0x400000 + i * 0x1000, 0, 0, 0x1000, 0x1000});
    b.entry = 0x400200;
    b.build();
}

}  // namespace

TEST(ElfGood, SixteenSegmentsFit) {
    ElfBuilder b;
    add_pages(b, elf::kMaxSegments);
    CHECK_ELF_ERROR(parse(b), Error::kOk, 16);
    check_segment(g_image.segments[15], 0x40f000, 0x1000, 0, 0, kRW);
    STRCMP_EQUAL("elf: ok: ELF64, entry 0x400200, 16 loadable segments", message(parse(b)));
}

TEST_GROUP(ElfHeaderErrors){};

TEST(ElfHeaderErrors, TooSmall) {
    GoodImage g;
    elf::Result r = elf::parse(g.b.data(), 63, kLimits, g_image);
    CHECK_ELF_ERROR(r, Error::kTooSmall, 0);
    UNSIGNED_LONGLONGS_EQUAL(63, r.value);
    UNSIGNED_LONGLONGS_EQUAL(64, r.limit);
    UNSIGNED_LONGS_EQUAL(elf::kClass64, r.elf_class);
    STRCMP_EQUAL("elf: 63 bytes are too few for the 64-byte ELF64 header", message(r));

    // Before e_ident is complete the class is not known yet.
    r = elf::parse(g.b.data(), 15, kLimits, g_image);
    CHECK_ELF_ERROR(r, Error::kTooSmall, 0);
    UNSIGNED_LONGLONGS_EQUAL(15, r.value);
    UNSIGNED_LONGLONGS_EQUAL(16, r.limit);
    UNSIGNED_LONGS_EQUAL(0, r.elf_class);
    STRCMP_EQUAL("elf: 15 bytes are too few for the 16-byte e_ident", message(r));

    r = elf::parse(nullptr, 4096, kLimits, g_image);
    CHECK_ELF_ERROR(r, Error::kTooSmall, 0);
    UNSIGNED_LONGLONGS_EQUAL(0, r.value);
    UNSIGNED_LONGLONGS_EQUAL(16, r.limit);
    CHECK_FALSE(r.ok());
}

TEST(ElfHeaderErrors, BadMagic) {
    GoodImage g;
    g.b.put_u32(0, 0x00905a4d);  // "MZ\x90\0": a PE file
    elf::Result r = parse(g.b);
    CHECK_ELF_ERROR(r, Error::kBadMagic, 0);
    UNSIGNED_LONGLONGS_EQUAL(0x00905a4d, r.value);
    UNSIGNED_LONGLONGS_EQUAL(elf::kMagic, r.limit);
    STRCMP_EQUAL("elf: magic bytes 4d 5a 90 00, expected 7f 45 4c 46 (\\x7fELF)", message(r));

    for (usize i = 0; i < 4; ++i) {
        GoodImage h;
        h.b.put_u8(i, static_cast<u8>(h.b.data()[i] ^ 0x20));
        CHECK_ELF_ERROR(parse(h.b), Error::kBadMagic, 0);
    }
}

TEST(ElfHeaderErrors, UnsupportedClass) {
    GoodImage g;
    g.b.ident[4] = 0;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kUnsupportedClass, 0);
    UNSIGNED_LONGLONGS_EQUAL(0, r.value);
    UNSIGNED_LONGS_EQUAL(0, r.elf_class);
    STRCMP_EQUAL("elf: EI_CLASS is 0 (ELFCLASSNONE), must be 1 (ELFCLASS32) or 2 (ELFCLASS64)", message(r));

    g.b.ident[4] = 9;
    r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kUnsupportedClass, 0);
    UNSIGNED_LONGLONGS_EQUAL(9, r.value);
    STRCMP_EQUAL("elf: EI_CLASS is 9 (invalid), must be 1 (ELFCLASS32) or 2 (ELFCLASS64)", message(r));
}

TEST(ElfHeaderErrors, TheClassByteDecidesTheLayout) {
    // An ELF64 file claiming ELFCLASS32 is read as ELF32: its e_machine is
    // still EM_X86_64, which no ELF32 file may have.
    GoodImage g;
    g.b.ident[4] = elf::kClass32;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kWrongMachine, 0);
    UNSIGNED_LONGS_EQUAL(elf::kClass32, r.elf_class);
    STRCMP_EQUAL("elf: e_machine is 62 (EM_X86_64), ELF32 files must be 3 (EM_386)", message(r));
}

TEST(ElfHeaderErrors, NotLittleEndian) {
    GoodImage g;
    g.b.ident[5] = 2;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kNotLittleEndian, 0);
    UNSIGNED_LONGLONGS_EQUAL(2, r.value);
    UNSIGNED_LONGLONGS_EQUAL(1, r.limit);
    STRCMP_EQUAL(
        "elf: EI_DATA is 2 (ELFDATA2MSB, big-endian), only 1 (ELFDATA2LSB, little-endian) is supported",
        message(r));
}

TEST(ElfHeaderErrors, BadVersionInIdentOrHeader) {
    GoodImage g;
    g.b.ident[6] = 0;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kBadVersion, 0);
    UNSIGNED_LONGLONGS_EQUAL(0, r.value);
    UNSIGNED_LONGLONGS_EQUAL(1, r.limit);
    STRCMP_EQUAL("elf: e_ident[EI_VERSION] is 0 and e_version 1, both must be 1 (EV_CURRENT)", message(r));

    GoodImage h;
    h.b.version = 2;
    r = rebuild_and_parse(h.b);
    CHECK_ELF_ERROR(r, Error::kBadVersion, 0);
    UNSIGNED_LONGLONGS_EQUAL(1, r.value);
    UNSIGNED_LONGLONGS_EQUAL(2, r.limit);
    STRCMP_EQUAL("elf: e_ident[EI_VERSION] is 1 and e_version 2, both must be 1 (EV_CURRENT)", message(r));
}

TEST(ElfHeaderErrors, NotExecutable) {
    GoodImage g;
    g.b.type = elf::kTypeDyn;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kNotExecutable, 0);
    UNSIGNED_LONGLONGS_EQUAL(3, r.value);
    UNSIGNED_LONGLONGS_EQUAL(2, r.limit);
    STRCMP_EQUAL(
        "elf: e_type is 3 (ET_DYN, position-independent), only 2 (ET_EXEC, fixed-address executable) "
        "can be loaded",
        message(r));

    g.b.type = 1;
    r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kNotExecutable, 0);
    STRCMP_EQUAL(
        "elf: e_type is 1 (ET_REL, relocatable object), only 2 (ET_EXEC, fixed-address executable) "
        "can be loaded",
        message(r));
}

TEST(ElfHeaderErrors, WrongMachine) {
    GoodImage g;
    g.b.machine = 3;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kWrongMachine, 0);
    UNSIGNED_LONGLONGS_EQUAL(3, r.value);
    UNSIGNED_LONGLONGS_EQUAL(62, r.limit);
    STRCMP_EQUAL("elf: e_machine is 3 (EM_386), ELF64 files must be 62 (EM_X86_64)", message(r));

    g.b.machine = 183;
    STRCMP_EQUAL("elf: e_machine is 183 (EM_AARCH64), ELF64 files must be 62 (EM_X86_64)",
                 message(rebuild_and_parse(g.b)));
}

TEST(ElfHeaderErrors, BadPhentsize) {
    const u16 sizes[] = {0, 32, 55, 57, 64};
    for (u16 size : sizes) {
        GoodImage g;
        g.b.phentsize = size;
        elf::Result r = rebuild_and_parse(g.b);
        CHECK_ELF_ERROR(r, Error::kBadPhentsize, 0);
        UNSIGNED_LONGLONGS_EQUAL(size, r.value);
        UNSIGNED_LONGLONGS_EQUAL(56, r.limit);
    }
    GoodImage g;
    g.b.phentsize = 64;
    STRCMP_EQUAL("elf: e_phentsize is 64, ELF64 program headers are 56 bytes",
                 message(rebuild_and_parse(g.b)));
}

TEST(ElfHeaderErrors, ProgramHeaderTablePartlyPastTheEnd) {
    // Four headers at [0x40, 0x120): cut one byte off the last.
    GoodImage g;
    elf::Result r = elf::parse(g.b.data(), 0x11f, kLimits, g_image);
    CHECK_ELF_ERROR(r, Error::kPhdrsPastEnd, 3);
    UNSIGNED_LONGLONGS_EQUAL(0xe8, r.value);
    UNSIGNED_LONGLONGS_EQUAL(0x11f, r.limit);
    STRCMP_EQUAL("elf: program header 3 (56 bytes at file offset 0xe8) is not inside the 0x11f-byte file",
                 message(r));

    // Exactly the table, no segment bytes: the table passes, the segments do not.
    r = elf::parse(g.b.data(), 0x120, kLimits, g_image);
    CHECK_ELF_ERROR(r, Error::kSegmentPastEnd, g.text);
}

TEST(ElfHeaderErrors, ProgramHeaderTableStartsPastTheEnd) {
    const u64 offsets[] = {0x2101, 0x10000, ~u64{0}, ~u64{0} - 55, u64{1} << 63};
    for (u64 phoff : offsets) {
        GoodImage g;
        g.b.phoff = phoff;
        g.b.file_size = 0x2100;
        elf::Result r = rebuild_and_parse(g.b);
        CHECK_ELF_ERROR(r, Error::kPhdrsPastEnd, 0);
        UNSIGNED_LONGLONGS_EQUAL(phoff, r.value);
        UNSIGNED_LONGLONGS_EQUAL(0x2100, r.limit);
    }
    // Starts exactly at the end: header 0 has no bytes at all.
    GoodImage g;
    g.b.phoff = 0x2100;
    g.b.file_size = 0x2100;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kPhdrsPastEnd, 0);
    UNSIGNED_LONGLONGS_EQUAL(0x2100, r.value);
    STRCMP_EQUAL("elf: program header 0 (56 bytes at file offset 0x2100) is not inside the 0x2100-byte file",
                 message(r));
}

TEST(ElfHeaderErrors, HugeProgramHeaderCount) {
    // PN_XNUM (0xffff) read literally: far more headers than the file holds.
    GoodImage g;
    g.b.phnum_field = 0xffff;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kPhdrsPastEnd, (0x2100 - 64) / 56);
    UNSIGNED_LONGLONGS_EQUAL(64 + (0x2100 - 64) / 56 * 56, r.value);
}

TEST(ElfHeaderErrors, NoProgramHeaders) {
    GoodImage g;
    g.b.phnum_field = 0;
    g.b.phentsize = 0;  // allowed to be anything when there is no table
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kNoLoadableSegment, 0);
    UNSIGNED_LONGLONGS_EQUAL(0, r.value);
    STRCMP_EQUAL("elf: no program headers (e_phnum is 0)", message(r));
}

TEST(ElfHeaderErrors, NoLoadableSegment) {
    ElfBuilder b;
    b.add({kPtGnuStack, kRW, 0, 0, 0, 0, 0, 16});
    b.add({elf::kPtLoad, kRX, 0, 0x400000, 0, 0, 0, 0x1000});  // empty
    b.entry = 0x400000;
    elf::Result r = rebuild_and_parse(b);
    CHECK_ELF_ERROR(r, Error::kNoLoadableSegment, 0);
    UNSIGNED_LONGLONGS_EQUAL(2, r.value);
    STRCMP_EQUAL("elf: none of the 2 program headers is a PT_LOAD with p_memsz > 0", message(r));
}

TEST(ElfHeaderErrors, EntryOutsideAnExecutableSegment) {
    const u64 entries[] = {0, GoodImage::kTextVaddr - 1, GoodImage::kTextVaddr + GoodImage::kTextSize,
                           GoodImage::kDataVaddr, GoodImage::kDataVaddr + 0x2fff, ~u64{0}};
    for (u64 entry : entries) {
        GoodImage g;
        g.b.entry = entry;
        elf::Result r = rebuild_and_parse(g.b);
        CHECK_ELF_ERROR(r, Error::kEntryOutside, 0);
        UNSIGNED_LONGLONGS_EQUAL(entry, r.value);
    }
    GoodImage g;
    g.b.entry = GoodImage::kDataVaddr;
    STRCMP_EQUAL("elf: entry point 0x402000 is not inside an executable PT_LOAD segment",
                 message(rebuild_and_parse(g.b)));
}

TEST_GROUP(ElfSegmentErrors){};

TEST(ElfSegmentErrors, TooManySegments) {
    ElfBuilder b;
    add_pages(b, 18);
    elf::Result r = parse(b);
    CHECK_ELF_ERROR(r, Error::kTooManySegments, 16);
    UNSIGNED_LONGLONGS_EQUAL(18, r.value);
    UNSIGNED_LONGLONGS_EQUAL(16, r.limit);
    check_segment(r.segment, 0x410000, 0x1000, 0, 0, kRW);
    STRCMP_EQUAL("elf: program header 16: 18 loadable segments exceed the capacity of 16", message(r));
}

TEST(ElfSegmentErrors, EmptyLoadsDoNotCountTowardsCapacity) {
    ElfBuilder b;
    for (usize i = 0; i < 4; ++i) b.add({elf::kPtLoad, kRW, 0, 0x300000, 0, 0, 0, 0x1000});
    add_pages(b, elf::kMaxSegments);
    CHECK_ELF_ERROR(parse(b), Error::kOk, 16);
}

TEST(ElfSegmentErrors, FileszAboveMemsz) {
    GoodImage g;
    g.b.phdrs[g.text].filesz = GoodImage::kTextSize + 1;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kFileszAboveMemsz, g.text);
    UNSIGNED_LONGLONGS_EQUAL(0x1235, r.value);
    UNSIGNED_LONGLONGS_EQUAL(0x1234, r.limit);
    check_segment(r.segment, 0x400000, 0x1234, 0x1235, 0, kRX);
    STRCMP_EQUAL("elf: program header 1: p_filesz 0x1235 exceeds p_memsz 0x1234", message(r));
}

TEST(ElfSegmentErrors, SegmentPastTheEndOfTheFile) {
    GoodImage g;
    g.b.phdrs[g.data].filesz = GoodImage::kDataFileSize + 1;
    g.b.file_size = 0x2100;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kSegmentPastEnd, g.data);
    UNSIGNED_LONGLONGS_EQUAL(0x2101, r.value);
    UNSIGNED_LONGLONGS_EQUAL(0x2100, r.limit);
    check_segment(r.segment, 0x402000, 0x3000, 0x101, 0x2000, kRW);
    STRCMP_EQUAL(
        "elf: program header 2: file range [0x2000-0x2101) runs past the end of the file (0x2100 bytes)",
        message(r));

    // No file bytes, but an offset beyond the file still says the header is bogus.
    GoodImage h;
    h.b.phdrs[h.data].offset = 0x3000;
    h.b.phdrs[h.data].filesz = 0;
    h.b.file_size = 0x2100;
    r = rebuild_and_parse(h.b);
    CHECK_ELF_ERROR(r, Error::kSegmentPastEnd, h.data);
    UNSIGNED_LONGLONGS_EQUAL(0x3000, r.value);
}

TEST(ElfSegmentErrors, FileRangeThatWrapsAround) {
    GoodImage g;
    g.b.phdrs[g.data].offset = 0xfffffffffffff000;  // still page-congruent with 0x402000
    g.b.phdrs[g.data].filesz = 0x2000;
    g.b.file_size = 0x2100;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kSegmentPastEnd, g.data);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, r.value);
    UNSIGNED_LONGLONGS_EQUAL(0x2100, r.limit);
    STRCMP_EQUAL(
        "elf: program header 2: file range at p_offset 0xfffffffffffff000 of p_filesz 0x2000 wraps around",
        message(r));

    // Caught as a wrap, not by comparison with the size, so even a caller claiming
    // the largest possible file (the headers are still read from the real buffer) is safe.
    r = elf::parse(g.b.data(), ~usize{0}, kLimits, g_image);
    CHECK_ELF_ERROR(r, Error::kSegmentPastEnd, g.data);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, r.value);

    // Wrapping to exactly 0 and to just below the file size.
    g.b.phdrs[g.data].filesz = 0x1000;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kSegmentPastEnd, g.data);
    g.b.phdrs[g.data].filesz = 0x1100;
    CHECK_ELF_ERROR(rebuild_and_parse(g.b), Error::kSegmentPastEnd, g.data);
}

TEST(ElfSegmentErrors, AlignmentNotAPowerOfTwo) {
    const u64 aligns[] = {3, 0x1800, 0x3000, ~u64{0}};
    for (u64 align : aligns) {
        GoodImage g;
        g.b.phdrs[g.data].align = align;
        elf::Result r = rebuild_and_parse(g.b);
        CHECK_ELF_ERROR(r, Error::kBadAlignment, g.data);
        UNSIGNED_LONGLONGS_EQUAL(align, r.value);
        UNSIGNED_LONGLONGS_EQUAL(0, r.limit);
    }
    GoodImage g;
    g.b.phdrs[g.data].align = 0x1800;
    STRCMP_EQUAL("elf: program header 2: p_align 0x1800 is not 0, 1 or a power of two",
                 message(rebuild_and_parse(g.b)));
}

TEST(ElfSegmentErrors, VaddrAndOffsetDifferModuloAlign) {
    GoodImage g;
    g.b.phdrs[g.data].vaddr = 0x41a000;  // page-congruent with 0x2000, not 64 KiB-congruent
    g.b.phdrs[g.data].align = 0x10000;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kBadAlignment, g.data);
    UNSIGNED_LONGLONGS_EQUAL(0x10000, r.value);
    UNSIGNED_LONGLONGS_EQUAL(0x10000, r.limit);
    STRCMP_EQUAL("elf: program header 2: p_vaddr 0x41a000 and p_offset 0x2000 differ modulo p_align 0x10000",
                 message(r));

    GoodImage h;
    h.b.phdrs[h.data].vaddr = 0x402800;
    r = rebuild_and_parse(h.b);
    CHECK_ELF_ERROR(r, Error::kBadAlignment, h.data);
    UNSIGNED_LONGLONGS_EQUAL(0x1000, r.value);
    UNSIGNED_LONGLONGS_EQUAL(0x1000, r.limit);
}

TEST(ElfSegmentErrors, VaddrAndOffsetDifferModuloThePage) {
    // A small p_align is satisfied, but file page k would not be memory page k.
    const u64 aligns[] = {0, 1, 16, 0x800};
    for (u64 align : aligns) {
        GoodImage g;
        g.b.phdrs[g.data].vaddr = 0x402800;
        g.b.phdrs[g.data].align = align;
        elf::Result r = rebuild_and_parse(g.b);
        CHECK_ELF_ERROR(r, Error::kBadAlignment, g.data);
        UNSIGNED_LONGLONGS_EQUAL(align, r.value);
        UNSIGNED_LONGLONGS_EQUAL(elf::kPageSize, r.limit);
    }
    GoodImage g;
    g.b.phdrs[g.data].vaddr = 0x402800;
    g.b.phdrs[g.data].align = 16;
    STRCMP_EQUAL(
        "elf: program header 2: p_vaddr 0x402800 and p_offset 0x2000 differ modulo the page size 0x1000",
        message(rebuild_and_parse(g.b)));
}

TEST(ElfSegmentErrors, SegmentBelowMinVaddr) {
    GoodImage g;
    g.b.phdrs[g.text].vaddr = kMinVaddr - 0x1000;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, g.text);
    UNSIGNED_LONGLONGS_EQUAL(0xf000, r.value);
    UNSIGNED_LONGLONGS_EQUAL(0x10000, r.limit);
    STRCMP_EQUAL(
        "elf: program header 1: segment [0xf000-0x10234) starts below the lowest user address 0x10000",
        message(r));

    // One byte below.
    ElfBuilder b;
    b.add({elf::kPtLoad, kRX, 0xfff, kMinVaddr - 1, 0, 0x101, 0x101, 1});
    b.entry = kMinVaddr;
    r = rebuild_and_parse(b);
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, 0);
    UNSIGNED_LONGLONGS_EQUAL(0xffff, r.value);
    b.phdrs[0].offset = 0;
    b.phdrs[0].vaddr = kMinVaddr;
    CHECK_ELF_ERROR(rebuild_and_parse(b), Error::kOk, 1);
}

TEST(ElfSegmentErrors, SegmentOneBytePastUserTop) {
    GoodImage g;
    g.b.phdrs[g.data].vaddr = kUserTop - GoodImage::kDataMemSize;
    g.b.phdrs[g.data].memsz = GoodImage::kDataMemSize + 1;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, g.data);
    UNSIGNED_LONGLONGS_EQUAL(kUserTop + 1, r.value);
    UNSIGNED_LONGLONGS_EQUAL(kUserTop, r.limit);
    check_segment(r.segment, 0x7fffffffd000, 0x3001, 0x100, 0x2000, kRW);
    STRCMP_EQUAL(
        "elf: program header 2: segment [0x7fffffffd000-0x800000000001) reaches past the user half "
        "(limit 0x800000000000)",
        message(r));
}

TEST(ElfSegmentErrors, SegmentInTheKernelHalf) {
    // The lstar kernel's own link address: a kernel image passed off as a program.
    GoodImage g;
    g.b.phdrs[g.text].vaddr = 0xffffffff80000000;
    g.b.entry = 0xffffffff80001000;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, g.text);
    UNSIGNED_LONGLONGS_EQUAL(0xffffffff80001234, r.value);
    UNSIGNED_LONGLONGS_EQUAL(kUserTop, r.limit);
}

TEST(ElfSegmentErrors, MemoryRangeThatWrapsAround) {
    GoodImage g;
    g.b.phdrs[g.data].vaddr = 0xfffffffffffff000;
    g.b.phdrs[g.data].memsz = 0x2000;
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, g.data);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, r.value);
    UNSIGNED_LONGLONGS_EQUAL(kUserTop, r.limit);
    STRCMP_EQUAL(
        "elf: program header 2: segment at 0xfffffffffffff000 of p_memsz 0x2000 wraps around the "
        "address space",
        message(r));

    // Caught as a wrap, not by comparison with user_top, so no user_top lets it through.
    r = elf::parse(g.b.data(), g.b.size(), {kMinVaddr, ~u64{0}, kCompatTop}, g_image);
    CHECK_ELF_ERROR(r, Error::kOutsideUserRange, g.data);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, r.value);

    // memsz alone wrapping from a user address, and vaddr + memsz == 2^64 exactly.
    GoodImage h;
    h.b.phdrs[h.data].memsz = ~u64{0} - 0x1000;
    CHECK_ELF_ERROR(rebuild_and_parse(h.b), Error::kOutsideUserRange, h.data);
    h.b.phdrs[h.data].memsz = 0 - GoodImage::kDataVaddr;
    CHECK_ELF_ERROR(rebuild_and_parse(h.b), Error::kOutsideUserRange, h.data);
    UNSIGNED_LONGLONGS_EQUAL(~u64{0}, rebuild_and_parse(h.b).value);
}

TEST(ElfSegmentErrors, SegmentsSharingAPage) {
    // Data on text's last page (0x401000), as a linker without page separation does.
    GoodImage g;
    g.b.phdrs[g.data].vaddr = 0x401000 + (GoodImage::kDataOffset % 0x1000);
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kSegmentsOverlap, g.data);
    UNSIGNED_LONGLONGS_EQUAL(0x401000, r.value);
    UNSIGNED_LONGLONGS_EQUAL(g.text, r.limit);
    check_segment(r.segment, 0x401000, 0x3000, 0x100, 0x2000, kRW);
    STRCMP_EQUAL(
        "elf: program header 2: segment [0x401000-0x404000) shares the page at 0x401000 with program "
        "header 1",
        message(r));
}

TEST(ElfSegmentErrors, OverlapIsReportedAtTheLaterHeaderWhateverTheOrder) {
    // Data placed below text in memory but after it in the file.
    GoodImage g;
    g.b.phdrs[g.data].vaddr = 0x3fe000;  // [0x3fe000-0x401000) covers text's first page
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kSegmentsOverlap, g.data);
    UNSIGNED_LONGLONGS_EQUAL(0x400000, r.value);
    UNSIGNED_LONGLONGS_EQUAL(g.text, r.limit);

    // One segment entirely inside another.
    GoodImage h;
    h.b.phdrs[h.data].vaddr = 0x400000;
    h.b.phdrs[h.data].memsz = 0x100;
    r = rebuild_and_parse(h.b);
    CHECK_ELF_ERROR(r, Error::kSegmentsOverlap, h.data);
    UNSIGNED_LONGLONGS_EQUAL(0x400000, r.value);

    // Sharing a page through unaligned starts and ends: [0x402ff0-0x403010) and
    // [0x403008-...) both touch page 0x403000.
    ElfBuilder b;
    b.add({elf::kPtLoad, kRX, 0, 0x400000, 0, 0x100, 0x100, 0x1000});
    b.add({elf::kPtLoad, kRW, 0xff0, 0x402ff0, 0, 0x10, 0x20, 0x10});
    b.add({elf::kPtLoad, kRW, 0x8, 0x403008, 0, 0x8, 0x8, 0x8});
    b.entry = 0x400000;
    r = rebuild_and_parse(b);
    CHECK_ELF_ERROR(r, Error::kSegmentsOverlap, 2);
    UNSIGNED_LONGLONGS_EQUAL(0x403000, r.value);
    UNSIGNED_LONGLONGS_EQUAL(1, r.limit);
}

TEST(ElfSegmentErrors, FirstFailingRuleIsReported) {
    // p_filesz > p_memsz and a wrapping file range: the first check wins, and the
    // header before it (valid) does not change that.
    GoodImage g;
    g.b.phdrs[g.data].filesz = ~u64{0};
    elf::Result r = rebuild_and_parse(g.b);
    CHECK_ELF_ERROR(r, Error::kFileszAboveMemsz, g.data);
}

TEST_GROUP(ElfDescribe){};

TEST(ElfDescribe, EveryErrorHasADistinctName) {
    const usize count = static_cast<usize>(Error::kEntryOutside) + 1;
    for (usize i = 0; i < count; ++i) {
        const char* a = elf::error_name(static_cast<Error>(i));
        CHECK(a != nullptr && a[0] != 0);
        CHECK(strcmp(a, "unknown error") != 0);
        for (usize j = 0; j < i; ++j) CHECK(strcmp(a, elf::error_name(static_cast<Error>(j))) != 0);
    }
    STRCMP_EQUAL("unknown error", elf::error_name(static_cast<Error>(count)));
}

TEST(ElfDescribe, UnknownErrorAndTruncation) {
    elf::Result r{};
    r.error = static_cast<Error>(200);
    STRCMP_EQUAL("elf: unknown error 200", message(r));

    // Like snprintf: the full length is returned, the buffer is cut and terminated.
    GoodImage g;
    r = parse(g.b);
    char small[10];
    usize n = elf::describe(r, small, sizeof(small));
    UNSIGNED_LONGS_EQUAL(strlen("elf: ok: ELF64, entry 0x401000, 2 loadable segments"), n);
    STRCMP_EQUAL("elf: ok: ", small);
    UNSIGNED_LONGS_EQUAL(n, elf::describe(r, nullptr, 0));
}

TEST(ElfDescribe, OneSegmentIsSingular) {
    GoodImage g(false);
    g.b.phdrs[g.data].type = kPtNull;
    STRCMP_EQUAL("elf: ok: ELF64, entry 0x401000, 1 loadable segment", message(rebuild_and_parse(g.b)));
}

// The test executable itself, as a real linker laid it out. A PIE is parsed as if
// it were ET_EXEC at its link addresses (from 0, so min_vaddr 0), and the result
// is checked against where Linux actually loaded it: AT_ENTRY - e_entry is the
// load bias, and AT_PHDR must be phdr_vaddr moved by it.
TEST_GROUP(ElfReal){};

TEST(ElfReal, ParsesTheRunningTestExecutable) {
    int fd = open("/proc/self/exe", O_RDONLY);
    if (fd < 0) return;  // no procfs: nothing to compare against
    struct stat st;
    CHECK_EQUAL(0, fstat(fd, &st));
    usize size = static_cast<usize>(st.st_size);
    u8* file = new u8[size];
    usize got = 0;
    while (got < size) {
        ssize_t n = read(fd, file + got, size - got);
        CHECK_TRUE(n > 0);
        got += static_cast<usize>(n);
    }
    close(fd);

    u16 type;
    memcpy(&type, file + 16, 2);
    CHECK_TRUE(type == elf::kTypeExec || type == elf::kTypeDyn);
    if (type == elf::kTypeDyn) {
        type = elf::kTypeExec;
        memcpy(file + 16, &type, 2);
    }
    elf::Result r = elf::parse(file, size, {0, kUserTop, kCompatTop}, g_image);
    delete[] file;
    if (!r.ok()) FAIL(message(r));
    CHECK_TRUE(g_image.segment_count >= 2);

    u64 bias = getauxval(AT_ENTRY) - g_image.entry;
    UNSIGNED_LONGS_EQUAL(getauxval(AT_PHNUM), g_image.phnum);
    UNSIGNED_LONGS_EQUAL(getauxval(AT_PHENT), g_image.phentsize);
    UNSIGNED_LONGLONGS_EQUAL(getauxval(AT_PHDR), g_image.phdr_vaddr + bias);

    // This function's code must be in an executable segment, g_image in a writable one.
    auto find = [&](u64 address) -> const elf::Segment* {
        for (usize i = 0; i < g_image.segment_count; ++i) {
            const elf::Segment& s = g_image.segments[i];
            if (address >= s.vaddr + bias && address - (s.vaddr + bias) < s.memsz) return &s;
        }
        return nullptr;
    };
    const elf::Segment* code = find(reinterpret_cast<u64>(&message));
    const elf::Segment* data = find(reinterpret_cast<u64>(&g_image));
    CHECK_TRUE(code != nullptr && (code->flags & elf::kFlagX) != 0);
    CHECK_TRUE(data != nullptr && (data->flags & elf::kFlagW) != 0);
}
