// Memory churn: TLB shootdowns while every CPU reads the pages involved.
//   - writers (one per region page, pinned to the first and last CPU): each
//     round replaces the page with vm_map(kMapReplace) (a fresh zeroed
//     frame; the old one is freed once no CPU can reach it), writes
//     generation g's record into it (check.h) and publishes g (release);
//   - readers (one pinned to each CPU): load the published generation
//     (acquire), then read each region page: it must be fresh (zero) or hold
//     a whole record of that generation or a later one. An older generation
//     or a record no writer wrote means a CPU still reached a page through a
//     translation that should have been shot down: stale;
//   - a churner that unmaps and maps again private scratch pages and flips a
//     page the readers read between read-only and writable.
// Where the kernel answers kMapReplace, vm_unmap or vm_protect with -kNoSys,
// that is counted as an error, noted as unsupported, and the writer updates
// its page in place instead (seqlock order: header 0, pattern, header).
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/stress/suite.h"

namespace stress {
namespace {

// Every round's shootdowns stop each CPU the address space is live on, and
// under emulation each costs milliseconds that grow with the CPU count: a
// round back to back with the next took the rest of the suite's IPC down to
// a few messages a second on 8 CPUs. A pause proportional to the CPUs
// keeps shootdowns flowing all the time without drowning everything else.
void pause_between_rounds() { lstar::sleep_ns(200'000ull * g_run.cpus); }

constexpr u32 kRegions = 2;
constexpr u32 kScratchPages = 8;
constexpr usize kPage = 4096;
constexpr u32 kPatternLast = 511;  // the record's pattern also sits in the page's last word

struct Region {
    u64* page;
    u64 published;  // the last generation written (release)
};

Region g_regions[kRegions];
u32 g_region_count;
u64* g_protect_page;  // flipped RO/RW by the churner, read by readers
u8* g_scratch;
u64 g_remaps, g_reads, g_stale, g_unmaps, g_protects, g_errors, g_nosys, g_generations, g_stale_first;

// Where pattern word i lives: words 1..kRecordWords-1 of the page, and the
// last one in the page's last word.
u64* word_at(u64* page, u32 i) { return i + 1 < kRecordWords ? page + 1 + i : page + kPatternLast; }

void write_record(u64* page, u64 gen, bool in_place) {
    if (in_place) __atomic_store_n(page, u64{0}, __ATOMIC_RELEASE);
    for (u32 i = 0; i < kRecordWords; ++i) __atomic_store_n(word_at(page, i), record_word(gen, i), __ATOMIC_RELEASE);
    __atomic_store_n(page, record_header(gen), __ATOMIC_RELEASE);
}

void writer(ThreadCtx& ctx) {
    Region& r = g_regions[ctx.arg];
    const uptr addr = reinterpret_cast<uptr>(r.page);
    bool replace = true;
    for (u64 gen = 1; !stopping(); ++gen) {
        if (replace) {
            const i64 m = lstar::vm_map(addr, kPage, abi::kProtWrite | abi::kMapReplace);
            if (m == i64(addr)) {
                bump(g_remaps);
            } else {
                bump(g_errors);
                if (m == -abi::kNoSys || m == -abi::kInvalid) {
                    // A kernel without kMapReplace: the flag is refused.
                    bump(g_nosys);
                    unsupported(kUnsupportedReplace);
                    replace = false;
                }
            }
        }
        write_record(r.page, gen, !replace);
        __atomic_store_n(&r.published, gen, __ATOMIC_RELEASE);
        bump(g_generations);
        pause_between_rounds();
    }
}

void reader(ThreadCtx&) {
    u64 words[kRecordWords];
    u64 sink = 0;
    for (u64 n = 0; !stopping(); ++n) {
        for (u32 i = 0; i < g_region_count; ++i) {
            Region& r = g_regions[i];
            const u64 p = __atomic_load_n(&r.published, __ATOMIC_ACQUIRE);
            const u64 h1 = __atomic_load_n(r.page, __ATOMIC_ACQUIRE);
            for (u32 k = 0; k < kRecordWords; ++k) words[k] = __atomic_load_n(word_at(r.page, k), __ATOMIC_ACQUIRE);
            const u64 h2 = __atomic_load_n(r.page, __ATOMIC_ACQUIRE);
            const PageVerdict v = judge_page(p, h1, words, h2);
            if (v == PageVerdict::kStale || v == PageVerdict::kGarbage) {
                u64 zero = 0;
                __atomic_compare_exchange_n(&g_stale_first, &zero, h1 | 1, false, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED);
                bump(g_stale);
            }
            if (v != PageVerdict::kRetry) bump(g_reads);
        }
        sink += __atomic_load_n(g_protect_page, __ATOMIC_RELAXED);
        if (n % 4 == 3) lstar::yield();
    }
    asm volatile("" ::"r"(sink));
}

void churner(ThreadCtx&) {
    Rng rng = stream_rng(g_run.seed, 0x3000);
    bool writable = true, unmap_ok = true, protect_ok = true;
    for (u64 n = 0; !stopping(); ++n) {
        if (unmap_ok) {
            const uptr a = reinterpret_cast<uptr>(g_scratch) + rng.below(kScratchPages) * kPage;
            const i64 u = lstar::sys::vm_unmap(a, kPage);
            if (u == 1) {
                bump(g_unmaps);
                if (lstar::vm_map(a, kPage, abi::kProtWrite) == i64(a)) {
                    *reinterpret_cast<volatile u64*>(a) = n;
                } else {
                    bump(g_errors);
                }
            } else {
                bump(g_errors);
                if (u == -abi::kNoSys) {
                    bump(g_nosys);
                    unsupported(kUnsupportedUnmap);
                    unmap_ok = false;
                }
            }
        }
        if (protect_ok) {
            const i64 p = lstar::sys::vm_protect(reinterpret_cast<uptr>(g_protect_page), kPage,
                                                 writable ? abi::kProtRead : abi::kProtWrite);
            if (p == 1) {
                bump(g_protects);
                writable = !writable;
                if (writable) __atomic_store_n(g_protect_page, n, __ATOMIC_RELAXED);
            } else {
                bump(g_errors);
                if (p == -abi::kNoSys) {
                    bump(g_nosys);
                    unsupported(kUnsupportedProtect);
                    protect_ok = false;
                }
            }
        }
        if (!unmap_ok && !protect_ok) {
            lstar::sleep_ns(10'000'000);
        } else {
            pause_between_rounds();
        }
    }
}

}  // namespace

bool mem_start(Workload& w) {
    const u32 cpus = g_run.cpus;
    g_region_count = cpus > 1 ? kRegions : 1;
    for (u32 i = 0; i < g_region_count; ++i) {
        g_regions[i].page = static_cast<u64*>(lstar::vm_alloc(kPage));
        if (!g_regions[i].page) return false;
    }
    g_protect_page = static_cast<u64*>(lstar::vm_alloc(kPage));
    g_scratch = static_cast<u8*>(lstar::vm_alloc(kScratchPages * kPage));
    if (!g_protect_page || !g_scratch) return false;
    bool ok = true;
    for (u32 i = 0; i < g_region_count; ++i)
        ok = spawn(w, writer, i, i, kSpinPriority, cpu_bit(i == 0 ? 0 : cpus - 1)) >= 0 && ok;
    for (u32 c = 0; c < cpus; ++c) ok = spawn(w, reader, c, 10 + c, kSpinPriority, cpu_bit(c)) >= 0 && ok;
    ok = spawn(w, churner, 0, 9, kSpinPriority, all_cpus()) >= 0 && ok;
    return ok;
}

void mem_stop(u64) {}

void mem_report(bool) {
    lstar::printf("stress: mem remaps=%lu reads=%lu stale=%lu unmaps=%lu protects=%lu errors=%lu\n", g_remaps, g_reads,
                  g_stale, g_unmaps, g_protects, g_errors);
    if (g_stale) fail("mem stale=%lu first_header=0x%lx", g_stale, g_stale_first);
    if (g_errors != g_nosys) fail("mem errors=%lu", g_errors - g_nosys);
    if (g_reads == 0 || g_generations == 0) fail("mem no progress");
    const u32 u = g_unsupported;
    if ((!(u & kUnsupportedReplace) && g_remaps == 0) || (!(u & kUnsupportedUnmap) && g_unmaps == 0) ||
        (!(u & kUnsupportedProtect) && g_protects == 0))
        fail("mem remaps=%lu unmaps=%lu protects=%lu", g_remaps, g_unmaps, g_protects);
}

}  // namespace stress
