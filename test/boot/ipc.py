"""IPC and capabilities (src/kernel/ipc, docs/ipc.md). The ipctest program
runs a client and a server thread for every (client CPU, server CPU) pair,
each call sequence-numbered and checksummed and every answer checked, then
long messages, badges, a capability transfer, revoke, timeouts, error codes,
a bound notification and cancellation. At shutdown the kernel prints each
CPU's fast-path counters; the checks require that the same-CPU ping-pong
went through the fast path and that the miss reasons account for every
call that did not."""

from lib import PASS, Case, check_status, check_verdict, require
from sched import check_init, user_records

ROUNDS = 200
BOCHS_ROUNDS = 40
INIT = ["--program", "init shutdown"]


def ipc_stats(boot):
    """cpu -> the `lstar: ipc-cpu` record of that CPU."""
    return {r["cpu"]: r for r in boot.records("ipc-cpu")}


def misses(rec):
    return sum(v for k, v in rec.items() if k.startswith("miss_"))


def check_ipctest(boot, cpus, rounds):
    """Every pair and every other check of ipctest passed, with the values it reported."""
    pairs = user_records(boot, "ipctest", "pair")
    seen = {(p["client"], p["server"]) for p in pairs if "calls" in p}
    want = {(c, s) for c in range(cpus) for s in range(cpus)}
    require(seen == want, f"pairs reported {sorted(seen)}, expected every pair of {cpus} CPUs")
    for p in pairs:
        if "calls" not in p:
            continue
        require(p["calls"] == rounds and p["bad"] == 0 and p["ok"] == 1,
                f"pair client={p['client']} server={p['server']}: {p}")
    for topic in ("long", "badge", "grant", "revoke", "timeout", "errors", "bound", "cancel"):
        recs = user_records(boot, "ipctest", topic)
        require(len(recs) == 1 and recs[0].get("ok") == 1, f"ipctest {topic}: {recs}")
    grant = user_records(boot, "ipctest", "grant")[0]
    require(grant["signalled"] == 5 and grant["type"] == 2, f"grant: {grant}")
    revoke = user_records(boot, "ipctest", "revoke")[0]
    require(revoke["removed"] == 7 and revoke["copies_left"] == 0, f"revoke: {revoke}")
    timeout = user_records(boot, "ipctest", "timeout")[0]
    require(timeout["recv"] == -9 and timeout["call"] == -9 and timeout["waited_ms"] >= 40, f"timeout: {timeout}")
    require(user_records(boot, "ipctest", "cancel")[0]["result"] == -13, "cancel: not -kCancelled")
    done = user_records(boot, "ipctest", "done")
    # Two checks per pair (its endpoint, its calls) and eight others.
    require(len(done) == 1 and done[0]["failed"] == 0 and done[0]["checks"] == 2 * cpus * cpus + 8,
            f"ipctest done: {done}")
    check_init(boot, 1)
    require(not any("init's root capabilities" in line for line in boot.lines),
            "init did not get its ioports and irq capabilities in slots 1 and 2")
    stats = ipc_stats(boot)
    require(sorted(stats) == list(range(cpus)), f"ipc-cpu lines for CPUs {sorted(stats)}, expected {cpus}")
    for cpu, rec in stats.items():
        require(rec["slow_calls"] == misses(rec),
                f"cpu{cpu}: {rec['slow_calls']} slow calls but the miss reasons add up to {misses(rec)}: {rec}")
    return stats


def fast_case(cpus, rounds=ROUNDS):
    def check(boot):
        stats = check_ipctest(boot, cpus, rounds)
        for cpu, rec in stats.items():
            # The same-CPU pair's calls and answers (all but the first call,
            # which may find its server not yet waiting).
            require(rec["fast_calls"] >= rounds - 1 and rec["fast_replies"] >= rounds - 2,
                    f"cpu{cpu}: same-CPU ping-pong not on the fast path: {rec}")
            if cpus > 1:
                require(rec["miss_othercpu"] >= rounds - 1, f"cpu{cpu}: cross-CPU calls not counted: {rec}")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


def slow_case(cpus, reason):
    """Every call and reply_recv took the general path, for `reason`."""
    def check(boot):
        stats = check_ipctest(boot, cpus, ROUNDS)
        for cpu, rec in stats.items():
            require(rec["fast_calls"] == 0 and rec["fast_replies"] == 0, f"cpu{cpu}: fast path used: {rec}")
            require(rec[f"miss_{reason}"] == rec["slow_calls"] and rec["slow_calls"] >= 2 * ROUNDS,
                    f"cpu{cpu}: slow calls not all for '{reason}': {rec}")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


def check_two_tasks(boot):
    """Calls between two address spaces on one CPU (init's bus endpoint): all
    answered, all through the fast path."""
    bench = user_records(boot, "ipctest", "bench")
    served = user_records(boot, "ipctest", "bench-server")
    require(len(bench) == 1 and bench[0]["bad"] == 0 and bench[0]["calls"] == ROUNDS, f"bench: {bench}")
    batches = 4  # ipctest's bench_client
    require(len(served) == 1 and served[0]["served"] == batches * ROUNDS and served[0]["result"] == 0,
            f"bench-server: {served}")
    stats = ipc_stats(boot)[0]
    require(stats["fast_calls"] >= batches * ROUNDS and stats["fast_replies"] >= batches * ROUNDS - 1,
            f"calls between the tasks not on the fast path: {stats}")
    require(stats["slow_calls"] == misses(stats), f"misses do not explain the slow calls: {stats}")
    check_init(boot, 2, 1)
    check_verdict(boot, "pass")
    check_status(boot, PASS)


def ipctest(rounds=ROUNDS):
    return INIT + ["--program", f"ipctest rounds={rounds}"]


CASES = [
    Case("qemu-ipc-1cpu", ["--smp", "1"] + ipctest(), fast_case(1)),
    Case("qemu-ipc-2cpu-amd", ["--smp", "2", "--cpu", "amd"] + ipctest(), fast_case(2)),
    Case("qemu-ipc-4cpu-intel", ["--smp", "4", "--cpu", "intel"] + ipctest(), fast_case(4)),
    # SYSENTER is the entry page's choice only when forced: the fast path
    # must serve it as it serves SYSCALL.
    Case("qemu-ipc-4cpu-sysenter", ["--smp", "4", "--cpu", "intel", "--cmdline", "entry=sysenter"] + ipctest(),
         fast_case(4)),
    Case("qemu-ipc-8cpu", ["--smp", "8"] + ipctest(100), fast_case(8, 100), timeout=120),
    Case("qemu-ipc-fastpath-off", ["--smp", "2", "--cmdline", "ipc_fastpath=off"] + ipctest(),
         slow_case(2, "off")),
    Case("qemu-ipc-int80-slow", ["--smp", "2", "--cmdline", "entry=int80"] + ipctest(), slow_case(2, "entry")),
    Case("qemu-ipc-two-tasks", ["--smp", "1"] + INIT
         + ["--program", f"ipctest bench-server bus daemon rounds={ROUNDS}",
            "--program", f"ipctest bench-client bus rounds={ROUNDS}"], check_two_tasks),
    Case("bochs-ipc-2cpu", ["--emulator", "bochs", "--smp", "2"] + ipctest(BOCHS_ROUNDS),
         fast_case(2, BOCHS_ROUNDS), timeout=240),
]
