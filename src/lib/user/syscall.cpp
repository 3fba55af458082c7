// The lstar:: system call wrappers (lstar.h) over the generated stubs
// lstar::sys::NAME (lib/user/syscall_stubs.h), which enter the kernel through
// lstar_syscall6 or, in a 32-bit program, lstar_syscall6_32 (entry.h). The
// same source serves 64-bit and 32-bit programs.
#include "lib/user/entry.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "lib/user/thread_start.h"

// start.asm; start32.cpp in a 32-bit program.
extern "C" void lstar_thread_entry(const lstar::ThreadStart* start);

namespace lstar {
namespace {

constexpr usize kThreadStackBytes = 64 * 1024;

}  // namespace

i64 syscall6(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
#if LSTAR_SYSCALL_ABI32
    return static_cast<i64>(lstar_syscall6_32(
        static_cast<u32>(nr), static_cast<u32>(a0), static_cast<u32>(a1), static_cast<u32>(a2),
        static_cast<u32>(a3), static_cast<u32>(a4), static_cast<u32>(a5)));
#else
    return lstar_syscall6(nr, a0, a1, a2, a3, a4, a5);
#endif
}

i64 debug_write(const char* buf, usize len) { return sys::debug_write(buf, len); }

void thread_exit(u64 code) { sys::thread_exit(code); }

void task_exit(u64 code) { sys::task_exit(code); }

void yield() { sys::yield(); }

i64 sleep_ns(u64 ns) { return sys::sleep(ns); }

u32 cpu_id() { return static_cast<u32>(sys::cpu_id()); }

u32 cpu_count() { return static_cast<u32>(sys::cpu_count()); }

u64 time_ns() { return static_cast<u64>(sys::time_ns()); }

// The kernel starts the thread at lstar_thread_entry with the stack pointer
// and its argument both the address of a ThreadStart placed at the top of
// the new stack; that calls entry(arg) and then thread_exit(0) if entry
// returns. A stack allocated here (stack_top == 0) is never freed: there is
// no vm_free yet.
i64 thread_create(void (*entry)(u64), u64 stack_top, u64 arg, u32 priority, u64 affinity) {
    if (entry == nullptr) return -abi::kInvalid;
    if (stack_top == 0) {
        void* stack = vm_alloc(kThreadStackBytes, abi::kProtWrite);
        if (stack == nullptr) return -abi::kNoMemory;
        stack_top = reinterpret_cast<uptr>(stack) + kThreadStackBytes;
    }
    // Past a 32-bit program's address space, stack_top names no stack.
    if (stack_top % 16 != 0 || static_cast<uptr>(stack_top) != stack_top) return -abi::kInvalid;
    // A bad stack_top faults here, in the caller, rather than in the new thread.
    auto* start = reinterpret_cast<ThreadStart*>(static_cast<uptr>(stack_top) - sizeof(ThreadStart));
    start->entry = entry;
    start->arg = arg;
    uptr top = reinterpret_cast<uptr>(start);
    return sys::thread_create(reinterpret_cast<uptr>(&lstar_thread_entry), top, top, priority, affinity);
}

i64 thread_join(u64 tid) { return sys::thread_join(tid); }

i64 thread_self() { return sys::thread_self(); }

i64 set_priority(u64 tid, u32 priority) { return sys::set_priority(tid, priority); }

i64 set_affinity(u64 tid, u64 mask) { return sys::set_affinity(tid, mask); }

void* vm_alloc(usize bytes, u32 prot) {
    i64 r = sys::vm_alloc(bytes, prot);
    return r < 0 ? nullptr : reinterpret_cast<void*>(static_cast<uptr>(r));
}

i64 vm_map(uptr addr, usize bytes, u32 prot) { return sys::vm_map(addr, bytes, prot); }

u64 probe(uptr a0, uptr a1, uptr a2, uptr a3, uptr a4, uptr a5) {
    return static_cast<u64>(sys::probe(a0, a1, a2, a3, a4, a5));
}

i64 module_info(u64 index, char* buf, usize len) { return sys::module_info(index, buf, len); }

i64 spawn(u64 module_index, u32 priority, u64 affinity) {
    return sys::spawn(module_index, priority, affinity);
}

i64 task_wait(u64 task) { return sys::task_wait(task); }

i64 trace(u64 task, u64 mask) { return sys::trace(task, mask); }

void shutdown(bool pass) { sys::shutdown(pass ? 1 : 0); }

}  // namespace lstar
