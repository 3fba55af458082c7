"""Boot cases of init's manifest and the servers it starts: a server killed
in the middle of calls and restarted, a malformed manifest, and the base
system of the ISO (names, console, timer, hello_server, shell), the shell
running the stress suite included."""
import os
import re

from lib import FAIL, PASS, Case, check_status, check_verdict, parse_value, require
from sched import user_records

_MANIFESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "manifests")
INIT = ["--program", "init shutdown"]


def manifest(name):
    return ["--module", f"{os.path.join(_MANIFESTS, name)}:manifest"]


def server_lines(boot, name, verb):
    """The `init: server NAME ... VERB` lines' values (task=, status=...)."""
    out = []
    for rec_line in boot.lines:
        # The shell's prompt has no newline: a line may follow it.
        m = re.match(rf"^(?:lstar> )*init: server {re.escape(name)} (.*)$", rec_line.strip())
        if not m:
            continue
        rest = m.group(1)
        words = [w for w in rest.split() if "=" not in w]
        if verb in words or (verb.endswith("=") and verb in rest):
            out.append(dict(kv.split("=", 1) for kv in rest.split() if "=" in kv))
    return out


def one(recs, what):
    require(len(recs) == 1, f"{len(recs)} {what} lines, expected 1")
    return recs[0]


def check_restart(boot):
    """The prober's calls before the kill, the held call cancelled by the
    kill, the calls after it answered by the restarted server, and init's
    own account of it."""
    check_status(boot, PASS)
    check_verdict(boot, "pass")
    c = one(user_records(boot, "svctest", "client"), "`svctest: client`")
    calls = c["calls"]
    require(calls == 50, f"client made {calls} calls per phase, expected 50")
    require(c["ok_before"] == calls and c["ok_after"] == calls and c["bad"] == 0,
            f"checked echoes: {c}")
    require(c["kill"] == 0, f"init refused the kill: {c['kill']}")
    require(c["hold"] == -13, f"the call held by the killed server returned {c['hold']}, expected -13 (kCancelled)")
    started = one(server_lines(boot, "victim", "started"), "victim started")
    ended = one(server_lines(boot, "victim", "ended"), "victim ended")
    restarted = one(server_lines(boot, "victim", "restarted"), "victim restarted")
    old, new = int(started["task"]), int(restarted["task"])
    require(c["killed"] == old and int(ended["task"]) == old,
            f"killed task {c['killed']}, init started {old} and saw {ended['task']} end")
    require(int(ended["status"], 16) == 0x1FF, f"victim ended with {ended['status']}, expected 0x1ff (init's kill)")
    require(c["new_task"] == new and new != old, f"answers after the restart came from task {c['new_task']}, "
            f"init restarted the server as {new}")
    ready = [r["task"] for r in user_records(boot, "svctest", "server ready")]
    require(ready == [old, new], f"server instances ready: {ready}, expected [{old}, {new}]")
    prober = one(server_lines(boot, "prober", "expected="), "prober verdict")
    require(prober["status"] == "0" and prober["expected"] == "0", f"prober: {prober}")


def check_bad_manifest(boot):
    check_status(boot, FAIL)
    check_verdict(boot, "fail")
    errors = [l for l in boot.lines if l.startswith("init: manifest error")]
    require(errors == ["init: manifest error line 5: give nobody.svc names unknown server 'nobody'"],
            f"manifest error lines: {errors}")
    require(not any(l.startswith("init: server ") for l in boot.lines), "init started a server anyway")
    done = one(user_records(boot, "init", "done"), "`init: done`")
    require(done["mismatched"] == 1, f"init: {done}")


RESTART = INIT + ["--program", "svctest"] + manifest("restart.manifest")

CASES = [
    Case("qemu-servers-restart-2cpu", ["--smp", "2"] + RESTART, check_restart),
    Case("qemu-servers-restart-1cpu", ["--smp", "1"] + RESTART, check_restart),
    Case("qemu-servers-bad-manifest", ["--smp", "1"] + INIT + manifest("bad.manifest"),
         check_bad_manifest),
]


# --- The base system of the ISO, driven through the serial console ---------

# A row may follow a redrawn prompt or input fragment on the same line.
_ROW_RE = re.compile(r"(?:^|\s)(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(running|ready|blocked|waking|dead)\s+(\d+)\s+(\d+)$")
_CPU_RE = re.compile(r"^(?:lstar> )?(cpu (\d+)|all): (fast_calls=.*)$")
BASE_SERVERS = ["names", "console", "timer", "hello_server", "shell"]

SHELL_SCRIPT = [
    "--send", r"lstar> $=>ps\r",
    "--send", r"lstar> $=>cpus\r",
    "--send", r"lstar> $=>kill hello_server\r",
    # The prompt after kill may come before the restart: wait for the new
    # instance instead; then for the second table's header, so that the
    # prompt shutdown waits for is the one after that table (kernel and
    # server lines reach the console through the kernel log, a little late).
    "--send", r"^hello_server: ready .*registered=1$=>ps\r",
    "--send", r"TASK +TID NAME=>",
    "--send", r"lstar> $=>shutdown\r",
]


def ps_tables(boot):
    """Each `ps` table the shell printed: [{task, tid, name, cpu, state}]."""
    # The console redraws a half-typed input line below lines that arrive
    # meanwhile, and kernel lines may come between rows: only a prompt on a
    # line of its own, or the next header, ends a table.
    tables, rows = [], None
    for line in boot.lines:
        if re.search(r"TASK +TID +NAME", line):
            rows = []
            tables.append(rows)
            continue
        m = _ROW_RE.search(line)
        if m and rows is not None:
            rows.append({"task": int(m.group(1)), "tid": int(m.group(2)), "name": m.group(3),
                         "cpu": int(m.group(4)), "state": m.group(5)})
        elif rows is not None and line.strip() == "lstar>":
            rows = None
    return tables


def check_shell(cpus):
    def check(boot):
        check_status(boot, PASS)
        check_verdict(boot, "pass")
        shut = boot.record("shutdown", ("task", "pass"))
        require(shut["task"] == "shell" and shut["pass"] == 1, f"shutdown: {shut}")
        smp = boot.record("smp", ("online",))
        require(smp["online"] == cpus, f"{smp['online']} CPUs online, expected {cpus}")
        ids = {}
        for name in BASE_SERVERS:
            ids[name] = int(one(server_lines(boot, name, "started"), f"{name} started")["task"])
        tables = ps_tables(boot)
        require(len(tables) == 2, f"{len(tables)} ps tables, expected 2")
        for n, table in enumerate(tables):
            require(all(r["cpu"] < cpus for r in table), f"ps #{n + 1} shows a CPU >= {cpus}: {table}")
        first = {r["name"]: r["task"] for r in tables[0]}
        for name in BASE_SERVERS:
            require(first.get(name) == ids[name], f"ps #1 shows {name} as task {first.get(name)}, "
                    f"init started it as {ids[name]}")
        require("init" in first, "ps #1 does not list init")
        # cpus: one line per online CPU, and `all` is their sum.
        per_cpu, total = {}, None
        for line in boot.lines:
            m = _CPU_RE.match(line.strip())
            if not m:
                continue
            values = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(3))}
            if m.group(2) is None:
                total = values
            else:
                per_cpu[int(m.group(2))] = values
        require(sorted(per_cpu) == list(range(cpus)), f"cpus listed CPUs {sorted(per_cpu)}, expected 0..{cpus - 1}")
        require(total is not None, "cpus printed no `all:` line")
        for key, value in total.items():
            summed = sum(v.get(key, 0) for v in per_cpu.values())
            require(summed == value, f"cpus: all {key}={value}, the CPUs sum to {summed}")
        require(total["slow_calls"] + total["fast_calls"] > 0, f"cpus counted no calls: {total}")
        # kill hello_server: init restarts it; the second ps shows the new task.
        old = ids["hello_server"]
        killed = [l for l in boot.lines if l.strip().endswith(f"kill: task {old} killed")]
        require(killed, f"the shell did not report `kill: task {old} killed`")
        ended = one(server_lines(boot, "hello_server", "ended"), "hello_server ended")
        require(int(ended["task"]) == old and int(ended["status"], 16) == 0x1FF, f"hello_server ended: {ended}")
        new = int(one(server_lines(boot, "hello_server", "restarted"), "hello_server restarted")["task"])
        second = {r["name"]: r["task"] for r in tables[1]}
        require(second.get("hello_server") == new and new != old,
                f"ps #2 shows hello_server as task {second.get('hello_server')}, init restarted it as {new}")
        require(not any(r["task"] == old for r in tables[1]), f"ps #2 still lists task {old}")
        names = [l for l in boot.lines if l.strip().endswith("names: re-registered hello badge=3")]
        require(len(names) == 1, "the restarted hello_server did not take its name back")
    return check


CASES += [
    Case("qemu-shell-4cpu", ["--smp", "4"] + SHELL_SCRIPT, check_shell(4)),
    Case("qemu-shell-2cpu-amd", ["--smp", "2", "--cpu", "amd"] + SHELL_SCRIPT, check_shell(2)),
]


# --- The shell's `stress`: the stress suite started from the console -------

STRESS_SECONDS = 3
STRESS_SEED = 0x5EED

# The suite's records reach the console through the kernel log, after the
# shell's own `ended` line as often as before it. The kernel's task-exit
# line of the suite comes after all of them, however the suite ended: an
# empty line then brings a prompt for shutdown.
SHELL_STRESS_SCRIPT = [
    "--send", rf"lstar> $=>stress {STRESS_SECONDS} seed={STRESS_SEED:#x}\r",
    "--send", r"^lstar: task-exit task=stress\b=>\r",
    "--send", r"lstar> $=>shutdown\r",
]

# A console line may follow the prompt, which has no newline.
_PROMPTS = r"(?:^|lstar> )"
_STARTED_RE = re.compile(_PROMPTS + r"stress: started task=(\d+) seconds=(\d+) seed=(0x[0-9a-f]+)$")
_ENDED_RE = re.compile(_PROMPTS + r"stress: task (\d+) ended status=(0x[0-9a-f]+) verdict=(\w+)$")
_SUITE_RE = re.compile(_PROMPTS + r"stress: (suite start|suite done|cpu=\d+) (.*)$")


def shell_stress_lines(boot, regex):
    return [m.groups() for m in (regex.search(l.strip()) for l in boot.lines) if m]


def check_shell_stress(cpus):
    def check(boot):
        check_status(boot, PASS)
        check_verdict(boot, "pass")
        shut = boot.record("shutdown", ("task", "pass"))
        require(shut["task"] == "shell" and shut["pass"] == 1, f"shutdown: {shut}")
        require(not any(re.search(r"init: (started|spawn) stress\b", l) for l in boot.lines),
                "init started the stress module itself (it is `nostart`)")
        started = shell_stress_lines(boot, _STARTED_RE)
        require(len(started) == 1, f"{len(started)} `stress: started` lines, expected 1")
        task, seconds, seed = int(started[0][0]), int(started[0][1]), int(started[0][2], 16)
        require(seconds == STRESS_SECONDS and seed == STRESS_SEED,
                f"the shell started the suite for {seconds} s with seed {seed:#x}, "
                f"asked for {STRESS_SECONDS} s with {STRESS_SEED:#x}")
        ended = shell_stress_lines(boot, _ENDED_RE)
        require(len(ended) == 1, f"{len(ended)} `stress: task N ended` lines, expected 1")
        require(int(ended[0][0]) == task, f"the shell started task {task} and saw task {ended[0][0]} end")
        require(int(ended[0][1], 16) == 0 and ended[0][2] == "pass",
                f"the suite ended with status {ended[0][1]} verdict={ended[0][2]}, expected 0x0 and pass")
        # The kernel's own account of the task the shell named.
        starts = [r for r in boot.records("task-start") if r.get("task") == "stress"]
        require([r.get("id") for r in starts] == [task], f"the kernel started stress tasks "
                f"{[r.get('id') for r in starts]}, the shell reported {task}")
        exits = [r for r in boot.records("task-exit") if r.get("id") == task]
        require(len(exits) == 1 and exits[0].get("status") == 0, f"task-exit of task {task}: {exits}")
        # The suite's records: its parameters, a line per CPU, its verdict.
        suite = {}
        for topic, rest in shell_stress_lines(boot, _SUITE_RE):
            values = {k: parse_value(v) for k, v in re.findall(r"(\w+)=(\S+)", rest)}
            if topic.startswith("cpu="):
                values["cpu"] = int(topic[len("cpu="):])
                suite.setdefault("cpu", []).append(values)
            else:
                suite.setdefault(topic, []).append(values)
        start = suite.get("suite start", [])
        require(len(start) == 1, f"{len(start)} `stress: suite start` lines, expected 1")
        require(start[0].get("seconds") == STRESS_SECONDS and start[0].get("seed") == STRESS_SEED
                and start[0].get("cpus") == cpus, f"suite start: {start[0]}")
        done = suite.get("suite done", [])
        require(len(done) == 1, f"{len(done)} `stress: suite done` lines, expected 1")
        require(done[0].get("verdict") == "pass", f"suite done: {done[0]}")
        per_cpu = suite.get("cpu", [])
        require(sorted(r["cpu"] for r in per_cpu) == list(range(cpus)),
                f"`stress: cpu=N` lines for CPUs {sorted(r['cpu'] for r in per_cpu)}, expected 0..{cpus - 1}")
        for r in per_cpu:
            require(r.get("sent", 0) > 0 and r.get("sent") == r.get("verified"),
                    f"cpu {r['cpu']}: sent={r.get('sent')} verified={r.get('verified')}")
    return check


CASES += [
    Case("qemu-shell-stress-2cpu", ["--smp", "2"] + SHELL_STRESS_SCRIPT, check_shell_stress(2), timeout=60),
]
