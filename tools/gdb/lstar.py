# gdb helpers for lstar under QEMU's gdbstub (tools/boot --gdb).
#
# Loaded by tools/gdb/lstar.gdb, from the source tree's top directory:
#   gdb -x tools/gdb/lstar.gdb -ex 'target remote localhost:1234'
# It loads the kernel's symbols from $LSTAR_BUILD/lstar.elf (default:
# build/lstar.elf) and adds these commands (`help lstar` lists them):
#   lstar-load [BUILD]       the kernel's symbols from BUILD/lstar.elf
#   lstar-server NAME        add the symbols of a server or program NAME
#   lstar-cpus               one line per CPU (QEMU shows each as a thread)
#   lstar-percpu [N]         CPU N's CpuLocal (default: the selected thread's)
# and the convenience function $lstar_task(), the name of the task whose
# thread runs on the selected CPU ("" for a kernel thread), for breakpoint
# conditions in user programs that share addresses:
#   break hello_server.cpp:42 if $_streq($lstar_task(), "hello_server")
# See docs/debugging.md.

import os

import gdb

KERNEL_ELF = "lstar.elf"
USER_HALF_END = 0x0000800000000000


def build_dir():
    return os.environ.get("LSTAR_BUILD") or "build"


def loaded_kernel():
    for objfile in gdb.objfiles():
        if objfile.filename and os.path.basename(objfile.filename) == KERNEL_ELF:
            return objfile
    return None


def execute_quietly(command):
    confirm = gdb.parameter("confirm")
    gdb.execute("set confirm off")
    try:
        gdb.execute(command, to_string=True)
    finally:
        gdb.execute(f"set confirm {'on' if confirm else 'off'}")


def load_kernel(build):
    elf = os.path.join(build, KERNEL_ELF)
    if not os.path.isfile(elf):
        raise gdb.GdbError(f"lstar: {elf} not found (build it first, or lstar-load BUILD)")
    execute_quietly(f"file {elf}")
    print(f"lstar: kernel symbols from {elf}")


# --- the per-CPU blocks ------------------------------------------------------

def cpu_array():
    """x86::g_cpus (in an anonymous namespace) and the number of CPUs the
    firmware reported."""
    for scope in ("x86::(anonymous namespace)::", "x86::"):
        try:
            cpus = gdb.parse_and_eval(f"'{scope}g_cpus'")
            possible = gdb.parse_and_eval(f"'{scope}g_cpus_possible'")
        except gdb.error:
            continue
        try:
            return cpus, int(possible)
        except gdb.MemoryError:
            raise gdb.GdbError("lstar: the kernel's data cannot be read yet (the selected CPU "
                               "has not reached the kernel's page tables; break at start64 or later)")
    raise gdb.GdbError("lstar: no x86::g_cpus in the symbols (lstar-load first)")


def cpu_block_addresses():
    cpus, possible = cpu_array()
    base = int(cpus[0].address)
    size = cpus.type.target().sizeof
    return [base + i * size for i in range(max(possible, 1))]


def register(name):
    try:
        return int(gdb.parse_and_eval(f"${name}")) & 0xFFFFFFFFFFFFFFFF
    except gdb.error:
        return None


def cpu_of_selected_thread(blocks):
    """(cpu number, which GS holds the CpuLocal) for the selected thread:
    `gs_base` in the kernel, `k_gs_base` in user mode and in the swapgs
    windows; by QEMU's CPU index if neither does (early boot, trampoline)."""
    gs, kgs = register("gs_base"), register("k_gs_base")
    if gs in blocks:
        return blocks.index(gs), "gs_base"
    if kgs in blocks:
        return blocks.index(kgs), "k_gs_base"
    index = gdb.selected_thread().num - 1
    return (index if index < len(blocks) else None), None


def cpu_local(n):
    cpus, possible = cpu_array()
    if not 0 <= n < max(possible, 1):
        raise gdb.GdbError(f"lstar: no CPU {n} (the firmware reported {possible})")
    return cpus[n]


def c_string(value):
    try:
        return value.string(length=value.type.sizeof).split("\0", 1)[0]
    except (gdb.error, UnicodeDecodeError):
        return "?"


def thread_summary(current):
    """`task/tid thread-name` of a sched::Thread*, or `-` when null."""
    if int(current) == 0:
        return "-"
    try:
        thread = current.cast(gdb.lookup_type("sched::Thread").pointer()).dereference()
        name = c_string(thread["name"])
        tid = int(thread["tid"])
        task = thread["task"]
        if int(task) == 0:
            return f"kernel/{tid} {name}"
        return f"{c_string(task.dereference()['name'])}/{tid} {name}"
    except gdb.error as e:
        return f"? ({e})"


def task_name(current):
    """The task name of a sched::Thread*, "" for a kernel thread or null."""
    if int(current) == 0:
        return ""
    thread = current.cast(gdb.lookup_type("sched::Thread").pointer()).dereference()
    if int(thread["task"]) == 0:
        return ""
    return c_string(thread["task"].dereference()["name"])


def selected_task_name():
    cpu, _ = cpu_of_selected_thread(cpu_block_addresses())
    return "" if cpu is None else task_name(cpu_local(cpu)["current"])


def symbol(pc, task=None):
    """function+offset of pc from the symbols loaded, or "". A user address
    is named only from the running task's own program (lstar-server): every
    program is linked at the same addresses."""
    try:
        text = gdb.execute(f"info symbol 0x{pc:x}", to_string=True).strip()
    except gdb.error:
        return ""
    if text.startswith("No symbol"):
        return ""
    name, _, section = text.partition(" in section ")
    if pc < USER_HALF_END:
        _, _, path = section.partition(" of ")
        if not task or os.path.basename(path) != task:
            return ""
    return name.replace(" + ", "+")


def for_each_thread(fn):
    """Calls fn(gdb thread) with each QEMU CPU selected in turn, then selects
    the thread that was selected before."""
    inferior = gdb.selected_inferior()
    before = gdb.selected_thread()
    try:
        for thread in sorted(inferior.threads(), key=lambda t: t.num):
            thread.switch()
            fn(thread)
    finally:
        if before is not None and before.is_valid():
            before.switch()


# --- commands ----------------------------------------------------------------

class LstarPrefix(gdb.Command):
    """lstar's gdb commands: lstar-load, lstar-server, lstar-cpus, lstar-percpu
(and the function $lstar_task()). See docs/debugging.md."""

    def __init__(self):
        super().__init__("lstar", gdb.COMMAND_USER, prefix=True)


class LstarLoad(gdb.Command):
    """lstar-load [BUILD]: load the kernel's symbols from BUILD/lstar.elf
(default: $LSTAR_BUILD, else build), replacing the symbols loaded so far."""

    def __init__(self):
        super().__init__("lstar-load", gdb.COMMAND_FILES, gdb.COMPLETE_FILENAME)

    def invoke(self, arg, from_tty):
        load_kernel(arg.strip() or build_dir())


class LstarServer(gdb.Command):
    """lstar-server NAME [BUILD]: add the symbols of the user program NAME
(a server, init, a test program) from BUILD/src/servers/*/NAME (default
BUILD: $LSTAR_BUILD, else build). Programs are static ELF files linked at
their load address, so no offset is needed; every program shares the same
addresses, so make a breakpoint in one conditional on the task:
  break main if $_streq($lstar_task(), "NAME")"""

    def __init__(self):
        super().__init__("lstar-server", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        words = arg.split()
        if not 1 <= len(words) <= 2:
            raise gdb.GdbError("usage: lstar-server NAME [BUILD]")
        name = words[0]
        build = words[1] if len(words) == 2 else build_dir()
        servers = os.path.join(build, "src", "servers")
        found = [os.path.join(servers, d, name) for d in sorted(os.listdir(servers))
                 if os.path.isfile(os.path.join(servers, d, name))] if os.path.isdir(servers) else []
        if not found:
            raise gdb.GdbError(f"lstar: no program {name} in {servers}/*/")
        execute_quietly(f"add-symbol-file {found[0]}")
        print(f"lstar: symbols of {name} from {found[0]}")


class LstarCpus(gdb.Command):
    """lstar-cpus: one line per CPU, as QEMU's gdb threads (thread N = QEMU's
CPU index N-1): lstar's CPU number and APIC id, user or kernel mode (CS),
the running thread (task/tid name, kernel/tid for a kernel thread),
CpuLocal.kernel_rsp, and the two GS bases; `*` marks the one that holds the
CpuLocal (gs_base in the kernel, k_gs_base in user mode). Mode `entry` is
ring 0 with the CpuLocal in k_gs_base: inside an entry or exit stub's swapgs
window, before the swapgs that enters or after the one that leaves."""

    def __init__(self):
        super().__init__("lstar-cpus", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        blocks = cpu_block_addresses()
        rows = []

        def row(thread):
            cpu, holder = cpu_of_selected_thread(blocks)
            cs, rip = register("cs"), register("rip")
            mode = "?" if cs is None else ("user" if cs & 3 else "kernel")
            if mode == "kernel" and holder == "k_gs_base":
                mode = "entry"  # the user's GS base in ring 0: a swapgs window
            gs, kgs = register("gs_base"), register("k_gs_base")
            if cpu is None:
                where = "?" if rip is None else f"0x{rip:x} {symbol(rip)}".rstrip()
                rows.append((thread.num, "?", "?", mode, "-", "-", gs, kgs, holder, where))
                return
            c = cpu_local(cpu)
            where = "?" if rip is None else f"0x{rip:x} {symbol(rip, task_name(c['current']))}".rstrip()
            rows.append((thread.num, cpu, int(c["apic_id"]), mode, thread_summary(c["current"]),
                         f"0x{int(c['kernel_rsp']):x}", gs, kgs, holder, where))

        for_each_thread(row)
        print(f"{'thr':>3} {'cpu':>3} {'apic':>4} {'mode':6} {'thread':32} {'kernel_rsp':18} "
              f"{'gs_base':19} {'k_gs_base':19} rip")
        for num, cpu, apic, mode, current, krsp, gs, kgs, holder, where in rows:
            gs_text = "?" if gs is None else f"0x{gs:x}" + ("*" if holder == "gs_base" else "")
            kgs_text = "?" if kgs is None else f"0x{kgs:x}" + ("*" if holder == "k_gs_base" else "")
            print(f"{num:>3} {cpu!s:>3} {apic!s:>4} {mode:6} {current:32} {krsp:18} "
                  f"{gs_text:19} {kgs_text:19} {where}")


class LstarPercpu(gdb.Command):
    """lstar-percpu [N]: print CPU N's CpuLocal (x86::CpuLocal, percpu.h);
without N, the CPU of the selected thread. The GDT, TSS and I/O bitmap are
left out: `p x86::'(anonymous namespace)'::g_cpus[N].tss` shows them."""

    SKIP = ("gdt", "tss", "io_bitmap", "io_bitmap_end")
    HEX = ("kernel_rsp", "user_rsp", "nmi_last_rsp", "paranoid_gs", "nmi_rng", "idle_stack", "entry_stack", "ist")

    def __init__(self):
        super().__init__("lstar-percpu", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        if arg:
            try:
                n = int(gdb.parse_and_eval(arg))
            except gdb.error as e:
                raise gdb.GdbError(f"lstar-percpu: {e}")
        else:
            n, _ = cpu_of_selected_thread(cpu_block_addresses())
            if n is None:
                raise gdb.GdbError("lstar-percpu: the selected thread is no CPU lstar knows; give N")
        c = cpu_local(n)
        print(f"CPU {n}: (x86::CpuLocal *) 0x{int(c.address):x}")
        for field in c.type.strip_typedefs().fields():
            if field.name in self.SKIP or field.name is None:
                continue
            value = c[field.name]
            if field.name == "current":
                text = f"0x{int(value):x} {thread_summary(value)}"
            elif field.name in self.HEX:
                text = value.format_string(format="x", repeat_threshold=4)
            else:
                text = value.format_string(repeat_threshold=4)
            print(f"  {field.name} = {text}")


class LstarTask(gdb.Function):
    """$lstar_task(): the name of the task whose thread runs on the selected
CPU, "" for a kernel thread (for breakpoint conditions with $_streq)."""

    def __init__(self):
        super().__init__("lstar_task")

    def invoke(self):
        return gdb.Value(selected_task_name())


LstarPrefix()
LstarLoad()
LstarServer()
LstarCpus()
LstarPercpu()
LstarTask()

if loaded_kernel() is None:
    try:
        load_kernel(build_dir())
    except gdb.GdbError as e:
        print(e)
