"""System calls from syscalls.def and the tracer. The `syscalls` program (and
its 32-bit build, syscalls32) checks probe, vm_map and the privileged calls
through the generated stubs; with trace= on the command line the kernel logs
the selected calls, and the checks here read those lines back: each probe
result must be the mix of the arguments the line shows and the path it
names, and only the selected calls of the selected tasks may appear."""

import os
import re

from lib import PASS, Case, check_status, check_verdict, require

# [cpu2] stress/7 probe(a0=0x1, ...) = 0x... via syscall
_TRACE_RE = re.compile(r"^\[cpu(\d+)\] (\S+)/(\d+) (\w+)\((.*)\) = (.+?) via (\S+)( <\w+>)?$")
_ENTRY_PATHS = ["int80", "syscall", "sysenter", "int80-32", "syscall32", "sysenter32"]
_MASK64 = (1 << 64) - 1


def probe_mix(args):
    """abi::probe_mix (src/lib/abi/syscall.h)."""
    h = 0xcbf29ce484222325
    for v in args:
        h ^= v
        h = (h * 0x100000001b3) & _MASK64
        h ^= h >> 29
    return h & 0x00FFFFFFFFFFFFFF


def trace_lines(boot):
    """(cpu, task, tid, call, {arg: text}, result text, path, mark) of every trace line."""
    out = []
    for line in boot.lines:
        m = _TRACE_RE.match(line.strip())
        if not m:
            continue
        args = dict(a.split("=", 1) for a in m.group(5).split(", ")) if m.group(5) else {}
        out.append((int(m.group(1)), m.group(2), int(m.group(3)), m.group(4), args, m.group(6), m.group(7),
                    (m.group(8) or "").strip()))
    return out


def user_done(boot, program):
    for line in boot.lines:
        m = re.match(rf"^{program}: done checks=(\d+) failed=(\d+)$", line.strip())
        if m:
            return int(m.group(1)), int(m.group(2))
    return None


def check_init_done(boot, started):
    done = [line for line in boot.lines if line.startswith("init: done")]
    require(done == [f"init: done started={started} ok={started} mismatched=0"], f"init: {done}")


def check_programs(boot, programs):
    for program in programs:
        done = user_done(boot, program)
        require(done is not None, f"no `{program}: done` line")
        require(done[1] == 0 and done[0] > 10, f"{program}: {done[0]} checks, {done[1]} failed")
        fails = [line for line in boot.lines if line.startswith(f"{program}: check") and "FAIL" in line]
        require(not fails, f"{program}: {fails}")


def call_names():
    """Every call name of src/lib/abi/syscalls.def."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "lib", "abi",
                        "syscalls.def")
    with open(path) as f:
        return {m.group(1) for m in re.finditer(r"^\d+\s+(\w+)\(", f.read(), re.M)}


# What trace= selects below, per task: a list for the 64-bit program, every
# call but some (and one put back) for the 32-bit one.
_REMOVED32 = ["debug_write", "set_priority", "task_exit", "cpu_id", "time_ns", "thread_exit"]
_SELECTED = {"syscalls": {"probe", "vm_map", "trace", "spawn"},
             "syscalls32": call_names() - set(_REMOVED32) | {"time_ns"}}
_TRACE_SPEC = ("trace=syscalls:probe+vm_map+trace+spawn,syscalls32:all-" + "-".join(_REMOVED32)
               + "+time_ns")
# The calls each program makes that its selection includes.
_EXPECTED = {"syscalls": {"probe", "vm_map", "trace", "spawn"},
             "syscalls32": {"probe", "vm_map", "trace", "spawn"}}


def check_traced_calls(boot):
    check_programs(boot, ["syscalls", "syscalls32"])
    check_init_done(boot, 2)
    lines = trace_lines(boot)
    require(lines, "no trace lines")
    seen = {}
    for cpu, task, tid, call, args, result, path, mark in lines:
        require(task in _SELECTED, f"task {task} was not selected: {call}")
        require(call in _SELECTED[task], f"{task} {call} was not selected")
        require(path in _ENTRY_PATHS, f"unknown path {path}")
        require(path.endswith("32") == task.endswith("32"), f"{task} {call} via {path}")
        seen.setdefault(task, set()).add(call)
        if call == "probe":
            values = [int(args[f"a{i}"], 16) for i in range(6)]
            want = (probe_mix(values) << 8) | _ENTRY_PATHS.index(path)
            require(int(result, 16) == want, f"{task} probe{values} = {result}, expected {want:#x} via {path}")
    for task, calls in _EXPECTED.items():
        missing = calls - seen.get(task, set())
        require(not missing, f"no trace line for {task} {sorted(missing)}")
    exists = [line for line in boot.lines if re.search(r"vm_map\(.*\) = -8 \(exists\) via", line)]
    require(len(exists) == 6, f"{len(exists)} vm_map lines with -8 (exists), expected 3 per program")
    denied = [line for line in boot.lines
              if re.search(r"syscalls(32)?/\d+ trace\(task_id=0, mask=0xffffffffffffffff\) = -5 \(permission\)", line)]
    require(len(denied) == 2, f"trace() by syscalls and syscalls32: {denied}")
    check_verdict(boot, "pass")
    check_status(boot, PASS)


def check_trace_all(boot):
    check_init_done(boot, 1)
    lines = trace_lines(boot)
    calls = {(task, call) for _, task, _, call, _, _, _, _ in lines}
    for want in [("init", "module_info"), ("init", "spawn"), ("init", "task_wait"), ("init", "shutdown"),
                 ("hello", "debug_write"), ("hello", "task_exit")]:
        require(want in calls, f"no trace line for {want[0]} {want[1]}")
    ends = [l for l in lines if l[3] in ("shutdown", "task_exit")]
    require(all(l[5] == "?" for l in ends), f"calls that do not return must show `= ?`: {ends}")
    not_found = [l for l in lines if l[3] == "module_info" and l[5] == "-4 (not-found)"]
    require(len(not_found) == 1, "init's last module_info should end in -4 (not-found)")
    check_verdict(boot, "pass")
    check_status(boot, PASS)


def check_bad_spec(boot):
    require(any("trace=hello:bogus ignored: unknown call 'bogus'" in line for line in boot.lines),
            "no warning for the bad trace= value")
    require(not trace_lines(boot), "trace lines although trace= was rejected")
    check_init_done(boot, 1)
    check_verdict(boot, "pass")
    check_status(boot, PASS)


INIT = ["--program", "init shutdown"]

CASES = [
    Case("qemu-syscalls-traced", ["--smp", "2", "--cmdline", _TRACE_SPEC] + INIT
         + ["--program", "syscalls", "--program", "syscalls32"], check_traced_calls),
    Case("qemu-syscalls-traced-amd", ["--smp", "2", "--cpu", "amd", "--cmdline", _TRACE_SPEC] + INIT
         + ["--program", "syscalls", "--program", "syscalls32"], check_traced_calls),
    Case("qemu-trace-all", ["--smp", "2", "--cmdline", "trace=all"] + INIT + ["--program", "hello"],
         check_trace_all),
    Case("qemu-trace-bad-spec-ignored", ["--smp", "1", "--cmdline", "trace=hello:bogus"] + INIT
         + ["--program", "hello"], check_bad_spec),
]
