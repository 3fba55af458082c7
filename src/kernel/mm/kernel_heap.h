// The kernel heap behind operator new/delete, backed by the frame allocator
// through the direct map.
#pragma once

#include "kernel/mm/heap.h"

namespace mm {

void heap_init();
Heap& heap();

}  // namespace mm
