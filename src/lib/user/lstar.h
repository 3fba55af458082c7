// The user-side runtime of lstar programs: system call wrappers, the initial
// state handed over by the kernel, and a small libc subset. Freestanding:
// programs include this and nothing from the host.
#pragma once

#include "lib/abi/syscall.h"
#include "lib/kstd/types.h"

namespace lstar {

// System calls: wrappers over the generated stubs lstar::sys::NAME
// (lib/user/syscall_stubs.h, from lib/abi/syscalls.def; docs/syscalls.md).
// Results < 0 are -abi::Error.
i64 debug_write(const char* buf, usize len);
[[noreturn]] void thread_exit(u64 code);
[[noreturn]] void task_exit(u64 code);
void yield();
i64 sleep_ns(u64 ns);
u32 cpu_id();
u32 cpu_count();
u64 time_ns();
// Starts a thread of this task at entry(arg) on a stack whose top is stack_top
// (16-byte aligned); stack_top 0 asks the runtime to allocate one.
i64 thread_create(void (*entry)(u64), u64 stack_top, u64 arg, u32 priority, u64 affinity);
i64 thread_join(u64 tid);
i64 thread_self();
i64 set_priority(u64 tid, u32 priority);
i64 set_affinity(u64 tid, u64 mask);
// Zeroed pages mapped into this task; returns the address or 0 on failure.
void* vm_alloc(usize bytes, u32 prot = abi::kProtWrite);
// Temporary calls for init (until IPC).
i64 module_info(u64 index, char* buf, usize len);
i64 spawn(u64 module_index, u32 priority, u64 affinity);
i64 task_wait(u64 task);
[[noreturn]] void shutdown(bool pass);
// Sets the trace mask of task `task` (0: the caller; bit n logs call n, see
// docs/syscalls.md) and returns the previous one. init only.
i64 trace(u64 task, u64 mask);
// The null call: returns (abi::probe_mix(a0..a5) << 8) | the abi::EntryPath
// it came by, the arguments as the kernel saw them (zero-extended words in a
// 32-bit program).
u64 probe(uptr a0 = 0, uptr a1 = 0, uptr a2 = 0, uptr a3 = 0, uptr a4 = 0, uptr a5 = 0);
// Zeroed pages at the page-aligned address addr (bytes rounded up to
// pages); returns addr, or -abi::kExists if a page of the range is mapped
// already (-kInvalid, -kNoMemory as vm_alloc).
i64 vm_map(uptr addr, usize bytes, u32 prot = abi::kProtWrite);
// The raw trap, for tests that pass arguments no wrapper would. A 32-bit
// program passes the low halves as the six 32-bit argument slots.
i64 syscall6(u64 nr, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0, u64 a4 = 0, u64 a5 = 0);

// The registers _start records: 16 in a 64-bit program, 8 in a 32-bit one
// (which cannot see R8-R15); the stack pointer is regs[kRegSp] in both.
constexpr int kStartRegs = sizeof(uptr) == 8 ? 16 : 8;
constexpr int kRegSp = 7;

// What the kernel handed over (filled by _start before main). Everything is
// in machine words: 8 bytes in a 64-bit program, 4 in a 32-bit one.
struct StartInfo {
    int argc;
    char** argv;
    char** envp;
    const uptr* auxv;  // (key, value) word pairs, ending with abi::kAtNull
    // Registers as the first instruction of _start saw them (the kernel
    // promises zero for all but the stack pointer, and RFLAGS = 0x202).
    uptr regs[kStartRegs];  // rax rbx rcx rdx rsi rdi rbp rsp r8..r15 (eax .. esp)
    uptr rflags;            // RFLAGS (EFLAGS)
};
const StartInfo& start_info();
// Value of auxiliary vector entry `key`, or `fallback` if absent.
u64 aux(u64 key, u64 fallback = 0);

// Formatted output (the kernel's printf subset: %d %u %x %lx %lu %s %c %p %zu
// with widths) through debug_write; returns the bytes written.
int printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char* buf, usize size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

// `key=value` words of a command string (a module string or one argv word):
// true and the value copied if present.
bool arg_get(const char* words, const char* key, char* value, usize size);
bool arg_u64(const char* words, const char* key, u64& out);
bool arg_flag(const char* words, const char* word);

}  // namespace lstar

// Every program defines main; its return value (modulo 256, as on Unix)
// becomes the task's exit status.
int main(int argc, char** argv);

// The program entry point (start.asm; start32.cpp in a 32-bit program), e.g.
// to compare with aux(abi::kAtEntry).
extern "C" [[noreturn]] void _start();

// The runtime provides these C functions (g++ may also call them on its own).
extern "C" {
void* memcpy(void* dst, const void* src, usize n);
void* memmove(void* dst, const void* src, usize n);
void* memset(void* dst, int c, usize n);
int memcmp(const void* a, const void* b, usize n);
}
