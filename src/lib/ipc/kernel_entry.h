// The way into the kernel for the message calls (ipc_send .. ipc_reply_recv,
// lib/abi/syscalls.def 31..35) of a 64-bit task: six registers in, six out,
// which no C calling convention maps. lstar_ipc_syscall moves them between
// a KernelRegs block and the registers and calls the entry page; the
// kernel transport (kernel_transport.cpp) fills and reads the block.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/kstd/types.h"

namespace ipc {

// The message registers (lib/abi/ipc.h), in the order of the block
// lstar_ipc_syscall reads and writes (kernel_entry.cpp addresses them by
// these offsets).
struct KernelRegs {
    u64 rdi;  // in: the capability slot; out: the badge
    u64 rsi;  // in: the tag (ipc_recv: the flags); out: the received tag
    u64 words[abi::kRegisterWords];  // R10 R8 R9 R12: message words 0..3, both ways
};
static_assert(sizeof(KernelRegs) == 48, "kernel_entry.cpp's offsets");

}  // namespace ipc

extern "C" {
// Loads RDI, RSI, R10, R8, R9 and R12 from *regs, enters the kernel with
// call number nr (through lstar_sysinfo, the entry page), stores the six
// registers back into *regs and returns RAX: 0 or -abi::Error. The
// caller's R12 and RBX are preserved, as SysV wants.
i64 lstar_ipc_syscall(u64 nr, ipc::KernelRegs* regs);
}
