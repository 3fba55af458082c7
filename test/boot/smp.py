"""SMP: bring-up on 1-8 CPUs, NMIs and machine checks injected from the
host, TLB shootdown, stopping every CPU on a fatal error."""

import re

from lib import (FAIL, PASS, Case, check_smp, check_smp_selftests, check_status,
                 check_tap, check_verdict, require)


def bringup(smp, apic_mode):
    def check(boot):
        check_tap(boot)
        check_smp(boot, smp, apic_mode)
        check_smp_selftests(boot, smp)
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


# --- NMI: every CPU busy (odd CPUs inside a swapgs window), NMIs injected
# with QMP inject-nmi, one per `nmi-test armed` line.

NMI_ROUNDS = 3


def check_nmi(smp):
    def check(boot):
        states = {st["cpu"]: st for st in check_smp(boot, smp)}
        done = boot.record("nmi-test done", ("rounds", "cpus", "inside", "answered", "pass"))
        require(done["rounds"] == NMI_ROUNDS and done["pass"] == 1, f"nmi-test done: {done}")
        nmis = boot.records("nmi")
        for cpu in range(smp):
            mine = [n for n in nmis if n.get("cpu") == cpu]
            counts = sorted(n["count"] for n in mine)
            require(counts == list(range(1, NMI_ROUNDS + 1)),
                    f"cpu {cpu} logged NMIs {counts}, expected 1..{NMI_ROUNDS}")
            lo, hi = [int(x, 16) for x in states[cpu]["ist1"].split("-")]
            for n in mine:
                require(lo <= n["frame"] < hi,
                        f"cpu {cpu} NMI frame {n['frame']:#x} outside its NMI stack {states[cpu]['ist1']}")
                require(n["inside"] == 1, f"cpu {cpu}: the kernel says its NMI frame is outside its stack")
                require(n["gs"] == states[cpu]["gs"],
                        f"cpu {cpu}: NMI handler ran with GS base {n['gs']:#x}, not its own {states[cpu]['gs']:#x}")
                if cpu % 2 == 1:
                    # landed inside the swapgs window: GS base was the user's (0)
                    require(n["entry_gs"] == 0 and n["kgs"] == states[cpu]["gs"],
                            f"cpu {cpu} NMI did not land in the swapgs window: {n}")
                else:
                    require(n["entry_gs"] == states[cpu]["gs"], f"cpu {cpu} NMI entry GS {n['entry_gs']:#x}")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


def nmi_case(name, smp, emulator_args=()):
    return Case(name, ["--smp", str(smp), *emulator_args,
                       "--cmdline", f"test=nmi rounds={NMI_ROUNDS}",
                       "--on", r"^lstar: nmi-test armed=>qmp:inject-nmi"],
                check_nmi(smp))


# --- Machine checks on a chosen CPU, injected with the HMP `mce` command:
# mce CPU BANK STATUS MCG_STATUS ADDR MISC.

MCE_CPU = 2
CORRECTED = ("0x9400000000000000", "0", "0xbeef000", "0")          # VAL|EN|ADDRV
RECOVERABLE = ("0xbd000000000000c0", "0x5", "0x1234000", "0x86")   # VAL|UC|EN|MISCV|ADDRV|S, RIPV|MCIP
FATAL = ("0xb200000000000000", "0x5", "0xdead000", "0")           # VAL|UC|EN|PCC, RIPV|MCIP: fatal by PCC alone


def mce_rule(phase, bank, values):
    return ["--on", rf"^lstar: mce-test ready cpu=(\d+) phase={phase}\b=>hmp:mce {{1}} {bank} {' '.join(values)}"]


def check_mce_recovered(boot):
    events = [e for e in boot.records("mce") if e.get("cpu") == MCE_CPU]
    require(len(events) == 2, f"{len(events)} mce lines for cpu {MCE_CPU}, expected 2: {events}")
    corrected, uc = events
    require(corrected["kind"] == "corrected" and corrected["source"] == "poll"
            and corrected["bank"] == 1 and corrected["addr"] == 0xbeef000,
            f"corrected error logged as {corrected}")
    require(uc["kind"] == "uncorrected" and uc["source"] == "exception" and uc["bank"] == 3
            and uc["addr"] == 0x1234000 and uc["status"] == int(RECOVERABLE[0], 16),
            f"recoverable error logged as {uc}")
    rec = boot.record("mce recovered", ("cpu",))
    require(rec["cpu"] == MCE_CPU, f"mce recovered on cpu {rec['cpu']}")
    require(not boot.records("mce fatal"), "a recoverable error stopped the system")
    require(all(e.get("cpu") == MCE_CPU for e in boot.records("mce")), "an mce line names another CPU")
    check_verdict(boot, "pass")
    check_status(boot, PASS)


def check_mce_fatal(smp):
    def check(boot):
        check_status(boot, FAIL)  # the kernel's own failure verdict, not a triple fault
        ev = boot.record("mce", ("cpu", "bank", "status", "kind"))
        require(ev["cpu"] == MCE_CPU and ev["bank"] == 2 and ev["kind"] == "uncorrected"
                and ev["status"] == int(FATAL[0], 16), f"fatal error logged as {ev}")
        fatal = boot.record("mce fatal", ("cpu",))
        require(fatal["cpu"] == MCE_CPU, f"mce fatal on cpu {fatal['cpu']}")
        stopped = sorted(r["cpu"] for r in boot.records("cpu-stopped"))
        require(stopped == [c for c in range(smp) if c != MCE_CPU],
                f"cpus stopped: {stopped}, expected every CPU but {MCE_CPU}")
        require(all(r["by"] == MCE_CPU for r in boot.records("cpu-stopped")), "stopped by the wrong CPU")
        check_verdict(boot, "fail")
    return check


# --- TLB shootdown, and the same test with remote invalidation skipped,
# which must fail: the check sees stale translations.

def check_tlb(smp, shootdown):
    def check(boot):
        t = boot.record("tlb-test", ("live", "before_ok", "after_ok", "stale", "targets",
                                     "outsider_flushes", "pass"))
        live = smp - 1  # the highest CPU stays out of the address space
        require(t["live"] == (1 << live) - 1, f"tlb-test live={t['live']:#x}")
        require(t["before_ok"] == live, f"tlb-test: {t['before_ok']} of {live} CPUs read the first page")
        require(t["outsider_flushes"] == 0, "a CPU outside the address space got an invalidation")
        if shootdown:
            require(t["after_ok"] == live and t["stale"] == 0, f"stale translations after shootdown: {t}")
            require(t["targets"] == live - 1, f"shootdown asked {t['targets']} CPUs, expected {live - 1}")
            check_verdict(boot, "pass")
            check_status(boot, PASS)
        else:
            require(t["stale"] >= 1 and t["pass"] == 0,
                    f"without shootdown no stale translation was seen: the test cannot fail: {t}")
            check_verdict(boot, "fail")
            check_status(boot, FAIL)
    return check


# --- A panic on one CPU stops all others, each with its backtrace.

def check_panic_stop(smp):
    def check(boot):
        check_status(boot, FAIL)
        i = boot.index(r"^lstar: PANIC: ")
        require(i is not None, "no PANIC line")
        stop = boot.record("stop", ("cpu", "reason"))
        require(stop["reason"] == "panic", f"stop reason={stop['reason']}")
        stopped = boot.records("cpu-stopped")
        require(sorted(r["cpu"] for r in stopped) == [c for c in range(smp) if c != stop["cpu"]],
                f"stopped cpus {[r['cpu'] for r in stopped]}")
        # each stop report is followed by that CPU's own backtrace
        for r in stopped:
            j = boot.index(rf"^lstar: cpu-stopped cpu={r['cpu']}\b")
            require(j + 1 < len(boot.lines) and boot.lines[j + 1].startswith("backtrace:"),
                    f"cpu {r['cpu']} stop report has no backtrace")
            require(re.search(r"idle_loop|ap_main", "\n".join(boot.lines[j + 1:j + 6])),
                    f"cpu {r['cpu']} backtrace does not show where it was")
        check_verdict(boot, "fail")
    return check


# --- The watchdog: the highest CPU spins with interrupts off; its neighbour
# must report it within a few seconds and the NMI must show where it is.

def check_watchdog(smp):
    def check(boot):
        target = smp - 1
        wd = boot.record("watchdog", ("cpu", "stuck_ms", "seen_by"))
        require(wd["cpu"] == target, f"watchdog named cpu {wd['cpu']}, expected {target}")
        require(wd["seen_by"] == target - 1, f"watchdog report from cpu {wd['seen_by']}")
        require(wd["stuck_ms"] >= 1000, f"watchdog fired after {wd['stuck_ms']} ms")
        dump = boot.record("watchdog-dump", ("cpu", "rip"))
        require(dump["cpu"] == target, f"watchdog dump from cpu {dump['cpu']}")
        j = boot.index(r"^lstar: watchdog-dump ")
        require(re.search(r"hang_loop", "\n".join(boot.lines[j + 1:j + 4])),
                 "the stuck CPU's backtrace does not show the loop it is stuck in")
        t = boot.record("watchdog-test", ("detected", "answered", "pass"))
        require(t["pass"] == 1 and t["answered"] == 1, f"watchdog-test: {t}")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


# --- An AP that never answers (its STARTUP IPIs withheld) is reported and
# skipped; the others run, and the self-tests use the CPUs that came up.

def check_withheld(boot):
    rec = boot.record("smp", ("possible", "online", "timed_out"))
    require((rec["possible"], rec["online"], rec["timed_out"]) == (4, 3, 1), f"smp: {rec}")
    t = boot.record("smp timeout", ("cpu", "apic"))
    require(t["apic"] == 2, f"timed-out APIC id {t['apic']}, expected 2")
    cpus = sorted(st["cpu"] for st in boot.records("cpu-state"))
    require(len(cpus) == 3 and t["cpu"] not in cpus, f"cpu-state lines for {cpus}")
    online = sum(1 << c for c in cpus)
    rc = boot.record("selftest remote-call", ("all",))
    require(rc["all"] == online, f"remote call reached {rc['all']:#x}, online {online:#x}")
    ready = boot.record("ready", ("cpus",))
    require(ready["cpus"] == 3, f"ready cpus={ready['cpus']}")
    check_tap(boot)
    check_verdict(boot, "pass")
    check_status(boot, PASS)


BOCHS = ["--emulator", "bochs"]

CASES = [
    Case("qemu-smp-2cpu", ["--smp", "2", "--cmdline", "shutdown"], bringup(2, "xapic")),
    Case("qemu-smp-8cpu", ["--smp", "8", "--cmdline", "shutdown"], bringup(8, "xapic")),
    Case("qemu-smp-8cpu-amd", ["--smp", "8", "--cpu", "amd", "--cmdline", "shutdown"], bringup(8, "xapic")),
    Case("bochs-smp-4cpu-x2apic", [*BOCHS, "--smp", "4", "--cmdline", "shutdown"], bringup(4, "x2apic")),
    Case("bochs-smp-4cpu-forced-xapic", [*BOCHS, "--smp", "4", "--cmdline", "shutdown xapic"], bringup(4, "xapic")),
    nmi_case("qemu-nmi-4cpu", 4),
    nmi_case("qemu-nmi-8cpu-amd", 8, ["--cpu", "amd"]),
    Case("qemu-mce-recoverable", ["--smp", "4", "--cmdline", f"test=mce mce_cpu={MCE_CPU}",
                                  *mce_rule("corrected", 1, CORRECTED),
                                  *mce_rule("recoverable", 3, RECOVERABLE)],
         check_mce_recovered),
    Case("qemu-mce-fatal", ["--smp", "4", "--cmdline", f"test=mce mce_cpu={MCE_CPU}",
                            *mce_rule("corrected", 2, FATAL)],
         check_mce_fatal(4)),
    Case("qemu-tlb-shootdown-4cpu", ["--smp", "4", "--cmdline", "test=tlb"], check_tlb(4, True)),
    Case("qemu-tlb-shootdown-8cpu", ["--smp", "8", "--cmdline", "test=tlb"], check_tlb(8, True)),
    Case("qemu-tlb-without-shootdown-is-caught", ["--smp", "4", "--cmdline", "test=tlb-no-shootdown"],
         check_tlb(4, False)),
    Case("qemu-watchdog-finds-stuck-cpu", ["--smp", "4", "--cmdline", "test=watchdog"], check_watchdog(4)),
    Case("qemu-ap-timeout-is-skipped", ["--smp", "4", "--cmdline", "shutdown smp_withhold_sipi=2"],
         check_withheld),
    Case("qemu-panic-stops-all-cpus", ["--smp", "4", "--cmdline", "shutdown fault=panic"], check_panic_stop(4)),
]
