// CPU feature probe: what this CPU supports, read once at boot through CPUID
// (and IA32_MCG_CAP). Later code asks this probe instead of assuming.
#pragma once

#include "lib/kstd/types.h"

namespace x86 {

struct CpuidRegs {
    u32 eax, ebx, ecx, edx;
};

// The probe's view of the hardware, so host tests can feed recorded CPUs.
class CpuidSource {
public:
    virtual CpuidRegs cpuid(u32 leaf, u32 subleaf) = 0;
    virtual u64 rdmsr(u32 msr) = 0;

protected:
    ~CpuidSource() = default;
};

enum class Vendor : u8 { kUnknown, kIntel, kAmd };

struct CpuFeatures {
    char vendor_string[13];
    Vendor vendor;
    u32 family, model, stepping;
    u32 max_leaf, max_ext_leaf;
    bool apic, x2apic;
    bool sep;      // SYSENTER/SYSEXIT exist (on AMD: legacy mode only, #UD in long mode)
    bool syscall;  // SYSCALL/SYSRET in 64-bit mode
    bool nx, pge, pdpe1gb, pcid, fsgsbase, smep, smap;
    bool invariant_tsc;
    bool mce, mca;
    u32 mca_banks;  // IA32_MCG_CAP[7:0] when MCA is present
    bool hypervisor;
    char hypervisor_string[13];  // CPUID 0x40000000 signature, "" if none
};

CpuFeatures probe_features(CpuidSource& src);

// Formats "vendor=... family=... x2apic=0|1 ..." (the `lstar: cpu` line).
usize describe(const CpuFeatures& f, char* buf, usize size);

// The boot CPU's features, probed once by cpu_init_boot().
const CpuFeatures& boot_cpu_features();
void probe_boot_cpu();

}  // namespace x86
