// spin: a task that never gives up its CPU. It prints one line,
// `spin: spinning cpu=<n>`, and then loops forever without a single system
// call, so only the timer can take the CPU away from it. init starts it as a
// daemon (never waited for), typically pinned to one CPU at the same priority
// as a `stress work` task on that CPU: the test passes only if preemption and
// round robin within the priority level let the stress threads finish anyway.
#include "lib/user/lstar.h"

int main(int, char**) {
    lstar::printf("spin: spinning cpu=%u\n", lstar::cpu_id());
    // A volatile counter: every iteration is an observable side effect, so the
    // loop is neither removed nor assumed to terminate.
    volatile u64 counter = 0;
    for (;;) counter = counter + 1;
}
