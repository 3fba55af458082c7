"""The stress suite (`make stress`) as boot cases: every workload at once
(the stress suite with its victim server, fuzz, stress32) with the kernel's
NMI IPIs, and under QEMU NMIs and corrected machine checks from the host
(tools/boot --inject). The verdict is that of tools/stress
(test/boot/stress_log.py); on top of it the host must really have
injected for about the whole run."""

import atexit
import os
import shutil
import tempfile

import stress_log
from lib import Case, require

SEED = 0x5EED
NMI_IPI = 100          # per CPU per second
HOST_NMI_RATE = 50.0   # QEMU: NMIs per second from the host
MCE_RATE = 0.8         # QEMU: corrected machine checks per second


_DIR = tempfile.mkdtemp(prefix="lstar-stress-")
atexit.register(shutil.rmtree, _DIR, True)


def _manifest(seconds):
    path = os.path.join(_DIR, f"stress-{seconds}s.manifest")
    with open(path, "w") as f:
        f.write(stress_log.manifest(seconds, SEED))
    return path


def stress_check(emulator, smp, seconds):
    def check(boot):
        run = stress_log.Run(boot.serial)
        inj = stress_log.Injection(boot.stderr, smp)
        reasons, _ = stress_log.verdict(run, inj, smp=smp, emulator=emulator, status=boot.status,
                                        nmi_ipi=NMI_IPI)
        require(not reasons, "; ".join(reasons))
        if emulator != "qemu":
            return
        # The injection window is the suite's run (start to stopping line).
        require(inj.started and inj.stopped and inj.seconds >= 0.8 * seconds,
                f"host injection ran {inj.seconds:.1f} s of the {seconds} s run "
                f"(started={inj.started}, stopped={inj.stopped})")
        require(inj.nmi >= 0.3 * HOST_NMI_RATE * inj.seconds,
                f"the host injected only {inj.nmi} NMIs in {inj.seconds:.1f} s")
        want = (seconds - 1.5) * MCE_RATE / 3
        require(inj.mce >= want, f"the host injected only {inj.mce} machine checks, expected {want:.0f}+")
    return check


def stress_case(name, emulator, smp, seconds, timeout):
    args = stress_log.boot_args(_manifest(seconds), emulator=emulator, smp=smp, seed=SEED, nmi_ipi=NMI_IPI,
                                host_nmi_rate=HOST_NMI_RATE, mce_rate=MCE_RATE)
    return Case(name, args, stress_check(emulator, smp, seconds), timeout=timeout)


CASES = [
    stress_case("qemu-stress-4cpu", "qemu", 4, 20, timeout=75),
    stress_case("bochs-stress-2cpu", "bochs", 2, 4, timeout=150),
]
