// init's servers (servers.h).
//
// Each server's own endpoints are made once, by init, and kept in init's
// capability space: a restarted server gets the same endpoints again, so
// the capabilities its clients hold stay valid across the restart. Callers
// that were inside the dead server (received, not yet answered) get
// kCancelled from the kernel; callers still queued on the endpoint are
// received by the new instance.
#include "servers/init/servers.h"

#include "lib/abi/ipc.h"
#include "lib/ipc/protocol.h"
#include "lib/ipc/server.h"
#include "lib/ipc/transport.h"
#include "lib/kstd/string.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/shell/shell_protocol.h"

namespace init {
namespace {

namespace sys = lstar::sys;
using manifest::Grant;
using manifest::GrantKind;

constexpr usize kMaxManifestBytes = 16384;
// A server that ends within kQuickNs of being started is restarted at most
// kMaxQuickRestarts times in a row; one that ran longer starts the count over.
constexpr u64 kQuickNs = 1'000'000'000;
constexpr u32 kMaxQuickRestarts = 5;
constexpr u32 kWatcherPriority = abi::kMaxPriority;

struct Running {
    const manifest::Server* server = nullptr;
    u64 module = 0;
    u64 endpoints[manifest::kMaxGrants] = {};  // init's slot of each own endpoint, by grant index
    // Changed by the watcher, read by the control thread: under g_lock.
    u64 task_cap = 0;  // init's slot of the current task capability, 0 if none
    u64 task_id = 0;
    u64 started_ns = 0;
    u32 starts = 0;
    u32 quick_restarts = 0;
    i64 watcher = -1;  // thread id
    u64 final_status = 0;
};

manifest::Manifest g_manifest;
char g_text[kMaxManifestBytes];
Running g_running[manifest::kMaxServers];
u32 g_count = 0;
u64 g_control = 0;  // init's control endpoint (receive), 0 if none

// A user-mode lock for the Running records: the critical sections are a
// few loads and stores, so waiting is a yield loop.
u32 g_lock = 0;
void lock() {
    while (__atomic_exchange_n(&g_lock, 1u, __ATOMIC_ACQUIRE) != 0) lstar::yield();
}
void unlock() { __atomic_store_n(&g_lock, 0u, __ATOMIC_RELEASE); }

bool first_word_is(const char* s, const char* word) {
    while (*s == ' ') ++s;
    const usize n = kstd::strlen(word);
    return kstd::strncmp(s, word, n) == 0 && (s[n] == '\0' || s[n] == ' ');
}

// Reads module `index` whole into g_text; its length, or -abi::Error
// (kNoMemory: larger than kMaxManifestBytes).
i64 read_module(u64 index) {
    usize total = 0;
    for (;;) {
        if (total == sizeof(g_text)) {
            char probe;
            i64 more = sys::module_read(index, total, &probe, 1);
            return more == 0 ? static_cast<i64>(total) : (more < 0 ? more : -abi::kNoMemory);
        }
        i64 n = sys::module_read(index, total, g_text + total, sizeof(g_text) - total);
        if (n < 0) return n;
        if (n == 0) return static_cast<i64>(total);
        total += static_cast<usize>(n);
    }
}

// Where a failed start stopped, for the log line.
struct Failure {
    const char* step;
    i64 error;
};

// A capability for grant g of server r in a temporary slot of init's, or
// the slot of one init keeps (own endpoints, the control endpoint):
// `temporary` says whether the caller must delete it after giving it.
i64 source_of(const Running& r, u32 j, bool& temporary) {
    const Grant& g = r.server->grants[j];
    temporary = false;
    switch (g.kind) {
    case GrantKind::kOwnEndpoint: return static_cast<i64>(r.endpoints[j]);
    case GrantKind::kEndpoint: return static_cast<i64>(g_running[g.target_server].endpoints[g.target_grant]);
    case GrantKind::kInitEndpoint: return g_control ? static_cast<i64>(g_control) : -abi::kNotFound;
    case GrantKind::kIoPorts:
    case GrantKind::kIrq:
        temporary = true;
        return sys::cap_narrow(g.kind == GrantKind::kIoPorts ? kSlotRootIoPorts : kSlotRootIrq, abi::kAnySlot,
                               g.base, g.count);
    }
    return -abi::kInvalid;
}

// Creates the task of r, gives it its capabilities and starts it. On
// success r.task_cap and r.task_id are set (under the lock); otherwise the
// half-made task is killed and f says where it failed.
bool start(Running& r, Failure& f) {
    const manifest::Server& s = *r.server;
    i64 cap = s.args[0] ? sys::task_create_args(r.module, abi::kAnySlot, s.args, kstd::strlen(s.args))
                        : sys::task_create(r.module, abi::kAnySlot);
    if (cap < 0) {
        f = {"create", cap};
        return false;
    }
    const u64 task = static_cast<u64>(cap);
    for (u32 j = 0; j < s.grant_count; ++j) {
        const Grant& g = s.grants[j];
        bool temporary = false;
        i64 src = source_of(r, j, temporary);
        i64 given = src < 0 ? src : sys::task_give(task, static_cast<u64>(src), g.slot, g.rights, g.badge);
        if (temporary && src >= 0) sys::cap_delete(static_cast<u64>(src));
        if (given < 0) {
            f = {manifest::kind_name(g.kind), given};
            sys::task_kill(task, abi::kStatusKilled);
            sys::cap_delete(task);
            return false;
        }
    }
    i64 id = sys::task_start(task, s.priority, s.cpus, s.privileged ? abi::kTaskPrivileged : 0);
    if (id < 0) {
        f = {"start", id};
        sys::task_kill(task, abi::kStatusKilled);
        sys::cap_delete(task);
        return false;
    }
    lock();
    r.task_cap = task;
    r.task_id = static_cast<u64>(id);
    r.started_ns = lstar::time_ns();
    ++r.starts;
    unlock();
    return true;
}

// One per server: waits for its task to end and starts it again.
void watch(u64 arg) {
    Running& r = g_running[arg];
    const char* name = r.server->name;
    for (;;) {
        lock();
        const u64 id = r.task_id, cap = r.task_cap;
        unlock();
        const i64 status = sys::task_wait(id);
        r.final_status = static_cast<u64>(status);
        lock();
        r.task_cap = 0;
        r.task_id = 0;
        const u64 ran_ns = lstar::time_ns() - r.started_ns;
        unlock();
        sys::cap_delete(cap);
        lstar::printf("init: server %s task=%lu ended status=%#lx\n", name, id, r.final_status);
        if (!r.server->restart || status < 0) return;
        r.quick_restarts = ran_ns < kQuickNs ? r.quick_restarts + 1 : 0;
        if (r.quick_restarts > kMaxQuickRestarts) {
            lstar::printf("init: server %s ended %u times within %lu ms of starting, not restarted\n", name,
                          kMaxQuickRestarts + 1, kQuickNs / 1'000'000);
            return;
        }
        Failure f{};
        if (!start(r, f)) {
            lstar::printf("init: server %s restart failed step=%s error=%ld\n", name, f.step, -f.error);
            return;
        }
        lstar::printf("init: server %s restarted task=%lu start=%u\n", name, r.task_id, r.starts);
    }
}

// The control endpoint: kill requests from the shell.
ipc::Action control(ipc::Message& msg) {
    ipc::drop_received_caps(msg);
    if (msg.label() != shell::kInitKill) return ipc::reject(msg);
    if (msg.word_count() != 1) {
        msg.reply_error(abi::kInvalid);
        return ipc::Action::kReply;
    }
    const u64 id = msg.word(0);
    abi::Error status = abi::kNotFound;
    lock();
    for (u32 i = 0; i < g_count && id != 0; ++i) {
        Running& r = g_running[i];
        if (r.task_id != id || r.task_cap == 0) continue;
        const i64 k = sys::task_kill(r.task_cap, shell::kKilledStatus);
        status = k < 0 ? static_cast<abi::Error>(-k) : abi::kOk;
        lstar::printf("init: kill task=%lu server=%s badge=%lu result=%ld\n", id, r.server->name, msg.badge(), k);
        break;
    }
    unlock();
    msg.reply(status);
    return ipc::Action::kReply;
}

void control_thread(u64) {
    const i64 r = ipc::serve(g_control, [](ipc::Message& msg) { return control(msg); });
    lstar::printf("init: control endpoint stopped error=%ld\n", -r);
}

}  // namespace

u32 start_servers(u64 index, const Module* modules, usize count, bool* used) {
    i64 bytes = read_module(index);
    if (bytes < 0) {
        lstar::printf("init: manifest module %lu unreadable error=%ld\n", index, -bytes);
        return 1;
    }
    const manifest::Result parsed = manifest::parse(g_text, static_cast<usize>(bytes), g_manifest);
    if (!parsed.ok) {
        lstar::printf("init: manifest error %s\n", parsed.message);
        return 1;
    }
    lstar::printf("init: manifest servers=%u bytes=%ld\n", g_manifest.count, bytes);

    u32 failed = 0;
    bool wants_control = false;
    g_count = g_manifest.count;
    for (u32 i = 0; i < g_count; ++i) {
        Running& r = g_running[i];
        r.server = &g_manifest.servers[i];
        r.module = 0;
        for (usize m = 0; m < count; ++m) {
            if (!first_word_is(modules[m].string, r.server->program)) continue;
            r.module = modules[m].index;
            used[m] = true;
            break;
        }
        for (u32 j = 0; j < r.server->grant_count; ++j) {
            const Grant& g = r.server->grants[j];
            wants_control |= g.kind == GrantKind::kInitEndpoint;
            if (g.kind != GrantKind::kOwnEndpoint) continue;
            const i64 ep = sys::endpoint_create(abi::kAnySlot);
            r.endpoints[j] = ep < 0 ? 0 : static_cast<u64>(ep);
            if (ep < 0) lstar::printf("init: endpoint %s.%s error=%ld\n", r.server->name, g.endpoint, -ep);
        }
    }
    if (wants_control) {
        const i64 ep = sys::endpoint_create(abi::kAnySlot);
        if (ep < 0) {
            lstar::printf("init: control endpoint error=%ld\n", -ep);
        } else {
            g_control = static_cast<u64>(ep);
            const i64 t = lstar::thread_create(control_thread, 0, 0, kWatcherPriority, ~0ull);
            if (t < 0) lstar::printf("init: control thread error=%ld\n", -t);
        }
    }
    // Started in manifest order: names first, as the manifest lists it.
    for (u32 i = 0; i < g_count; ++i) {
        Running& r = g_running[i];
        const char* name = r.server->name;
        Failure f{};
        if (r.module == 0) {
            f = {"module", -abi::kNotFound};
        } else if (start(r, f)) {
            lstar::printf("init: server %s task=%lu started\n", name, r.task_id);
            r.watcher = lstar::thread_create(watch, 0, i, kWatcherPriority, ~0ull);
            if (r.watcher >= 0) continue;
            f = {"watch", r.watcher};
        }
        lstar::printf("init: server %s start failed step=%s error=%ld\n", name, f.step, -f.error);
        ++failed;
    }
    return failed;
}

u32 wait_for_finite_servers() {
    u32 mismatched = 0;
    for (u32 i = 0; i < g_count; ++i) {
        Running& r = g_running[i];
        if (r.server->restart || r.watcher < 0) continue;
        lstar::thread_join(static_cast<u64>(r.watcher));
        const bool ok = r.final_status == 0;
        lstar::printf("init: server %s status=%lu expected=0 %s\n", r.server->name, r.final_status,
                      ok ? "ok" : "MISMATCH");
        mismatched += !ok;
    }
    return mismatched;
}

}  // namespace init
