# lstar: build, run and test.
#
#   make [build]   configure (once) and build the kernel and build/lstar.iso
#   make iso       same as build
#   make run       boot the ISO interactively: EMU=qemu|bochs SMP=4 CPU=intel|amd|MODEL
#                  MEM=256 (MiB) CMDLINE="..." GDB=1 (qemu: gdbstub on :1234, CPUs halted;
#                  prints the gdb command that attaches with tools/gdb/lstar.gdb)
#   make test      unit tests and boot tests (tools/run-tests)
#   make stress    every stress workload at once, then a per-CPU table and a
#                  verdict (tools/stress): SECONDS=60 SMP=4 EMU=qemu|bochs
#                  CPU=intel|amd SEED=N (default: random, printed)
#                  NMI_RATE=100 (NMI IPIs per CPU per second, the kernel's
#                  nmi_ipi=) and, QEMU only, HOST_NMI_RATE=50 (NMIs/s from
#                  the host) MCE_RATE=0.8 (corrected machine checks/s)
#   make bench     the benchmarks (tools/bench): a table, BUILD/bench.json and
#                  BUILD/bench.png; MODE=icount|plain|both (default both)
#                  SMP=4 CPU=intel|amd ITERS=1000 RUNS=5
#   make clean     remove the build directory
#
# Packages are checked (and installed when missing) by tools/deps.sh.

BUILD   ?= build
EMU     ?= qemu
SMP     ?= 4
CPU     ?= intel
MEM     ?= 256
CMDLINE ?=
GDB     ?=
SECONDS ?= 60
SEED    ?=
NMI_RATE ?= 100
HOST_NMI_RATE ?= 50
MCE_RATE ?= 0.8
MODE    ?= both
ITERS   ?= 1000
RUNS    ?= 5

MESON_SETUP = meson setup $(BUILD) --cross-file cross/x86_64-lstar.ini
ISO = $(BUILD)/lstar.iso

BOOT_ARGS = --emulator $(EMU) --smp $(SMP) --cpu $(CPU) --mem $(MEM) --timeout 0 \
            $(if $(CMDLINE),--cmdline '$(CMDLINE)') $(if $(GDB),--gdb)

STRESS_ARGS = --emulator $(EMU) --smp $(SMP) --cpu $(CPU) --mem $(MEM) --seconds $(SECONDS) \
              --nmi-rate $(NMI_RATE) --host-nmi-rate $(HOST_NMI_RATE) --mce-rate $(MCE_RATE) \
              $(if $(SEED),--seed $(SEED))

.PHONY: all build iso run test stress bench clean deps configure

all: build

deps:
	@tools/deps.sh

configure: deps
	@test -f $(BUILD)/build.ninja || $(MESON_SETUP)

build iso: configure
	@ninja -C $(BUILD)

run: build
	tools/boot $(BOOT_ARGS) $(ISO)

test: build
	tools/run-tests $(BUILD)

stress: build
	tools/stress $(STRESS_ARGS) $(ISO)

bench: build
	tools/bench --mode $(MODE) --smp $(SMP) --cpu $(CPU) --iters $(ITERS) --runs $(RUNS) $(ISO)

clean:
	rm -rf $(BUILD)
