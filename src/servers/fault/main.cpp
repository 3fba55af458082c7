// fault: a program that breaks the rules on purpose, for the boot tests of
// user fault handling. `fault kind=<k> [delay_ms=D] [thread]` sleeps D ms,
// prints `fault: kind=<k> about to fault` and then does exactly one of:
//
//   pf-read      read address 0x10 (the unmapped null page)          #PF
//   pf-write-ro  write a const object in .rodata (present, read-only) #PF
//   pf-kernel    read 0xffffffff80000000 (the kernel half)            #PF
//   pf-exec-nx   call a `ret` placed in .data (a non-executable page) #PF
//   gp           read through the non-canonical 0x8000000000000000    #GP
//   ud           ud2                                                  #UD
//   de           divide by zero (div with a zero register operand)    #DE
//   priv         hlt, a privileged instruction in ring 3              #GP
//   int3         a breakpoint: #BP if the kernel's gate for vector 3 has
//                DPL 3 (as on Linux), #GP if it has DPL 0
//   io-in        inb from 0x3fd (COM1's line status register)        #GP
//   io-out       outb of a marker text to 0x3f8 (COM1's data port,
//                the kernel's console), one byte at a time            #GP
//   io-cli       cli, which ring 3 may only do with IOPL 3            #GP
//   io-popf      popfq of RFLAGS with IOPL 3 (which ring 3 cannot
//                change: the CPU leaves IOPL as it was, without a
//                fault), then the io-out writes                       #GP
//
// This task holds no I/O port capability and runs with IOPL 0, so every
// io-* instruction must fault. The io-* kinds print the address of the
// instruction that must fault and the IOPL they run with (`insn=0x...
// iopl=N`), for the test to compare with the kernel's kill report. Were
// io-out's writes let through, kOutMarker would appear on the serial line,
// where the test looks for it.
//
// The kernel must kill the whole task (exit status abi::kStatusKilled plus
// the vector) and carry on. With the word `thread` the fault happens in a
// second thread while the main thread sleeps in a loop: the whole task must
// still die, since the main thread never returns. If the program gets past
// the fault it prints `fault: kind=<k> survived` and exits with 1.
//
// `fault kind=bad-syscall` is not a fault: it makes system calls with bad
// arguments, prints `fault: bad-syscall debug_write=<r> unknown=<r> join=<r>
// affinity=<r> debug_write_huge=<r>`, then for each bad pointer of
// kBadPointers `fault: bad-pointer name=<n> address=<a> len=<l>
// debug_write=<r> module_info=<r>`, and exits with 0 iff each call returned
// the documented error (see bad_syscalls and bad_pointers).
// An unknown kind or a bad command line exits with 2.
#include "lib/user/lstar.h"

namespace {

constexpr usize kKindSize = 32;
constexpr u64 kSleepSliceNs = 1'000'000'000;
constexpr u32 kThreadPriority = abi::kDefaultPriority;

// The targets. kReadOnly is const and so lands in .rodata; g_ret_stub is
// writable data (.data), which the loader must map non-executable.
const u64 kReadOnly = 0x0123456789abcdef;
alignas(16) u8 g_ret_stub[16] = {0xc3};  // ret

char g_kind[kKindSize];
u64 g_delay_ms;

// Every access is inline assembly, so that the compiler can neither prove it
// undefined and drop it, nor move or merge it.
u64 read_at(u64 address) {
    u64 value;
    asm volatile("movq (%1), %0" : "=r"(value) : "r"(address) : "memory");
    return value;
}

void write_at(u64 address, u64 value) {
    asm volatile("movq %1, (%0)" : : "r"(address), "r"(value) : "memory");
}

void call_at(u64 address) {
    // The callee is a lone `ret`; every caller-saved register is declared
    // clobbered in case something else ran there. User code may keep data in
    // the 128-byte red zone below RSP, which the CALL's push would overwrite,
    // so step over it first.
    asm volatile("sub $128, %%rsp\n\t"
                 "call *%0\n\t"
                 "add $128, %%rsp"
                 : "+r"(address)
                 :
                 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
}

// The port instructions sit in functions of their own, each with a label
// on the instruction that must fault, so that the kill report's rip can be
// compared with it. fault_io_out writes each byte of its string to COM1's
// data port.
extern "C" {
void fault_io_in();
void fault_io_out(const char* text);
void fault_io_cli();
extern const char fault_io_in_insn[], fault_io_out_insn[], fault_io_cli_insn[];
}

asm(R"(
    .text
    .globl fault_io_in, fault_io_in_insn
fault_io_in:
    mov $0x3fd, %dx
fault_io_in_insn:
    inb %dx, %al
    ret

    .globl fault_io_out, fault_io_out_insn
fault_io_out:
    mov $0x3f8, %dx
1:  movb (%rdi), %al
    test %al, %al
    jz 2f
fault_io_out_insn:
    outb %al, %dx
    inc %rdi
    jmp 1b
2:  ret

    .globl fault_io_cli, fault_io_cli_insn
fault_io_cli:
fault_io_cli_insn:
    cli
    sti
    ret
)");

// What io-out writes: text no other program or the kernel prints.
constexpr char kOutMarker[] = "XXXXXXXX io-out reached COM1 XXXXXXXX\n";

// RFLAGS.IOPL as the CPU has it now. The push goes below the 128-byte red
// zone, where the compiler may keep data (see call_at).
u64 current_iopl() {
    u64 flags;
    asm volatile("lea -128(%%rsp), %%rsp\n\t"
                 "pushfq\n\t"
                 "popq %0\n\t"
                 "lea 128(%%rsp), %%rsp"
                 : "=r"(flags));
    return (flags >> 12) & 3;
}

// popfq with IOPL 3 set: at CPL 3 the CPU ignores the new IOPL, without a
// fault [SDM 2B POPF]; a kernel that somehow let it through would show
// iopl=3 and obey the port writes that follow.
void try_raise_iopl() {
    asm volatile("lea -128(%%rsp), %%rsp\n\t"
                 "pushfq\n\t"
                 "orq $0x3000, (%%rsp)\n\t"
                 "popfq\n\t"
                 "lea 128(%%rsp), %%rsp"
                 :
                 :
                 : "memory", "cc");
}

u64 divide_by(u64 divisor) {
    u64 lo = 1, hi = 0;
    asm volatile("divq %2" : "+a"(lo), "+d"(hi) : "r"(divisor) : "cc");
    return lo;
}

bool streq(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

// The system calls with bad arguments, each expected to fail cleanly.
// debug_write gets a kernel-half pointer twice: with a modest length, which
// can only be -kFault, and with a huge one (debug_write_huge), where refusing
// the length first (-kInvalid) is as right as refusing the pointer (-kFault).
bool bad_syscalls() {
    const char* kernel = reinterpret_cast<const char*>(0xffffffff80000000);
    i64 write = lstar::debug_write(kernel, 4096);
    i64 unknown = lstar::syscall6(9999);
    i64 join = lstar::thread_join(0xdead0000);
    i64 affinity = lstar::set_affinity(0, 0);
    i64 write_huge = lstar::debug_write(kernel, usize{1} << 40);
    lstar::printf("fault: bad-syscall debug_write=%ld unknown=%ld join=%ld affinity=%ld debug_write_huge=%ld\n",
                  write, unknown, join, affinity, write_huge);
    return write == -abi::kFault && unknown == -abi::kNoSys && join == -abi::kNotFound &&
           affinity == -abi::kInvalid && (write_huge == -abi::kFault || write_huge == -abi::kInvalid);
}

// Pointers no system call may follow. Each must come back as -kFault from
// every call that takes a pointer, and the task must live on: the kernel
// refuses the range before touching it (kernel half, non-canonical,
// wrapping) or its user-copy helper takes the fault and returns an error
// (NULL, unmapped, straddling into an unmapped page).
struct BadPointer {
    const char* name;
    u64 address;
    usize len;
};
constexpr BadPointer kBadPointers[] = {
    {"null", 0, 16},
    {"kernel", 0xffffffff80000000, 16},
    {"unmapped", 0x0000600000000000, 16},  // nothing is ever mapped there
    // The last 8 bytes of the initial stack, then the unmapped page above
    // it (docs/tasks.md): the copy faults halfway through.
    {"straddle", 0x00007ffffffff000 - 8, 16},
    {"non-canonical-low", 0x0000800000000000, 16},  // the first address past the user half
    {"non-canonical", 0xdead000000000000, 16},
    {"wrap", 0xfffffffffffff000, 0x2000},  // the end wraps around to 0x1000
};

// The calls that take a buffer today: debug_write reads it; module_info
// writes it, but only init may call it, so from here it must refuse with
// -kPermission before looking at the pointer.
bool bad_pointers() {
    bool ok = true;
    for (const BadPointer& p : kBadPointers) {
        i64 write = lstar::debug_write(reinterpret_cast<const char*>(p.address), p.len);
        i64 info = lstar::module_info(0, reinterpret_cast<char*>(p.address), p.len);
        lstar::printf("fault: bad-pointer name=%s address=0x%lx len=%zu debug_write=%ld module_info=%ld\n", p.name,
                      p.address, p.len, write, info);
        ok &= write == -abi::kFault && info == -abi::kPermission;
    }
    return ok;
}

// Sleeps, then faults as g_kind says. Returns the exit status if it gets past
// the fault (or for bad-syscall): 0 pass, 1 survived or failed, 2 unknown kind.
int provoke() {
    if (g_delay_ms != 0) lstar::sleep_ns(g_delay_ms * 1'000'000);
    const char* k = g_kind;
    if (streq(k, "bad-syscall")) {
        bool calls = bad_syscalls();
        bool pointers = bad_pointers();
        return calls && pointers ? 0 : 1;
    }
    bool known = streq(k, "pf-read") || streq(k, "pf-write-ro") || streq(k, "pf-kernel") ||
                 streq(k, "pf-exec-nx") || streq(k, "gp") || streq(k, "ud") || streq(k, "de") ||
                 streq(k, "priv") || streq(k, "int3") || streq(k, "io-in") || streq(k, "io-out") ||
                 streq(k, "io-cli") || streq(k, "io-popf");
    if (!known) {
        lstar::printf("fault: error unknown kind=%s\n", k);
        return 2;
    }
    if (k[0] == 'i' && k[1] == 'o' && k[2] == '-') {
        if (streq(k, "io-popf")) try_raise_iopl();
        const char* insn = streq(k, "io-in")    ? fault_io_in_insn
                           : streq(k, "io-cli") ? fault_io_cli_insn
                                                : fault_io_out_insn;
        lstar::printf("fault: kind=%s about to fault insn=0x%lx iopl=%lu\n", k, reinterpret_cast<u64>(insn),
                      current_iopl());
    } else {
        lstar::printf("fault: kind=%s about to fault\n", k);
    }
    if (streq(k, "pf-read")) {
        read_at(0x10);
    } else if (streq(k, "pf-write-ro")) {
        write_at(reinterpret_cast<u64>(&kReadOnly), 0);
    } else if (streq(k, "pf-kernel")) {
        read_at(0xffffffff80000000);
    } else if (streq(k, "pf-exec-nx")) {
        call_at(reinterpret_cast<u64>(g_ret_stub));
    } else if (streq(k, "gp")) {
        read_at(0x8000000000000000);
    } else if (streq(k, "ud")) {
        asm volatile("ud2");
    } else if (streq(k, "de")) {
        volatile u64 zero = 0;
        divide_by(zero);
    } else if (streq(k, "priv")) {
        asm volatile("hlt");
    } else if (streq(k, "int3")) {
        asm volatile("int3");
    } else if (streq(k, "io-in")) {
        fault_io_in();
    } else if (streq(k, "io-out")) {
        fault_io_out(kOutMarker);
    } else if (streq(k, "io-cli")) {
        fault_io_cli();
    } else if (streq(k, "io-popf")) {
        fault_io_out(kOutMarker);
    }
    lstar::printf("fault: kind=%s survived\n", k);
    return 1;
}

void fault_thread(u64) {
    int status = provoke();
    // Past the fault (or done with bad-syscall): end the whole task, since
    // the main thread never returns.
    lstar::task_exit(static_cast<u64>(status));
}

}  // namespace

int main(int argc, char** argv) {
    bool have_kind = false, in_thread = false;
    for (int i = 1; i < argc; ++i) {
        if (lstar::arg_get(argv[i], "kind", g_kind, sizeof g_kind)) have_kind = true;
        lstar::arg_u64(argv[i], "delay_ms", g_delay_ms);
        if (lstar::arg_flag(argv[i], "thread")) in_thread = true;
    }
    if (!have_kind) {
        lstar::printf("fault: error usage: fault kind=<k> [delay_ms=D] [thread]\n");
        return 2;
    }
    if (!in_thread) return provoke();

    u32 cpus = lstar::cpu_count();
    u64 all = cpus >= 64 ? ~u64{0} : (u64{1} << cpus) - 1;
    i64 tid = lstar::thread_create(fault_thread, 0, 0, kThreadPriority, all);
    if (tid < 0) {
        lstar::printf("fault: error thread_create result=%ld\n", tid);
        return 1;
    }
    for (;;) lstar::sleep_ns(kSleepSliceNs);
}
