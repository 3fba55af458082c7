// Decoding CPUID into CpuFeatures [SDM 2A CPUID; AMD APM 3 appendix E].
#include "arch/x86_64/cpu/features.h"

#include "lib/format.h"

namespace x86 {
namespace {

constexpr u32 kMsrMcgCap = 0x179;

bool bit(u32 reg, unsigned n) { return (reg >> n) & 1; }

void copy_signature(char out[13], u32 a, u32 b, u32 c) {
    const u32 words[3] = {a, b, c};
    for (int w = 0; w < 3; w++) {
        for (int i = 0; i < 4; i++) out[w * 4 + i] = char((words[w] >> (8 * i)) & 0xFF);
    }
    out[12] = '\0';
}

bool equal12(const char* a, const char* b) {
    for (int i = 0; i < 12; i++) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

}  // namespace

CpuFeatures probe_features(CpuidSource& src) {
    CpuFeatures f{};
    CpuidRegs r = src.cpuid(0, 0);
    f.max_leaf = r.eax;
    copy_signature(f.vendor_string, r.ebx, r.edx, r.ecx);  // EBX, EDX, ECX order
    if (equal12(f.vendor_string, "GenuineIntel")) f.vendor = Vendor::kIntel;
    else if (equal12(f.vendor_string, "AuthenticAMD")) f.vendor = Vendor::kAmd;

    if (f.max_leaf >= 1) {
        r = src.cpuid(1, 0);
        // Display family/model [SDM 2A table 3-8]: the extended fields count
        // only for family 0xF (family) and families 6 and 0xF (model).
        u32 base_family = (r.eax >> 8) & 0xF, base_model = (r.eax >> 4) & 0xF;
        f.family = base_family == 0xF ? base_family + ((r.eax >> 20) & 0xFF) : base_family;
        f.model = (base_family == 6 || base_family == 0xF) ? (((r.eax >> 16) & 0xF) << 4) | base_model
                                                           : base_model;
        f.stepping = r.eax & 0xF;
        f.x2apic = bit(r.ecx, 21);
        f.pcid = bit(r.ecx, 17);
        f.hypervisor = bit(r.ecx, 31);
        f.apic = bit(r.edx, 9);
        f.sep = bit(r.edx, 11);
        f.pge = bit(r.edx, 13);
        f.mce = bit(r.edx, 7);
        f.mca = bit(r.edx, 14);
    }
    if (f.max_leaf >= 7) {
        r = src.cpuid(7, 0);
        f.fsgsbase = bit(r.ebx, 0);
        f.smep = bit(r.ebx, 7);
        f.smap = bit(r.ebx, 20);
    }
    r = src.cpuid(0x80000000, 0);
    f.max_ext_leaf = r.eax >= 0x80000000 ? r.eax : 0;
    if (f.max_ext_leaf >= 0x80000001) {
        r = src.cpuid(0x80000001, 0);
        f.syscall = bit(r.edx, 11);
        f.nx = bit(r.edx, 20);
        f.pdpe1gb = bit(r.edx, 26);
    }
    if (f.max_ext_leaf >= 0x80000007) f.invariant_tsc = bit(src.cpuid(0x80000007, 0).edx, 8);
    if (f.mca) f.mca_banks = u32(src.rdmsr(kMsrMcgCap) & 0xFF);  // MCG_CAP.Count
    if (f.hypervisor) {
        r = src.cpuid(0x40000000, 0);
        copy_signature(f.hypervisor_string, r.ebx, r.ecx, r.edx);
    }
    return f;
}

usize describe(const CpuFeatures& f, char* buf, usize size) {
    return fmt::snprintf(buf, size,
                         "vendor=%s family=0x%x model=0x%x stepping=%u x2apic=%d sep=%d syscall=%d nx=%d "
                         "pcid=%d fsgsbase=%d smep=%d smap=%d invariant_tsc=%d mca_banks=%u hypervisor=%s",
                         f.vendor_string, f.family, f.model, f.stepping, f.x2apic, f.sep, f.syscall, f.nx,
                         f.pcid, f.fsgsbase, f.smep, f.smap, f.invariant_tsc, f.mca_banks,
                         f.hypervisor ? (f.hypervisor_string[0] ? f.hypervisor_string : "unnamed") : "none");
}

}  // namespace x86
