"""The system-call fuzzer (src/servers/fuzz): an unprivileged task issues
random calls with random and boundary arguments from two threads per CPU
through every entry path for a few seconds, then checks its capabilities,
its memory and its threads. Each case asserts on its records: calls on
every CPU, no violation, caps_ok=1, memory_ok=1, verdict pass, init's exit
status, no kernel panic. Two boots with the same seed must issue the same
calls: each worker's fingerprint of its first 256 calls (`fuzz: thread=I
hash=...`) is compared between the two cases of a pair."""

import threading

from lib import PASS, Case, check_status, check_verdict, require
from sched import user_records

HASHED = 256  # calls in each worker's fingerprint (kHashedCalls, src/servers/fuzz/worker.h)
SECONDS = 10
SEED = 0x1234

# Fingerprints per replay key, from whichever case of the pair finished first.
_hashes = {}
_hashes_lock = threading.Lock()


def check_fuzz(boot, smp, replay_key=None):
    panics = [line for line in boot.lines if "PANIC" in line or line.startswith("lstar: FAULT")]
    require(not panics, f"kernel: {panics[:3]}")
    violations = [line for line in boot.lines if line.startswith("fuzz: violation")]
    require(not violations, f"{len(violations)} violation lines, first: {violations[:3]}")
    start = user_records(boot, "fuzz", "start")
    require(len(start) == 1 and start[0].get("seed") == SEED and start[0].get("threads") == 2 * smp,
            f"fuzz start: {start}")
    cpus = {r["cpu"]: r["calls"] for r in user_records(boot, "fuzz", "") if "cpu" in r and "calls" in r}
    require(sorted(cpus) == list(range(smp)), f"fuzz cpu lines for {sorted(cpus)}, expected 0..{smp - 1}")
    idle = [c for c, n in cpus.items() if not n > 0]
    require(not idle, f"no calls on cpu {idle}: {cpus}")
    threads = [r for r in user_records(boot, "fuzz", "") if "thread" in r and "hash" in r]
    require(len(threads) == 2 * smp, f"{len(threads)} fuzz thread lines, expected {2 * smp}")
    for t in threads:
        require(t["created"] == t["joined"], f"fuzz thread {t['thread']}: created={t['created']} "
                f"joined={t['joined']}")
    checks = user_records(boot, "fuzz", "checks")
    require(len(checks) == 1, "no `fuzz: checks` line")
    require(checks[0]["violations"] == 0 and checks[0]["threads_ok"] == 1, f"fuzz checks: {checks[0]}")
    done = user_records(boot, "fuzz", "done")
    require(len(done) == 1, "no `fuzz: done` line")
    d = done[0]
    require(d["caps_ok"] == 1 and d["memory_ok"] == 1, f"fuzz done: {d}")
    require(d["verdict"] == "pass", f"fuzz verdict {d['verdict']}")
    require(d["calls"] == d["ok"] + d["errors"] and d["calls"] == sum(cpus.values()),
            f"fuzz: calls={d['calls']} ok+errors={d['ok'] + d['errors']} per-cpu sum={sum(cpus.values())}")
    require(any(line.startswith("init: fuzz task=") and line.endswith(" ok") for line in boot.lines),
            "init did not see fuzz exit 0")
    if replay_key is not None:
        # A worker that a loaded host slowed down may not reach HASHED calls:
        # compare the fingerprints both boots completed, and require most.
        mine = {t["thread"]: t["hash"] for t in threads if t["hashed"] == HASHED}
        require(2 * len(mine) >= len(threads),
                f"only {len(mine)} of {len(threads)} workers made {HASHED} calls: too few fingerprints")
        with _hashes_lock:
            other = _hashes.setdefault(replay_key, mine)
        both = sorted(set(other) & set(mine))
        require(len(both) >= 2, f"fingerprints of workers {sorted(other)} and {sorted(mine)}: fewer than 2 in common")
        differ = [i for i in both if other[i] != mine[i]]
        require(not differ, f"same seed, other calls: workers {differ} ({[(other[i], mine[i]) for i in differ]})")
    check_verdict(boot, "pass")
    check_status(boot, PASS)


def fuzz_case(name, smp, cpu="intel", replay_key=None):
    args = ["--smp", str(smp), "--cpu", cpu, "--program", "init shutdown",
            "--program", f"fuzz seconds={SECONDS} seed={SEED:#x}"]
    return Case(name, args, lambda boot: check_fuzz(boot, smp, replay_key), timeout=SECONDS + 60)


CASES = [
    fuzz_case("qemu-fuzz-4cpu", 4, replay_key="4cpu-intel"),
    fuzz_case("qemu-fuzz-4cpu-replay", 4, replay_key="4cpu-intel"),
    fuzz_case("qemu-fuzz-2cpu-amd", 2, cpu="amd"),
]
