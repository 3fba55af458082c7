# lstar's gdb set-up for QEMU's gdbstub (tools/boot --gdb, make run GDB=1).
# From the source tree's top directory:
#   gdb -x tools/gdb/lstar.gdb -ex 'target remote localhost:1234'
# ($LSTAR_BUILD=DIR for a build directory other than build). It loads the
# kernel's symbols and the commands of tools/gdb/lstar.py: lstar-load,
# lstar-server NAME, lstar-cpus, lstar-percpu [N], $lstar_task().
# See docs/debugging.md.
set pagination off
set print pretty off
source tools/gdb/lstar.py
