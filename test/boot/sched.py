"""Threads, tasks and the scheduler: user programs from boot modules run on
every CPU. init (`init shutdown`) starts the other modules, waits for them
and powers off with pass only if each ended as its module string expected;
the checks here then look at what the kernel measured for every thread
(`lstar: thread-exit ... ran_on=...`) and what the programs reported."""

import os
import re
import tempfile

from lib import PASS, Case, check_status, check_tap, check_verdict, parse_value, require

_USER_RE = re.compile(r"^([a-z][a-z0-9]*): (.*)$")
_KV_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)")


def user_records(boot, program, topic):
    """key=value dicts of the `PROGRAM: TOPIC k=v ...` lines a user program printed."""
    out = []
    for line in boot.lines:
        m = _USER_RE.match(line.strip())
        if not m or m.group(1) != program:
            continue
        words = m.group(2).split()
        head = [w for w in words if "=" not in w]
        if " ".join(head[:len(topic.split())]) != topic:
            continue
        out.append({k: parse_value(v) for k, v in _KV_RE.findall(m.group(2))})
    return out


def check_init(boot, started, ok=None):
    """init started `started` tasks and every outcome it checked (`ok`: the
    tasks it waited for plus failed spawns) was the expected one."""
    ok = started if ok is None else ok
    done = [r for r in user_records(boot, "init", "done")]
    require(len(done) == 1, f"init printed {len(done)} `done` lines")
    d = done[0]
    require(d["started"] == started and d["mismatched"] == 0 and d["ok"] == ok,
            f"init: {d} (expected {started} started, {ok} ok)")
    shut = boot.record("shutdown", ("pass", "selftests"))
    require(shut["pass"] == 1 and shut["selftests"] == 1, f"shutdown: {shut}")


def threads_of(boot, task):
    return [r for r in boot.records("thread-exit") if r.get("task") == task]


def check_reaped(boot, task):
    """Every page the task had was freed when it was reaped."""
    exits = [r for r in boot.records("task-exit") if r.get("task") == task]
    require(exits, f"no `lstar: task-exit task={task}` line")
    # frames_freed is the change in the free-frame count across the task's
    # teardown, so another CPU allocating meanwhile (a task starting) lowers
    # it: only pages_freed, counted by the teardown itself, must be exact.
    for e in exits:
        require(e["pages"] > 0 and e["pages_freed"] == e["pages"] and e["frames_freed"] > 0,
                f"{task} not fully reaped: {e}")


def check_sched_selftests(boot, smp):
    spinners = boot.records("selftest sched-spinner")
    require(len(spinners) == 2 * smp, f"{len(spinners)} spinner lines for {smp} CPUs")
    for s in spinners:
        require(s["count"] > 0 and s["ran_on"] == 1 << s["cpu"] and s["wrong_cpu"] == 0,
                f"kernel spinner: {s}")
    reap = boot.record("selftest sched-reap", ("kstacks_before", "kstacks_after"))
    require(reap["kstacks_after"] == reap["kstacks_before"], f"kernel stacks not freed: {reap}")


def sched_case(smp, fair=33, pcid=None):
    """stress sched: priority groups A (20, pinned to the last CPU), B (12,
    all CPUs, 2 per CPU) and D (4, all CPUs); every thread must finish its
    work, run only where allowed, and share fairly within its group: when
    the first of a group finishes, each sibling has done at least `fair`
    percent of the same work. `pcid`: whether user spaces must have run
    with PCIDs (the CPU model decides)."""
    every = (1 << smp) - 1

    def check(boot):
        check_tap(boot)
        check_sched_selftests(boot, smp)
        if pcid is not None:
            paging = boot.record("paging", ("pcid", "global"))
            require(paging["pcid"] == pcid and paging["global"] == 1, f"paging: {paging}, expected pcid={pcid}")
        check_init(boot, 1)
        done = user_records(boot, "stress", "sched done")
        require(len(done) == 1, "no `stress: sched done` line")
        require(done[0]["threads"] == 3 * smp + 2 and done[0]["wrong_cpu"] == 0, f"stress: {done[0]}")
        groups = {g["group"]: g for g in user_records(boot, "stress", "")
                  if "group" in g and "first_done_tid" in g}
        require(sorted(groups) == ["A", "B", "D"], f"groups reported: {sorted(groups)}")
        for name, g in groups.items():
            # D runs on whatever CPUs A and B leave free, as they finish:
            # its members start at different times, so only completion counts.
            if name != "D":
                require(g["min_pct"] >= fair, f"group {name} unfair: {g}")
        workers = [t for t in threads_of(boot, "stress") if t["prio"] in (20, 12, 4)]
        require(len(workers) == 3 * smp + 2, f"{len(workers)} worker thread-exit lines")
        ran_b = 0
        for t in workers:
            require(t["code"] == 0, f"worker exited with {t['code']}: {t}")
            require(t["ran_on"] and t["ran_on"] & ~t["affinity"] == 0,
                    f"tid {t['tid']} ran on {t['ran_on']:#x} outside its affinity {t['affinity']:#x}")
            if t["prio"] == 20:
                require(t["affinity"] == 1 << (smp - 1) and t["ran_on"] == t["affinity"],
                        f"pinned thread: {t}")
            if t["prio"] == 12:
                ran_b |= t["ran_on"]
        # Spread by placement and balancing: B ran on every CPU, except
        # perhaps the one A keeps busy at a higher priority.
        spread = every & ~(1 << (smp - 1)) if smp > 1 else every
        require(ran_b & spread == spread, f"group B (all CPUs) ran only on {ran_b:#x} of {every:#x}")
        cpus = boot.records("sched-cpu")
        require(len(cpus) == smp and all(c["switches"] > 0 for c in cpus), f"sched-cpu: {cpus}")
        check_reaped(boot, "stress")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


def spin_case(boot):
    """A task that spins forever at priority 12 on CPU 0 does not stop two
    other threads of that priority on CPU 0 from finishing."""
    check_tap(boot)
    check_init(boot, 2, ok=1)  # spin is a daemon: init does not wait for it
    require(user_records(boot, "spin", "spinning"), "spin never ran")
    done = user_records(boot, "stress", "work done")
    require(len(done) == 1 and done[0]["threads"] == 2, f"stress work: {done}")
    for t in [t for t in threads_of(boot, "stress") if t["prio"] == 12 and t["tid"] != 0]:
        require(t["ran_on"] == 1, f"thread ran outside CPU 0: {t}")
    check_verdict(boot, "pass")
    check_status(boot, PASS)


def fault_case(kind, vector, addr=None, threaded=False):
    """A faulting task is killed with one report line; the other task runs
    to completion and the kernel frees the dead task's memory."""
    def check(boot):
        check_tap(boot)
        check_init(boot, 2)
        kills = boot.records("task-killed")
        require(len(kills) == 1, f"{len(kills)} task-killed lines")
        k = kills[0]
        require(k["task"] == "fault" and k["vector"] == vector, f"kill report: {k}")
        require(0 < k["rip"] < 0x800000000000, f"rip {k['rip']:#x} not a user address")
        if addr is not None:
            require(k["addr"] == addr, f"fault address {k['addr']:#x}, expected {addr:#x}")
        fault_threads = threads_of(boot, "fault")
        require(len(fault_threads) == (2 if threaded else 1), f"fault threads: {fault_threads}")
        if threaded:
            require(k["tid"] != min(t["tid"] for t in fault_threads), "the second thread should fault")
        require(all(t["code"] == 0x100 + vector for t in fault_threads), f"exit codes: {fault_threads}")
        require(user_records(boot, "stress", "work done"), "the other task did not finish")
        check_reaped(boot, "fault")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


# The fault program's kBadPointers, by name: debug_write must answer -2
# (kFault) for each; module_info -5 (kPermission: only init may call it).
BAD_POINTERS = ("null", "kernel", "unmapped", "straddle", "non-canonical-low", "non-canonical", "wrap")


def bad_syscall_case(smap):
    """The bad-syscall kind on a CPU with (smap=1) or without (0) SMEP/SMAP:
    every bad pointer is an error code, never a kernel fault, either way."""
    def check(boot):
        paging = boot.record("paging", ("smep", "smap"))
        require(paging["smep"] == smap and paging["smap"] == smap, f"paging: {paging}, expected smep=smap={smap}")
        check_tap(boot)
        bare = boot.record("selftest smap", ("smap", "bare_read"))
        require(bare["smap"] == smap and bare["bare_read"] == ("faulted" if smap else "worked"),
                f"a bare kernel read of a user page: {bare}")
        check_init(boot, 1)
        r = user_records(boot, "fault", "bad-syscall")
        require(len(r) == 1, "no bad-syscall line")
        r = r[0]
        require(r["debug_write"] == -2 and r["unknown"] == -6 and r["join"] == -4 and r["affinity"] == -1,
                f"bad syscall results: {r}")
        ptrs = {p["name"]: p for p in user_records(boot, "fault", "bad-pointer")}
        require(sorted(ptrs) == sorted(BAD_POINTERS), f"bad-pointer lines for {sorted(ptrs)}")
        for name, p in ptrs.items():
            require(p["debug_write"] == -2 and p["module_info"] == -5, f"bad pointer {name}: {p}")
        require(not boot.records("task-killed"), "a bad argument killed the task")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


def bad_image_case(boot):
    fails = boot.records("spawn-failed")
    require(len(fails) == 1 and fails[0]["reason"].startswith("bad-magic"), f"spawn-failed: {fails}")
    check_init(boot, 0, ok=1)
    check_verdict(boot, "pass")
    check_status(boot, PASS)


_JUNK = os.path.join(tempfile.mkdtemp(prefix="lstar-sched-"), "junk.bin")
with open(_JUNK, "wb") as _f:
    _f.write(b"this is not an ELF file\n" * 64)

INIT = ["--program", "init shutdown"]
# The fault cases' bystander: one thread, so its outcome does not depend on
# how the host shares its cores between the emulated CPUs.
WORK = ["--program", "stress work threads=1 prio=16 ms=60"]


def fault(kind, *extra):
    return INIT + ["--program", f"fault kind={kind} expect=killed {' '.join(extra)}".strip()] + WORK


def stress(fair):
    return ["--program", f"stress sched ms=100 fair={fair}"]


# Fair shares are checked where every emulated CPU runs at the same speed:
# on one CPU, and in Bochs (which steps its CPUs in lockstep). QEMU's CPUs
# are host threads on shared cores, so with several CPUs the QEMU cases check
# progress, affinity and pinning, and leave shares across CPUs out (fair=0).
CASES = [
    Case("qemu-sched-1cpu", ["--smp", "1"] + INIT + stress(33), sched_case(1, 33), timeout=90),
    Case("qemu-sched-2cpu", ["--smp", "2"] + INIT + stress(0), sched_case(2, 0), timeout=90),
    Case("qemu-sched-4cpu", ["--smp", "4"] + INIT + stress(0), sched_case(4, 0, pcid=0), timeout=90),
    Case("qemu-sched-8cpu", ["--smp", "8"] + INIT + stress(0), sched_case(8, 0), timeout=120),
    Case("qemu-sched-4cpu-amd", ["--smp", "4", "--cpu", "amd"] + INIT + stress(0), sched_case(4, 0), timeout=90),
    Case("bochs-sched-2cpu", ["--emulator", "bochs", "--smp", "2"] + INIT + ["--program", "stress sched ms=60"],
         sched_case(2, 33, pcid=1), timeout=240),
    Case("bochs-sched-4cpu-amd", ["--emulator", "bochs", "--smp", "4", "--cpu", "amd"] + INIT +
         ["--program", "stress sched ms=40"], sched_case(4, 33), timeout=300),
    Case("qemu-spinner-shares-its-cpu", ["--smp", "2"] + INIT +
         ["--program", "spin prio=12 cpus=0x1 daemon",
          "--program", "stress work threads=2 prio=12 cpus=0x1 ms=60"], spin_case, timeout=90),
    Case("qemu-user-pf-killed", ["--smp", "2"] + fault("pf-read"), fault_case("pf-read", 14, addr=0x10)),
    Case("qemu-user-pf-kernel-half-killed", ["--smp", "2"] + fault("pf-kernel"),
         fault_case("pf-kernel", 14, addr=0xffffffff80000000)),
    Case("qemu-user-gp-killed", ["--smp", "2"] + fault("gp"), fault_case("gp", 13)),
    Case("qemu-user-ud-killed-amd", ["--smp", "2", "--cpu", "amd"] + fault("ud"), fault_case("ud", 6)),
    Case("qemu-user-de-killed", ["--smp", "2"] + fault("de"), fault_case("de", 0)),
    Case("qemu-user-fault-kills-every-thread", ["--smp", "2"] + fault("pf-write-ro", "thread", "delay_ms=30"),
         fault_case("pf-write-ro", 14, threaded=True)),
    Case("qemu-bad-elf-module-rejected", ["--smp", "1"] + INIT + ["--module", f"{_JUNK}:junk expect=badimage"],
         bad_image_case),
    Case("qemu-user-bad-syscalls", ["--smp", "2"] + INIT + ["--program", "fault kind=bad-syscall"],
         bad_syscall_case(1)),
    Case("qemu-user-bad-syscalls-no-smap", ["--smp", "2", "--cpu", "max,vendor=GenuineIntel,smep=off,smap=off"] +
         INIT + ["--program", "fault kind=bad-syscall"], bad_syscall_case(0)),
]
