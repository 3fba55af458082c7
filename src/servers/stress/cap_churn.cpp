// Capability churn: client threads call an endpoint E through badged copies
// that a churner keeps revoking and minting again. Each round the churner
// copies E to an intermediate slot M, mints from M one copy per client slot
// with badge (slot << 32) | generation (check.h), lets the clients call,
// then revokes M (which removes every copy minted from it) and deletes M.
// The server answers every call with the badge it received; a client
// checks it against the generation the churner published around its call
// (wrong_badge otherwise). Calls through a slot that is empty at that
// moment are refused (kBadSlot), which is expected.
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/stress/suite.h"

namespace stress {
namespace {

constexpr u32 kLabelCall = 1, kLabelStop = 2;
constexpr u64 kSlotM = 200;
constexpr u64 kSlotFirstClient = 201;
constexpr u32 kMaxClients = 4;
constexpr u64 kStopCallNs = 300'000'000;

u64 g_ep;
u32 g_client_count;
u64 g_state[kMaxClients];  // 2g: generation g minted; 2g + 1: being replaced
u32 g_clients_live;
u64 g_mints, g_copies, g_revokes, g_deletes, g_calls_ok, g_calls_refused, g_wrong_badge, g_errors, g_served;
i64 g_first_error;
u64 g_first_wrong;

void error(i64 what) {
    bump(g_errors);
    i64 zero = 0;
    __atomic_compare_exchange_n(&g_first_error, &zero, what, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

void server(ThreadCtx& ctx) {
    u64 w[abi::kMaxWords] = {};
    u32 n = 0, label = 0;
    u64 badge = 0;
    i64 r = ipc_raw(abi::kSysIpcRecv, g_ep, 0, ctx.buf, w, 0, &n, &label, &badge);
    while (r == 0 && !(label == kLabelStop && badge == 0)) {
        g_served++;
        w[0] = badge;
        r = ipc_raw(abi::kSysIpcReplyRecv, g_ep, abi::make_tag(0, 1), ctx.buf, w, 1, &n, &label, &badge);
    }
    if (r == 0) ipc_raw(abi::kSysIpcReply, 0, abi::make_tag(0, 0), ctx.buf, w, 0, nullptr, nullptr, nullptr);
}

void churner(ThreadCtx&) {
    Rng rng = stream_rng(g_run.seed, 0x4000);
    for (u64 gen = 1; !stopping(); ++gen) {
        const i64 c = lstar::sys::cap_copy(g_ep, kSlotM, abi::kRightsAll);
        if (c != i64(kSlotM)) {
            error(-100 + c);
            lstar::sleep_ns(1'000'000);
            continue;
        }
        bump(g_copies);
        for (u32 i = 0; i < g_client_count; ++i) {
            const u64 slot = kSlotFirstClient + i;
            const i64 m = lstar::sys::cap_mint(kSlotM, slot, abi::kRightSend, badge_for(slot, gen));
            if (m == i64(slot)) bump(g_mints);
            else error(-200 + m);
            __atomic_store_n(&g_state[i], 2 * gen, __ATOMIC_RELEASE);
        }
        // Above the clients, so that a slot is empty only briefly; it sleeps
        // every round, so that they get to call.
        lstar::sleep_ns(20'000 + rng.below(300'000));
        for (u32 i = 0; i < g_client_count; ++i) __atomic_store_n(&g_state[i], 2 * gen + 1, __ATOMIC_RELEASE);
        const i64 removed = lstar::sys::cap_revoke(kSlotM);
        if (removed >= 0) bump(g_revokes);
        if (removed != i64(g_client_count)) error(-300 - removed);
        const i64 d = lstar::sys::cap_delete(kSlotM);
        if (d == 0) bump(g_deletes);
        else error(-400 + d);
    }
}

void client(ThreadCtx& ctx) {
    const u32 i = u32(ctx.arg);
    const u64 slot = kSlotFirstClient + i;
    u64 w[abi::kMaxWords];
    for (u64 calls = 1; !stopping(); ++calls) {
        if (calls % kIpcBurst == 0) lstar::sleep_ns(kIpcPauseNs);
        const u64 s1 = __atomic_load_n(&g_state[i], __ATOMIC_ACQUIRE);
        w[0] = slot;
        u32 n = 0, label = 0;
        const i64 r = ipc_raw(abi::kSysIpcCall, slot, abi::make_tag(kLabelCall, 1), ctx.buf, w, 1, &n, &label, nullptr);
        const u64 s2 = __atomic_load_n(&g_state[i], __ATOMIC_ACQUIRE);
        if (r == 0 && label == 0 && n == 1) {
            bump(g_calls_ok);
            if (!badge_ok(slot, s1, s2, w[0])) {
                u64 zero = 0;
                __atomic_compare_exchange_n(&g_first_wrong, &zero, w[0], false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
                bump(g_wrong_badge);
            }
        } else if (r == -abi::kBadSlot || r == -abi::kWrongType || r == -abi::kNoRights || r == -abi::kCancelled) {
            bump(g_calls_refused);
            lstar::yield();  // a refused call does not block: let the CPU's other threads run
        } else {
            error(r < 0 ? -500 + r : -600 - i64(label));
        }
    }
    __atomic_fetch_sub(&g_clients_live, 1, __ATOMIC_RELEASE);
}

}  // namespace

bool caps_start(Workload& w) {
    const i64 ep = lstar::sys::endpoint_create(0);
    if (ep < 0) return false;
    g_ep = u64(ep);
    g_client_count = g_run.cpus < kMaxClients ? g_run.cpus : kMaxClients;
    bool ok = spawn(w, server, 0, 0, ipc_priority(), all_cpus()) >= 0;
    ok = spawn(w, churner, 0, 1, kWakerPriority, all_cpus()) >= 0 && ok;
    for (u32 i = 0; i < g_client_count; ++i) {
        __atomic_fetch_add(&g_clients_live, 1, __ATOMIC_RELAXED);
        if (spawn(w, client, i, 2 + i, ipc_priority(), cpu_bit(i)) < 0) {
            __atomic_fetch_sub(&g_clients_live, 1, __ATOMIC_RELAXED);
            ok = false;
        }
    }
    return ok;
}

void caps_stop(u64 deadline) {
    while (__atomic_load_n(&g_clients_live, __ATOMIC_ACQUIRE) != 0 && lstar::time_ns() < deadline)
        lstar::sleep_ns(2'000'000);
    auto* buf = static_cast<abi::IpcBuffer*>(lstar::vm_alloc(sizeof(abi::IpcBuffer)));
    if (!buf || lstar::sys::ipc_buffer(reinterpret_cast<uptr>(buf)) != 0) return;
    buf->timeout_ns = kStopCallNs;
    u64 none[1] = {};
    ipc_raw(abi::kSysIpcCall, g_ep, abi::make_tag(kLabelStop, 0) | abi::kTagTimeout, buf, none, 0, nullptr, nullptr,
            nullptr);
    lstar::sys::ipc_buffer(0);
}

void caps_report(bool) {
    lstar::printf("stress: caps mints=%lu copies=%lu revokes=%lu deletes=%lu calls_ok=%lu calls_refused=%lu "
                  "wrong_badge=%lu\n",
                  g_mints, g_copies, g_revokes, g_deletes, g_calls_ok, g_calls_refused, g_wrong_badge);
    if (g_wrong_badge) fail("caps wrong_badge=%lu first=0x%lx", g_wrong_badge, g_first_wrong);
    if (g_errors) fail("caps errors=%lu first=%ld", g_errors, g_first_error);
    if (g_mints == 0 || g_revokes == 0 || g_calls_ok == 0) fail("caps no progress");
}

}  // namespace stress
