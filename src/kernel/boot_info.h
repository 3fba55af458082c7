// The parsed multiboot2 information, kept for later boot stages.
#pragma once

#include "lib/multiboot2.h"

namespace boot_info {

void set(const mb2::Info& info, u64 info_phys);
const mb2::Info& get();
u64 info_phys();

}  // namespace boot_info
