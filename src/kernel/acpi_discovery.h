// Platform discovery through ACPI: the RSDP (multiboot2 copy first, then the
// legacy BIOS scan), the root table and the MADT (CPUs, I/O APICs, overrides).
#pragma once

#include "lib/acpi.h"
#include "lib/multiboot2.h"

namespace platform {

// Logs what it found or why it could not; false if there is no usable MADT.
bool discover(const mb2::Info& info);

// Valid after discover() returned true.
const acpi::Madt& madt();

}  // namespace platform
