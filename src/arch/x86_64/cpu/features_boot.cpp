// The boot CPU's feature probe, through the real CPUID and RDMSR.
#include "arch/x86_64/cpu/features.h"
#include "arch/x86_64/cpu/io.h"

namespace x86 {
namespace {

class HardwareCpuid final : public CpuidSource {
public:
    CpuidRegs cpuid(u32 leaf, u32 subleaf) override {
        CpuidRegs r;
        x86::cpuid(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
        return r;
    }
    u64 rdmsr(u32 msr) override { return x86::rdmsr(msr); }
};

CpuFeatures g_boot_features;

}  // namespace

void probe_boot_cpu() {
    HardwareCpuid hw;
    g_boot_features = probe_features(hw);
}

const CpuFeatures& boot_cpu_features() { return g_boot_features; }

}  // namespace x86
