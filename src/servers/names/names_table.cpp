// names::Table (names_table.h).
#include "servers/names/names_table.h"

#include "lib/ipc/names.h"
#include "lib/kstd/string.h"

namespace names {

abi::Error Table::add(const char* name, u64 slot, u64 badge, u64* replaced) {
    if (replaced) *replaced = 0;
    if (!ipc::names::valid_name(name)) return abi::kInvalid;
    for (u32 i = 0; i < count_; ++i) {
        Entry& e = entries_[i];
        if (kstd::strcmp(e.name, name) != 0) continue;
        if (badge == 0 || e.badge != badge) return abi::kExists;
        if (replaced) *replaced = e.slot;
        e.slot = slot;
        return abi::kOk;
    }
    if (count_ == kCapacity) return abi::kNoMemory;
    Entry& e = entries_[count_++];
    const usize n = kstd::strlen(name);
    for (usize i = 0; i <= n; ++i) e.name[i] = name[i];
    e.slot = slot;
    e.badge = badge;
    return abi::kOk;
}

const Table::Entry* Table::find(const char* name) const {
    for (u32 i = 0; i < count_; ++i) {
        if (kstd::strcmp(entries_[i].name, name) == 0) return &entries_[i];
    }
    return nullptr;
}

}  // namespace names
