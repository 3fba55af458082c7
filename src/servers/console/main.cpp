// console: the console server. It owns COM1 and shares the serial terminal
// between its clients: output a whole line at a time, input line-edited and
// handed to readers a line at a time (console_protocol.h has the protocol
// and the slots init fills; client.h the stub).
//
//   uart.{h,cpp}             16550 registers over a PortIo (port_io.h)
//   line_discipline.{h,cpp}  echo, backspace, CR/LF
//   terminal.{h,cpp}         per-client line assembly on one screen
//   console_service.{h,cpp}  the protocol, deferred reads
//   main.cpp                 this file: capabilities, interrupts, the loop
//
// argv: `console [baud=N] [poll]`. baud: 115200 (default) or a divisor of
// it. poll: take input by polling every 10 ms rather than from IRQ 4 (for
// machines whose COM1 interrupt does not arrive); also the fallback when
// the IRQ cannot be bound.
//
// Output: `console: ready endpoint=2 ports=8 input=irq|poll registered=1`
// (registered=0 and the error if names is missing: clients given the
// endpoint directly still work); `console: no ... error=E` and exit status
// 1 if it cannot start; `console: stopped error=E` if serving ends.
#include "lib/ipc/names.h"
#include "lib/ipc/server.h"
#include "lib/ipc/transport.h"
#include "lib/user/lstar.h"
#include "lib/user/syscall_stubs.h"
#include "servers/console/console_protocol.h"
#include "servers/console/console_service.h"
#include "servers/console/port_io.h"
#include "servers/console/terminal.h"
#include "servers/console/uart.h"

namespace {

using namespace console;

constexpr u32 kDefaultBaud = 115200;
constexpr u64 kPollIntervalNs = 10'000'000;

// Globals rather than on main's stack: a server's state lives as long as
// the program, and the poll thread reaches none of it.
HardwarePorts g_ports;
Uart g_uart(g_ports, kCom1Base);
Terminal g_terminal(g_uart);
Service g_service(g_terminal, kSlotFirstReader);
bool g_irq_bound = false;

bool has_word(int argc, char** argv, const char* word) {
    for (int i = 1; i < argc; ++i) {
        if (lstar::arg_flag(argv[i], word)) return true;
    }
    return false;
}

// The notification in kSlotNotification: init's if it put one there,
// otherwise a new one.
i64 own_notification() {
    abi::CapInfo info{};
    if (lstar::sys::cap_info(kSlotNotification, &info) == 0) {
        return info.type == abi::kCapNotification ? static_cast<i64>(kSlotNotification) : -abi::kWrongType;
    }
    return lstar::sys::notification_create(kSlotNotification);
}

// Stands in for the interrupt: the serving thread polls the UART each time.
void poll_thread(u64) {
    for (;;) {
        lstar::sleep_ns(kPollIntervalNs);
        lstar::sys::notify_signal(kSlotNotification, kIrqBit);
    }
}

// Every 10 ms: time to print what the kernel logged (klog_read). The
// serving thread does it, between requests, so that a kernel line never
// lands inside a client's line.
void klog_thread(u64) {
    for (;;) {
        lstar::sleep_ns(kPollIntervalNs);
        lstar::sys::notify_signal(kSlotNotification, kKlogBit);
    }
}

char g_klog[2048];

// The kernel's lines, whole, through the terminal like any client's.
void print_kernel_log() {
    for (int round = 0; round < 16; ++round) {
        const i64 n = lstar::sys::klog_read(g_klog, sizeof(g_klog));
        if (n <= 0) return;
        g_terminal.write(kKernelBadge, g_klog, static_cast<usize>(n), false);
    }
}

// IRQ 4 (or the poll tick): take the input, let the line go again, take
// what arrived in between (an edge while the line was masked is not seen
// again), then answer the readers that have a line now.
void on_signal(u64 bits) {
    if (bits & kKlogBit) print_kernel_log();
    if (!(bits & kIrqBit)) return;
    g_terminal.poll_input();
    if (g_irq_bound) {
        lstar::sys::irq_ack(kSlotIrq, kCom1Irq);
        g_terminal.poll_input();
    }
    g_service.input_arrived();
}

}  // namespace

int main(int argc, char** argv) {
    u64 baud = kDefaultBaud;
    for (int i = 1; i < argc; ++i) lstar::arg_u64(argv[i], "baud", baud);
    const bool poll = has_word(argc, argv, "poll");

    const i64 endpoint = ipc::own_endpoint(kSlotEndpoint);
    if (endpoint < 0) {
        lstar::printf("console: no endpoint error=%ld\n", -endpoint);
        return 1;
    }
    // Until this succeeds every in/out on COM1 would kill the task.
    const i64 ports = lstar::sys::ioport_enable(kSlotIoPorts);
    if (ports < 0) {
        lstar::printf("console: no ioports (slot %lu) error=%ld\n", kSlotIoPorts, -ports);
        return 1;
    }
    if (baud > kDefaultBaud || !g_uart.init(static_cast<u32>(baud), true)) {
        lstar::printf("console: no UART at 0x%x baud=%lu\n", kCom1Base, baud);
        return 1;
    }
    const i64 notification = own_notification();
    if (notification < 0) {
        lstar::printf("console: no notification error=%ld\n", -notification);
        return 1;
    }
    // serve() then gets the interrupt as a message of its own.
    i64 r = lstar::sys::notify_bind(kSlotNotification);
    if (r < 0) {
        lstar::printf("console: notify_bind error=%ld\n", -r);
        return 1;
    }
    if (!poll) {
        r = lstar::sys::irq_bind(kSlotIrq, kCom1Irq, kSlotNotification, kIrqBit);
        g_irq_bound = r == 0;
        if (!g_irq_bound) lstar::printf("console: irq %u not bound error=%ld: polling\n", kCom1Irq, -r);
    }
    if (!g_irq_bound) {
        const i64 tid = lstar::thread_create(poll_thread, 0, 0, abi::kDefaultPriority, ~0ull);
        if (tid < 0) {
            lstar::printf("console: no poll thread error=%ld\n", -tid);
            return 1;
        }
    }

    // Blocks until names receives; without a names capability it fails at
    // once and clients must be given the endpoint directly.
    const i64 registered = ipc::names::register_name(kSlotNames, kName, static_cast<u64>(endpoint));
    char error[24] = "";
    if (registered < 0) lstar::snprintf(error, sizeof(error), " error=%ld", -registered);
    lstar::printf("console: ready endpoint=%ld ports=%ld input=%s registered=%d%s\n", endpoint, ports,
                  g_irq_bound ? "irq" : "poll", registered == 0, error);
    // From the first klog_read on, the kernel leaves COM1 to this server.
    const i64 klog = lstar::thread_create(klog_thread, 0, 0, abi::kDefaultPriority, ~0ull);
    if (klog < 0) lstar::printf("console: no kernel log thread error=%ld: the kernel prints itself\n", -klog);

    r = ipc::serve(
        static_cast<u64>(endpoint), [](ipc::Message& msg) { return g_service.handle(msg); },
        [](u64 bits) { on_signal(bits); });
    lstar::printf("console: stopped error=%ld\n", -r);
    return 1;
}
