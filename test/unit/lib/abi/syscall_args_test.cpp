// Unit tests for rebuilding system call arguments from registers (64-bit
// tasks) and 32-bit slots (32-bit tasks), and for the generated table.
#include "lib/abi/syscall_args.h"

#include <CppUTest/TestHarness.h>

#include "lib/abi/syscall_table.h"

namespace {

using abi::ArgType;

// Every type once: 1 + 2 + 1 + 2 = 6 slots.
constexpr abi::SyscallInfo kMixed = {
    "mixed",
    4,
    0,
    ArgType::kI64,
    {ArgType::kI32, ArgType::kU64, ArgType::kU32, ArgType::kI64, ArgType::kVoid, ArgType::kVoid},
    {"a", "b", "c", "d", nullptr, nullptr}};

constexpr abi::SyscallInfo kWords = {
    "words",
    6,
    0,
    ArgType::kI64,
    {ArgType::kUword, ArgType::kUsize, ArgType::kUptr, ArgType::kInPtr, ArgType::kOutPtr, ArgType::kBits32},
    {"a", "b", "c", "d", "e", "f"}};

const u64 kPattern[6] = {0x1111111180000001, 0x22222222fffffffe, 0x3333333300000003,
                         0x44444444c0000004, 0x5555555500000005, 0x6666666600000006};

}  // namespace

TEST_GROUP(UnpackArgs64){};

TEST(UnpackArgs64, WideTypesPassWhole) {
    u64 out[6];
    abi::unpack_args(kWords, kPattern, false, out);
    for (int i = 0; i < 5; i++) UNSIGNED_LONGLONGS_EQUAL(kPattern[i], out[i]);
}

TEST(UnpackArgs64, ThirtyTwoBitTypesIgnoreTheUpperHalf) {
    u64 out[6];
    abi::unpack_args(kMixed, kPattern, false, out);
    // i32 0x80000001 sign-extends; u32 drops 0x33333333; u64/i64 stay whole.
    UNSIGNED_LONGLONGS_EQUAL(0xffffffff80000001, out[0]);
    UNSIGNED_LONGLONGS_EQUAL(kPattern[1], out[1]);
    UNSIGNED_LONGLONGS_EQUAL(0x3, out[2]);
    UNSIGNED_LONGLONGS_EQUAL(kPattern[3], out[3]);
    abi::unpack_args(kWords, kPattern, false, out);
    UNSIGNED_LONGLONGS_EQUAL(0x6, out[5]);  // bits32
}

TEST(UnpackArgs64, UnusedArgumentsAreZero) {
    u64 out[6] = {9, 9, 9, 9, 9, 9};
    abi::unpack_args(kMixed, kPattern, false, out);
    UNSIGNED_LONGLONGS_EQUAL(0, out[4]);
    UNSIGNED_LONGLONGS_EQUAL(0, out[5]);
}

TEST_GROUP(UnpackArgsCompat){};

TEST(UnpackArgsCompat, SixtyFourBitArgumentsTakeTwoSlotsLowHalfFirst) {
    // Slots as the entry path zero-extends them: i32 | u64 lo, hi | u32 | i64 lo, hi.
    const u64 slots[6] = {0xfffffffe, 0x89abcdef, 0x01234567, 0x7, 0x00000001, 0x80000000};
    u64 out[6];
    abi::unpack_args(kMixed, slots, true, out);
    UNSIGNED_LONGLONGS_EQUAL(u64(-2), out[0]);
    UNSIGNED_LONGLONGS_EQUAL(0x0123456789abcdef, out[1]);
    UNSIGNED_LONGLONGS_EQUAL(0x7, out[2]);
    UNSIGNED_LONGLONGS_EQUAL(0x8000000000000001, out[3]);
}

TEST(UnpackArgsCompat, WordsArePassedZeroExtended) {
    const u64 slots[6] = {0xffffffff, 0x80000000, 1, 2, 3, 4};
    u64 out[6];
    abi::unpack_args(kWords, slots, true, out);
    UNSIGNED_LONGLONGS_EQUAL(0xffffffff, out[0]);
    UNSIGNED_LONGLONGS_EQUAL(0x80000000, out[1]);
    UNSIGNED_LONGLONGS_EQUAL(4, out[5]);
}

TEST(UnpackArgsCompat, UpperBitsOfASlotAreIgnored) {
    // The entry path zero-extends; a slot with junk above bit 31 must not leak.
    u64 out[6];
    abi::unpack_args(kMixed, kPattern, true, out);
    UNSIGNED_LONGLONGS_EQUAL(0xffffffff80000001, out[0]);
    UNSIGNED_LONGLONGS_EQUAL(0x00000003fffffffe, out[1]);
    UNSIGNED_LONGLONGS_EQUAL(0xc0000004, out[2]);
    UNSIGNED_LONGLONGS_EQUAL(0x0000000600000005, out[3]);
}

TEST(UnpackArgsCompat, ATableNeedingMoreThanSixSlotsStopsAtTheLastWholeArgument) {
    constexpr abi::SyscallInfo kTooWide = {
        "too_wide",
        4,
        0,
        ArgType::kI64,
        {ArgType::kU64, ArgType::kU64, ArgType::kU32, ArgType::kU64, ArgType::kVoid, ArgType::kVoid},
        {"a", "b", "c", "d", nullptr, nullptr}};
    const u64 slots[6] = {1, 2, 3, 4, 5, 6};
    u64 out[6];
    abi::unpack_args(kTooWide, slots, true, out);
    UNSIGNED_LONGLONGS_EQUAL(5, out[2]);
    UNSIGNED_LONGLONGS_EQUAL(0, out[3]);  // slots 6 and 7 do not exist
}

TEST_GROUP(SyscallTable){};

TEST(SyscallTable, EveryCallFitsInSixSlots) {
    for (u32 nr = 0; nr < abi::kSysCount; nr++) {
        const abi::SyscallInfo& c = abi::kSyscalls[nr];
        CHECK_TEXT(abi::compat_slots(c) <= abi::kCompatSlots, c.name);
        CHECK_TEXT(c.argc <= abi::kMaxSyscallArgs, c.name);
        for (u32 i = 0; i < abi::kMaxSyscallArgs; i++)
            CHECK_TEXT((i < c.argc) == (c.arg_names[i] != nullptr), c.name);
    }
}

TEST(SyscallTable, NumbersAndNamesStayWhereTheyWere) {
    // The ABI: numbers are append-only.
    STRCMP_EQUAL("debug_write", abi::kSyscalls[abi::kSysDebugWrite].name);
    LONGS_EQUAL(0, abi::kSysDebugWrite);
    LONGS_EQUAL(17, abi::kSysShutdown);
    LONGS_EQUAL(18, abi::kSysProbe);
    LONGS_EQUAL(19, abi::kSysVmMap);
    LONGS_EQUAL(20, abi::kSysTrace);
    STRCMP_EQUAL("probe", abi::kSyscalls[abi::kSysProbe].name);
}

TEST(SyscallTable, FlagsMatchTheDefinition) {
    const abi::SyscallInfo& exit = abi::kSyscalls[abi::kSysThreadExit];
    CHECK(exit.flags & abi::kSysFlagNoReturn);
    CHECK(exit.result == ArgType::kVoid);
    CHECK(abi::kSyscalls[abi::kSysShutdown].flags & abi::kSysFlagPrivileged);
    CHECK(abi::kSyscalls[abi::kSysTrace].flags & abi::kSysFlagPrivileged);
    CHECK_FALSE(abi::kSyscalls[abi::kSysProbe].flags & abi::kSysFlagPrivileged);
    const abi::SyscallInfo& create = abi::kSyscalls[abi::kSysThreadCreate];
    LONGS_EQUAL(5, create.argc);
    STRCMP_EQUAL("affinity", create.arg_names[4]);
    CHECK(create.types[4] == ArgType::kBits64);
}

TEST(SyscallTable, ErrorNames) {
    STRCMP_EQUAL("fault", abi::error_name(abi::kFault));
    STRCMP_EQUAL("exists", abi::error_name(abi::kExists));
    CHECK(abi::error_name(99) == nullptr);
    CHECK(abi::error_name(-1) == nullptr);
}
