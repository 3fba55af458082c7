"""tools/boot --on: a serial line makes QEMU run a monitor command, whose
answer tools/boot prints on stderr. `info cpus` changes nothing in the
guest, so the boot must stay healthy; the answer must list --smp CPUs."""

import re

from lib import Case, ERROR, check_status, healthy_boot, require

_SMP = 2


def check_info_cpus(boot):
    healthy_boot(256, _SMP)(boot)
    require(re.search(r"tools/boot: on 'lstar: cpu vendor=\S+ .*': hmp `info cpus`",
                      boot.stderr),
            "tools/boot did not report sending `info cpus`")
    cpus = re.findall(r"^  \| [ *] CPU #(\d+):", boot.stderr, re.M)
    require(sorted(int(c) for c in cpus) == list(range(_SMP)),
            f"`info cpus` listed CPUs {cpus}, expected 0..{_SMP - 1}")


def check_rejected(boot):
    check_status(boot, ERROR)
    require(re.search(r"hmp `no-such-command` failed: unknown command",
                      boot.stderr),
            "tools/boot did not report the rejected command")


CASES = [
    Case("qemu-on-hmp-info-cpus",
         ["--smp", str(_SMP), "--cmdline", "shutdown",
          "--on", r"^lstar: cpu vendor=\S+=>hmp:info cpus"],
         check_info_cpus),
    Case("qemu-on-rejected-command",
         ["--smp", "1", "--cmdline", "shutdown",
          "--on", r"^lstar: cpu vendor=\S+=>hmp:no-such-command"],
         check_rejected),
]
