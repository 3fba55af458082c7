// ipctest32: the 32-bit (compatibility-mode) end of the IPC boot test. It
// talks to `ipctest compat-server`, a 64-bit task, over init's bus endpoint
// (slot 1); compat.h is the protocol. A 32-bit task has no registers to
// spare for message words: every word, the received tag, the received badge
// and the slots of capabilities go through its IPC buffer, so this checks
// the kernel's compat side of stage_message and finish_receive word by word.
//
// argv: `ipctest32 bus [rounds=N] [serve=K]`. It
//   1. calls the server N times, message seq with words_for(seq) words, and
//      checks every answer (label, word count, badge 0, each word);
//   2. creates an endpoint and a notification and sends the server a badged
//      send-only copy of the one and a send-only copy of the other in one
//      call; the answer brings a capability to the server's notification,
//      which it signals; then it serves K calls the server makes through the
//      badged copy (each checked, badge included) and reads the bits the
//      server signalled on its notification;
//   3. tells the server to stop.
// Lines (the boot test compares the checksums with the server's):
//   ipctest32: compat calls=N bad=B words=W last_seq=S checksum=0x.. reply_checksum=0x..
//   ipctest32: compat-grant sent=2 result=R got=1 got_type=T signalled=0x.. served=K bad=B words=W
//              badge=0x.. last_seq=S checksum=0x.. reply_checksum=0x..
//   ipctest32: done stop=R failed=N
// and, for the first bad message of each phase, a `compat-bad` or
// `compat-grant-bad` line saying what arrived.
// The exit status is 0 when every check passed.
#include "compat.h"
#include "lib/abi/ipc.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"

namespace {

using ull = unsigned long long;
using abi::IpcBuffer;

constexpr uptr kBusSlot = 1;
IpcBuffer* buf;

// What the kernel did not write must not pass for what it wrote: the
// received tag and badge are poisoned before each call or receive.
constexpr u64 kPoison = 0xdeadbeefdeadbeefull;

void poison_receipt() {
    buf->tag = kPoison;
    buf->badge = kPoison;
}

struct Tally {
    ull calls = 0, bad = 0, words = 0, last_seq = ~0ull;
    u64 checksum = ipctest::kChecksumSeed, reply_checksum = ipctest::kChecksumSeed;
    u64 badge = kPoison;  // of the first message received (phase 2)
};

// Phase 1: numbered calls; the answer to message seq is label
// seq + kLabelAnswer and answer() of each word.
Tally calls(ull rounds) {
    Tally t;
    for (ull seq = 0; seq < rounds; seq++) {
        u32 n = ipctest::words_for(seq);
        for (u32 i = 0; i < n; i++) {
            buf->words[i] = ipctest::word(seq, i);
            t.checksum = ipctest::fold(t.checksum, buf->words[i]);
        }
        poison_receipt();
        i64 r = lstar::sys::ipc_call(kBusSlot, abi::make_tag(ipctest::kLabelSeq, n));
        t.calls++;
        t.words += n;
        t.last_seq = seq;
        bool good = r == 0 && abi::tag_label(buf->tag) == u32(seq) + ipctest::kLabelAnswer &&
                    abi::tag_words(buf->tag) == n && abi::tag_caps(buf->tag) == 0 && buf->badge == 0;
        u32 first_bad = n;
        for (u32 i = 0; r == 0 && i < n; i++) {
            t.reply_checksum = ipctest::fold(t.reply_checksum, buf->words[i]);
            if (buf->words[i] != ipctest::answer(ipctest::word(seq, i), i) && first_bad == n) first_bad = i;
        }
        good = good && first_bad == n;
        if (!good) {
            if (t.bad == 0)
                lstar::printf(
                    "ipctest32: compat-bad seq=%llu result=%lld tag=0x%llx badge=0x%llx first_bad_word=%u\n",
                    seq, static_cast<long long>(r), static_cast<ull>(buf->tag), static_cast<ull>(buf->badge),
                    first_bad);
            t.bad++;
        }
    }
    return t;
}

// Phase 2: capabilities both ways, then the server calls us.
struct Grant {
    i64 result = 0, got = 0, got_type = 0, signalled = 0;
    Tally served;
};

Grant grant(ull serve) {
    Grant g;
    i64 ep = lstar::sys::endpoint_create(0);
    i64 n = lstar::sys::notification_create(0);
    i64 badged = lstar::sys::cap_mint(u64(ep), 0, abi::kRightSend, ipctest::kGrantBadge);
    i64 signal_only = lstar::sys::cap_copy(u64(n), 0, abi::kRightSend);
    if (ep < 0 || n < 0 || badged < 0 || signal_only < 0) {
        lstar::printf("ipctest32: compat-grant-setup ep=%lld n=%lld badged=%lld signal_only=%lld\n",
                      static_cast<long long>(ep), static_cast<long long>(n), static_cast<long long>(badged),
                      static_cast<long long>(signal_only));
        g.result = -1;
        return g;
    }
    buf->caps[0] = u64(badged);
    buf->caps[1] = u64(signal_only);
    buf->recv_slots[0] = 0;
    buf->recv_caps[0] = 0;
    buf->words[0] = serve;  // how many calls the server is to make
    poison_receipt();
    g.result = lstar::sys::ipc_call(kBusSlot, abi::make_tag(ipctest::kLabelGrant, 1, 2));
    if (g.result == 0) {
        g.got = abi::tag_caps(buf->tag);
        abi::CapInfo info{};
        if (g.got == 1 && lstar::sys::cap_info(buf->recv_caps[0], &info) == 0) g.got_type = info.type;
        if (g.got_type == abi::kCapNotification)
            lstar::sys::notify_signal(buf->recv_caps[0], ipctest::kClientBits);
    }

    // Serve: each call is checked as the server checks ours, and answered
    // through the buffer.
    Tally& t = g.served;
    poison_receipt();
    i64 r = g.result == 0 ? lstar::sys::ipc_recv(u64(ep), 0) : g.result;
    ull seq = 0;
    while (r == 0 && abi::tag_label(buf->tag) == ipctest::kLabelServe) {
        u32 words = abi::tag_words(buf->tag);
        if (t.calls == 0) t.badge = buf->badge;
        u64 seen_seq = words ? buf->words[0] : ~0ull;
        bool good = words == ipctest::words_for(seq) && abi::tag_caps(buf->tag) == 0 &&
                    buf->badge == ipctest::kGrantBadge;
        for (u32 i = 0; i < words; i++) {
            u64 w = buf->words[i];
            t.checksum = ipctest::fold(t.checksum, w);
            good = good && w == ipctest::word(seq, i);
            buf->words[i] = ipctest::answer(w, i);
            t.reply_checksum = ipctest::fold(t.reply_checksum, buf->words[i]);
        }
        if (!good) {
            if (t.bad == 0)
                lstar::printf("ipctest32: compat-grant-bad seq=%llu tag=0x%llx badge=0x%llx\n", seq,
                              static_cast<ull>(buf->tag), static_cast<ull>(buf->badge));
            t.bad++;
        }
        t.calls++;
        t.words += words;
        t.last_seq = seen_seq;
        poison_receipt();
        r = lstar::sys::ipc_reply_recv(u64(ep), abi::make_tag(u32(seen_seq) + ipctest::kLabelAnswer, words));
        seq++;
    }
    if (r == 0 && abi::tag_label(buf->tag) == ipctest::kLabelDone) {
        lstar::sys::ipc_reply(0, abi::make_tag(ipctest::kLabelDone, 0));
    } else {
        lstar::printf("ipctest32: compat-grant-end result=%lld tag=0x%llx\n", static_cast<long long>(r),
                      static_cast<ull>(buf->tag));
        t.bad++;
    }
    // The server signalled our notification before its first call.
    g.signalled = lstar::sys::notify_wait(u64(n), abi::kRecvNonBlocking);
    lstar::sys::cap_delete(u64(badged));
    lstar::sys::cap_delete(u64(signal_only));
    lstar::sys::cap_delete(u64(ep));
    lstar::sys::cap_delete(u64(n));
    if (g.got == 1) lstar::sys::cap_delete(buf->recv_caps[0]);
    return g;
}

}  // namespace

int main(int argc, char** argv) {
    u64 rounds = 200, serve = 100;
    for (int i = 1; i < argc; i++) {
        lstar::arg_u64(argv[i], "rounds", rounds);
        lstar::arg_u64(argv[i], "serve", serve);
    }
    buf = static_cast<IpcBuffer*>(lstar::vm_alloc(sizeof(IpcBuffer)));
    if (!buf || lstar::sys::ipc_buffer(reinterpret_cast<uptr>(buf)) != 0) {
        lstar::printf("ipctest32: no IPC buffer\n");
        return 1;
    }
    u32 failed = 0;

    Tally t = calls(rounds);
    failed += t.calls != rounds || t.bad != 0;
    lstar::printf(
        "ipctest32: compat calls=%llu bad=%llu words=%llu last_seq=%llu checksum=0x%llx "
        "reply_checksum=0x%llx\n",
        t.calls, t.bad, t.words, t.last_seq, static_cast<ull>(t.checksum),
        static_cast<ull>(t.reply_checksum));

    Grant g = grant(serve);
    const Tally& s = g.served;
    failed += g.result != 0 || g.got != 1 || g.got_type != abi::kCapNotification ||
              g.signalled != i64(ipctest::kServerBits) || s.calls != serve || s.bad != 0;
    lstar::printf(
        "ipctest32: compat-grant sent=2 result=%lld got=%lld got_type=%lld signalled=0x%llx served=%llu "
        "bad=%llu words=%llu badge=0x%llx last_seq=%llu checksum=0x%llx reply_checksum=0x%llx\n",
        static_cast<long long>(g.result), static_cast<long long>(g.got), static_cast<long long>(g.got_type),
        static_cast<ull>(g.signalled), s.calls, s.bad, s.words, static_cast<ull>(s.badge), s.last_seq,
        static_cast<ull>(s.checksum), static_cast<ull>(s.reply_checksum));

    poison_receipt();
    i64 stop = lstar::sys::ipc_call(kBusSlot, abi::make_tag(ipctest::kLabelStop, 0));
    failed += stop != 0;
    lstar::printf("ipctest32: done stop=%lld failed=%u\n", static_cast<long long>(stop), failed);
    return failed == 0 ? 0 : 1;
}
