// kernel_main: the boot CPU's path from the 64-bit entry to "ready".
#include "kernel/acpi_discovery.h"
#include "kernel/arch.h"
#include "kernel/fault_inject.h"
#include "kernel/ipc/ipc.h"
#include "kernel/log.h"
#include "kernel/mm/memory.h"
#include "kernel/sched/thread.h"
#include "kernel/selftest.h"
#include "kernel/task/task.h"
#include "lib/abi/syscall.h"
#include "lib/cmdline.h"
#include "lib/crc32.h"
#include "lib/multiboot2.h"

void run_global_constructors();

namespace {

constexpr u32 kMultiboot2Magic = 0x36D76289;
// Upper bound on the info block we are willing to read; the parser also
// stops at the block's own total_size.
constexpr usize kMaxInfoBytes = 1 << 20;

mb2::Info g_boot_info;

[[noreturn]] void fail(const char* what) {
    klog::error("%s", what);
    arch::exit_with_verdict(false);
}

void apply_cmdline(const char* line) {
    char value[16];
    if (cmdline::get(line, "loglevel", value, sizeof value)) {
        klog::Level level;
        if (klog::parse_level(value, level)) klog::set_level(level);
        else klog::warn("cmdline: unknown loglevel '%s' (debug, info, warn, error)", value);
    }
}

void report_boot_info(const mb2::Info& info) {
    klog::info("boot loader: %s", info.bootloader_name[0] ? info.bootloader_name : "(unnamed)");
    klog::info("command line: '%s'", info.cmdline);
    u64 total = 0, usable = 0;
    for (usize i = 0; i < info.region_count; i++) {
        const mb2::MemoryRegion& r = info.regions[i];
        klog::info("  mem [0x%016lx-0x%016lx) %s", r.base, r.base + r.length,
                   mb2::memory_type_name(r.type));
        total += r.length;
        if (r.type == mb2::kMemoryAvailable) usable += r.length;
    }
    for (usize i = 0; i < info.module_count; i++) {
        const mb2::Module& m = info.modules[i];
        klog::info("  module [0x%08x-0x%08x) '%s'", m.start, m.end, m.string);
    }
    if (info.rsdp) klog::info("ACPI RSDP v%u (%u bytes in the info block)", info.rsdp_version, info.rsdp_length);
    else klog::info("ACPI RSDP: not provided by the boot loader");
    klog::report("mem", "total_kib=%lu usable_kib=%lu regions=%zu", total / 1024, usable / 1024,
                 info.region_count);
}

bool in_usable_ram(const mb2::Info& info, u64 start, u64 end) {
    for (usize i = 0; i < info.region_count; i++) {
        const mb2::MemoryRegion& r = info.regions[i];
        if (r.type == mb2::kMemoryAvailable && start >= r.base && end <= r.base + r.length) return true;
    }
    return false;
}

// Checksums every boot module after the self-tests have written to every free
// frame: a module the frame allocator had wrongly handed out would not match
// the checksum the test computed on the host.
void report_modules(const mb2::Info& info) {
    for (usize i = 0; i < info.module_count; i++) {
        const mb2::Module& m = info.modules[i];
        if (!in_usable_ram(info, m.start, m.end)) {
            klog::error("module %zu [0x%x-0x%x) '%s' is not inside usable RAM: ignored", i, m.start, m.end,
                        m.string);
            continue;
        }
        u32 crc = kstd::crc32(mm::phys_to_virt(m.start), m.end - m.start);
        klog::report("module", "index=%zu bytes=%u crc32=0x%08x string=%s", i, m.end - m.start, crc, m.string);
    }
}

// Module 0 is the first user program, init (see docs/tasks.md); it starts
// the others. Without modules there is nothing to run, and the CPUs idle.
void start_init(bool selftests_ok) {
    task::init(g_boot_info, selftests_ok);
    if (g_boot_info.module_count == 0) {
        klog::info("no modules: no user tasks to run; idling (add 'shutdown' to the command line to power off)");
        return;
    }
    i64 error = 0;
    ipc::init(g_boot_info.cmdline);
    task::Task* init = task::create_module(0, error);
    if (init) {
        ipc::give_root_caps(init);
        i64 r = task::start_task(init, abi::kDefaultPriority, ~0ull, true);
        if (r < 0) error = -r, init = nullptr;
    }
    if (!init)
        klog::error("cannot start init from module 0 ('%s'): error %ld; idling", g_boot_info.modules[0].string, error);
}

}  // namespace

extern "C" [[noreturn]] void kernel_main(u32 magic, u64 info_phys) {
    run_global_constructors();
    arch::console_init();
    klog::info("lstar %s starting", LSTAR_VERSION);
    arch::cpu_init_boot();
    arch::time_init();

    if (magic != kMultiboot2Magic) fail("not started by a multiboot2 boot loader");
    const void* info_ptr = mm::early_phys_to_virt(info_phys);
    mb2::ParseResult parsed = mb2::parse(info_ptr, kMaxInfoBytes, g_boot_info);
    if (!parsed.ok()) {
        char why[192];
        mb2::describe(parsed, why, sizeof why);
        klog::error("%s", why);
        fail("cannot continue without valid multiboot2 information");
    }
    apply_cmdline(g_boot_info.cmdline);
    report_boot_info(g_boot_info);

    mm::init(g_boot_info, info_phys);
    sched::init_boot();  // from here on, this is thread "kmain" on CPU 0
    bool have_madt = platform::discover(g_boot_info);
    u32 cpus = arch::smp_init(g_boot_info, info_phys, have_madt ? &platform::madt() : nullptr);

    bool selftests_ok = selftest::run_boot_selftests();
    report_modules(g_boot_info);
    fault_inject::from_cmdline(g_boot_info.cmdline);

    klog::report("ready", "cpus=%u ms=%lu", cpus, arch::time_ns() / 1000000);
    bool test_pass = true;
    if (arch::run_smp_test(g_boot_info.cmdline, test_pass)) arch::exit_with_verdict(selftests_ok && test_pass);
    if (cmdline::has_flag(g_boot_info.cmdline, "shutdown")) arch::exit_with_verdict(selftests_ok);
    start_init(selftests_ok);
    sched::exit_current(0);
}
