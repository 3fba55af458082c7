// `syscalls stats [wait_ms=N]` (a privileged server): waits N ms, then
// prints cpu_stats of every CPU, one line each,
//   syscalls: stats cpu=N ticks=.. switches=.. migrations=.. shootdowns=..
//             tlb_flushes=.. remote_calls=.. nmi_user=.. nmi_kernel=..
//             nmi_stub_user_gs=.. nmi_stub_kernel_gs=.. nmi_wrong_gs=..
//             nmi_ipis=.. mce=.. mce_recovered=.. watchdog_dumps=..
// and checks the call's own errors. test/boot/vm.py judges the figures.
#include "lib/abi/stats.h"
#include "servers/syscalls/checks.h"

namespace syscalls {

int run_stats(int argc, char** argv) {
    u64 wait_ms = 0;
    for (int i = 2; i < argc; i++) lstar::arg_u64(argv[i], "wait_ms", wait_ms);
    if (wait_ms) lstar::sleep_ns(wait_ms * 1000000);
    u32 n = lstar::cpu_count();
    abi::CpuStats st{};
    check("cpu_stats-past-the-cpus", static_cast<ull>(lstar::sys::cpu_stats(n, &st)), error(abi::kInvalid));
    check("cpu_stats-cpu-64", static_cast<ull>(lstar::sys::cpu_stats(64, &st)), error(abi::kInvalid));
    check("cpu_stats-bad-pointer", static_cast<ull>(lstar::sys::cpu_stats(0, reinterpret_cast<void*>(16))),
          error(abi::kFault));
    for (u32 c = 0; c < n; c++) {
        st = {};
        i64 r = lstar::sys::cpu_stats(c, &st);
        check("cpu_stats", static_cast<ull>(r), 0);
        lstar::printf(
            "%s: stats cpu=%u ticks=%llu switches=%llu migrations=%llu shootdowns=%llu tlb_flushes=%llu "
            "remote_calls=%llu nmi_user=%llu nmi_kernel=%llu nmi_stub_user_gs=%llu nmi_stub_kernel_gs=%llu "
            "nmi_wrong_gs=%llu nmi_ipis=%llu mce=%llu mce_recovered=%llu watchdog_dumps=%llu\n",
            kName, c, static_cast<ull>(st.timer_ticks), static_cast<ull>(st.switches),
            static_cast<ull>(st.migrations), static_cast<ull>(st.shootdowns), static_cast<ull>(st.tlb_flushes),
            static_cast<ull>(st.remote_calls), static_cast<ull>(st.nmi[abi::kNmiUser]),
            static_cast<ull>(st.nmi[abi::kNmiKernel]), static_cast<ull>(st.nmi[abi::kNmiStubUserGs]),
            static_cast<ull>(st.nmi[abi::kNmiStubKernelGs]), static_cast<ull>(st.nmi_wrong_gs),
            static_cast<ull>(st.nmi_ipis_sent), static_cast<ull>(st.mce_corrected),
            static_cast<ull>(st.mce_recovered), static_cast<ull>(st.watchdog_dumps));
    }
    lstar::printf("%s: done checks=%u failed=%u\n", kName, g_checks, g_failed);
    return g_failed == 0 ? 0 : 1;
}

}  // namespace syscalls
