// Victim: a server killed and restarted under load. A client thread calls
// the victim (svctest's server protocol, slot 4) without pause with
// checksummed echoes; a killer thread asks init (its control endpoint,
// slot 5) to kill the victim task about every S/4 seconds (at seeded
// moments, at least once a run, never before the last kill was recovered
// from). Calls during the restart may fail or wait; once a kill has been
// answered, every answer must come from a new task, and some call must
// succeed again (recovered).
//   bad: a reply with a wrong sequence number, payload or checksum, a
//        refused echo, or an answer from a task already killed.
#include "lib/ipc/protocol.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/shell/shell_protocol.h"
#include "servers/stress/suite.h"

namespace stress {
namespace {

constexpr u64 kSlotVictim = ipc::proto::kSlotGivenFirst;   // 4
constexpr u64 kSlotInit = ipc::proto::kSlotGivenFirst + 1;  // 5
constexpr u32 kEcho = 1;
constexpr u32 kPayload = 5;
constexpr u32 kMaxKills = 64;
constexpr u64 kCallTimeoutNs = 1'000'000'000;
constexpr u64 kRecoverGraceNs = 2'000'000'000;  // past the stop, for the last kill's recovery

u64 g_current_task;        // the task that answered last
u64 g_kills;               // kills init confirmed (release after g_killed[])
u64 g_killed[kMaxKills + 1];
u64 g_recovered;           // the last kill after which a call succeeded
u64 g_calls, g_bad, g_failed, g_kill_errors;
i64 g_first_kill_error, g_first_bad;

void set_first(i64& slot, i64 v) {
    if (slot == 0) slot = v;
}

void client(ThreadCtx& ctx) {
    Rng rng = stream_rng(g_run.seed, 0x6000);
    ctx.buf->timeout_ns = kCallTimeoutNs;
    u64 grace_end = 0;
    for (u64 seq = 1;; ++seq) {
        if (stopping()) {
            if (!grace_end) grace_end = lstar::time_ns() + kRecoverGraceNs;
            const u64 kills = __atomic_load_n(&g_kills, __ATOMIC_ACQUIRE);
            if (g_recovered >= kills || lstar::time_ns() >= grace_end) break;
        }
        u64 w[abi::kMaxWords];
        w[0] = seq;
        for (u32 i = 1; i <= kPayload; ++i) w[i] = rng.next();
        w[kPayload + 1] = ipc::proto::checksum(w, kPayload + 1);
        u64 sent[kPayload + 1];
        for (u32 i = 0; i <= kPayload; ++i) sent[i] = w[i];
        const u64 epoch = __atomic_load_n(&g_kills, __ATOMIC_ACQUIRE);
        u32 n = 0, label = 0;
        const i64 r = ipc_raw(abi::kSysIpcCall, kSlotVictim, abi::make_tag(kEcho, kPayload + 2) | abi::kTagTimeout,
                              ctx.buf, w, kPayload + 2, &n, &label, nullptr);
        g_calls++;
        if (r < 0) {  // cancelled by the kill, or waited out the restart
            g_failed++;
            continue;
        }
        bool good = label == 0 && n == kPayload + 3 && w[0] == seq && ipc::proto::checksum(w, n - 1) == w[n - 1];
        for (u32 i = 1; good && i <= kPayload; ++i) good = w[i + 1] == sent[i];
        const u64 task = good ? w[1] : 0;
        for (u64 k = 1; good && k <= epoch; ++k) good = task != g_killed[k];
        if (!good) {
            set_first(g_first_bad, label ? -i64(label) : i64(n));
            g_bad++;
            continue;
        }
        __atomic_store_n(&g_current_task, task, __ATOMIC_RELEASE);
        if (epoch > g_recovered) __atomic_store_n(&g_recovered, epoch, __ATOMIC_RELEASE);
    }
}

// Asks init to kill `task`: 0 or -Error (init's status).
i64 kill(abi::IpcBuffer* buf, u64 task) {
    u64 w[abi::kMaxWords] = {task};
    u32 n = 0, label = 0;
    buf->timeout_ns = 2 * kCallTimeoutNs;
    const i64 r = ipc_raw(abi::kSysIpcCall, kSlotInit, abi::make_tag(shell::kInitKill, 1) | abi::kTagTimeout, buf, w,
                          1, &n, &label, nullptr);
    return r < 0 ? r : -i64(label);
}

void killer(ThreadCtx& ctx) {
    Rng rng = stream_rng(g_run.seed, 0x6100);
    const u64 run_ns = g_run.seconds * 1'000'000'000;
    const u64 period = run_ns / 4;
    const u64 start = lstar::time_ns();
    const u64 last_moment = start + run_ns - (run_ns > 4'000'000'000 ? 1'000'000'000 : run_ns / 4);
    u64 next = start + period / 2 + rng.below(period / 2 + 1);
    while (!stopping() && g_kills < kMaxKills) {
        sleep_until(next);
        if (stopping()) break;
        const u64 task = __atomic_load_n(&g_current_task, __ATOMIC_ACQUIRE);
        const u64 kills = __atomic_load_n(&g_kills, __ATOMIC_ACQUIRE);
        if (task == 0 || __atomic_load_n(&g_recovered, __ATOMIC_ACQUIRE) < kills) {
            next = lstar::time_ns() + 20'000'000;  // no answer yet since the last kill
            continue;
        }
        if (kills >= 1 && lstar::time_ns() > last_moment) break;
        const i64 r = kill(ctx.buf, task);
        if (r != 0) {
            g_kill_errors++;
            set_first(g_first_kill_error, r);
            next = lstar::time_ns() + period;
            continue;
        }
        g_killed[kills + 1] = task;
        __atomic_store_n(&g_kills, kills + 1, __ATOMIC_RELEASE);
        next += period - period / 4 + rng.below(period / 2 + 1);
    }
}

}  // namespace

bool victim_start(Workload& w) {
    bool ok = spawn(w, client, 0, 0, ipc_priority(), all_cpus()) >= 0;
    return spawn(w, killer, 0, 1, kWakerPriority, all_cpus()) >= 0 && ok;
}

void victim_stop(u64) {}

void victim_report(bool) {
    lstar::printf("stress: victim kills=%lu calls=%lu bad=%lu recovered=%lu\n", g_kills, g_calls, g_bad, g_recovered);
    if (g_bad) fail("victim bad=%lu first=%ld", g_bad, g_first_bad);
    if (g_kill_errors) fail("victim kill_errors=%lu first=%ld", g_kill_errors, g_first_kill_error);
    if (g_kills == 0 || g_recovered != g_kills) fail("victim kills=%lu recovered=%lu", g_kills, g_recovered);
    if (g_calls == g_failed) fail("victim no call succeeded");
}

}  // namespace stress
