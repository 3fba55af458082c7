// The kernel's MMIO window: device registers outside RAM (local and I/O
// APICs), which the direct map does not cover, mapped uncached at fixed
// kernel-half addresses.
#pragma once

#include "lib/kstd/types.h"

namespace x86 {

// PML4 slot 506, unused by the direct map, the scratch slot and the image.
constexpr u64 kMmioWindowBase = 0xFFFFFD0000000000;
constexpr u64 kMmioWindowSize = 1ull << 30;

// Maps the pages covering [phys, phys + size) uncached and writable at the
// next free part of the window; returns the virtual address of phys itself
// (page offset kept), or 0 with a logged reason. Boot CPU only, before other
// CPUs or address spaces exist: the window's page-table entries are created
// here and never shared later.
u64 mmio_map(u64 phys, u64 size, const char* what);

}  // namespace x86
