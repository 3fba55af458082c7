// shell: the interactive shell on the console. Reads a line at a time from
// the console server (servers/console/client.h), runs the command, writes
// the report back; `help` lists the commands (commands.h).
//
//   commands.{h,cpp}  parsing, with a message for anything malformed
//   reports.{h,cpp}   what each command prints, from plain data
//   main.cpp          this file: gathering the data, the console loop
//
// Capabilities (shell_protocol.h): the console's endpoint in slot 4, or
// else "console" looked up through names (slot 1); init's control endpoint
// in slot 5 for `kill`. It must run privileged (ipc_stats, trace; and
// module_info, task_create_args and task_wait for `stress`).
//
// `stress` starts the boot module whose string's first word is `stress`
// as a privileged task (the suite reads per-CPU counters with cpu_stats)
// with the command line of format_stress_args, and waits for it: the shell
// takes no input until the suite has ended (S seconds and a few more). The
// suite's own records reach the console through the kernel log.
//
// Output: `shell: ready console=SLOT` in the kernel log, then the prompt
// `lstar> ` on the console; `shell: no console error=E` (exit status 1) if
// the console cannot be found, `shell: console failed error=E` (1) if it
// goes away.
#include "lib/ipc/message.h"
#include "lib/ipc/transport.h"
#include "lib/kstd/string.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/console/client.h"
#include "servers/shell/commands.h"
#include "servers/shell/reports.h"
#include "servers/shell/shell_protocol.h"

namespace {

using namespace shell;

constexpr const char* kPrompt = "lstar> ";
// The console's lines are shorter (LineDiscipline::kLineMax); a longer one
// is read in pieces and refused.
constexpr usize kLineSize = 256;
constexpr usize kMaxThreads = 128;
constexpr u32 kMaxCpus = 64;
// The console may not have registered yet when the shell starts.
constexpr int kLookupTries = 200;
constexpr u64 kLookupPauseNs = 10'000'000;
// init answers a kill at once; a shell waiting longer is better off
// telling the user.
constexpr u64 kInitTimeoutNs = 5'000'000'000;
// Boot modules looked at for `stress`; module_info answers kNotFound past
// the last one.
constexpr u64 kMaxModules = 256;
constexpr const char* kStressProgram = "stress";

// Large, and needed one at a time: not on the stack.
abi::ThreadInfo g_threads[kMaxThreads];
CpuReport g_cpus[kMaxCpus];
char g_report[16384];

// The console's endpoint: given in kSlotConsole, or found through names.
i64 find_console() {
    abi::CapInfo info{};
    if (lstar::sys::cap_info(kSlotConsole, &info) == 0 && info.type == abi::kCapEndpoint) {
        return static_cast<i64>(kSlotConsole);
    }
    i64 slot = -abi::kNotFound;
    for (int i = 0; i < kLookupTries && slot == -abi::kNotFound; ++i) {
        slot = console::Client::find(kSlotNames, kSlotFirstFree);
        if (slot == -abi::kNotFound) lstar::sleep_ns(kLookupPauseNs);
    }
    return slot;
}

void ps(Out& out) {
    const i64 r = lstar::sys::thread_list(g_threads, sizeof(g_threads));
    format_ps(g_threads, kMaxThreads, r, out);
}

// Every online CPU's statistics: CPU numbers need not be contiguous, so
// numbers are tried until cpu_count() of them answered.
void cpus(Out& out) {
    const u32 online = lstar::cpu_count();
    usize n = 0;
    i64 error = 0;
    for (u32 cpu = 0; cpu < kMaxCpus && n < online; ++cpu) {
        abi::IpcStats s{};
        const i64 r = lstar::sys::ipc_stats(cpu, &s);
        if (r == -abi::kInvalid) continue;  // not online
        if (r < 0) {
            error = r;
            break;
        }
        g_cpus[n++] = {cpu, s};
    }
    format_cpus(g_cpus, n, error, out);
}

void trace(const Command& c, Out& out) {
    const i64 r = lstar::sys::trace(c.has_task ? c.task : 0, c.on ? ~u64{0} : 0);
    format_trace(c.on, c.has_task, c.task, r, out);
}

// Asks init to kill the task (shell_protocol.h).
void kill(const Command& c, Out& out) {
    u64 task = c.task;
    if (c.name[0] != '\0') {
        // By name: the first task ps lists under it (the newest).
        const i64 n = lstar::sys::thread_list(g_threads, sizeof(g_threads));
        for (i64 i = 0; i < n && i < static_cast<i64>(kMaxThreads) && task == 0; ++i) {
            if (kstd::strcmp(g_threads[i].name, c.name) == 0) task = g_threads[i].task_id;
        }
        if (task == 0) {
            out.printf("kill: no task named %s\n", c.name);
            return;
        }
    }
    ipc::Message m = ipc::Message::request(kInitKill);
    m.push(task).set_timeout(kInitTimeoutNs);
    i64 r = ipc::transport().call(kSlotInit, m);
    if (r == 0) {
        ipc::drop_received_caps(m);
        r = m.status();
    }
    format_kill(task, r, out);
}

// The index of the boot module whose string's first word is `stress`, or
// -abi::kNotFound.
i64 find_stress_module() {
    const usize n = kstd::strlen(kStressProgram);
    for (u64 index = 0; index < kMaxModules; ++index) {
        char line[64];
        const i64 r = lstar::sys::module_info(index, line, sizeof(line));
        if (r == -abi::kNotFound) break;
        if (r < 0) continue;
        line[static_cast<usize>(r) < sizeof(line) ? r : sizeof(line) - 1] = '\0';
        const char* s = line;
        while (*s == ' ') ++s;
        if (kstd::strncmp(s, kStressProgram, n) == 0 && (s[n] == '\0' || s[n] == ' ')) return static_cast<i64>(index);
    }
    return -abi::kNotFound;
}

// Starts the stress suite, tells the console, waits for it to end. The
// "started" line is written at once: the rest of `out` comes after the wait.
i64 stress(const Command& c, Out& out, console::Client& tty) {
    const u64 seed = c.has_seed ? c.seed : lstar::time_ns();
    const i64 module = find_stress_module();
    if (module < 0) {
        format_stress_failed("module", module, out);
        return 0;
    }
    char args[160];
    Out line(args, sizeof(args));
    format_stress_args(c.seconds, seed, line);
    const i64 task = lstar::sys::task_create_args(static_cast<u64>(module), abi::kAnySlot, args, line.length());
    if (task < 0) {
        format_stress_failed("create", task, out);
        return 0;
    }
    const u64 cap = static_cast<u64>(task);
    const i64 id = lstar::sys::task_start(cap, abi::kDefaultPriority, ~u64{0}, abi::kTaskPrivileged);
    if (id < 0) {
        format_stress_failed("start", id, out);
        lstar::sys::task_kill(cap, abi::kStatusKilled);
        lstar::sys::cap_delete(cap);
        return 0;
    }
    format_stress_started(static_cast<u64>(id), c.seconds, seed, out);
    const i64 r = tty.write(out.text(), out.length());
    out.clear();
    const i64 status = lstar::sys::task_wait(static_cast<u64>(id));
    lstar::sys::cap_delete(cap);
    format_stress_ended(static_cast<u64>(id), status, out);
    return r < 0 ? r : 0;
}

void run(const Command& c, Out& out) {
    switch (c.kind) {
    case Kind::kEmpty: break;
    case Kind::kHelp: format_help(out); break;
    case Kind::kPs: ps(out); break;
    case Kind::kCpus: cpus(out); break;
    case Kind::kTrace: trace(c, out); break;
    case Kind::kKill: kill(c, out); break;
    case Kind::kStress: break;  // main: it writes to the console while it waits
    case Kind::kBench: format_not_built(c.kind, out); break;
    case Kind::kShutdown: lstar::shutdown(true);
    case Kind::kBad: out.printf("%s\n", c.message); break;
    }
}

// The next line from the console, without its '\n'; NUL-terminated. A line
// too long for the buffer is read to its end and comes back empty with
// `too_long`. Returns its length or -abi::Error.
i64 read_line(console::Client& tty, char* line, usize size, bool& too_long) {
    too_long = false;
    i64 n = tty.read(line, size - 1);
    if (n < 0) return n;
    while (n > 0 && line[n - 1] != '\n') {
        too_long = true;
        n = tty.read(line, size - 1);
        if (n < 0) return n;
    }
    if (too_long) n = 0;
    if (n > 0) --n;  // the '\n'
    line[n] = '\0';
    return n;
}

}  // namespace

int main(int, char**) {
    const i64 slot = find_console();
    if (slot < 0) {
        lstar::printf("shell: no console error=%ld\n", -slot);
        return 1;
    }
    console::Client tty(static_cast<u64>(slot));
    lstar::printf("shell: ready console=%ld\n", slot);

    i64 r = tty.write("lstar shell: `help` lists the commands\n");
    while (r >= 0) {
        // The console shows the prompt when the read below asks for input.
        r = tty.write(kPrompt);
        if (r < 0) break;
        char line[kLineSize];
        bool too_long;
        r = read_line(tty, line, sizeof(line), too_long);
        if (r < 0) break;
        Out out(g_report, sizeof(g_report));
        const Command c = too_long ? Command{} : parse(line, static_cast<usize>(r));
        if (too_long) out.printf("line too long (at most %zu characters)\n", kLineSize - 2);
        else if (c.kind == Kind::kStress) r = stress(c, out, tty);
        else run(c, out);
        if (r < 0) break;
        if (out.length() > 0) r = tty.write(out.text(), out.length());
        if (r >= 0 && out.truncated()) r = tty.write("\n(output cut short)\n");
    }
    lstar::printf("shell: console failed error=%ld\n", -r);
    return 1;
}
