// Robustness tests for the ELF parser, both classes: truncation, corruption and hostile field values.
#include "lib/elf.h"

#include <string.h>

#include <CppUTest/TestHarness.h>

#include "elf_builder.h"

using elf::Error;

namespace {

elf::Image g_image;

// Deterministic pseudo-random numbers (a 64-bit LCG) so failures reproduce.
struct Lcg {
    u64 state;
    u32 next() {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<u32>(state >> 33);
    }
    u64 next64() { return u64{next()} << 32 | next(); }
};

constexpr Width kWidths[] = {Width::k64, Width::k32};

// What a successful parse promises the kernel's mapper, checked independently of
// the parser's own code.
void check_image(const elf::Image& image, usize size) {
    const u64 top = image.compat ? kCompatTop : kUserTop;
    CHECK(image.segment_count >= 1 && image.segment_count <= elf::kMaxSegments);
    bool entry_found = false;
    for (usize i = 0; i < image.segment_count; ++i) {
        const elf::Segment& s = image.segments[i];
        CHECK(s.memsz > 0);
        CHECK(s.filesz <= s.memsz);
        CHECK(s.offset <= size && s.filesz <= size - s.offset);
        CHECK(s.vaddr >= kMinVaddr);
        CHECK(s.vaddr < top && s.memsz <= top - s.vaddr);
        CHECK(s.vaddr % elf::kPageSize == s.offset % elf::kPageSize);
        u64 first = s.vaddr / elf::kPageSize, last = (s.vaddr + s.memsz - 1) / elf::kPageSize;
        for (usize j = 0; j < i; ++j) {
            const elf::Segment& o = image.segments[j];
            u64 o_first = o.vaddr / elf::kPageSize, o_last = (o.vaddr + o.memsz - 1) / elf::kPageSize;
            CHECK(last < o_first || o_last < first);
        }
        if ((s.flags & elf::kFlagX) != 0 && image.entry >= s.vaddr && image.entry - s.vaddr < s.memsz) {
            entry_found = true;
        }
    }
    CHECK(entry_found);
}

// Parses the copy at the end of the guarded buffer and checks the outcome's
// promises; describe() must cope with whatever was reported.
elf::Result parse_guarded(GuardedCopy& guard, const u8* bytes, usize size) {
    const u8* p = guard.place(bytes, size);
    elf::Result r = elf::parse(p, size, kLimits, g_image);
    if (r.ok()) check_image(g_image, size);
    char message[256];
    usize n = elf::describe(r, message, sizeof(message));
    CHECK(n > 0 && n == strlen(message));
    return r;
}

}  // namespace

TEST_GROUP(ElfFuzz){};

TEST(ElfFuzz, TruncatedAtEveryLength) {
    for (Width width : kWidths) {
        for (bool with_pt_phdr : {true, false}) {
            GoodImage g(with_pt_phdr, width);
            usize size = g.b.size();
            usize header_end = g.b.header_size();
            usize table_end = header_end + g.b.phdr_count * g.b.phdr_size();
            GuardedCopy guard(ElfBuilder::kCapacity);
            for (usize length = 0; length <= size; ++length) {
                elf::Result r = parse_guarded(guard, g.b.data(), length);
                Error expected = length == size         ? Error::kOk
                                 : length < header_end ? Error::kTooSmall
                                 : length < table_end  ? Error::kPhdrsPastEnd
                                                       : Error::kSegmentPastEnd;
                STRCMP_EQUAL(elf::error_name(expected), elf::error_name(r.error));
                UNSIGNED_LONGS_EQUAL(length < elf::kIdentSize ? 0 : g.b.ident[4], r.elf_class);
            }
        }
    }
}

namespace {

void corrupt_every_header_byte(Width width) {
    GoodImage g(true, width);
    usize size = g.b.size();
    usize table_end = g.b.header_size() + g.b.phdr_count * g.b.phdr_size();
    GuardedCopy guard(ElfBuilder::kCapacity);
    static u8 copy[ElfBuilder::kCapacity];
    for (usize pos = 0; pos < table_end; ++pos) {
        const u8 original = g.b.data()[pos];
        const u8 mutations[] = {0x00, 0xff, 0x01, 0x10, 0x40, 0x80, static_cast<u8>(original ^ 0x01),
                                static_cast<u8>(original ^ 0x10), static_cast<u8>(original + 1),
                                static_cast<u8>(original - 1)};
        for (u8 m : mutations) {
            memcpy(copy, g.b.data(), size);
            copy[pos] = m;
            parse_guarded(guard, copy, size);
        }
    }
}

void corrupt_random_bytes(Width width, u64 seed) {
    GoodImage g(true, width);
    usize size = g.b.size();
    usize table_end = g.b.header_size() + g.b.phdr_count * g.b.phdr_size();
    GuardedCopy guard(ElfBuilder::kCapacity);
    static u8 copy[ElfBuilder::kCapacity];
    Lcg rng{seed};
    usize accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        memcpy(copy, g.b.data(), size);
        u32 edits = 1 + rng.next() % 4;
        for (u32 e = 0; e < edits; ++e) copy[rng.next() % table_end] = static_cast<u8>(rng.next());
        usize length = rng.next() % 4 == 0 ? rng.next() % (size + 1) : size;
        if (parse_guarded(guard, copy, length).ok()) ++accepted;
    }
    CHECK(accepted > 0);  // some edits hit harmless bytes (p_paddr, padding)
}

}  // namespace

TEST(ElfFuzz, EveryHeaderByteCorrupted) { corrupt_every_header_byte(Width::k64); }

TEST(ElfFuzz, EveryHeaderByteCorruptedElf32) { corrupt_every_header_byte(Width::k32); }

TEST(ElfFuzz, RandomMultiByteCorruption) { corrupt_random_bytes(Width::k64, 0x656c6636); }

TEST(ElfFuzz, RandomMultiByteCorruptionElf32) { corrupt_random_bytes(Width::k32, 0x656c6633); }

namespace {

// Field values that sit on or next to a boundary the parser checks.
u64 hostile_value(Lcg& rng, usize size) {
    const u64 values[] = {0,
                          1,
                          0xfff,
                          0x1000,
                          0x1001,
                          0x2000,
                          size - 1,
                          size,
                          size + 1,
                          kMinVaddr - 1,
                          kMinVaddr,
                          kUserTop - 0x1000,
                          kUserTop - 1,
                          kUserTop,
                          kUserTop + 1,
                          kCompatTop - 0x1000,
                          kCompatTop - 1,
                          kCompatTop,
                          kCompatTop + 1,
                          0xfffff000,
                          0xffffffff,
                          u64{1} << 32,
                          u64{1} << 31,
                          u64{1} << 63,
                          ~u64{0} - 0xfff,
                          ~u64{0} - 1,
                          ~u64{0},
                          GoodImage::kTextVaddr,
                          GoodImage::kDataVaddr,
                          GoodImage::kEntry};
    u32 pick = rng.next() % (sizeof(values) / sizeof(values[0]) + 2);
    if (pick < sizeof(values) / sizeof(values[0])) return values[pick];
    return pick % 2 == 0 ? rng.next64() : rng.next() % 0x10000;
}

}  // namespace

TEST(ElfFuzz, HostileProgramHeaderFields) {
    GuardedCopy guard(ElfBuilder::kCapacity);
    Lcg rng{0x7068647273};
    usize accepted = 0;
    for (int round = 0; round < 40000; ++round) {
        GoodImage g(true, round % 2 == 0 ? Width::k64 : Width::k32);
        usize size = g.b.size();
        elf::Result base = parse_guarded(guard, g.b.data(), size);
        CHECK_TRUE(base.ok());
        // One or two fields of one or two PT_LOADs (or of the header) replaced.
        u32 edits = 1 + rng.next() % 2;
        for (u32 e = 0; e < edits; ++e) {
            Phdr& ph = g.b.phdrs[rng.next() % 2 == 0 ? g.text : g.data];
            u64 v = hostile_value(rng, size);
            switch (rng.next() % 8) {
            case 0: ph.offset = v; break;
            case 1: ph.vaddr = v; break;
            case 2: ph.filesz = v; break;
            case 3: ph.memsz = v; break;
            case 4: ph.align = v; break;
            case 5: g.b.entry = v; break;
            case 6: g.b.phoff = v; break;
            default: ph.flags = static_cast<u32>(v); break;
            }
        }
        g.b.file_size = size;
        g.b.build();
        if (parse_guarded(guard, g.b.data(), size).ok()) ++accepted;
    }
    CHECK(accepted > 0);
}
