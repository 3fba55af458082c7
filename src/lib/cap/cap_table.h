// Capability spaces and the derivation tree, as plain data structures the
// kernel wraps with its locks (kernel/ipc/cspace.cpp) and host tests drive
// directly. No allocation and no locking here: the caller owns the storage
// and serialises every call that changes the derivation tree.
//
// Each Space is an array of Slots. A Slot holds a typed reference to an
// Object with rights, a badge and (irq, ioports) a range. Every copy, mint
// or narrowing is a child of the slot it came from, in whatever space it
// lands: revoke(slot) removes the whole subtree below a slot, remove(slot)
// hands the slot's children to its parent, so a later revoke higher up
// still reaches them. Objects count the slots that refer to them; when the
// last one goes, the object is put on a ReleaseList for the caller to
// destroy once its locks are dropped.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/kstd/types.h"

namespace cap {

enum class Error : u8 {
    kOk = 0,
    kBadSlot,    // index out of range or 0, or (source) an empty slot
    kWrongType,  // the capability is not of the kind the operation needs
    kNoRights,   // it lacks a right the operation needs
    kNoSlot,     // the destination is taken, or (dst 0) the space is full
    kInvalid,    // a bad argument: minting a badged or unbadgeable cap,
                 // a zero badge, a range outside the source's, copying a reply cap
};
const char* error_name(Error e);

// The part every kernel object shares. refs counts slots referring to it
// plus any temporary references its users take (ref/unref); it is changed
// atomically, so users need not hold the derivation lock.
struct Object {
    u32 refs = 0;
    u8 type = abi::kCapNone;   // abi::CapType
    Object* release_next = nullptr;  // in a ReleaseList
};

inline void ref(Object* o) { __atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED); }
// Drops one reference; true if it was the last (the caller destroys o).
inline bool unref(Object* o) { return __atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) == 0; }

// Objects whose last reference went, in the order they went.
struct ReleaseList {
    Object* head = nullptr;
    Object* tail = nullptr;
    u32 count = 0;
    void push(Object* o);
    Object* pop();  // nullptr when empty
};

class Space;

struct Slot {
    u8 type = abi::kCapNone;  // kCapNone: empty
    u32 rights = 0;
    u64 badge = 0;
    u64 base = 0, count = 0;  // irq, ioports: the range
    Object* object = nullptr;
    // The derivation tree (links may cross spaces).
    Slot* parent = nullptr;
    Slot* first_child = nullptr;
    Slot* next_sibling = nullptr;
    Slot* prev_sibling = nullptr;
    Space* space = nullptr;  // the space this slot belongs to (set by Space)

    bool empty() const { return type == abi::kCapNone; }
};

class Space {
public:
    // storage: `count` slots (index 0 is never used); count <= abi::kCapSlots.
    Space(Slot* storage, u32 count);
    Space(const Space&) = delete;
    Space& operator=(const Space&) = delete;

    u32 size() const { return count_; }
    // The slot at index, or nullptr for 0 or out of range (empty or not).
    Slot* at(u64 index);
    u64 index_of(const Slot* s) const;
    // The capability at index if it exists, has `type` (kCapNone: any) and
    // every right in `rights`; else nullptr with `error` set.
    Slot* lookup(u64 index, u8 type, u32 rights, Error& error);
    // Resolves a destination: 0 picks the lowest empty slot (kNoSlot if
    // none), any other index must be an empty slot (kBadSlot if out of
    // range, kNoSlot if taken).
    Error pick_destination(u64& index);
    u32 used() const;  // slots holding a capability

    void* owner = nullptr;  // the kernel's: whose space this is

private:
    Slot* slots_;
    u32 count_;
};

// Readers that do not serialise with the derivation tree (the kernel's IPC
// lookups) hold a per-space lock instead: every change of a slot's visible
// fields (type, rights, badge, range, object) happens between lock(space)
// and unlock(space) of the space holding that slot. Default: no-ops.
struct LockHooks {
    void (*lock)(Space& space);
    void (*unlock)(Space& space);
};
void set_lock_hooks(const LockHooks& hooks);

// A new root capability to a fresh object (takes a reference on it).
Error insert_root(Space& space, u64& dst, u8 type, u32 rights, Object* object, u64 badge = 0,
                  u64 base = 0, u64 count = 0);
// A child of `from`'s slot src in `to` (which may be `from`): rights are
// src's & `rights`; badge and range are kept.
Error copy(Space& from, u64 src, Space& to, u64& dst, u32 rights);
// As copy, setting a badge: src must be an endpoint or notification
// without a badge, and badge must not be 0.
Error mint(Space& from, u64 src, Space& to, u64& dst, u32 rights, u64 badge);
// As copy, narrowing an irq or ioports range to [base, base + count),
// which must lie within src's range (count > 0).
Error narrow(Space& from, u64 src, Space& to, u64& dst, u64 base, u64 count);
// Moves a capability to another slot, of the same or another space,
// keeping its place in the derivation tree.
Error move(Space& from, u64 src, Space& to, u64& dst);
// Empties a slot; its children become children of its parent.
Error remove(Space& space, u64 index, ReleaseList& released);
// Removes every descendant of the slot (not the slot itself), however deep
// the tree (no recursion); `removed` counts them.
Error revoke(Space& space, u64 index, u64& removed, ReleaseList& released);
// Empties every slot of the space (a dying task), each as remove() would.
void clear(Space& space, ReleaseList& released);

}  // namespace cap
