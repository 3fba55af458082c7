// names::Table: the names server's directory, name -> the slot holding the
// endpoint capability registered under it. Plain data with no IPC, so that
// host tests check it directly (test/unit/lib/ipc/names_table_test.cpp).
#pragma once

#include "lib/abi/syscall.h"
#include "lib/ipc/protocol.h"
#include "lib/kstd/types.h"

namespace names {

class Table {
public:
    static constexpr u32 kCapacity = ipc::proto::kMaxNames;

    struct Entry {
        char name[ipc::proto::kMaxNameLength + 1];
        u64 slot;   // where the names server keeps the capability
        u64 badge;  // of the capability the registration came through
    };

    // Adds name -> slot. kOk, or kInvalid (not a valid name), kExists (the
    // name is taken), kNoMemory (kCapacity names are). A name taken through
    // the same non-zero badge is re-registered: a restarted server (init
    // gives it its names capability with the same badge again) takes its
    // name back; *replaced is then the slot of the old capability, for the
    // caller to delete, and 0 otherwise.
    abi::Error add(const char* name, u64 slot, u64 badge, u64* replaced = nullptr);
    // The entry for name, or nullptr.
    const Entry* find(const char* name) const;
    // Entries in registration order: at(0) .. at(count() - 1).
    u32 count() const { return count_; }
    const Entry* at(u32 index) const { return index < count_ ? &entries_[index] : nullptr; }

private:
    Entry entries_[kCapacity] = {};
    u32 count_ = 0;
};

}  // namespace names
