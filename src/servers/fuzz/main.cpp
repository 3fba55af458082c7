// fuzz: a system-call fuzzer, run as an ordinary (unprivileged) task.
//
//   fuzz seconds=S seed=X [threads=T]
//
// T worker threads (default two per online CPU, at most 48; most pinned to
// one CPU, a few past the first round roaming over random sets) issue random system calls with random and boundary
// arguments (generator.h) for S seconds, each through an entry path picked
// per call: SYSCALL, SYSENTER (Intel only), int 0x80, or the entry page's
// default function or one of its variants. Each answer must be a sensible
// success or a known error code (outcome.h). Then the fuzzer checks that it
// is still whole: its endpoint still reaches the helper thread that answers
// on it, its notification still signals, cap_info still shows both; its
// memory (a checksummed region no call is given, the guards around every
// buffer calls are given, its code and read-only data) is unchanged; every
// thread it started came back.
//
// Each worker's calls are a pure function of (seed, worker index): a run
// prints its seed and a fingerprint of each worker's first 256 calls, and
// `seed=` the same value replays them.
//
// Output (key=value records; test/boot/fuzz.py reads them):
//   fuzz: start seed=0xX threads=T seconds=S
//   fuzz: violation call=NAME args=0x..,0x.. result=R thread=I index=K nr=N path=P reason=WHY  (at most 20)
//   fuzz: cpu=N calls=C                  (every online CPU)
//   fuzz: thread=I hash=0xH hashed=N calls=C created=A joined=B cpus=0xMASK
//   fuzz: paths syscall=.. sysenter=.. int80=.. page=.. page_syscall=.. page_sysenter=.. page_int80=..
//   fuzz: checks violations=V regs_bad=R threads_ok=0|1 helper_ok=0|1 notify_ok=0|1 info_ok=0|1 guards_ok=0|1
//         region_ok=0|1 image_ok=0|1 rate=CALLS_PER_SECOND
//   fuzz: done calls=.. ok=.. errors=.. caps_ok=0|1 memory_ok=0|1 verdict=pass|fail
// The exit status is 0 iff the verdict is pass.
#include "lib/abi/ipc.h"
#include "lib/crc32.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/fuzz/worker.h"

namespace fuzz {

// Read-only data calls are pointed at (reads succeed, writes must fail);
// the image checksum covers it.
constexpr ReadonlyTable::ReadonlyTable() : v() {
    for (u32 i = 0; i < 512; i++) v[i] = (u64(i) + 1) * 0x9E3779B97F4A7C15ull ^ 0xF0F0F0F0F0F0F0F0ull;
}
const ReadonlyTable kReadonlyTable{};

}  // namespace fuzz

namespace {

using namespace fuzz;

constexpr u32 kHelperPriority = abi::kMaxPriority;
constexpr u32 kMainPriority = abi::kMaxPriority - 1;
constexpr usize kStackBytes = 32 * 1024;
constexpr u64 kRegionBytes = 64 * 1024;
constexpr u32 kStopLabel = 0x5709;
constexpr u64 kStopWord = 0x57095709CAFEF00Dull;
constexpr u32 kCheckLabel = 0xC4EC;
constexpr u64 kReplyXor = 0x00FF00FF00FF00FFull;
constexpr u64 kNotifyBits = 0x5A5A0001;

alignas(16) u8 g_stacks[kMaxWorkers + 2][kStackBytes];
alignas(4096) u8 g_region[kRegionBytes];
abi::IpcBuffer g_helper_ipc, g_pinger_ipc;
u32 g_pinger_stop;

// The helper's answer to any call on the endpoint: each word transformed.
u64 answer(u64 w, u32 i) { return (w ^ kReplyXor) + i; }

// One message call through the entry page's default function; regs as in
// fz_enter (RDI RSI RDX R10 R8 R9 R12).
i64 message_call(u64 nr, u64* regs) {
    u64 path = g_setup.entry_page ? 3 : 2;
    return i64(fz_enter(nr, regs, path, g_setup.entry_page));
}

// Answers every call on the endpoint (slot kSlotEndpoint) until the stop
// message: the workers call it, and the final check does.
void helper(u64) {
    lstar::sys::ipc_buffer(reinterpret_cast<uptr>(&g_helper_ipc));
    for (;;) {
        u64 regs[8] = {kSlotEndpoint, 0};
        i64 r = message_call(abi::kSysIpcRecv, regs);
        if (r < 0) continue;
        u64 tag = regs[kRsi];
        if (abi::tag_label(tag) == abi::kLabelNotification) continue;
        bool stop = abi::tag_label(tag) == kStopLabel && regs[kR10] == kStopWord;
        u64 reply[8] = {0, abi::make_tag(abi::tag_label(tag) ^ 0xFFFF, 4)};
        reply[kR10] = answer(regs[kR10], 0);
        reply[kR8] = answer(regs[kR8], 1);
        reply[kR9] = answer(regs[kR9], 2);
        reply[kR12] = answer(regs[kR12], 3);
        message_call(abi::kSysIpcReply, reply);  // -kNotFound after a plain send
        if (stop) return;
    }
}

// Keeps a message coming on the ping endpoint and a signal on the ping
// notification, so that the workers' blocking receives and waits on them
// end soon.
void pinger(u64) {
    lstar::sys::ipc_buffer(reinterpret_cast<uptr>(&g_pinger_ipc));
    g_pinger_ipc.timeout_ns = 1'000'000;
    while (!__atomic_load_n(&g_pinger_stop, __ATOMIC_ACQUIRE)) {
        u64 regs[8] = {kSlotPing, abi::make_tag(0x9196, 1) | abi::kTagTimeout};
        message_call(abi::kSysIpcSend, regs);
        lstar::sys::notify_signal(kSlotPingNote, 1);
        lstar::sys::sleep(200'000);
    }
}

bool intel_cpu() {
    u32 a, b, c, d;
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;  // "GenuineIntel"
}

bool arg(int argc, char** argv, const char* key, u64& out) {
    for (int i = 1; i < argc; i++)
        if (lstar::arg_u64(argv[i], key, out)) return true;
    return false;
}

// The program's read-only segments (code, constants), from its program
// headers: their checksum must not change.
u32 image_crc() {
    struct Phdr {
        u32 type, flags;
        u64 offset, vaddr, paddr, filesz, memsz, align;
    };
    const auto* ph = reinterpret_cast<const Phdr*>(lstar::aux(abi::kAtPhdr));
    u64 n = lstar::aux(abi::kAtPhnum);
    u32 crc = 0;
    for (u64 i = 0; ph && i < n; i++) {
        if (ph[i].type != 1 || (ph[i].flags & 2)) continue;  // PT_LOAD without PF_W
        crc = kstd::crc32(reinterpret_cast<const void*>(ph[i].vaddr), ph[i].memsz, crc);
    }
    return crc;
}

void fill_guards() {
    for (u32 w = 0; w < kMaxWorkers; w++) {
        ThreadArea& a = g_areas[w];
        memset(a.guard_lo, kGuardByte, sizeof a.guard_lo);
        memset(a.guard_mid, kGuardByte, sizeof a.guard_mid);
        memset(a.guard_hi, kGuardByte, sizeof a.guard_hi);
        memset(a.child_stacks, kGuardByte, sizeof a.child_stacks);
    }
}

bool all(const u8* p, usize n, u8 v) {
    for (usize i = 0; i < n; i++)
        if (p[i] != v) return false;
    return true;
}

bool guards_intact(u32 workers) {
    bool ok = true;
    for (u32 w = 0; w < workers; w++) {
        const ThreadArea& a = g_areas[w];
        bool good = all(a.guard_lo, sizeof a.guard_lo, kGuardByte) && all(a.guard_mid, sizeof a.guard_mid, kGuardByte) &&
                    all(a.guard_hi, sizeof a.guard_hi, kGuardByte) &&
                    all(a.child_stacks, sizeof a.child_stacks, kGuardByte);
        if (!good) lstar::printf("fuzz: guard damaged thread=%u\n", w);
        ok = ok && good;
    }
    return ok;
}

// The fuzzer's own capabilities; false if one could not be made.
bool make_caps() {
    bool ok = lstar::sys::endpoint_create(kSlotEndpoint) == i64(kSlotEndpoint);
    ok = ok && lstar::sys::notification_create(kSlotNotification) == i64(kSlotNotification);
    ok = ok && lstar::sys::cap_copy(kSlotEndpoint, kSlotSendOnly, abi::kRightSend) == i64(kSlotSendOnly);
    ok = ok && lstar::sys::endpoint_create(kSlotPing) == i64(kSlotPing);
    ok = ok && lstar::sys::notification_create(kSlotPingNote) == i64(kSlotPingNote);
    return ok;
}

bool info_is(u64 slot, u32 type, u32 rights) {
    abi::CapInfo info{};
    i64 r = lstar::sys::cap_info(slot, &info);
    bool ok = r == 0 && info.type == type && info.rights == rights && info.badge == 0;
    if (!ok) lstar::printf("fuzz: cap_info slot=%lu result=%ld type=%u rights=0x%x\n", slot, r, info.type, info.rights);
    return ok;
}

// A call through the endpoint (and through the send-only copy) comes back
// from the helper with every word transformed.
bool helper_answers(u64 slot, u64 salt) {
    g_areas[0].ipc.timeout_ns = 1'000'000'000;
    lstar::sys::ipc_buffer(reinterpret_cast<uptr>(&g_areas[0].ipc));
    u64 regs[8] = {slot, abi::make_tag(kCheckLabel, 4) | abi::kTagTimeout};
    u64 words[4] = {salt, ~salt, salt * 3, 0x0123456789ABCDEFull};
    regs[kR10] = words[0], regs[kR8] = words[1], regs[kR9] = words[2], regs[kR12] = words[3];
    i64 r = message_call(abi::kSysIpcCall, regs);
    bool ok = r == 0 && abi::tag_label(regs[kRsi]) == (kCheckLabel ^ 0xFFFF) && abi::tag_words(regs[kRsi]) == 4 &&
              regs[kR10] == answer(words[0], 0) && regs[kR8] == answer(words[1], 1) &&
              regs[kR9] == answer(words[2], 2) && regs[kR12] == answer(words[3], 3);
    if (!ok) lstar::printf("fuzz: helper call slot=%lu result=%ld tag=0x%lx\n", slot, r, regs[kRsi]);
    return ok;
}

bool notification_works() {
    while (lstar::sys::notify_wait(kSlotNotification, abi::kRecvNonBlocking) >= 0) {
    }
    i64 s = lstar::sys::notify_signal(kSlotNotification, kNotifyBits);
    i64 w = lstar::sys::notify_wait(kSlotNotification, 0);
    bool ok = s == 0 && w == i64(kNotifyBits) &&
              lstar::sys::notify_wait(kSlotNotification, abi::kRecvNonBlocking) == -i64(abi::kWouldBlock);
    if (!ok) lstar::printf("fuzz: notification signal=%ld wait=0x%lx\n", s, u64(w));
    return ok;
}

u64 start_thread(u32 stack, void (*fn)(u64), u64 arg, u32 prio, u64 affinity) {
    i64 t = lstar::thread_create(fn, reinterpret_cast<uptr>(g_stacks[stack] + kStackBytes), arg, prio, affinity);
    return t < 0 ? 0 : u64(t);
}

}  // namespace

int main(int argc, char** argv) {
    u64 seconds = 10, seed = 0, threads = 0;
    arg(argc, argv, "seconds", seconds);
    if (!arg(argc, argv, "seed", seed)) seed = u64(lstar::sys::time_ns()) * 0x9E3779B97F4A7C15ull;
    const u32 cpus = lstar::cpu_count();
    if (!arg(argc, argv, "threads", threads) || threads == 0) threads = 2 * u64(cpus);
    if (threads > kMaxWorkers) threads = kMaxWorkers;
    lstar::printf("fuzz: start seed=0x%lx threads=%lu seconds=%lu\n", seed, threads, seconds);

    g_setup.seed = seed;
    g_setup.workers = u32(threads);
    g_setup.cpus = cpus;
    g_setup.online_mask = cpus >= 64 ? ~u64(0) : (u64(1) << cpus) - 1;
    g_setup.sysenter = intel_cpu();
    g_setup.entry_page = lstar::aux(abi::kAtSysinfo);
    lstar::sys::set_priority(0, kMainPriority);

    // What must survive the run.
    Rng fill(seed ^ 0x5EED);
    for (u64 i = 0; i < kRegionBytes; i += 8) *reinterpret_cast<u64*>(g_region + i) = fill.next();
    const u32 region_crc = kstd::crc32(g_region, kRegionBytes);
    fill_guards();
    const u32 image = image_crc();
    bool caps_made = make_caps();
    if (!caps_made) lstar::printf("fuzz: could not make its capabilities\n");

    u64 helper_tid = start_thread(kMaxWorkers, helper, 0, kHelperPriority, ~u64(0));
    u64 pinger_tid = start_thread(kMaxWorkers + 1, pinger, 0, kHelperPriority, ~u64(0));
    const u64 t0 = u64(lstar::sys::time_ns());
    g_setup.deadline_ns = t0 + seconds * 1'000'000'000ull;
    u32 started = 0;
    for (u32 w = 0; w < threads; w++) {
        g_worker_tids[w] = start_thread(w, worker_main, w, abi::kDefaultPriority, ~u64(0));
        if (g_worker_tids[w]) started++;
    }
    __atomic_store_n(&g_go, 1, __ATOMIC_RELEASE);

    bool threads_ok = started == threads && helper_tid && pinger_tid;
    for (u32 w = 0; w < threads; w++) {
        if (!g_worker_tids[w]) continue;
        i64 r = lstar::sys::thread_join(g_worker_tids[w]);
        if (r != 0) {
            lstar::printf("fuzz: worker thread=%u join=%ld\n", w, r);
            threads_ok = false;
        }
    }
    const u64 elapsed = u64(lstar::sys::time_ns()) - t0;

    // The invariants, with every worker gone.
    bool info_ok = info_is(kSlotEndpoint, abi::kCapEndpoint, abi::kRightsAll) &&
                   info_is(kSlotNotification, abi::kCapNotification, abi::kRightsAll) &&
                   info_is(kSlotSendOnly, abi::kCapEndpoint, abi::kRightSend) &&
                   info_is(kSlotPing, abi::kCapEndpoint, abi::kRightsAll) &&
                   info_is(kSlotPingNote, abi::kCapNotification, abi::kRightsAll);
    bool helper_ok = helper_answers(kSlotEndpoint, seed) && helper_answers(kSlotSendOnly, ~seed);
    bool notify_ok = notification_works();
    const bool caps_ok = caps_made && info_ok && helper_ok && notify_ok;

    // Stop the helpers.
    u64 stop[8] = {kSlotEndpoint, abi::make_tag(kStopLabel, 1) | abi::kTagTimeout};
    stop[kR10] = kStopWord;
    message_call(abi::kSysIpcCall, stop);
    __atomic_store_n(&g_pinger_stop, 1, __ATOMIC_RELEASE);
    if (helper_tid && lstar::sys::thread_join(helper_tid) != 0) threads_ok = false;
    if (pinger_tid && lstar::sys::thread_join(pinger_tid) != 0) threads_ok = false;

    const bool region_ok = kstd::crc32(g_region, kRegionBytes) == region_crc;
    const bool guards_ok = guards_intact(u32(threads));
    const bool image_ok = image_crc() == image;
    const bool memory_ok = region_ok && guards_ok && image_ok;

    WorkerResult sum{};
    for (u32 w = 0; w < threads; w++) {
        const WorkerResult& r = g_results[w];
        sum.calls += r.calls, sum.ok += r.ok, sum.errors += r.errors, sum.violations += r.violations;
        sum.created += r.created, sum.joined += r.joined, sum.kept_regs_bad += r.kept_regs_bad;
        if (r.created != r.joined) threads_ok = false;
    }
    for (u32 c = 0; c < cpus && c < kMaxCpus; c++) lstar::printf("fuzz: cpu=%u calls=%lu\n", c, g_cpu_calls[c]);
    for (u32 w = 0; w < threads; w++) {
        const WorkerResult& r = g_results[w];
        lstar::printf("fuzz: thread=%u hash=0x%lx hashed=%lu calls=%lu created=%lu joined=%lu cpus=0x%lx\n", w, r.hash,
                      r.hashed, r.calls, r.created, r.joined, r.cpus_seen);
    }
    // One write per line: other tasks print at the same time, and the
    // kernel keeps only each write whole.
    char paths[256];
    usize n = lstar::snprintf(paths, sizeof paths, "fuzz: paths");
    for (u32 p = 0; p < u32(Path::kCount) && n < sizeof paths; p++)
        n += lstar::snprintf(paths + n, sizeof paths - n, " %s=%lu", kPathNames[p], g_path_calls[p]);
    lstar::printf("%s\n", paths);
    const u64 violations = sum.violations + sum.kept_regs_bad;
    const u64 rate = elapsed ? sum.calls * 1'000'000'000ull / elapsed : 0;
    lstar::printf(
        "fuzz: checks violations=%lu regs_bad=%lu threads_ok=%u helper_ok=%u notify_ok=%u info_ok=%u guards_ok=%u "
        "region_ok=%u image_ok=%u rate=%lu\n",
        violations, sum.kept_regs_bad, threads_ok, helper_ok, notify_ok, info_ok, guards_ok, region_ok, image_ok, rate);
    const bool pass = violations == 0 && threads_ok && caps_ok && memory_ok && sum.calls > 0;
    lstar::printf("fuzz: done calls=%lu ok=%lu errors=%lu caps_ok=%u memory_ok=%u verdict=%s\n", sum.calls, sum.ok,
                  sum.errors, caps_ok, memory_ok, pass ? "pass" : "fail");
    return pass ? 0 : 1;
}
