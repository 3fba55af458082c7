// The shell's reports (reports.h).
#include "servers/shell/reports.h"

#include <stdarg.h>

#include "lib/abi/syscall.h"
#include "lib/format.h"
#include "lib/kstd/string.h"

namespace shell {

Out& Out::printf(const char* fmt, ...) {
    if (truncated_ || size_ == 0) {
        truncated_ = true;
        return *this;
    }
    va_list ap;
    va_start(ap, fmt);
    const usize room = size_ - len_;
    const usize n = fmt::vsnprintf(buf_ + len_, room, fmt, ap);
    va_end(ap);
    if (n >= room) {
        truncated_ = true;
        len_ = size_ - 1;
    } else {
        len_ += n;
    }
    return *this;
}

void Out::clear() {
    len_ = 0;
    truncated_ = false;
    if (size_ > 0) buf_[0] = '\0';
}

const char* error_text(i64 result, char* buf, usize size) {
    const char* name = result < 0 ? abi::error_name(-result) : nullptr;
    if (name != nullptr) return name;
    fmt::snprintf(buf, size, "error-%ld", static_cast<long>(result < 0 ? -result : result));
    return buf;
}

void format_help(Out& out) {
    out.printf("commands:\n")
        .printf("  help                    this list\n")
        .printf("  ps                      threads: task (- for the kernel's), tid, name, cpu, state,\n")
        .printf("                          priority, switches\n")
        .printf("  cpus                    IPC per CPU: fast calls and replies, slow calls, fast-path\n")
        .printf("                          misses by reason\n")
        .printf("  trace on|off [TASK-ID]  log the system calls of a task (default: this shell)\n")
        .printf("  kill TASK-ID|NAME       ask init to end a task (it restarts servers)\n")
        .printf("  stress [SECONDS] [seed=N]\n")
        .printf("                          run the stress suite for SECONDS (1..3600, default %lu) with\n",
                static_cast<unsigned long>(kStressDefaultSeconds))
        .printf("                          seed N (default: the clock) and wait for its verdict\n")
        .printf("  bench                   the benchmarks\n")
        .printf("  shutdown                power the machine off (QEMU exits, verdict pass)\n");
}

void format_ps(const abi::ThreadInfo* threads, usize capacity, i64 result, Out& out) {
    if (result < 0) {
        char buf[24];
        out.printf("ps: failed: %s\n", error_text(result, buf, sizeof(buf)));
        return;
    }
    const usize total = static_cast<usize>(result);
    const usize shown = total < capacity ? total : capacity;
    out.printf("%5s %5s %-24s %3s %-8s %4s %10s\n", "TASK", "TID", "NAME", "CPU", "STATE", "PRIO", "SWITCHES");
    for (usize i = 0; i < shown; ++i) {
        const abi::ThreadInfo& t = threads[i];
        char task[24];
        if (t.task_id == 0) fmt::snprintf(task, sizeof(task), "-");
        else fmt::snprintf(task, sizeof(task), "%lu", static_cast<unsigned long>(t.task_id));
        // The name need not be terminated when it fills the array.
        const int name_len = static_cast<int>(kstd::strnlen(t.name, sizeof(t.name)));
        constexpr usize kStates = sizeof(abi::kThreadStateNames) / sizeof(abi::kThreadStateNames[0]);
        const char* state = t.state < kStates ? abi::kThreadStateNames[t.state] : "?";
        out.printf("%5s %5lu %-24.*s %3u %-8s %4u %10lu\n", task, static_cast<unsigned long>(t.tid), name_len,
                   t.name, t.cpu, state, static_cast<unsigned>(t.priority),
                   static_cast<unsigned long>(t.switches));
    }
    if (total > shown) out.printf("(%zu more threads not shown)\n", total - shown);
}

namespace {

void cpu_line(const char* label, const abi::IpcStats& s, Out& out) {
    out.printf("%s fast_calls=%lu fast_replies=%lu slow_calls=%lu sends=%lu receives=%lu notifications=%lu\n",
               label, static_cast<unsigned long>(s.fast_calls), static_cast<unsigned long>(s.fast_replies),
               static_cast<unsigned long>(s.slow_calls), static_cast<unsigned long>(s.sends),
               static_cast<unsigned long>(s.receives), static_cast<unsigned long>(s.notifications));
    out.printf("  misses:");
    bool any = false;
    for (u32 r = 0; r < abi::kFastMisses; ++r) {
        if (s.misses[r] == 0) continue;
        out.printf(" %s=%lu", abi::kFastMissNames[r], static_cast<unsigned long>(s.misses[r]));
        any = true;
    }
    out.printf("%s", any ? "\n" : " none\n");
}

}  // namespace

void format_cpus(const CpuReport* cpus, usize count, i64 error, Out& out) {
    abi::IpcStats total{};
    for (usize i = 0; i < count; ++i) {
        char label[16];
        fmt::snprintf(label, sizeof(label), "cpu %u:", cpus[i].cpu);
        cpu_line(label, cpus[i].stats, out);
        const abi::IpcStats& s = cpus[i].stats;
        total.fast_calls += s.fast_calls;
        total.fast_replies += s.fast_replies;
        total.slow_calls += s.slow_calls;
        total.sends += s.sends;
        total.receives += s.receives;
        total.notifications += s.notifications;
        for (u32 r = 0; r < abi::kFastMisses; ++r) total.misses[r] += s.misses[r];
    }
    if (count > 1) cpu_line("all:", total, out);
    if (error < 0) {
        char buf[24];
        out.printf("cpus: failed: %s%s\n", error_text(error, buf, sizeof(buf)),
                   error == -abi::kPermission ? " (the shell must run privileged)" : "");
    } else if (count == 0) {
        out.printf("cpus: no statistics\n");
    }
}

void format_trace(bool on, bool has_task, u64 task, i64 result, Out& out) {
    char who[32];
    if (has_task) fmt::snprintf(who, sizeof(who), "task %lu", static_cast<unsigned long>(task));
    else fmt::snprintf(who, sizeof(who), "the shell");
    if (result >= 0) {
        out.printf("trace: %s %s (previous mask 0x%lx)\n", who, on ? "on" : "off",
                   static_cast<unsigned long>(result));
        return;
    }
    char buf[24];
    out.printf("trace: %s failed: %s%s\n", who, error_text(result, buf, sizeof(buf)),
               result == -abi::kPermission ? " (the shell must run privileged)" : "");
}

void format_not_built(Kind kind, Out& out) { out.printf("%s: the benchmarks are not built yet\n", kind_name(kind)); }

void format_stress_args(u64 seconds, u64 seed, Out& out) {
    out.printf("stress suite seconds=%lu seed=0x%lx workloads=ipc,sched,mem,caps,entry",
               static_cast<unsigned long>(seconds), static_cast<unsigned long>(seed));
}

void format_stress_started(u64 task, u64 seconds, u64 seed, Out& out) {
    out.printf("stress: started task=%lu seconds=%lu seed=0x%lx\n", static_cast<unsigned long>(task),
               static_cast<unsigned long>(seconds), static_cast<unsigned long>(seed));
}

void format_stress_ended(u64 task, i64 result, Out& out) {
    if (result >= 0) {
        out.printf("stress: task %lu ended status=0x%lx verdict=%s\n", static_cast<unsigned long>(task),
                   static_cast<unsigned long>(result), result == 0 ? "pass" : "fail");
        return;
    }
    char buf[24];
    out.printf("stress: task %lu wait failed: %s\n", static_cast<unsigned long>(task),
               error_text(result, buf, sizeof(buf)));
}

void format_stress_failed(const char* step, i64 result, Out& out) {
    if (kstd::strcmp(step, "module") == 0 && result == -abi::kNotFound) {
        out.printf("stress: no stress program on this boot\n");
        return;
    }
    char buf[24];
    out.printf("stress: %s failed: %s%s\n", step, error_text(result, buf, sizeof(buf)),
               result == -abi::kPermission ? " (the shell must run privileged)" : "");
}

void format_kill(u64 task, i64 result, Out& out) {
    if (result == 0) {
        out.printf("kill: task %lu killed\n", static_cast<unsigned long>(task));
        return;
    }
    const char* hint = "";
    if (result == -abi::kBadSlot || result == -abi::kWrongType) hint = " (no endpoint to init)";
    else if (result == -abi::kNoSys) hint = " (init does not take kill requests)";
    else if (result == -abi::kTimeout) hint = " (init did not answer)";
    char buf[24];
    out.printf("kill: task %lu failed: %s%s\n", static_cast<unsigned long>(task), error_text(result, buf, sizeof(buf)),
               hint);
}

}  // namespace shell
