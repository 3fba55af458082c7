// The client side of the names protocol (ipc/protocol.h, served by
// src/servers/names): publish an endpoint under a name, find one by name.
// `names` is the slot of a capability to the names server, normally
// proto::kSlotNames; it needs the send and grant rights (capabilities
// travel both ways).
#pragma once

#include "lib/ipc/function_ref.h"
#include "lib/kstd/types.h"

namespace ipc::names {

// Registers `name` for the endpoint in slot `endpoint` (the names server
// keeps a copy). 0 or -abi::Error: kExists, kNoMemory (table full),
// kInvalid (bad name).
i64 register_name(u64 names, const char* name, u64 endpoint);

// Looks `name` up; a copy of its endpoint capability goes to slot dst (0:
// the lowest free slot). Returns the slot, or -abi::Error: kNotFound, or
// kNoRights if the reply came without the capability (the names capability
// lacks the grant right).
i64 lookup(u64 names, const char* name, u64 dst);

// Calls fn(name) for every registered name, in registration order; returns
// how many there are, or -abi::Error.
i64 list(u64 names, FunctionRef<void(const char*)> fn);

// Whether `name` is one the names server accepts (protocol.h).
bool valid_name(const char* name);

}  // namespace ipc::names
