// names::Service (names_service.h).
//
// register keeps the endpoint capability the request brought (the kernel
// put it in a free slot of ours, msg.cap(0)) and records that slot; lookup
// answers with that slot among the reply's capabilities, so the caller gets
// a copy. Capabilities a request brings and the table does not keep are
// deleted at once.
#include "servers/names/names_service.h"

#include "lib/ipc/protocol.h"
#include "lib/ipc/transport.h"
#include "lib/kstd/string.h"

namespace names {

namespace proto = ipc::proto;

ipc::Action Service::handle(ipc::Message& msg) {
    registered_ = nullptr;
    taken_back_ = false;
    switch (msg.label()) {
    case proto::kNamesRegister: return register_name(msg);
    case proto::kNamesLookup: return lookup(msg);
    case proto::kNamesList: return list(msg);
    default: return ipc::reject(msg);
    }
}

ipc::Action Service::register_name(ipc::Message& msg) {
    char name[proto::kMaxNameLength + 1];
    ipc::Reader in(msg);
    abi::Error status = abi::kOk;
    if (!in.string(name, sizeof(name)) || !in.at_end() || msg.cap_count() != 1) {
        status = abi::kInvalid;
    } else {
        abi::CapInfo info{};
        if (ipc::transport().cap_info(msg.cap(0), info) < 0) status = abi::kInvalid;
        else if (info.type != abi::kCapEndpoint) status = abi::kWrongType;
        else {
            u64 replaced = 0;
            status = table_.add(name, msg.cap(0), msg.badge(), &replaced);
            if (replaced != 0) ipc::transport().cap_delete(replaced);
            if (status == abi::kOk) registered_ = table_.find(name);
            taken_back_ = replaced != 0;
        }
    }
    if (status != abi::kOk) ipc::drop_received_caps(msg);
    msg.reply(status);
    return ipc::Action::kReply;
}

ipc::Action Service::lookup(ipc::Message& msg) {
    char name[proto::kMaxNameLength + 1];
    ipc::Reader in(msg);
    ipc::drop_received_caps(msg);
    if (!in.string(name, sizeof(name)) || !in.at_end()) {
        msg.reply_error(abi::kInvalid);
        return ipc::Action::kReply;
    }
    const Table::Entry* e = table_.find(name);
    if (e == nullptr) {
        msg.reply_error(abi::kNotFound);
        return ipc::Action::kReply;
    }
    msg.reply().push_cap(e->slot);
    return ipc::Action::kReply;
}

ipc::Action Service::list(ipc::Message& msg) {
    ipc::drop_received_caps(msg);
    ipc::Reader in(msg);
    const u64 first = in.word();
    if (!in.ok()) {
        msg.reply_error(abi::kInvalid);
        return ipc::Action::kReply;
    }
    // Words 0 and 1 are the totals; names follow while they fit.
    msg.reply().push(table_.count()).push(0);
    u32 sent = 0;
    for (u64 i = first; i < table_.count(); ++i) {
        const char* name = table_.at(static_cast<u32>(i))->name;
        if (msg.word_count() + ipc::string_words(kstd::strlen(name)) > abi::kMaxWords) break;
        msg.push_string(name);
        ++sent;
    }
    msg.set_word(1, sent);
    return ipc::Action::kReply;
}

}  // namespace names
