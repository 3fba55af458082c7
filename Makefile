# lstar: build, run and test.
#
#   make [build]   configure (once) and build the kernel and build/lstar.iso
#   make iso       same as build
#   make run       boot the ISO interactively: EMU=qemu|bochs SMP=4 CPU=intel|amd|MODEL
#                  MEM=256 (MiB) CMDLINE="..." GDB=1 (qemu: gdbstub on :1234, CPUs halted)
#   make test      unit tests and boot tests (tools/run-tests)
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

MESON_SETUP = meson setup $(BUILD) --cross-file cross/x86_64-lstar.ini
ISO = $(BUILD)/lstar.iso

BOOT_ARGS = --emulator $(EMU) --smp $(SMP) --cpu $(CPU) --mem $(MEM) --timeout 0 \
            $(if $(CMDLINE),--cmdline '$(CMDLINE)') $(if $(GDB),--gdb)

.PHONY: all build iso run test clean deps configure

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

clean:
	rm -rf $(BUILD)
