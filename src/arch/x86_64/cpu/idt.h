// The IDT: 256 interrupt gates pointing at entry/isr.asm's stubs.
#pragma once

namespace x86 {

void idt_init_boot();
// Loads the (shared) IDT on this CPU; for APs.
void idt_load();

}  // namespace x86
