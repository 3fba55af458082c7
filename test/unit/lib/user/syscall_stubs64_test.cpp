// Unit tests for the generated 64-bit user stubs (lib/user/syscall_stubs.h):
// each argument goes in its own register slot, converted as the kernel
// expects, and abi::unpack_args gets the typed values back.
#include <CppUTest/TestHarness.h>

#include "lib/abi/syscall_args.h"
#include "lib/abi/syscall_table.h"
#include "lib/user/syscall_stubs.h"

static_assert(!LSTAR_SYSCALL_ABI32, "a 64-bit host builds the 64-bit stubs");

namespace {

u64 g_nr;
u64 g_regs[6];

}  // namespace

// The entry the stubs call (entry.h): records instead of entering a kernel.
extern "C" i64 lstar_syscall6(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
    g_nr = nr;
    const u64 regs[6] = {a0, a1, a2, a3, a4, a5};
    for (int i = 0; i < 6; i++) g_regs[i] = regs[i];
    return 42;
}

TEST_GROUP(SyscallStubs64){void setup() override{g_nr = ~u64(0);
for (u64& r : g_regs) r = 0xdead;
}
// What the kernel's handler would see.
void unpack(u64 (&out)[6]) { abi::unpack_args(abi::kSyscalls[g_nr], g_regs, false, out); }
}
;

TEST(SyscallStubs64, PassesNumberArgumentsAndResult) {
    char buf[4];
    LONGS_EQUAL(42, lstar::sys::debug_write(buf, 4));
    UNSIGNED_LONGLONGS_EQUAL(abi::kSysDebugWrite, g_nr);
    UNSIGNED_LONGLONGS_EQUAL(reinterpret_cast<u64>(buf), g_regs[0]);
    UNSIGNED_LONGLONGS_EQUAL(4, g_regs[1]);
    for (int i = 2; i < 6; i++) UNSIGNED_LONGLONGS_EQUAL(0, g_regs[i]);
}

TEST(SyscallStubs64, EveryArgumentInItsRegister) {
    lstar::sys::thread_create(0x401000, 0x7fff0000, 0xffffffffffff, 31, 0x8000000000000001);
    u64 out[6];
    unpack(out);
    UNSIGNED_LONGLONGS_EQUAL(abi::kSysThreadCreate, g_nr);
    UNSIGNED_LONGLONGS_EQUAL(0x401000, out[0]);
    UNSIGNED_LONGLONGS_EQUAL(0x7fff0000, out[1]);
    UNSIGNED_LONGLONGS_EQUAL(0xffffffffffff, out[2]);
    UNSIGNED_LONGLONGS_EQUAL(31, out[3]);
    UNSIGNED_LONGLONGS_EQUAL(0x8000000000000001, out[4]);
}

TEST(SyscallStubs64, ProbePassesSixWords) {
    lstar::sys::probe(1, 2, 3, 4, 5, ~uptr(0));
    UNSIGNED_LONGLONGS_EQUAL(abi::kSysProbe, g_nr);
    UNSIGNED_LONGLONGS_EQUAL(1, g_regs[0]);
    UNSIGNED_LONGLONGS_EQUAL(~u64(0), g_regs[5]);
}
