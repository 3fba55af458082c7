// Kernel heap glue (placeholder until the heap lands).
#include "kernel/mm/kernel_heap.h"

namespace mm {

void heap_init() {}

}  // namespace mm
