// Memory bring-up (placeholder until the allocators land).
#include "kernel/mm/memory.h"

namespace mm {

void init(const mb2::Info&, u64) {}

}  // namespace mm
