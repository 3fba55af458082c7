// ELF32/ELF64 executable parser: every offset and address checked, with overflow, before use.
#include "lib/elf.h"

#include "lib/format.h"
#include "lib/kstd/unaligned.h"
#include "lib/kstd/utility.h"

namespace elf {
namespace {

// A boot module may start at any byte, so no field is assumed aligned.
using kstd::read_u16;
using kstd::read_u32;
using kstd::read_u64;

// [gABI ch. 4, ELF Identification] e_ident indices.
constexpr usize kIdentClass = 4;
constexpr usize kIdentData = 5;
constexpr usize kIdentVersion = 6;

// The file header and program header fields the rules need, independent of the
// file class: each class's readers fill the same structs from their own
// offsets, and everything after the readers is shared.
struct FileHeader {
    u32 version;
    u16 type;
    u16 machine;
    u64 entry;
    u64 phoff;
    u16 phentsize;
    u16 phnum;
};

struct ProgramHeader {
    u32 type;
    u32 flags;
    u64 offset;
    u64 vaddr;
    u64 filesz;
    u64 memsz;
    u64 align;
};

// [gABI ch. 4, ELF Header] Elf64_Ehdr field offsets; e_shoff (40), e_flags (48),
// e_ehsize (52) and the section header fields are not needed to load.
FileHeader read_header64(const u8* p) {
    FileHeader h;
    h.type = read_u16(p + 16);
    h.machine = read_u16(p + 18);
    h.version = read_u32(p + 20);
    h.entry = read_u64(p + 24);
    h.phoff = read_u64(p + 32);
    h.phentsize = read_u16(p + 54);
    h.phnum = read_u16(p + 56);
    return h;
}

// [gABI ch. 5, Program Header] Elf64_Phdr field offsets (p_flags sits right after
// p_type, unlike in Elf32_Phdr); p_paddr (24) means nothing to a user program.
ProgramHeader read_phdr64(const u8* p) {
    ProgramHeader ph;
    ph.type = read_u32(p);
    ph.flags = read_u32(p + 4);
    ph.offset = read_u64(p + 8);
    ph.vaddr = read_u64(p + 16);
    ph.filesz = read_u64(p + 32);
    ph.memsz = read_u64(p + 40);
    ph.align = read_u64(p + 48);
    return ph;
}

// [gABI ch. 4, ELF Header] Elf32_Ehdr field offsets: the same fields as
// Elf64_Ehdr, 4-byte addresses and offsets.
FileHeader read_header32(const u8* p) {
    FileHeader h;
    h.type = read_u16(p + 16);
    h.machine = read_u16(p + 18);
    h.version = read_u32(p + 20);
    h.entry = read_u32(p + 24);
    h.phoff = read_u32(p + 28);
    h.phentsize = read_u16(p + 42);
    h.phnum = read_u16(p + 44);
    return h;
}

// [gABI ch. 5, Program Header] Elf32_Phdr field offsets: p_flags comes after
// p_memsz here; p_paddr (12) is skipped as in ELF64.
ProgramHeader read_phdr32(const u8* p) {
    ProgramHeader ph;
    ph.type = read_u32(p);
    ph.offset = read_u32(p + 4);
    ph.vaddr = read_u32(p + 8);
    ph.filesz = read_u32(p + 16);
    ph.memsz = read_u32(p + 20);
    ph.flags = read_u32(p + 24);
    ph.align = read_u32(p + 28);
    return ph;
}

// What differs between the two classes.
struct Layout {
    u8 elf_class;
    u32 header_size;
    u32 phdr_size;
    u16 machine;
    u64 max_sum;  // the largest value a sum of two fields may reach without wrapping
    FileHeader (*read_header)(const u8*);
    ProgramHeader (*read_phdr)(const u8*);
};

constexpr Layout kLayout32 = {kClass32,       kElf32HeaderSize, kElf32PhdrSize, kMachine386,
                              0xffffffff,     &read_header32,   &read_phdr32};
constexpr Layout kLayout64 = {kClass64,       kElf64HeaderSize, kElf64PhdrSize, kMachineX86_64,
                              ~u64{0},        &read_header64,   &read_phdr64};

const Layout& layout_of(u8 elf_class) { return elf_class == kClass32 ? kLayout32 : kLayout64; }

constexpr u64 kNoEnd = ~u64{0};  // an end that overflowed, as reported in Result::value

// a + b, or kNoEnd if that does not fit in the class's width. The fields of
// either class are at most 64 bits wide, so only ELF64 sums can overflow u64.
u64 end_of(u64 a, u64 b, const Layout& l) {
    u64 sum;
    if (__builtin_add_overflow(a, b, &sum) || sum > l.max_sum) return kNoEnd;
    return sum;
}

bool wraps(u64 a, u64 b, const Layout& l) {
    u64 sum;
    return __builtin_add_overflow(a, b, &sum) || sum > l.max_sum;
}

Segment segment_of(const ProgramHeader& ph) { return {ph.vaddr, ph.memsz, ph.filesz, ph.offset, ph.flags}; }

Result result(Error error, usize index = 0, u64 value = 0, u64 limit = 0) {
    Result r{};
    r.error = error;
    r.index = index;
    r.value = value;
    r.limit = limit;
    return r;
}

Result segment_result(Error error, usize index, const ProgramHeader& ph, u64 value, u64 limit) {
    Result r = result(error, index, value, limit);
    r.segment = segment_of(ph);
    return r;
}

constexpr Result kPass{};

// The checks one PT_LOAD needs on its own; overlap with others is checked by the caller.
Result check_load(const ProgramHeader& ph, usize index, usize size, const Layout& l, u64 user_top,
                  u64 min_vaddr) {
    // [gABI ch. 5, Program Header] "p_filesz may not be larger than p_memsz".
    if (ph.filesz > ph.memsz) return segment_result(Error::kFileszAboveMemsz, index, ph, ph.filesz, ph.memsz);
    u64 file_end = end_of(ph.offset, ph.filesz, l);
    if (file_end > size || file_end == kNoEnd) {
        return segment_result(Error::kSegmentPastEnd, index, ph, file_end, size);
    }

    // [gABI ch. 5, Program Header] p_align 0 and 1 mean no constraint; otherwise it
    // is a power of two and p_vaddr = p_offset modulo p_align.
    if (ph.align > 1) {
        if ((ph.align & (ph.align - 1)) != 0) {
            return segment_result(Error::kBadAlignment, index, ph, ph.align, 0);
        }
        if (ph.vaddr % ph.align != ph.offset % ph.align) {
            return segment_result(Error::kBadAlignment, index, ph, ph.align, ph.align);
        }
    }
    // The loader copies or maps file page k of the segment to memory page k; that
    // only lines up when both sit at the same offset within their page, whatever a
    // small p_align claims.
    if (ph.vaddr % kPageSize != ph.offset % kPageSize) {
        return segment_result(Error::kBadAlignment, index, ph, ph.align, kPageSize);
    }

    // Everything outside [min_vaddr, user_top) is the null-pointer guard, or the
    // kernel's half (ELF64) or the 32-bit task's stack and entry page (ELF32);
    // an overflowing end would wrap into both.
    if (ph.vaddr < min_vaddr) return segment_result(Error::kOutsideUserRange, index, ph, ph.vaddr, min_vaddr);
    u64 mem_end = end_of(ph.vaddr, ph.memsz, l);
    if (mem_end > user_top || mem_end == kNoEnd) {
        return segment_result(Error::kOutsideUserRange, index, ph, mem_end, user_top);
    }
    return kPass;
}

// Page numbers are compared as inclusive first/last pages: memsz > 0 here, and the
// last byte's page cannot overflow the way rounding the end up could.
u64 first_page(const Segment& s) { return kstd::align_down(s.vaddr, kPageSize); }
u64 last_page(const Segment& s) { return kstd::align_down(s.vaddr + s.memsz - 1, kPageSize); }

// The first instruction must be mapped and executable, or the program faults before
// it runs and the fault looks like the kernel's doing.
bool entry_executable(const Image& image) {
    for (usize k = 0; k < image.segment_count; ++k) {
        const Segment& s = image.segments[k];
        if ((s.flags & kFlagX) != 0 && image.entry >= s.vaddr && image.entry - s.vaddr < s.memsz) return true;
    }
    return false;
}

// Non-empty PT_LOADs among headers [from, phnum), for the capacity error's count.
usize count_loads(const u8* table, usize from, usize phnum, const Layout& l) {
    usize n = 0;
    for (usize i = from; i < phnum; ++i) {
        ProgramHeader ph = l.read_phdr(table + i * l.phdr_size);
        if (ph.type == kPtLoad && ph.memsz > 0) ++n;
    }
    return n;
}

// Everything after e_ident, for a file whose class has been accepted.
Result parse_class(const u8* base, usize size, const Layout& l, const Limits& limits, Image& out) {
    if (size < l.header_size) return result(Error::kTooSmall, 0, size, l.header_size);
    // EI_OSABI and EI_ABIVERSION are not checked: GNU ld writes ELFOSABI_GNU or
    // ELFOSABI_NONE depending on the features used, and neither changes the layout.
    FileHeader h = l.read_header(base);
    if (base[kIdentVersion] != kVersionCurrent || h.version != kVersionCurrent) {
        return result(Error::kBadVersion, 0, base[kIdentVersion], h.version);
    }
    if (h.type != kTypeExec) return result(Error::kNotExecutable, 0, h.type, kTypeExec);
    if (h.machine != l.machine) return result(Error::kWrongMachine, 0, h.machine, l.machine);
    if (h.phnum == 0) return result(Error::kNoLoadableSegment, 0, 0);
    // Exactly the class's Elf_Phdr size, as Linux insists too: a larger entry
    // would be a format this parser has never seen, and a smaller one cannot
    // hold the fields.
    if (h.phentsize != l.phdr_size) return result(Error::kBadPhentsize, 0, h.phentsize, l.phdr_size);

    // The whole table must lie in the file. Counting the headers that fit avoids
    // computing e_phoff + phnum * phentsize, which a hostile e_phoff could
    // overflow. A PN_XNUM (0xffff) count is taken literally: executables never
    // need it.
    if (h.phoff > size) return result(Error::kPhdrsPastEnd, 0, h.phoff, size);
    u64 fit = (size - h.phoff) / l.phdr_size;
    if (fit < h.phnum) return result(Error::kPhdrsPastEnd, fit, h.phoff + fit * l.phdr_size, size);
    const u8* table = base + h.phoff;

    const u64 user_top = l.elf_class == kClass32 ? limits.top32 : limits.top64;
    out.compat = l.elf_class == kClass32;
    out.entry = h.entry;
    out.phnum = h.phnum;
    out.phentsize = h.phentsize;
    usize header_of[kMaxSegments];  // program header index of each kept segment
    bool have_pt_phdr = false;
    for (usize i = 0; i < h.phnum; ++i) {
        ProgramHeader ph = l.read_phdr(table + i * l.phdr_size);
        if (ph.type == kPtPhdr && !have_pt_phdr) {
            // Only passed on to the program (AT_PHDR); a wrong value hurts no one else.
            out.phdr_vaddr = ph.vaddr;
            have_pt_phdr = true;
        }
        if (ph.type != kPtLoad) continue;  // PT_GNU_STACK, PT_NOTE, PT_TLS, ...: nothing to map

        Result r = check_load(ph, i, size, l, user_top, limits.min_vaddr);
        if (!r.ok()) return r;
        // An empty segment maps nothing, but a page-granular mapper rounding an
        // unaligned vaddr would still map a page for it; leaving it out is simpler.
        if (ph.memsz == 0) continue;
        if (out.segment_count == kMaxSegments) {
            return segment_result(Error::kTooManySegments, i, ph,
                                  kMaxSegments + count_loads(table, i, h.phnum, l), kMaxSegments);
        }
        Segment s = segment_of(ph);
        // Pages carry one set of permissions and one content, so two segments may not
        // share one even where the file bytes would agree (text end / data start).
        for (usize k = 0; k < out.segment_count; ++k) {
            const Segment& other = out.segments[k];
            if (first_page(s) <= last_page(other) && first_page(other) <= last_page(s)) {
                u64 shared = kstd::max(first_page(s), first_page(other));
                return segment_result(Error::kSegmentsOverlap, i, ph, shared, header_of[k]);
            }
        }
        header_of[out.segment_count] = i;
        out.segments[out.segment_count++] = s;
    }
    if (out.segment_count == 0) return result(Error::kNoLoadableSegment, 0, h.phnum);

    if (!entry_executable(out)) return result(Error::kEntryOutside, 0, h.entry);

    // Without PT_PHDR (static binaries often lack it), the table is in memory if a
    // segment's file bytes include it: the usual layout puts it right after the ELF
    // header in the first PT_LOAD. Both ranges are inside the file, so no overflow.
    if (!have_pt_phdr) {
        u64 table_size = u64{h.phnum} * l.phdr_size;
        for (usize k = 0; k < out.segment_count; ++k) {
            const Segment& s = out.segments[k];
            if (s.offset <= h.phoff && h.phoff + table_size <= s.offset + s.filesz) {
                out.phdr_vaddr = s.vaddr + (h.phoff - s.offset);
                break;
            }
        }
    }
    return result(Error::kOk, out.segment_count, h.entry);
}

}  // namespace

Result parse(const void* data, usize size, const Limits& limits, Image& out) {
    out = Image{};
    if (data == nullptr) return result(Error::kTooSmall, 0, 0, kIdentSize);
    if (size < kIdentSize) return result(Error::kTooSmall, 0, size, kIdentSize);

    // [gABI ch. 4, ELF Identification] e_ident says how to read everything else,
    // so it is checked before any multi-byte field is interpreted.
    const auto* base = static_cast<const u8*>(data);
    u32 magic = read_u32(base);
    if (magic != kMagic) return result(Error::kBadMagic, 0, magic, kMagic);
    u8 elf_class = base[kIdentClass];
    if (elf_class != kClass32 && elf_class != kClass64) {
        return result(Error::kUnsupportedClass, 0, elf_class, 0);
    }
    Result r = base[kIdentData] != kDataLittleEndian
                   ? result(Error::kNotLittleEndian, 0, base[kIdentData], kDataLittleEndian)
                   : parse_class(base, size, layout_of(elf_class), limits, out);
    r.elf_class = elf_class;
    return r;
}

namespace {

unsigned long ul(u64 v) { return static_cast<unsigned long>(v); }

const char* class_name(u64 c) {
    switch (c) {
    case 0: return "ELFCLASSNONE";
    case kClass32: return "ELFCLASS32";
    case kClass64: return "ELFCLASS64";
    default: return "invalid";
    }
}

const char* data_name(u64 d) {
    switch (d) {
    case 0: return "ELFDATANONE";
    case 1: return "ELFDATA2LSB, little-endian";
    case 2: return "ELFDATA2MSB, big-endian";
    default: return "invalid";
    }
}

const char* type_name(u64 t) {
    switch (t) {
    case 0: return "ET_NONE";
    case 1: return "ET_REL, relocatable object";
    case kTypeExec: return "ET_EXEC, fixed-address executable";
    case kTypeDyn: return "ET_DYN, position-independent";
    case 4: return "ET_CORE, core dump";
    default: return "unknown";
    }
}

const char* machine_name(u64 m) {
    switch (m) {
    case kMachine386: return "EM_386";
    case 40: return "EM_ARM";
    case kMachineX86_64: return "EM_X86_64";
    case 183: return "EM_AARCH64";
    case 243: return "EM_RISCV";
    default: return "unknown";
    }
}

// "ELF32" or "ELF64" for messages about class-specific sizes and limits.
const char* class_label(u8 elf_class) { return elf_class == kClass32 ? "ELF32" : "ELF64"; }

// The error-specific part of a message about a program header.
void describe_segment(const Result& r, char* buf, usize size) {
    const Segment& s = r.segment;
    const Layout& l = layout_of(r.elf_class);
    const bool elf32 = r.elf_class == kClass32;
    unsigned long start = ul(s.vaddr), end = ul(s.vaddr + s.memsz);
    switch (r.error) {
    case Error::kTooManySegments:
        fmt::snprintf(buf, size, "%lu loadable segments exceed the capacity of %lu", ul(r.value),
                      ul(r.limit));
        return;
    case Error::kFileszAboveMemsz:
        fmt::snprintf(buf, size, "p_filesz 0x%lx exceeds p_memsz 0x%lx", ul(r.value), ul(r.limit));
        return;
    case Error::kSegmentPastEnd:
        if (wraps(s.offset, s.filesz, l)) {
            fmt::snprintf(buf, size, "file range at p_offset 0x%lx of p_filesz 0x%lx wraps around%s",
                          ul(s.offset), ul(s.filesz), elf32 ? " 32 bits" : "");
        } else {
            fmt::snprintf(buf, size, "file range [0x%lx-0x%lx) runs past the end of the file (0x%lx bytes)",
                          ul(s.offset), ul(r.value), ul(r.limit));
        }
        return;
    case Error::kBadAlignment:
        if (r.limit == 0) {
            fmt::snprintf(buf, size, "p_align 0x%lx is not 0, 1 or a power of two", ul(r.value));
        } else if (r.limit == r.value) {
            fmt::snprintf(buf, size, "p_vaddr 0x%lx and p_offset 0x%lx differ modulo p_align 0x%lx", start,
                          ul(s.offset), ul(r.limit));
        } else {
            fmt::snprintf(buf, size, "p_vaddr 0x%lx and p_offset 0x%lx differ modulo the page size 0x%lx",
                          start, ul(s.offset), ul(r.limit));
        }
        return;
    case Error::kOutsideUserRange:
        if (r.value < r.limit) {
            fmt::snprintf(buf, size, "segment [0x%lx-0x%lx) starts below the lowest user address 0x%lx",
                          start, end, ul(r.limit));
        } else if (wraps(s.vaddr, s.memsz, l)) {
            fmt::snprintf(buf, size, "segment at 0x%lx of p_memsz 0x%lx wraps around the %saddress space",
                          start, ul(s.memsz), elf32 ? "32-bit " : "");
        } else {
            fmt::snprintf(buf, size, "segment [0x%lx-0x%lx) reaches past the %s (limit 0x%lx)", start, end,
                          elf32 ? "32-bit user area" : "user half", ul(r.limit));
        }
        return;
    case Error::kSegmentsOverlap:
        fmt::snprintf(buf, size, "segment [0x%lx-0x%lx) shares the page at 0x%lx with program header %lu",
                      start, end, ul(r.value), ul(r.limit));
        return;
    default: fmt::snprintf(buf, size, "%s", error_name(r.error)); return;
    }
}

}  // namespace

usize describe(const Result& r, char* buf, usize size) {
    switch (r.error) {
    case Error::kOk:
        return fmt::snprintf(buf, size, "elf: ok: %s, entry 0x%lx, %lu loadable segment%s",
                             class_label(r.elf_class), ul(r.value), ul(r.index), r.index == 1 ? "" : "s");
    case Error::kTooSmall:
        if (r.elf_class == 0) {
            return fmt::snprintf(buf, size, "elf: %lu bytes are too few for the %lu-byte e_ident",
                                 ul(r.value), ul(r.limit));
        }
        return fmt::snprintf(buf, size, "elf: %lu bytes are too few for the %lu-byte %s header", ul(r.value),
                             ul(r.limit), class_label(r.elf_class));
    case Error::kBadMagic:
        return fmt::snprintf(buf, size,
                             "elf: magic bytes %02lx %02lx %02lx %02lx, expected 7f 45 4c 46 (\\x7fELF)",
                             ul(r.value & 0xff), ul((r.value >> 8) & 0xff), ul((r.value >> 16) & 0xff),
                             ul((r.value >> 24) & 0xff));
    case Error::kUnsupportedClass:
        return fmt::snprintf(buf, size, "elf: EI_CLASS is %lu (%s), must be %u (%s) or %u (%s)", ul(r.value),
                             class_name(r.value), unsigned{kClass32}, class_name(kClass32),
                             unsigned{kClass64}, class_name(kClass64));
    case Error::kNotLittleEndian:
        return fmt::snprintf(buf, size, "elf: EI_DATA is %lu (%s), only %lu (%s) is supported", ul(r.value),
                             data_name(r.value), ul(r.limit), data_name(r.limit));
    case Error::kBadVersion:
        return fmt::snprintf(buf, size,
                             "elf: e_ident[EI_VERSION] is %lu and e_version %lu, both must be 1 (EV_CURRENT)",
                             ul(r.value), ul(r.limit));
    case Error::kNotExecutable:
        return fmt::snprintf(buf, size, "elf: e_type is %lu (%s), only %lu (%s) can be loaded", ul(r.value),
                             type_name(r.value), ul(r.limit), type_name(r.limit));
    case Error::kWrongMachine:
        return fmt::snprintf(buf, size, "elf: e_machine is %lu (%s), %s files must be %lu (%s)", ul(r.value),
                             machine_name(r.value), class_label(r.elf_class), ul(r.limit),
                             machine_name(r.limit));
    case Error::kBadPhentsize:
        return fmt::snprintf(buf, size, "elf: e_phentsize is %lu, %s program headers are %lu bytes",
                             ul(r.value), class_label(r.elf_class), ul(r.limit));
    case Error::kPhdrsPastEnd:
        return fmt::snprintf(buf, size,
                             "elf: program header %lu (%u bytes at file offset 0x%lx) is not inside the "
                             "0x%lx-byte file",
                             ul(r.index), layout_of(r.elf_class).phdr_size, ul(r.value), ul(r.limit));
    case Error::kNoLoadableSegment:
        if (r.value == 0) return fmt::snprintf(buf, size, "elf: no program headers (e_phnum is 0)");
        return fmt::snprintf(buf, size, "elf: none of the %lu program headers is a PT_LOAD with p_memsz > 0",
                             ul(r.value));
    case Error::kEntryOutside:
        return fmt::snprintf(buf, size, "elf: entry point 0x%lx is not inside an executable PT_LOAD segment",
                             ul(r.value));
    case Error::kTooManySegments:
    case Error::kFileszAboveMemsz:
    case Error::kSegmentPastEnd:
    case Error::kBadAlignment:
    case Error::kOutsideUserRange:
    case Error::kSegmentsOverlap: {
        char detail[160];
        describe_segment(r, detail, sizeof(detail));
        return fmt::snprintf(buf, size, "elf: program header %lu: %s", ul(r.index), detail);
    }
    }
    return fmt::snprintf(buf, size, "elf: unknown error %u", static_cast<u32>(r.error));
}

const char* error_name(Error error) {
    switch (error) {
    case Error::kOk: return "ok";
    case Error::kTooSmall: return "too small";
    case Error::kBadMagic: return "bad magic";
    case Error::kUnsupportedClass: return "unsupported class";
    case Error::kNotLittleEndian: return "not little-endian";
    case Error::kBadVersion: return "bad version";
    case Error::kNotExecutable: return "not an executable";
    case Error::kWrongMachine: return "wrong machine";
    case Error::kBadPhentsize: return "bad e_phentsize";
    case Error::kPhdrsPastEnd: return "program headers past end";
    case Error::kTooManySegments: return "too many segments";
    case Error::kNoLoadableSegment: return "no loadable segment";
    case Error::kFileszAboveMemsz: return "p_filesz above p_memsz";
    case Error::kSegmentPastEnd: return "segment past end";
    case Error::kBadAlignment: return "bad alignment";
    case Error::kOutsideUserRange: return "outside user range";
    case Error::kSegmentsOverlap: return "segments overlap";
    case Error::kEntryOutside: return "entry outside";
    }
    return "unknown error";
}

}  // namespace elf
