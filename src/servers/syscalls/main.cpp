// syscalls: checks the system calls of syscalls.def that no other program
// exercises, through the generated stubs (lstar::sys): probe's result, the
// range, overlap and argument checks of vm_map, vm_unmap, vm_protect and
// kMapReplace (vm.cpp), that trace is init's alone, and (64-bit) that a
// 32-bit argument's upper register half is ignored. `syscalls race ...` and
// `syscalls stats ...` are the other modes of vm.cpp and stats.cpp.
// Built as `syscalls` and as `syscalls32`, whose calls take the 32-bit slot
// convention (a u64 argument in two slots) into the kernel's unpacking.
//
// One line per check, `NAME: check WHAT ok` or `NAME: check WHAT FAIL
// got=G want=W`, then `NAME: done checks=N failed=F`; the exit status is 0
// if nothing failed. test/boot/syscalls.py runs it with the tracer on and
// compares the trace lines too.
#include "lib/kstd/string.h"
#include "servers/syscalls/checks.h"

namespace syscalls {

u32 g_checks, g_failed;

void check(const char* what, ull got, ull want) {
    g_checks++;
    if (got == want) {
        lstar::printf("%s: check %s ok\n", kName, what);
        return;
    }
    g_failed++;
    lstar::printf("%s: check %s FAIL got=0x%llx want=0x%llx\n", kName, what, got, want);
}

}  // namespace syscalls

namespace {

using namespace syscalls;

void check_probe() {
    const uptr a[6] = {1, 2, 3, 4, 5, 6};
    ull r = static_cast<ull>(lstar::sys::probe(a[0], a[1], a[2], a[3], a[4], a[5]));
    u8 path = static_cast<u8>(r);
    // The low byte is the path the kernel saw; the rest must be the mix of
    // the arguments exactly as passed.
    check("probe-path-valid", path < abi::kEntryPaths && abi::entry_path_compat(path) == !kWide, 1);
    check("probe-mix", r >> 8, abi::probe_mix(1, 2, 3, 4, 5, 6));
    const uptr ones = ~uptr(0), top = uptr(1) << (sizeof(uptr) * 8 - 1);
    r = static_cast<ull>(lstar::sys::probe(ones, top, 0, ones, 7, top | 1));
    check("probe-mix-high-bits", r >> 8, abi::probe_mix(ones, top, 0, ones, 7, top | 1));
    check("probe-same-path", static_cast<u8>(r), path);
}

void check_vm_map() {
    volatile u8* base = reinterpret_cast<volatile u8*>(kMapBase);
    // Three pages and a byte: four pages, zeroed and writable.
    check("vm_map", static_cast<ull>(lstar::sys::vm_map(kMapBase, 3 * kPage + 1, abi::kProtWrite)), kMapBase);
    bool zero = true;
    for (usize i = 0; i < 4 * kPage; i += 512) zero = zero && base[i] == 0;
    for (usize i = 0; i < 4 * kPage; i += 512) base[i] = static_cast<u8>(i / 512 + 1);
    bool kept = true;
    for (usize i = 0; i < 4 * kPage; i += 512) kept = kept && base[i] == static_cast<u8>(i / 512 + 1);
    check("vm_map-zeroed", zero, 1);
    check("vm_map-writable", kept, 1);

    check("vm_map-again-exists", static_cast<ull>(lstar::sys::vm_map(kMapBase, kPage, abi::kProtWrite)),
          error(abi::kExists));
    // Overlapping only in its first page (the fourth of the mapping).
    check("vm_map-overlap-exists",
          static_cast<ull>(lstar::sys::vm_map(kMapBase + 3 * kPage, 2 * kPage, abi::kProtWrite)),
          error(abi::kExists));
    // The program's own text.
    check("vm_map-program-exists",
          static_cast<ull>(lstar::sys::vm_map(reinterpret_cast<uptr>(&check) & ~uptr(kPage - 1), kPage, 0)),
          error(abi::kExists));
    check("vm_map-misaligned", static_cast<ull>(lstar::sys::vm_map(kMapBase + 16 * kPage + 8, kPage, 0)),
          error(abi::kInvalid));
    check("vm_map-zero-bytes", static_cast<ull>(lstar::sys::vm_map(kMapBase + 16 * kPage, 0, 0)),
          error(abi::kInvalid));
    check("vm_map-bad-prot", static_cast<ull>(lstar::sys::vm_map(kMapBase + 16 * kPage, kPage, 4)),
          error(abi::kInvalid));
    check("vm_map-below-user-base", static_cast<ull>(lstar::sys::vm_map(kPage, kPage, 0)),
          error(abi::kInvalid));
    // The last page of the address space (32-bit: below 4 GiB) plus one.
    const uptr last = kWide ? uptr(0x7FFFFFFFF000) : uptr(0xFFFFF000);
    check("vm_map-past-the-top", static_cast<ull>(lstar::sys::vm_map(last, 2 * kPage, 0)),
          error(abi::kInvalid));
    if (kWide) {
        check("vm_map-non-canonical",
              static_cast<ull>(lstar::sys::vm_map(static_cast<uptr>(0x0000800000000000ull), kPage, 0)),
              error(abi::kInvalid));
    }
    check("vm_map-too-big", static_cast<ull>(lstar::sys::vm_map(kMapBase + 16 * kPage, usize(1) << 30, 0)),
          error(abi::kNoMemory));
}

void check_privilege() {
    check("trace-needs-privilege", static_cast<ull>(lstar::sys::trace(0, ~0ull)), error(abi::kPermission));
    check("spawn-needs-privilege", static_cast<ull>(lstar::sys::spawn(1, abi::kDefaultPriority, ~0ull)),
          error(abi::kPermission));
}

void check_narrow_arguments() {
    // A u32 argument is the low half of its register (SysV leaves the upper
    // half undefined): priority 16 with junk above bit 31 is priority 16.
    u64 priority = (u64(1) << 32) | abi::kDefaultPriority;
    check("u32-upper-half-ignored", static_cast<ull>(lstar::syscall6(abi::kSysSetPriority, 0, priority)), 0);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && kstd::strcmp(argv[1], "race") == 0) return run_race(argc, argv);
    if (argc > 1 && kstd::strcmp(argv[1], "stats") == 0) return run_stats(argc, argv);
    check_probe();
    check_vm_map();
    check_vm_calls();
    check_privilege();
    if (kWide) check_narrow_arguments();
    lstar::printf("%s: done checks=%u failed=%u\n", kName, g_checks, g_failed);
    return g_failed == 0 ? 0 : 1;
}
