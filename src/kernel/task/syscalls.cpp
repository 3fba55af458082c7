// System call dispatch (int 0x80 for now) and the calls themselves. Every
// argument is checked here; a bad one is an error code, never a fault.
#include "kernel/log.h"
#include "kernel/mm/memory.h"
#include "kernel/task/task.h"
#include "lib/abi/syscall.h"
#include "lib/kstd/string.h"

namespace task {

namespace {

using sched::Thread;
using Args = const u64 (&)[6];

bool g_selftests_ok = true;

constexpr u64 kVmLimit = 0x0000100000000000 + (u64(256) << 20);  // 256 MiB of vm_alloc per task
constexpr usize kMaxWrite = 64 * 1024;

i64 err(abi::Error e) { return -i64(e); }

Task* self() { return sched::current()->task; }

i64 sys_debug_write(Args a) {
    u64 buf = a[0], len = a[1];
    if (len > kMaxWrite) return err(abi::kInvalid);
    if (buf >= arch::kUserTop || len > arch::kUserTop - buf) return err(abi::kFault);
    char chunk[257];
    for (u64 done = 0; done < len;) {
        usize n = len - done < 256 ? usize(len - done) : 256;
        if (!copy_from_user(self(), chunk, buf + done, n)) return err(abi::kFault);
        chunk[n] = 0;
        klog::raw("%s", chunk);
        done += n;
    }
    return i64(len);
}

i64 sys_thread_exit(Args a) { sched::exit_current(a[0]); }

i64 sys_task_exit(Args a) {
    kill(self(), a[0]);
    sched::exit_current(a[0]);
}

i64 sys_yield(Args) {
    sched::yield();
    return 0;
}

i64 sys_sleep(Args a) {
    sched::sleep_ns(a[0]);
    return 0;
}

i64 sys_cpu_id(Args) { return arch::cpu_id(); }
i64 sys_cpu_count(Args) { return arch::cpu_count(); }
i64 sys_time_ns(Args) { return i64(arch::time_ns()); }
i64 sys_thread_self(Args) { return i64(sched::current()->tid); }

bool valid_affinity(u64 mask) { return (mask & arch::online_cpus()) != 0; }

i64 sys_thread_create(Args a) {
    u64 entry = a[0], stack = a[1], arg = a[2], prio = a[3], affinity = a[4];
    if (entry >= arch::kUserTop || stack >= arch::kUserTop || (stack & 15) != 0) return err(abi::kInvalid);
    if (prio > abi::kMaxPriority || !valid_affinity(affinity)) return err(abi::kInvalid);
    Task* t = self();
    Thread* th = sched::create_thread(t->name, t, u8(prio), affinity);
    if (!th) return err(abi::kNoMemory);
    bool added = false;
    {
        ksync::IrqSpinGuard g(t->lock);
        for (ThreadSlot& s : t->slots) {
            if (s.used || t->dying) continue;
            s = {th, th->tid, 0, true, false, false};
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
    sched::start_user(th, entry, stack, arg);
    return i64(th->tid);
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

bool join_ready(void* p) { return static_cast<JoinWait*>(p)->slot->exited || static_cast<JoinWait*>(p)->task->dying; }

i64 sys_thread_join(Args a) {
    Task* t = self();
    ThreadSlot* slot;
    {
        ksync::IrqSpinGuard g(t->lock);
        slot = find_slot(t, a[0]);
        if (!slot || slot->joined || slot->tid == sched::current()->tid) return err(abi::kNotFound);
    }
    // Every thread exit wakes every joiner of the task; wait again until it
    // is this one (or the task is being killed).
    JoinWait w{t, slot};
    while (!join_ready(&w)) sched::wait(t->joiners, join_ready, &w);
    ksync::IrqSpinGuard g(t->lock);
    if (!slot->exited) return err(abi::kNotFound);  // the task is being killed
    slot->joined = true;
    i64 code = i64(slot->code);
    if (!slot->thread) slot->used = false;
    return code;
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

i64 sys_set_priority(Args a) {
    if (a[1] > abi::kMaxPriority) return err(abi::kInvalid);
    return with_thread(a[0], [&](Thread* th) {
        sched::set_priority(th, u8(a[1]));
        return i64(0);
    });
}

i64 sys_set_affinity(Args a) {
    if (!valid_affinity(a[1])) return err(abi::kInvalid);
    Thread* me = sched::current();
    if (a[0] == 0 || a[0] == me->tid) return sched::set_affinity(me, a[1]) ? 0 : err(abi::kInvalid);
    return with_thread(a[0], [&](Thread* th) { return sched::set_affinity(th, a[1]) ? i64(0) : err(abi::kInvalid); });
}

i64 sys_vm_alloc(Args a) {
    u64 bytes = a[0];
    if (bytes == 0 || bytes > kVmLimit || a[1] & ~u64(abi::kProtWrite | abi::kProtExec)) return err(abi::kInvalid);
    u64 pages = (bytes + mm::kPageSize - 1) / mm::kPageSize;
    Task* t = self();
    u64 base;
    {
        ksync::IrqSpinGuard g(t->lock);
        if (t->vm_next + pages * mm::kPageSize > kVmLimit) return err(abi::kNoMemory);
        base = t->vm_next;
        t->vm_next += (pages + 1) * mm::kPageSize;  // an unmapped page between allocations
    }
    u32 flags = 0;
    if (a[1] & abi::kProtWrite) flags |= arch::kMapWrite;
    if (a[1] & abi::kProtExec) flags |= arch::kMapExec;
    for (u64 i = 0; i < pages; i++) {
        if (!arch::uspace_map_new(t->space, base + i * mm::kPageSize, flags, nullptr)) return err(abi::kNoMemory);
        __atomic_fetch_add(&t->pages, 1, __ATOMIC_RELAXED);
    }
    return i64(base);
}

i64 sys_module_info(Args a) {
    if (!self()->privileged) return err(abi::kPermission);
    const mb2::Module* m = boot_module(a[0]);
    if (!m) return err(abi::kNotFound);
    const char* s = m->string;
    usize len = kstd::strlen(s);
    if (a[2] == 0) return i64(len);
    usize n = len + 1 <= a[2] ? len + 1 : usize(a[2]);
    if (!copy_to_user(self(), a[1], s, n)) return err(abi::kFault);
    if (n < len + 1 && !copy_to_user(self(), a[1] + n - 1, "", 1)) return err(abi::kFault);
    return i64(len);
}

i64 sys_spawn(Args a) {
    if (!self()->privileged) return err(abi::kPermission);
    if (a[1] > abi::kMaxPriority || !valid_affinity(a[2])) return err(abi::kInvalid);
    i64 error = 0;
    Task* t = spawn_module(a[0], u32(a[1]), a[2], false, error);
    return t ? i64(t->id) : -error;
}

bool task_reaped(void* p) { return static_cast<Task*>(p)->reaped; }

i64 sys_task_wait(Args a) {
    if (!self()->privileged) return err(abi::kPermission);
    Task* t = find_task(a[0], true);
    if (!t || t == self()) return err(abi::kNotFound);
    sched::wait(t->exit_waiters, task_reaped, t);
    if (!t->reaped) return err(abi::kNotFound);  // we are being killed; the task stays unreaped
    i64 status = i64(t->status);
    free_task(t);
    return status;
}

i64 sys_shutdown(Args a) {
    if (!self()->privileged) return err(abi::kPermission);
    for (u32 c = 0; c < 64; c++) {
        if (!(arch::online_cpus() >> c & 1)) continue;
        sched::CpuStats s = sched::cpu_stats(c);
        klog::report("sched-cpu", "cpu=%u switches=%lu idle_switches=%lu steals=%lu ticks=%lu", c, s.switches,
                     s.idle_switches, s.steals, s.ticks);
    }
    klog::report("shutdown", "task=%s pass=%lu selftests=%u kstacks=%u free_frames=%zu", self()->name, a[0],
                 g_selftests_ok, arch::kstacks_in_use(), mm::frames().free_frames());
    arch::exit_with_verdict(a[0] == 1 && g_selftests_ok);
}

using Handler = i64 (*)(Args);
constexpr Handler kTable[abi::kSysCount] = {
    sys_debug_write, sys_thread_exit, sys_task_exit,  sys_yield,       sys_sleep,       sys_cpu_id,
    sys_thread_create, sys_thread_join, sys_set_priority, sys_set_affinity, sys_time_ns, sys_vm_alloc,
    sys_thread_self, sys_cpu_count,   sys_module_info, sys_spawn,       sys_task_wait,   sys_shutdown,
};

}  // namespace

void init(const mb2::Info& info, bool selftests_ok) {
    g_selftests_ok = selftests_ok;
    set_boot_info(info);
}

i64 syscall(const arch::SyscallRequest& request) {
    u64 nr = request.nr;
    const u64(&args)[6] = request.args;
    if (nr >= abi::kSysCount) return err(abi::kNoSys);
    // Clamp the index after the bounds check so a mispredicted branch cannot
    // read past the table (the Spectre v1 pattern).
    nr &= u64(-(nr < abi::kSysCount));
    return kTable[nr](args);
}

}  // namespace task
