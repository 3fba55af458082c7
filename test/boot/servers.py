"""Boot cases of init's manifest and the servers it starts: a server killed
in the middle of calls and restarted, a malformed manifest, and the base
system of the ISO (names, console, timer, hello_server, shell)."""
import os
import re

from lib import FAIL, PASS, Case, check_status, check_verdict, require
from sched import user_records

_MANIFESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "manifests")
INIT = ["--program", "init shutdown"]


def manifest(name):
    return ["--module", f"{os.path.join(_MANIFESTS, name)}:manifest"]


def server_lines(boot, name, verb):
    """The `init: server NAME ... VERB` lines' values (task=, status=...)."""
    out = []
    for rec_line in boot.lines:
        m = re.match(rf"^init: server {re.escape(name)} (.*)$", rec_line.strip())
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
