// Test helpers: an in-memory ELF32/ELF64 executable builder and a guard-paged copy.
#pragma once

#include "lib/elf.h"
#include "lib/kstd/types.h"

// The addresses the kernel passes to elf::parse(): the end of the lower half
// for ELF64, a page below the 32-bit stack area for ELF32.
constexpr u64 kUserTop = 0x0000800000000000;
constexpr u64 kCompatTop = 0xfffeb000;
constexpr u64 kMinVaddr = 0x10000;
constexpr elf::Limits kLimits = {kMinVaddr, kUserTop, kCompatTop};

// p_type values of segments the parser must skip.
constexpr u32 kPtNull = 0;
constexpr u32 kPtNote = 4;
constexpr u32 kPtTls = 7;
constexpr u32 kPtGnuStack = 0x6474e551;

// Which layout ElfBuilder writes.
enum class Width : u8 { k64, k32 };

// Every field of an Elf64_Phdr (and so of an Elf32_Phdr), so that tests can set
// p_paddr and p_align too.
struct Phdr {
    u32 type;
    u32 flags;
    u64 offset;
    u64 vaddr;
    u64 paddr;
    u64 filesz;
    u64 memsz;
    u64 align;
};

// Builds an executable from public fields: edit them, then call build(). Values
// are written as given, never "fixed up", so malformed files are as easy to make
// as good ones; in the ELF32 layout a value wider than its field keeps its low
// 32 bits, as in a file. The constructor sets a valid ET_EXEC header of the
// width's class and machine (ELF64 x86-64, or ELF32 i386) with no program
// headers; the layout follows the width, whatever ident[EI_CLASS] says.
class ElfBuilder {
public:
    static constexpr usize kCapacity = 0x4000;
    static constexpr usize kMaxPhdrs = 24;

    explicit ElfBuilder(Width width = Width::k64);

    u32 header_size() const;
    u32 phdr_size() const;

    // Appends a program header and returns its index.
    usize add(const Phdr& phdr);

    // Writes the header, the program headers at phoff (if they fit in the buffer)
    // and a byte pattern elsewhere. The file size is file_size if non-zero, else
    // the end of the furthest program header table or segment file range that
    // fits in the buffer. e_phnum is phnum_field if >= 0, else the header count.
    void build();

    // Patches the built bytes.
    void put_u8(usize offset, u8 value);
    void put_u16(usize offset, u16 value);
    void put_u32(usize offset, u32 value);
    void put_u64(usize offset, u64 value);

    const u8* data() const { return bytes_; }
    usize size() const { return size_; }

    Width width;
    u8 ident[16];
    u16 type;
    u16 machine;
    u32 version;
    u64 entry;
    u64 phoff;
    u16 phentsize;
    i32 phnum_field;
    usize file_size;
    Phdr phdrs[kMaxPhdrs];
    usize phdr_count;

private:
    void write_header(u16 phnum);
    void write_phdr(u8* p, const Phdr& ph) const;

    u8 bytes_[kCapacity];
    usize size_;
};

// The layout GNU ld produces for a small static executable with
// -z max-page-size=0x1000: the first PT_LOAD (R+X) starts at file offset 0 and so
// holds the ELF header and program headers; data (R+W) starts on a new page and
// ends in .bss. Indices are the program header numbers (kNone if absent). The
// ELF32 image has the same addresses; its program headers are at 0x400034.
struct GoodImage {
    static constexpr usize kNone = ~usize{0};
    static constexpr u64 kTextVaddr = 0x400000;
    static constexpr u64 kTextSize = 0x1234;
    static constexpr u64 kDataVaddr = 0x402000;
    static constexpr u64 kDataOffset = 0x2000;
    static constexpr u64 kDataFileSize = 0x100;
    static constexpr u64 kDataMemSize = 0x3000;
    static constexpr u64 kEntry = 0x401000;

    explicit GoodImage(bool with_pt_phdr = true, Width width = Width::k64);

    ElfBuilder b;
    usize pt_phdr, text, data, stack;
};

struct GoodImage32 : GoodImage {
    explicit GoodImage32(bool with_pt_phdr = true) : GoodImage(with_pt_phdr, Width::k32) {}
};

// A copy that ends exactly where an inaccessible guard page starts, so that
// reading even one byte past the copy faults instead of going unnoticed.
class GuardedCopy {
public:
    explicit GuardedCopy(usize capacity);
    ~GuardedCopy();
    GuardedCopy(const GuardedCopy&) = delete;
    GuardedCopy& operator=(const GuardedCopy&) = delete;

    // Copies n bytes of src to the end of the buffer and returns the copy.
    const u8* place(const void* src, usize n);

private:
    u8* mapping_;
    usize mapping_size_;
    usize body_size_;  // usable bytes between the guard pages
    u8* guard_;        // first byte of the trailing guard page
};
