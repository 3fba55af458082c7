"""Injected CPU exceptions: the kernel's fault report and failure verdict."""

from lib import Case, check_oom, fault_boot

CASES = [
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
    Case("qemu-fault-oom", ["--smp", "1", "--cmdline", "shutdown fault=oom"], check_oom),
]
