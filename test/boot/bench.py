"""The benchmark program (src/servers/bench, docs/performance.md) in one
short QEMU -icount boot: every record is there for every CPU, each figure is
positive with min <= median <= max, the same-CPU IPC round trip took the
fast path and costs less than the cross-CPU one (which cannot), and only the
unmap with a thread of the task on another CPU needed TLB shootdowns. A
second boot with ipc_fastpath=off must send every IPC call the general way.
No figure is compared with a threshold: `make bench` reports them."""

import os

from lib import PASS, Case, check_status, check_verdict, parse_value, require

_MANIFESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "manifests")
_SMP = 2
_ITERS, _RUNS = 50, 3  # as in manifests/bench.manifest
_ALL_OPS = ["null_syscall", "null_sysenter", "null_int80", "null_page", "null32_sysenter", "null32_int80",
            "null32_page", "ipc_same", "ipc_cross", "yield_pingpong", "vm_local", "vm_remote"]
_IPC_OPS = ["ipc_same", "ipc_cross"]


def records(boot):
    """{(op, cpu): {key: value}} of the `bench: op=...` lines."""
    out = {}
    for line in boot.lines:
        line = line.strip()
        if not line.startswith("bench: op="):
            continue
        r = {k: parse_value(v) for k, v in (w.split("=", 1) for w in line.split()[1:] if "=" in w)}
        require((r["op"], r["cpu"]) not in out, f"two records for {r['op']} cpu={r['cpu']}")
        out[(r["op"], r["cpu"])] = r
    return out


def check_records(boot, ops):
    recs = records(boot)
    require(not [l for l in boot.lines if l.startswith("bench: error")], "bench reported errors")
    require(any(l.startswith("bench: done") and "errors=0" in l for l in boot.lines), "no `bench: done ... errors=0`")
    for op in ops:
        for cpu in range(_SMP):
            r = recs.get((op, cpu))
            require(r is not None, f"no record for {op} cpu={cpu}")
            require(r["unit"] == "tsc" and r["iters"] == _ITERS and r["runs"] == _RUNS, f"{op}: {r}")
            require(0 < r["min"] <= r["median"] <= r["max"], f"{op} cpu={cpu}: not 0 < min <= median <= max: {r}")
            want_peer = (cpu + 1) % _SMP if op in ("ipc_cross", "vm_remote") else cpu
            require(r["peer"] == want_peer, f"{op} cpu={cpu}: peer={r['peer']}, want {want_peer}")
    extra = sorted({op for op, _ in recs if op not in ops})
    require(not extra, f"unexpected records: {extra}")
    return recs


def check_all(boot):
    recs = check_records(boot, _ALL_OPS)
    for cpu in range(_SMP):
        same, cross = recs[("ipc_same", cpu)], recs[("ipc_cross", cpu)]
        require(same["path"] == "fast" and same["slow_calls"] == 0, f"ipc_same missed the fast path: {same}")
        require(cross["path"] == "slow", f"ipc_cross between CPUs on the fast path: {cross}")
        require(same["median"] < cross["median"], f"fast path not below the general path: {same} {cross}")
        local, remote = recs[("vm_local", cpu)], recs[("vm_remote", cpu)]
        require(local["shootdowns"] == 0, f"vm_local shot down: {local}")
        require(remote["shootdowns"] > 0, f"vm_remote without shootdowns: {remote}")
    smp = boot.records("smp")
    require(smp and smp[0]["bringup_tsc"] > 0 and smp[0]["bringup_us"] > 0, f"no bring-up figures: {smp}")
    require("init: server bench status=0 expected=0 ok" in boot.lines, "bench did not exit 0")
    check_verdict(boot, "pass")
    check_status(boot, PASS)


def check_slow(boot):
    recs = check_records(boot, _IPC_OPS)
    for (op, cpu), r in recs.items():
        require(r["path"] == "slow" and r["fast_calls"] == 0, f"{op} cpu={cpu} used the fast path: {r}")
    require("init: server bench status=0 expected=0 ok" in boot.lines, "bench did not exit 0")
    check_verdict(boot, "pass")
    check_status(boot, PASS)


def _args(manifest):
    return ["--smp", str(_SMP), "--cpu", "intel", "--icount", "--program", "init shutdown", "--program", "bench",
            "--program", "bench32 nostart", "--module", f"{os.path.join(_MANIFESTS, manifest)}:manifest"]


CASES = [
    Case("qemu-bench-icount", _args("bench.manifest"), check_all, timeout=120),
    Case("qemu-bench-ipc-slow", _args("bench-ipc.manifest") + ["--cmdline", "ipc_fastpath=off"], check_slow,
         timeout=120),
]
