// Test helpers: fake physical memory behind an acpi::PhysReader, and ACPI table builders.
#pragma once

#include "lib/acpi.h"
#include "lib/kstd/types.h"

// Physical memory made of a few zero-filled regions; a read succeeds only if the
// whole range lies inside one region. In guarded mode every read returns a fresh
// copy that ends right before an inaccessible page, so a parser reading even one
// byte past the range it asked for faults instead of going unnoticed.
class FakePhys {
public:
    static constexpr usize kMaxRegions = 4;
    static constexpr usize kMaxReads = 64;  // logged; guarded copies are freed on destruction

    FakePhys() = default;
    ~FakePhys();
    FakePhys(const FakePhys&) = delete;
    FakePhys& operator=(const FakePhys&) = delete;

    void add_region(u64 base, usize size);
    // The 640 KiB + BIOS area layout of a PC: [0, 0x100000).
    void add_low_memory() { add_region(0, 0x100000); }

    u8* at(u64 phys, usize n = 1);  // for writing; fails the test if outside every region
    void put(u64 phys, const void* bytes, usize n);
    void put_u8(u64 phys, u8 v) { put(phys, &v, 1); }
    void put_u16(u64 phys, u16 v) { put(phys, &v, 2); }
    void put_u32(u64 phys, u32 v) { put(phys, &v, 4); }
    void put_u64(u64 phys, u64 v) { put(phys, &v, 8); }

    void set_guarded(bool guarded) { guarded_ = guarded; }

    // The longest read (of the first kMaxReads) that started at phys; 0 if none.
    usize longest_read_at(u64 phys) const;
    usize read_count() const { return read_count_; }

    static const void* read(void* ctx, u64 phys, usize len);
    acpi::PhysReader reader() const { return &FakePhys::read; }
    void* ctx() { return this; }

private:
    struct Region {
        u64 base;
        usize size;
        u8* bytes;
    };
    struct Read {
        u64 phys;
        usize len;
    };
    struct Mapping {
        void* base;
        usize size;
    };

    const void* do_read(u64 phys, usize len);
    const void* guarded_copy(const u8* src, usize len);

    Region regions_[kMaxRegions] = {};
    usize region_count_ = 0;
    Read reads_[kMaxReads] = {};
    usize read_count_ = 0;
    Mapping mappings_[kMaxReads] = {};
    usize mapping_count_ = 0;
    bool guarded_ = false;
};

// Builds a system description table byte by byte. Appends return the offset they
// wrote at, so tests can assert the offset an error names. finish() writes the
// length and checksum fields; fields can be broken afterwards with put_*.
class TableBuilder {
public:
    static constexpr usize kCapacity = 8192;

    explicit TableBuilder(const char* signature, u8 revision = 1);

    u32 append(const void* bytes, usize n);
    u32 append_u8(u8 v) { return append(&v, 1); }
    u32 append_u16(u16 v) { return append(&v, 2); }
    u32 append_u32(u32 v) { return append(&v, 4); }
    u32 append_u64(u64 v) { return append(&v, 8); }
    void put_u8(usize offset, u8 v);
    void put_u32(usize offset, u32 v);

    // Length field := bytes appended, then the checksum byte so the sum is 0.
    void finish();
    // Adds delta to the checksum byte: the table then sums to delta.
    void spoil_checksum(u8 delta);

    void install(FakePhys& phys, u64 at) const;
    const u8* data() const { return bytes_; }
    u32 size() const { return static_cast<u32>(size_); }

private:
    u8 bytes_[kCapacity];
    usize size_;
};

// RSDT (32-bit entries) or XSDT (64-bit entries) listing the given addresses.
TableBuilder root_table(bool xsdt, const u64* entries, usize count);

// MADT entries, each appended with the length its type defines.
class MadtBuilder : public TableBuilder {
public:
    explicit MadtBuilder(u32 lapic_address = 0xfee00000, u32 flags = acpi::kMadtPcatCompat);

    u32 local_apic(u8 uid, u8 apic_id, u32 flags);
    u32 local_x2apic(u32 x2apic_id, u32 flags, u32 uid);
    u32 io_apic(u8 id, u32 address, u32 gsi_base);
    u32 override_entry(u8 bus, u8 source, u32 gsi, u16 flags);
    u32 local_apic_nmi(u8 uid, u16 flags, u8 lint);
    u32 local_x2apic_nmi(u32 uid, u16 flags, u8 lint);
    u32 lapic_address_override(u64 address);
    // type and length bytes as given, then n payload bytes (zeros if payload is null).
    u32 raw(u8 type, u8 length, const void* payload, usize n);
};

// An RSDP: revision 0 (20 bytes) or revision >= 2 (36 bytes) with valid checksums.
// Writes into out (at least 36 bytes) and returns the size written.
u32 make_rsdp(u8* out, u8 revision, u32 rsdt, u64 xsdt);
