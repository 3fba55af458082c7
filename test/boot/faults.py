"""Injected CPU exceptions: the kernel's fault report and failure verdict;
user tasks that touch I/O ports they were not granted."""

import re

from lib import FAIL, PASS, Case, check_oom, check_status, check_verdict, fault_boot, require
from sched import fault, fault_case, user_records

# Exit status of a task killed by the kernel: this plus the vector
# (abi::kStatusKilled).
STATUS_KILLED = 0x100
GP = 13

# Parts of the text the fault program's io-out and io-popf kinds write to
# COM1's data port (kOutMarker in src/servers/fault/main.cpp): parts, since
# the kernel's own output may cut in, and a UART whose FIFO the writes
# overrun (Bochs) drops bytes.
OUT_MARKER_PARTS = ("XXXX", "io-out reached")


def io_fault_case(kind, writes_marker=False):
    """A task without I/O port rights (no ioports capability, IOPL 0) that
    runs in, out or cli is killed with #GP at that instruction, error code
    0, and exit status kStatusKilled + 13; the rest carries on. For the
    writing kinds, none of the bytes reached the serial line."""
    common = fault_case(kind, GP)

    def check(boot):
        # The most telling failure first: the kernel obeyed the writes.
        if writes_marker:
            leaked = [p for p in OUT_MARKER_PARTS if p in boot.serial]
            require(not leaked, f"the port writes reached the serial line ({leaked} in the output)")
        common(boot)
        about = user_records(boot, "fault", "about to fault")
        require(len(about) == 1 and about[0].get("kind") == kind, f"`fault: ... about to fault` lines: {about}")
        a = about[0]
        require(a["iopl"] == 0, f"the task ran with IOPL {a['iopl']}, expected 0")
        k = boot.records("task-killed")[0]
        require(k["rip"] == a["insn"],
                f"killed at rip={k['rip']:#x}, not at the port instruction {a['insn']:#x}")
        require(k["error"] == 0, f"#GP error code {k['error']:#x}, expected 0")
        exits = [e for e in boot.records("task-exit") if e.get("task") == "fault"]
        require(len(exits) == 1 and exits[0]["status"] == STATUS_KILLED + GP,
                f"task-exit: {exits}, expected status={STATUS_KILLED + GP:#x}")
        waited = [r for r in user_records(boot, "init", "fault") if "status" in r]
        require(len(waited) == 1 and waited[0]["status"] == STATUS_KILLED + GP,
                f"init saw {waited}, expected status={STATUS_KILLED + GP}")
    return check


def check_lock_stall(boot):
    """fault=stall: CPU 0 holds a spinlock for 3 s while a thread on another
    CPU waits for it. The waiter reports the stall once it has waited 1 s,
    naming the lock, the holder's CPU and where the holder took it, and gets
    the lock once it is released; the boot goes on to its verdict."""
    stalls = [r for r in boot.records("lock stall") if r.get("lock") == "injected-stall"]
    require(stalls, "no `lstar: lock stall lock=injected-stall ...` report")
    first = stalls[0]
    require(first["holder"] == 0 and first["cpu"] != 0, f"stall report names holder/waiter wrongly: {first}")
    require(1000 <= first["waited_ms"] < 3000, f"first report after {first['waited_ms']} ms, expected 1000..3000")
    require("inject_stall" in boot.serial.split("lstar: lock stall", 1)[1].split("\n", 1)[0],
            "the report does not name where the holder took the lock (inject_stall)")
    done = boot.record("stall-test", ("waiter_done",))
    require(done["waiter_done"] == 1, "the waiter never got the lock after the holder let go")
    check_verdict(boot, "pass")
    check_status(boot, PASS)


# Events of each CPU in a panic report (trace::kReportEvents).
REPORT_EVENTS = 8
EVENT_RE = re.compile(r"^  #(\d+) t=\d+\.\d{6}s \[cpu(\d+)\] \S+/\d+ \w+\(.*\) = ")


def trace_dump_at(boot, i, cpu):
    """The `lstar: trace-dump cpu=CPU` report at line i and its event lines:
    at least one and at most REPORT_EVENTS, as many as it says, each of that
    CPU, in sequence order ending with the newest (calls=)."""
    line = boot.lines[i] if i is not None and i < len(boot.lines) else ""
    m = re.match(r"lstar: trace-dump cpu=(\d+) calls=(\d+) shown=(\d+)$", line)
    require(m and int(m.group(1)) == cpu, f"cpu {cpu}: expected its trace-dump, found {line!r}")
    calls, shown = int(m.group(2)), int(m.group(3))
    require(1 <= shown <= REPORT_EVENTS and shown <= calls,
            f"cpu {cpu}: trace-dump calls={calls} shown={shown}, expected 1..{REPORT_EVENTS} shown")
    events = [EVENT_RE.match(text) for text in boot.lines[i + 1:i + 1 + shown]]
    require(len(events) == shown and all(events), f"cpu {cpu}: {shown} event lines expected after {line!r}")
    seqs = [int(e.group(1)) for e in events]
    require(seqs == list(range(calls - shown + 1, calls + 1)), f"cpu {cpu}: events numbered {seqs}, calls={calls}")
    # An event names the CPU it entered or returned on: its own ring's CPU.
    require(all(int(e.group(2)) == cpu for e in events), f"cpu {cpu}: an event of another CPU in its ring")
    return i + 1 + shown


def check_panic_late(smp):
    """fault=panic-late: a kernel thread panics once every CPU has recorded a
    system call, while init and the servers run. Each other CPU's stop report
    is its backtrace, then its last system calls; then the panicking CPU's
    own calls; every CPU stops and none times out."""
    def check(boot):
        check_status(boot, FAIL)
        inj = re.search(r"lstar: fault-injection kind=panic-late cpus_without_calls=(0x[0-9a-f]+)", boot.serial)
        require(inj, "no `lstar: fault-injection kind=panic-late` line")
        require(int(inj.group(1), 16) == 0, f"CPUs without a system call when it panicked: {inj.group(1)}")
        p = boot.index(r"^lstar: PANIC: deliberate panic from a kernel thread while tasks run \(cpu (\d+)\)")
        require(p is not None, "no PANIC line")
        me = int(re.search(r"\(cpu (\d+)\)", boot.lines[p]).group(1))
        stop = boot.record("stop", ("cpu", "reason"))
        require(stop["cpu"] == me and stop["reason"] == "panic", f"stop line {stop}, panic on cpu {me}")
        require(not boot.records("stop timeout"), f"stop timeouts: {boot.records('stop timeout')}")
        stopped = [r["cpu"] for r in boot.records("cpu-stopped")]
        require(sorted(stopped) == [c for c in range(smp) if c != me], f"stopped cpus {stopped}")
        end = p
        for cpu in stopped:
            j = boot.index(rf"^lstar: cpu-stopped cpu={cpu}\b", p)
            require(j + 1 < len(boot.lines) and boot.lines[j + 1] == "backtrace:",
                    f"cpu {cpu} stop report has no backtrace")
            k = j + 2
            while k < len(boot.lines) and re.match(r"^  #\d+ 0x[0-9a-f]+ ", boot.lines[k]):
                k += 1
            require(k > j + 2, f"cpu {cpu} backtrace is empty")
            end = max(end, trace_dump_at(boot, k, cpu))
        # the panicking CPU's own calls come after every stop report
        trace_dump_at(boot, end, me)
        dumps = boot.records("trace-dump")
        require(len(dumps) == smp, f"{len(dumps)} trace-dumps, one per CPU expected")
        check_verdict(boot, "fail")
    return check

CASES = [
    Case("qemu-lock-stall-reported", ["--smp", "2", "--cmdline", "shutdown fault=stall"], check_lock_stall),
    Case("qemu-fault-pf", ["--smp", "1", "--cmdline", "shutdown fault=pf"],
         fault_boot("pf", 14)),
    Case("qemu-fault-ud", ["--smp", "1", "--cmdline", "shutdown fault=ud"],
         fault_boot("ud", 6)),
    Case("qemu-fault-de", ["--smp", "1", "--cmdline", "shutdown fault=de"],
         fault_boot("de", 0)),
    Case("qemu-fault-gp", ["--smp", "1", "--cmdline", "shutdown fault=gp"],
         fault_boot("gp", 13)),
    Case("qemu-fault-stack-overflow", ["--smp", "1", "--cmdline", "shutdown fault=stack"],
         fault_boot("stack", 8)),
    Case("qemu-panic-late-reports-every-cpu", ["--smp", "4", "--cmdline", "fault=panic-late"], check_panic_late(4),
         timeout=60),
    Case("qemu-fault-oom", ["--smp", "1", "--cmdline", "shutdown fault=oom"], check_oom),
    Case("qemu-user-io-in-killed", ["--smp", "2"] + fault("io-in"), io_fault_case("io-in")),
    Case("qemu-user-io-out-killed", ["--smp", "2"] + fault("io-out"), io_fault_case("io-out", writes_marker=True)),
    Case("qemu-user-io-cli-killed", ["--smp", "2"] + fault("io-cli"), io_fault_case("io-cli")),
    Case("qemu-user-io-popf-killed", ["--smp", "2"] + fault("io-popf"),
         io_fault_case("io-popf", writes_marker=True)),
    Case("bochs-user-io-out-killed", ["--emulator", "bochs", "--smp", "2"] + fault("io-out"),
         io_fault_case("io-out", writes_marker=True)),
]
