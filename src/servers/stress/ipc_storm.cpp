// The IPC storm: checksummed, numbered calls between threads pinned to
// every CPU, on endpoints of this task.
//   - pairs: one server per CPU and one client per CPU; of every four calls
//     of the client on CPU a, one goes to the server on CPU a and two to the
//     server on CPU (a + k) % cpus, k = 1 .. cpus - 1 moving on each time,
//     so every (a, b) pair is covered;
//   - many to one: the fourth call of each of those clients, one per CPU,
//     goes to one more server (sharing the clients keeps the task within
//     the kernel's 128 threads on 8 CPUs);
//   - a chain: a client calls S1, which forwards each message to S2, which
//     forwards it to S3; each answers the one above after checking the
//     answer from below.
// Messages (check.h): client id, sequence number, payload, checksum; mostly
// four words (the kernel's register fast path), every 16th 5 to 32 words
// (through the IPC buffers). A server checks the checksum and that the
// client's numbers only rise (dup otherwise), and answers with the words
// and a transformed checksum, which the client checks in turn.
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/stress/suite.h"

namespace stress {
namespace {

constexpr u32 kLabelMsg = 1, kLabelStop = 2, kLabelFailed = 3;
constexpr u32 kMaxClients = kMaxCpus + 1;
constexpr u64 kStopCallNs = 300'000'000;

struct Server {
    u64 ep;
    u64 next_ep;    // chain: where to forward (0: answers itself)
    u32 depth_below;  // hops below this one that transform the answer
    SeqTracker<kMaxClients> seen;
    u64 served, dup, corrupt, errors;
};

enum ClientKind : u32 { kPairs, kChain };

struct Client {
    u32 id, cpu;
    ClientKind kind;
    u64 sent, verified, lost, corrupt, errors;
    u64 covered;  // kPairs: bit b once a call to the server on CPU b was verified
    i64 first_error;
};

Server g_pair_servers[kMaxCpus];
Server g_m2o_server;
Server g_chain[3];
Client g_clients[kMaxClients];
u32 g_client_count;
u32 g_clients_live;

void serve(ThreadCtx& ctx) {
    Server& s = *reinterpret_cast<Server*>(ctx.arg);
    u64 msg[abi::kMaxWords], fwd[abi::kMaxWords];
    u32 n = 0, label = 0;
    i64 r = ipc_raw(abi::kSysIpcRecv, s.ep, 0, ctx.buf, msg, 0, &n, &label, nullptr);
    while (r == 0 && label != kLabelStop) {
        u32 answer = 0;
        switch (check_request(s.seen, msg, n)) {
            case MsgVerdict::kOk: break;
            case MsgVerdict::kDup: s.dup++; break;
            case MsgVerdict::kCorrupt: s.corrupt++; break;
            case MsgVerdict::kBadClient: s.errors++; break;
        }
        if (label != kLabelMsg || n < 3) {
            s.errors++;
            answer = kLabelFailed;
        } else if (s.next_ep) {
            for (u32 i = 0; i < n; ++i) fwd[i] = msg[i];
            u32 fn = 0, flabel = 0;
            const i64 fr = ipc_raw(abi::kSysIpcCall, s.next_ep, abi::make_tag(kLabelMsg, n), ctx.buf, fwd, n, &fn,
                                   &flabel, nullptr);
            if (fr != 0 || flabel != 0 || fn != n) {
                s.errors++;
                answer = kLabelFailed;
            } else if (!check_reply(msg, fwd, n, s.depth_below)) {
                s.corrupt++;
                answer = kLabelFailed;
            } else {
                msg[n - 1] = reply_transform(fwd[n - 1]);
            }
        } else {
            msg[n - 1] = reply_transform(msg[n - 1]);
        }
        s.served++;
        const u32 words = answer ? 0 : n;
        r = ipc_raw(abi::kSysIpcReplyRecv, s.ep, abi::make_tag(answer, words), ctx.buf, msg, words, &n, &label,
                    nullptr);
    }
    if (r == 0) ipc_raw(abi::kSysIpcReply, 0, abi::make_tag(0, 0), ctx.buf, msg, 0, nullptr, nullptr, nullptr);
}

u64 target(const Client& c, u64 seq, u32* server_cpu) {
    switch (c.kind) {
        case kPairs: {
            // Of every four calls: one to the many-to-one server, one to the
            // server on this CPU, two to the next other CPU's server of the
            // rotation (2 * (cpus - 1) calls cover every pair).
            if (seq % 4 == 0) {
                *server_cpu = kMaxCpus;
                return g_m2o_server.ep;
            }
            const u32 cpus = g_run.cpus;
            const u32 b = seq % 4 == 2 || cpus == 1 ? c.cpu : u32((c.cpu + 1 + (seq / 2) % (cpus - 1)) % cpus);
            *server_cpu = b;
            return g_pair_servers[b].ep;
        }
        case kChain: return g_chain[0].ep;
    }
    return 0;
}

void client(ThreadCtx& ctx) {
    Client& c = *reinterpret_cast<Client*>(ctx.arg);
    Rng rng = stream_rng(g_run.seed, 0x1000 + c.id);
    const u32 depth = c.kind == kChain ? 3 : 1;
    u64 msg[abi::kMaxWords], sent[abi::kMaxWords];
    for (u64 seq = 1; !stopping(); ++seq) {
        if (seq % kIpcBurst == 0) lstar::sleep_ns(kIpcPauseNs);
        const u32 n = rng.below(16) == 0 ? u32(5 + rng.below(28)) : 4;
        msg[0] = c.id;
        msg[1] = seq;
        for (u32 i = 2; i + 1 < n; ++i) msg[i] = rng.next();
        msg[n - 1] = msg_checksum(msg, n - 1);
        for (u32 i = 0; i < n; ++i) sent[i] = msg[i];
        u32 server_cpu = 0, got = 0, label = 0;
        const u64 ep = target(c, seq, &server_cpu);
        const i64 r = ipc_raw(abi::kSysIpcCall, ep, abi::make_tag(kLabelMsg, n), ctx.buf, msg, n, &got, &label, nullptr);
        c.sent++;
        bump(g_cpu_ipc[c.cpu].sent);
        if (r < 0) {
            if (c.first_error == 0) c.first_error = r;
            c.lost++;
            lstar::yield();  // a failing call may not block: do not hog the CPU
        } else if (label != 0 || got != n) {
            if (c.first_error == 0) c.first_error = label ? -i64(label) : -1000 - i64(got);
            c.errors++;
        } else if (!check_reply(sent, msg, n, depth)) {
            c.corrupt++;
        } else {
            c.verified++;
            bump(g_cpu_ipc[c.cpu].verified);
            if (c.kind == kPairs && server_cpu < kMaxCpus) c.covered |= cpu_bit(server_cpu);
        }
    }
    __atomic_fetch_sub(&g_clients_live, 1, __ATOMIC_RELEASE);
}

bool add_server(Workload& w, Server& s, u32 cpu, u32 index, u64 next_ep = 0) {
    const i64 ep = lstar::sys::endpoint_create(0);
    if (ep < 0) return false;
    s.ep = u64(ep);
    s.next_ep = next_ep;
    return spawn(w, serve, reinterpret_cast<uptr>(&s), index, ipc_priority(), cpu_bit(cpu)) >= 0;
}

bool add_client(Workload& w, ClientKind kind, u32 cpu) {
    Client& c = g_clients[g_client_count];
    c = Client{g_client_count, cpu, kind, 0, 0, 0, 0, 0, 0, 0};
    g_client_count++;
    __atomic_fetch_add(&g_clients_live, 1, __ATOMIC_RELAXED);
    if (spawn(w, client, reinterpret_cast<uptr>(&c), 100 + c.id, ipc_priority(), cpu_bit(cpu)) >= 0) return true;
    __atomic_fetch_sub(&g_clients_live, 1, __ATOMIC_RELAXED);
    return false;
}

}  // namespace

bool ipc_start(Workload& w) {
    const u32 cpus = g_run.cpus;
    bool ok = true;
    for (u32 b = 0; b < cpus; ++b) ok = add_server(w, g_pair_servers[b], b, b) && ok;
    ok = add_server(w, g_m2o_server, 0, 64) && ok;
    // S3 first: S2 forwards to it, S1 to S2.
    for (int i = 2; i >= 0; --i) {
        g_chain[i].depth_below = u32(2 - i);
        ok = add_server(w, g_chain[i], u32(i + 1) % cpus, 65 + u32(i), i < 2 ? g_chain[i + 1].ep : 0) && ok;
    }
    for (u32 a = 0; a < cpus; ++a) ok = add_client(w, kPairs, a) && ok;
    ok = add_client(w, kChain, cpus - 1) && ok;
    return ok;
}

void ipc_stop(u64 deadline) {
    Server* servers[kMaxCpus + 4];
    u32 count = 0;
    for (u32 b = 0; b < g_run.cpus; ++b) servers[count++] = &g_pair_servers[b];
    servers[count++] = &g_m2o_server;
    for (Server& s : g_chain) servers[count++] = &s;
    while (__atomic_load_n(&g_clients_live, __ATOMIC_ACQUIRE) != 0 && lstar::time_ns() < deadline)
        lstar::sleep_ns(2'000'000);
    if (__atomic_load_n(&g_clients_live, __ATOMIC_ACQUIRE) != 0) {
        // A client still waits for an answer that never came: deleting the
        // endpoints ends its call (-kCancelled, counted lost) and the servers.
        for (u32 i = 0; i < count; ++i) lstar::sys::cap_delete(servers[i]->ep);
        return;
    }
    auto* buf = static_cast<abi::IpcBuffer*>(lstar::vm_alloc(sizeof(abi::IpcBuffer)));
    if (!buf || lstar::sys::ipc_buffer(reinterpret_cast<uptr>(buf)) != 0) return;
    buf->timeout_ns = kStopCallNs;
    u64 none[1] = {};
    for (u32 i = 0; i < count; ++i)
        ipc_raw(abi::kSysIpcCall, servers[i]->ep, abi::make_tag(kLabelStop, 0) | abi::kTagTimeout, buf, none, 0,
                nullptr, nullptr, nullptr);
    lstar::sys::ipc_buffer(0);
}

void ipc_report(bool) {
    u64 sent = 0, verified = 0, lost = 0, dup = 0, corrupt = 0, errors = 0;
    const Client* idle = nullptr;
    const Client* failing = nullptr;
    u64 covered_pairs = 0;
    for (u32 i = 0; i < g_client_count; ++i) {
        const Client& c = g_clients[i];
        sent += c.sent;
        verified += c.verified;
        lost += c.lost;
        corrupt += c.corrupt;
        errors += c.errors;
        for (u64 m = c.covered; m; m &= m - 1) covered_pairs++;
        if (c.verified == 0 && !idle) idle = &c;
        if (c.first_error != 0 && !failing) failing = &c;
    }
    const u32 cpus = g_run.cpus;
    auto add = [&](const Server& s) {
        dup += s.dup;
        corrupt += s.corrupt;
        errors += s.errors;
    };
    for (u32 b = 0; b < cpus; ++b) add(g_pair_servers[b]);
    add(g_m2o_server);
    for (const Server& s : g_chain) add(s);
    lstar::printf("stress: ipc sent=%lu verified=%lu lost=%lu dup=%lu corrupt=%lu errors=%lu\n", sent, verified, lost,
                  dup, corrupt, errors);
    if (lost || dup || corrupt || errors)
        fail("ipc lost=%lu dup=%lu corrupt=%lu errors=%lu first_error=%ld", lost, dup, corrupt, errors,
             failing ? failing->first_error : 0);
    if (idle) fail("ipc client=%u cpu=%u kind=%u verified=0", idle->id, idle->cpu, idle->kind);
    if (covered_pairs != u64(cpus) * cpus) fail("ipc pairs covered=%lu of %u", covered_pairs, cpus * cpus);
}

}  // namespace stress
