// What thread_create leaves at the top of a new thread's stack for
// lstar_thread_entry, the entry of every thread it starts.
#pragma once

#include "lib/kstd/types.h"

namespace lstar {

// 16 bytes and 16-byte aligned in both modes, so that its address can be the
// new thread's stack top (the kernel wants that 16-byte aligned). start.asm
// reads entry at +0 and arg at +8; a 32-bit program's lstar_thread_entry
// (start32.cpp) hands the pointer to lstar_thread_start below.
struct alignas(16) ThreadStart {
    void (*entry)(u64);
    u64 arg;
};
static_assert(sizeof(ThreadStart) == 16);
#if defined(__x86_64__)
static_assert(offsetof(ThreadStart, arg) == 8, "start.asm reads arg at +8");
#endif

}  // namespace lstar

// 32-bit programs: calls start->entry(start->arg), then thread_exit(0).
extern "C" [[noreturn]] void lstar_thread_start(const lstar::ThreadStart* start);
