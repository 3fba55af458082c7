"""vm_unmap, vm_protect, vm_map's kMapReplace and cpu_stats under load.

`syscalls race` (src/servers/syscalls/vm.cpp): a thread on every CPU maps,
replaces, unmaps and protects the same pages at once while the kernel copies
into them; every result must be one the call can give, and at the end the
pages the kernel counted for the task must be those its space held (the
task-exit line). `syscalls stats` (privileged, from the manifest) then reads
cpu_stats of every CPU. With nmi_ipi= every CPU sends NMIs to the others:
each CPU must have taken NMIs, classified with no GS mismatch, and sent
about the rate asked for."""

import os
import re

from lib import PASS, Case, check_status, check_verdict, require

_MANIFEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "manifests", "vm.manifest")
_SMP = 4
_NMI_RATE = 200
_STATS_RE = re.compile(r"^syscalls: stats cpu=(\d+) (.*)$")


def stats_lines(boot):
    out = {}
    for line in boot.lines:
        m = _STATS_RE.match(line.strip())
        if m:
            out[int(m.group(1))] = {k: int(v) for k, v in (w.split("=", 1) for w in m.group(2).split())}
    return out


def check_race(boot):
    done = [l for l in boot.lines if l.startswith("syscalls: race done")]
    require(len(done) == 1, f"race done lines: {done}")
    m = re.match(r"syscalls: race done threads=(\d+) calls=(\d+) left=(\d+) bad=(\d+)", done[0])
    require(m and int(m.group(1)) == _SMP and int(m.group(4)) == 0, f"race: {done[0]}")
    require(int(m.group(2)) > 1000, f"race: too few calls: {done[0]}")
    exits = [r for r in boot.records("task-exit") if r.get("task") == "syscalls"]
    require(len(exits) == 2, f"task-exit lines of syscalls: {exits}")
    for r in exits:
        require(r["pages"] == r["pages_freed"], f"pages counted {r['pages']} != freed {r['pages_freed']}: {r}")


def check_stats(boot, nmi):
    stats = stats_lines(boot)
    require(sorted(stats) == list(range(_SMP)), f"stats lines for cpus {sorted(stats)}")
    fails = [l for l in boot.lines if l.startswith("syscalls: check") and "FAIL" in l]
    require(not fails, f"checks failed: {fails}")
    for cpu, s in stats.items():
        require(s["ticks"] > 100, f"cpu {cpu}: ticks={s['ticks']}")
        require(s["switches"] > 0, f"cpu {cpu}: switches={s['switches']}")
        require(s["nmi_wrong_gs"] == 0, f"cpu {cpu}: nmi_wrong_gs={s['nmi_wrong_gs']}")
        taken = s["nmi_user"] + s["nmi_kernel"] + s["nmi_stub_user_gs"] + s["nmi_stub_kernel_gs"]
        if nmi:
            # About 2 s of the rate per CPU before the read; NMIs that
            # arrive while one is pending merge, so fewer are taken.
            require(s["nmi_ipis"] > _NMI_RATE, f"cpu {cpu}: nmi_ipis={s['nmi_ipis']}")
            require(taken > _NMI_RATE // 4, f"cpu {cpu}: {taken} NMIs taken")
        else:
            require(s["nmi_ipis"] == 0 and taken == 0, f"cpu {cpu}: NMIs without nmi_ipi=: {s}")
    total_shootdowns = sum(s["shootdowns"] for s in stats.values())
    total_flushes = sum(s["tlb_flushes"] for s in stats.values())
    require(total_shootdowns > 0 and total_flushes >= total_shootdowns,
            f"shootdowns={total_shootdowns} tlb_flushes={total_flushes}")
    require(not [l for l in boot.lines if "nmi-wrong-gs" in l], "nmi-wrong-gs lines")
    if nmi:
        require(not [l for l in boot.lines if l.startswith("lstar: nmi ")], "nmi_log=0 but `lstar: nmi` lines")


def checker(nmi):
    def check(boot):
        check_race(boot)
        check_stats(boot, nmi)
        require("init: server race status=0 expected=0 ok" in boot.lines, "race did not exit 0")
        require("init: server stats status=0 expected=0 ok" in boot.lines, "stats did not exit 0")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


_ARGS = ["--smp", str(_SMP), "--program", "init shutdown", "--program", "syscalls",
         "--module", f"{_MANIFEST}:manifest"]

CASES = [
    Case("qemu-vm-race-stats", _ARGS, checker(False), timeout=90),
    Case("qemu-vm-race-nmi-ipi", _ARGS + ["--cmdline", f"nmi_ipi={_NMI_RATE} nmi_log=0 seed=1"], checker(True),
         timeout=90),
]
