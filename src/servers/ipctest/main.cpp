// ipctest: the boot test of IPC and capabilities, as one task with threads
// pinned to CPUs. Every check prints what it measured; the boot tests
// (test/boot/ipc.py) assert on those values and on the kernel's per-CPU
// fast-path counters printed at shutdown.
//
// argv: `ipctest [rounds=N]`, or `ipctest bench-server|bench-client
// [rounds=N]` for the call round trip between two tasks started with init's
// `bus` word (bench_client prints `ipctest: bench ... round_trip=N`). Lines (each ends ok=1 or ok=0):
//   ipctest: pair client=C server=S calls=N bad=B ok=..       one per CPU pair
//   ipctest: long words=W bad=B ok=..                          64-word messages
//   ipctest: badge got=0x.. want=0x.. ok=..
//   ipctest: grant slot=N type=T signalled=0x.. ok=..           a capability sent along
//   ipctest: revoke removed=N copies_left=N original=T ok=..
//   ipctest: timeout recv=E call=E waited_ms=N nonblocking=E ok=..
//   ipctest: errors badslot=E wrongtype=E norights=E badtag=E taken=E ok=..
//   ipctest: bound label=0x.. bits=0x.. ok=..                  a signal arriving during ipc_recv
//   ipctest: cancel result=E ok=..                              an endpoint deleted under a waiter
//   ipctest: done checks=N failed=N
// The exit status is the number of failed checks.
//
// Modes for two tasks on init's bus (slot 1), each printing one line and
// exiting 0 when every check passed:
//   `ipctest compat-server`: the 64-bit end of ipctest32 (main32.cpp,
//   compat.h); until ipctest32's stop it prints nothing but, for the first
//   bad message of each phase, a `compat-server-bad` or
//   `compat-server-grant-bad` line, then
//     ipctest: compat-server calls=N bad=B words=W last_seq=S checksum=0x.. reply_checksum=0x..
//              other=N result=R
//     ipctest: compat-server-grant caps=2 ep_type=T ep_rights=0x.. ep_badge=0x.. n_type=T n_rights=0x..
//              reply=R signalled=0x.. calls=K bad=B words=W last_seq=S checksum=0x.. reply_checksum=0x..
//              done=R
//   `ipctest cap-owner` and `ipctest cap-user`: a capability given from one
//   task to the other and revoked (cap_owner() below):
//     ipctest: cap-owner sent=R user_got=N served=R badge=0x.. word=0x.. signalled=0x.. revoked_ep=N
//              revoked_n=N minted_ep=E minted_n=E originals=N user_call=E user_signal=E user_info=E
//              late_bits=E ok=..
//     ipctest: cap-user got=N ep_type=T ep_badge=0x.. ep_rights=0x.. n_type=T n_badge=0x.. n_rights=0x..
//              recv=E signal=R call=R answer=0x.. revoked=B after_call=E after_signal=E after_info=E ok=..
#include "compat.h"
#include "lib/abi/ipc.h"
#include "lib/ipc/kernel_entry.h"
#include "lib/kstd/string.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"

namespace {

using abi::IpcBuffer;

constexpr u32 kLabelPing = 1, kLabelStop = 2, kLabelLong = 3;
u64 g_rounds = 200;
u32 g_checks = 0, g_failed = 0;

bool check(bool ok) {
    g_checks++;
    if (!ok) g_failed++;
    return ok;
}

// One message in and out of the kernel (lib/abi/ipc.h's registers).
struct Msg {
    u64 badge = 0, tag = 0, w[4] = {};
};

i64 ipc(u64 nr, u64 cap, u64 tag, const u64 (&w)[4], Msg& out) {
    ipc::KernelRegs r{cap, tag, {w[0], w[1], w[2], w[3]}};
    i64 result = lstar_ipc_syscall(nr, &r);
    out.badge = r.rdi;
    out.tag = r.rsi;
    for (int i = 0; i < 4; i++) out.w[i] = r.words[i];
    return result;
}

// Each thread registers its own IPC buffer.
IpcBuffer* thread_buffer() {
    auto* b = static_cast<IpcBuffer*>(lstar::vm_alloc(sizeof(IpcBuffer)));
    if (!b || lstar::sys::ipc_buffer(reinterpret_cast<uptr>(b)) != 0) return nullptr;
    return b;
}

u64 mix(u64 seq, u64 a, u64 b) { return abi::probe_mix(seq, a, b, 0x5eed, 0, 0); }

// --- ping-pong between a client and a server thread ---

struct Pair {
    u64 ep;  // endpoint slot (send and receive)
    u32 client_cpu, server_cpu;
    u64 calls, bad;
};

// The server: answers ping with (seq + 1, a + b, mix, badge) until stop.
void server_main(u64 arg) {
    auto* p = reinterpret_cast<Pair*>(arg);
    thread_buffer();
    Msg m;
    const u64 none[4] = {};
    i64 r = ipc(abi::kSysIpcRecv, p->ep, 0, none, m);
    while (r == 0 && abi::tag_label(m.tag) == kLabelPing) {
        const u64 answer[4] = {m.w[0] + 1, m.w[1] + m.w[2], mix(m.w[0], m.w[1], m.w[2]), m.badge};
        r = ipc(abi::kSysIpcReplyRecv, p->ep, abi::make_tag(0, 4), answer, m);
    }
    if (r == 0) {
        const u64 zero[4] = {};
        ipc(abi::kSysIpcReply, 0, abi::make_tag(0, 0), zero, m);  // answer the stop
    }
    lstar::thread_exit(0);
}

void client_main(u64 arg) {
    auto* p = reinterpret_cast<Pair*>(arg);
    thread_buffer();
    u64 x = 0x9e3779b97f4a7c15ull ^ (u64(p->client_cpu) << 32 | p->server_cpu);
    for (u64 seq = 0; seq < g_rounds; seq++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        u64 a = x, b = x * 3 + seq;
        const u64 w[4] = {seq, a, b, 0};
        Msg m;
        i64 r = ipc(abi::kSysIpcCall, p->ep, abi::make_tag(kLabelPing, 4), w, m);
        p->calls++;
        bool good = r == 0 && abi::tag_label(m.tag) == 0 && abi::tag_words(m.tag) == 4 && m.w[0] == seq + 1 &&
                    m.w[1] == a + b && m.w[2] == mix(seq, a, b) && m.w[3] == 0 && m.badge == 0;
        if (!good) {
            if (p->bad == 0)
                lstar::printf("ipctest: pair client=%u server=%u seq=%lu result=%ld tag=0x%lx w0=%lu\n",
                              p->client_cpu, p->server_cpu, seq, r, m.tag, m.w[0]);
            p->bad++;
        }
    }
    const u64 zero[4] = {};
    Msg m;
    ipc(abi::kSysIpcCall, p->ep, abi::make_tag(kLabelStop, 0), zero, m);
    lstar::thread_exit(0);
}

void pairs(u32 cpus) {
    for (u32 c = 0; c < cpus; c++) {
        for (u32 s = 0; s < cpus; s++) {
            Pair p{};
            p.client_cpu = c;
            p.server_cpu = s;
            i64 ep = lstar::sys::endpoint_create(0);
            if (!check(ep > 0)) {
                lstar::printf("ipctest: endpoint_create=%ld ok=0\n", ep);
                return;
            }
            p.ep = u64(ep);
            i64 st = lstar::thread_create(server_main, 0, reinterpret_cast<uptr>(&p), abi::kDefaultPriority,
                                          u64(1) << s);
            i64 ct = lstar::thread_create(client_main, 0, reinterpret_cast<uptr>(&p), abi::kDefaultPriority,
                                          u64(1) << c);
            if (st > 0) lstar::thread_join(u64(st));
            if (ct > 0) lstar::thread_join(u64(ct));
            lstar::sys::cap_delete(p.ep);
            bool ok = check(st > 0 && ct > 0 && p.calls == g_rounds && p.bad == 0);
            lstar::printf("ipctest: pair client=%u server=%u calls=%lu bad=%lu ok=%u\n", c, s, p.calls, p.bad, ok);
        }
    }
}

// --- long messages: 64 words through the IPC buffers ---

struct Long {
    u64 ep;
    u64 bad;
};

void long_server(u64 arg) {
    auto* l = reinterpret_cast<Long*>(arg);
    IpcBuffer* b = thread_buffer();
    Msg m;
    const u64 none[4] = {};
    i64 r = ipc(abi::kSysIpcRecv, l->ep, 0, none, m);
    if (r != 0 || !b || abi::tag_words(m.tag) != abi::kMaxWords) {
        l->bad++;
    }
    // Reverse the words: registers hold 0..3, the buffer 4..63.
    u64 all[abi::kMaxWords];
    for (u32 i = 0; i < 4; i++) all[i] = m.w[i];
    for (u32 i = 4; i < abi::kMaxWords && b; i++) all[i] = b->words[i];
    u64 out[abi::kMaxWords];
    for (u32 i = 0; i < abi::kMaxWords; i++) out[i] = all[abi::kMaxWords - 1 - i];
    for (u32 i = 4; i < abi::kMaxWords && b; i++) b->words[i] = out[i];
    const u64 regs[4] = {out[0], out[1], out[2], out[3]};
    ipc(abi::kSysIpcReply, 0, abi::make_tag(kLabelLong, abi::kMaxWords), regs, m);
    lstar::thread_exit(0);
}

void long_messages() {
    Long l{};
    l.ep = u64(lstar::sys::endpoint_create(0));
    IpcBuffer* b = thread_buffer();
    i64 st = lstar::thread_create(long_server, 0, reinterpret_cast<uptr>(&l), abi::kDefaultPriority, ~0ull);
    for (u32 i = 4; i < abi::kMaxWords && b; i++) b->words[i] = 1000 + i;
    const u64 w[4] = {1000, 1001, 1002, 1003};
    Msg m;
    i64 r = ipc(abi::kSysIpcCall, l.ep, abi::make_tag(kLabelLong, abi::kMaxWords), w, m);
    u64 bad = l.bad;
    if (r != 0 || abi::tag_words(m.tag) != abi::kMaxWords) bad++;
    for (u32 i = 0; i < abi::kMaxWords && b && r == 0; i++) {
        u64 got = i < 4 ? m.w[i] : b->words[i];
        if (got != 1000 + (abi::kMaxWords - 1 - i)) bad++;
    }
    if (st > 0) lstar::thread_join(u64(st));
    lstar::sys::cap_delete(l.ep);
    bool ok = check(b && st > 0 && bad == 0);
    lstar::printf("ipctest: long words=%u result=%ld bad=%lu ok=%u\n", abi::tag_words(m.tag), r, bad, ok);
}

// --- badges and capability transfer ---

struct Grant {
    u64 ep;
    u64 badge_seen;
    u64 slot_got;
    u32 type_got;
};

// Receives one call; if it carries a capability, signals it with 0x5.
void grant_server(u64 arg) {
    auto* g = reinterpret_cast<Grant*>(arg);
    IpcBuffer* b = thread_buffer();
    if (b) b->recv_slots[0] = 0;
    Msg m;
    const u64 none[4] = {};
    for (int i = 0; i < 2; i++) {
        if (ipc(abi::kSysIpcRecv, g->ep, 0, none, m) != 0) break;
        if (abi::tag_caps(m.tag) == 1 && b) {
            g->slot_got = b->recv_caps[0];
            abi::CapInfo info{};
            lstar::sys::cap_info(g->slot_got, &info);
            g->type_got = info.type;
            lstar::sys::notify_signal(g->slot_got, 0x5);
        } else {
            g->badge_seen = m.badge;
        }
        ipc(abi::kSysIpcReply, 0, abi::make_tag(0, 0), none, m);
    }
    lstar::thread_exit(0);
}

void badges_and_grants() {
    Grant g{};
    g.ep = u64(lstar::sys::endpoint_create(0));
    IpcBuffer* b = thread_buffer();
    i64 st = lstar::thread_create(grant_server, 0, reinterpret_cast<uptr>(&g), abi::kDefaultPriority, ~0ull);
    // A badged send-only copy: the server sees the badge, not the slot.
    i64 badged = lstar::sys::cap_mint(g.ep, 0, abi::kRightSend, 0x77);
    Msg m;
    const u64 none[4] = {};
    ipc(abi::kSysIpcCall, u64(badged), abi::make_tag(1, 0), none, m);
    bool ok = check(badged > 0 && g.badge_seen == 0x77);
    lstar::printf("ipctest: badge got=0x%lx want=0x77 ok=%u\n", g.badge_seen, ok);
    // A notification travels with a call; the server signals it.
    i64 n = lstar::sys::notification_create(0);
    if (b) b->caps[0] = u64(n);
    i64 r = ipc(abi::kSysIpcCall, g.ep, abi::make_tag(1, 0, 1), none, m);
    i64 bits = lstar::sys::notify_wait(u64(n), 0);
    if (st > 0) lstar::thread_join(u64(st));
    ok = check(r == 0 && g.slot_got > 0 && g.slot_got != u64(n) && g.type_got == abi::kCapNotification && bits == 5);
    lstar::printf("ipctest: grant result=%ld slot=%lu type=%u signalled=0x%lx ok=%u\n", r, g.slot_got, g.type_got,
                  bits, ok);
    lstar::sys::cap_delete(g.ep);
    lstar::sys::cap_delete(u64(badged));
    lstar::sys::cap_delete(u64(n));
    lstar::sys::cap_delete(g.slot_got);
}

// --- revoke ---

void revoke() {
    i64 ep = lstar::sys::endpoint_create(0);
    // A chain of copies, each from the last, plus a badged branch.
    u64 copies[6];
    u64 from = u64(ep);
    for (u64& c : copies) {
        c = u64(lstar::sys::cap_copy(from, 0, abi::kRightsAll));
        from = c;
    }
    i64 branch = lstar::sys::cap_mint(copies[2], 0, abi::kRightSend, 9);
    i64 removed = lstar::sys::cap_revoke(u64(ep));
    u32 left = 0;
    abi::CapInfo info{};
    for (u64 c : copies) left += lstar::sys::cap_info(c, &info) == 0;
    left += lstar::sys::cap_info(u64(branch), &info) == 0;
    i64 original = lstar::sys::cap_info(u64(ep), &info);
    bool ok = check(removed == 7 && left == 0 && original == 0 && info.type == abi::kCapEndpoint);
    lstar::printf("ipctest: revoke removed=%ld copies_left=%u original=%u ok=%u\n", removed, left, info.type, ok);
    lstar::sys::cap_delete(u64(ep));
}

// --- timeouts and non-blocking ---

void timeouts() {
    IpcBuffer* b = thread_buffer();
    i64 ep = lstar::sys::endpoint_create(0);
    const u64 none[4] = {};
    Msg m;
    b->timeout_ns = 20'000'000;
    u64 t0 = lstar::time_ns();
    i64 recv = ipc(abi::kSysIpcRecv, u64(ep), abi::kRecvTimeout, none, m);
    i64 call = ipc(abi::kSysIpcCall, u64(ep), abi::make_tag(1, 0) | abi::kTagTimeout, none, m);
    u64 waited_ms = (lstar::time_ns() - t0) / 1'000'000;
    i64 nb = ipc(abi::kSysIpcRecv, u64(ep), abi::kRecvNonBlocking, none, m);
    b->timeout_ns = 0;
    bool ok = check(recv == -abi::kTimeout && call == -abi::kTimeout && waited_ms >= 40 &&
                    nb == -abi::kWouldBlock);
    lstar::printf("ipctest: timeout recv=%ld call=%ld waited_ms=%lu nonblocking=%ld ok=%u\n", recv, call, waited_ms,
                  nb, ok);
    lstar::sys::cap_delete(u64(ep));
}

// --- errors: each bad argument its own code ---

void errors() {
    i64 ep = lstar::sys::endpoint_create(0);
    i64 n = lstar::sys::notification_create(0);
    i64 recv_only = lstar::sys::cap_copy(u64(ep), 0, abi::kRightReceive);
    const u64 none[4] = {};
    Msg m;
    i64 badslot = ipc(abi::kSysIpcCall, 200, abi::make_tag(1, 0), none, m);
    i64 wrongtype = ipc(abi::kSysIpcCall, u64(n), abi::make_tag(1, 0), none, m);
    i64 norights = ipc(abi::kSysIpcCall, u64(recv_only), abi::make_tag(1, 0), none, m);
    i64 badtag = ipc(abi::kSysIpcCall, u64(ep), abi::make_tag(1, 0) | 0x80, none, m);
    i64 taken = lstar::sys::cap_copy(u64(ep), u64(n), abi::kRightsAll);
    i64 outofrange = lstar::sys::cap_copy(u64(ep), 4096, abi::kRightsAll);
    bool ok = check(badslot == -abi::kBadSlot && wrongtype == -abi::kWrongType && norights == -abi::kNoRights &&
                    badtag == -abi::kInvalid && taken == -abi::kNoSlot && outofrange == -abi::kBadSlot);
    lstar::printf("ipctest: errors badslot=%ld wrongtype=%ld norights=%ld badtag=%ld taken=%ld range=%ld ok=%u\n",
                  badslot, wrongtype, norights, badtag, taken, outofrange, ok);
    lstar::sys::cap_delete(u64(recv_only));
    lstar::sys::cap_delete(u64(n));
    lstar::sys::cap_delete(u64(ep));
}

// --- a bound notification wakes a receiver ---

struct Bound {
    u64 ep, n;
    volatile u64 label, bits;
    volatile bool waiting;
};

void bound_receiver(u64 arg) {
    auto* bd = reinterpret_cast<Bound*>(arg);
    thread_buffer();
    lstar::sys::notify_bind(bd->n);
    bd->waiting = true;
    Msg m;
    const u64 none[4] = {};
    if (ipc(abi::kSysIpcRecv, bd->ep, 0, none, m) == 0) {
        bd->label = abi::tag_label(m.tag);
        bd->bits = m.badge;
    }
    lstar::thread_exit(0);
}

void bound() {
    Bound bd{};
    bd.ep = u64(lstar::sys::endpoint_create(0));
    bd.n = u64(lstar::sys::notification_create(0));
    i64 t = lstar::thread_create(bound_receiver, 0, reinterpret_cast<uptr>(&bd), abi::kDefaultPriority, ~0ull);
    while (!bd.waiting) lstar::yield();
    lstar::sleep_ns(5'000'000);  // let it block in ipc_recv
    lstar::sys::notify_signal(bd.n, 0x30);
    if (t > 0) lstar::thread_join(u64(t));
    bool ok = check(bd.label == abi::kLabelNotification && bd.bits == 0x30);
    lstar::printf("ipctest: bound label=0x%lx bits=0x%lx ok=%u\n", bd.label, bd.bits, ok);
    lstar::sys::cap_delete(bd.ep);
    lstar::sys::cap_delete(bd.n);
}

// --- an endpoint whose last capability goes cancels its waiter ---

struct Cancel {
    u64 ep;
    volatile i64 result;
    volatile bool waiting;
};

void cancel_waiter(u64 arg) {
    auto* c = reinterpret_cast<Cancel*>(arg);
    thread_buffer();
    c->waiting = true;
    Msg m;
    const u64 none[4] = {};
    c->result = ipc(abi::kSysIpcRecv, c->ep, 0, none, m);
    lstar::thread_exit(0);
}

void cancel() {
    Cancel c{};
    c.ep = u64(lstar::sys::endpoint_create(0));
    c.result = 1;
    i64 t = lstar::thread_create(cancel_waiter, 0, reinterpret_cast<uptr>(&c), abi::kDefaultPriority, ~0ull);
    while (!c.waiting) lstar::yield();
    lstar::sleep_ns(5'000'000);
    lstar::sys::cap_delete(c.ep);
    if (t > 0) lstar::thread_join(u64(t));
    bool ok = check(c.result == -abi::kCancelled);
    lstar::printf("ipctest: cancel result=%ld ok=%u\n", c.result, ok);
}

// --- the round trip between two tasks (init's bus endpoint, slot 1) ---

constexpr u64 kBusSlot = 1;

u64 rdtsc() {
    u32 lo, hi;
    asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
    return u64(hi) << 32 | lo;
}

// Answers every ping with its words until a stop.
int bench_server() {
    thread_buffer();
    Msg m;
    const u64 none[4] = {};
    i64 r = ipc(abi::kSysIpcRecv, kBusSlot, 0, none, m);
    u64 served = 0;
    while (r == 0 && abi::tag_label(m.tag) == kLabelPing) {
        served++;
        const u64 answer[4] = {m.w[0] + 1, m.w[1], m.w[2], m.w[3]};
        r = ipc(abi::kSysIpcReplyRecv, kBusSlot, abi::make_tag(0, 4), answer, m);
    }
    if (r == 0) ipc(abi::kSysIpcReply, 0, abi::make_tag(0, 0), none, m);
    lstar::printf("ipctest: bench-server served=%lu result=%ld\n", served, r);
    return r == 0 ? 0 : 1;
}

// Time stamps around batches of calls: with QEMU's -icount the TSC counts
// instructions, so the figure is the path length of call + reply between
// two address spaces. The same loop around a plain function call is the
// overhead subtracted. The minimum over the batches after the first.
__attribute__((noinline)) i64 no_call(u64, u64, u64, const u64 (&)[4], Msg& m) {
    asm volatile("" ::: "memory");
    m.w[0]++;
    return 0;
}

int bench_client() {
    thread_buffer();
    constexpr int kBatches = 4;
    u64 best = ~0ull, best_loop = ~0ull, bad = 0;
    for (int b = 0; b < kBatches; b++) {
        for (int pass = 0; pass < 2; pass++) {
            auto fn = pass == 0 ? ipc : no_call;
            u64 t0 = rdtsc();
            for (u64 i = 0; i < g_rounds; i++) {
                const u64 w[4] = {i, 1, 2, 3};
                Msg m;
                i64 r = fn(abi::kSysIpcCall, kBusSlot, abi::make_tag(kLabelPing, 4), w, m);
                if (pass == 0 && (r != 0 || m.w[0] != i + 1)) bad++;
            }
            u64 per = (rdtsc() - t0) / g_rounds;
            if (b == 0) continue;  // warming up
            if (pass == 0 && per < best) best = per;
            if (pass == 1 && per < best_loop) best_loop = per;
        }
    }
    const u64 none[4] = {};
    Msg m;
    ipc(abi::kSysIpcCall, kBusSlot, abi::make_tag(kLabelStop, 0), none, m);
    lstar::printf("ipctest: bench calls=%lu per_call=%lu loop=%lu round_trip=%lu bad=%lu\n", g_rounds, best,
                  best_loop, best - best_loop, bad);
    return bad == 0 ? 0 : 1;
}

// --- the 64-bit end of ipctest32 (compat.h), on the bus ---

// All n words of a received message: 0..3 from the registers, the rest from
// the buffer.
void gather(const Msg& m, const IpcBuffer* b, u32 n, u64 (&all)[abi::kMaxWords]) {
    for (u32 i = 0; i < n; i++) all[i] = i < abi::kRegisterWords ? m.w[i] : b->words[i];
}

// The other way: words 0..3 into regs, the rest into the buffer.
void scatter(const u64 (&all)[abi::kMaxWords], u32 n, IpcBuffer* b, u64 (&regs)[4]) {
    for (u32 i = 0; i < abi::kRegisterWords; i++) regs[i] = i < n ? all[i] : 0;
    for (u32 i = abi::kRegisterWords; i < n; i++) b->words[i] = all[i];
}

struct Tally {
    u64 calls = 0, bad = 0, words = 0, last_seq = ~0ull;
    u64 checksum = ipctest::kChecksumSeed, reply_checksum = ipctest::kChecksumSeed;
};

// What the grant message brought and what came of it.
struct CompatGrant {
    u64 caps = 0, ep_slot = 0, n_slot = 0;
    abi::CapInfo ep{}, n{};
    i64 reply = 1, signalled = 0, done = 1;
    Tally calls;
};

// Waits up to five seconds for bits on a notification: a client that never
// signals shows as signalled=0, not as a hung boot.
i64 wait_bits(u64 n) {
    for (int i = 0; i < 500; i++) {
        i64 bits = lstar::sys::notify_wait(n, abi::kRecvNonBlocking);
        if (bits != -abi::kWouldBlock) return bits;
        lstar::sleep_ns(10'000'000);
    }
    return 0;
}

// The grant message (word 0: how many calls to make): answer with a
// capability to a notification of ours, wait for the client to signal it,
// signal the client's notification, then call the client's endpoint.
void compat_grant(const Msg& m, IpcBuffer* b, CompatGrant& g) {
    const u64 none[4] = {};
    Msg out;
    u64 serve = abi::tag_words(m.tag) >= 1 ? m.w[0] : 0;
    g.caps = abi::tag_caps(m.tag);
    if (g.caps >= 1) g.ep_slot = b->recv_caps[0];
    if (g.caps >= 2) g.n_slot = b->recv_caps[1];
    lstar::sys::cap_info(g.ep_slot, &g.ep);
    lstar::sys::cap_info(g.n_slot, &g.n);
    i64 own = lstar::sys::notification_create(0);
    i64 give = own > 0 ? lstar::sys::cap_copy(u64(own), 0, abi::kRightSend) : own;
    b->caps[0] = u64(give);
    g.reply = ipc(abi::kSysIpcReply, 0, abi::make_tag(ipctest::kLabelGrant, 0, give > 0 ? 1 : 0), none, out);
    if (give > 0) lstar::sys::cap_delete(u64(give));  // the client's copy stays, under `own`
    if (own > 0) g.signalled = wait_bits(u64(own));
    if (g.n_slot) lstar::sys::notify_signal(g.n_slot, ipctest::kServerBits);

    Tally& t = g.calls;
    for (u64 seq = 0; g.ep_slot && seq < serve; seq++) {
        u32 n = ipctest::words_for(seq);
        u64 all[abi::kMaxWords], regs[4];
        for (u32 i = 0; i < n; i++) {
            all[i] = ipctest::word(seq, i);
            t.checksum = ipctest::fold(t.checksum, all[i]);
        }
        scatter(all, n, b, regs);
        i64 r = ipc(abi::kSysIpcCall, g.ep_slot, abi::make_tag(ipctest::kLabelServe, n), regs, out);
        t.calls++;
        t.words += n;
        t.last_seq = seq;
        bool good = r == 0 && abi::tag_label(out.tag) == u32(seq) + ipctest::kLabelAnswer &&
                    abi::tag_words(out.tag) == n && abi::tag_caps(out.tag) == 0 && out.badge == 0;
        if (r == 0) {
            gather(out, b, n, all);
            for (u32 i = 0; i < n; i++) {
                t.reply_checksum = ipctest::fold(t.reply_checksum, all[i]);
                good = good && all[i] == ipctest::answer(ipctest::word(seq, i), i);
            }
        }
        if (!good) {
            if (t.bad == 0)
                lstar::printf("ipctest: compat-server-grant-bad seq=%lu result=%ld tag=0x%lx\n", seq, r,
                              out.tag);
            t.bad++;
        }
    }
    if (g.ep_slot)
        g.done = ipc(abi::kSysIpcCall, g.ep_slot, abi::make_tag(ipctest::kLabelDone, 0), none, out);
    if (own > 0) lstar::sys::cap_delete(u64(own));
}

// Serves ipctest32 until its stop: every numbered message checked against
// what its sequence number says it holds, and answered word for word.
int compat_server() {
    IpcBuffer* b = thread_buffer();
    if (!b) return 1;
    b->recv_slots[0] = b->recv_slots[1] = 0;
    Tally t;
    CompatGrant g;
    const u64 none[4] = {};
    Msg m;
    u64 other = 0;  // messages of no known kind
    i64 r = ipc(abi::kSysIpcRecv, kBusSlot, 0, none, m);
    while (r == 0) {
        u32 label = abi::tag_label(m.tag), n = abi::tag_words(m.tag);
        if (label == ipctest::kLabelSeq) {
            u64 seq = t.calls;
            u64 all[abi::kMaxWords], regs[4];
            gather(m, b, n, all);
            bool good = n == ipctest::words_for(seq) && abi::tag_caps(m.tag) == 0 && m.badge == 0;
            for (u32 i = 0; i < n; i++) {
                t.checksum = ipctest::fold(t.checksum, all[i]);
                good = good && all[i] == ipctest::word(seq, i);
            }
            if (!good) {
                if (t.bad == 0)
                    lstar::printf("ipctest: compat-server-bad seq=%lu tag=0x%lx w0=%lu\n", seq, m.tag,
                                  n ? all[0] : 0);
                t.bad++;
            }
            t.calls++;
            t.words += n;
            t.last_seq = n ? all[0] : ~0ull;
            for (u32 i = 0; i < n; i++) {
                all[i] = ipctest::answer(all[i], i);
                t.reply_checksum = ipctest::fold(t.reply_checksum, all[i]);
            }
            scatter(all, n, b, regs);
            u32 answer_label = u32(t.last_seq) + ipctest::kLabelAnswer;
            r = ipc(abi::kSysIpcReplyRecv, kBusSlot, abi::make_tag(answer_label, n), regs, m);
            continue;
        }
        if (label == ipctest::kLabelStop) break;
        if (label == ipctest::kLabelGrant)
            compat_grant(m, b, g);
        else
            other++;
        if (label != ipctest::kLabelGrant) ipc(abi::kSysIpcReply, 0, abi::make_tag(0, 0), none, m);
        r = ipc(abi::kSysIpcRecv, kBusSlot, 0, none, m);
    }
    if (r == 0) ipc(abi::kSysIpcReply, 0, abi::make_tag(ipctest::kLabelStop, 0), none, m);
    lstar::printf(
        "ipctest: compat-server calls=%lu bad=%lu words=%lu last_seq=%lu checksum=0x%lx "
        "reply_checksum=0x%lx other=%lu result=%ld\n",
        t.calls, t.bad, t.words, t.last_seq, t.checksum, t.reply_checksum, other, r);
    const Tally& c = g.calls;
    lstar::printf(
        "ipctest: compat-server-grant caps=%lu ep_type=%u ep_rights=0x%x ep_badge=0x%lx n_type=%u "
        "n_rights=0x%x reply=%ld signalled=0x%lx calls=%lu bad=%lu words=%lu last_seq=%lu "
        "checksum=0x%lx reply_checksum=0x%lx done=%ld\n",
        g.caps, g.ep.type, g.ep.rights, g.ep.badge, g.n.type, g.n.rights, g.reply, g.signalled, c.calls,
        c.bad, c.words, c.last_seq, c.checksum, c.reply_checksum, g.done);
    if (g.ep_slot) lstar::sys::cap_delete(g.ep_slot);
    if (g.n_slot) lstar::sys::cap_delete(g.n_slot);
    bool ok = r == 0 && t.bad == 0 && other == 0 && g.caps == 2 && g.reply == 0 &&
              g.signalled == i64(ipctest::kClientBits) && c.bad == 0 && g.done == 0;
    return ok ? 0 : 1;
}

// --- a capability handed from one task to another, then revoked ---
//
// cap-owner (task A) mints badged send-only copies of an endpoint and a
// notification and sends them to cap-user (task B) in one call on the bus.
// B signals the notification and calls the endpoint, which A serves; A
// checks both badges, revokes its originals' derivation trees (its minted
// copies and B's, which derive from them), and calls B again on the bus;
// B then tries its copies once more and answers with the errors it got.

constexpr u32 kLabelCaps = 0x61, kLabelUse = 0x62, kLabelRevoked = 0x63;
constexpr u64 kOwnerEpBadge = 0xa1, kOwnerNBadge = 0xb0, kUserBits = 0x4;
constexpr u64 kUseWord = 0x5eed;

int cap_owner() {
    IpcBuffer* b = thread_buffer();
    if (!b) return 1;
    i64 ep = lstar::sys::endpoint_create(0);
    i64 n = lstar::sys::notification_create(0);
    i64 ep_badged = lstar::sys::cap_mint(u64(ep), 0, abi::kRightSend, kOwnerEpBadge);
    i64 n_badged = lstar::sys::cap_mint(u64(n), 0, abi::kRightSend, kOwnerNBadge);
    b->caps[0] = u64(ep_badged);
    b->caps[1] = u64(n_badged);
    const u64 none[4] = {};
    Msg m;
    i64 sent = ipc(abi::kSysIpcCall, kBusSlot, abi::make_tag(kLabelCaps, 0, 2), none, m);
    u64 user_got = sent == 0 && abi::tag_words(m.tag) == 1 ? m.w[0] : 0;

    // B's call through its copy: the badge says which copy it came by.
    i64 served = ipc(abi::kSysIpcRecv, u64(ep), 0, none, m);
    u64 badge = m.badge, got_word = m.w[0];
    const u64 answer[4] = {got_word + 1, 0, 0, 0};
    if (served == 0) ipc(abi::kSysIpcReply, 0, abi::make_tag(kLabelUse, 1), answer, m);
    // B signalled before it called, so the bits are there by now.
    i64 signalled = lstar::sys::notify_wait(u64(n), abi::kRecvNonBlocking);

    i64 revoked_ep = lstar::sys::cap_revoke(u64(ep));
    i64 revoked_n = lstar::sys::cap_revoke(u64(n));
    abi::CapInfo info{};
    i64 minted_ep = lstar::sys::cap_info(u64(ep_badged), &info);
    i64 minted_n = lstar::sys::cap_info(u64(n_badged), &info);
    u32 originals = 0;
    if (lstar::sys::cap_info(u64(ep), &info) == 0 && info.type == abi::kCapEndpoint) originals++;
    if (lstar::sys::cap_info(u64(n), &info) == 0 && info.type == abi::kCapNotification) originals++;

    i64 told = ipc(abi::kSysIpcCall, kBusSlot, abi::make_tag(kLabelRevoked, 0), none, m);
    bool answered = told == 0 && abi::tag_words(m.tag) == 3;
    i64 user_call = answered ? i64(m.w[0]) : 1, user_signal = answered ? i64(m.w[1]) : 1;
    i64 user_info = answered ? i64(m.w[2]) : 1;
    // Nothing B did after the revoke reached the notification.
    i64 late_bits = lstar::sys::notify_wait(u64(n), abi::kRecvNonBlocking);

    bool ok = check(ep > 0 && n > 0 && sent == 0 && user_got == 2 && served == 0 && badge == kOwnerEpBadge &&
                    got_word == kUseWord && signalled == i64(kOwnerNBadge | kUserBits) && revoked_ep == 2 &&
                    revoked_n == 2 && minted_ep == -abi::kBadSlot && minted_n == -abi::kBadSlot &&
                    originals == 2 && user_call == -abi::kBadSlot && user_signal == -abi::kBadSlot &&
                    user_info == -abi::kBadSlot && late_bits == -abi::kWouldBlock);
    lstar::printf(
        "ipctest: cap-owner sent=%ld user_got=%lu served=%ld badge=0x%lx word=0x%lx signalled=0x%lx "
        "revoked_ep=%ld revoked_n=%ld minted_ep=%ld minted_n=%ld originals=%u user_call=%ld "
        "user_signal=%ld user_info=%ld late_bits=%ld ok=%u\n",
        sent, user_got, served, badge, got_word, signalled, revoked_ep, revoked_n, minted_ep, minted_n,
        originals, user_call, user_signal, user_info, late_bits, ok);
    lstar::sys::cap_delete(u64(ep));
    lstar::sys::cap_delete(u64(n));
    return ok ? 0 : 1;
}

int cap_user() {
    IpcBuffer* b = thread_buffer();
    if (!b) return 1;
    b->recv_slots[0] = b->recv_slots[1] = 0;
    const u64 none[4] = {};
    Msg m;
    i64 r = ipc(abi::kSysIpcRecv, kBusSlot, 0, none, m);
    u64 got = r == 0 && abi::tag_label(m.tag) == kLabelCaps ? abi::tag_caps(m.tag) : 0;
    u64 ep = got >= 1 ? b->recv_caps[0] : 0, n = got >= 2 ? b->recv_caps[1] : 0;
    abi::CapInfo ep_info{}, n_info{};
    lstar::sys::cap_info(ep, &ep_info);
    lstar::sys::cap_info(n, &n_info);
    const u64 count[4] = {got, 0, 0, 0};
    if (r == 0) ipc(abi::kSysIpcReply, 0, abi::make_tag(kLabelCaps, 1), count, m);

    // The copies carry send only: receiving on the endpoint is refused.
    i64 recv = ipc(abi::kSysIpcRecv, ep, abi::kRecvNonBlocking, none, m);
    i64 signal = lstar::sys::notify_signal(n, kUserBits);
    const u64 use[4] = {kUseWord, 0, 0, 0};
    i64 call = ipc(abi::kSysIpcCall, ep, abi::make_tag(kLabelUse, 1), use, m);
    u64 answer = call == 0 ? m.w[0] : 0;

    // Wait for A's revoke, then try again. A call that still went through
    // would wait for a receiver that never comes: the timeout bounds it.
    i64 told = ipc(abi::kSysIpcRecv, kBusSlot, 0, none, m);
    bool revoked = told == 0 && abi::tag_label(m.tag) == kLabelRevoked;
    b->timeout_ns = 100'000'000;
    i64 after_call = ipc(abi::kSysIpcCall, ep, abi::make_tag(kLabelUse, 1) | abi::kTagTimeout, use, m);
    b->timeout_ns = 0;
    i64 after_signal = lstar::sys::notify_signal(n, kUserBits << 1);
    abi::CapInfo after{};
    i64 after_info = lstar::sys::cap_info(ep, &after);
    const u64 results[4] = {u64(after_call), u64(after_signal), u64(after_info), 0};
    if (told == 0) ipc(abi::kSysIpcReply, 0, abi::make_tag(kLabelRevoked, 3), results, m);

    bool ok =
        check(got == 2 && ep_info.type == abi::kCapEndpoint && ep_info.badge == kOwnerEpBadge &&
              ep_info.rights == abi::kRightSend && n_info.type == abi::kCapNotification &&
              n_info.badge == kOwnerNBadge && n_info.rights == abi::kRightSend && recv == -abi::kNoRights &&
              signal == 0 && call == 0 && answer == kUseWord + 1 && revoked && after_call == -abi::kBadSlot &&
              after_signal == -abi::kBadSlot && after_info == -abi::kBadSlot);
    lstar::printf(
        "ipctest: cap-user got=%lu ep_type=%u ep_badge=0x%lx ep_rights=0x%x n_type=%u n_badge=0x%lx "
        "n_rights=0x%x recv=%ld signal=%ld call=%ld answer=0x%lx revoked=%u after_call=%ld "
        "after_signal=%ld after_info=%ld ok=%u\n",
        got, ep_info.type, ep_info.badge, ep_info.rights, n_info.type, n_info.badge, n_info.rights, recv,
        signal, call, answer, revoked, after_call, after_signal, after_info, ok);
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; i++) lstar::arg_u64(argv[i], "rounds", g_rounds);
    for (int i = 1; i < argc; i++) {
        if (kstd::strcmp(argv[i], "bench-server") == 0) return bench_server();
        if (kstd::strcmp(argv[i], "bench-client") == 0) return bench_client();
        if (kstd::strcmp(argv[i], "compat-server") == 0) return compat_server();
        if (kstd::strcmp(argv[i], "cap-owner") == 0) return cap_owner();
        if (kstd::strcmp(argv[i], "cap-user") == 0) return cap_user();
    }
    u32 cpus = lstar::cpu_count();
    pairs(cpus);
    long_messages();
    badges_and_grants();
    revoke();
    timeouts();
    errors();
    bound();
    cancel();
    lstar::printf("ipctest: done checks=%u failed=%u\n", g_checks, g_failed);
    return int(g_failed);
}
