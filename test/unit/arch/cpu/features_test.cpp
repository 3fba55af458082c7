// CPUID decoding against recorded leaves of an Intel and an AMD CPU.
#include "arch/x86_64/cpu/features.h"

#include <map>
#include <string.h>
#include <utility>

// After the standard headers: CppUTest's leak-detecting new macros break them.
#include <CppUTest/TestHarness.h>

namespace {

// A CPU described by its CPUID leaves; leaves it lacks read as zero, as on
// hardware for leaves above the maximum.
class FakeCpuid final : public x86::CpuidSource {
public:
    std::map<std::pair<u32, u32>, x86::CpuidRegs> leaves;
    u64 mcg_cap = 0;
    int msr_reads = 0;

    x86::CpuidRegs cpuid(u32 leaf, u32 sub) override {
        auto it = leaves.find({leaf, sub});
        return it == leaves.end() ? x86::CpuidRegs{0, 0, 0, 0} : it->second;
    }
    u64 rdmsr(u32 msr) override {
        msr_reads++;
        return msr == 0x179 ? mcg_cap : 0;
    }
};

// "GenuineIntel" in EBX, EDX, ECX.
constexpr u32 kIntelB = 0x756e6547, kIntelD = 0x49656e69, kIntelC = 0x6c65746e;
constexpr u32 kAmdB = 0x68747541, kAmdD = 0x69746e65, kAmdC = 0x444d4163;

}  // namespace

TEST_GROUP(CpuFeatures){};

TEST(CpuFeatures, SkylakeServerLikeIntel) {
    FakeCpuid cpu;
    cpu.leaves[{0, 0}] = {0x16, kIntelB, kIntelC, kIntelD};
    // family 6, ext model 5, model 5, stepping 4; ECX: x2APIC(21) PCID(17); EDX: APIC SEP PGE MCE MCA
    cpu.leaves[{1, 0}] = {0x00050654, 0, (1u << 21) | (1u << 17), (1u << 9) | (1u << 11) | (1u << 13) | (1u << 7) | (1u << 14)};
    cpu.leaves[{7, 0}] = {0, (1u << 0) | (1u << 7) | (1u << 20), 0, 0};
    cpu.leaves[{0x80000000, 0}] = {0x80000008, 0, 0, 0};
    cpu.leaves[{0x80000001, 0}] = {0, 0, 0, (1u << 11) | (1u << 20) | (1u << 26) | (1u << 29)};
    cpu.leaves[{0x80000007, 0}] = {0, 0, 0, 1u << 8};
    cpu.mcg_cap = 0x0c000814;  // 20 banks in bits 7:0

    x86::CpuFeatures f = x86::probe_features(cpu);
    STRCMP_EQUAL("GenuineIntel", f.vendor_string);
    CHECK(f.vendor == x86::Vendor::kIntel);
    UNSIGNED_LONGS_EQUAL(6, f.family);
    UNSIGNED_LONGS_EQUAL(0x55, f.model);
    UNSIGNED_LONGS_EQUAL(4, f.stepping);
    CHECK(f.x2apic && f.pcid && f.apic && f.sep && f.pge && f.mce && f.mca);
    CHECK(f.fsgsbase && f.smep && f.smap);
    CHECK(f.syscall && f.nx && f.pdpe1gb && f.invariant_tsc);
    UNSIGNED_LONGS_EQUAL(20, f.mca_banks);
    CHECK_FALSE(f.hypervisor);
    STRCMP_EQUAL("", f.hypervisor_string);
}

TEST(CpuFeatures, ZenLikeAmdUnderHypervisor) {
    FakeCpuid cpu;
    cpu.leaves[{0, 0}] = {0x0d, kAmdB, kAmdC, kAmdD};
    // base family 0xF + ext family 8 = 0x17, ext model 0, model 1; hypervisor bit 31
    cpu.leaves[{1, 0}] = {0x00800f11, 0, 1u << 31, (1u << 11)};
    cpu.leaves[{0x40000000, 0}] = {0x40000001, 0x54474354, 0x43544743, 0x47435447};  // "TCGTCGTCGTCG"
    cpu.leaves[{0x80000000, 0}] = {0x80000001, 0, 0, 0};
    cpu.leaves[{0x80000001, 0}] = {0, 0, 0, (1u << 11) | (1u << 20)};

    x86::CpuFeatures f = x86::probe_features(cpu);
    STRCMP_EQUAL("AuthenticAMD", f.vendor_string);
    CHECK(f.vendor == x86::Vendor::kAmd);
    UNSIGNED_LONGS_EQUAL(0x17, f.family);
    UNSIGNED_LONGS_EQUAL(1, f.model);
    CHECK(f.sep && f.syscall && f.nx);
    CHECK_FALSE(f.x2apic || f.smep || f.smap || f.invariant_tsc);  // leaf 7 and 0x80000007 above max
    CHECK(f.hypervisor);
    STRCMP_EQUAL("TCGTCGTCGTCG", f.hypervisor_string);
    UNSIGNED_LONGS_EQUAL(0, f.mca_banks);
    LONGS_EQUAL(0, cpu.msr_reads);  // no MCA: IA32_MCG_CAP must not be read (it would #GP)
}

TEST(CpuFeatures, UnknownVendorAndNoExtendedLeaves) {
    FakeCpuid cpu;
    cpu.leaves[{0, 0}] = {1, 0x20202020, 0x20202020, 0x20202020};
    cpu.leaves[{0x80000000, 0}] = {0x00000001, 0, 0, 0};  // garbage: no extended leaves
    x86::CpuFeatures f = x86::probe_features(cpu);
    CHECK(f.vendor == x86::Vendor::kUnknown);
    UNSIGNED_LONGS_EQUAL(0, f.max_ext_leaf);
    CHECK_FALSE(f.syscall || f.nx);
}

TEST(CpuFeatures, DescribeNamesEveryProbedFeature) {
    FakeCpuid cpu;
    cpu.leaves[{0, 0}] = {1, kIntelB, kIntelC, kIntelD};
    cpu.leaves[{1, 0}] = {0x00000f41, 0, 0, 1u << 11};  // family 0xF, model 4
    x86::CpuFeatures f = x86::probe_features(cpu);
    char buf[256];
    x86::describe(f, buf, sizeof buf);
    STRCMP_CONTAINS("vendor=GenuineIntel family=0xf model=0x4", buf);
    for (const char* key : {"x2apic=0", "sep=1", "syscall=0", "nx=0", "pcid=0", "fsgsbase=0", "smep=0",
                            "smap=0", "invariant_tsc=0", "mca_banks=0", "hypervisor=none"}) {
        STRCMP_CONTAINS(key, buf);
    }
}
