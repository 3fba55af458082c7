"""Helpers for the boot tests: cases, serial-log parsing, checks.

A boot test file in test/boot/ defines CASES, a list of Case objects. Each
case boots the kernel once through tools/boot (its `args` are tools/boot
options; the runner adds the ISO, --quiet, --serial and --timeout) and then
calls `check(boot)` with a Boot: the serial text and tools/boot's exit
status. A check raises CheckFailed (through `require`) to fail the case.

The kernel reports on COM1 in lines of the form

    lstar: TOPIC key=value key=value ...

where TOPIC is one or more words and values are decimal or 0x-hex numbers
(anything else is kept as a string). Self-tests print TAP lines
`ok N - description` / `not ok N - description`.
"""

import re

# Size of every per-CPU stack (entry stack and IST stacks), in bytes.
CPU_STACK_SIZE = 16 * 1024

# Exit statuses of tools/boot.
PASS, FAIL, ERROR = 0, 1, 2

# Offset of the kernel's direct map of physical memory.
DIRECT_MAP_BASE = 0xffff800000000000


class CheckFailed(Exception):
    pass


def require(cond, reason):
    if not cond:
        raise CheckFailed(reason)


class Case:
    """One boot: name, tools/boot arguments, check function, time limit."""

    def __init__(self, name, args, check, timeout=None):
        self.name = name
        self.args = list(args)
        self.check = check
        self.timeout = timeout

    def emulator(self):
        a = self.args
        return a[a.index("--emulator") + 1] if "--emulator" in a else "qemu"


# ---------------------------------------------------------------------------
# Parsing

_KV_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)=(\S*)")
_TAP_RE = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$")


def parse_value(text):
    """Decimal or 0x-hex number as int, anything else unchanged."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
        return int(text, 16)
    return text


def parse_kv_line(line):
    """Split `lstar: TOPIC k=v ...` into (topic, {k: v}); None if not one.

    The topic is every word before the first key=value pair, e.g.
    `lstar: selftest frames allocated=3 freed=3` has the topic
    "selftest frames".
    """
    line = line.strip()
    if not line.startswith("lstar:"):
        return None
    rest = line[len("lstar:"):].strip()
    words = rest.split()
    topic = []
    for w in words:
        if "=" in w:
            break
        topic.append(w)
    values = {k: parse_value(v) for k, v in _KV_RE.findall(rest)}
    return " ".join(topic), values


class Boot:
    """The outcome of one boot: exit status and serial output."""

    def __init__(self, status, serial, stderr=""):
        self.status = status
        self.serial = serial.replace("\r", "")
        self.lines = self.serial.splitlines()
        self.stderr = stderr

    def records(self, topic):
        """All key=value dicts of the `lstar: TOPIC ...` lines, in order."""
        out = []
        for line in self.lines:
            parsed = parse_kv_line(line)
            if parsed and parsed[0] == topic:
                out.append(parsed[1])
        return out

    def record(self, topic, keys=()):
        """The first `lstar: TOPIC` line's values; fails the check if the
        line is missing or lacks one of keys."""
        recs = self.records(topic)
        require(recs, f"no `lstar: {topic} ...` line")
        rec = recs[0]
        missing = [k for k in keys if k not in rec]
        require(not missing,
                f"`lstar: {topic}` line lacks {', '.join(missing)}")
        return rec

    def tap(self):
        """(ok lines, not-ok lines) of the TAP output."""
        oks, not_oks = [], []
        for line in self.lines:
            m = _TAP_RE.match(line.strip())
            if not m:
                continue
            (not_oks if m.group(1) == "not ok" else oks).append(line.strip())
        return oks, not_oks

    def index(self, pattern, start=0):
        """Index of the first line at or after start matching the regex."""
        rx = re.compile(pattern)
        for i in range(start, len(self.lines)):
            if rx.search(self.lines[i]):
                return i
        return None

    def verdict(self):
        found = re.findall(r"lstar: verdict (pass|fail)\b", self.serial)
        if "fail" in found:
            return "fail"
        return "pass" if found else None


def arg_value(args, option, default):
    if option in args:
        return args[args.index(option) + 1]
    return default


# ---------------------------------------------------------------------------
# Checks. Each takes a Boot (and the case's parameters) and raises
# CheckFailed on the first problem.


def check_status(boot, want):
    names = {PASS: "0 (pass)", FAIL: "1 (fail)", ERROR: "2 (error/timeout)"}
    require(boot.status == want,
            f"tools/boot exit status {names.get(boot.status, boot.status)}, "
            f"expected {names[want]}")


def check_verdict(boot, want):
    v = boot.verdict()
    require(v == want, f"serial verdict is {v or 'missing'}, expected {want}")


def check_mem(boot, mem_mib):
    rec = boot.record("mem", ("total_kib", "usable_kib", "regions"))
    usable, want = rec["usable_kib"], mem_mib * 1024
    require(isinstance(usable, int), "mem usable_kib is not a number")
    require(0.90 * want <= usable <= want,
            f"mem usable_kib={usable} not within 90-100% of {want} KiB")
    require(isinstance(rec["regions"], int) and rec["regions"] > 0,
            "mem regions=0")
    return rec


def check_frames(boot, usable_kib):
    boot.record("frames", ("total", "free"))
    rec = boot.record("selftest frames", ("allocated", "freed"))
    alloc, freed = rec["allocated"], rec["freed"]
    require(isinstance(alloc, int) and alloc > 0,
            f"selftest frames allocated={alloc}")
    require(alloc == freed,
            f"selftest frames allocated={alloc} but freed={freed}")
    require(alloc * 4 >= 0.80 * usable_kib,
            f"selftest frames allocated {alloc * 4} KiB, less than 80% of "
            f"usable {usable_kib} KiB")


def check_map(boot):
    rec = boot.record("selftest map", ("virt", "phys", "wrote", "read"))
    for k in ("virt", "phys", "wrote", "read"):
        require(isinstance(rec[k], int), f"selftest map {k} is not a number")
    require(rec["wrote"] != 0, "selftest map wrote=0")
    require(rec["wrote"] == rec["read"],
            f"selftest map wrote={rec['wrote']:#x} read={rec['read']:#x}")
    require(rec["virt"] != rec["phys"] + DIRECT_MAP_BASE,
            "selftest map virt is the direct-map address of phys "
            "(expected a separate mapping)")


def check_heap(boot):
    rec = boot.record("selftest heap", ("allocations", "verified", "in_use_before",
                                        "in_use_after", "double_free"))
    require(isinstance(rec["allocations"], int) and rec["allocations"] > 0,
            "selftest heap allocations=0")
    require(rec["verified"] == rec["allocations"],
            f"selftest heap verified {rec['verified']} of {rec['allocations']} blocks")
    require(rec["in_use_before"] == rec["in_use_after"],
            f"selftest heap in use {rec['in_use_before']} before, {rec['in_use_after']} after")
    require(rec["double_free"] == "caught", "selftest heap double free not caught")


def check_ready(boot, smp):
    rec = boot.record("ready", ("cpus", "ms"))
    require(rec["cpus"] == smp, f"ready cpus={rec['cpus']}, expected {smp}")


def check_tap(boot):
    oks, not_oks = boot.tap()
    if not_oks:
        raise CheckFailed(f"{len(not_oks)} failing self-test(s), first: "
                          f"{not_oks[0]}")
    require(oks, "no `ok N - ...` self-test line")


_VENDORS = {"intel": "GenuineIntel", "amd": "AuthenticAMD"}


def check_cpu(boot, cpu):
    """The feature probe saw the CPU vendor the emulator was asked for."""
    rec = boot.record("cpu", ("vendor", "family", "model", "nx", "syscall"))
    if cpu in _VENDORS:
        require(rec["vendor"] == _VENDORS[cpu], f"cpu vendor={rec['vendor']}, expected {_VENDORS[cpu]}")
    require(rec["nx"] == 1 and rec["syscall"] == 1, "cpu probe: long-mode CPU without nx/syscall?")


def check_madt(boot, smp):
    """The MADT the kernel parsed lists exactly the CPUs the emulator has."""
    boot.record("acpi", ("source", "revision", "root"))
    rec = boot.record("madt", ("cpus", "usable", "ioapics", "lapic"))
    require(rec["usable"] == smp, f"madt usable={rec['usable']}, expected {smp} (--smp)")
    require(isinstance(rec["ioapics"], int) and rec["ioapics"] >= 1, "madt lists no I/O APIC")
    require(rec["lapic"] == 0xFEE00000, f"madt lapic={rec['lapic']:#x}, expected 0xfee00000")


def parse_range(text, what):
    m = re.fullmatch(r"(0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)", str(text))
    require(m, f"{what}={text!r} is not a range 0xLOW-0xHIGH")
    return int(m.group(1), 16), int(m.group(2), 16)


def check_smp(boot, smp, apic_mode=None):
    """Every CPU came up and filled in its own `lstar: cpu-state` line: one
    line per CPU, all CPU numbers, APIC ids, GDTs, TSSs and GS bases
    distinct, and no two stacks (entry stack and IST1-3 of all CPUs)
    overlapping."""
    rec = boot.record("smp", ("possible", "online", "timed_out", "apic"))
    require(rec["possible"] == smp, f"smp possible={rec['possible']}, expected {smp}")
    require(rec["online"] == smp, f"smp online={rec['online']}, expected {smp}")
    require(rec["timed_out"] == 0, f"smp timed_out={rec['timed_out']}")
    if apic_mode:
        require(rec["apic"] == apic_mode, f"smp apic={rec['apic']}, expected {apic_mode}")
    states = boot.records("cpu-state")
    keys = ("cpu", "apic", "gdt", "tr", "tss", "rsp0", "ist1", "ist2", "ist3", "gs", "kgs")
    for st in states:
        missing = [k for k in keys if k not in st]
        require(not missing, f"cpu-state line lacks {', '.join(missing)}")
    require(len(states) == smp, f"{len(states)} cpu-state lines, expected {smp}")
    require(sorted(st["cpu"] for st in states) == list(range(smp)),
            f"cpu-state cpu numbers {sorted(st['cpu'] for st in states)}, expected 0..{smp - 1}")
    for k in ("apic", "gdt", "tss", "gs"):
        vals = [st[k] for st in states]
        require(len(set(vals)) == smp, f"cpu-state {k} values are not distinct: {vals}")
    stacks = []
    for st in states:
        require(st["tr"] == 0x38, f"cpu {st['cpu']}: tr={st['tr']:#x}, expected 0x38")
        require(st["kgs"] == 0, f"cpu {st['cpu']}: kgs={st['kgs']:#x}, expected 0 in the kernel")
        require(st["gs"] >= 1 << 63, f"cpu {st['cpu']}: gs={st['gs']:#x} is not a kernel address")
        stacks.append((st["rsp0"] - CPU_STACK_SIZE, st["rsp0"], f"cpu {st['cpu']} rsp0"))
        for k in ("ist1", "ist2", "ist3"):
            lo, hi = parse_range(st[k], k)
            require(hi - lo == CPU_STACK_SIZE, f"cpu {st['cpu']} {k} is {hi - lo} bytes")
            stacks.append((lo, hi, f"cpu {st['cpu']} {k}"))
    stacks.sort()
    for a, b in zip(stacks, stacks[1:]):
        require(a[1] <= b[0], f"{a[2]} [{a[0]:#x}-{a[1]:#x}) overlaps {b[2]} [{b[0]:#x}-{b[1]:#x})")
    return states


def check_smp_selftests(boot, smp):
    """Remote calls, IPIs and LAPIC timers reached every CPU; the I/O APIC
    delivered ISA IRQ 0 through its overridden GSI."""
    every = (1 << smp) - 1
    rc = boot.record("selftest remote-call", ("one_by_one", "all"))
    require(rc["one_by_one"] == smp and rc["all"] == every, f"remote calls: {rc}")
    ipi = boot.record("selftest ipi", ("one", "all", "others", "self_quiet"))
    require(ipi["one"] == every and ipi["all"] == every and ipi["self_quiet"] == 1, f"IPIs: {ipi}")
    require(ipi["others"] == every & ~1, f"IPI to all but self reached {ipi['others']:#x}")
    t = boot.record("selftest timer", ("periodic", "oneshot", "once", "ticks_per_ms"))
    require(t["periodic"] == every and t["oneshot"] == every and t["once"] == every, f"timers: {t}")
    require(t["ticks_per_ms"] > 0, "lapic timer not calibrated")
    io = boot.record("selftest ioapic", ("gsi", "count"))
    require(io["count"] >= 5, f"ioapic: only {io['count']} PIT interrupts")


def healthy_boot(mem_mib, smp, cpu="intel"):
    """The check of a normal boot with --cmdline shutdown."""
    def check(boot):
        check_tap(boot)
        check_cpu(boot, cpu)
        check_madt(boot, smp)
        rec = check_mem(boot, mem_mib)
        check_frames(boot, rec["usable_kib"])
        check_map(boot)
        check_heap(boot)
        check_smp(boot, smp)
        check_smp_selftests(boot, smp)
        check_ready(boot, smp)
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


# Fault report. The kernel prints, for an injected fault,
#   lstar: fault-injection kind=pf addr=0x...
# then a report starting with a line `lstar: FAULT ...` that names the vector
# (vector=14 / #PF / page fault), the registers (rip=0x..., cr2=0x... for #PF)
# and a `backtrace:` section whose frames carry symbol names.

_VECTOR_NAMES = {
    14: (r"#PF\b", r"page fault"),
    6: (r"#UD\b", r"invalid opcode"),
    13: (r"#GP\b", r"general protection"),
    8: (r"#DF\b", r"double fault"),
    0: (r"#DE\b", r"divide error"),
}


def fault_report(boot):
    """(index of the `lstar: FAULT` line, the report's lines)."""
    i = boot.index(r"^lstar: FAULT\b")
    require(i is not None, "no `lstar: FAULT` line")
    end = len(boot.lines)
    for j in range(i + 1, len(boot.lines)):
        if boot.lines[j].startswith("lstar: verdict"):
            end = j
            break
    return i, boot.lines[i:end]


def check_fault(boot, kind, vector):
    check_status(boot, FAIL)
    inj = boot.record("fault-injection", ("kind",))
    require(inj["kind"] == kind,
            f"fault-injection kind={inj['kind']}, expected {kind}")
    start, report = fault_report(boot)
    text = "\n".join(report)
    head = report[0]
    m = re.search(r"\bvector=(\w+)", head)
    require(m and parse_value(m.group(1)) == vector,
            f"FAULT line does not say vector={vector}: {head!r}")
    require(any(re.search(p, head, re.I) for p in _VECTOR_NAMES.get(vector, ())),
            f"FAULT line does not name vector {vector}: {head!r}")
    require(re.search(r"\brip=0x[0-9a-fA-F]+", text),
            "fault report has no rip=0x...")
    if vector == 14:
        addr = inj.get("addr")
        require(isinstance(addr, int),
                "fault-injection line has no addr=0x...")
        m = re.search(r"\bcr2=(0x[0-9a-fA-F]+)", text)
        require(m, "fault report has no cr2=0x...")
        require(int(m.group(1), 16) == addr,
                f"cr2={m.group(1)} but the injected address is {addr:#x}")
    if vector == 8:
        # a stack overflow: the #PF on the guard page became a #DF, which
        # still has the guard page's address in cr2
        require(re.search(r"\bcr2=0x[0-9a-fA-F]+", text), "#DF report has no cr2=0x...")
        require(re.search(r"stack guard page", text),
                "#DF report does not identify the stack guard page")
    b = next((k for k, line in enumerate(report) if "backtrace:" in line),
             None)
    require(b is not None, "fault report has no backtrace: section")
    frames = report[b:]
    require(any(re.search(r"fault|kernel_main", line.split("backtrace:")[-1])
                for line in frames),
            "no backtrace frame names a symbol containing "
            "`fault` or `kernel_main`")
    check_verdict(boot, "fail")


def fault_boot(kind, vector):
    return lambda boot: check_fault(boot, kind, vector)


def check_oom(boot):
    """fault=oom: operator new of more memory than exists must panic naming
    the size, with a backtrace through the allocator, and fail."""
    check_status(boot, FAIL)
    inj = boot.record("fault-injection", ("kind", "bytes"))
    require(inj["kind"] == "oom", f"fault-injection kind={inj['kind']}, expected oom")
    i = boot.index(r"^lstar: PANIC: out of memory")
    require(i is not None, "no `lstar: PANIC: out of memory` line")
    m = re.search(r"new\((\d+) bytes", boot.lines[i])
    require(m and int(m.group(1)) == inj["bytes"],
            f"panic does not name the requested size {inj['bytes']}: {boot.lines[i]!r}")
    require(any(re.search(r"operator new|checked_alloc", line) for line in boot.lines[i:]),
            "panic backtrace has no frame of the allocator (operator new / checked_alloc)")
    check_verdict(boot, "fail")
