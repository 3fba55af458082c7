// vm_unmap, vm_protect and vm_map with kMapReplace, seen from the task: a
// page unmapped is gone (the kernel's user copy into it fails, a vm_map there
// succeeds again and is zeroed), a read-only page refuses the kernel's copy
// into it until made writable again, a replaced page reads zero, and every
// bad argument gets its precise error. The kernel writes into a page for us
// with module_info, so a missing or read-only page shows as -kFault instead
// of killing the task.
//
// Race mode: one thread per CPU (at most 8) picks operations on the same few
// pages at random: map, replace, unmap, protect and a kernel copy into the
// page. Each result must be one the call can give with another thread in
// the way; the task then unmaps everything, and the kernel's task-exit line
// must show the pages it counted equal to those its space held.
#include "servers/syscalls/checks.h"

namespace syscalls {
namespace {

constexpr uptr kVmBase = kMapBase + 64 * kPage;

// The kernel writes an abi::CapInfo at `addr`: -kFault if it could not, 0
// if it could (whatever the slot held).
ull kernel_write(uptr addr) {
    i64 r = lstar::sys::cap_info(1, reinterpret_cast<void*>(addr));
    return r == -i64(abi::kFault) ? static_cast<ull>(r) : 0;
}

ull call(i64 r) { return static_cast<ull>(r); }

void check_unmap_and_protect() {
    volatile u8* p = reinterpret_cast<volatile u8*>(kVmBase);
    check("vm-map-two", call(lstar::sys::vm_map(kVmBase, 2 * kPage, abi::kProtWrite)), kVmBase);
    p[0] = 0x5a;
    p[kPage] = 0x5b;
    check("vm_unmap-two", call(lstar::sys::vm_unmap(kVmBase, 2 * kPage)), 2);
    check("vm_unmap-gone", kernel_write(kVmBase), error(abi::kFault));
    check("vm_unmap-gone-second", kernel_write(kVmBase + kPage), error(abi::kFault));
    check("vm_unmap-again-none", call(lstar::sys::vm_unmap(kVmBase, 2 * kPage)), 0);
    check("vm_protect-unmapped", call(lstar::sys::vm_protect(kVmBase, kPage, abi::kProtWrite)),
          error(abi::kNotFound));
    check("vm_map-after-unmap", call(lstar::sys::vm_map(kVmBase, kPage, abi::kProtWrite)), kVmBase);
    check("vm_map-after-unmap-zeroed", p[0], 0);
    // Half mapped: protect refuses the range whole and changes nothing.
    check("vm_protect-half-mapped", call(lstar::sys::vm_protect(kVmBase, 2 * kPage, 0)), error(abi::kNotFound));
    check("vm_protect-half-mapped-unchanged", kernel_write(kVmBase), 0);

    p[0] = 7;
    check("vm_protect-read-only", call(lstar::sys::vm_protect(kVmBase, kPage, abi::kProtRead)), 1);
    check("vm_protect-read-only-refuses-write", kernel_write(kVmBase), error(abi::kFault));
    check("vm_protect-read-only-readable", p[0], 7);
    check("vm_protect-writable", call(lstar::sys::vm_protect(kVmBase, kPage, abi::kProtWrite)), 1);
    check("vm_protect-writable-takes-write", kernel_write(kVmBase), 0);
    p[0] = 8;
    check("vm_protect-writable-kept", p[0], 8);

    // Replace over one mapped and one free page: both fresh and zeroed.
    p[0] = 9;
    check("vm_map-replace", call(lstar::sys::vm_map(kVmBase, 2 * kPage, abi::kProtWrite | abi::kMapReplace)),
          kVmBase);
    check("vm_map-replace-zeroed", p[0], 0);
    check("vm_map-replace-new-zeroed", p[kPage], 0);
    p[0] = 1;
    p[kPage] = 2;
    check("vm_map-replace-writable", p[0] + p[kPage], 3);
    check("vm_map-replace-read-only",
          call(lstar::sys::vm_map(kVmBase + kPage, kPage, abi::kProtRead | abi::kMapReplace)), kVmBase + kPage);
    check("vm_map-replace-read-only-refuses-write", kernel_write(kVmBase + kPage), error(abi::kFault));
    check("vm_map-replace-read-only-zeroed", p[kPage], 0);
    check("vm_unmap-replaced", call(lstar::sys::vm_unmap(kVmBase, 2 * kPage)), 2);
}

void check_bad_arguments() {
    const uptr entry = lstar::aux(abi::kAtSysinfo) & ~uptr(kPage - 1);
    const uptr last = kWide ? uptr(0x7FFFFFFFF000) : uptr(0xFFFFF000);
    check("vm_unmap-misaligned", call(lstar::sys::vm_unmap(kVmBase + 8, kPage)), error(abi::kInvalid));
    check("vm_unmap-zero-bytes", call(lstar::sys::vm_unmap(kVmBase, 0)), error(abi::kInvalid));
    check("vm_unmap-below-user-base", call(lstar::sys::vm_unmap(kPage, kPage)), error(abi::kInvalid));
    check("vm_unmap-past-the-top", call(lstar::sys::vm_unmap(last, 2 * kPage)), error(abi::kInvalid));
    check("vm_unmap-too-big", call(lstar::sys::vm_unmap(kVmBase, usize(1) << 30)), error(abi::kInvalid));
    check("vm_unmap-entry-page", call(lstar::sys::vm_unmap(entry, kPage)), error(abi::kInvalid));
    check("vm_protect-misaligned", call(lstar::sys::vm_protect(kVmBase + 8, kPage, 0)), error(abi::kInvalid));
    check("vm_protect-zero-bytes", call(lstar::sys::vm_protect(kVmBase, 0, 0)), error(abi::kInvalid));
    check("vm_protect-bad-prot", call(lstar::sys::vm_protect(kVmBase, kPage, 4)), error(abi::kInvalid));
    check("vm_protect-replace-flag", call(lstar::sys::vm_protect(kVmBase, kPage, abi::kMapReplace)),
          error(abi::kInvalid));
    check("vm_protect-past-the-top", call(lstar::sys::vm_protect(last, 2 * kPage, 0)), error(abi::kInvalid));
    check("vm_protect-entry-page", call(lstar::sys::vm_protect(entry, kPage, abi::kProtWrite)),
          error(abi::kInvalid));
    check("vm_map-replace-entry-page",
          call(lstar::sys::vm_map(entry, kPage, abi::kProtWrite | abi::kMapReplace)), error(abi::kInvalid));
    check("vm_map-unknown-flag", call(lstar::sys::vm_map(kVmBase, kPage, 0x200)), error(abi::kInvalid));
    if (kWide) {
        check("vm_unmap-non-canonical",
              call(lstar::sys::vm_unmap(static_cast<uptr>(0x0000800000000000ull), kPage)), error(abi::kInvalid));
        check("vm_protect-kernel-half",
              call(lstar::sys::vm_protect(static_cast<uptr>(0xFFFFFFFF80000000ull), kPage, 0)),
              error(abi::kInvalid));
    }
    // The entry page is still there and works: this call goes through it.
    check("entry-page-intact", call(lstar::sys::vm_unmap(kVmBase, kPage)), 0);
}

// Race mode.
constexpr u32 kMaxThreads = 8;
constexpr u64 kRaceBase = kMapBase + 1024 * kPage;

struct RaceWork {
    u32 cpu;
    u64 iters, pages, seed, ops_mask;
    u64 ops[5];
    u64 bad;
};

u64 next(u64& x) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

void race_thread(u64 arg) {
    RaceWork& w = *reinterpret_cast<RaceWork*>(arg);
    u64 x = w.seed;
    for (u64 i = 0; i < w.iters; i++) {
        u64 r = next(x);
        uptr page = kRaceBase + (r >> 8) % w.pages * kPage;
        u32 op = u32(r % 5);
        if (!(w.ops_mask >> op & 1)) continue;
        w.ops[op]++;
        i64 got;
        bool ok;
        switch (op) {
        case 0:
            got = lstar::sys::vm_map(page, kPage, abi::kProtWrite);
            ok = got == i64(page) || got == -i64(abi::kExists);
            break;
        case 1:
            got = lstar::sys::vm_map(page, kPage, abi::kProtWrite | abi::kMapReplace);
            ok = got == i64(page);
            break;
        case 2:
            got = lstar::sys::vm_unmap(page, kPage);
            ok = got == 0 || got == 1;
            break;
        case 3:
            got = lstar::sys::vm_protect(page, kPage, (r >> 32) & 1 ? abi::kProtWrite : abi::kProtRead);
            ok = got == 1 || got == -i64(abi::kNotFound);
            break;
        default:
            got = i64(kernel_write(page));
            ok = got == 0 || got == -i64(abi::kFault);
            break;
        }
        if (!ok && w.bad++ < 4)
            lstar::printf("%s: race BAD cpu=%u op=%u page=0x%llx result=%lld\n", kName, w.cpu, op,
                          static_cast<ull>(page), static_cast<long long>(got));
    }
}

}  // namespace

void check_vm_calls() {
    check_unmap_and_protect();
    check_bad_arguments();
}

int run_race(int argc, char** argv) {
    u64 iters = 2000, pages = 8, seed = 1, ops = 0x1f;
    for (int i = 2; i < argc; i++) {
        lstar::arg_u64(argv[i], "iters", iters);
        lstar::arg_u64(argv[i], "pages", pages);
        lstar::arg_u64(argv[i], "seed", seed);
        lstar::arg_u64(argv[i], "ops", ops);
    }
    if (pages == 0 || pages > 64) pages = 8;
    u32 n = lstar::cpu_count();
    if (n > kMaxThreads) n = kMaxThreads;
    static RaceWork work[kMaxThreads];
    i64 tids[kMaxThreads];
    for (u32 c = 0; c < n; c++) {
        work[c] = {c, iters, pages, seed * 0x9E3779B97F4A7C15ull + c + 1, ops, {}, 0};
        tids[c] = lstar::thread_create(race_thread, 0, reinterpret_cast<u64>(&work[c]), abi::kDefaultPriority,
                                       u64(1) << c);
    }
    u64 bad = 0, calls = 0;
    for (u32 c = 0; c < n; c++) {
        if (tids[c] < 0 || lstar::thread_join(u64(tids[c])) != 0) {
            lstar::printf("%s: race BAD cpu=%u thread failed tid=%lld\n", kName, c, static_cast<long long>(tids[c]));
            bad++;
            continue;
        }
        bad += work[c].bad;
        for (u64 o : work[c].ops) calls += o;
        lstar::printf("%s: race cpu=%u map=%llu replace=%llu unmap=%llu protect=%llu copy=%llu bad=%llu\n", kName,
                      c, static_cast<ull>(work[c].ops[0]), static_cast<ull>(work[c].ops[1]),
                      static_cast<ull>(work[c].ops[2]), static_cast<ull>(work[c].ops[3]),
                      static_cast<ull>(work[c].ops[4]), static_cast<ull>(work[c].bad));
    }
    // Whatever is left: after this, the pages the kernel counts for the task
    // are those it had before the race.
    i64 left = lstar::sys::vm_unmap(kRaceBase, pages * kPage);
    if (left < 0) bad++;
    i64 again = lstar::sys::vm_unmap(kRaceBase, pages * kPage);
    if (again != 0) bad++;
    lstar::printf("%s: race done threads=%u calls=%llu left=%lld bad=%llu\n", kName, n, static_cast<ull>(calls),
                  static_cast<long long>(left), static_cast<ull>(bad));
    return bad == 0 ? 0 : 1;
}

}  // namespace syscalls
