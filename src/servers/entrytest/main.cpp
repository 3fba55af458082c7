// entrytest: hostile-user tests of the ways into the kernel (docs/abi.md),
// in the manner of Linux's tools/testing/selftests/x86. A 64-bit task.
//
//   entrytest paths page=K [iters=N]
//       one thread pinned to each CPU calls probe(a0..a5) through every path
//       (SYSCALL, SYSENTER on Intel, int 0x80, the entry page's default
//       function and each of its variants) with every register set to a
//       pattern, and checks the six arguments arrived (probe's result), the
//       path the kernel saw, and every register the ABI keeps. K is the
//       default the entry page should use (syscall, sysenter or int80).
//   entrytest allones | flags | movss
//       all registers -1 (RSP too); NT, AC or DF set; MOV SS right before
//       the entry instruction: each call must still come back correct.
//   entrytest tf kind=syscall|sysenter|int80|movss-syscall|movss-int80|movss-sysenter
//       executes the instruction with TF set: the kernel must survive; the
//       task is then killed by the single-step trap in user mode (there are
//       no signals). (A call into the entry page with TF set traps on the
//       CALL itself, before any entry.)
//   entrytest canonical insn=syscall|int80
//       maps the last page below the canonical boundary and runs the
//       instruction in its last bytes, so the return RIP is 0x800000000000:
//       the task must be killed with #GP, the kernel never faults.
//   entrytest sysenter-direct
//       SYSENTER in 64-bit mode on an AMD CPU: a clean fault (#UD, or #GP).
//   entrytest badptr
//       every pointer argument of every system call with bad addresses
//       (lib/user/bad_pointers.h): -kFault, or -kPermission for init's calls.
//   entrytest bench [iters=N]
//       null-call (probe) round trips through each path on this CPU, as
//       time-stamp-counter ticks per call (retired instructions under QEMU
//       -icount), minus the same loop without the call (a figure, not a test).
//
// Result lines: `entrytest: TOPIC key=value ...`; test/boot/entry.py reads them.
#include "lib/kstd/string.h"
#include "lib/user/bad_pointers.h"
#include "lib/user/entry.h"
#include "lib/user/lstar.h"

namespace {

struct Regs {
    u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, r8, r9, r10, r11, r12, r13, r14, r15, rflags;
};
constexpr usize kRegCount = 16;
const char* const kRegNames[kRegCount] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                          "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

u64 reg(const Regs& r, usize i) { return (&r.rax)[i]; }

constexpr usize kRax = 0, kRcx = 2, kRdx = 3, kRsp = 7, kR11 = 11;

enum Kind : u64 {
    kSyscall, kSysenter, kInt80, kCall, kSyscallRsp, kInt80Rsp, kMovssSyscall, kMovssInt80, kMovssSysenter
};

constexpr u64 kTf = 1 << 8, kIf = 1 << 9, kDf = 1 << 10, kNt = 1 << 14, kAc = 1 << 18;
constexpr u64 kUserFlags = 0x202;

}  // namespace

extern "C" {
void et_call(const Regs* in, Regs* out, u64 kind);
extern u64 et_target, et_ss;
extern char et_ret_syscall[], et_ret_syscall_nop[], et_ret_int80_nop[], et_ret_movss_syscall_nop[],
    et_ret_movss_int80_nop[];
}

namespace {

bool intel_cpu() {
    u32 a, b, c, d;
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;  // "GenuineIntel"
}

u64 entry_page() { return lstar::aux(abi::kAtSysinfo); }

// One way in: the harness kind, and for kCall the entry-page function.
struct Path {
    const char* name;
    Kind kind;
    u64 target;    // kCall: the function called
    int expected;  // the EntryPath the kernel must report, -1: as `page=` says
};

// Input registers: a distinct pattern in each (upper halves set, so a
// truncation to 32 bits shows), RAX = probe, arguments in the SYSCALL order.
Regs pattern(u64 salt) {
    Regs in{};
    for (usize i = 0; i < kRegCount; i++) (&in.rax)[i] = 0x0101010101010101ull * (i + 1) ^ (salt << 8);
    in.rax = abi::kSysProbe;
    in.rflags = kUserFlags;
    return in;
}

u64 expected_probe(const Regs& in, int path) {
    return (abi::probe_mix(in.rdi, in.rsi, in.rdx, in.r10, in.r8, in.r9) << 8) | u64(path);
}

struct Checker {
    u32 cpu;
    const char* what;
    u64 bad = 0;
    void fail(const char* path, const char* reg, u64 got, u64 want) {
        if (bad++ < 8)
            lstar::printf("entrytest: BAD cpu=%u test=%s path=%s reg=%s got=0x%lx want=0x%lx\n", cpu, what, path, reg,
                          got, want);
    }
    void expect(const char* path, const char* reg, u64 got, u64 want) {
        if (got != want) fail(path, reg, got, want);
    }
};

// What each path may change besides RAX: RCX and R11 for SYSCALL and the
// entry page (whose SYSENTER stub returns with RCX = its stack), RCX and the
// R11 the harness set up for a direct SYSENTER; nothing for int 0x80. Every
// changed register must hold a user value, never a kernel address.
void check_regs(Checker& ck, const char* path, Kind kind, const Regs& in, const Regs& out, u64 expect_rax) {
    ck.expect(path, "rax", out.rax, expect_rax);
    for (usize i = 1; i < kRegCount; i++) {
        u64 got = reg(out, i), want = reg(in, i);
        bool may_change = false;
        if (i == kRcx || i == kR11) may_change = kind != kInt80 && kind != kInt80Rsp && kind != kMovssInt80;
        if (i == kRsp) want = kind == kSyscallRsp || kind == kInt80Rsp ? in.rsp : out.rsp;  // checked below
        if (may_change) {
            if (got != want && got >= 0x0000800000000000) ck.fail(path, kRegNames[i], got, want);
            continue;
        }
        ck.expect(path, kRegNames[i], got, want);
    }
    if (kind == kSyscall) {
        ck.expect(path, "rcx", out.rcx, reinterpret_cast<u64>(et_ret_syscall));
        ck.expect(path, "r11", out.r11 & ~u64(0x10000), out.rflags & ~u64(0x10000));
    }
}

struct PathList {
    Path paths[8];
    usize count = 0;
    void add(Path p) { paths[count++] = p; }
};

PathList all_paths(bool intel) {
    PathList l;
    u64 page = entry_page();
    l.add({"syscall", kSyscall, 0, abi::kEntrySyscall});
    if (intel) l.add({"sysenter", kSysenter, 0, abi::kEntrySysenter});
    l.add({"int80", kInt80, 0, abi::kEntryInt80});
    if (page) {
        l.add({"page", kCall, page, -1});
        l.add({"page_syscall", kCall, page + abi::kEntryOffsetSyscall, abi::kEntrySyscall});
        if (intel) l.add({"page_sysenter", kCall, page + abi::kEntryOffsetSysenter, abi::kEntrySysenter});
        l.add({"page_int80", kCall, page + abi::kEntryOffsetInt80, abi::kEntryInt80});
    }
    return l;
}

int page_default = -1;  // the EntryPath `page=` names

struct PathsWork {
    u32 cpu;
    u64 iters;
    u64 calls, bad;
    int seen[8];
};

// The harness keeps its in/out pointers in globals: one thread at a time.
volatile u32 g_harness_lock = 0;
void lock_harness() {
    while (__atomic_exchange_n(&g_harness_lock, 1, __ATOMIC_ACQUIRE)) lstar::yield();
}
void unlock_harness() { __atomic_store_n(&g_harness_lock, 0, __ATOMIC_RELEASE); }

void run_paths(u64 arg) {
    auto* w = reinterpret_cast<PathsWork*>(arg);
    lstar::set_affinity(0, u64(1) << w->cpu);
    Checker ck{w->cpu, "paths"};
    if (lstar::cpu_id() != w->cpu) ck.fail("-", "cpu", lstar::cpu_id(), w->cpu);
    PathList l = all_paths(intel_cpu());
    for (usize p = 0; p < l.count; p++) w->seen[p] = -1;
    for (u64 it = 0; it < w->iters; it++) {
        for (usize p = 0; p < l.count; p++) {
            const Path& path = l.paths[p];
            int expected = path.expected >= 0 ? path.expected : page_default;
            Regs in = pattern(it * 16 + p + w->cpu * 4096), out{};
            lock_harness();
            et_target = path.target;
            et_call(&in, &out, path.kind);
            unlock_harness();
            check_regs(ck, path.name, path.kind, in, out, expected_probe(in, expected));
            w->seen[p] = int(out.rax & 0xff);
            w->calls++;
        }
        if (lstar::cpu_id() != w->cpu) ck.fail("-", "cpu", lstar::cpu_id(), w->cpu);
    }
    w->bad = ck.bad;
}

int cmd_paths(const char* args) {
    char page[16] = "";
    lstar::arg_get(args, "page", page, sizeof page);
    if (kstd::strcmp(page, "syscall") == 0) page_default = abi::kEntrySyscall;
    else if (kstd::strcmp(page, "sysenter") == 0) page_default = abi::kEntrySysenter;
    else if (kstd::strcmp(page, "int80") == 0) page_default = abi::kEntryInt80;
    else {
        lstar::printf("entrytest: paths needs page=syscall|sysenter|int80\n");
        return 2;
    }
    u64 iters = 50;
    lstar::arg_u64(args, "iters", iters);
    u32 ncpu = lstar::cpu_count();
    static PathsWork work[64];
    i64 tids[64];
    for (u32 c = 0; c < ncpu && c < 64; c++) {
        work[c] = {c, iters, 0, 0, {}};
        tids[c] = lstar::thread_create(run_paths, 0, reinterpret_cast<u64>(&work[c]), abi::kDefaultPriority,
                                       u64(1) << c);
    }
    PathList l = all_paths(intel_cpu());
    u64 total_bad = 0;
    for (u32 c = 0; c < ncpu && c < 64; c++) {
        if (tids[c] < 0 || lstar::thread_join(u64(tids[c])) != 0) {
            lstar::printf("entrytest: BAD cpu=%u thread failed tid=%ld\n", c, tids[c]);
            total_bad++;
            continue;
        }
        char seen[160];
        usize n = 0;
        for (usize p = 0; p < l.count; p++)
            n += lstar::snprintf(seen + n, sizeof seen - n, " %s=%s", l.paths[p].name,
                                 work[c].seen[p] >= 0 && work[c].seen[p] < abi::kEntryPaths
                                     ? abi::kEntryPathNames[work[c].seen[p]]
                                     : "?");
        lstar::printf("entrytest: paths cpu=%u calls=%lu bad=%lu%s\n", c, work[c].calls, work[c].bad, seen);
        total_bad += work[c].bad;
    }
    lstar::printf("entrytest: paths-done cpus=%u bad=%lu\n", ncpu, total_bad);
    return total_bad == 0 ? 0 : 1;
}

// One call through `path` with `in` prepared by the caller; RAX result check.
bool one(Checker& ck, const Path& path, Regs& in, u64 expect_rax) {
    Regs out{};
    u64 before = ck.bad;
    et_target = path.target;
    et_call(&in, &out, path.kind);
    check_regs(ck, path.name, path.kind, in, out, expect_rax);
    return ck.bad == before;
}

int cmd_allones() {
    Checker ck{lstar::cpu_id(), "allones"};
    const Path paths[] = {{"syscall", kSyscallRsp, 0, 0}, {"int80", kInt80Rsp, 0, 0}};
    for (const Path& p : paths) {
        Regs in;
        for (usize i = 0; i < kRegCount; i++) (&in.rax)[i] = ~u64(0);
        in.rflags = kUserFlags;
        bool ok = one(ck, p, in, u64(-i64(abi::kNoSys)));
        lstar::printf("entrytest: allones path=%s ok=%u\n", p.name, ok);
    }
    return ck.bad == 0 ? 0 : 1;
}

int cmd_flags() {
    Checker ck{lstar::cpu_id(), "flags"};
    PathList l = all_paths(intel_cpu());
    struct Flag {
        const char* name;
        u64 bit;
    } flags[] = {{"nt", kNt}, {"ac", kAc}, {"df", kDf}};
    for (const Flag& f : flags) {
        u64 before = ck.bad;
        for (usize p = 0; p < l.count; p++) {
            if (l.paths[p].expected < 0) continue;  // the default repeats a variant
            Regs in = pattern(p);
            in.rflags = kUserFlags | f.bit;
            Regs out{};
            et_target = l.paths[p].target;
            et_call(&in, &out, l.paths[p].kind);
            check_regs(ck, l.paths[p].name, l.paths[p].kind, in, out, expected_probe(in, l.paths[p].expected));
            if (!(out.rflags & f.bit)) ck.fail(l.paths[p].name, f.name, out.rflags, in.rflags);
        }
        lstar::printf("entrytest: flags flag=%s paths=%zu ok=%u\n", f.name, l.count - 1, ck.bad == before);
    }
    return ck.bad == 0 ? 0 : 1;
}

u16 current_ss() {
    u16 ss;
    asm volatile("mov %%ss, %0" : "=r"(ss));
    return ss;
}

int cmd_movss() {
    Checker ck{lstar::cpu_id(), "movss"};
    et_ss = current_ss();
    const Path paths[] = {{"syscall", kMovssSyscall, 0, abi::kEntrySyscall},
                          {"int80", kMovssInt80, 0, abi::kEntryInt80},
                          {"sysenter", kMovssSysenter, 0, abi::kEntrySysenter}};
    for (const Path& p : paths) {
        if (p.kind == kMovssSysenter && !intel_cpu()) continue;
        Regs in = pattern(7);
        bool ok = one(ck, p, in, expected_probe(in, p.expected));
        lstar::printf("entrytest: movss path=%s ok=%u\n", p.name, ok);
    }
    return ck.bad == 0 ? 0 : 1;
}

// Does not come back: the single-step trap after the return kills the task.
int cmd_tf(const char* args) {
    char kind[24] = "";
    lstar::arg_get(args, "kind", kind, sizeof kind);
    Regs in = pattern(3);
    in.rflags = kUserFlags | kTf;
    Regs out{};
    et_ss = current_ss();
    // Where the trap is expected: after the first user instruction the
    // return runs. SYSENTER returns to the entry page's landing (reported by
    // the kernel as landing64): 0 here.
    struct Tf {
        const char* name;
        Kind kind;
        u64 rip;
    } cases[] = {
        {"syscall", kSyscall, reinterpret_cast<u64>(et_ret_syscall_nop)},
        {"sysenter", kSysenter, 0},
        {"int80", kInt80, reinterpret_cast<u64>(et_ret_int80_nop)},
        {"movss-syscall", kMovssSyscall, reinterpret_cast<u64>(et_ret_movss_syscall_nop)},
        {"movss-int80", kMovssInt80, reinterpret_cast<u64>(et_ret_movss_int80_nop)},
        {"movss-sysenter", kMovssSysenter, 0},
    };
    for (const Tf& c : cases) {
        if (kstd::strcmp(kind, c.name) != 0) continue;
        lstar::printf("entrytest: tf kind=%s tid=%ld expect_rip=0x%lx\n", c.name, lstar::thread_self(), c.rip);
        et_call(&in, &out, c.kind);
        lstar::printf("entrytest: tf kind=%s returned rax=0x%lx (no trap)\n", c.name, out.rax);
        return 1;
    }
    lstar::printf("entrytest: unknown tf kind=%s\n", kind);
    return 2;
}

int cmd_canonical(const char* args) {
    char insn[16] = "";
    lstar::arg_get(args, "insn", insn, sizeof insn);
    constexpr u64 kLastPage = 0x00007FFFFFFFF000;
    i64 r = lstar::syscall6(abi::kSysVmMap, kLastPage, 4096, abi::kProtWrite | abi::kProtExec);
    if (r < 0) {
        lstar::printf("entrytest: canonical vm_map failed error=%ld\n", r);
        return 1;
    }
    u8* code = reinterpret_cast<u8*>(kLastPage + 4096 - 2);
    if (kstd::strcmp(insn, "syscall") == 0) code[0] = 0x0F, code[1] = 0x05;
    else if (kstd::strcmp(insn, "int80") == 0) code[0] = 0xCD, code[1] = 0x80;
    else {
        lstar::printf("entrytest: canonical needs insn=syscall|int80\n");
        return 2;
    }
    lstar::printf("entrytest: canonical insn=%s tid=%ld at=0x%lx return_rip=0x%lx\n", insn, lstar::thread_self(),
                  reinterpret_cast<u64>(code), reinterpret_cast<u64>(code) + 2);
    asm volatile("jmp *%0" ::"r"(code), "a"(u64(abi::kSysCpuId)) : "memory");
    __builtin_unreachable();
}

int cmd_sysenter_direct() {
    lstar::printf("entrytest: sysenter-direct tid=%ld intel=%u\n", lstar::thread_self(), intel_cpu());
    asm volatile("mov %%rsp, %%rcx; sysenter" ::"a"(u64(abi::kSysCpuId)) : "rcx", "rdx", "memory");
    lstar::printf("entrytest: sysenter-direct returned\n");
    return 1;
}

u64 rdtsc() {
    u32 lo, hi;
    asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
    return (u64(hi) << 32) | lo;
}

// One probe(0..0) through `kind`: the instruction inline, or a call.
template <int kKind>
inline void null_call(u64 target) {
    u64 rax = abi::kSysProbe;
    if constexpr (kKind == 0) {
        asm volatile("syscall" : "+a"(rax) : "D"(0), "S"(0), "d"(0) : "rcx", "r11", "memory");
    } else if constexpr (kKind == 1) {
        asm volatile("int $0x80" : "+a"(rax) : "D"(0), "S"(0), "d"(0) : "memory");
    } else if constexpr (kKind == 2) {
        asm volatile("call *%1" : "+a"(rax) : "r"(target), "D"(0), "S"(0), "d"(0) : "rcx", "r11", "memory");
    } else {
        asm volatile("call *%1" : "+a"(rax) : "r"(target), "D"(0), "S"(0), "d"(0) : "rcx", "r11", "memory");
        (void)rax;
    }
}

template <int kKind>
u64 measure(u64 target, u64 iters) {
    u64 best = ~u64(0);
    for (int round = 0; round < 3; round++) {  // the first round warms caches and TLBs
        u64 t0 = rdtsc();
        for (u64 i = 0; i < iters; i++) null_call<kKind>(target);
        u64 t = rdtsc() - t0;
        if (round > 0 && t < best) best = t;
    }
    return best;
}

extern "C" void et_ret_only();
asm(".text\n.globl et_ret_only\net_ret_only:\n ret\n");

int cmd_bench(const char* args) {
    u64 iters = 2000;
    lstar::arg_u64(args, "iters", iters);
    u64 page = entry_page();
    bool intel = intel_cpu();
    // The loop with a call to a bare RET: subtracted from the page paths
    // (the call and return are the caller's cost either way, but not the
    // kernel's); the direct instructions are measured with the loop alone.
    u64 call_base = measure<3>(reinterpret_cast<u64>(&et_ret_only), iters);
    struct Row {
        const char* name;
        u64 ticks;
        u64 base;
    } rows[] = {
        {"syscall", measure<0>(0, iters), 0},
        {"int80", measure<1>(0, iters), 0},
        {"page", measure<2>(page, iters), call_base},
        {"page_syscall", measure<2>(page + abi::kEntryOffsetSyscall, iters), call_base},
        {"page_int80", measure<2>(page + abi::kEntryOffsetInt80, iters), call_base},
        {"page_sysenter", intel ? measure<2>(page + abi::kEntryOffsetSysenter, iters) : 0, call_base},
    };
    for (const Row& r : rows) {
        if (r.ticks == 0) continue;
        lstar::printf("entrytest: bench path=%s cpu=%u iters=%lu ticks_per_call=%lu\n", r.name, lstar::cpu_id(), iters,
                      (r.ticks - (r.base < r.ticks ? r.base : 0)) / iters);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        lstar::printf("entrytest: usage: entrytest paths|allones|flags|movss|tf|canonical|sysenter-direct ...\n");
        return 2;
    }
    // Every argv word after the first, as one key=value string.
    char args[256] = "";
    usize n = 0;
    for (int i = 2; i < argc; i++) n += lstar::snprintf(args + n, sizeof args - n, "%s ", argv[i]);
    const char* cmd = argv[1];
    if (kstd::strcmp(cmd, "paths") == 0) return cmd_paths(args);
    if (kstd::strcmp(cmd, "allones") == 0) return cmd_allones();
    if (kstd::strcmp(cmd, "flags") == 0) return cmd_flags();
    if (kstd::strcmp(cmd, "movss") == 0) return cmd_movss();
    if (kstd::strcmp(cmd, "tf") == 0) return cmd_tf(args);
    if (kstd::strcmp(cmd, "canonical") == 0) return cmd_canonical(args);
    if (kstd::strcmp(cmd, "sysenter-direct") == 0) return cmd_sysenter_direct();
    if (kstd::strcmp(cmd, "bench") == 0) return cmd_bench(args);
    if (kstd::strcmp(cmd, "badptr") == 0) return lstar::check_bad_pointers("entrytest", false) == 0 ? 0 : 1;
    lstar::printf("entrytest: unknown command %s\n", cmd);
    return 2;
}
