// Unit tests for the generated 32-bit user stubs (lib/user/syscall_stubs.h),
// built on the 64-bit host by asking for the 32-bit convention: six 32-bit
// slots, a 64-bit argument split low half first, and abi::unpack_args (as
// the kernel runs it for a 32-bit task) putting every argument back together.
#include "lib/kstd/types.h"

// entry.h declares this only for i386 builds.
extern "C" u64 lstar_syscall6_32(u32 nr, u32 a0, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5);

#define LSTAR_SYSCALL_ABI32 1
#include <CppUTest/TestHarness.h>

#include "lib/abi/syscall_args.h"
#include "lib/abi/syscall_table.h"
#include "lib/user/syscall_stubs.h"

namespace {

u32 g_nr;
u64 g_slots[6];
u64 g_result;

}  // namespace

// The entry the stubs call: records the slots (zero-extended, as the kernel's
// entry path stores them) and returns g_result in "EDX:EAX".
extern "C" u64 lstar_syscall6_32(u32 nr, u32 a0, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5) {
    g_nr = nr;
    const u32 slots[6] = {a0, a1, a2, a3, a4, a5};
    for (int i = 0; i < 6; i++) g_slots[i] = slots[i];
    return g_result;
}

TEST_GROUP(SyscallStubs32){void setup() override{g_nr = ~0u;
g_result = 0;
}
void unpack(u64 (&out)[6]) { abi::unpack_args(abi::kSyscalls[g_nr], g_slots, true, out); }
}
;

TEST(SyscallStubs32, SixtyFourBitArgumentsTakeTwoSlots) {
    lstar::sys::set_affinity(0x0000000500000007, 0x8000000000000003);
    LONGS_EQUAL(abi::kSysSetAffinity, g_nr);
    UNSIGNED_LONGLONGS_EQUAL(0x7, g_slots[0]);
    UNSIGNED_LONGLONGS_EQUAL(0x5, g_slots[1]);
    UNSIGNED_LONGLONGS_EQUAL(0x3, g_slots[2]);
    UNSIGNED_LONGLONGS_EQUAL(0x80000000, g_slots[3]);
    UNSIGNED_LONGLONGS_EQUAL(0, g_slots[4]);
}

TEST(SyscallStubs32, KernelRebuildsEveryArgument) {
    // uptr, uptr, uword, u32, bits64: 1 + 1 + 1 + 1 + 2 slots.
    lstar::sys::thread_create(0x08049000, 0xbfff0000, 0xfffffff0, 16, 0x0000000f0000000f);
    u64 out[6];
    unpack(out);
    UNSIGNED_LONGLONGS_EQUAL(0x08049000, out[0]);
    UNSIGNED_LONGLONGS_EQUAL(0xbfff0000, out[1]);
    UNSIGNED_LONGLONGS_EQUAL(0xfffffff0, out[2]);
    UNSIGNED_LONGLONGS_EQUAL(16, out[3]);
    UNSIGNED_LONGLONGS_EQUAL(0x0000000f0000000f, out[4]);
}

TEST(SyscallStubs32, RoundTripOfEveryTwoSlotCall) {
    const u64 big = 0xfedcba9876543210;
    lstar::sys::thread_join(big);
    u64 out[6];
    unpack(out);
    UNSIGNED_LONGLONGS_EQUAL(big, out[0]);
    lstar::sys::trace(big, ~big);
    unpack(out);
    UNSIGNED_LONGLONGS_EQUAL(big, out[0]);
    UNSIGNED_LONGLONGS_EQUAL(~big, out[1]);
    lstar::sys::module_info(big, nullptr, 77);
    unpack(out);
    UNSIGNED_LONGLONGS_EQUAL(big, out[0]);
    UNSIGNED_LONGLONGS_EQUAL(77, out[2]);
}

TEST(SyscallStubs32, ResultComesBackWhole) {
    g_result = 0x123456789a;
    LONGLONGS_EQUAL(0x123456789a, lstar::sys::time_ns());
    g_result = u64(-i64(abi::kFault));
    LONGLONGS_EQUAL(-abi::kFault, lstar::sys::debug_write(nullptr, 1));
}
