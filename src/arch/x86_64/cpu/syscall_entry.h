// The fast system call entries (entry/syscall.asm) and the entry pages.
#pragma once

#include "arch/x86_64/cpu/io.h"
#include "arch/x86_64/cpu/trap_frame.h"
#include "lib/kstd/types.h"

namespace x86 {

// MSRs of the fast entries [SDM 4 2.1, AMD APM 2 A.2].
constexpr u32 kMsrStar = 0xC0000081;
constexpr u32 kMsrLstar = 0xC0000082;
constexpr u32 kMsrCstar = 0xC0000083;
constexpr u32 kMsrFmask = 0xC0000084;
constexpr u32 kMsrSysenterCs = 0x174;
constexpr u32 kMsrSysenterEsp = 0x175;
constexpr u32 kMsrSysenterEip = 0x176;
constexpr u64 kEferSce = 1;  // SYSCALL enable

// RFLAGS bits [SDM 1 3.4.3].
constexpr u64 kFlagTf = 1 << 8, kFlagIf = 1 << 9, kFlagDf = 1 << 10, kFlagIopl = 3 << 12,
              kFlagNt = 1 << 14, kFlagRf = 1 << 16, kFlagVm = 1 << 17, kFlagAc = 1 << 18;
// What SYSCALL clears on entry (IA32_FMASK): interrupts, single-step, the
// direction and alignment-check (SMAP) flags, nested task and IOPL.
constexpr u64 kSyscallMask = kFlagTf | kFlagIf | kFlagDf | kFlagIopl | kFlagNt | kFlagAc;

// Which instruction each kind of task's entry page uses, chosen once at boot
// from the CPU vendor and `entry=syscall|sysenter|int80`.
enum class EntryKind : u8 { kSyscall, kSysenter, kInt80 };
struct EntryChoice {
    EntryKind mode64;
    EntryKind mode32;
};

// Chooses the mechanisms (reporting them) and builds the two entry pages.
void entry_init_boot(const char* cmdline);
// STAR/LSTAR/CSTAR/FMASK, EFER.SCE and the SYSENTER MSRs of this CPU (the
// SYSENTER stack is its own entry stack). After percpu_alloc_stacks.
void entry_init_cpu();
const EntryChoice& entry_choice();
// Runs the system call in `frame`, which entered by `path` (an
// abi::EntryPath): reads the number and arguments by that path's
// convention, calls the kernel's hook with interrupts on, and stores the
// result where the path returns it. Interrupts are off before and after.
void run_syscall(TrapFrame& frame, u8 path);
// Where SYSEXIT returns to in each entry page.
u64 sysenter_landing(bool compat);
// True for the entry pages' frames, which user spaces share and never free.
bool is_entry_page_frame(u64 phys);

}  // namespace x86
