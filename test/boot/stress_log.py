"""A stress run read back: the records of its serial log, what tools/boot
injected from the host, the per-CPU table and the verdict. One place for
both users: tools/stress (make stress) and the boot cases of
test/boot/stress.py.

The guest's records (one line each, `key=value` words) are those of the
stress suite (`stress: suite start|stopping|done`, one `stress: cpu=N ...`
per online CPU, one line per workload), of fuzz (`fuzz: cpu=N calls=C`,
`fuzz: done ...`), of stress32 (`stress32: done ...`), init's account of
each server (`init: server NAME status=S expected=X ok|MISMATCH`) and the
kernel's own (`lstar: mce ...`, `lstar: verdict ...`, panics, the
watchdog). tools/boot's --inject reports on stderr

    tools/boot: inject mce n=N cpu=C bank=B status=0x... at=SECONDS
    tools/boot: injected nmi=N mce=M started=1 stopped=1 ... mce_cpu0=..
"""

import re

from lib import parse_value

WORKLOADS = ("stress", "fuzz", "stress32")
# Workload lines of the suite, in the order they are shown.
SUITE_LINES = ("ipc", "sched", "mem", "caps", "entry", "victim")
# Counters that must stay 0 in every workload line.
BAD_KEYS = ("lost", "dup", "corrupt", "stale", "wrong_cpu", "wrong_badge", "bad")
NMI_PLACES = ("user", "kernel", "stub_user_gs", "stub_kernel_gs")

# A user program's line; a prompt without a newline may precede it.
_PROGRAM_RE = re.compile(r"^(?:lstar> )*(stress|fuzz|stress32|init): (.*)$")
_KV_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)')
# The kernel's own alarms: a panic, a kernel fault, the watchdog, a CPU
# stopping the others, a fatal machine check.
_ALARM_RE = re.compile(r"PANIC|^lstar: (?:watchdog|FAULT|stop|mce fatal)\b")
_INJECTED_RE = re.compile(r"^tools/boot: injected (.*)$", re.M)
_INJECT_MCE_RE = re.compile(r"^tools/boot: inject mce (.*)$", re.M)
_TIMEOUT_RE = re.compile(r"^tools/boot: timeout after ", re.M)


def manifest(seconds, seed, workloads=WORKLOADS, suite=None):
    """The boot manifest of a stress run (format: src/lib/manifest.h);
    suite: the suite's workloads= list (default: all of them)."""
    only = f" workloads={suite}" if suite else ""
    lines = [
        "# A stress run: the victim server, the suite, fuzz and stress32.",
        "server names prio=20",
        "  endpoint names at=2",
        'server victim program=svctest prio=18 args="svctest server"',
        "  endpoint svc at=2",
        f'server stress privileged restart=no args="stress suite seconds={seconds} seed={seed:#x}{only}"',
        "  give victim.svc rights=s at=4",
        "  give init.control rights=s at=5",
    ]
    for name in ("fuzz", "stress32"):
        if name in workloads:
            lines.append(f'server {name} restart=no args="{name} seconds={seconds} seed={seed:#x}"')
    return "\n".join(lines) + "\n"


def boot_args(manifest_path, *, emulator, smp, seed, nmi_ipi, host_nmi_rate=50.0, mce_rate=0.8,
              workloads=WORKLOADS):
    """tools/boot's options of a stress run (without the ISO, the serial log
    and the time limit): the kernel's command line, the programs, the
    manifest and, under QEMU, the host's injection."""
    args = ["--emulator", emulator, "--smp", str(smp),
            "--cmdline", f"nmi_log=0 nmi_ipi={nmi_ipi} seed={seed:#x}",
            "--program", "init shutdown", "--program", "names", "--program", "svctest"]
    for w in workloads:
        args += ["--program", w]
    args += ["--module", f"{manifest_path}:manifest"]
    if emulator == "qemu":
        nmi_ms = 1000.0 / host_nmi_rate if host_nmi_rate else 0
        mce_ms = 1000.0 / mce_rate if mce_rate else 0
        args += ["--inject", f"nmi={nmi_ms:g},mce={mce_ms:g},seed={seed:#x}"]
    return args


def parse_words(text):
    """(topic, {key: value}) of `TOPIC k=v k="v w" ...`: the topic is every
    word before the first key=value; quotes around a value are dropped."""
    head = _KV_RE.search(text)
    topic = " ".join(text[:head.start()].split()) if head else " ".join(text.split())
    values = {}
    for key, value in _KV_RE.findall(text):
        values[key] = value[1:-1] if value.startswith('"') else parse_value(value)
    return topic, values


class Run:
    """Every record of one stress run's serial log."""

    def __init__(self, serial):
        self.lines = serial.replace("\r", "").splitlines()
        self.start = None          # `stress: suite start` values
        self.stopping = False
        self.cpus = {}             # cpu -> `stress: cpu=N` values
        self.duplicate_cpus = []
        self.suite = {}            # workload name -> its line's values
        self.suite_lines = []      # the workload lines as printed
        self.done = None           # `stress: suite done` values
        self.fuzz_start = None
        self.fuzz_cpus = {}        # cpu -> calls
        self.fuzz_done = None
        self.stress32_done = None
        self.servers = []          # (name, values, ok) from init
        self.init_problems = []    # init's lines about a server it could not run
        self.mce_lines = []        # `lstar: mce` values
        self.alarms = []
        self.verdict = None
        self.klog_dropped = 0
        for line in self.lines:
            self._line(line.strip())

    def _line(self, line):
        if _ALARM_RE.search(line):
            self.alarms.append(line)
        m = re.match(r"^lstar: verdict (pass|fail)\b", line)
        if m:
            self.verdict = "fail" if "fail" in (self.verdict, m.group(1)) else "pass"
            return
        if line.startswith("lstar: mce "):
            topic, values = parse_words(line[len("lstar: "):])
            if topic == "mce":
                self.mce_lines.append(values)
            return
        m = re.match(r"^lstar: klog dropped_bytes=(\d+)", line)
        if m:
            self.klog_dropped += int(m.group(1))
            return
        m = _PROGRAM_RE.match(line)
        if not m:
            return
        program, rest = m.groups()
        topic, values = parse_words(rest)
        if program == "stress":
            self._stress(topic, values, rest)
        elif program == "fuzz":
            if topic == "start":
                self.fuzz_start = values
            elif topic == "" and "cpu" in values:
                self.fuzz_cpus[values["cpu"]] = self.fuzz_cpus.get(values["cpu"], 0) + values.get("calls", 0)
            elif topic == "done":
                self.fuzz_done = values
        elif program == "stress32" and topic == "done":
            self.stress32_done = values
        elif program == "init":
            words = rest.split()
            if topic.startswith("server ") and "expected" in values:
                ok = "ok" in words[2:] and "MISMATCH" not in words
                self.servers.append((words[1], values, ok))
            elif re.search(r"^manifest error|^server \S+ (start failed|restart failed|ended .* not restarted)",
                           rest):
                self.init_problems.append(f"init: {rest}")

    def _stress(self, topic, values, text):
        if topic == "suite start":
            self.start = values
        elif topic == "suite stopping":
            self.stopping = True
        elif topic == "suite done":
            self.done = values
        elif topic == "" and isinstance(values.get("cpu"), int):
            if values["cpu"] in self.cpus:
                self.duplicate_cpus.append(values["cpu"])
            self.cpus[values["cpu"]] = values
        elif topic in SUITE_LINES:
            self.suite[topic] = values
            self.suite_lines.append(f"stress: {text}")


class Injection:
    """What tools/boot --inject reported on stderr; present is False when
    there was no injection (Bochs, or no --inject)."""

    def __init__(self, stderr, smp):
        self.present = False
        self.nmi = 0
        self.mce = 0
        self.started = self.stopped = False
        self.seconds = 0.0
        self.mce_cpu = [0] * smp
        self.events = []           # {n, cpu, bank, status, at}
        self.timed_out = bool(_TIMEOUT_RE.search(stderr or ""))
        for m in _INJECT_MCE_RE.finditer(stderr or ""):
            self.events.append(parse_words(m.group(1))[1])
        m = _INJECTED_RE.search(stderr or "")
        if not m:
            return
        v = parse_words(m.group(1))[1]
        self.present = True
        self.nmi, self.mce = v.get("nmi", 0), v.get("mce", 0)
        self.started, self.stopped = v.get("started") == 1, v.get("stopped") == 1
        self.seconds = float(v.get("seconds", 0))
        for cpu in range(smp):
            self.mce_cpu[cpu] = v.get(f"mce_cpu{cpu}", 0)


def nmis(rec):
    return sum(rec.get(f"nmi_{p}", 0) for p in NMI_PLACES)


def _fmt(value):
    return str(value) if value is not None else "-"


def table(run, inj, smp):
    """The per-CPU table (and a totals row) as lines of text."""
    head = ["cpu", "sent", "verified", "switches", "migr", "shootdn", "nmi:user", "kernel",
            "stub_ugs", "stub_kgs", "wrong_gs", "nmi_ipis", "mce log/inj", "fuzz_calls"]
    keys = ["sent", "verified", "switches", "migrations", "shootdowns", "nmi_user", "nmi_kernel",
            "nmi_stub_user_gs", "nmi_stub_kernel_gs", "nmi_wrong_gs", "nmi_ipis"]
    rows, totals = [], [0] * (len(keys) + 3)
    for cpu in range(smp):
        rec = run.cpus.get(cpu)
        row = [str(cpu)]
        for i, k in enumerate(keys):
            v = rec.get(k) if rec else None
            row.append(_fmt(v))
            totals[i] += v if isinstance(v, int) else 0
        logged = rec.get("mce") if rec else None
        injected = inj.mce_cpu[cpu] if inj.present else None
        row.append(f"{_fmt(logged)}/{_fmt(injected)}")
        totals[len(keys)] += logged if isinstance(logged, int) else 0
        totals[len(keys) + 1] += injected or 0
        calls = run.fuzz_cpus.get(cpu)
        row.append(_fmt(calls))
        totals[len(keys) + 2] += calls or 0
        rows.append(row)
    total = ["all"] + [str(t) for t in totals[:len(keys)]]
    total.append(f"{totals[len(keys)]}/{totals[len(keys) + 1] if inj.present else '-'}")
    total.append(str(totals[len(keys) + 2]))
    widths = [max(len(r[i]) for r in [head, total] + rows) for i in range(len(head))]

    def line(cells):
        return "  ".join(c.rjust(w) for c, w in zip(cells, widths))

    return [line(head)] + [line(r) for r in rows] + [line(total)]


def workload_lines(run):
    out = list(run.suite_lines)
    for name, rec in (("fuzz: done", run.fuzz_done), ("stress32: done", run.stress32_done)):
        if rec is not None:
            out.append(name + " " + " ".join(f"{k}={v}" for k, v in rec.items()))
    return out


def _bad_counters(name, rec):
    return [f"{name} {k}={rec[k]}" for k in BAD_KEYS
            if isinstance(rec.get(k), int) and rec[k] != 0]


def verdict(run, inj, *, smp, emulator, status, workloads=WORKLOADS, nmi_ipi=0):
    """(reasons the run failed, notes): the run passed iff reasons is empty.
    status: tools/boot's exit status (0 pass, 1 the kernel's fail, 2 error
    or timeout); nmi_ipi: the rate the kernel was given (nmi_ipi=)."""
    reasons, notes = [], []
    if inj.timed_out:
        reasons.append("timeout (the guest hung or ran far over its time)")
    elif status == 1 or run.verdict == "fail":
        reasons.append("kernel verdict fail")
    elif status != 0:
        reasons.append(f"tools/boot status {status} (no verdict: emulator error, reset or triple fault)")
    if run.verdict is None and not inj.timed_out:
        reasons.append("no `lstar: verdict` line")
    if run.alarms:
        reasons.append(f"{len(run.alarms)} kernel alarm line(s) (panic, fault, watchdog, stop), "
                       f"first: {run.alarms[0]!r}")
    reasons += run.init_problems
    for name, values, ok in run.servers:
        if not ok:
            reasons.append(f"init: server {name} status={values.get('status')} "
                           f"expected={values.get('expected')}")

    if "stress" in workloads:
        _check_suite(run, inj, smp, emulator, nmi_ipi, reasons, notes)
    if "fuzz" in workloads:
        d = run.fuzz_done
        if d is None:
            reasons.append("no `fuzz: done` line")
        else:
            if d.get("verdict") != "pass":
                reasons.append(f"fuzz verdict={d.get('verdict')}")
            for k in ("caps_ok", "memory_ok"):
                if d.get(k) != 1:
                    reasons.append(f"fuzz {k}={d.get(k)}")
            if not isinstance(d.get("calls"), int) or d["calls"] <= 0:
                reasons.append(f"fuzz made no calls (calls={d.get('calls')})")
    if "stress32" in workloads:
        d = run.stress32_done
        if d is None:
            reasons.append("no `stress32: done` line")
        else:
            if d.get("verdict") != "pass":
                reasons.append(f"stress32 verdict={d.get('verdict')}")
            reasons += _bad_counters("stress32", d)
            if not isinstance(d.get("calls"), int) or d["calls"] <= 0:
                reasons.append(f"stress32 made no calls (calls={d.get('calls')})")
    return reasons, notes


def _check_suite(run, inj, smp, emulator, nmi_ipi, reasons, notes):
    if run.start is None:
        reasons.append("no `stress: suite start` line")
        return
    if run.start.get("cpus") != smp:
        reasons.append(f"stress: suite start cpus={run.start.get('cpus')}, expected {smp}")
    if not run.stopping:
        reasons.append("no `stress: suite stopping` line")
    if run.done is None:
        reasons.append("no `stress: suite done` line")
    elif run.done.get("verdict") != "pass":
        reasons.append(f"stress suite verdict={run.done.get('verdict')} "
                       f"reason={run.done.get('reason', '')!r}")
    for name in SUITE_LINES:
        if name in run.suite:
            reasons += _bad_counters(f"stress {name}", run.suite[name])
    ipc = run.suite.get("ipc")
    if ipc is not None and not (isinstance(ipc.get("verified"), int) and ipc["verified"] > 0):
        reasons.append(f"stress ipc verified={ipc.get('verified')}: no IPC message checked")
    missing = [c for c in range(smp) if c not in run.cpus]
    if missing:
        reasons.append(f"no `stress: cpu=N` line for cpu {', '.join(map(str, missing))}")
    if run.duplicate_cpus:
        reasons.append(f"more than one `stress: cpu=N` line for cpu {run.duplicate_cpus}")
    recs = {c: r for c, r in run.cpus.items() if c < smp}
    for c, r in sorted(recs.items()):
        if r.get("nmi_wrong_gs", 0) != 0:
            reasons.append(f"cpu {c} nmi_wrong_gs={r['nmi_wrong_gs']}")
        if not (isinstance(r.get("switches"), int) and r["switches"] > 0):
            reasons.append(f"cpu {c} switches={r.get('switches')}: nothing ran there")
        if ipc is not None and r.get("sent") == 0:
            notes.append(f"cpu {c} sent no IPC message")
    if missing:
        return
    # NMIs coalesce (one may wait while another is handled), so only "at
    # least one" per CPU can be asked for; an upper bound catches counting
    # NMIs nobody sent. CPUs read their counters one after another while
    # nmi_ipi= goes on: a second of the kernel's IPIs is allowed as slack.
    ipis = {c: r.get("nmi_ipis", 0) for c, r in recs.items()}
    total_ipis = sum(ipis.values())
    if nmi_ipi > 0 and total_ipis == 0:
        reasons.append(f"nmi_ipi={nmi_ipi} but no CPU sent an NMI IPI")
    for c, r in sorted(recs.items()):
        from_others = total_ipis - ipis[c]
        if (inj.nmi > 0 or from_others >= 32) and nmis(r) == 0:
            reasons.append(f"cpu {c} counted no NMI ({inj.nmi} from the host, "
                           f"{from_others} IPIs from other CPUs)")
    counted = sum(nmis(r) for r in recs.values())
    bound = inj.nmi * smp + total_ipis + nmi_ipi * smp + smp
    if counted > bound:
        reasons.append(f"the CPUs counted {counted} NMIs, more than were sent "
                       f"({inj.nmi} from the host to each of {smp} CPUs, {total_ipis} IPIs)")
    if emulator != "qemu" or not inj.present:
        return
    if not inj.started:
        reasons.append("tools/boot never began injecting (no start line seen)")
    for c, r in sorted(recs.items()):
        if r.get("mce") != inj.mce_cpu[c]:
            reasons.append(f"cpu {c} counted mce={r.get('mce')}, the host injected {inj.mce_cpu[c]}")
    _check_mce_lines(run, inj, reasons, notes)


def _check_mce_lines(run, inj, reasons, notes):
    """Each injection's status (its number in the error code) must come back
    in an `lstar: mce` line of the CPU and bank it went to."""
    seen = {}
    for rec in run.mce_lines:
        if rec.get("kind") == "corrected" and isinstance(rec.get("status"), int):
            seen.setdefault(rec["status"], []).append(rec)
    wanted = {e["status"]: e for e in inj.events if isinstance(e.get("status"), int)}
    lost = 0
    for status, e in wanted.items():
        got = seen.get(status, [])
        if not got:
            lost += 1
        elif any(g.get("cpu") != e["cpu"] or g.get("bank") != e["bank"] for g in got) or len(got) > 1:
            reasons.append(f"mce n={e['n']} injected on cpu {e['cpu']} bank {e['bank']} "
                           f"logged as {[(g.get('cpu'), g.get('bank')) for g in got]}")
    extra = [s for s in seen if s not in wanted]
    if extra:
        reasons.append(f"{len(extra)} corrected mce line(s) nobody injected, first status={extra[0]:#x}")
    if lost:
        # The count in cpu_stats is decisive; a line can only be missing
        # when the kernel log's ring overflowed.
        (notes if run.klog_dropped else reasons).append(
            f"{lost} injected machine check(s) without an `lstar: mce` line"
            + (f" (the kernel log dropped {run.klog_dropped} bytes)" if run.klog_dropped else ""))


def summary(run, inj, smp):
    """The figures of the verdict line."""
    recs = [run.cpus[c] for c in range(smp) if c in run.cpus]
    ipc = run.suite.get("ipc", {})
    parts = [f"cpus={smp}",
             f"msgs={ipc.get('verified', sum(r.get('verified', 0) for r in recs))}",
             f"switches={sum(r.get('switches', 0) for r in recs)}",
             f"nmis={sum(nmis(r) for r in recs)}",
             f"host_nmi={inj.nmi if inj.present else '-'}",
             f"mce={sum(r.get('mce', 0) for r in recs)}/{inj.mce if inj.present else '-'}",
             f"fuzz_calls={(run.fuzz_done or {}).get('calls', '-')}",
             f"stress32_calls={(run.stress32_done or {}).get('calls', '-')}"]
    return " ".join(parts)


def to_json(run, inj, smp, reasons, notes, config):
    return {
        "config": config,
        "pass": not reasons,
        "reasons": reasons,
        "notes": notes,
        "kernel_verdict": run.verdict,
        "start": run.start,
        "cpus": [run.cpus.get(c) for c in range(smp)],
        "suite": run.suite,
        "suite_done": run.done,
        "fuzz": {"start": run.fuzz_start, "cpus": {str(k): v for k, v in sorted(run.fuzz_cpus.items())},
                 "done": run.fuzz_done},
        "stress32": run.stress32_done,
        "servers": [{"name": n, **v, "ok": ok} for n, v, ok in run.servers],
        "mce_lines": run.mce_lines,
        "injected": {"present": inj.present, "nmi": inj.nmi, "mce": inj.mce, "mce_cpu": inj.mce_cpu,
                     "started": inj.started, "stopped": inj.stopped, "seconds": inj.seconds,
                     "events": inj.events, "timed_out": inj.timed_out},
        "alarms": run.alarms,
    }
