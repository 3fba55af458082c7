// Deliberate kernel faults selected on the command line (fault=pf|ud|de|gp|
// stack|oom|panic|panic-late, and stall), so tests can check the fault report
// and the failure verdict.
#pragma once

namespace fault_inject {

void from_cmdline(const char* cmdline);

}  // namespace fault_inject
