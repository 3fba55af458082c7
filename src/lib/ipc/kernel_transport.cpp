// The kernel transport: ipc::Transport over the system calls of
// lib/abi/syscalls.def (21..39), for 64-bit programs.
//
// Message words 0..3 travel in registers (lstar_ipc_syscall, kernel_entry.h);
// words 4.., the capability slots to send, the receive slots and the
// timeout go through the calling thread's abi::IpcBuffer. The buffer is
// only touched when a message needs it, so a short message without
// capabilities costs one kernel entry and no lookups.
//
// Which buffer is this thread's: there is no thread-local storage, so the
// main thread is recognised by its stack (the initial stack the kernel maps
// below abi::kStackTop64) and has its buffer in a variable; every other
// thread finds its own in a small table by thread id (one thread_self call,
// on the paths that need the buffer). A buffer must be registered before a
// thread receives a long message: the main thread's is registered on its
// first IPC, other threads call ipc::thread_init() first.
#include "lib/abi/syscall.h"
#include "lib/ipc/kernel_entry.h"
#include "lib/ipc/transport.h"
#include "lib/user/syscall_stubs.h"

namespace ipc {
namespace {

// The initial stack of a task: 16 pages below abi::kStackTop64
// (docs/tasks.md §1).
constexpr u64 kMainStackBytes = 16 * 4096;
// A task has at most 128 threads at a time (docs/tasks.md: Task::slots).
constexpr u32 kMaxThreads = 128;

struct ThreadBuffer {
    u64 tid;  // 0: free (buffer, if any, kept for reuse)
    abi::IpcBuffer* buffer;
};

ThreadBuffer g_threads[kMaxThreads];
bool g_table_lock = false;
abi::IpcBuffer* g_main_buffer = nullptr;  // registered for the main thread

bool on_main_stack() {
#if defined(LSTAR_HOST_TEST)
    return false;  // host threads have host stacks; the tests use thread_init()
#else
    const u64 sp = reinterpret_cast<uptr>(__builtin_frame_address(0));
    return sp < abi::kStackTop64 && sp >= abi::kStackTop64 - kMainStackBytes;
#endif
}

void lock_table() {
    while (__atomic_test_and_set(&g_table_lock, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&g_table_lock, __ATOMIC_RELAXED)) __builtin_ia32_pause();
    }
}

void unlock_table() { __atomic_clear(&g_table_lock, __ATOMIC_RELEASE); }

i64 register_buffer(abi::IpcBuffer* buffer) {
    return lstar::sys::ipc_buffer(reinterpret_cast<uptr>(buffer));
}

// A fresh, zeroed buffer (vm_alloc pages are zeroed: no receive slots set).
abi::IpcBuffer* allocate_buffer() {
    i64 addr = lstar::sys::vm_alloc(sizeof(abi::IpcBuffer), abi::kProtWrite);
    return addr < 0 ? nullptr : reinterpret_cast<abi::IpcBuffer*>(static_cast<uptr>(addr));
}

// Registers `buffer` (allocated first if null); 0 or -abi::Error.
i64 set_up(abi::IpcBuffer*& buffer) {
    if (buffer == nullptr) buffer = allocate_buffer();
    if (buffer == nullptr) return -abi::kNoMemory;
    const i64 r = register_buffer(buffer);
    return r < 0 ? r : 0;
}

i64 main_buffer(abi::IpcBuffer*& out) {
    if (g_main_buffer == nullptr) {
        abi::IpcBuffer* b = nullptr;
        if (i64 e = set_up(b)) return e;
        g_main_buffer = b;
    }
    out = g_main_buffer;
    return 0;
}

// The entry of thread tid, or nullptr. Under the table lock.
ThreadBuffer* find_locked(u64 tid) {
    for (ThreadBuffer& t : g_threads) {
        if (t.tid == tid) return &t;
    }
    return nullptr;
}

// A free entry, preferring one whose buffer can be reused; nullptr if all
// kMaxThreads are taken. Under the table lock.
ThreadBuffer* free_entry_locked() {
    ThreadBuffer* entry = nullptr;
    for (ThreadBuffer& t : g_threads) {
        if (t.tid != 0) continue;
        if (t.buffer != nullptr) return &t;
        if (entry == nullptr) entry = &t;
    }
    return entry;
}

// The calling (non-main) thread's buffer, registered now if it has none.
i64 other_thread_buffer(abi::IpcBuffer*& out) {
    const i64 tid = lstar::sys::thread_self();
    if (tid <= 0) return tid < 0 ? tid : -abi::kInvalid;
    lock_table();
    i64 r = 0;
    ThreadBuffer* entry = find_locked(static_cast<u64>(tid));
    if (entry == nullptr) {
        entry = free_entry_locked();
        if (entry == nullptr) r = -abi::kNoMemory;
        else if ((r = set_up(entry->buffer)) == 0) entry->tid = static_cast<u64>(tid);
    }
    if (r == 0) out = entry->buffer;
    unlock_table();
    return r;
}

// The calling thread's buffer, registering one if it has none: 0, or
// -abi::Error if that fails (kNoMemory: out of memory, or more than
// kMaxThreads threads; or ipc_buffer's error).
i64 this_thread_buffer(abi::IpcBuffer*& out) {
    return on_main_stack() ? main_buffer(out) : other_thread_buffer(out);
}

// What an operation does with its message.
enum Direction : u8 { kSends = 1, kReceives = 2, kSendsAndReceives = 3 };

// Whether the operation needs the buffer before it starts: words past the
// registers or capabilities to send, a timeout, receive slots.
bool needs_buffer(const Message& msg, Direction d) {
    const bool long_send = msg.word_count() > abi::kRegisterWords || msg.cap_count() > 0;
    return ((d & kSends) && long_send) || msg.has_timeout() || ((d & kReceives) && msg.has_receive_slots());
}

class KernelTransport final : public Transport {
public:
    i64 send(u64 endpoint, Message& msg) override {
        return transfer(abi::kSysIpcSend, endpoint, msg, msg.tag(), kSends);
    }

    i64 recv(u64 endpoint, Message& msg, u32 flags) override {
        // ipc_recv takes flags where the others take a tag; the timeout bit
        // goes with them (it does not collide with kRecvNonBlocking).
        u64 rsi = flags | (msg.has_timeout() ? abi::kTagTimeout : 0);
        return transfer(abi::kSysIpcRecv, endpoint, msg, rsi, kReceives);
    }

    i64 call(u64 endpoint, Message& msg) override {
        return transfer(abi::kSysIpcCall, endpoint, msg, msg.tag(), kSendsAndReceives);
    }

    i64 reply(Message& msg, u64 reply_cap) override {
        return transfer(abi::kSysIpcReply, reply_cap, msg, msg.tag(), kSends);
    }

    i64 reply_recv(u64 endpoint, Message& msg) override {
        return transfer(abi::kSysIpcReplyRecv, endpoint, msg, msg.tag(), kSendsAndReceives);
    }

    i64 reply_save(u64 dst) override { return lstar::sys::ipc_reply_save(dst); }
    i64 endpoint_create(u64 dst) override { return lstar::sys::endpoint_create(dst); }
    i64 notification_create(u64 dst) override { return lstar::sys::notification_create(dst); }
    i64 cap_copy(u64 src, u64 dst, u32 rights) override { return lstar::sys::cap_copy(src, dst, rights); }
    i64 cap_mint(u64 src, u64 dst, u32 rights, u64 badge) override {
        return lstar::sys::cap_mint(src, dst, rights, badge);
    }
    i64 cap_delete(u64 slot) override { return lstar::sys::cap_delete(slot); }
    i64 cap_info(u64 slot, abi::CapInfo& info) override { return lstar::sys::cap_info(slot, &info); }
    i64 notify_signal(u64 notification, u64 bits) override { return lstar::sys::notify_signal(notification, bits); }

    i64 notify_wait(u64 notification, u32 flags, u64& bits) override {
        // The bits come back in RAX, bit 63 left out, so never negative.
        i64 r = lstar::sys::notify_wait(notification, flags);
        if (r < 0) return r;
        bits = static_cast<u64>(r);
        return 0;
    }

    i64 notify_bind(u64 notification) override { return lstar::sys::notify_bind(notification); }

    i64 thread_init() override {
        abi::IpcBuffer* buffer = nullptr;
        return this_thread_buffer(buffer);
    }

    i64 thread_fini() override {
        if (on_main_stack()) return 0;  // the main thread keeps its buffer until the task ends
        const i64 tid = lstar::sys::thread_self();
        if (tid <= 0) return tid;
        lock_table();
        ThreadBuffer* entry = find_locked(static_cast<u64>(tid));
        i64 r = 0;
        if (entry != nullptr) {
            r = register_buffer(nullptr);
            entry->tid = 0;  // the buffer stays for the next thread
        }
        unlock_table();
        return r;
    }

private:
    // One message call: msg into registers and buffer, the call, the
    // received message (if it receives) back into msg.
    static i64 transfer(u64 nr, u64 slot, Message& msg, u64 rsi, Direction d) {
        const bool receives = (d & kReceives) != 0;
        abi::IpcBuffer* buffer = nullptr;
        if (needs_buffer(msg, d)) {
            if (i64 e = this_thread_buffer(buffer)) return e;
            fill_buffer(*buffer, msg, d);
        } else if (receives && on_main_stack()) {
            // The main thread's first IPC registers its buffer: a long
            // message may arrive.
            abi::IpcBuffer* unused = nullptr;
            if (i64 e = main_buffer(unused)) return e;
        }
        KernelRegs regs = {slot, rsi, {}};
        if (d & kSends) {
            for (u32 i = 0; i < abi::kRegisterWords; ++i) regs.words[i] = msg.word(i);
        }
        const i64 r = lstar_ipc_syscall(nr, &regs);
        // Receive slots apply to this operation only.
        if (buffer != nullptr && receives && msg.has_receive_slots()) {
            for (u64& s : buffer->recv_slots) s = abi::kAnySlot;
        }
        if (r < 0 || !receives) return r;
        msg.set_received(regs.rsi, regs.rdi);
        for (u32 i = 0; i < abi::kRegisterWords; ++i) msg.set_received_word(i, regs.words[i]);
        if (msg.word_count() > abi::kRegisterWords || msg.cap_count() > 0) {
            if (buffer == nullptr && this_thread_buffer(buffer) != 0) {
                // Cannot happen: the kernel wrote them into our buffer.
                msg.set_counts(abi::kRegisterWords, 0);
                return -abi::kNoMemory;
            }
            for (u32 i = abi::kRegisterWords; i < msg.word_count(); ++i) msg.set_received_word(i, buffer->words[i]);
            for (u32 i = 0; i < msg.cap_count(); ++i) msg.set_received_cap(i, buffer->recv_caps[i]);
        }
        return 0;
    }

    static void fill_buffer(abi::IpcBuffer& b, const Message& msg, Direction d) {
        if (d & kSends) {
            for (u32 i = abi::kRegisterWords; i < msg.word_count(); ++i) b.words[i] = msg.word(i);
            for (u32 i = 0; i < msg.cap_count(); ++i) b.caps[i] = msg.cap(i);
        }
        if (d & kReceives) {
            for (u32 i = 0; i < abi::kMaxCaps; ++i) b.recv_slots[i] = msg.receive_slot(i);
        }
        if (msg.has_timeout()) b.timeout_ns = msg.timeout();
    }
};

KernelTransport g_kernel_transport;

}  // namespace

namespace detail {
Transport& default_transport() { return g_kernel_transport; }
}  // namespace detail

}  // namespace ipc
