"""Short runs of the SMP stress workloads (`stress suite`, src/servers/stress)
and of stress32, started by init from a manifest as a full stress run has
them (the victim server, the suite with the victim's endpoint at slot 4 and
init's control endpoint at slot 5, stress32). The checks read the records
the programs print: per-CPU message counts, each workload's counters and
verdict, and init's account of every program's exit status."""

import os
import tempfile

from lib import PASS, Case, check_status, check_verdict, require
from sched import user_records

INIT = ["--program", "init shutdown"]
PROGRAMS = ["--program", "names", "--program", "svctest", "--program", "stress", "--program", "stress32"]
SEED = 0x5eed


def manifest(seconds, workloads=None, seed=SEED):
    """A stress run's boot manifest in a temporary file, as --module args."""
    extra = f" workloads={workloads}" if workloads else ""
    text = (
        "server names prio=20\n"
        "  endpoint names at=2\n"
        'server victim program=svctest prio=18 args="svctest server"\n'
        "  endpoint svc at=2\n"
        f'server stress privileged restart=no args="stress suite seconds={seconds} seed={seed:#x}{extra}"\n'
        "  give victim.svc rights=s at=4\n"
        "  give init.control rights=s at=5\n"
        f'server stress32 restart=no args="stress32 seconds={seconds} seed={seed:#x}"\n'
    )
    path = os.path.join(tempfile.mkdtemp(prefix="lstar-stress-"), "stress.manifest")
    with open(path, "w") as f:
        f.write(text)
    return ["--module", f"{path}:manifest"]


def one(recs, what):
    require(len(recs) == 1, f"{len(recs)} `{what}` lines, expected 1")
    return recs[0]


def zero(rec, what, *keys):
    for k in keys:
        require(rec[k] == 0, f"{what} {k}={rec[k]}: {rec}")


def positive(rec, what, *keys):
    for k in keys:
        require(isinstance(rec[k], int) and rec[k] > 0, f"{what} {k}={rec[k]}, expected > 0: {rec}")


def init_ok(boot, name):
    lines = [l for l in boot.lines if l.startswith(f"init: server {name} status=")]
    require(len(lines) == 1 and lines[0].endswith(" ok"), f"init's verdict on {name}: {lines}")


def check_suite(boot, smp, intel, workloads=("ipc", "sched", "mem", "caps", "entry", "victim")):
    check_status(boot, PASS)
    check_verdict(boot, "pass")
    start = one(user_records(boot, "stress", "suite start"), "stress: suite start")
    require(start["cpus"] == smp and start["seed"] == SEED, f"suite start: {start}")
    one(user_records(boot, "stress", "suite stopping"), "stress: suite stopping")
    done = one(user_records(boot, "stress", "suite done"), "stress: suite done")
    require(done["verdict"] == "pass", f"suite done: {done}")

    cpus = [r for r in user_records(boot, "stress", "") if "cpu" in r and "sent" in r]
    require(sorted(r["cpu"] for r in cpus) == list(range(smp)), f"cpu records for {[r['cpu'] for r in cpus]}")
    if "ipc" in workloads:
        for r in cpus:
            require(r["sent"] == r["verified"] > 0, f"cpu={r['cpu']} sent={r['sent']} verified={r['verified']}")
        ipc = one(user_records(boot, "stress", "ipc"), "stress: ipc")
        require(ipc["sent"] == ipc["verified"] == sum(r["sent"] for r in cpus), f"ipc: {ipc}")
        positive(ipc, "ipc", "verified")
        zero(ipc, "ipc", "lost", "dup", "corrupt", "errors")
    if "sched" in workloads:
        s = one(user_records(boot, "stress", "sched"), "stress: sched")
        positive(s, "sched", "created", "affinity_changes")
        require(s["created"] == s["exited"], f"sched: {s}")
        zero(s, "sched", "wrong_cpu")
    if "mem" in workloads:
        m = one(user_records(boot, "stress", "mem"), "stress: mem")
        positive(m, "mem", "reads")
        zero(m, "mem", "stale")
    if "caps" in workloads:
        c = one(user_records(boot, "stress", "caps"), "stress: caps")
        positive(c, "caps", "mints", "copies", "revokes", "deletes", "calls_ok")
        require(c["revokes"] == c["copies"] and c["mints"] >= c["revokes"], f"caps: {c}")
        zero(c, "caps", "wrong_badge")
    if "entry" in workloads:
        e = one(user_records(boot, "stress", "entry"), "stress: entry")
        positive(e, "entry", "syscall", "int80", "page")
        if intel:
            positive(e, "entry", "sysenter")
        else:
            zero(e, "entry", "sysenter")
        zero(e, "entry", "bad")
    if "victim" in workloads:
        v = one(user_records(boot, "stress", "victim"), "stress: victim")
        require(v["kills"] >= 1 and v["recovered"] == v["kills"], f"victim: {v}")
        zero(v, "victim", "bad")
    s32 = one(user_records(boot, "stress32", "done"), "stress32: done")
    require(s32["verdict"] == "pass", f"stress32: {s32}")
    zero(s32, "stress32", "bad")
    positive(s32, "stress32", "int80", "sysenter" if intel else "syscall32")
    init_ok(boot, "stress")
    init_ok(boot, "stress32")


def suite(smp, intel=True, workloads=None):
    names = tuple(workloads.split(",")) if workloads else ("ipc", "sched", "mem", "caps", "entry", "victim")
    return lambda boot: check_suite(boot, smp, intel, names)


def run(smp, seconds, cpu="intel", workloads=None, cmdline=None):
    args = ["--smp", str(smp), "--cpu", cpu] + (["--cmdline", cmdline] if cmdline else [])
    return args + INIT + PROGRAMS + manifest(seconds, workloads)


CASES = [
    Case("qemu-stress-suite-4cpu", run(4, 6), suite(4), timeout=90),
    Case("qemu-stress-suite-2cpu-amd", run(2, 6, cpu="amd"), suite(2, intel=False), timeout=90),
    Case("qemu-stress-suite-1cpu", run(1, 5), suite(1), timeout=90),
    Case("qemu-stress-suite-8cpu", run(8, 8), suite(8), timeout=120),
    # The same work through the IPC general path only (no register fast path).
    Case("qemu-stress-suite-4cpu-slowpath", run(4, 6, cmdline="ipc_fastpath=off"), suite(4), timeout=90),
    Case("qemu-stress-ipc-caps-4cpu", run(4, 5, workloads="ipc,caps"), suite(4, workloads="ipc,caps"), timeout=90),
]
