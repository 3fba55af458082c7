"""IPC and capabilities (src/kernel/ipc, docs/ipc.md). The ipctest program
runs a client and a server thread for every (client CPU, server CPU) pair,
each call sequence-numbered and checksummed and every answer checked, then
long messages, badges, a capability transfer, revoke, timeouts, error codes,
a bound notification and cancellation. At shutdown the kernel prints each
CPU's fast-path counters; the checks require that the same-CPU ping-pong
went through the fast path and that the miss reasons account for every
call that did not."""

from lib import PASS, Case, check_status, check_verdict, require
from sched import check_init, user_records

ROUNDS = 200
BOCHS_ROUNDS = 40
INIT = ["--program", "init shutdown"]


def ipc_stats(boot):
    """cpu -> the `lstar: ipc-cpu` record of that CPU."""
    return {r["cpu"]: r for r in boot.records("ipc-cpu")}


def misses(rec):
    return sum(v for k, v in rec.items() if k.startswith("miss_"))


def check_ipctest(boot, cpus, rounds):
    """Every pair and every other check of ipctest passed, with the values it reported."""
    pairs = user_records(boot, "ipctest", "pair")
    seen = {(p["client"], p["server"]) for p in pairs if "calls" in p}
    want = {(c, s) for c in range(cpus) for s in range(cpus)}
    require(seen == want, f"pairs reported {sorted(seen)}, expected every pair of {cpus} CPUs")
    for p in pairs:
        if "calls" not in p:
            continue
        require(p["calls"] == rounds and p["bad"] == 0 and p["ok"] == 1,
                f"pair client={p['client']} server={p['server']}: {p}")
    for topic in ("long", "badge", "grant", "revoke", "timeout", "errors", "bound", "cancel"):
        recs = user_records(boot, "ipctest", topic)
        require(len(recs) == 1 and recs[0].get("ok") == 1, f"ipctest {topic}: {recs}")
    grant = user_records(boot, "ipctest", "grant")[0]
    require(grant["signalled"] == 5 and grant["type"] == 2, f"grant: {grant}")
    revoke = user_records(boot, "ipctest", "revoke")[0]
    require(revoke["removed"] == 7 and revoke["copies_left"] == 0, f"revoke: {revoke}")
    timeout = user_records(boot, "ipctest", "timeout")[0]
    require(timeout["recv"] == -9 and timeout["call"] == -9 and timeout["waited_ms"] >= 40, f"timeout: {timeout}")
    require(user_records(boot, "ipctest", "cancel")[0]["result"] == -13, "cancel: not -kCancelled")
    done = user_records(boot, "ipctest", "done")
    # Two checks per pair (its endpoint, its calls) and eight others.
    require(len(done) == 1 and done[0]["failed"] == 0 and done[0]["checks"] == 2 * cpus * cpus + 8,
            f"ipctest done: {done}")
    check_init(boot, 1)
    require(not any("init's root capabilities" in line for line in boot.lines),
            "init did not get its ioports and irq capabilities in slots 1 and 2")
    stats = ipc_stats(boot)
    require(sorted(stats) == list(range(cpus)), f"ipc-cpu lines for CPUs {sorted(stats)}, expected {cpus}")
    for cpu, rec in stats.items():
        require(rec["slow_calls"] == misses(rec),
                f"cpu{cpu}: {rec['slow_calls']} slow calls but the miss reasons add up to {misses(rec)}: {rec}")
    return stats


def fast_case(cpus, rounds=ROUNDS):
    def check(boot):
        stats = check_ipctest(boot, cpus, rounds)
        for cpu, rec in stats.items():
            # The same-CPU pair's calls and answers (all but the first call,
            # which may find its server not yet waiting).
            require(rec["fast_calls"] >= rounds - 1 and rec["fast_replies"] >= rounds - 2,
                    f"cpu{cpu}: same-CPU ping-pong not on the fast path: {rec}")
            if cpus > 1:
                require(rec["miss_othercpu"] >= rounds - 1, f"cpu{cpu}: cross-CPU calls not counted: {rec}")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


def slow_case(cpus, reason):
    """Every call and reply_recv took the general path, for `reason`."""
    def check(boot):
        stats = check_ipctest(boot, cpus, ROUNDS)
        for cpu, rec in stats.items():
            require(rec["fast_calls"] == 0 and rec["fast_replies"] == 0, f"cpu{cpu}: fast path used: {rec}")
            require(rec[f"miss_{reason}"] == rec["slow_calls"] and rec["slow_calls"] >= 2 * ROUNDS,
                    f"cpu{cpu}: slow calls not all for '{reason}': {rec}")
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


def check_two_tasks(boot):
    """Calls between two address spaces on one CPU (init's bus endpoint): all
    answered, all through the fast path."""
    bench = user_records(boot, "ipctest", "bench")
    served = user_records(boot, "ipctest", "bench-server")
    require(len(bench) == 1 and bench[0]["bad"] == 0 and bench[0]["calls"] == ROUNDS, f"bench: {bench}")
    batches = 4  # ipctest's bench_client
    require(len(served) == 1 and served[0]["served"] == batches * ROUNDS and served[0]["result"] == 0,
            f"bench-server: {served}")
    stats = ipc_stats(boot)[0]
    require(stats["fast_calls"] >= batches * ROUNDS and stats["fast_replies"] >= batches * ROUNDS - 1,
            f"calls between the tasks not on the fast path: {stats}")
    require(stats["slow_calls"] == misses(stats), f"misses do not explain the slow calls: {stats}")
    check_init(boot, 2, 1)
    check_verdict(boot, "pass")
    check_status(boot, PASS)


def ipctest(rounds=ROUNDS):
    return INIT + ["--program", f"ipctest rounds={rounds}"]


CASES = [
    Case("qemu-ipc-1cpu", ["--smp", "1"] + ipctest(), fast_case(1)),
    Case("qemu-ipc-2cpu-amd", ["--smp", "2", "--cpu", "amd"] + ipctest(), fast_case(2)),
    Case("qemu-ipc-4cpu-intel", ["--smp", "4", "--cpu", "intel"] + ipctest(), fast_case(4)),
    # SYSENTER is the entry page's choice only when forced: the fast path
    # must serve it as it serves SYSCALL.
    Case("qemu-ipc-4cpu-sysenter", ["--smp", "4", "--cpu", "intel", "--cmdline", "entry=sysenter"] + ipctest(),
         fast_case(4)),
    Case("qemu-ipc-8cpu", ["--smp", "8"] + ipctest(100), fast_case(8, 100), timeout=120),
    Case("qemu-ipc-fastpath-off", ["--smp", "2", "--cmdline", "ipc_fastpath=off"] + ipctest(),
         slow_case(2, "off")),
    Case("qemu-ipc-int80-slow", ["--smp", "2", "--cmdline", "entry=int80"] + ipctest(), slow_case(2, "entry")),
    Case("qemu-ipc-two-tasks", ["--smp", "1"] + INIT
         + ["--program", f"ipctest bench-server bus daemon rounds={ROUNDS}",
            "--program", f"ipctest bench-client bus rounds={ROUNDS}"], check_two_tasks),
    Case("bochs-ipc-2cpu", ["--emulator", "bochs", "--smp", "2"] + ipctest(BOCHS_ROUNDS),
         fast_case(2, BOCHS_ROUNDS), timeout=240),
]


# --- A 32-bit task doing IPC (src/servers/ipctest/main32.cpp) --------------
#
# ipctest32 runs in compatibility mode and passes every word through its IPC
# buffer; `ipctest compat-server` is its 64-bit partner on init's bus. The
# sizes, words and checksums of src/servers/ipctest/compat.h are recomputed
# here, so both ends must report exactly what the protocol sent, not merely
# agree with each other.

COMPAT_ROUNDS = 200  # calls from the 32-bit task
COMPAT_SERVE = 100   # calls to it, through the endpoint it gave away
COMPAT_SIZES = [8, 64, 1, 5, 4, 63, 32, 2]
M64 = (1 << 64) - 1


def compat_word(seq, i):
    if i == 0:
        return seq
    z = (((seq << 7) | i) + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def compat_answer(w, i):
    return (~w & M64) ^ ((i * 0x9E3779B97F4A7C15) & M64)


def compat_fold(h, w):
    return ((h ^ w) * 0x100000001B3) & M64


def compat_expected(count):
    """(words, checksum, reply_checksum) of `count` numbered messages."""
    words, h, r = 0, 0xCBF29CE484222325, 0xCBF29CE484222325
    for seq in range(count):
        n = COMPAT_SIZES[seq % len(COMPAT_SIZES)]
        for i in range(n):
            w = compat_word(seq, i)
            h = compat_fold(h, w)
            r = compat_fold(r, compat_answer(w, i))
        words += n
    return words, h, r


def one_record(boot, program, topic):
    recs = user_records(boot, program, topic)
    require(len(recs) == 1, f"{program} printed {len(recs)} `{topic}` lines, expected 1")
    return recs[0]


def require_stream(what, rec, calls, calls_key="calls"):
    """rec reports `calls` numbered messages, none bad, with the words and
    checksums compat.h makes of them."""
    words, checksum, reply_checksum = compat_expected(calls)
    require(rec[calls_key] == calls and rec["bad"] == 0 and rec["last_seq"] == calls - 1,
            f"{what}: {rec} (expected {calls} calls, bad=0, last_seq={calls - 1})")
    require(rec["words"] == words, f"{what}: words={rec['words']}, expected {words}")
    require(rec["checksum"] == checksum and rec["reply_checksum"] == reply_checksum,
            f"{what}: checksum={rec['checksum']:#x} reply_checksum={rec['reply_checksum']:#x}, "
            f"expected {checksum:#x} and {reply_checksum:#x}")


def compat_case(mode32):
    """Both ends of ipctest32's calls and of the server's calls back report
    every message intact; capabilities went both ways; the 32-bit task
    entered the kernel by `mode32`."""
    def check(boot):
        entry = boot.record("entry", ("mode32",))
        require(entry["mode32"] == mode32, f"32-bit entry {entry['mode32']}, expected {mode32}")
        client = one_record(boot, "ipctest32", "compat")
        server = one_record(boot, "ipctest", "compat-server")
        require_stream("ipctest32 compat", client, COMPAT_ROUNDS)
        require_stream("ipctest compat-server", server, COMPAT_ROUNDS)
        require(server["other"] == 0 and server["result"] == 0, f"compat-server: {server}")
        # The 32-bit task sent a badged send-only endpoint and a send-only
        # notification, got a notification back, and each side signalled
        # the other's.
        cg = one_record(boot, "ipctest32", "compat-grant")
        sg = one_record(boot, "ipctest", "compat-server-grant")
        require(cg["result"] == 0 and cg["got"] == 1 and cg["got_type"] == 2 and cg["signalled"] == 0x23,
                f"ipctest32 compat-grant: {cg}")
        require(sg["caps"] == 2 and sg["ep_type"] == 1 and sg["ep_rights"] == 1 and sg["ep_badge"] == 0x32
                and sg["n_type"] == 2 and sg["n_rights"] == 1 and sg["reply"] == 0
                and sg["signalled"] == 0x320 and sg["done"] == 0, f"compat-server-grant: {sg}")
        # The server's calls through the badged copy: the 32-bit receiver
        # got tag, badge and words through its buffer.
        require(cg["badge"] == 0x32, f"ipctest32 received badge {cg['badge']:#x}, expected 0x32")
        require_stream("ipctest32 compat-grant", cg, COMPAT_SERVE, calls_key="served")
        require_stream("ipctest compat-server-grant", sg, COMPAT_SERVE)
        done = one_record(boot, "ipctest32", "done")
        require(done["stop"] == 0 and done["failed"] == 0, f"ipctest32 done: {done}")
        check_init(boot, 2)
        check_verdict(boot, "pass")
        check_status(boot, PASS)
    return check


def compat_args(server_cpus="", client_cpus=""):
    return INIT + ["--program", f"ipctest compat-server bus{server_cpus}",
                   "--program", f"ipctest32 bus rounds={COMPAT_ROUNDS} serve={COMPAT_SERVE}{client_cpus}"]


# --- A capability given to another task, then revoked -----------------------

def check_cap_transfer(boot):
    """cap-owner (CPU 0) sent badged send-only copies of an endpoint and a
    notification to cap-user (CPU 1); the user's signal and call arrived with
    their badges; revoking the owner's originals emptied the user's slots,
    so its next uses failed with -kBadSlot."""
    owner = one_record(boot, "ipctest", "cap-owner")
    user = one_record(boot, "ipctest", "cap-user")
    require(owner["sent"] == 0 and owner["user_got"] == 2, f"cap-owner: transfer {owner}")
    require(owner["served"] == 0 and owner["badge"] == 0xA1 and owner["word"] == 0x5EED,
            f"cap-owner: the user's call {owner}")
    require(owner["signalled"] == 0xB0 | 0x4, f"cap-owner: signalled={owner['signalled']:#x}, expected 0xb4")
    require(owner["revoked_ep"] == 2 and owner["revoked_n"] == 2,
            f"cap-owner: revoke removed {owner['revoked_ep']} and {owner['revoked_n']}, expected 2 each")
    require(owner["minted_ep"] == -10 and owner["minted_n"] == -10 and owner["originals"] == 2,
            f"cap-owner: after revoke {owner}")
    require(owner["user_call"] == -10 and owner["user_signal"] == -10 and owner["user_info"] == -10,
            f"cap-owner: the user's results after revoke {owner}")
    require(owner["late_bits"] == -15, f"cap-owner: a signal arrived after the revoke: {owner}")
    require(user["got"] == 2 and user["ep_type"] == 1 and user["ep_badge"] == 0xA1 and user["ep_rights"] == 1
            and user["n_type"] == 2 and user["n_badge"] == 0xB0 and user["n_rights"] == 1,
            f"cap-user: what arrived {user}")
    require(user["recv"] == -12 and user["signal"] == 0 and user["call"] == 0 and user["answer"] == 0x5EEE,
            f"cap-user: use before revoke {user}")
    require(user["revoked"] == 1 and user["after_call"] == -10 and user["after_signal"] == -10
            and user["after_info"] == -10, f"cap-user: use after revoke {user}")
    require(owner["ok"] == 1 and user["ok"] == 1, f"cap-owner ok={owner['ok']} cap-user ok={user['ok']}")
    # Each task ran only on its own CPU: the capability crossed CPUs.
    exits = {r["affinity"]: r for r in boot.records("thread-exit") if r.get("task") == "ipctest"}
    require(sorted(exits) == [1, 2] and exits[1]["ran_on"] == 1 and exits[2]["ran_on"] == 2,
            f"cap-owner and cap-user not each on its own CPU: {exits}")
    check_init(boot, 2)
    check_verdict(boot, "pass")
    check_status(boot, PASS)


CASES += [
    # 32-bit IPC through each 32-bit entry: SYSENTER (Intel), SYSCALL through
    # CSTAR (AMD, the two tasks on different CPUs), int 0x80 (one CPU).
    Case("qemu-ipc-compat32", ["--smp", "2"] + compat_args(), compat_case("sysenter32")),
    Case("qemu-ipc-compat32-amd", ["--smp", "2", "--cpu", "amd"] + compat_args(" cpus=1", " cpus=2"),
         compat_case("syscall32")),
    Case("qemu-ipc-compat32-int80", ["--smp", "1", "--cmdline", "entry=int80"] + compat_args(),
         compat_case("int80-32")),
    Case("qemu-ipc-cap-transfer-2cpu", ["--smp", "2"] + INIT
         + ["--program", "ipctest cap-owner bus cpus=1", "--program", "ipctest cap-user bus cpus=2"],
         check_cap_transfer),
]
