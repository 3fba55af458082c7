"""32-bit tasks: ELF32 i386 programs loaded as compatibility-mode tasks.

hello32 (src/servers/hello built with lstar_user32) runs next to the 64-bit
hello and reports what it found at _start: argc and argv, every register,
EFLAGS, the stack pointer and the auxiliary vector. The checks compare that
with what the kernel says it set up (`lstar: task-start ... mode=32`) and
with the 32-bit layout of docs/tasks.md, on an Intel and an AMD CPU model
(whose 32-bit entry instructions differ). Malformed ELF32 modules are
refused with the parser's exact reason, and a hand-made ELF32 file (one
`int 0x80`, no runtime) shows the loader does not depend on our linker."""

import os
import re
import struct
import tempfile

from lib import PASS, Case, check_status, check_tap, check_verdict, parse_value, require

# The 32-bit layout (lib/abi/syscall.h, docs/tasks.md).
STACK_TOP32 = 0xFFFFC000
STACK_PAGES = 16
ENTRY_PAGE32 = 0xFFFFE000
IMAGE_TOP32 = STACK_TOP32 - (STACK_PAGES + 1) * 0x1000  # segments end below this
ENTRY_PAGE64 = 0x7FFFFFE00000
BASE32 = 0x08048000  # where user32.ld links 32-bit programs

_USER_RE = re.compile(r"^([a-z0-9_]+): (\S+)(.*)$")
_KV_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)")


def user_records(boot, program, topic):
    """key=value dicts of the `PROGRAM: TOPIC k=v ...` lines a program printed."""
    out = []
    for line in boot.lines:
        m = _USER_RE.match(line.strip())
        if m and m.group(1) == program and m.group(2) == topic:
            out.append({k: parse_value(v) for k, v in _KV_RE.findall(m.group(3))})
    return out


def one(records, what):
    require(len(records) == 1, f"{len(records)} {what} lines, expected 1")
    return records[0]


def check_init(boot, started, ok):
    d = one(user_records(boot, "init", "done"), "`init: done`")
    require(d["started"] == started and d["ok"] == ok and d["mismatched"] == 0,
            f"init: {d} (expected {started} started, {ok} ok)")
    shut = boot.record("shutdown", ("pass", "selftests"))
    require(shut["pass"] == 1 and shut["selftests"] == 1, f"shutdown: {shut}")


def check_task(boot, task, status=0):
    """The task's one thread exited with `status` and its pages were freed."""
    exits = [r for r in boot.records("thread-exit") if r.get("task") == task]
    require(len(exits) == 1 and exits[0]["code"] == status, f"{task} thread-exit: {exits}")
    gone = [r for r in boot.records("task-exit") if r.get("task") == task]
    require(len(gone) == 1, f"{task}: {len(gone)} task-exit lines")
    g = gone[0]
    require(g["status"] == status and g["pages"] > 0 and g["pages_freed"] == g["pages"],
            f"{task} task-exit: {g}")


def check_initial_state(boot, program, start, mode, phent):
    """What the program saw at _start agrees with the kernel's task-start."""
    st = one(user_records(boot, program, "initial-state"), f"`{program}: initial-state`")
    require(st["mode"] == mode, f"{program} runs in {st['mode']}-bit mode, expected {mode}")
    require(st["nonzero_regs"] == 0 and st["rflags"] == 0x202,
            f"{program}: registers at _start: {st}")
    require(st["sp"] == start["sp"] and st["sp_aligned"] == 1,
            f"{program}: sp {st['sp']:#x}, the kernel set {start['sp']:#x}")
    require(st["entry"] == start["entry"] and st["entry_matches"] == 1,
            f"{program}: AT_ENTRY {st['entry']:#x}, e_entry {start['entry']:#x}, _start matches: "
            f"{st['entry_matches']}")
    require(st["phent"] == phent and st["phdr_matches"] == 1 and st["pagesz"] == 4096,
            f"{program}: auxv {st}")
    require(st["sysinfo"] == start["sysinfo"], f"{program}: AT_SYSINFO {st['sysinfo']:#x}, "
            f"the kernel mapped the entry page at {start['sysinfo']:#x}")
    return st


def hello32_case(boot):
    check_tap(boot)
    starts = {r["task"]: r for r in boot.records("task-start")}
    require("hello32" in starts and "hello" in starts, f"task-start lines: {list(starts)}")
    s32, s64 = starts["hello32"], starts["hello"]
    require(s32["mode"] == 32 and s64["mode"] == 64, f"modes: hello32 {s32['mode']}, hello {s64['mode']}")
    require(BASE32 <= s32["entry"] < IMAGE_TOP32, f"hello32 entry {s32['entry']:#x}")
    require(STACK_TOP32 - STACK_PAGES * 0x1000 < s32["sp"] < STACK_TOP32 and s32["sp"] % 16 == 0,
            f"hello32 sp {s32['sp']:#x} is not in its stack below {STACK_TOP32:#x}")
    require(s32["sysinfo"] == ENTRY_PAGE32 and s64["sysinfo"] == ENTRY_PAGE64,
            f"entry pages: hello32 {s32['sysinfo']:#x}, hello {s64['sysinfo']:#x}")

    task = one(user_records(boot, "hello32", "task"), "`hello32: task`")
    require(task["argc"] == 3 and task["argv0"] == "hello32" and task["mode"] == 32, f"hello32: {task}")
    args = [(a["index"], a["value"]) for a in user_records(boot, "hello32", "arg")]
    require(args == [(1, "alpha"), (2, "beta=2")], f"hello32 argv[1:]: {args}")
    st = check_initial_state(boot, "hello32", s32, 32, 32)
    require(st["phdr"] == BASE32 + 52 and st["phnum"] == 4, f"hello32 program headers: {st}")
    check_initial_state(boot, "hello", s64, 64, 56)

    check_task(boot, "hello32")
    check_task(boot, "hello")
    check_init(boot, 2, 2)
    check_verdict(boot, "pass")
    check_status(boot, PASS)


# Hand-made ELF32 files: one PT_LOAD from file offset 0 (headers included),
# code right after the program header.
EM_386, EM_X86_64 = 3, 62
# mov eax, 2 (task_exit); mov ebx, 42; xor ecx, ecx (the code's high half);
# int 0x80; ud2
EXIT42 = bytes.fromhex("b802000000" "bb2a000000" "31c9" "cd80" "0f0b")


def elf32(machine=EM_386, vaddr=BASE32, memsz=0x1000, code=EXIT42):
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    entry = vaddr + 52 + 32
    ehdr = struct.pack("<16sHHIIIIIHHHHHH", ident, 2, machine, 1, entry, 52, 0, 0, 52, 32, 1, 0, 0, 0)
    size = 52 + 32 + len(code)
    phdr = struct.pack("<IIIIIIII", 1, 0, vaddr, vaddr, size, max(memsz, size), 5, 0x1000)
    return ehdr + phdr + code


_DIR = tempfile.mkdtemp(prefix="lstar-compat-")


def _module(name, data):
    path = os.path.join(_DIR, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


TINY32 = _module("tiny32.elf", elf32())
WRONG_MACHINE = _module("wrong-machine.elf", elf32(machine=EM_X86_64))
# [0xfffe0000-0xffff0000) covers the bottom of the 32-bit stack.
INTO_STACK = _module("into-stack.elf", elf32(vaddr=0xFFFE0000, memsz=0x10000))

BAD32 = {
    "wrongmachine32": ("wrong-machine", "elf: e_machine is 62 (EM_X86_64), ELF32 files must be 3 (EM_386)"),
    "intostack32": ("outside-user-range",
                    "elf: program header 0: segment [0xfffe0000-0xffff0000) reaches past the 32-bit user area "
                    f"(limit {IMAGE_TOP32:#x})"),
}
_FAIL_RE = re.compile(r"lstar: spawn-failed module=(\d+) reason=(\S+) \((.*)\) string='(\S+)")


def elf32_modules_case(boot):
    check_tap(boot)
    fails = {}
    for line in boot.lines:
        m = _FAIL_RE.search(line)
        if m:
            fails[m.group(4)] = (m.group(2), m.group(3))
    require(sorted(fails) == sorted(BAD32), f"spawn-failed for {sorted(fails)}, expected {sorted(BAD32)}")
    for name, want in BAD32.items():
        require(fails[name] == want, f"{name}: spawn-failed reason={fails[name][0]} ({fails[name][1]}), "
                f"expected reason={want[0]} ({want[1]})")
    tiny = [r for r in boot.records("task-start") if r.get("task") == "tiny32"]
    require(len(tiny) == 1 and tiny[0]["mode"] == 32 and tiny[0]["entry"] == BASE32 + 84, f"tiny32: {tiny}")
    check_task(boot, "tiny32", status=42)
    check_init(boot, 1, 3)
    check_verdict(boot, "pass")
    check_status(boot, PASS)


INIT = ["--program", "init shutdown"]
HELLO = INIT + ["--program", "hello32 alpha beta=2", "--program", "hello"]

CASES = [
    Case("qemu-compat-hello32", ["--smp", "2"] + HELLO, hello32_case),
    Case("qemu-compat-hello32-amd", ["--smp", "2", "--cpu", "amd"] + HELLO, hello32_case),
    # Bochs checks segments as hardware does: a 32-bit task needs a usable
    # DS/ES after IRET (the kernel keeps the user data selector there).
    Case("bochs-compat-hello32", ["--emulator", "bochs", "--smp", "2"] + HELLO, hello32_case, timeout=240),
    Case("qemu-compat-elf32-modules", ["--smp", "1"] + INIT +
         ["--module", f"{TINY32}:tiny32 expect=42",
          "--module", f"{WRONG_MACHINE}:wrongmachine32 expect=badimage",
          "--module", f"{INTO_STACK}:intostack32 expect=badimage"], elf32_modules_case),
]
