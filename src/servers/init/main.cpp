// init: the root task (multiboot2 module 0). Starts the servers of the boot
// manifest (servers.{h,cpp}; the module whose string is `manifest`), then
// every other module as a task, waits for the latter and reports whether
// each ended as its module string said it would.
//
// The manifest's servers are started in manifest order from the modules
// whose program name is theirs, and restarted when they end (restart=yes,
// the default); those modules are not started again below. A server with
// restart=no is waited for like a module with `expect=0`.
//
// argv: `init [shutdown] [badptr]`. With `badptr`, init first checks that
// every pointer argument of every system call, its privileged ones included,
// refuses bad addresses (lib/user/bad_pointers.h); a failure counts as a
// mismatch. With `shutdown`, init powers the machine off at the
// end with the verdict pass (every expectation met) or fail; otherwise its
// thread exits and the kernel keeps running.
//
// Module string of every other module: `NAME [word...]`, NAME being the
// program name (argv[0] of that task) and the words any of
//   prio=P           priority (default abi::kDefaultPriority)
//   cpus=MASK        affinity mask, decimal or 0x hex (default all CPUs)
//   daemon           do not wait for it
//   expect=N         expected exit status (default 0)
//   expect=killed    expected to be killed by the kernel (status >= kStatusKilled)
//   expect=badimage  expected not to load: spawn fails with -abi::kBadImage
//   bus              gets init's bus endpoint in slot 1 (start_on_bus)
//   nostart          not started: the module is there for another task to
//                    start (the shell's `stress` command)
// plus whatever the program itself reads from its argv.
//
// Output (one line each):
//   init: started NAME task=ID | init: spawn NAME failed error=E
// then, in module order, for every module not started as expected and every
// non-daemon task:
//   init: NAME task=ID status=S expected=X ok|MISMATCH
//   init: NAME spawn error=E expected=X ok|MISMATCH
//   init: NAME task=ID wait error=E expected=X MISMATCH
//   init: done started=N ok=N mismatched=N
// E is the positive abi::Error; every unexpected outcome counts as mismatched.
#include "lib/abi/ipc.h"
#include "lib/kstd/string.h"
#include "lib/user/bad_pointers.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/init/servers.h"

namespace {

constexpr usize kMaxModules = 64;
constexpr usize kNameSize = 32;

enum class Expect { kStatus, kKilled, kBadImage, kInvalid };  // kInvalid: never met

struct Child {
    char name[kNameSize];
    bool daemon;
    Expect expect;
    u64 expected_status;  // for Expect::kStatus
    i64 spawned;          // spawn's result: task id, or -abi::Error
};

Child children[kMaxModules];

// Copies the first word of `line` (the program name) into out.
void first_word(const char* line, char* out, usize size) {
    while (*line == ' ' || *line == '\t') ++line;
    usize n = 0;
    while (line[n] != '\0' && line[n] != ' ' && line[n] != '\t' && n + 1 < size) {
        out[n] = line[n];
        ++n;
    }
    out[n] = '\0';
}

void parse(const char* line, u64 index, Child& c) {
    first_word(line, c.name, sizeof(c.name));
    if (c.name[0] == '\0') lstar::snprintf(c.name, sizeof(c.name), "module%lu", index);
    c.daemon = lstar::arg_flag(line, "daemon");
    c.expect = Expect::kStatus;
    c.expected_status = 0;
    char value[24];
    if (lstar::arg_get(line, "expect", value, sizeof(value))) {
        if (kstd::strcmp(value, "killed") == 0) c.expect = Expect::kKilled;
        else if (kstd::strcmp(value, "badimage") == 0) c.expect = Expect::kBadImage;
        else if (!lstar::arg_u64(line, "expect", c.expected_status)) c.expect = Expect::kInvalid;
    }
}

// The endpoint init shares with every module that has the `bus` word, in
// its slot kBusSlot: enough for two test programs to reach each other
// before the name service exists.
constexpr u64 kBusSlot = 1;
u64 bus = 0;

// Starts module `index` as spawn() would, with the bus endpoint (send,
// receive and grant) in its slot kBusSlot.
i64 start_on_bus(u64 index, u32 prio, u64 cpus) {
    if (bus == 0) {
        i64 ep = lstar::sys::endpoint_create(0);
        if (ep < 0) return ep;
        bus = u64(ep);
    }
    i64 task = lstar::sys::task_create(index, 0);
    if (task < 0) return task;
    i64 r = lstar::sys::task_give(u64(task), bus, kBusSlot, abi::kRightsAll, 0);
    if (r >= 0) r = lstar::sys::task_start(u64(task), prio, cpus, 0);
    if (r < 0) lstar::sys::task_kill(u64(task), abi::kStatusKilled);
    lstar::sys::cap_delete(u64(task));
    return r;
}

// The expectation as printed after `expected=`.
const char* expected_text(const Child& c, char* buf, usize size) {
    switch (c.expect) {
    case Expect::kKilled: return "killed";
    case Expect::kBadImage: return "badimage";
    case Expect::kInvalid: return "invalid";
    case Expect::kStatus: break;
    }
    lstar::snprintf(buf, size, "%lu", c.expected_status);
    return buf;
}

bool has_word(int argc, char** argv, const char* word) {
    for (int i = 1; i < argc; ++i) {
        if (kstd::strcmp(argv[i], word) == 0) return true;
    }
    return false;
}

}  // namespace

init::Module modules[kMaxModules];
bool used[kMaxModules];

int main(int argc, char** argv) {
    usize count = 0, module_count = 0;
    u64 started = 0, ok = 0, mismatched = 0;
    if (has_word(argc, argv, "badptr")) mismatched += lstar::check_bad_pointers("init", true);

    // Every module after init's own (index 0).
    for (u64 index = 1;; ++index) {
        char* line = modules[module_count].string;
        constexpr usize kLine = sizeof(modules[0].string);
        i64 n = lstar::module_info(index, line, kLine);
        if (n == -abi::kNotFound) break;
        if (n < 0) {
            lstar::printf("init: module %lu info failed error=%ld\n", index, -n);
            ++mismatched;
            continue;
        }
        if (static_cast<u64>(n) >= kLine) {
            lstar::printf("init: module %lu string truncated to %zu bytes\n", index, kLine - 1);
            n = kLine - 1;
        }
        line[n] = '\0';
        if (module_count == kMaxModules) {
            lstar::printf("init: more than %zu modules, ignoring the rest\n", kMaxModules);
            ++mismatched;
            break;
        }
        modules[module_count++].index = index;
    }

    // The manifest's servers first (the first module called `manifest`).
    for (usize m = 0; m < module_count; ++m) {
        char word[kNameSize];
        first_word(modules[m].string, word, sizeof(word));
        if (kstd::strcmp(word, "manifest") != 0) continue;
        used[m] = true;
        mismatched += init::start_servers(modules[m].index, modules, module_count, used);
        break;
    }

    for (usize m = 0; m < module_count; ++m) {
        if (used[m] || lstar::arg_flag(modules[m].string, "nostart")) continue;
        const u64 index = modules[m].index;
        const char* line = modules[m].string;
        Child& c = children[count++];
        parse(line, index, c);
        if (c.expect == Expect::kInvalid) lstar::printf("init: %s has a bad expect= word\n", c.name);

        u64 priority = abi::kDefaultPriority;
        u64 cpus = ~0ull;
        lstar::arg_u64(line, "prio", priority);
        lstar::arg_u64(line, "cpus", cpus);
        // An out-of-range priority is passed on for the kernel to refuse.
        u32 prio = priority > 0xffffffffu ? 0xffffffffu : static_cast<u32>(priority);
        c.spawned = lstar::arg_flag(line, "bus") ? start_on_bus(index, prio, cpus) : lstar::spawn(index, prio, cpus);
        if (c.spawned >= 0) {
            ++started;
            lstar::printf("init: started %s task=%ld\n", c.name, c.spawned);
        } else {
            lstar::printf("init: spawn %s failed error=%ld\n", c.name, -c.spawned);
        }
    }

    // Collect the verdicts in module order.
    for (usize i = 0; i < count; ++i) {
        const Child& c = children[i];
        char buf[24];
        const char* expected = expected_text(c, buf, sizeof(buf));
        bool pass = false;
        if (c.spawned < 0) {
            pass = c.expect == Expect::kBadImage && c.spawned == -abi::kBadImage;
            lstar::printf("init: %s spawn error=%ld expected=%s %s\n", c.name, -c.spawned, expected,
                          pass ? "ok" : "MISMATCH");
        } else if (c.daemon) {
            if (c.expect != Expect::kBadImage && c.expect != Expect::kInvalid) continue;  // nothing to check
            lstar::printf("init: %s task=%ld daemon expected=%s MISMATCH\n", c.name, c.spawned, expected);
        } else {
            i64 status = lstar::task_wait(static_cast<u64>(c.spawned));
            if (status < 0) {
                lstar::printf("init: %s task=%ld wait error=%ld expected=%s MISMATCH\n", c.name, c.spawned,
                              -status, expected);
            } else {
                u64 s = static_cast<u64>(status);
                switch (c.expect) {
                case Expect::kStatus: pass = s == c.expected_status; break;
                case Expect::kKilled: pass = s >= abi::kStatusKilled; break;
                case Expect::kBadImage:
                case Expect::kInvalid: break;
                }
                lstar::printf("init: %s task=%ld status=%lu expected=%s %s\n", c.name, c.spawned, s, expected,
                              pass ? "ok" : "MISMATCH");
            }
        }
        if (pass) ++ok;
        else ++mismatched;
    }

    mismatched += init::wait_for_finite_servers();
    lstar::printf("init: done started=%lu ok=%lu mismatched=%lu\n", started, ok, mismatched);
    if (has_word(argc, argv, "shutdown")) lstar::shutdown(mismatched == 0);
    lstar::thread_exit(0);
}
