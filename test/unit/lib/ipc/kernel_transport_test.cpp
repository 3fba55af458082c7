// Unit tests for the kernel transport (lib/ipc/kernel_transport.cpp): what
// each message call puts in the six message registers and in the IPC
// buffer, and how it reads the received message back. The two ways into
// the kernel are replaced by recorders: lstar_ipc_syscall (the message
// calls) and lstar_syscall6 (the generated stubs: thread_self, vm_alloc,
// ipc_buffer, notify_wait ...), which also play a kernel's answer.
#include <CppUTest/TestHarness.h>

#include <atomic>
#include <thread>

#include "lib/abi/syscall.h"
#include "lib/ipc/kernel_entry.h"
#include "lib/ipc/transport.h"

namespace {

// IPC buffers handed out by the fake vm_alloc: static, as the transport
// keeps them for the whole program (a host test must not leak them).
constexpr int kPool = 16;
alignas(4096) abi::IpcBuffer g_pool[kPool];
int g_pool_used = 0;

thread_local u64 t_tid = 0;
std::atomic<u64> g_next_tid{1000};
std::atomic<int> g_vm_allocs{0};
std::atomic<int> g_registrations{0};
i64 g_register_result = 0;  // what ipc_buffer answers
thread_local u64 t_registered = ~u64{0};  // the address this thread registered

// The last message call, as the kernel saw it on entry.
struct Entry {
    u64 nr = 0;
    ipc::KernelRegs regs{};
    abi::IpcBuffer buffer{};  // the caller's buffer at entry (if registered)
    bool had_buffer = false;
};
Entry g_entry;

// What the fake kernel answers: result, registers, and the receive part of
// the buffer.
struct Answer {
    i64 result = 0;
    ipc::KernelRegs regs{};
    u64 words[abi::kMaxWords] = {};
    u64 recv_caps[abi::kMaxCaps] = {};
    bool write = false;  // change the registers (a receiving call)
};
Answer g_answer;

// Other calls through the stubs.
u64 g_last_nr = 0;
u64 g_last_args[6] = {};
i64 g_stub_result = 0;

abi::IpcBuffer* registered_buffer() {
    return t_registered == ~u64{0} || t_registered == 0 ? nullptr
                                                      : reinterpret_cast<abi::IpcBuffer*>(t_registered);
}

}  // namespace

extern "C" i64 lstar_syscall6(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
    switch (nr) {
    case abi::kSysThreadSelf: return static_cast<i64>(t_tid);
    case abi::kSysVmAlloc:
        if (a0 > sizeof(abi::IpcBuffer) || g_pool_used == kPool) return -abi::kNoMemory;
        g_vm_allocs++;
        return static_cast<i64>(reinterpret_cast<uptr>(&g_pool[g_pool_used++]));
    case abi::kSysIpcBuffer:
        if (g_register_result != 0) return g_register_result;
        g_registrations++;
        t_registered = a0;
        return 0;
    default: break;
    }
    g_last_nr = nr;
    const u64 args[6] = {a0, a1, a2, a3, a4, a5};
    for (int i = 0; i < 6; ++i) g_last_args[i] = args[i];
    return g_stub_result;
}

extern "C" i64 lstar_ipc_syscall(u64 nr, ipc::KernelRegs* regs) {
    g_entry.nr = nr;
    g_entry.regs = *regs;
    g_entry.had_buffer = registered_buffer() != nullptr;
    if (g_entry.had_buffer) g_entry.buffer = *registered_buffer();
    if (g_answer.write) {
        *regs = g_answer.regs;
        if (abi::IpcBuffer* b = registered_buffer()) {
            for (u32 i = abi::kRegisterWords; i < abi::kMaxWords; ++i) b->words[i] = g_answer.words[i];
            for (u32 i = 0; i < abi::kMaxCaps; ++i) b->recv_caps[i] = g_answer.recv_caps[i];
        }
    }
    return g_answer.result;
}

TEST_GROUP(KernelTransport) {
    void setup() override {
        t_tid = g_next_tid++;
        t_registered = ~u64{0};
        g_entry = Entry{};
        g_answer = Answer{};
        g_vm_allocs = 0;
        g_registrations = 0;
        g_stub_result = 0;
        g_register_result = 0;
    }
    void teardown() override { ipc::thread_fini(); }

    // The fake kernel answers a receive with `tag`, `badge` and words
    // value(i) = base + i.
    void answer_with(u64 tag, u64 badge, u64 base) {
        g_answer.write = true;
        g_answer.regs.rdi = badge;
        g_answer.regs.rsi = tag;
        for (u32 i = 0; i < abi::kRegisterWords; ++i) g_answer.regs.words[i] = base + i;
        for (u32 i = abi::kRegisterWords; i < abi::kMaxWords; ++i) g_answer.words[i] = base + i;
    }
};

TEST(KernelTransport, ShortCallUsesRegistersOnly) {
    ipc::Message m = ipc::Message::request(0x10002);
    m.push(1).push(2).push(3);
    answer_with(abi::make_tag(0, 2), 0, 100);
    LONGS_EQUAL(0, ipc::transport().call(7, m));
    UNSIGNED_LONGLONGS_EQUAL(abi::kSysIpcCall, g_entry.nr);
    UNSIGNED_LONGLONGS_EQUAL(7, g_entry.regs.rdi);
    UNSIGNED_LONGLONGS_EQUAL(abi::make_tag(0x10002, 3), g_entry.regs.rsi);
    UNSIGNED_LONGLONGS_EQUAL(1, g_entry.regs.words[0]);
    UNSIGNED_LONGLONGS_EQUAL(2, g_entry.regs.words[1]);
    UNSIGNED_LONGLONGS_EQUAL(3, g_entry.regs.words[2]);
    // No buffer was needed: no thread_self, no vm_alloc, no registration.
    LONGS_EQUAL(0, g_vm_allocs);
    LONGS_EQUAL(0, g_registrations);
    // The reply replaced the request.
    UNSIGNED_LONGS_EQUAL(0, m.label());
    UNSIGNED_LONGS_EQUAL(2, m.word_count());
    UNSIGNED_LONGLONGS_EQUAL(100, m.word(0));
    UNSIGNED_LONGLONGS_EQUAL(101, m.word(1));
}

TEST(KernelTransport, LongMessageGoesThroughTheBuffer) {
    ipc::Message m = ipc::Message::request(5);
    for (u64 i = 0; i < 10; ++i) m.push(50 + i);
    answer_with(abi::make_tag(0, 0), 0, 0);
    LONGS_EQUAL(0, ipc::transport().call(3, m));
    LONGS_EQUAL(1, g_registrations);
    CHECK_TRUE(g_entry.had_buffer);
    UNSIGNED_LONGLONGS_EQUAL(abi::make_tag(5, 10), g_entry.regs.rsi);
    for (u32 i = 0; i < abi::kRegisterWords; ++i) UNSIGNED_LONGLONGS_EQUAL(50 + i, g_entry.regs.words[i]);
    for (u32 i = abi::kRegisterWords; i < 10; ++i) UNSIGNED_LONGLONGS_EQUAL(50 + i, g_entry.buffer.words[i]);
    // The same thread keeps its buffer.
    ipc::Message again = ipc::Message::request(5);
    for (u64 i = 0; i < 6; ++i) again.push(i);
    ipc::transport().send(3, again);
    LONGS_EQUAL(1, g_registrations);
}

TEST(KernelTransport, ReceivedLongMessageWithCaps) {
    ipc::thread_init();
    ipc::Message m = ipc::Message::request(9);
    answer_with(abi::make_tag(0, 7, 2), 77, 200);
    g_answer.recv_caps[0] = 30;
    g_answer.recv_caps[1] = 31;
    LONGS_EQUAL(0, ipc::transport().call(4, m));
    UNSIGNED_LONGS_EQUAL(0, m.label());
    UNSIGNED_LONGLONGS_EQUAL(77, m.badge());
    UNSIGNED_LONGS_EQUAL(7, m.word_count());
    for (u32 i = 0; i < 7; ++i) UNSIGNED_LONGLONGS_EQUAL(200 + i, m.word(i));
    UNSIGNED_LONGS_EQUAL(2, m.cap_count());
    UNSIGNED_LONGLONGS_EQUAL(30, m.cap(0));
    UNSIGNED_LONGLONGS_EQUAL(31, m.cap(1));
}

TEST(KernelTransport, CapsToSendAndReceiveSlots) {
    ipc::Message m = ipc::Message::request(1);
    m.push(1).push_cap(12).push_cap(13).receive_cap_into(0, 40);
    answer_with(abi::make_tag(0, 0), 0, 0);
    LONGS_EQUAL(0, ipc::transport().call(4, m));
    UNSIGNED_LONGS_EQUAL(2, abi::tag_caps(g_entry.regs.rsi));
    UNSIGNED_LONGLONGS_EQUAL(12, g_entry.buffer.caps[0]);
    UNSIGNED_LONGLONGS_EQUAL(13, g_entry.buffer.caps[1]);
    UNSIGNED_LONGLONGS_EQUAL(40, g_entry.buffer.recv_slots[0]);
    // Receive slots are for that call only.
    UNSIGNED_LONGLONGS_EQUAL(0, registered_buffer()->recv_slots[0]);
}

TEST(KernelTransport, RecvPassesFlagsAndTimeout) {
    ipc::thread_init();
    ipc::Message m;
    answer_with(abi::make_tag(0x10001, 1), 5, 60);
    LONGS_EQUAL(0, ipc::transport().recv(2, m, abi::kRecvNonBlocking));
    UNSIGNED_LONGLONGS_EQUAL(abi::kSysIpcRecv, g_entry.nr);
    UNSIGNED_LONGLONGS_EQUAL(2, g_entry.regs.rdi);
    UNSIGNED_LONGLONGS_EQUAL(abi::kRecvNonBlocking, g_entry.regs.rsi);
    UNSIGNED_LONGS_EQUAL(0x10001, m.label());
    UNSIGNED_LONGLONGS_EQUAL(5, m.badge());

    m.set_timeout(1234);
    LONGS_EQUAL(0, ipc::transport().recv(2, m));
    UNSIGNED_LONGLONGS_EQUAL(abi::kRecvTimeout, g_entry.regs.rsi);
    UNSIGNED_LONGLONGS_EQUAL(1234, g_entry.buffer.timeout_ns);
}

TEST(KernelTransport, SendAndReplyLeaveTheMessageAlone) {
    ipc::Message m = ipc::Message::request(3);
    m.push(8);
    answer_with(abi::make_tag(99, 4), 1, 1);  // a kernel that changed registers must not matter
    LONGS_EQUAL(0, ipc::transport().send(6, m));
    UNSIGNED_LONGLONGS_EQUAL(abi::kSysIpcSend, g_entry.nr);
    UNSIGNED_LONGLONGS_EQUAL(abi::make_tag(3, 1), g_entry.regs.rsi);
    UNSIGNED_LONGS_EQUAL(3, m.label());
    UNSIGNED_LONGS_EQUAL(1, m.word_count());

    LONGS_EQUAL(0, ipc::transport().reply(m, 0));
    UNSIGNED_LONGLONGS_EQUAL(abi::kSysIpcReply, g_entry.nr);
    UNSIGNED_LONGLONGS_EQUAL(0, g_entry.regs.rdi);
    LONGS_EQUAL(0, ipc::transport().reply(m, 17));
    UNSIGNED_LONGLONGS_EQUAL(17, g_entry.regs.rdi);
    UNSIGNED_LONGS_EQUAL(3, m.label());
}

TEST(KernelTransport, ReplyRecvSendsTheReplyAndReceives) {
    ipc::thread_init();
    ipc::Message m;
    m.reply(abi::kExists).push(44);
    answer_with(abi::make_tag(0x20001, 2), 9, 300);
    LONGS_EQUAL(0, ipc::transport().reply_recv(2, m));
    UNSIGNED_LONGLONGS_EQUAL(abi::kSysIpcReplyRecv, g_entry.nr);
    UNSIGNED_LONGLONGS_EQUAL(2, g_entry.regs.rdi);
    UNSIGNED_LONGLONGS_EQUAL(abi::make_tag(abi::kExists, 1), g_entry.regs.rsi);
    UNSIGNED_LONGLONGS_EQUAL(44, g_entry.regs.words[0]);
    UNSIGNED_LONGS_EQUAL(0x20001, m.label());
    UNSIGNED_LONGLONGS_EQUAL(9, m.badge());
    UNSIGNED_LONGLONGS_EQUAL(301, m.word(1));
}

TEST(KernelTransport, ErrorLeavesTheMessageAlone) {
    ipc::Message m = ipc::Message::request(3);
    m.push(8);
    answer_with(abi::make_tag(99, 4), 1, 1);
    g_answer.result = -abi::kCancelled;
    LONGS_EQUAL(-abi::kCancelled, ipc::transport().call(6, m));
    UNSIGNED_LONGS_EQUAL(3, m.label());
    UNSIGNED_LONGLONGS_EQUAL(8, m.word(0));
}

TEST(KernelTransport, ThreadsGetTheirOwnBuffersAndReuseThem) {
    LONGS_EQUAL(0, ipc::thread_init());
    LONGS_EQUAL(0, ipc::thread_init());
    LONGS_EQUAL(1, g_registrations);
    const u64 mine = t_registered;
    u64 other = 0, reused = 0, after_fini = 1;
    int allocs_before = 0, allocs_after = 0;
    // (No CHECKs inside other threads: CppUTest reports from the test's.)
    std::thread([&] {
        t_tid = g_next_tid++;
        ipc::thread_init();
        other = t_registered;
        ipc::thread_fini();  // unregisters: ipc_buffer(0)
        after_fini = t_registered;
    }).join();
    CHECK(other != 0 && other != mine);
    UNSIGNED_LONGLONGS_EQUAL(0, after_fini);
    allocs_before = g_vm_allocs;
    std::thread([&] {
        t_tid = g_next_tid++;
        ipc::thread_init();
        reused = t_registered;
        ipc::thread_fini();
    }).join();
    allocs_after = g_vm_allocs;
    UNSIGNED_LONGLONGS_EQUAL(other, reused);  // the finished thread's buffer
    LONGS_EQUAL(allocs_before, allocs_after);
}

TEST(KernelTransport, NonMessageCallsUseTheStubs) {
    g_stub_result = 21;
    LONGS_EQUAL(21, ipc::transport().endpoint_create(0));
    UNSIGNED_LONGLONGS_EQUAL(abi::kSysEndpointCreate, g_last_nr);
    LONGS_EQUAL(21, ipc::transport().cap_mint(3, 4, abi::kRightSend, 99));
    UNSIGNED_LONGLONGS_EQUAL(abi::kSysCapMint, g_last_nr);
    UNSIGNED_LONGLONGS_EQUAL(99, g_last_args[3]);
    u64 bits = 0;
    g_stub_result = 0x7000000000000001;
    LONGS_EQUAL(0, ipc::transport().notify_wait(5, 0, bits));
    UNSIGNED_LONGLONGS_EQUAL(0x7000000000000001, bits);
    g_stub_result = -abi::kWouldBlock;
    LONGS_EQUAL(-abi::kWouldBlock, ipc::transport().notify_wait(5, abi::kRecvNonBlocking, bits));
    UNSIGNED_LONGLONGS_EQUAL(abi::kSysNotifyWait, g_last_nr);
    UNSIGNED_LONGLONGS_EQUAL(abi::kRecvNonBlocking, g_last_args[1]);
}

TEST(KernelTransport, RegistrationErrorsArePassedOn) {
    g_register_result = -abi::kFault;
    LONGS_EQUAL(-abi::kFault, ipc::thread_init());
    ipc::Message m = ipc::Message::request(1);
    for (u64 i = 0; i < 8; ++i) m.push(i);
    LONGS_EQUAL(-abi::kFault, ipc::transport().call(3, m));
    UNSIGNED_LONGLONGS_EQUAL(0, g_entry.nr);  // the kernel was never asked
    // The buffer allocated for the failed attempt is used once it works.
    const int allocs = g_vm_allocs;
    g_register_result = 0;
    LONGS_EQUAL(0, ipc::thread_init());
    LONGS_EQUAL(allocs, g_vm_allocs.load());
}
