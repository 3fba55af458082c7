// svctest: a server killed in the middle of calls, for the boot tests of
// init's restarts. Two modes of one program, run as two manifest servers
// (test/boot/manifests/restart.manifest):
//
//   svctest server   serves its endpoint (slot 2):
//                      echo (label 1): words = seq, payload..., checksum
//                        (ipc::proto::checksum of the words before it);
//                        reply ok with seq, this task's id, the payload and
//                        a checksum of those; kInvalid for a bad checksum.
//                      hold (label 2): sleeps 2 s, then answers ok; the
//                        client asks init to kill the server meanwhile.
//                    prints `svctest: server ready task=ID`.
//   svctest client [calls=N]   (slot 4: the server's endpoint, send; slot 5:
//                    init's control endpoint, send)
//                    1. N checksummed echo calls, every reply checked;
//                    2. a hold call from a second thread; once the server
//                       holds it, asks init to kill the server (the task id
//                       the echoes reported); the hold call must end with
//                       kCancelled;
//                    3. N more echo calls: they wait for init's restart and
//                       must all be answered, by a task with a new id.
//                    prints `svctest: client calls=N ok_before=A killed=ID
//                    kill=R hold=H ok_after=B new_task=ID2 bad=X` and exits
//                    0 iff A = B = N, R = 0, H = -kCancelled, ID2 != ID
//                    and X = 0.
#include "lib/abi/ipc.h"
#include "lib/ipc/message.h"
#include "lib/ipc/protocol.h"
#include "lib/ipc/server.h"
#include "lib/ipc/transport.h"
#include "lib/kstd/string.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/shell/shell_protocol.h"

namespace {

namespace proto = ipc::proto;

constexpr u32 kEcho = 1, kHold = 2;
constexpr u64 kSlotServer = proto::kSlotGivenFirst;  // 4
constexpr u64 kSlotInit = proto::kSlotGivenFirst + 1;  // 5
constexpr u64 kHoldNs = 2'000'000'000;
constexpr u32 kPayload = 5;

// This task's id: the task of the thread_list entry with this thread's id.
u64 own_task_id() {
    static abi::ThreadInfo infos[64];
    const i64 self = lstar::thread_self();
    const i64 n = lstar::sys::thread_list(infos, sizeof(infos));
    for (i64 i = 0; i < n && i < 64; ++i) {
        if (static_cast<i64>(infos[i].tid) == self) return infos[i].task_id;
    }
    return 0;
}

u64 g_task_id = 0;
volatile u32 g_holding = 0;

ipc::Action serve_one(ipc::Message& msg) {
    ipc::drop_received_caps(msg);
    if (msg.label() == kHold) {
        __atomic_store_n(&g_holding, 1u, __ATOMIC_RELEASE);
        lstar::printf("svctest: server task=%lu holding a call\n", g_task_id);
        lstar::sleep_ns(kHoldNs);
        msg.reply();
        return ipc::Action::kReply;
    }
    if (msg.label() != kEcho) return ipc::reject(msg);
    const u32 n = msg.word_count();
    if (n < 2 || proto::checksum(msg.words(), n - 1) != msg.word(n - 1)) {
        msg.reply_error(abi::kInvalid);
        return ipc::Action::kReply;
    }
    u64 words[abi::kMaxWords];
    for (u32 i = 0; i < n - 1; ++i) words[i] = msg.word(i);
    msg.reply();
    msg.push(words[0]).push(g_task_id);
    for (u32 i = 1; i < n - 1; ++i) msg.push(words[i]);
    msg.push(proto::checksum(msg.words(), msg.word_count()));
    return ipc::Action::kReply;
}

int server() {
    g_task_id = own_task_id();
    const i64 ep = ipc::own_endpoint(proto::kSlotEndpoint);
    if (ep < 0) {
        lstar::printf("svctest: server no endpoint error=%ld\n", -ep);
        return 1;
    }
    lstar::printf("svctest: server ready task=%lu\n", g_task_id);
    const i64 r = ipc::serve(static_cast<u64>(ep), [](ipc::Message& m) { return serve_one(m); });
    lstar::printf("svctest: server stopped error=%ld\n", -r);
    return 1;
}

// One echo call; 0 and the serving task's id, or -abi::Error.
i64 echo(u64 seq, u64& task) {
    ipc::Message m(kEcho);
    m.push(seq);
    for (u32 i = 0; i < kPayload; ++i) m.push(seq * 0x9e3779b97f4a7c15ull + i);
    m.push(proto::checksum(m.words(), m.word_count()));
    if (i64 e = ipc::transport().call(kSlotServer, m); e < 0) return e;
    if (i64 s = m.status(); s < 0) return s;
    const u32 n = m.word_count();
    if (n != kPayload + 3 || m.word(0) != seq || proto::checksum(m.words(), n - 1) != m.word(n - 1))
        return -abi::kInvalid;
    for (u32 i = 0; i < kPayload; ++i) {
        if (m.word(2 + i) != seq * 0x9e3779b97f4a7c15ull + i) return -abi::kInvalid;
    }
    task = m.word(1);
    return 0;
}

volatile i64 g_hold_result = 1;

void hold_thread(u64) {
    ipc::transport().thread_init();
    ipc::Message m(kHold);
    i64 r = ipc::transport().call(kSlotServer, m);
    if (r >= 0) r = m.status();
    __atomic_store_n(&g_hold_result, r, __ATOMIC_RELEASE);
}

int client(u64 calls) {
    u64 ok_before = 0, ok_after = 0, bad = 0, old_task = 0, new_task = 0;
    for (u64 seq = 1; seq <= calls; ++seq) {
        u64 task = 0;
        const i64 r = echo(seq, task);
        if (r == 0 && (old_task == 0 || task == old_task)) ++ok_before;
        else ++bad;
        if (r == 0) old_task = task;
    }
    const i64 t = lstar::thread_create(hold_thread, 0, 0, abi::kDefaultPriority, ~0ull);
    // The server prints `holding` once it has the call; give it time to
    // receive it (it is blocked in the kernel until then).
    lstar::sleep_ns(300'000'000);
    ipc::Message k(shell::kInitKill);
    k.push(old_task);
    i64 kill = ipc::transport().call(kSlotInit, k);
    if (kill >= 0) kill = k.status();
    if (t >= 0) lstar::thread_join(static_cast<u64>(t));
    const i64 hold = __atomic_load_n(&g_hold_result, __ATOMIC_ACQUIRE);
    for (u64 seq = calls + 1; seq <= 2 * calls; ++seq) {
        u64 task = 0;
        const i64 r = echo(seq, task);
        if (r == 0 && task != old_task && (new_task == 0 || task == new_task)) ++ok_after;
        else ++bad;
        if (r == 0) new_task = task;
    }
    lstar::printf("svctest: client calls=%lu ok_before=%lu killed=%lu kill=%ld hold=%ld ok_after=%lu new_task=%lu "
                  "bad=%lu\n",
                  calls, ok_before, old_task, kill, hold, ok_after, new_task, bad);
    const bool pass = ok_before == calls && ok_after == calls && kill == 0 && hold == -abi::kCancelled &&
                      new_task != old_task && new_task != 0 && bad == 0;
    return pass ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && kstd::strcmp(argv[1], "server") == 0) return server();
    if (argc >= 2 && kstd::strcmp(argv[1], "client") == 0) {
        u64 calls = 50;
        for (int i = 2; i < argc; ++i) lstar::arg_u64(argv[i], "calls", calls);
        return client(calls);
    }
    lstar::printf("svctest: usage: svctest server | svctest client [calls=N]\n");
    return 2;
}
