// Boot self-tests: measured facts printed as "lstar: selftest ..." lines and
// TAP "ok N - ..." lines that the emulator tests check.
#pragma once

namespace selftest {

// Runs every boot self-test; true when all passed.
bool run_boot_selftests();

// Prints one TAP line ("ok N - what" or "not ok N - what"), numbered across
// all self-tests; returns ok.
bool tap(bool ok, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace selftest
