"""The entry paths (docs/abi.md): SYSCALL, SYSENTER, int 0x80 and the entry
page, set up on every CPU and hardened against hostile user code. The
`entrytest` program (src/servers/entrytest) makes the calls and checks each
register itself; these checks read its result lines, the kernel's `entry`
line (which instruction each entry page uses) and the per-CPU MSR values in
the `cpu-state` lines, and every kill report the kernel printed."""

import os
import re

from lib import PASS, Case, check_status, check_tap, check_verdict, require
from sched import check_init, check_reaped, user_records

INIT = ["--program", "init shutdown"]
ITERS = 40

# IA32_FMASK must clear at least IF, TF, DF, AC and NT (and IOPL).
FMASK_REQUIRED = (1 << 9) | (1 << 8) | (1 << 10) | (1 << 18) | (1 << 14) | (3 << 12)
# IA32_STAR: SYSRET's selector base 0x1b (user CS32) at 63:48, kernel CS 0x08 at 47:32.
STAR = (0x1B << 48) | (0x08 << 32)
CPU_STACK_SIZE = 16 * 1024


def check_entry_msrs(boot, smp, intel):
    """Every CPU wrote its own SYSENTER stack and the same entry points."""
    states = boot.records("cpu-state")
    require(len(states) == smp, f"{len(states)} cpu-state lines, expected {smp}")
    esps = [st["sysenter_esp"] for st in states]
    require(len(set(esps)) == smp, f"SYSENTER_ESP not distinct per CPU: {[hex(e) for e in esps]}")
    for st in states:
        cpu = st["cpu"]
        require(st["sysenter_esp"] >= 1 << 63 and st["sysenter_esp"] % CPU_STACK_SIZE == 0,
                f"cpu {cpu}: SYSENTER_ESP {st['sysenter_esp']:#x} is not the top of a per-CPU stack")
        for k in ("ist1", "ist2", "ist3", "ist4"):
            lo, hi = [int(x, 16) for x in st[k].split("-")]
            require(not lo < st["sysenter_esp"] <= hi, f"cpu {cpu}: SYSENTER stack inside {k}")
        require(st["star"] == STAR, f"cpu {cpu}: STAR {st['star']:#x}, expected {STAR:#x}")
        require(st["fmask"] & FMASK_REQUIRED == FMASK_REQUIRED, f"cpu {cpu}: FMASK {st['fmask']:#x}")
        require(st["efer"] & 1, f"cpu {cpu}: EFER.SCE clear ({st['efer']:#x})")
        require(st["sysenter_cs"] == (0x08 if intel else 0), f"cpu {cpu}: SYSENTER_CS {st['sysenter_cs']:#x}")
        for k in ("lstar", "cstar", "sysenter_eip"):
            require(st[k] == states[0][k] and st[k] >= 1 << 63, f"cpu {cpu}: {k} {st[k]:#x}")
    require(len({states[0]["lstar"], states[0]["cstar"], states[0]["sysenter_eip"]}) == 3,
            "LSTAR, CSTAR and SYSENTER_EIP should be three different entries")


def check_paths32(boot, smp, intel, mode32):
    """entrytest32 paths and popss: the 32-bit conventions from every CPU."""
    rows = user_records(boot, "entrytest32", "paths")
    require(sorted(r["cpu"] for r in rows) == list(range(smp)), f"32-bit paths lines for cpus {[r['cpu'] for r in rows]}")
    expect = {"int80": "int80-32", "page": mode32, "page_int80": "int80-32"}
    expect.update({"sysenter": "sysenter32", "page_sysenter": "sysenter32"} if intel else
                  {"syscall": "syscall32", "page_syscall": "syscall32"})
    for r in rows:
        require(r["bad"] == 0, f"32-bit cpu {r['cpu']}: {r['bad']} bad registers (see the BAD lines)")
        require(r["calls"] == ITERS * len(expect), f"32-bit cpu {r['cpu']}: {r['calls']} calls")
        seen = {k: r.get(k) for k in expect}
        require(seen == expect, f"32-bit cpu {r['cpu']}: paths seen {seen}, expected {expect}")
    popss = {r["path"]: r["ok"] for r in user_records(boot, "entrytest32", "popss")}
    require(popss == {"popss_int80": 1, "movss_page": 1}, f"32-bit POP SS/MOV SS: {popss}")


def paths_case(smp, intel, page, mode32, extra=(), with32=False):
    """entrytest paths (and allones/flags/movss): every CPU, every path, no
    register out of place, and the kernel saw the path that was used; with
    with32, the same for entrytest32."""
    def check(boot):
        check_tap(boot)
        entry = boot.record("entry", ("mode64", "mode32"))
        require(entry["mode64"] == page and entry["mode32"] == mode32, f"entry page choice: {entry}")
        check_entry_msrs(boot, smp, intel)
        rows = user_records(boot, "entrytest", "paths")
        require(sorted(r["cpu"] for r in rows) == list(range(smp)), f"paths lines for cpus {[r['cpu'] for r in rows]}")
        expect = {"syscall": "syscall", "int80": "int80", "page": page, "page_syscall": "syscall",
                  "page_int80": "int80"}
        if intel:
            expect.update({"sysenter": "sysenter", "page_sysenter": "sysenter"})
        for r in rows:
            require(r["bad"] == 0, f"cpu {r['cpu']}: {r['bad']} bad registers (see the BAD lines)")
            require(r["calls"] == ITERS * len(expect), f"cpu {r['cpu']}: {r['calls']} calls")
            seen = {k: r.get(k) for k in expect}
            require(seen == expect, f"cpu {r['cpu']}: paths seen {seen}, expected {expect}")
        done = user_records(boot, "entrytest", "paths-done")
        require(len(done) == 1 and done[0]["bad"] == 0 and done[0]["cpus"] == smp, f"paths-done: {done}")
        for topic, key, names in (("allones", "path", {"syscall", "int80"}),
                                  ("flags", "flag", {"nt", "ac", "df"}),
                                  ("movss", "path", {"syscall", "int80"} | ({"sysenter"} if intel else set()))):
            if topic not in extra:
                continue
            got = {r[key]: r["ok"] for r in user_records(boot, "entrytest", topic)}
            require(got == {n: 1 for n in names}, f"{topic}: {got}")
        if with32:
            check_paths32(boot, smp, intel, mode32)
        check_init(boot, 1 + len(extra) + (2 if with32 else 0))
        require(not boot.records("task-killed"), "a task was killed")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


def paths_args(page, extra=(), page32=None):
    args = INIT + ["--program", f"entrytest paths page={page} iters={ITERS}"] + \
        [a for e in extra for a in ("--program", f"entrytest {e}")]
    if page32:
        args += ["--program", f"entrytest32 paths page={page32} iters={ITERS}", "--program", "entrytest32 popss"]
    return args


# Hostile cases that end in a kill: (argv words, vector). The expected RIP
# comes from the program's own line (expect_rip, 0 = the kernel's SYSENTER
# landing + 1: the trap follows the landing's one-byte POP) or return_rip.
TF_KINDS = ("syscall", "int80", "movss-syscall", "movss-int80")
TF_KINDS_INTEL = ("sysenter", "movss-sysenter")


def check_tf_kills(boot, kills, program, kinds, after_landing):
    """Each `PROGRAM tf kind=K` task was killed by #DB exactly where the
    program said (expect_rip; 0 = after the SYSENTER landing)."""
    tf = {r["kind"]: r for r in user_records(boot, program, "tf")}
    require(sorted(tf) == sorted(kinds), f"{program} tf lines for {sorted(tf)}")
    for kind, r in tf.items():
        k = kills.get(r["tid"])
        require(k is not None, f"{program} tf {kind}: thread {r['tid']} was not killed")
        rip = r["expect_rip"] or after_landing
        require(k["vector"] == 1 and k["rip"] == rip,
                f"{program} tf {kind}: killed with vector {k['vector']} at {k['rip']:#x}, expected #DB at {rip:#x}")


def hostile_case(tf_kinds, canonical, sysenter_vector=None, tf32=()):
    def check(boot):
        check_tap(boot)
        entry = boot.record("entry", ("landing64", "landing32"))
        kills = {k["tid"]: k for k in boot.records("task-killed")}
        # After SYSENTER the trap follows the landing's first instruction:
        # POP RDX (1 byte) in the 64-bit page, MOV EDX, EBP (2) in the 32-bit one.
        check_tf_kills(boot, kills, "entrytest", tf_kinds, entry["landing64"] + 1)
        check_tf_kills(boot, kills, "entrytest32", tf32, entry["landing32"] + 2)
        can = {r["insn"]: r for r in user_records(boot, "entrytest", "canonical")}
        require(sorted(can) == sorted(canonical), f"canonical lines for {sorted(can)}")
        for insn, r in can.items():
            k = kills.get(r["tid"])
            require(r["return_rip"] == 0x800000000000, f"canonical {insn}: {r}")
            require(k is not None and k["vector"] == 13 and k["rip"] == 0x800000000000,
                    f"canonical {insn}: kill report {k}, expected #GP at 0x800000000000")
        n = len(tf_kinds) + len(canonical) + len(tf32)
        if sysenter_vector is not None:
            r = user_records(boot, "entrytest", "sysenter-direct")
            require(len(r) == 1 and r[0]["intel"] == 0, f"sysenter-direct: {r}")
            k = kills.get(r[0]["tid"])
            require(k is not None and k["vector"] in sysenter_vector,
                    f"SYSENTER in 64-bit mode on AMD: kill report {k}, expected vector in {sysenter_vector}")
            n += 1
        require(len(kills) == n, f"{len(kills)} kills, expected {n}")
        require(not user_records(boot, "entrytest", "BAD"), "entrytest reported bad registers")
        check_init(boot, n)
        check_reaped(boot, "entrytest")
        if tf32:
            check_reaped(boot, "entrytest32")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


def hostile_args(tf_kinds, canonical, sysenter=False, tf32=()):
    args = list(INIT)
    for k in tf_kinds:
        args += ["--program", f"entrytest tf kind={k} expect=killed"]
    for k in tf32:
        args += ["--program", f"entrytest32 tf kind={k} expect=killed"]
    for i in canonical:
        args += ["--program", f"entrytest canonical insn={i} expect=killed"]
    if sysenter:
        args += ["--program", "entrytest sysenter-direct expect=killed"]
    return args


ALL = ("allones", "flags", "movss")

_DEF = os.path.join(os.path.dirname(__file__), "..", "..", "src", "lib", "abi", "syscalls.def")
_CALL_RE = re.compile(r"^\s*\d+\s+(\w+)\((.*)\)\s*->\s*(\w+)(.*)$")


def pointer_args():
    """(call, argument, privileged) for every in_ptr/out_ptr argument of a
    call that returns, read from syscalls.def itself."""
    out = []
    with open(_DEF) as f:
        for line in f:
            m = _CALL_RE.match(line.split("#")[0])
            if not m or "noreturn" in m.group(4):
                continue
            for arg in filter(None, (a.strip() for a in m.group(2).split(","))):
                typ, name = arg.split()
                if typ in ("in_ptr", "out_ptr"):
                    out.append((m.group(1), name, "privileged" in m.group(4)))
    return out


def bad_pointers_case(boot):
    """Every pointer argument of every call, from init (privileged) and from
    an ordinary task: NULL, kernel, unmapped and non-canonical addresses
    all give -kFault (-kPermission for init's calls made by another task)."""
    expected = pointer_args()
    require(expected, "syscalls.def has no pointer arguments?")
    for program, privileged in (("init", True), ("entrytest", False)):
        rows = user_records(boot, program, "bad-pointer")
        got = sorted((r["call"], r["arg"]) for r in rows)
        require(got == sorted((c, a) for c, a, _ in expected), f"{program}: bad-pointer lines for {got}")
        for r in rows:
            priv = next(p for c, a, p in expected if (c, a) == (r["call"], r["arg"]))
            want = -5 if priv and not privileged else -2
            for k in ("null", "kernel", "unmapped", "noncanonical", "noncanonical_high"):
                require(r[k] == want, f"{program}: {r['call']}({r['arg']}={k}) = {r[k]}, expected {want}")
        summary = user_records(boot, program, "bad-pointers")
        require(len(summary) == 1 and summary[0]["failed"] == 0, f"{program}: {summary}")
    require(not boot.records("task-killed"), "a bad pointer killed a task")
    check_init(boot, 1)
    check_verdict(boot, "pass")
    check_status(boot, PASS)

CASES = [
    Case("qemu-entry-bad-pointers", ["--smp", "2", "--program", "init shutdown badptr",
                                     "--program", "entrytest badptr"], bad_pointers_case),
    Case("qemu-entry-paths-4cpu-intel", ["--smp", "4"] + paths_args("syscall", ALL, "sysenter32"),
         paths_case(4, True, "syscall", "sysenter32", ALL, with32=True), timeout=120),
    Case("qemu-entry-paths-4cpu-amd", ["--smp", "4", "--cpu", "amd"] + paths_args("syscall", ALL, "syscall32"),
         paths_case(4, False, "syscall", "syscall32", ALL, with32=True), timeout=120),
    Case("qemu-entry-forced-sysenter", ["--smp", "2", "--cmdline", "entry=sysenter"] + paths_args("sysenter"),
         paths_case(2, True, "sysenter", "sysenter32"), timeout=90),
    Case("qemu-entry-forced-int80-amd", ["--smp", "2", "--cpu", "amd", "--cmdline", "entry=int80"] +
         paths_args("int80", (), "int80-32"), paths_case(2, False, "int80", "int80-32", with32=True), timeout=90),
    Case("bochs-entry-paths-2cpu-intel", ["--emulator", "bochs", "--smp", "2"] +
         paths_args("syscall", ("flags",), "sysenter32"),
         paths_case(2, True, "syscall", "sysenter32", ("flags",), with32=True), timeout=240),
    Case("bochs-entry-paths-2cpu-amd", ["--emulator", "bochs", "--smp", "2", "--cpu", "amd"] +
         paths_args("syscall", (), "syscall32"), paths_case(2, False, "syscall", "syscall32", with32=True),
         timeout=240),
    Case("qemu-entry-hostile-intel", ["--smp", "2"] + hostile_args(TF_KINDS + TF_KINDS_INTEL, ("syscall", "int80"),
                                                                   tf32=("int80", "sysenter")),
         hostile_case(TF_KINDS + TF_KINDS_INTEL, ("syscall", "int80"), tf32=("int80", "sysenter")), timeout=120),
    Case("qemu-entry-hostile-amd", ["--smp", "2", "--cpu", "amd"] +
         hostile_args(TF_KINDS, ("syscall", "int80"), sysenter=True, tf32=("syscall",)),
         hostile_case(TF_KINDS, ("syscall", "int80"), sysenter_vector=(6,), tf32=("syscall",)), timeout=120),
    # Bochs, unlike QEMU, faults in ring 0 on an IRETQ or Intel SYSRET to a
    # non-canonical RIP: this case fails unless the kernel refuses to return there.
    Case("bochs-entry-hostile-intel", ["--emulator", "bochs", "--smp", "2"] +
         hostile_args(("sysenter",), ("syscall", "int80"), tf32=("sysenter",)),
         hostile_case(("sysenter",), ("syscall", "int80"), tf32=("sysenter",)), timeout=240),
    Case("bochs-entry-hostile-amd", ["--emulator", "bochs", "--smp", "2", "--cpu", "amd"] +
         hostile_args(("syscall",), ("syscall",), sysenter=True),
         hostile_case(("syscall",), ("syscall",), sysenter_vector=(6, 13)), timeout=240),
]
