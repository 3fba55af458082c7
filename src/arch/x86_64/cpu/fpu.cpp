// FPU state switching: XSAVE where the CPU has it, FXSAVE otherwise.
#include "arch/x86_64/cpu/fpu.h"

#include "arch/x86_64/cpu/io.h"

namespace x86 {
namespace {

constexpr u64 kCr0Mp = 1 << 1, kCr0Em = 1 << 2, kCr0Ts = 1 << 3, kCr0Ne = 1 << 5;
constexpr u64 kCr4Osfxsr = 1 << 9, kCr4Osxmmexcpt = 1 << 10, kCr4Osxsave = 1 << 18;
// XCR0 components [SDM 1 13.1]: x87 and SSE must be set together with AVX.
constexpr u64 kXcr0X87 = 1, kXcr0Sse = 2, kXcr0Avx = 4;

bool g_xsave = false;
u64 g_xcr0 = 0;
usize g_area_size = 512;

void write_cr0(u64 v) { asm volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }

void xsetbv(u32 reg, u64 v) { asm volatile("xsetbv" ::"c"(reg), "a"(u32(v)), "d"(u32(v >> 32))); }

}  // namespace

void fpu_init_cpu() {
    u32 a, b, c, d;
    cpuid(1, 0, a, b, c, d);
    bool xsave = c & (1u << 26);
    bool avx = c & (1u << 28);
    write_cr0((read_cr0() | kCr0Mp | kCr0Ne) & ~(kCr0Em | kCr0Ts));
    u64 cr4 = read_cr4() | kCr4Osfxsr | kCr4Osxmmexcpt;
    if (xsave) cr4 |= kCr4Osxsave;
    write_cr4(cr4);
    if (xsave) {
        u64 xcr0 = kXcr0X87 | kXcr0Sse | (avx ? kXcr0Avx : 0);
        xsetbv(0, xcr0);
        // CPUID.(EAX=0DH,ECX=0):EBX is the size for the components now in XCR0.
        cpuid(0xD, 0, a, b, c, d);
        g_xsave = true;
        g_xcr0 = xcr0;
        g_area_size = b;
    }
    asm volatile("fninit");
}

usize fpu_area_size() { return g_area_size; }

void fpu_init_area(void* area) {
    u8* p = static_cast<u8*>(area);
    __builtin_memset(p, 0, g_area_size);
    // Legacy region [SDM 1 10.5.1]: FCW at 0, MXCSR at 24. With XSTATE_BV = 0
    // in the XSAVE header, XRSTOR puts x87/AVX in their initial state but
    // still loads MXCSR from here.
    p[0] = 0x7F;
    p[1] = 0x03;
    u32 mxcsr = 0x1F80;
    __builtin_memcpy(p + 24, &mxcsr, 4);
}

void fpu_save(void* area) {
    if (g_xsave)
        asm volatile("xsave64 (%0)" ::"r"(area), "a"(u32(g_xcr0)), "d"(u32(g_xcr0 >> 32)) : "memory");
    else
        asm volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

void fpu_restore(const void* area) {
    if (g_xsave)
        asm volatile("xrstor64 (%0)" ::"r"(area), "a"(u32(g_xcr0)), "d"(u32(g_xcr0 >> 32)) : "memory");
    else
        asm volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

}  // namespace x86
