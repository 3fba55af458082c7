// The entry pages: one shared, read-only, executable frame for 64-bit tasks
// and one for 32-bit tasks, mapped into every task at a fixed address and
// announced as AT_SYSINFO. Offset 0 holds the entry function chosen for this
// CPU; every variant also sits at its own fixed offset (tests and benchmarks
// call them by name), unusable ones included: calling the SYSENTER variant
// on an AMD CPU faults like the instruction itself.
#include "arch/x86_64/cpu/features.h"
#include "arch/x86_64/cpu/syscall_entry.h"
#include "arch/x86_64/mm/address_space.h"
#include "kernel/arch.h"
#include "kernel/log.h"
#include "kernel/mm/memory.h"
#include "lib/abi/syscall.h"
#include "lib/cmdline.h"
#include "lib/kstd/string.h"

namespace {

// entry/entry_page.asm's table.
struct EntryBlob {
    u64 start, end, landing;
};
extern "C" const EntryBlob x86_entry_blobs[6];

constexpr usize kVariants = 3;  // syscall, sysenter, int80 (EntryKind order)

x86::EntryChoice g_choice{x86::EntryKind::kInt80, x86::EntryKind::kInt80};
u64 g_frame[2];    // physical frames: [0] 64-bit page, [1] 32-bit page
u64 g_landing[2];  // user addresses SYSEXIT returns to

static_assert(abi::kEntrySyscall + abi::kEntryInt80_32 == abi::kEntrySyscall32 &&
              abi::kEntrySysenter + abi::kEntryInt80_32 == abi::kEntrySysenter32,
              "a 32-bit path is its 64-bit one + kEntryInt80_32");

// The name the tracer and the probe call use for what `k` enters as.
const char* kind_name(x86::EntryKind k, bool compat) {
    abi::EntryPath p = k == x86::EntryKind::kSyscall    ? abi::kEntrySyscall
                       : k == x86::EntryKind::kSysenter ? abi::kEntrySysenter
                                                        : abi::kEntryInt80;
    return abi::kEntryPathNames[compat ? p + abi::kEntryInt80_32 : p];
}

// What each mode may use on this CPU: SYSCALL from 64-bit code wherever
// CPUID reports it, SYSENTER only on Intel (AMD raises #UD in long mode),
// SYSCALL from 32-bit code only on AMD (Intel raises #UD there).
bool usable(x86::EntryKind k, bool compat, const x86::CpuFeatures& f) {
    bool intel = f.vendor == x86::Vendor::kIntel, amd = f.vendor == x86::Vendor::kAmd;
    switch (k) {
    case x86::EntryKind::kSyscall: return f.syscall && (!compat || amd);
    case x86::EntryKind::kSysenter: return f.sep && intel;
    case x86::EntryKind::kInt80: return true;
    }
    return false;
}

x86::EntryKind choose(bool compat, const char* forced, const x86::CpuFeatures& f) {
    x86::EntryKind want;
    if (kstd::strcmp(forced, "syscall") == 0) want = x86::EntryKind::kSyscall;
    else if (kstd::strcmp(forced, "sysenter") == 0) want = x86::EntryKind::kSysenter;
    else if (kstd::strcmp(forced, "int80") == 0) want = x86::EntryKind::kInt80;
    else if (compat) want = f.vendor == x86::Vendor::kAmd ? x86::EntryKind::kSyscall : x86::EntryKind::kSysenter;
    else want = x86::EntryKind::kSyscall;
    return usable(want, compat, f) ? want : x86::EntryKind::kInt80;
}

// Fills one page: int3 everywhere, the chosen variant at 0 and variant i at
// (i + 1) * 64.
u64 build_page(bool compat, x86::EntryKind chosen) {
    u64 frame = mm::frames().alloc();
    if (frame == 0) return 0;
    u8* page = static_cast<u8*>(mm::phys_to_virt(frame));
    __builtin_memset(page, 0xCC, mm::kPageSize);
    const EntryBlob* blobs = x86_entry_blobs + (compat ? kVariants : 0);
    auto put = [&](usize offset, const EntryBlob& b) {
        __builtin_memcpy(page + offset, reinterpret_cast<const void*>(b.start), b.end - b.start);
    };
    put(0, blobs[usize(chosen)]);
    for (usize i = 0; i < kVariants; i++) put(abi::kEntryVariantStride * (i + 1), blobs[i]);
    const EntryBlob& se = blobs[usize(x86::EntryKind::kSysenter)];
    g_landing[compat] = (compat ? abi::kEntryPage32 : abi::kEntryPage64) +
                        abi::kEntryVariantStride * (usize(x86::EntryKind::kSysenter) + 1) + (se.landing - se.start);
    return frame;
}

}  // namespace

namespace x86 {

const EntryChoice& entry_choice() { return g_choice; }
u64 sysenter_landing(bool compat) { return g_landing[compat]; }

void entry_init_boot(const char* cmdline) {
    const CpuFeatures& f = boot_cpu_features();
    char forced[16] = "";
    if (cmdline::get(cmdline, "entry", forced, sizeof forced) && kstd::strcmp(forced, "syscall") != 0 &&
        kstd::strcmp(forced, "sysenter") != 0 && kstd::strcmp(forced, "int80") != 0) {
        klog::warn("cmdline: unknown entry=%s (syscall, sysenter, int80): using the default", forced);
        forced[0] = 0;
    }
    g_choice = {choose(false, forced, f), choose(true, forced, f)};
    g_frame[0] = build_page(false, g_choice.mode64);
    g_frame[1] = build_page(true, g_choice.mode32);
    if (!g_frame[0] || !g_frame[1]) klog::error("entry: out of memory for the entry pages");
    klog::report("entry", "mode64=%s mode32=%s forced=%s page64=0x%lx page32=0x%lx landing64=0x%lx landing32=0x%lx",
                 kind_name(g_choice.mode64, false), kind_name(g_choice.mode32, true), forced[0] ? forced : "none",
                 abi::kEntryPage64, abi::kEntryPage32, g_landing[0], g_landing[1]);
}

bool is_entry_page_frame(u64 phys) { return phys != 0 && (phys == g_frame[0] || phys == g_frame[1]); }

}  // namespace x86

namespace arch {

u64 entry_page_map(UserSpace* space, bool compat) {
    u64 frame = g_frame[compat];
    u64 virt = compat ? abi::kEntryPage32 : abi::kEntryPage64;
    if (frame == 0) return 0;
    auto* as = reinterpret_cast<x86::AddressSpace*>(space);
    if (as->map(virt, frame, x86::PageFlags::kUser) != x86::PageTableError::kOk) return 0;
    return virt;
}

}  // namespace arch
