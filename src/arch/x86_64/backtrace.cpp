// Frame-pointer backtraces (the kernel is built with -fno-omit-frame-pointer):
// each frame is [saved rbp][return address]; boot code starts the chain at 0.
#include "kernel/arch.h"

namespace {

constexpr u64 kKernelHalf = 0xFFFF800000000000;

}  // namespace

namespace arch {

usize backtrace_from(u64 rbp, u64* pcs, usize max) {
    usize n = 0;
    // Only follow frames that look like kernel stack: aligned, in the kernel
    // half and moving up the stack, so a corrupt chain ends the walk.
    while (n < max && rbp >= kKernelHalf && (rbp & 7) == 0) {
        const u64* frame = reinterpret_cast<const u64*>(rbp);
        u64 ret = frame[1];
        if (ret < kKernelHalf) break;
        pcs[n++] = ret - 1;  // inside the call instruction: symbolizes the caller
        u64 next = frame[0];
        if (next <= rbp) break;
        rbp = next;
    }
    return n;
}

usize backtrace(u64* pcs, usize max) {
    return backtrace_from(reinterpret_cast<u64>(__builtin_frame_address(0)), pcs, max);
}

}  // namespace arch
