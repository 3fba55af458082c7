// The kernel heap behind operator new/delete, backed by the frame allocator
// through the direct map.
#pragma once

namespace mm {

void heap_init();

}  // namespace mm
