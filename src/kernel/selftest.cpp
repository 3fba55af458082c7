// Boot self-tests (placeholder until the allocators land).
#include "kernel/selftest.h"

namespace selftest {

bool run_boot_selftests() { return true; }

}  // namespace selftest
