// entrytest32: the entry-path tests of entrytest (main.cpp) for a 32-bit
// (compatibility-mode) task. Built with -m32 into an ELF32 program.
//
//   entrytest32 paths page=K [iters=N]
//       one thread pinned to each CPU calls probe(a0..a5) through `int 0x80`
//       and through every entry-page function (the default, and the SYSCALL
//       (AMD), SYSENTER (Intel) and int 0x80 variants), with every register
//       set to a pattern, and checks the six 32-bit arguments arrived, the
//       path the kernel saw (K: sysenter32, syscall32 or int80-32 for the
//       default), the result in EDX:EAX, and that EBX ECX ESI EDI EBP ESP
//       came back unchanged.
//   entrytest32 popss
//       POP SS and MOV SS right before `int 0x80` and the entry-page call.
//   entrytest32 tf kind=int80|page-sysenter|page-syscall
//       enters with TF set; the task is killed by the single-step trap after
//       one user instruction (see entrytest tf).
//   entrytest32 bench [iters=N]
//       null-call round trips per path, in time-stamp-counter ticks.
#include "lib/kstd/string.h"
#include "lib/user/lstar.h"

#if defined(__x86_64__)
#error "main32.cpp is the 32-bit entry test"
#endif

namespace {

struct Regs {
    u32 eax, ebx, ecx, edx, esi, edi, ebp, esp, eflags;
};
const char* const kRegNames[8] = {"eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp"};

enum Kind : u32 { kInt80, kCall, kPopssInt80, kMovssCall };

}  // namespace

// et32_call(in, out, kind, target): loads EAX..EBP from `in` and EFLAGS
// last (POPFL right before the entry, so TF/NT/AC/DF are in effect exactly
// there), enters the kernel one way, stores every register and EFLAGS in
// `out`. Kinds: 0 int 0x80; 1 call `target` (an entry-page function); 2 POP
// SS then int 0x80; 3 MOV SS then the call; 4 SYSENTER and 5 SYSCALL by
// hand, in the entry page's stub conventions (docs/abi.md).
extern "C" void et32_call(const Regs* in, Regs* out, u32 kind, u32 target);
extern "C" char et32_ret_int80_nop[], et32_ret_syscall[];
asm(R"(
    .bss
et32_in: .long 0
et32_out: .long 0
et32_target: .long 0
et32_saved_esp: .long 0
et32_tmp_eax: .long 0
et32_tmp_esp: .long 0
et32_ss: .long 0

    .macro LOAD32 ebp_is_stack=0, ebp_from_ecx=0
    mov et32_in, %eax
    push 32(%eax)
    mov 4(%eax), %ebx
    mov 8(%eax), %ecx
    mov 12(%eax), %edx
    mov 16(%eax), %esi
    mov 20(%eax), %edi
    .if \ebp_is_stack
    lea 4(%esp), %ebp
    .elseif \ebp_from_ecx
    mov %ecx, %ebp
    .else
    mov 24(%eax), %ebp
    .endif
    mov 0(%eax), %eax
    popfl
    .endm

    .macro STORE32
    mov %eax, et32_tmp_eax
    mov %esp, et32_tmp_esp
    mov et32_saved_esp, %esp
    pushfl
    mov et32_out, %eax
    popl 32(%eax)
    mov %ebx, 4(%eax)
    mov %ecx, 8(%eax)
    mov %edx, 12(%eax)
    mov %esi, 16(%eax)
    mov %edi, 20(%eax)
    mov %ebp, 24(%eax)
    mov et32_tmp_esp, %ebx
    mov %ebx, 28(%eax)
    mov et32_tmp_eax, %ebx
    mov %ebx, 0(%eax)
    jmp et32_done
    .endm

    .text
    .globl et32_call
et32_call:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov 20(%esp), %eax
    mov %eax, et32_in
    mov 24(%esp), %eax
    mov %eax, et32_out
    mov 32(%esp), %eax
    mov %eax, et32_target
    xor %eax, %eax
    mov %ss, %ax
    mov %eax, et32_ss
    mov 28(%esp), %edx
    mov %esp, et32_saved_esp
    cmp $5, %edx
    ja et32_done
    jmp *et32_kinds(,%edx,4)

et32_done:
    mov et32_saved_esp, %esp
    push $0x202
    popfl
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret

et32_k_int80:
    LOAD32
    int $0x80
    nop
    .globl et32_ret_int80_nop
et32_ret_int80_nop:
    STORE32

et32_k_call:
    LOAD32
    call *et32_target
    STORE32

et32_k_popss_int80:
    push et32_ss
    LOAD32
    pop %ss
    int $0x80
    STORE32

et32_k_movss_call:
    LOAD32
    mov et32_ss, %ss
    call *et32_target
    STORE32

et32_k_sysenter:
    push $et32_ret_sysenter
    mov et32_in, %eax
    push 8(%eax)                # the landing pops ECX
    push 24(%eax)               # and EBP; the kernel reads argument 6 at [EBP]
    LOAD32 1
    sysenter
et32_ret_sysenter:
    STORE32

et32_k_syscall:
    mov et32_in, %eax
    push 24(%eax)               # argument 6 at [ESP]
    LOAD32 0, 1                 # argument 2 in EBP (SYSCALL overwrites ECX)
    syscall
    .globl et32_ret_syscall
et32_ret_syscall:
    mov %ebp, %ecx
    pop %ebp
    STORE32

    .section .rodata
    .align 4
et32_kinds:
    .long et32_k_int80, et32_k_call, et32_k_popss_int80, et32_k_movss_call, et32_k_sysenter, et32_k_syscall
    .text
)");

namespace {

bool intel_cpu() {
    u32 a, b, c, d;
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;  // "GenuineIntel"
}

u32 entry_page() { return u32(lstar::aux(abi::kAtSysinfo)); }

struct Path {
    const char* name;
    Kind kind;
    u32 target;
    int expected;  // the EntryPath the kernel must see; -1: as page= says
};

int page_default = -1;

Regs pattern(u32 salt) {
    Regs in{};
    for (u32 i = 0; i < 8; i++) (&in.eax)[i] = 0x81010101u * (i + 1) ^ (salt << 4);
    in.eax = abi::kSysProbe;
    in.eflags = 0x202;
    return in;
}

u64 expected_probe(const Regs& in, int path) {
    return (abi::probe_mix(in.ebx, in.ecx, in.edx, in.esi, in.edi, in.ebp) << 8) | u64(path);
}

struct Checker {
    u32 cpu;
    const char* what;
    u32 bad = 0;
    void expect(const char* path, const char* reg, u64 got, u64 want) {
        if (got == want) return;
        if (bad++ < 8)
            lstar::printf("entrytest32: BAD cpu=%u test=%s path=%s reg=%s got=0x%llx want=0x%llx\n", cpu, what, path,
                          reg, static_cast<unsigned long long>(got), static_cast<unsigned long long>(want));
    }
};

// EDX:EAX is the result; every other register comes back as it went in.
void check_regs(Checker& ck, const char* path, const Regs& in, const Regs& out, u64 expect) {
    ck.expect(path, "eax", out.eax, u32(expect));
    ck.expect(path, "edx", out.edx, u32(expect >> 32));
    for (u32 i = 1; i < 8; i++) {
        if (i == 3) continue;  // EDX
        u32 want = i == 7 ? out.esp : (&in.eax)[i];
        ck.expect(path, kRegNames[i], (&out.eax)[i], want);
    }
}

struct PathList {
    Path paths[8];
    u32 count = 0;
    void add(Path p) { paths[count++] = p; }
};

PathList all_paths(bool intel) {
    PathList l;
    u32 page = entry_page();
    l.add({"int80", kInt80, 0, abi::kEntryInt80_32});
    if (intel) l.add({"sysenter", Kind(4), 0, abi::kEntrySysenter32});
    else l.add({"syscall", Kind(5), 0, abi::kEntrySyscall32});
    if (page) {
        l.add({"page", kCall, page, -1});
        if (intel) l.add({"page_sysenter", kCall, page + u32(abi::kEntryOffsetSysenter), abi::kEntrySysenter32});
        else l.add({"page_syscall", kCall, page + u32(abi::kEntryOffsetSyscall), abi::kEntrySyscall32});
        l.add({"page_int80", kCall, page + u32(abi::kEntryOffsetInt80), abi::kEntryInt80_32});
    }
    return l;
}

volatile u32 g_harness_lock = 0;

void call_locked(const Regs& in, Regs& out, const Path& p) {
    while (__atomic_exchange_n(&g_harness_lock, 1, __ATOMIC_ACQUIRE)) lstar::yield();
    et32_call(&in, &out, p.kind, p.target);
    __atomic_store_n(&g_harness_lock, 0, __ATOMIC_RELEASE);
}

struct Work {
    u32 cpu;
    u64 iters, calls;
    u32 bad;
    int seen[8];
};

void run_paths(u64 arg) {
    auto* w = reinterpret_cast<Work*>(static_cast<uptr>(arg));
    Checker ck{w->cpu, "paths"};
    PathList l = all_paths(intel_cpu());
    for (u32 p = 0; p < l.count; p++) w->seen[p] = -1;
    for (u64 it = 0; it < w->iters; it++) {
        for (u32 p = 0; p < l.count; p++) {
            int expected = l.paths[p].expected >= 0 ? l.paths[p].expected : page_default;
            Regs in = pattern(u32(it) * 16 + p + w->cpu * 4096), out{};
            call_locked(in, out, l.paths[p]);
            check_regs(ck, l.paths[p].name, in, out, expected_probe(in, expected));
            w->seen[p] = int(out.eax & 0xff);
            w->calls++;
        }
    }
    ck.expect("-", "cpu", lstar::cpu_id(), w->cpu);
    w->bad = ck.bad;
}

int cmd_paths(const char* args) {
    char page[16] = "";
    lstar::arg_get(args, "page", page, sizeof page);
    for (u8 p = abi::kEntryInt80_32; p < abi::kEntryPaths; p++)
        if (kstd::strcmp(page, abi::kEntryPathNames[p]) == 0) page_default = p;
    if (page_default < 0) {
        lstar::printf("entrytest32: paths needs page=sysenter32|syscall32|int80-32\n");
        return 2;
    }
    u64 iters = 40;
    lstar::arg_u64(args, "iters", iters);
    u32 ncpu = lstar::cpu_count();
    static Work work[32];
    i64 tids[32];
    for (u32 c = 0; c < ncpu && c < 32; c++) {
        work[c] = {c, iters, 0, 0, {}};
        tids[c] = lstar::thread_create(run_paths, 0, reinterpret_cast<uptr>(&work[c]), abi::kDefaultPriority,
                                       u64(1) << c);
    }
    PathList l = all_paths(intel_cpu());
    u32 total_bad = 0;
    for (u32 c = 0; c < ncpu && c < 32; c++) {
        if (tids[c] < 0 || lstar::thread_join(u64(tids[c])) != 0) {
            lstar::printf("entrytest32: BAD cpu=%u thread failed\n", c);
            total_bad++;
            continue;
        }
        char seen[160];
        usize n = 0;
        for (u32 p = 0; p < l.count; p++) {
            int s = work[c].seen[p];
            n += lstar::snprintf(seen + n, sizeof seen - n, " %s=%s", l.paths[p].name,
                                 s >= 0 && s < abi::kEntryPaths ? abi::kEntryPathNames[s] : "?");
        }
        lstar::printf("entrytest32: paths cpu=%u calls=%u bad=%u%s\n", c, u32(work[c].calls), work[c].bad, seen);
        total_bad += work[c].bad;
    }
    lstar::printf("entrytest32: paths-done cpus=%u bad=%u\n", ncpu, total_bad);
    return total_bad == 0 ? 0 : 1;
}

int cmd_popss() {
    Checker ck{lstar::cpu_id(), "popss"};
    u32 page = entry_page();
    const Path paths[] = {{"popss_int80", kPopssInt80, 0, abi::kEntryInt80_32},
                          {"movss_page", kMovssCall, page, -1}};
    for (const Path& p : paths) {
        Regs in = pattern(5), out{};
        u32 before = ck.bad;
        call_locked(in, out, p);
        u64 r = (u64(out.edx) << 32) | out.eax;
        int path = p.expected >= 0 ? p.expected : int(r & 0xff);  // the page's default: any compat path
        check_regs(ck, p.name, in, out, expected_probe(in, path));
        lstar::printf("entrytest32: popss path=%s ok=%u\n", p.name, ck.bad == before);
    }
    return ck.bad == 0 ? 0 : 1;
}

// Killed by the single-step trap after one user instruction; never returns.
int cmd_tf(const char* args) {
    char kind[24] = "";
    lstar::arg_get(args, "kind", kind, sizeof kind);
    Regs in = pattern(9), out{};
    in.eflags = 0x202 | (1 << 8);
    struct Tf {
        const char* name;
        u32 kind;
        u32 rip;  // 0: in the entry page (the kernel's landing32 + 2 after SYSENTER)
    } cases[] = {
        {"int80", kInt80, u32(reinterpret_cast<uptr>(et32_ret_int80_nop))},
        {"sysenter", 4, 0},
        {"syscall", 5, u32(reinterpret_cast<uptr>(et32_ret_syscall)) + 2},  // after MOV ECX, EBP
    };
    for (const Tf& c : cases) {
        if (kstd::strcmp(kind, c.name) != 0) continue;
        lstar::printf("entrytest32: tf kind=%s tid=%d expect_rip=0x%x\n", c.name, int(lstar::thread_self()), c.rip);
        et32_call(&in, &out, c.kind, 0);
        lstar::printf("entrytest32: tf kind=%s returned (no trap)\n", c.name);
        return 1;
    }
    lstar::printf("entrytest32: unknown tf kind=%s\n", kind);
    return 2;
}

u64 rdtsc() {
    u32 lo, hi;
    asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
    return (u64(hi) << 32) | lo;
}

// probe(0..0) through `target` (0: int 0x80 inline) `iters` times; best of
// two timed rounds after a warm-up.
u64 measure(u32 target, u64 iters) {
    u64 best = ~u64(0);
    for (int round = 0; round < 3; round++) {
        u64 t0 = rdtsc();
        for (u64 i = 0; i < iters; i++) {
            u32 eax = abi::kSysProbe, edx = 0;
            if (target)
                asm volatile("call *%2" : "+a"(eax), "+d"(edx) : "m"(target), "b"(0), "c"(0), "S"(0), "D"(0)
                             : "memory");
            else
                asm volatile("int $0x80" : "+a"(eax), "+d"(edx) : "b"(0), "c"(0), "S"(0), "D"(0) : "memory");
        }
        u64 t = rdtsc() - t0;
        if (round > 0 && t < best) best = t;
    }
    return best;
}

int cmd_bench(const char* args) {
    u64 iters = 2000;
    lstar::arg_u64(args, "iters", iters);
    u32 page = entry_page();
    bool intel = intel_cpu();
    struct Row {
        const char* name;
        u32 target;
    } rows[] = {
        {"int80", 0},
        {"page", page},
        {intel ? "page_sysenter" : "page_syscall",
         page + u32(intel ? abi::kEntryOffsetSysenter : abi::kEntryOffsetSyscall)},
        {"page_int80", page + u32(abi::kEntryOffsetInt80)},
    };
    for (const Row& r : rows) {
        u64 t = measure(r.target, iters);
        lstar::printf("entrytest32: bench path=%s cpu=%u iters=%u ticks_per_call=%u\n", r.name, lstar::cpu_id(),
                      u32(iters), u32(t / iters));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        lstar::printf("entrytest32: usage: entrytest32 paths|popss|tf|bench ...\n");
        return 2;
    }
    char args[256] = "";
    usize n = 0;
    for (int i = 2; i < argc; i++) n += lstar::snprintf(args + n, sizeof args - n, "%s ", argv[i]);
    const char* cmd = argv[1];
    if (kstd::strcmp(cmd, "paths") == 0) return cmd_paths(args);
    if (kstd::strcmp(cmd, "popss") == 0) return cmd_popss();
    if (kstd::strcmp(cmd, "tf") == 0) return cmd_tf(args);
    if (kstd::strcmp(cmd, "bench") == 0) return cmd_bench(args);
    lstar::printf("entrytest32: unknown command %s\n", cmd);
    return 2;
}
