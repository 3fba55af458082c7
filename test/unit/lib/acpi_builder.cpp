// Test helpers: fake physical memory and ACPI table builders (see acpi_builder.h).
#include "acpi_builder.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CppUTest/TestHarness.h>

FakePhys::~FakePhys() {
    for (usize i = 0; i < region_count_; ++i) delete[] regions_[i].bytes;
    for (usize i = 0; i < mapping_count_; ++i) munmap(mappings_[i].base, mappings_[i].size);
}

void FakePhys::add_region(u64 base, usize size) {
    CHECK_TRUE(region_count_ < kMaxRegions);
    regions_[region_count_++] = {base, size, new u8[size]()};
}

u8* FakePhys::at(u64 phys, usize n) {
    for (usize i = 0; i < region_count_; ++i) {
        Region& r = regions_[i];
        if (phys >= r.base && n <= r.size && phys - r.base <= r.size - n) return r.bytes + (phys - r.base);
    }
    FAIL("write outside fake physical memory");
    return nullptr;
}

void FakePhys::put(u64 phys, const void* bytes, usize n) { memcpy(at(phys, n), bytes, n); }

usize FakePhys::longest_read_at(u64 phys) const {
    usize longest = 0;
    for (usize i = 0; i < read_count_ && i < kMaxReads; ++i) {
        if (reads_[i].phys == phys && reads_[i].len > longest) longest = reads_[i].len;
    }
    return longest;
}

const void* FakePhys::read(void* ctx, u64 phys, usize len) {
    return static_cast<FakePhys*>(ctx)->do_read(phys, len);
}

const void* FakePhys::do_read(u64 phys, usize len) {
    if (read_count_ < kMaxReads) reads_[read_count_] = {phys, len};
    ++read_count_;
    for (usize i = 0; i < region_count_; ++i) {
        const Region& r = regions_[i];
        // Written so that no sum can wrap: phys and len come from the parser.
        if (phys < r.base || len > r.size || phys - r.base > r.size - len) continue;
        const u8* src = r.bytes + (phys - r.base);
        return guarded_ ? guarded_copy(src, len) : src;
    }
    return nullptr;
}

const void* FakePhys::guarded_copy(const u8* src, usize len) {
    CHECK_TRUE(mapping_count_ < kMaxReads);
    usize page = static_cast<usize>(sysconf(_SC_PAGESIZE));
    usize data_pages = (len + page - 1) / page;
    usize size = (data_pages + 1) * page;
    void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_TRUE(base != MAP_FAILED);
    mappings_[mapping_count_++] = {base, size};
    u8* guard = static_cast<u8*>(base) + data_pages * page;
    CHECK_EQUAL(0, mprotect(guard, page, PROT_NONE));
    memset(base, 0xa5, data_pages * page);
    memcpy(guard - len, src, len);
    return guard - len;
}

TableBuilder::TableBuilder(const char* signature, u8 revision) : bytes_{}, size_(0) {
    append(signature, 4);
    append_u32(0);  // length, set by finish()
    append_u8(revision);
    append_u8(0);  // checksum, set by finish()
    append("LSTAR ", 6);
    append("LSTARTBL", 8);
    append_u32(1);      // OEM revision
    append("LSTR", 4);  // creator id
    append_u32(0x100);  // creator revision
}

u32 TableBuilder::append(const void* bytes, usize n) {
    CHECK_TRUE(size_ + n <= kCapacity);
    u32 offset = static_cast<u32>(size_);
    if (bytes != nullptr) memcpy(bytes_ + size_, bytes, n);
    size_ += n;
    return offset;
}

void TableBuilder::put_u8(usize offset, u8 v) { bytes_[offset] = v; }

void TableBuilder::put_u32(usize offset, u32 v) { memcpy(bytes_ + offset, &v, 4); }

void TableBuilder::finish() {
    put_u32(4, static_cast<u32>(size_));
    bytes_[9] = 0;
    u8 sum = 0;
    for (usize i = 0; i < size_; ++i) sum = static_cast<u8>(sum + bytes_[i]);
    bytes_[9] = static_cast<u8>(-sum);
}

void TableBuilder::spoil_checksum(u8 delta) { bytes_[9] = static_cast<u8>(bytes_[9] + delta); }

void TableBuilder::install(FakePhys& phys, u64 at) const { phys.put(at, bytes_, size_); }

TableBuilder root_table(bool xsdt, const u64* entries, usize count) {
    TableBuilder t(xsdt ? "XSDT" : "RSDT");
    for (usize i = 0; i < count; ++i) {
        if (xsdt) t.append_u64(entries[i]);
        else t.append_u32(static_cast<u32>(entries[i]));
    }
    t.finish();
    return t;
}

MadtBuilder::MadtBuilder(u32 lapic_address, u32 flags) : TableBuilder("APIC", 5) {
    append_u32(lapic_address);
    append_u32(flags);
}

u32 MadtBuilder::local_apic(u8 uid, u8 apic_id, u32 flags) {
    u32 at = raw(acpi::kMadtLocalApic, 8, nullptr, 0);
    append_u8(uid);
    append_u8(apic_id);
    append_u32(flags);
    return at;
}

u32 MadtBuilder::local_x2apic(u32 x2apic_id, u32 flags, u32 uid) {
    u32 at = raw(acpi::kMadtLocalX2Apic, 16, nullptr, 2);  // 2 reserved bytes
    append_u32(x2apic_id);
    append_u32(flags);
    append_u32(uid);
    return at;
}

u32 MadtBuilder::io_apic(u8 id, u32 address, u32 gsi_base) {
    u32 at = raw(acpi::kMadtIoApic, 12, nullptr, 0);
    append_u8(id);
    append_u8(0);
    append_u32(address);
    append_u32(gsi_base);
    return at;
}

u32 MadtBuilder::override_entry(u8 bus, u8 source, u32 gsi, u16 flags) {
    u32 at = raw(acpi::kMadtOverride, 10, nullptr, 0);
    append_u8(bus);
    append_u8(source);
    append_u32(gsi);
    append_u16(flags);
    return at;
}

u32 MadtBuilder::local_apic_nmi(u8 uid, u16 flags, u8 lint) {
    u32 at = raw(acpi::kMadtLocalApicNmi, 6, nullptr, 0);
    append_u8(uid);
    append_u16(flags);
    append_u8(lint);
    return at;
}

u32 MadtBuilder::local_x2apic_nmi(u32 uid, u16 flags, u8 lint) {
    u32 at = raw(acpi::kMadtLocalX2ApicNmi, 12, nullptr, 0);
    append_u16(flags);
    append_u32(uid);
    append_u8(lint);
    append(nullptr, 3);  // reserved
    return at;
}

u32 MadtBuilder::lapic_address_override(u64 address) {
    u32 at = raw(acpi::kMadtLocalApicAddress, 12, nullptr, 2);  // 2 reserved bytes
    append_u64(address);
    return at;
}

u32 MadtBuilder::raw(u8 type, u8 length, const void* payload, usize n) {
    u32 at = append_u8(type);
    append_u8(length);
    append(payload, n);
    return at;
}

u32 make_rsdp(u8* out, u8 revision, u32 rsdt, u64 xsdt) {
    memset(out, 0, acpi::kRsdpV2Size);
    memcpy(out, "RSD PTR ", 8);
    memcpy(out + 9, "LSTAR ", 6);
    out[15] = revision;
    memcpy(out + 16, &rsdt, 4);
    u32 size = revision >= 2 ? acpi::kRsdpV2Size : acpi::kRsdpV1Size;
    if (revision >= 2) {
        memcpy(out + 20, &size, 4);
        memcpy(out + 24, &xsdt, 8);
    }
    u8 sum = 0;
    for (u32 i = 0; i < acpi::kRsdpV1Size; ++i) sum = static_cast<u8>(sum + out[i]);
    out[8] = static_cast<u8>(-sum);
    if (revision >= 2) {
        sum = 0;
        for (u32 i = 0; i < size; ++i) sum = static_cast<u8>(sum + out[i]);
        out[32] = static_cast<u8>(-sum);
    }
    return size;
}
