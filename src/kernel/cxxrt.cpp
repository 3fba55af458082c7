// The little C++ runtime support a freestanding g++ build expects: the
// pure-virtual trap and running global constructors from .init_array (the
// memory functions are in lib/kstd/mem.cpp).
#include "kernel/panic.h"
#include "lib/kstd/types.h"

extern "C" {

void __cxa_pure_virtual() { panic("pure virtual function called"); }

using Ctor = void (*)();
extern Ctor __init_array_start[];
extern Ctor __init_array_end[];

}  // extern "C"

void run_global_constructors() {
    for (Ctor* c = __init_array_start; c != __init_array_end; c++) (*c)();
}
