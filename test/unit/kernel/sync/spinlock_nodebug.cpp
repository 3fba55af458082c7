// kernel/sync/spinlock.cpp as the kernel builds it with -Dlock_debug=false.
#define LSTAR_LOCK_DEBUG 0
#include "kernel/sync/spinlock.cpp"
