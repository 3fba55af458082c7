// Test helpers: Multiboot2 block builder and guard-paged buffer (see multiboot2_builder.h).
#include "multiboot2_builder.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CppUTest/TestHarness.h>

Mb2Builder::Mb2Builder() : storage_{}, size_(0) {
    u32 header[2] = {0, 0};  // total_size patched by finish()
    append(header, sizeof(header));
}

void Mb2Builder::append(const void* bytes, usize n) {
    CHECK_TRUE(size_ + n <= kCapacity);
    memcpy(data() + size_, bytes, n);
    size_ += n;
}

void Mb2Builder::pad() {
    while (size_ % 8 != 0) data()[size_++] = 0;
}

u32 Mb2Builder::raw_tag(u32 type, u32 size_field, const void* payload, u32 n) {
    u32 offset = static_cast<u32>(size_);
    u32 header[2] = {type, size_field};
    append(header, sizeof(header));
    if (n > 0) append(payload, n);
    pad();
    return offset;
}

u32 Mb2Builder::tag(u32 type, const void* payload, u32 n) { return raw_tag(type, 8 + n, payload, n); }

u32 Mb2Builder::string_tag(u32 type, const char* s) { return tag(type, s, static_cast<u32>(strlen(s) + 1)); }

u32 Mb2Builder::module(u32 start, u32 end, const char* s) {
    u8 payload[256];
    usize n = strlen(s) + 1;
    memcpy(payload, &start, 4);
    memcpy(payload + 4, &end, 4);
    memcpy(payload + 8, s, n);
    return tag(mb2::kTagModule, payload, static_cast<u32>(8 + n));
}

u32 Mb2Builder::basic_meminfo(u32 lower_kib, u32 upper_kib) {
    u32 payload[2] = {lower_kib, upper_kib};
    return tag(mb2::kTagBasicMeminfo, payload, sizeof(payload));
}

u32 Mb2Builder::memory_map(const mb2::MemoryRegion* regions, usize count, u32 entry_size) {
    static u8 payload[Mb2Builder::kCapacity];
    u32 head[2] = {entry_size, 0};
    memcpy(payload, head, sizeof(head));
    usize n = sizeof(head);
    for (usize i = 0; i < count; ++i) {
        memset(payload + n, 0, entry_size);
        memcpy(payload + n, &regions[i].base, 8);
        memcpy(payload + n + 8, &regions[i].length, 8);
        memcpy(payload + n + 16, &regions[i].type, 4);
        n += entry_size;
    }
    return tag(mb2::kTagMemoryMap, payload, static_cast<u32>(n));
}

u32 Mb2Builder::rsdp(u32 type, u32 length) {
    u8 payload[64] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
    for (u32 i = 8; i < sizeof(payload); ++i) payload[i] = static_cast<u8>(i);
    return tag(type, payload, length);
}

u32 Mb2Builder::end() { return tag(mb2::kTagEnd, nullptr, 0); }

void Mb2Builder::finish() { put_u32(0, static_cast<u32>(size_)); }

void Mb2Builder::put_u32(usize offset, u32 value) { memcpy(data() + offset, &value, 4); }

const mb2::MemoryRegion kGoodRegions[3] = {
    {0x0, 0x9fc00, mb2::kMemoryAvailable},
    {0x100000, 0x7ee0000, mb2::kMemoryAvailable},
    {0xfffc0000, 0x40000, mb2::kMemoryReserved},
};

GoodBlock::GoodBlock() {
    cmdline = b.string_tag(mb2::kTagCmdline, "console=serial mem=64M");
    loader = b.string_tag(mb2::kTagBootloaderName, "GRUB 2.06");
    module_a = b.module(0x100000, 0x180000, "init");
    module_b = b.module(0x200000, 0x200000, "");
    meminfo = b.basic_meminfo(639, 130048);
    mmap = b.memory_map(kGoodRegions, 3);
    const u8 fb[24] = {1, 2, 3};
    framebuffer = b.tag(8, fb, sizeof(fb));
    rsdp_old = b.rsdp(mb2::kTagAcpiOldRsdp, mb2::kRsdpV1Size);
    rsdp_new = b.rsdp(mb2::kTagAcpiNewRsdp, mb2::kRsdpV2Size);
    end = b.end();
    b.finish();
}

GuardedBuffer::GuardedBuffer(usize capacity) {
    usize page = static_cast<usize>(sysconf(_SC_PAGESIZE));
    usize body = (capacity + page - 1) / page * page;
    mapping_size_ = body + 2 * page;
    void* m = mmap(nullptr, mapping_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_TRUE(m != MAP_FAILED);
    mapping_ = static_cast<u8*>(m);
    guard_end_ = mapping_ + page + body;
    CHECK_EQUAL(0, mprotect(mapping_, page, PROT_NONE));
    CHECK_EQUAL(0, mprotect(guard_end_, page, PROT_NONE));
}

GuardedBuffer::~GuardedBuffer() { munmap(mapping_, mapping_size_); }

u8* GuardedBuffer::place_at_end(const void* src, usize n) {
    usize rounded = (n + 7) / 8 * 8;
    u8* start = guard_end_ - rounded;
    memset(start, 0xa5, rounded);
    if (n > 0) memcpy(start, src, n);
    return start;
}
