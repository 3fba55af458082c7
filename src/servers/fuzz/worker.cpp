// The fuzzer's workers (worker.h): run the generated calls, resolve the
// references in them, keep the children, judge every answer.
#include "servers/fuzz/worker.h"

#include "lib/abi/syscall_table.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/fuzz/outcome.h"

namespace fuzz {

Setup g_setup;
ThreadArea g_areas[kMaxWorkers];
WorkerResult g_results[kMaxWorkers];
u64 g_worker_tids[kMaxWorkers];
u64 g_cpu_calls[kMaxCpus];
u64 g_path_calls[u32(Path::kCount)];
u32 g_go;

namespace {

constexpr u32 kBatch = 32;
constexpr u32 kMaxChildren = 2;  // per worker, unjoined: 48 workers fit kMaxThreads
constexpr u32 kMaxViolationLines = 20;
constexpr u32 kWorkerPriority = abi::kDefaultPriority;

u64 g_violations;

// Entry paths of fz_enter (enter.asm).
constexpr u64 kEnterSyscall = 0, kEnterSysenter = 1, kEnterInt80 = 2, kEnterCall = 3;

struct Route {
    u64 kind, target;
    int path;    // the abi::EntryPath the kernel must see, -1: the page's choice
    Path taken;  // after the fallbacks, for the counters
};

// Where a generated path really goes on this CPU: no SYSENTER on AMD (its
// variants fall back to SYSCALL and the page's int 0x80), no page without
// AT_SYSINFO.
Route route(Path p) {
    const u64 page = g_setup.entry_page;
    const bool se = g_setup.sysenter;
    if (!page && p >= Path::kPage) p = Path::kInt80;
    if (!se && p == Path::kSysenter) p = Path::kSyscall;
    if (!se && p == Path::kPageSysenter) p = Path::kPageInt80;
    switch (p) {
    case Path::kSyscall: return {kEnterSyscall, 0, abi::kEntrySyscall, p};
    case Path::kSysenter: return {kEnterSysenter, 0, abi::kEntrySysenter, p};
    case Path::kInt80: return {kEnterInt80, 0, abi::kEntryInt80, p};
    case Path::kPage: return {kEnterCall, page, -1, p};
    case Path::kPageSyscall: return {kEnterCall, page + abi::kEntryOffsetSyscall, abi::kEntrySyscall, p};
    case Path::kPageSysenter: return {kEnterCall, page + abi::kEntryOffsetSysenter, abi::kEntrySysenter, p};
    default: return {kEnterCall, page + abi::kEntryOffsetInt80, abi::kEntryInt80, Path::kPageInt80};
    }
}

void add(u64& counter, u64 n) { __atomic_fetch_add(&counter, n, __ATOMIC_RELAXED); }

class Worker {
public:
    explicit Worker(u32 index)
        : index_(index), area_(g_areas[index]), res_(g_results[index]), gen_(g_setup.seed, index, layout_of(index)),
          maint_(stream_seed(~g_setup.seed, index)) {}

    void run();

private:
    void call(const CallSpec& c);
    void resolve(const CallSpec& c, u64* regs, i32& child);
    u64 join(u32 k);
    void pick_place();

    u32 index_;
    ThreadArea& area_;
    WorkerResult& res_;
    Generator gen_;
    Rng maint_;  // placement only: never changes the call stream
    Child children_[kMaxChildren];
    u32 nchildren_ = 0;
    u64 home_mask_ = 0;
};

void Worker::resolve(const CallSpec& c, u64* regs, i32& child) {
    child = -1;
    for (u32 i = 0; i < kRegs; i++) {
        regs[i] = c.regs[i];
        switch (c.refs[i]) {
        case Ref::kChild:
            if (nchildren_) {
                child = i32(c.regs[i] % nchildren_);
                regs[i] = children_[child].tid;
            } else {
                regs[i] = 0x0000dead00000000ull | c.regs[i];  // no child: an id that does not exist
            }
            break;
        case Ref::kWorker: regs[i] = g_worker_tids[c.regs[i] % g_setup.workers]; break;
        case Ref::kSelf: regs[i] = res_.tid; break;
        case Ref::kNone: break;
        }
    }
    regs[kRegs] = 0;
}

// Joins child k (a maintenance call, outside the stream): its exit code
// must be the argument it was started with.
u64 Worker::join(u32 k) {
    i64 r = lstar::sys::thread_join(children_[k].tid);
    bool ok = u64(r) == children_[k].code;
    if (ok) res_.joined++;
    else if (res_.violations++ < 4)
        lstar::printf("fuzz: join thread=%u child=%lu result=0x%lx want=0x%lx\n", index_, children_[k].tid, u64(r),
                      children_[k].code);
    children_[k] = children_[--nchildren_];
    return ok;
}

void Worker::call(const CallSpec& c) {
    u64 regs[kRegs + 1];
    i32 child;
    resolve(c, regs, child);
    const abi::SyscallInfo* info = c.nr < abi::kSysCount ? &abi::kSyscalls[c.nr] : nullptr;
    bool message = info && ((info->flags & abi::kSysFlagMessage) || c.nr == abi::kSysNotifyWait);
    if (message) {
        area_.ipc.timeout_ns = c.timeout_ns;
        for (u32 i = 0; i < abi::kMaxCaps; i++) {
            area_.ipc.caps[i] = c.send_caps[i];
            area_.ipc.recv_slots[i] = c.recv_slots[i];
        }
    }
    const bool create = c.nr == abi::kSysThreadCreate && !c.certain_error;
    if (create && nchildren_ == kMaxChildren) join(0);
    Route rt = route(c.path);
    i64 r = i64(fz_enter(c.nr, regs, rt.kind, rt.target));
    res_.calls++;
    add(g_path_calls[u32(rt.taken)], 1);
    if (regs[kRegs]) {
        res_.kept_regs_bad++;
        report_violation(index_, res_.calls, c, c.regs, r, rt.taken, "rbx-rbp-changed");
    }
    if (c.nr == abi::kSysIpcBuffer) lstar::sys::ipc_buffer(reinterpret_cast<uptr>(&area_.ipc));

    const char* why = "";
    Outcome o;
    if (c.nr == abi::kSysThreadJoin && c.refs[kRdi] == Ref::kChild && child >= 0) {
        // Only this worker joins its children: the join must succeed with
        // the child's code (which may look like an error code).
        bool ok = u64(r) == children_[child].code;
        o = ok ? Outcome::kOk : Outcome::kViolation;
        why = "join-child";
        if (ok) {
            res_.joined++;
            children_[child] = children_[--nchildren_];
        }
    } else if (c.nr == abi::kSysThreadJoin) {
        o = r == -i64(abi::kNotFound) ? Outcome::kError : Outcome::kViolation;
        why = "join-not-a-child";
    } else {
        Context ctx{g_setup.cpus, res_.tid, rt.path};
        o = judge(c, regs, r, ctx, &why);
    }
    if (o == Outcome::kOk && create) {
        if (nchildren_ < kMaxChildren) {
            children_[nchildren_++] = {u64(r), c.regs[kRdx]};
            res_.created++;
        } else {
            why = "child-list";
            o = Outcome::kViolation;
        }
    }
    switch (o) {
    case Outcome::kOk: res_.ok++; break;
    case Outcome::kError: res_.errors++; break;
    case Outcome::kViolation:
        res_.violations++;
        report_violation(index_, res_.calls, c, regs, r, rt.taken, why);
        break;
    }
}

// Where this worker runs next: most stay on their home CPU; of those past
// the first round of CPUs, every fourth roams over a random set (so every
// CPU keeps a pinned worker). Priority goes back to the default: the
// stream may have changed both.
void Worker::pick_place() {
    u64 mask = home_mask_;
    if (index_ >= g_setup.cpus && index_ % 4 == 3) {
        mask = maint_.next() & g_setup.online_mask;
        if (!mask) mask = g_setup.online_mask;
    }
    lstar::sys::set_affinity(0, mask);
    lstar::sys::set_priority(0, kWorkerPriority);
}

void Worker::run() {
    res_.tid = u64(lstar::sys::thread_self());
    res_.hash = kHashStart;
    home_mask_ = u64(1) << (index_ % g_setup.cpus);
    lstar::sys::ipc_buffer(reinterpret_cast<uptr>(&area_.ipc));
    // Sibling tids (Ref::kWorker) are known once main has started everyone.
    while (!__atomic_load_n(&g_go, __ATOMIC_ACQUIRE)) lstar::sys::sleep(100'000);
    for (;;) {
        pick_place();
        u32 cpu = u32(lstar::sys::cpu_id()) % kMaxCpus;
        res_.cpus_seen |= u64(1) << cpu;
        for (u32 i = 0; i < kBatch; i++) {
            CallSpec c = gen_.next();
            if (res_.hashed < kHashedCalls) {
                res_.hash = hash_call(res_.hash, c);
                res_.hashed++;
            }
            call(c);
        }
        add(g_cpu_calls[cpu], kBatch);
        if (u64(lstar::sys::time_ns()) >= g_setup.deadline_ns) break;
    }
    while (nchildren_) join(nchildren_ - 1);
}

}  // namespace

Layout layout_of(u32 index) {
    ThreadArea& a = g_areas[index];
    Layout l{};
    l.scratch = reinterpret_cast<uptr>(a.scratch);
    l.scratch_bytes = kScratchBytes;
    l.ipc_buffer = reinterpret_cast<uptr>(&a.ipc);
    l.window = kWindow;
    l.window_bytes = kWindowBytes;
    l.readonly = reinterpret_cast<uptr>(kReadonlyTable.v);
    l.child_entry = reinterpret_cast<uptr>(&fz_child_entry);
    l.stacks = reinterpret_cast<uptr>(a.child_stacks);
    l.stack_bytes = kChildStackBytes;
    l.online_mask = g_setup.online_mask;
    l.workers = g_setup.workers;
    return l;
}

void report_violation(u32 worker, u64 index, const CallSpec& c, const u64* regs, i64 result, Path path,
                      const char* why) {
    if (__atomic_fetch_add(&g_violations, 1, __ATOMIC_RELAXED) >= kMaxViolationLines) return;
    const bool known = c.nr < abi::kSysCount;
    u32 argc = known ? abi::kSyscalls[c.nr].argc : 6;
    if (known && (abi::kSyscalls[c.nr].flags & abi::kSysFlagMessage)) argc = kRegs;
    char args[200];
    usize n = 0;
    for (u32 i = 0; i < argc && n < sizeof args; i++)
        n += lstar::snprintf(args + n, sizeof args - n, "%s0x%lx", i ? "," : "", regs[i]);
    if (argc == 0) lstar::snprintf(args, sizeof args, "-");
    lstar::printf("fuzz: violation call=%s args=%s result=%ld thread=%u index=%lu nr=%lu path=%s reason=%s\n",
                  known ? abi::kSyscalls[c.nr].name : "unknown", args, result, worker, index, c.nr,
                  kPathNames[u32(path)], why);
}

u64 violations_total() { return __atomic_load_n(&g_violations, __ATOMIC_RELAXED); }

void worker_main(u64 index) { Worker(u32(index)).run(); }

}  // namespace fuzz
