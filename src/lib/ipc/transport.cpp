// ipc::transport() and set_transport() (transport.h). The default comes from
// whichever transport the program links: kernel_transport.cpp in user
// programs, fake_transport.cpp in host tests (which must set one).
#include "lib/ipc/transport.h"

namespace ipc {

namespace detail {
// The transport used until set_transport() installs another.
Transport& default_transport();
}  // namespace detail

namespace {

// Read by every operation; atomic because a host test sets it while
// threads of an earlier test may still be finishing.
Transport* g_transport = nullptr;

}  // namespace

Transport& transport() {
    Transport* t = __atomic_load_n(&g_transport, __ATOMIC_ACQUIRE);
    return t != nullptr ? *t : detail::default_transport();
}

void set_transport(Transport* t) { __atomic_store_n(&g_transport, t, __ATOMIC_RELEASE); }

void drop_received_caps(const Message& msg) {
    Transport& t = transport();
    for (u32 i = 0; i < msg.cap_count(); ++i) {
        if (msg.cap(i) != abi::kAnySlot) t.cap_delete(msg.cap(i));
    }
}

}  // namespace ipc
