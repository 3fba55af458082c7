"""Normal boots: memory map, frame allocator, paging self-tests, ready line."""

from lib import Case, healthy_boot


def boot_case(name, emulator="qemu", smp=1, cpu="intel", mem=256):
    args = ["--emulator", emulator, "--smp", str(smp), "--cpu", cpu,
            "--mem", str(mem), "--cmdline", "shutdown"]
    return Case(name, args, healthy_boot(mem, smp, cpu))


CASES = [
    boot_case("qemu-intel-1cpu"),
    boot_case("qemu-intel-4cpu", smp=4),
    boot_case("qemu-amd-4cpu", smp=4, cpu="amd"),
    boot_case("qemu-intel-512mib", smp=2, mem=512),
    boot_case("bochs-intel-1cpu", emulator="bochs"),
    boot_case("bochs-amd-2cpu", emulator="bochs", smp=2, cpu="amd"),
]
