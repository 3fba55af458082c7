// The system calls and their dispatcher. lib/abi/syscalls.def defines each
// call; the generated kernel/task/syscall_dispatch.h declares its handler
// here with typed arguments and holds the table the dispatcher indexes.
// Every argument is checked here; a bad one is an error code, never a fault.
#include "kernel/ipc/ipc.h"
#include "kernel/log.h"
#include "kernel/mm/memory.h"
#include "kernel/task/syscall_dispatch.h"
#include "kernel/task/task.h"
#include "kernel/trace/filter.h"
#include "kernel/trace/trace.h"
#include "lib/abi/syscall_args.h"
#include "lib/abi/syscall_table.h"
#include "lib/format.h"
#include "lib/kstd/string.h"

// A handler whose parameters differ from its generated declaration would be
// a new overload, leaving the declared one (which the table calls)
// undefined: make that a compile error here rather than a link error.
#pragma GCC diagnostic error "-Wmissing-declarations"

namespace task {

namespace {

using sched::Thread;

bool g_selftests_ok = true;

// vm_alloc hands out up to 256 MiB per task, from where the loader set
// vm_next (kVmBase64 / kVmBase32, task.h).
constexpr u64 kVmWindow = u64(256) << 20;
// One vm_map, vm_unmap or vm_protect call covers at most this much.
constexpr u64 kMaxMapBytes = kVmWindow;
constexpr usize kMaxWrite = 64 * 1024;
constexpr u32 kProtAll = abi::kProtWrite | abi::kProtExec;

i64 err(abi::Error e) { return -i64(e); }

Task* self() { return sched::current()->task; }

bool valid_affinity(u64 mask) { return (mask & arch::online_cpus()) != 0; }

u32 map_flags(u32 prot) {
    u32 flags = 0;
    if (prot & abi::kProtWrite) flags |= arch::kMapWrite;
    if (prot & abi::kProtExec) flags |= arch::kMapExec;
    return flags;
}

ThreadSlot* find_slot(Task* t, u64 tid) {
    for (ThreadSlot& s : t->slots)
        if (s.used && s.tid == tid) return &s;
    return nullptr;
}

struct JoinWait {
    Task* task;
    ThreadSlot* slot;
};

bool join_ready(void* p) {
    return static_cast<JoinWait*>(p)->slot->exited || static_cast<JoinWait*>(p)->task->dying;
}

// Runs fn on the thread `tid` of the calling task (0 = the caller) with the
// task lock held, so the thread cannot be reaped meanwhile.
template <typename F>
i64 with_thread(u64 tid, F fn) {
    Task* t = self();
    Thread* me = sched::current();
    if (tid == 0 || tid == me->tid) return fn(me);
    ksync::IrqSpinGuard g(t->lock);
    ThreadSlot* s = find_slot(t, tid);
    if (!s || s->exited || !s->thread) return err(abi::kNotFound);
    return fn(s->thread);
}

bool task_reaped(void* p) { return static_cast<Task*>(p)->reaped; }

// The range checks of vm_map, vm_unmap and vm_protect: addr page-aligned,
// bytes nonzero, [addr, addr + bytes) inside the task's user range (below
// 4 GiB for a 32-bit task). `pages`: bytes rounded up to pages.
abi::Error check_range(Task* t, u64 addr, u64 bytes, u64& pages) {
    u64 top = t->compat ? abi::kCompatTop : arch::kUserTop;
    if (bytes == 0 || addr % mm::kPageSize != 0) return abi::kInvalid;
    if (addr < arch::kUserBase || addr >= top || bytes > top - addr) return abi::kInvalid;
    pages = (bytes + mm::kPageSize - 1) / mm::kPageSize;  // ends at or below top: top is page-aligned
    return abi::kOk;
}

// The mapped pages of [addr, addr + pages pages), found table by table so a
// sparse range costs little: `if_mapped` if there is one at all, else
// kInvalid if one is the kernel's shared page (if_mapped kOk: mapped pages
// are fine).
abi::Error check_mapped(Task* t, u64 addr, u64 pages, abi::Error if_mapped) {
    u64 end = addr + pages * mm::kPageSize;
    for (u64 page = arch::uspace_next_mapped(t->space, addr, end); page < end;
         page = arch::uspace_next_mapped(t->space, page + mm::kPageSize, end)) {
        u64 phys;
        if (!arch::uspace_lookup(t->space, page, false, phys)) continue;  // unmapped meanwhile
        if (if_mapped != abi::kOk) return if_mapped;
        if (arch::uspace_pinned(phys)) return abi::kInvalid;
    }
    return abi::kOk;
}

}  // namespace

i64 sys_debug_write(u64 buf, usize len) {
    if (len > kMaxWrite) return err(abi::kInvalid);
    if (buf >= arch::kUserTop || len > arch::kUserTop - buf) return err(abi::kFault);
    // Written a piece at a time, each in one go, so another CPU's output can
    // come between pieces but not inside one; a full piece ends at its last
    // newline, so lines up to the piece's size stay whole (the user runtime's
    // printf writes at most 512 bytes at once).
    char chunk[512];
    for (u64 done = 0; done < len;) {
        usize n = len - done < sizeof chunk ? usize(len - done) : sizeof chunk;
        if (!copy_from_user(self(), chunk, buf + done, n)) return err(abi::kFault);
        if (n == sizeof chunk && len - done > n) {
            usize cut = n;
            while (cut > 0 && chunk[cut - 1] != '\n') --cut;
            if (cut > 0) n = cut;
        }
        klog::write(chunk, n);
        done += n;
    }
    return i64(len);
}

i64 sys_thread_exit(u64 code) { sched::exit_current(code); }

i64 sys_task_exit(u64 code) {
    kill(self(), code);
    sched::exit_current(code);
}

i64 sys_yield() {
    sched::yield();
    return 0;
}

i64 sys_sleep(u64 ns) {
    sched::sleep_ns(ns);
    return 0;
}

i64 sys_cpu_id() { return arch::cpu_id(); }
i64 sys_cpu_count() { return arch::cpu_count(); }
i64 sys_time_ns() { return i64(arch::time_ns()); }
i64 sys_thread_self() { return i64(sched::current()->tid); }

i64 sys_thread_create(u64 entry, u64 stack_top, u64 arg, u32 priority, u64 affinity) {
    if (entry >= arch::kUserTop || stack_top >= arch::kUserTop || (stack_top & 15) != 0)
        return err(abi::kInvalid);
    if (priority > abi::kMaxPriority || !valid_affinity(affinity)) return err(abi::kInvalid);
    Task* t = self();
    Thread* th = sched::create_thread(t->name, t, u8(priority), affinity);
    if (!th) return err(abi::kNoMemory);
    bool added = false;
    {
        ksync::IrqSpinGuard g(t->lock);
        for (ThreadSlot& s : t->slots) {
            if (s.used || t->dying) continue;
            s = {th, th->tid, 0, true, false, false, false};
            t->live++;
            t->unreaped++;
            added = true;
            break;
        }
    }
    if (!added) {
        th->task = nullptr;  // never ran: nothing for the task to account
        sched::destroy_thread(th);
        return err(t->dying ? abi::kInvalid : abi::kNoMemory);
    }
    // Once started, the thread may exit and be freed before we look again.
    const u64 tid = th->tid;
    sched::start_user(th, entry, stack_top, arg, t->compat);
    return i64(tid);
}

i64 sys_thread_join(u64 tid) {
    Task* t = self();
    ThreadSlot* slot;
    {
        ksync::IrqSpinGuard g(t->lock);
        slot = find_slot(t, tid);
        if (!slot || slot->joined || slot->joining || slot->tid == sched::current()->tid)
            return err(abi::kNotFound);
        slot->joining = true;  // one joiner per thread: the slot stays ours
    }
    // Every thread exit wakes every joiner of the task; wait again until it
    // is this one (or the task is being killed).
    JoinWait w{t, slot};
    while (!join_ready(&w)) sched::wait(t->joiners, join_ready, &w);
    ksync::IrqSpinGuard g(t->lock);
    slot->joining = false;
    if (!slot->exited) return err(abi::kNotFound);  // the task is being killed
    slot->joined = true;
    i64 code = i64(slot->code);
    if (!slot->thread) slot->used = false;
    return code;
}

i64 sys_set_priority(u64 tid, u32 priority) {
    if (priority > abi::kMaxPriority) return err(abi::kInvalid);
    return with_thread(tid, [&](Thread* th) {
        sched::set_priority(th, u8(priority));
        return i64(0);
    });
}

i64 sys_set_affinity(u64 tid, u64 mask) {
    if (!valid_affinity(mask)) return err(abi::kInvalid);
    Thread* me = sched::current();
    if (tid == 0 || tid == me->tid) return sched::set_affinity(me, mask) ? 0 : err(abi::kInvalid);
    return with_thread(
        tid, [&](Thread* th) { return sched::set_affinity(th, mask) ? i64(0) : err(abi::kInvalid); });
}

i64 sys_vm_alloc(usize bytes, u32 prot) {
    if (bytes == 0 || bytes > kVmWindow || prot & ~kProtAll) return err(abi::kInvalid);
    u64 pages = (bytes + mm::kPageSize - 1) / mm::kPageSize;
    Task* t = self();
    u64 limit = (t->compat ? kVmBase32 : kVmBase64) + kVmWindow;
    u64 base;
    {
        ksync::IrqSpinGuard g(t->lock);
        if (t->vm_next + pages * mm::kPageSize > limit) return err(abi::kNoMemory);
        base = t->vm_next;
        t->vm_next += (pages + 1) * mm::kPageSize;  // an unmapped page between allocations
    }
    for (u64 i = 0; i < pages; i++) {
        if (!arch::uspace_map_new(t->space, base + i * mm::kPageSize, map_flags(prot), nullptr))
            return err(abi::kNoMemory);
        __atomic_fetch_add(&t->pages, 1, __ATOMIC_RELAXED);
    }
    return i64(base);
}

i64 sys_module_info(u64 index, u64 buf, usize len) {
    const mb2::Module* m = boot_module(index);
    if (!m) return err(abi::kNotFound);
    const char* s = m->string;
    usize slen = kstd::strlen(s);
    if (len == 0) return i64(slen);
    usize n = slen + 1 <= len ? slen + 1 : len;
    if (!copy_to_user(self(), buf, s, n)) return err(abi::kFault);
    if (n < slen + 1 && !copy_to_user(self(), buf + n - 1, "", 1)) return err(abi::kFault);
    return i64(slen);
}

i64 sys_module_read(u64 index, u64 offset, u64 buf, usize len) {
    const mb2::Module* m = boot_module(index);
    if (!m) return err(abi::kNotFound);
    const u64 size = m->end - m->start;
    if (offset > size) return err(abi::kInvalid);
    usize n = size - offset < len ? usize(size - offset) : len;
    const u8* data = static_cast<const u8*>(mm::phys_to_virt(m->start)) + offset;
    if (n && !copy_to_user(self(), buf, data, n)) return err(abi::kFault);
    return i64(n);
}

i64 sys_klog_read(u64 buf, usize len) {
    char lines[2048];
    if (len > sizeof lines) len = sizeof lines;
    // Probe the buffer first: lines taken from the ring are not put back.
    char probe = 0;
    if (len && (!copy_from_user(self(), &probe, buf, 1) || !copy_from_user(self(), &probe, buf + len - 1, 1)))
        return err(abi::kFault);
    i64 n = klog::read_lines(self()->id, lines, len);
    if (n <= 0) return n;
    return copy_to_user(self(), buf, lines, usize(n)) ? n : err(abi::kFault);
}

i64 sys_spawn(u64 index, u32 priority, u64 affinity) {
    if (priority > abi::kMaxPriority || !valid_affinity(affinity)) return err(abi::kInvalid);
    i64 error = 0;
    Task* t = spawn_module(index, priority, affinity, false, error);
    return t ? i64(t->id) : -error;
}

i64 sys_task_wait(u64 task_id) {
    if (task_id == self()->id) return err(abi::kNotFound);
    Task* t = claim_task(task_id);
    if (!t) return err(abi::kNotFound);
    sched::wait(t->exit_waiters, task_reaped, t);
    if (!t->reaped) {  // we are being killed; the task stays listed for another waiter
        unclaim_task(t);
        return err(abi::kNotFound);
    }
    find_task(task_id, true);
    i64 status = i64(t->status);
    free_task(t);
    return status;
}

i64 sys_shutdown(u64 pass) {
    klog::take_back();
    for (u32 c = 0; c < 64; c++) {
        if (!(arch::online_cpus() >> c & 1)) continue;
        sched::CpuStats s = sched::cpu_stats(c);
        klog::report("sched-cpu", "cpu=%u switches=%lu idle_switches=%lu steals=%lu ticks=%lu direct_switches=%lu", c,
                     s.switches, s.idle_switches, s.steals, s.ticks, s.direct_switches);
        abi::IpcStats st{};
        ipc::stats(c, st);
        char misses[256];
        usize n = 0;
        for (u32 i = 0; i < abi::kFastMisses; i++)
            n += fmt::snprintf(misses + n, sizeof misses - n, " miss_%s=%lu", abi::kFastMissNames[i], st.misses[i]);
        klog::report("ipc-cpu", "cpu=%u fast_calls=%lu fast_replies=%lu slow_calls=%lu sends=%lu receives=%lu%s", c,
                     st.fast_calls, st.fast_replies, st.slow_calls, st.sends, st.receives, misses);
    }
    klog::report("shutdown", "task=%s pass=%lu selftests=%u kstacks=%u free_frames=%zu", self()->name, pass,
                 g_selftests_ok, arch::kstacks_in_use(), mm::frames().free_frames());
    arch::exit_with_verdict(pass == 1 && g_selftests_ok);
}

i64 sys_probe(u8 path, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
    return i64(abi::probe_mix(a0, a1, a2, a3, a4, a5) << 8 | path);
}

i64 sys_vm_map(u64 addr, usize bytes, u32 prot) {
    Task* t = self();
    bool replace = prot & abi::kMapReplace;
    prot &= ~abi::kMapReplace;
    if (prot & ~kProtAll) return err(abi::kInvalid);
    u64 pages;
    if (abi::Error e = check_range(t, addr, bytes, pages); e != abi::kOk) return err(e);
    if (bytes > kMaxMapBytes || pages > mm::frames().free_frames()) return err(abi::kNoMemory);
    if (abi::Error e = check_mapped(t, addr, pages, replace ? abi::kOk : abi::kExists); e != abi::kOk)
        return err(e);
    // Another thread of the task may map into the range meanwhile: its page
    // is kExists (or, with kMapReplace, is replaced). Pages mapped before a
    // failure stay mapped.
    for (u64 i = 0; i < pages; i++) {
        arch::PageChange r = arch::uspace_map(t->space, addr + i * mm::kPageSize, map_flags(prot), replace);
        if (r == arch::PageChange::kMapped) return err(abi::kExists);
        if (r == arch::PageChange::kPinned) return err(abi::kInvalid);
        if (r == arch::PageChange::kNoMemory) return err(abi::kNoMemory);
        if (r == arch::PageChange::kDone) __atomic_fetch_add(&t->pages, 1, __ATOMIC_RELAXED);
    }
    return i64(addr);
}

i64 sys_vm_unmap(u64 addr, usize bytes) {
    Task* t = self();
    u64 pages;
    if (abi::Error e = check_range(t, addr, bytes, pages); e != abi::kOk) return err(e);
    if (pages > kMaxMapBytes / mm::kPageSize) return err(abi::kInvalid);
    // The kernel's shared page is refused before anything changes.
    if (abi::Error e = check_mapped(t, addr, pages, abi::kOk); e != abi::kOk) return err(e);
    u64 freed = 0, end = addr + pages * mm::kPageSize;
    for (u64 page = arch::uspace_next_mapped(t->space, addr, end); page < end;
         page = arch::uspace_next_mapped(t->space, page + mm::kPageSize, end)) {
        if (arch::uspace_unmap(t->space, page) != arch::PageChange::kDone) continue;
        __atomic_fetch_sub(&t->pages, 1, __ATOMIC_RELAXED);
        freed++;
    }
    return i64(freed);
}

i64 sys_vm_protect(u64 addr, usize bytes, u32 prot) {
    Task* t = self();
    if (prot & ~kProtAll) return err(abi::kInvalid);
    u64 pages;
    if (abi::Error e = check_range(t, addr, bytes, pages); e != abi::kOk) return err(e);
    if (pages > kMaxMapBytes / mm::kPageSize) return err(abi::kInvalid);
    for (u64 i = 0; i < pages; i++) {
        u64 phys;
        if (!arch::uspace_lookup(t->space, addr + i * mm::kPageSize, false, phys)) return err(abi::kNotFound);
        if (arch::uspace_pinned(phys)) return err(abi::kInvalid);
    }
    // Checked above; a page another thread unmaps (or the entry page, which
    // no call can map) meanwhile stops the loop with the pages before it changed.
    for (u64 i = 0; i < pages; i++) {
        arch::PageChange r = arch::uspace_protect(t->space, addr + i * mm::kPageSize, map_flags(prot));
        if (r == arch::PageChange::kNotMapped) return err(abi::kNotFound);
        if (r != arch::PageChange::kDone) return err(abi::kInvalid);
    }
    return i64(pages);
}

i64 sys_cpu_stats(u32 cpu, u64 out) {
    abi::CpuStats st{};
    if (!arch::cpu_counters(cpu, st)) return err(abi::kInvalid);
    sched::CpuStats s = sched::cpu_stats(cpu);
    st.switches = s.switches;
    st.migrations = s.migrations;
    return copy_to_user(self(), out, &st, sizeof st) ? 0 : err(abi::kFault);
}

i64 sys_trace(u64 task_id, u64 mask) {
    mask &= trace::kAllCalls;
    Task* me = self();
    u64 previous;
    if (task_id == 0 || task_id == me->id)
        previous = __atomic_exchange_n(&me->trace_mask, mask, __ATOMIC_RELAXED);
    else if (!exchange_trace_mask(task_id, mask, previous))
        return err(abi::kNotFound);
    return i64(previous);
}

void init(const mb2::Info& info, bool selftests_ok) {
    g_selftests_ok = selftests_ok;
    set_boot_info(info);
    trace::init(info.cmdline);
}

i64 syscall(arch::SyscallRequest& request) {
    u64 nr = request.nr;
    if (nr >= abi::kSysCount) return err(abi::kNoSys);
    // Clamp the index after the bounds check so a mispredicted branch cannot
    // read past the tables (the Spectre v1 pattern).
    nr &= u64(-(nr < abi::kSysCount));
    // The IPC fast path, before any generic work (kernel/ipc/ipc.cpp).
    if (nr == abi::kSysIpcCall || nr == abi::kSysIpcReplyRecv) {
        i64 result;
        if (ipc::fastpath(request, result)) return result;
    }
    const abi::SyscallInfo& call = abi::kSyscalls[nr];
    u64 args[abi::kMaxSyscallArgs];
    abi::unpack_args(call, request.args, request.compat, args);
    Thread* me = sched::current();
    bool denied = (call.flags & abi::kSysFlagPrivileged) && !me->task->privileged;
    trace::Call traced;
    trace::begin(traced, *me->task, me->tid, u32(nr), args, request.path,
                 denied || !(call.flags & abi::kSysFlagNoReturn));
    i64 result = denied ? err(abi::kPermission) : kSyscallTable[nr](args, request.path, request);
    trace::end(traced, result);
    return result;
}

}  // namespace task
