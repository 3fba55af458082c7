// Test helpers: ELF32/ELF64 executable builder and guard-paged copy (see elf_builder.h).
#include "elf_builder.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CppUTest/TestHarness.h>

ElfBuilder::ElfBuilder(Width w)
    : width(w),
      ident{0x7f, 'E', 'L', 'F', w == Width::k32 ? elf::kClass32 : elf::kClass64, elf::kDataLittleEndian,
            elf::kVersionCurrent},
      type(elf::kTypeExec),
      machine(w == Width::k32 ? elf::kMachine386 : elf::kMachineX86_64),
      version(elf::kVersionCurrent),
      entry(0),
      phoff(header_size()),
      phentsize(static_cast<u16>(phdr_size())),
      phnum_field(-1),
      file_size(0),
      phdrs{},
      phdr_count(0),
      bytes_{},
      size_(0) {}

u32 ElfBuilder::header_size() const {
    return width == Width::k32 ? elf::kElf32HeaderSize : elf::kElf64HeaderSize;
}

u32 ElfBuilder::phdr_size() const { return width == Width::k32 ? elf::kElf32PhdrSize : elf::kElf64PhdrSize; }

usize ElfBuilder::add(const Phdr& phdr) {
    CHECK_TRUE(phdr_count < kMaxPhdrs);
    phdrs[phdr_count] = phdr;
    return phdr_count++;
}

namespace {

// The end of [offset, offset + n) if it lies inside the buffer, else 0.
usize end_within(u64 offset, u64 n, usize capacity) {
    if (offset > capacity || n > capacity - offset) return 0;
    return static_cast<usize>(offset + n);
}

// Copies the low n bytes of v (little-endian, as the host is).
void put(u8* p, u64 v, usize n) { memcpy(p, &v, n); }

}  // namespace

void ElfBuilder::write_header(u16 phnum) {
    u8* h = bytes_;
    memset(h, 0, header_size());
    memcpy(h, ident, sizeof(ident));
    put(h + 16, type, 2);
    put(h + 18, machine, 2);
    put(h + 20, version, 4);
    if (width == Width::k32) {
        // [gABI] Elf32_Ehdr
        put(h + 24, entry, 4);
        put(h + 28, phoff, 4);
        put(h + 40, elf::kElf32HeaderSize, 2);
        put(h + 42, phentsize, 2);
        put(h + 44, phnum, 2);
    } else {
        // [gABI] Elf64_Ehdr
        put(h + 24, entry, 8);
        put(h + 32, phoff, 8);
        put(h + 52, elf::kElf64HeaderSize, 2);
        put(h + 54, phentsize, 2);
        put(h + 56, phnum, 2);
    }
}

void ElfBuilder::write_phdr(u8* p, const Phdr& ph) const {
    put(p, ph.type, 4);
    if (width == Width::k32) {
        // [gABI] Elf32_Phdr: p_flags after p_memsz
        put(p + 4, ph.offset, 4);
        put(p + 8, ph.vaddr, 4);
        put(p + 12, ph.paddr, 4);
        put(p + 16, ph.filesz, 4);
        put(p + 20, ph.memsz, 4);
        put(p + 24, ph.flags, 4);
        put(p + 28, ph.align, 4);
    } else {
        // [gABI] Elf64_Phdr: p_flags after p_type
        put(p + 4, ph.flags, 4);
        put(p + 8, ph.offset, 8);
        put(p + 16, ph.vaddr, 8);
        put(p + 24, ph.paddr, 8);
        put(p + 32, ph.filesz, 8);
        put(p + 40, ph.memsz, 8);
        put(p + 48, ph.align, 8);
    }
}

void ElfBuilder::build() {
    // A pattern rather than zeros, so that a parser reading segment contents as
    // headers (or the reverse) sees garbage.
    for (usize i = 0; i < kCapacity; ++i) bytes_[i] = static_cast<u8>(i * 7 + 3);

    u16 phnum = phnum_field >= 0 ? static_cast<u16>(phnum_field) : static_cast<u16>(phdr_count);
    write_header(phnum);

    usize auto_size = header_size();
    usize table_end = end_within(phoff, phdr_count * phdr_size(), kCapacity);
    if (table_end != 0) {
        for (usize i = 0; i < phdr_count; ++i) write_phdr(bytes_ + phoff + i * phdr_size(), phdrs[i]);
        if (table_end > auto_size) auto_size = table_end;
    }
    for (usize i = 0; i < phdr_count; ++i) {
        usize end = end_within(phdrs[i].offset, phdrs[i].filesz, kCapacity);
        if (end > auto_size) auto_size = end;
    }
    size_ = file_size != 0 ? file_size : auto_size;
    CHECK_TRUE(size_ <= kCapacity);
}

void ElfBuilder::put_u8(usize offset, u8 value) {
    CHECK_TRUE(offset + 1 <= kCapacity);
    bytes_[offset] = value;
}

void ElfBuilder::put_u16(usize offset, u16 value) {
    CHECK_TRUE(offset + 2 <= kCapacity);
    memcpy(bytes_ + offset, &value, 2);
}

void ElfBuilder::put_u32(usize offset, u32 value) {
    CHECK_TRUE(offset + 4 <= kCapacity);
    memcpy(bytes_ + offset, &value, 4);
}

void ElfBuilder::put_u64(usize offset, u64 value) {
    CHECK_TRUE(offset + 8 <= kCapacity);
    memcpy(bytes_ + offset, &value, 8);
}

GoodImage::GoodImage(bool with_pt_phdr, Width width) : b(width), pt_phdr(kNone) {
    const u64 table_size = (with_pt_phdr ? 4 : 3) * b.phdr_size();
    const u64 table_vaddr = kTextVaddr + b.header_size();
    if (with_pt_phdr) {
        pt_phdr = b.add({elf::kPtPhdr, elf::kFlagR, b.header_size(), table_vaddr, table_vaddr, table_size,
                         table_size, width == Width::k32 ? 4u : 8u});
    }
    text = b.add(
        {elf::kPtLoad, elf::kFlagR | elf::kFlagX, 0, kTextVaddr, kTextVaddr, kTextSize, kTextSize, 0x1000});
    data = b.add({elf::kPtLoad, elf::kFlagR | elf::kFlagW, kDataOffset, kDataVaddr, kDataVaddr, kDataFileSize,
                  kDataMemSize, 0x1000});
    stack = b.add({kPtGnuStack, elf::kFlagR | elf::kFlagW, 0, 0, 0, 0, 0, 16});
    b.entry = kEntry;
    b.build();
}

GuardedCopy::GuardedCopy(usize capacity) {
    usize page = static_cast<usize>(sysconf(_SC_PAGESIZE));
    usize body = (capacity + page - 1) / page * page;
    body_size_ = body;
    mapping_size_ = body + 2 * page;
    void* m = mmap(nullptr, mapping_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_TRUE(m != MAP_FAILED);
    mapping_ = static_cast<u8*>(m);
    guard_ = mapping_ + page + body;
    CHECK_EQUAL(0, mprotect(mapping_, page, PROT_NONE));
    CHECK_EQUAL(0, mprotect(guard_, page, PROT_NONE));
}

GuardedCopy::~GuardedCopy() { munmap(mapping_, mapping_size_); }

const u8* GuardedCopy::place(const void* src, usize n) {
    CHECK_TRUE(n <= body_size_);
    u8* start = guard_ - n;
    if (n > 0) memcpy(start, src, n);
    return start;
}
