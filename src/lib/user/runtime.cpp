// The user runtime: program start-up (start_main, called by _start in
// start.asm, or start32.cpp in a 32-bit program), the initial state
// accessors, formatted output, argument helpers, and the C/C++ support
// symbols a freestanding g++ build expects.
#include <stdarg.h>
#include <stddef.h>

#include "lib/cmdline.h"
#include "lib/format.h"
#include "lib/user/entry.h"
#include "lib/user/lstar.h"

// Filled by _start before anything else runs; start.asm (start32.cpp)
// addresses the fields by these offsets.
extern "C" lstar::StartInfo lstar_start_info;
lstar::StartInfo lstar_start_info;
#if defined(__x86_64__)
static_assert(offsetof(lstar::StartInfo, regs) == 32, "SI_REGS in start.asm");
static_assert(offsetof(lstar::StartInfo, rflags) == 32 + 16 * 8, "SI_RFLAGS in start.asm");
#else
static_assert(offsetof(lstar::StartInfo, regs) == 16, "SI_REGS in start32.cpp");
static_assert(offsetof(lstar::StartInfo, rflags) == 16 + 8 * 4, "SI_RFLAGS in start32.cpp");
#endif

namespace {

// Accumulates output and hands it to debug_write in pieces of at most
// sizeof(buf); a printf shorter than that is a single write, so lines of
// concurrent threads and tasks do not interleave in the log.
struct WriteBuffer {
    char buf[512];
    usize used = 0;
    usize written = 0;
    bool failed = false;

    void flush() {
        if (used == 0) return;
        i64 r = lstar::debug_write(buf, used);
        if (r < 0) failed = true;
        else written += static_cast<usize>(r);
        used = 0;
    }

    static void sink(void* ctx, const char* s, usize n) {
        auto* self = static_cast<WriteBuffer*>(ctx);
        while (n > 0) {
            if (self->used == sizeof(self->buf)) self->flush();
            usize take = sizeof(self->buf) - self->used;
            if (take > n) take = n;
            for (usize i = 0; i < take; ++i) self->buf[self->used + i] = s[i];
            self->used += take;
            s += take;
            n -= take;
        }
    }
};

using Ctor = void (*)();

}  // namespace

// user.ld
extern "C" Ctor __preinit_array_start[], __preinit_array_end[];
extern "C" Ctor __init_array_start[], __init_array_end[];

// The C++ half of program start-up; `sp` is the stack pointer as the kernel
// left it (the layout is described at the top of start.asm; a 32-bit program
// gets the same in 4-byte words).
extern "C" [[noreturn]] void start_main(uptr* sp) {
    lstar::StartInfo& si = lstar_start_info;
    si.argc = static_cast<int>(sp[0]);
    si.argv = reinterpret_cast<char**>(sp + 1);
    si.envp = si.argv + si.argc + 1;
    char** p = si.envp;
    while (*p != nullptr) ++p;
    si.auxv = reinterpret_cast<const uptr*>(p + 1);

    // System calls go through the entry page from here on (see entry.h).
    if (uptr entry = static_cast<uptr>(lstar::aux(abi::kAtSysinfo))) lstar_sysinfo = entry;

    for (Ctor* c = __preinit_array_start; c != __preinit_array_end; ++c) (*c)();
    for (Ctor* c = __init_array_start; c != __init_array_end; ++c) (*c)();

    int status = main(si.argc, si.argv);
    // Exit statuses are 0..255 as on Unix, so a negative return cannot be
    // mistaken for abi::kStatusKilled + vector.
    lstar::task_exit(static_cast<u64>(status) & 0xff);
}

namespace lstar {

const StartInfo& start_info() { return lstar_start_info; }

u64 aux(u64 key, u64 fallback) {
    const uptr* a = lstar_start_info.auxv;
    if (a == nullptr) return fallback;
    for (; a[0] != abi::kAtNull; a += 2) {
        if (a[0] == key) return a[1];
    }
    return fallback;
}

int printf(const char* fmt, ...) {
    WriteBuffer out;
    va_list ap;
    va_start(ap, fmt);
    fmt::vformat(&WriteBuffer::sink, &out, fmt, ap);
    va_end(ap);
    out.flush();
    return out.failed ? -1 : static_cast<int>(out.written);
}

int snprintf(char* buf, usize size, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    usize n = fmt::vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return static_cast<int>(n);
}

bool arg_get(const char* words, const char* key, char* value, usize size) {
    return cmdline::get(words, key, value, size);
}

bool arg_u64(const char* words, const char* key, u64& out) { return cmdline::get_u64(words, key, out); }

bool arg_flag(const char* words, const char* word) { return cmdline::has_flag(words, word); }

}  // namespace lstar

// What g++ may call on its own even in a freestanding build.
extern "C" {

void __cxa_pure_virtual() { __builtin_trap(); }

// With -fno-use-cxa-atexit, static objects register their destructors here.
// A task ends with task_exit, so they never run.
int atexit(void (*)()) { return 0; }

}  // extern "C"

// Referenced by virtual destructors. There is no heap, so nothing may be
// deleted: deleting anything but nullptr is a bug.
void operator delete(void* p) noexcept {
    if (p != nullptr) __builtin_trap();
}

void operator delete(void* p, usize) noexcept {
    if (p != nullptr) __builtin_trap();
}
