// Boot self-tests: measured facts printed as "lstar: selftest ..." lines and
// TAP "ok N - ..." lines that the emulator tests check.
#pragma once

namespace selftest {

// Runs every boot self-test; true when all passed.
bool run_boot_selftests();

}  // namespace selftest
