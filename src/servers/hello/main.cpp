// hello: the smallest lstar program, and the template for new ones.
//
// A program is a static ELF that init starts from a multiboot2 module. Include
// lib/user/lstar.h (nothing from the host: no libc, no libstdc++), define
// main, and return the exit status. argv is the module string split at
// spaces, argv[0] its first word (the program name). Everything the kernel
// handed over is in lstar::start_info(); lstar::aux() reads the auxiliary
// vector. To add a program, see src/servers/meson.build.
//
// The same source is built as `hello` (64-bit) and `hello32` (a 32-bit
// program, run in compatibility mode), each starting its lines with its own
// name. Code for both widths prints u64 values with %ll and a cast, as u64 is
// unsigned long in one and unsigned long long in the other.
#include "lib/user/lstar.h"

// The ELF header as loaded: GNU ld defines __ehdr_start when the headers are
// part of a PT_LOAD, as user.ld and user32.ld arrange.
extern "C" const u8 __ehdr_start[];

namespace {

using ull = unsigned long long;

constexpr unsigned kMode = sizeof(void*) * 8;
constexpr const char* kName = kMode == 64 ? "hello" : "hello32";

// A little-endian field of the loaded ELF header.
ull header_field(usize offset, usize size) {
    ull v = 0;
    for (usize i = size; i-- > 0;) v = v << 8 | __ehdr_start[offset + i];
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    lstar::printf("%s: task argc=%d argv0=%s cpu=%u mode=%u\n", kName, argc, argv[0], lstar::cpu_id(), kMode);
    for (int i = 1; i < argc; ++i) lstar::printf("%s: arg index=%d value=%s\n", kName, i, argv[i]);

    // Check what the kernel promised a new task (see src/lib/user/start.asm):
    // every register but the stack pointer zero, RFLAGS 0x202, the stack
    // pointer 16-byte aligned, and an auxiliary vector describing this
    // program: its entry point, and its program headers where the ELF header
    // (e_phoff, e_phentsize, e_phnum; Elf32_Ehdr or Elf64_Ehdr) says they are.
    const lstar::StartInfo& si = lstar::start_info();
    int nonzero = 0;
    for (int i = 0; i < lstar::kStartRegs; ++i) {
        if (i != lstar::kRegSp && si.regs[i] != 0) ++nonzero;
    }
    const bool elf32 = kMode == 32;
    const ull phoff = elf32 ? header_field(28, 4) : header_field(32, 8);
    const ull phentsize = elf32 ? header_field(42, 2) : header_field(54, 2);
    const ull phnum = elf32 ? header_field(44, 2) : header_field(56, 2);
    const ull phdr = lstar::aux(abi::kAtPhdr), phent = lstar::aux(abi::kAtPhent);
    const ull phcount = lstar::aux(abi::kAtPhnum), entry = lstar::aux(abi::kAtEntry);
    const ull pagesz = lstar::aux(abi::kAtPagesz), sysinfo = lstar::aux(abi::kAtSysinfo);
    const ull sp = si.regs[lstar::kRegSp];
    const bool entry_matches = entry == reinterpret_cast<uptr>(&_start);
    const bool phdr_matches =
        phdr == reinterpret_cast<uptr>(__ehdr_start) + phoff && phent == phentsize && phcount == phnum;
    lstar::printf("%s: initial-state mode=%u nonzero_regs=%d rflags=0x%llx sp=0x%llx sp_aligned=%d phdr=0x%llx "
                  "phent=%llu phnum=%llu entry=0x%llx pagesz=%llu sysinfo=0x%llx entry_matches=%d "
                  "phdr_matches=%d\n",
                  kName, kMode, nonzero, static_cast<ull>(si.rflags), sp, sp % 16 == 0, phdr, phent, phcount,
                  entry, pagesz, sysinfo, entry_matches, phdr_matches);
    return 0;
}
