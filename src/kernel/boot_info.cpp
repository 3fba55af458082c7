// Storage for the parsed multiboot2 information.
#include "kernel/boot_info.h"

namespace boot_info {
namespace {

const mb2::Info* g_info = nullptr;
u64 g_info_phys = 0;

}  // namespace

void set(const mb2::Info& info, u64 phys) {
    g_info = &info;
    g_info_phys = phys;
}

const mb2::Info& get() { return *g_info; }
u64 info_phys() { return g_info_phys; }

}  // namespace boot_info
