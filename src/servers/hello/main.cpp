// hello: the smallest lstar program, and the template for new ones.
//
// A program is a static ELF that init starts from a multiboot2 module. Include
// lib/user/lstar.h (nothing from the host: no libc, no libstdc++), define
// main, and return the exit status. argv is the module string split at
// spaces, argv[0] its first word (the program name). Everything the kernel
// handed over is in lstar::start_info(); lstar::aux() reads the auxiliary
// vector. To add a program, see src/servers/meson.build.
#include "lib/user/lstar.h"

int main(int argc, char** argv) {
    lstar::printf("hello: task argc=%d argv0=%s cpu=%u\n", argc, argv[0], lstar::cpu_id());

    // Check what the kernel promised a new task (see src/lib/user/start.asm):
    // every register but RSP zero, RFLAGS 0x202, RSP 16-byte aligned, and an
    // auxiliary vector describing this program.
    const lstar::StartInfo& si = lstar::start_info();
    constexpr int kRsp = 7;  // index of RSP in StartInfo::regs
    int nonzero = 0;
    for (int i = 0; i < 16; ++i) {
        if (i != kRsp && si.regs[i] != 0) ++nonzero;
    }
    u64 entry = lstar::aux(abi::kAtEntry);
    lstar::printf("hello: initial-state nonzero_regs=%d rflags=0x%lx rsp_aligned=%d phdr=0x%lx entry=0x%lx "
                  "pagesz=%lu entry_matches=%d\n",
                  nonzero, si.rflags, si.regs[kRsp] % 16 == 0 ? 1 : 0, lstar::aux(abi::kAtPhdr), entry,
                  lstar::aux(abi::kAtPagesz), entry == reinterpret_cast<u64>(&_start) ? 1 : 0);
    return 0;
}
