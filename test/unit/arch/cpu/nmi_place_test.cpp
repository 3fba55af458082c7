// classify_nmi: every landing place, the GS states each allows, and each
// violation.
#include "arch/x86_64/cpu/nmi_place.h"

// After the standard headers: CppUTest's leak-detecting new macros break them.
#include <CppUTest/TestHarness.h>

using x86::classify_nmi;
using x86::NmiSample;

namespace {

constexpr u64 kOwn = 0xFFFFFFFF80400000, kOther = 0xFFFFFFFF80400800, kUserGs = 0x7000;
constexpr u64 kStubStart = 0xFFFFFFFF80100000, kStubEnd = 0xFFFFFFFF80101000;
constexpr u64 kKernelCs = 0x08, kUserCs = 0x2B, kUserCs32 = 0x23;

NmiSample at(u64 cs, u64 rip, u64 found, u64 kernel_gs) {
    return {cs, rip, found, kernel_gs, kOwn, kStubStart, kStubEnd};
}

void expect(const NmiSample& s, abi::NmiPlace place, bool wrong) {
    x86::NmiVerdict v = classify_nmi(s);
    LONGS_EQUAL(place, v.place);
    CHECK_EQUAL(wrong, v.wrong_gs);
}

}  // namespace

TEST_GROUP(NmiPlace){};

TEST(NmiPlace, UserWithUserGs) {
    expect(at(kUserCs, 0x401000, kUserGs, kOwn), abi::kNmiUser, false);
    expect(at(kUserCs32, 0x8049000, 0, kOwn), abi::kNmiUser, false);
}

TEST(NmiPlace, UserWithOwnBlockLiveIsWrong) {
    expect(at(kUserCs, 0x401000, kOwn, kOwn), abi::kNmiUser, true);
}

TEST(NmiPlace, UserWithoutOwnBlockInKernelGsIsWrong) {
    expect(at(kUserCs, 0x401000, kUserGs, kUserGs), abi::kNmiUser, true);
    expect(at(kUserCs, 0x401000, kUserGs, kOther), abi::kNmiUser, true);
}

TEST(NmiPlace, UserRipInsideStubRangeIsStillUser) {
    // The saved CS decides first: user code at any address is user.
    expect(at(kUserCs, kStubStart, kUserGs, kOwn), abi::kNmiUser, false);
}

TEST(NmiPlace, StubBeforeEntrySwapgs) {
    expect(at(kKernelCs, kStubStart, kUserGs, kOwn), abi::kNmiStubUserGs, false);
}

TEST(NmiPlace, StubAfterEntrySwapgs) {
    expect(at(kKernelCs, kStubEnd - 1, kOwn, kUserGs), abi::kNmiStubKernelGs, false);
}

TEST(NmiPlace, StubWithBothOwnIsWrong) {
    expect(at(kKernelCs, kStubStart + 0x40, kOwn, kOwn), abi::kNmiStubKernelGs, true);
}

TEST(NmiPlace, StubWithNeitherOwnIsWrong) {
    expect(at(kKernelCs, kStubStart + 0x40, kUserGs, kUserGs), abi::kNmiStubUserGs, true);
    expect(at(kKernelCs, kStubStart + 0x40, kOther, kUserGs), abi::kNmiStubUserGs, true);
}

TEST(NmiPlace, KernelWithOwnBlock) {
    // Whatever IA32_KERNEL_GS_BASE holds (a thread's user GS base, or the
    // own block after a context switch wrote it).
    expect(at(kKernelCs, 0xFFFFFFFF80200000, kOwn, kUserGs), abi::kNmiKernel, false);
    expect(at(kKernelCs, 0xFFFFFFFF80200000, kOwn, kOwn), abi::kNmiKernel, false);
}

TEST(NmiPlace, KernelWithUserGsIsWrong) {
    expect(at(kKernelCs, 0xFFFFFFFF80200000, kUserGs, kOwn), abi::kNmiKernel, true);
}

TEST(NmiPlace, KernelWithAnotherCpusBlockIsWrong) {
    expect(at(kKernelCs, 0xFFFFFFFF80200000, kOther, kOwn), abi::kNmiKernel, true);
}

TEST(NmiPlace, StubRangeIsHalfOpen) {
    expect(at(kKernelCs, kStubEnd, kUserGs, kOwn), abi::kNmiKernel, true);
    expect(at(kKernelCs, kStubStart - 1, kOwn, kUserGs), abi::kNmiKernel, false);
}
