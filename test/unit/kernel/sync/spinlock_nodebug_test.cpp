// The spinlock tests again, against the lock built without its debug checks
// (meson -Dlock_debug=false): locking, order and guards must not depend on them.
#define LSTAR_LOCK_DEBUG 0
#include "spinlock_test.cpp"
