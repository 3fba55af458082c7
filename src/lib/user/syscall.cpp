// System call wrappers (see lib/abi/syscall.h): `int 0x80`, number in RAX,
// arguments in RDI, RSI, RDX, R10, R8, R9, result in RAX; the kernel keeps
// every other register.
#include "lib/user/lstar.h"

extern "C" void lstar_thread_entry(u64 start);  // start.asm

namespace lstar {
namespace {

// "memory": the kernel reads and writes user buffers behind the compiler's back.
inline i64 trap0(u64 nr) {
    i64 r;
    asm volatile("int $0x80" : "=a"(r) : "a"(nr) : "memory", "cc");
    return r;
}

inline i64 trap1(u64 nr, u64 a0) {
    i64 r;
    asm volatile("int $0x80" : "=a"(r) : "a"(nr), "D"(a0) : "memory", "cc");
    return r;
}

inline i64 trap2(u64 nr, u64 a0, u64 a1) {
    i64 r;
    asm volatile("int $0x80" : "=a"(r) : "a"(nr), "D"(a0), "S"(a1) : "memory", "cc");
    return r;
}

inline i64 trap3(u64 nr, u64 a0, u64 a1, u64 a2) {
    i64 r;
    asm volatile("int $0x80" : "=a"(r) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory", "cc");
    return r;
}

inline i64 trap5(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4) {
    register u64 r10 asm("r10") = a3;
    register u64 r8 asm("r8") = a4;
    i64 r;
    asm volatile("int $0x80"
                 : "=a"(r)
                 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8)
                 : "memory", "cc");
    return r;
}

// What lstar_thread_entry (start.asm) expects at the top of a new stack.
struct ThreadStart {
    void (*entry)(u64);
    u64 arg;
};
static_assert(sizeof(ThreadStart) == 16, "start.asm reads entry at +0, arg at +8");

constexpr usize kThreadStackBytes = 64 * 1024;

}  // namespace

i64 syscall6(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
    register u64 r10 asm("r10") = a3;
    register u64 r8 asm("r8") = a4;
    register u64 r9 asm("r9") = a5;
    i64 r;
    asm volatile("int $0x80"
                 : "=a"(r)
                 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                 : "memory", "cc");
    return r;
}

i64 debug_write(const char* buf, usize len) {
    return trap2(abi::kSysDebugWrite, reinterpret_cast<u64>(buf), len);
}

void thread_exit(u64 code) {
    trap1(abi::kSysThreadExit, code);
    __builtin_trap();
}

void task_exit(u64 code) {
    trap1(abi::kSysTaskExit, code);
    __builtin_trap();
}

void yield() { trap0(abi::kSysYield); }

i64 sleep_ns(u64 ns) { return trap1(abi::kSysSleep, ns); }

u32 cpu_id() { return static_cast<u32>(trap0(abi::kSysCpuId)); }

u32 cpu_count() { return static_cast<u32>(trap0(abi::kSysCpuCount)); }

u64 time_ns() { return static_cast<u64>(trap0(abi::kSysTimeNs)); }

// The kernel starts the thread at lstar_thread_entry with RSP = RDI = the
// address of a ThreadStart placed at the top of the new stack; that calls
// entry(arg) and then thread_exit(0) if entry returns. A stack allocated here
// (stack_top == 0) is never freed: there is no vm_free yet.
i64 thread_create(void (*entry)(u64), u64 stack_top, u64 arg, u32 priority, u64 affinity) {
    if (entry == nullptr) return -abi::kInvalid;
    if (stack_top == 0) {
        void* stack = vm_alloc(kThreadStackBytes, abi::kProtWrite);
        if (stack == nullptr) return -abi::kNoMemory;
        stack_top = reinterpret_cast<u64>(stack) + kThreadStackBytes;
    }
    if (stack_top % 16 != 0) return -abi::kInvalid;
    // A bad stack_top faults here, in the caller, rather than in the new thread.
    auto* start = reinterpret_cast<ThreadStart*>(stack_top - sizeof(ThreadStart));
    start->entry = entry;
    start->arg = arg;
    u64 top = reinterpret_cast<u64>(start);
    return trap5(abi::kSysThreadCreate, reinterpret_cast<u64>(&lstar_thread_entry), top, top, priority,
                 affinity);
}

i64 thread_join(u64 tid) { return trap1(abi::kSysThreadJoin, tid); }

i64 thread_self() { return trap0(abi::kSysThreadSelf); }

i64 set_priority(u64 tid, u32 priority) { return trap2(abi::kSysSetPriority, tid, priority); }

i64 set_affinity(u64 tid, u64 mask) { return trap2(abi::kSysSetAffinity, tid, mask); }

void* vm_alloc(usize bytes, u32 prot) {
    i64 r = trap2(abi::kSysVmAlloc, bytes, prot);
    return r < 0 ? nullptr : reinterpret_cast<void*>(r);
}

i64 module_info(u64 index, char* buf, usize len) {
    return trap3(abi::kSysModuleInfo, index, reinterpret_cast<u64>(buf), len);
}

i64 spawn(u64 module_index, u32 priority, u64 affinity) {
    return trap3(abi::kSysSpawn, module_index, priority, affinity);
}

i64 task_wait(u64 task) { return trap1(abi::kSysTaskWait, task); }

void shutdown(bool pass) {
    trap1(abi::kSysShutdown, pass ? 1 : 0);
    __builtin_trap();
}

}  // namespace lstar
