// Task life cycle: loading a module, thread bookkeeping, exit, kill and reap.
#include "kernel/task/task.h"

#include "kernel/ipc/ipc.h"
#include "kernel/log.h"
#include "kernel/mm/memory.h"
#include "kernel/trace/trace.h"
#include "lib/abi/syscall.h"
#include "lib/elf.h"
#include "lib/format.h"
#include "lib/kstd/string.h"

namespace task {
namespace {

const mb2::Info* g_info = nullptr;
ksync::SpinLock g_tasks_lock{"task list"};
Task* g_tasks = nullptr;
u64 g_next_id = 1;

// The initial stack: 16 pages below abi::kStackTop64 (just below the top of
// the user half) or abi::kStackTop32 (just below the 32-bit entry page), with
// an unmapped page above it. A 32-bit program's segments end at least one
// unmapped page below the stack, so an overflow faults instead of writing
// into the program's data.
constexpr u64 kStackPages = 16;
constexpr u64 kCompatImageTop = abi::kStackTop32 - (kStackPages + 1) * mm::kPageSize;
constexpr usize kMaxArgs = 32;


// The auxiliary vector entries the loader passes, AT_NULL included.
constexpr usize kAuxEntries = 7;

u32 flags_of(const elf::Segment& s) {
    u32 f = 0;
    if (s.flags & elf::kFlagW) f |= arch::kMapWrite;
    if (s.flags & elf::kFlagX) f |= arch::kMapExec;
    return f;
}

// Maps a segment's pages and copies its file bytes; the rest stays zero (bss).
bool load_segment(Task* t, const elf::Segment& s, const u8* file) {
    u64 first = s.vaddr & ~(mm::kPageSize - 1);
    u64 end = s.vaddr + s.memsz;
    for (u64 page = first; page < end; page += mm::kPageSize) {
        u64 phys;
        if (!arch::uspace_map_new(t->space, page, flags_of(s), &phys)) return false;
        t->pages++;
        // The part of [vaddr, vaddr + filesz) inside this page.
        u64 lo = page > s.vaddr ? page : s.vaddr;
        u64 hi = page + mm::kPageSize < s.vaddr + s.filesz ? page + mm::kPageSize : s.vaddr + s.filesz;
        if (lo < hi)
            __builtin_memcpy(static_cast<u8*>(mm::phys_to_virt(phys)) + (lo - page), file + s.offset + (lo - s.vaddr),
                         hi - lo);
    }
    return true;
}

// The initial stack's words (argc, argv, envp, auxv) before they are written
// out at the task's word size.
struct StackWords {
    u64 word[1 + kMaxArgs + 2 + 2 * kAuxEntries];
    usize count = 0;
    void push(u64 v) { word[count++] = v; }
};

// The System V initial stack (x86-64 psABI 3.4.1, i386 psABI 2.3.1, the same
// layout in 8- or 4-byte words): argc, argv[], NULL, envp[] (none), NULL,
// auxv (key, value) pairs ending with AT_NULL, the argument strings above
// them. Returns the initial stack pointer (16-byte aligned, pointing at argc)
// or 0.
u64 build_stack(Task* t, const char* cmdline, const elf::Image& img, u64 sysinfo) {
    const u64 top = img.compat ? abi::kStackTop32 : abi::kStackTop64;
    const usize word_size = img.compat ? 4 : 8;
    for (u64 i = 1; i <= kStackPages; i++) {
        if (!arch::uspace_map_new(t->space, top - i * mm::kPageSize, arch::kMapWrite, nullptr)) return 0;
        t->pages++;
    }
    usize len = kstd::strlen(cmdline);
    u64 strings = (top - (len + 1)) & ~u64(15);
    if (!copy_to_user(t, strings, cmdline, len + 1)) return 0;
    // Split the copy in place: each word's start goes to argv.
    u64 argv[kMaxArgs];
    usize argc = 0;
    for (usize i = 0; i < len && argc < kMaxArgs; i++) {
        bool start = cmdline[i] != ' ' && (i == 0 || cmdline[i - 1] == ' ');
        if (start) argv[argc++] = strings + i;
        if (cmdline[i] == ' ' && !copy_to_user(t, strings + i, "", 1)) return 0;
    }
    StackWords s;
    s.push(argc);
    for (usize i = 0; i < argc; i++) s.push(argv[i]);
    s.push(0);  // end of argv
    s.push(0);  // envp: empty
    const u64 aux[kAuxEntries][2] = {{abi::kAtPhdr, img.phdr_vaddr}, {abi::kAtPhent, img.phentsize},
                                     {abi::kAtPhnum, img.phnum},     {abi::kAtPagesz, mm::kPageSize},
                                     {abi::kAtEntry, img.entry},     {abi::kAtSysinfo, sysinfo},
                                     {abi::kAtNull, 0}};
    for (const auto& [key, value] : aux) {
        s.push(key);
        s.push(value);
    }
    // Every value of a 32-bit task is below 4 GiB (the parser saw to the
    // image's), so its low half is the whole of it.
    u8 bytes[sizeof s.word];
    for (usize i = 0; i < s.count; i++) __builtin_memcpy(bytes + i * word_size, &s.word[i], word_size);
    u64 sp = (strings - s.count * word_size) & ~u64(15);
    if (!copy_to_user(t, sp, bytes, s.count * word_size)) return 0;
    return sp;
}

void add_task(Task* t) {
    ksync::IrqSpinGuard g(g_tasks_lock);
    t->next = g_tasks;
    g_tasks = t;
}

void destroy_task(Task* t) {
    ipc::cspace_destroy(t);
    if (t->space) arch::uspace_destroy(t->space);
    delete[] t->io_bitmap;
    delete t;
}

}  // namespace

void set_boot_info(const mb2::Info& info) { g_info = &info; }

const mb2::Module* boot_module(u64 index) {
    return g_info && index < g_info->module_count ? &g_info->modules[index] : nullptr;
}

// The running task's memory goes through the architecture's user-copy
// helpers: its space is the loaded one, a bad pointer comes back as false
// instead of a kernel fault, and SMAP stays on for every other kernel access.
// Another task's memory (only the loader writes any: a new task's stack,
// before it runs) is reached through that task's page tables and the direct map.
bool copy_from_user(Task* t, void* dst, u64 src, usize n) {
    if (sched::current()->task == t) return arch::copy_from_user(dst, src, n);
    if (src >= arch::kUserTop || n > arch::kUserTop - src) return false;
    u8* out = static_cast<u8*>(dst);
    while (n) {
        u64 phys;
        if (!arch::uspace_lookup(t->space, src, false, phys)) return false;
        usize chunk = mm::kPageSize - (src & (mm::kPageSize - 1));
        if (chunk > n) chunk = n;
        __builtin_memcpy(out, mm::phys_to_virt(phys), chunk);
        out += chunk;
        src += chunk;
        n -= chunk;
    }
    return true;
}

bool copy_to_user(Task* t, u64 dst, const void* src, usize n) {
    if (sched::current()->task == t) return arch::copy_to_user(dst, src, n);
    if (dst >= arch::kUserTop || n > arch::kUserTop - dst) return false;
    const u8* in = static_cast<const u8*>(src);
    while (n) {
        u64 phys;
        if (!arch::uspace_lookup(t->space, dst, true, phys)) return false;
        usize chunk = mm::kPageSize - (dst & (mm::kPageSize - 1));
        if (chunk > n) chunk = n;
        __builtin_memcpy(mm::phys_to_virt(phys), in, chunk);
        in += chunk;
        dst += chunk;
        n -= chunk;
    }
    return true;
}

Task* create_module(u64 index, i64& error, const char* cmdline) {
    const mb2::Module* mod = boot_module(index);
    if (!mod) {
        error = abi::kNotFound;
        return nullptr;
    }
    const mb2::Module& m = *mod;
    if (!cmdline) cmdline = m.string;
    const u8* file = static_cast<const u8*>(mm::phys_to_virt(m.start));
    elf::Image img;
    const elf::Limits limits = {arch::kUserBase, arch::kUserTop, kCompatImageTop};
    elf::Result r = elf::parse(file, m.end - m.start, limits, img);
    if (!r.ok()) {
        char why[160], reason[32];
        elf::describe(r, why, sizeof why);
        // One word for the report's key=value form: "bad magic" -> "bad-magic".
        fmt::snprintf(reason, sizeof reason, "%s", elf::error_name(r.error));
        for (char* c = reason; *c; c++)
            if (*c == ' ') *c = '-';
        klog::report("spawn-failed", "module=%lu reason=%s (%s) string='%s'", index, reason, why, m.string);
        error = abi::kBadImage;
        return nullptr;
    }
    Task* t = new Task();
    if (!t) {
        error = abi::kNoMemory;
        return nullptr;
    }
    t->id = __atomic_fetch_add(&g_next_id, 1, __ATOMIC_RELAXED);
    t->compat = img.compat;
    // The task's name is the first word of its command line.
    usize n = 0;
    while (cmdline[n] == ' ') cmdline++;
    while (cmdline[n] && cmdline[n] != ' ' && n + 1 < sizeof t->name) {
        t->name[n] = cmdline[n];
        n++;
    }
    t->trace_mask = trace::initial_mask(t->name);
    t->vm_next = t->compat ? kVmBase32 : kVmBase64;
    t->space = arch::uspace_create();
    t->cspace = ipc::cspace_create(t);
    bool ok = t->space != nullptr && t->cspace != nullptr;
    for (usize i = 0; ok && i < img.segment_count; i++) ok = load_segment(t, img.segments[i], file);
    // The entry page is shared and not counted in the task's pages.
    u64 sysinfo = ok ? arch::entry_page_map(t->space, t->compat) : 0;
    u64 sp = sysinfo ? build_stack(t, cmdline, img, sysinfo) : 0;
    if (!sp) {
        klog::report("spawn-failed", "module=%lu string=%s reason=out-of-memory", index, cmdline);
        destroy_task(t);
        error = abi::kNoMemory;
        return nullptr;
    }
    t->start_entry = img.entry;
    t->start_sp = sp;
    add_task(t);
    return t;
}

i64 claim_start(Task* t) {
    ksync::IrqSpinGuard g(t->lock);
    if (t->started || t->dying) return -i64(abi::kInvalid);
    t->started = true;
    return 0;
}

i64 start_task(Task* t, u32 priority, u64 affinity, bool privileged) {
    i64 claimed = claim_start(t);
    return claimed < 0 ? claimed : start_claimed(t, priority, affinity, privileged);
}

i64 start_claimed(Task* t, u32 priority, u64 affinity, bool privileged) {
    sched::Thread* th = sched::create_thread(t->name, t, u8(priority), affinity);
    if (!th) {
        ksync::IrqSpinGuard g(t->lock);
        t->started = false;
        return -i64(abi::kNoMemory);
    }
    t->privileged = privileged;
    {
        ksync::IrqSpinGuard g(t->lock);
        t->slots[0] = {th, th->tid, 0, true, false, false, false};
        t->live = t->unreaped = 1;
    }
    klog::report("task-start",
                 "task=%s id=%lu tid=%lu mode=%u entry=0x%lx sp=0x%lx sysinfo=0x%lx pages=%zu prio=%u "
                 "affinity=0x%lx",
                 t->name, t->id, th->tid, t->compat ? 32u : 64u, t->start_entry, t->start_sp,
                 t->compat ? abi::kEntryPage32 : abi::kEntryPage64, t->pages, priority, affinity);
    sched::start_user(th, t->start_entry, t->start_sp, 0, t->compat);
    return i64(t->id);
}

Task* spawn_module(u64 index, u32 priority, u64 affinity, bool privileged, i64& error) {
    Task* t = create_module(index, error);
    if (!t) return nullptr;
    i64 r = start_task(t, priority, affinity, privileged);
    if (r < 0) {
        error = -r;
        return nullptr;  // stays listed, never runs: reclaimed by nobody (out of memory already)
    }
    return t;
}

u64 kill_exit_code(Task* t) { return t->status; }

void kill(Task* t, u64 status) {
    sched::Thread* me = sched::current();
    ksync::IrqSpinGuard g(t->lock);
    if (t->dying) return;
    t->status = status;
    t->dying = true;
    for (ThreadSlot& s : t->slots)
        if (s.used && !s.exited && s.thread && s.thread != me) sched::kick(s.thread);
}

void thread_exiting(sched::Thread* th) {
    Task* t = th->task;
    u64 now = arch::time_ns();
    bool last;
    {
        ksync::IrqSpinGuard g(t->lock);
        for (ThreadSlot& s : t->slots) {
            if (s.used && s.thread == th) {
                s.exited = true;
                s.code = th->exit_code;
            }
        }
        last = --t->live == 0;
        if (last && !t->dying) t->status = th->exit_code;
        t->dying = t->dying || last;
    }
    ipc::thread_exiting(th);
    if (last) klog::reader_gone(t->id);
    klog::report("thread-exit",
                 "task=%s id=%lu tid=%lu code=%lu prio=%u affinity=0x%lx ran_on=0x%lx switches=%lu migrations=%lu "
                 "runtime_us=%lu",
                 t->name, t->id, th->tid, th->exit_code, th->priority, th->affinity, th->ran_on, th->switches,
                 th->migrations, (th->runtime_ns + now - th->switched_in_ns) / 1000);
    sched::wake_all(t->joiners);
}

void thread_reaped(sched::Thread* th) {
    Task* t = th->task;
    bool last;
    {
        ksync::IrqSpinGuard g(t->lock);
        for (ThreadSlot& s : t->slots) {
            if (s.used && s.thread == th) {
                s.thread = nullptr;
                if (s.joined) s.used = false;
            }
        }
        last = --t->unreaped == 0 && t->live == 0;
    }
    if (!last) return;
    ipc::cspace_destroy(t);
    usize before = mm::frames().free_frames();
    usize pages = arch::uspace_destroy(t->space);
    t->space = nullptr;
    usize freed = mm::frames().free_frames() - before;
    klog::report("task-exit", "task=%s id=%lu status=0x%lx pages=%zu pages_freed=%zu frames_freed=%zu", t->name, t->id,
                 t->status, t->pages, pages, freed);
    // A waiter that sees `reaped` frees the task: set it where the waiters
    // look, and touch nothing of the task afterwards.
    sched::wake_all_done(t->exit_waiters, &t->reaped);
}

void user_fault(const arch::UserFault& f) {
    sched::Thread* th = sched::current();
    Task* t = th->task;
    if (!t) {
        klog::raw("lstar: user fault in a kernel thread?\n");
        arch::exit_with_verdict(false);
    }
    klog::report("task-killed", "task=%s id=%lu tid=%lu cpu=%u vector=%lu (%s) error=0x%lx rip=0x%lx addr=0x%lx",
                 t->name, t->id, th->tid, arch::cpu_id(), f.vector, f.name, f.error_code, f.rip, f.address);
    kill(t, abi::kStatusKilled + f.vector);
    sched::exit_current(abi::kStatusKilled + f.vector);
}

// Registry access for the system calls.
Task* find_task(u64 id, bool unlink) {
    ksync::IrqSpinGuard g(g_tasks_lock);
    Task** pp = &g_tasks;
    while (*pp && (*pp)->id != id) pp = &(*pp)->next;
    Task* t = *pp;
    if (t && unlink) *pp = t->next;
    return t;
}

Task* claim_task(u64 id) {
    ksync::IrqSpinGuard g(g_tasks_lock);
    Task* t = g_tasks;
    while (t && t->id != id) t = t->next;
    if (!t || t->waited) return nullptr;
    t->waited = true;
    return t;
}

void unclaim_task(Task* t) {
    ksync::IrqSpinGuard g(g_tasks_lock);
    t->waited = false;
}

void free_task(Task* t) { destroy_task(t); }

i64 with_task_locked(u64 id, i64 (*fn)(Task*, void*), void* arg) {
    ksync::IrqSpinGuard g(g_tasks_lock);
    Task* t = g_tasks;
    while (t && t->id != id) t = t->next;
    if (!t || t->reaped) return -i64(abi::kNotFound);
    return fn(t, arg);
}

usize list_threads(abi::ThreadInfo* out, usize max) {
    usize n = 0;
    ksync::IrqSpinGuard g(g_tasks_lock);
    for (Task* t = g_tasks; t; t = t->next) {
        ksync::SpinGuard tg(t->lock);
        for (ThreadSlot& s : t->slots) {
            if (!s.used || s.exited || !s.thread) continue;
            if (n < max) {
                sched::Thread* th = s.thread;
                abi::ThreadInfo& i = out[n];
                i = {};
                i.task_id = t->id;
                i.tid = th->tid;
                fmt::snprintf(i.name, sizeof i.name, "%s", t->name);
                i.cpu = th->cpu;
                i.state = u8(th->state);
                i.priority = th->priority;
                i.compat = t->compat;
                i.privileged = t->privileged;
                i.switches = th->switches;
                i.runtime_ns = th->runtime_ns;
            }
            n++;
        }
    }
    return n;
}

bool exchange_trace_mask(u64 id, u64 mask, u64& previous) {
    // Under the list lock: a task is freed only after task_wait has taken it
    // off the list, so one found here stays valid while the lock is held.
    ksync::IrqSpinGuard g(g_tasks_lock);
    Task* t = g_tasks;
    while (t && t->id != id) t = t->next;
    if (!t) return false;
    previous = __atomic_exchange_n(&t->trace_mask, mask, __ATOMIC_RELAXED);
    return true;
}

}  // namespace task
