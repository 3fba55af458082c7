// Capability spaces and the derivation tree (see cap_table.h).
//
// The tree: a slot's children form a doubly linked, nil-terminated list
// headed by parent->first_child, in no particular order (new children go
// first). Roots have no parent and no siblings. Every walk is a loop, never
// a recursion: derivation chains are as deep as users make them, and the
// kernel stack is small.
//
// Locking: a slot's visible fields only change inside lock(slot.space) ..
// unlock(slot.space). At most one space lock is held at a time, so no lock
// order between spaces is needed: an operation touching two slots (move,
// copy into another space) locks each space in turn.
#include "lib/cap/cap_table.h"

namespace cap {
namespace {

void no_lock(Space&) {}

LockHooks g_hooks = {no_lock, no_lock};

// Holds the hook lock of one space for a scope.
class SpaceLock {
public:
    explicit SpaceLock(Space& space) : space_(space) { g_hooks.lock(space_); }
    ~SpaceLock() { g_hooks.unlock(space_); }
    SpaceLock(const SpaceLock&) = delete;
    SpaceLock& operator=(const SpaceLock&) = delete;

private:
    Space& space_;
};

// The visible fields of a capability, as copied between slots.
struct Fields {
    u8 type;
    u32 rights;
    u64 badge;
    u64 base, count;
    Object* object;
};

Fields fields_of(const Slot& s) { return {s.type, s.rights, s.badge, s.base, s.count, s.object}; }

void store(Slot& s, const Fields& f) {
    SpaceLock lock(*s.space);
    s.type = f.type;
    s.rights = f.rights;
    s.badge = f.badge;
    s.base = f.base;
    s.count = f.count;
    s.object = f.object;
}

void erase(Slot& s) { store(s, {abi::kCapNone, 0, 0, 0, 0, nullptr}); }

bool is_range_type(u8 type) { return type == abi::kCapIrq || type == abi::kCapIoPorts; }

// --- The derivation tree ------------------------------------------------

void link_child(Slot& parent, Slot& child) {
    child.parent = &parent;
    child.prev_sibling = nullptr;
    child.next_sibling = parent.first_child;
    if (parent.first_child != nullptr) parent.first_child->prev_sibling = &child;
    parent.first_child = &child;
}

// Takes s out of its parent's child list (its own children stay its own).
void unlink(Slot& s) {
    if (s.prev_sibling != nullptr) {
        s.prev_sibling->next_sibling = s.next_sibling;
    } else if (s.parent != nullptr) {
        s.parent->first_child = s.next_sibling;
    }
    if (s.next_sibling != nullptr) s.next_sibling->prev_sibling = s.prev_sibling;
    s.parent = s.prev_sibling = s.next_sibling = nullptr;
}

// Puts s's children where s is in its parent's child list (or makes them
// roots), and takes s out of the tree.
void splice_children_up(Slot& s) {
    Slot* first = s.first_child;
    s.first_child = nullptr;
    if (first == nullptr) {
        unlink(s);
        return;
    }
    Slot* last = first;
    for (Slot* c = first; c != nullptr; c = c->next_sibling) {
        c->parent = s.parent;
        last = c;
    }
    if (s.parent == nullptr) {
        // Roots have no siblings: break the list up.
        for (Slot* c = first; c != nullptr;) {
            Slot* next = c->next_sibling;
            c->prev_sibling = c->next_sibling = nullptr;
            c = next;
        }
        return;
    }
    first->prev_sibling = s.prev_sibling;
    last->next_sibling = s.next_sibling;
    if (s.prev_sibling != nullptr) {
        s.prev_sibling->next_sibling = first;
    } else {
        s.parent->first_child = first;
    }
    if (s.next_sibling != nullptr) s.next_sibling->prev_sibling = last;
    s.parent = s.prev_sibling = s.next_sibling = nullptr;
}

// Puts dst in src's place in the tree; src ends up detached.
void take_place(Slot& src, Slot& dst) {
    dst.parent = src.parent;
    dst.prev_sibling = src.prev_sibling;
    dst.next_sibling = src.next_sibling;
    dst.first_child = src.first_child;
    if (src.prev_sibling != nullptr) {
        src.prev_sibling->next_sibling = &dst;
    } else if (src.parent != nullptr) {
        src.parent->first_child = &dst;
    }
    if (src.next_sibling != nullptr) src.next_sibling->prev_sibling = &dst;
    for (Slot* c = dst.first_child; c != nullptr; c = c->next_sibling) c->parent = &dst;
    src.parent = src.prev_sibling = src.next_sibling = src.first_child = nullptr;
}

// Empties a slot already out of the tree and drops its reference.
void discard(Slot& s, ReleaseList& released) {
    Object* object = s.object;
    erase(s);
    if (object != nullptr && unref(object)) released.push(object);
}

// --- Deriving -------------------------------------------------------------

Slot* source(Space& from, u64 src, Error& error) { return from.lookup(src, abi::kCapNone, 0, error); }

// Stores `f` as a new child of `parent` in `to` (dst resolved as by
// pick_destination), taking a reference on the object.
Error derive(Slot& parent, Space& to, u64& dst, const Fields& f) {
    Error e = to.pick_destination(dst);
    if (e != Error::kOk) return e;
    Slot& child = *to.at(dst);
    ref(f.object);
    store(child, f);
    link_child(parent, child);
    return Error::kOk;
}

}  // namespace

const char* error_name(Error e) {
    static constexpr const char* kNames[] = {"ok",        "bad-slot", "wrong-type",
                                             "no-rights", "no-slot",  "invalid"};
    const u8 i = static_cast<u8>(e);
    return i < sizeof kNames / sizeof kNames[0] ? kNames[i] : "unknown";
}

// --- ReleaseList --------------------------------------------------------

void ReleaseList::push(Object* o) {
    o->release_next = nullptr;
    if (tail != nullptr) {
        tail->release_next = o;
    } else {
        head = o;
    }
    tail = o;
    count++;
}

Object* ReleaseList::pop() {
    Object* o = head;
    if (o == nullptr) return nullptr;
    head = o->release_next;
    if (head == nullptr) tail = nullptr;
    o->release_next = nullptr;
    count--;
    return o;
}

// --- Space ------------------------------------------------------------------

// count is not checked against abi::kCapSlots: nothing here depends on it,
// and host tests build larger spaces.
Space::Space(Slot* storage, u32 count) : slots_(storage), count_(count) {
    for (u32 i = 0; i < count_; i++) slots_[i].space = this;
}

Slot* Space::at(u64 index) { return index == 0 || index >= count_ ? nullptr : &slots_[index]; }

// 0 (never a valid index) for a slot of another space.
u64 Space::index_of(const Slot* s) const {
    const uptr p = reinterpret_cast<uptr>(s), first = reinterpret_cast<uptr>(slots_);
    if (p < first || p >= first + u64(count_) * sizeof(Slot)) return 0;
    return (p - first) / sizeof(Slot);
}

Slot* Space::lookup(u64 index, u8 type, u32 rights, Error& error) {
    Slot* s = at(index);
    if (s == nullptr || s->empty()) {
        error = Error::kBadSlot;
        return nullptr;
    }
    if (type != abi::kCapNone && s->type != type) {
        error = Error::kWrongType;
        return nullptr;
    }
    if ((rights & ~s->rights) != 0) {
        error = Error::kNoRights;
        return nullptr;
    }
    error = Error::kOk;
    return s;
}

Error Space::pick_destination(u64& index) {
    if (index == 0) {
        for (u32 i = 1; i < count_; i++) {
            if (slots_[i].empty()) {
                index = i;
                return Error::kOk;
            }
        }
        return Error::kNoSlot;
    }
    Slot* s = at(index);
    if (s == nullptr) return Error::kBadSlot;
    return s->empty() ? Error::kOk : Error::kNoSlot;
}

u32 Space::used() const {
    u32 n = 0;
    for (u32 i = 1; i < count_; i++) n += slots_[i].empty() ? 0 : 1;
    return n;
}

// --- Operations -------------------------------------------------------------

// A null hook is a no-op, so a caller may hook only one side.
void set_lock_hooks(const LockHooks& hooks) {
    g_hooks.lock = hooks.lock != nullptr ? hooks.lock : no_lock;
    g_hooks.unlock = hooks.unlock != nullptr ? hooks.unlock : no_lock;
}

// Beyond the header: kInvalid for no object, kCapNone or an unknown type, or
// a range that wraps; kWrongType for an object already of another type.
Error insert_root(Space& space, u64& dst, u8 type, u32 rights, Object* object, u64 badge, u64 base,
                  u64 count) {
    if (object == nullptr || type == abi::kCapNone || type >= abi::kCapTypes) return Error::kInvalid;
    if (object->type != abi::kCapNone && object->type != type) return Error::kWrongType;
    if (is_range_type(type) && base + count < base) return Error::kInvalid;
    Error e = space.pick_destination(dst);
    if (e != Error::kOk) return e;
    if (object->type == abi::kCapNone) object->type = type;
    ref(object);
    store(*space.at(dst), {type, rights, badge, base, count, object});
    return Error::kOk;
}

// A reply capability answers one call: a copy would let it answer twice.
Error copy(Space& from, u64 src, Space& to, u64& dst, u32 rights) {
    Error e;
    Slot* s = source(from, src, e);
    if (s == nullptr) return e;
    if (s->type == abi::kCapReply) return Error::kInvalid;
    Fields f = fields_of(*s);
    f.rights &= rights;
    return derive(*s, to, dst, f);
}

Error mint(Space& from, u64 src, Space& to, u64& dst, u32 rights, u64 badge) {
    Error e;
    Slot* s = source(from, src, e);
    if (s == nullptr) return e;
    if (s->type != abi::kCapEndpoint && s->type != abi::kCapNotification) return Error::kWrongType;
    // A badge tells receivers who sent: it must not be rewritten by its holder.
    if (s->badge != 0 || badge == 0) return Error::kInvalid;
    Fields f = fields_of(*s);
    f.rights &= rights;
    f.badge = badge;
    return derive(*s, to, dst, f);
}

// The containment test is written as differences from src's range, so it
// cannot wrap; the explicit wrap test is a defence should a root ever hold a
// wrapping range (insert_root refuses them, and narrowing only shrinks).
Error narrow(Space& from, u64 src, Space& to, u64& dst, u64 base, u64 count) {
    Error e;
    Slot* s = source(from, src, e);
    if (s == nullptr) return e;
    if (!is_range_type(s->type)) return Error::kWrongType;
    if (count == 0 || base + count < base) return Error::kInvalid;
    if (base < s->base || base - s->base > s->count || count > s->count - (base - s->base)) {
        return Error::kInvalid;
    }
    Fields f = fields_of(*s);
    f.base = base;
    f.count = count;
    return derive(*s, to, dst, f);
}

// Moving a slot onto itself is kOk and changes nothing. The capability is
// stored in dst before src is emptied, so a lock-holding reader finds it in
// one slot or the other (for a moment both) but never in neither.
Error move(Space& from, u64 src, Space& to, u64& dst) {
    Error e;
    Slot* s = source(from, src, e);
    if (s == nullptr) return e;
    if (&from == &to && dst == src) return Error::kOk;
    e = to.pick_destination(dst);
    if (e != Error::kOk) return e;
    Slot& d = *to.at(dst);
    store(d, fields_of(*s));
    take_place(*s, d);
    erase(*s);
    return Error::kOk;
}

Error remove(Space& space, u64 index, ReleaseList& released) {
    Error e;
    Slot* s = space.lookup(index, abi::kCapNone, 0, e);
    if (s == nullptr) return e;
    splice_children_up(*s);
    discard(*s, released);
    return Error::kOk;
}

// Post-order without a stack: go down first children to a leaf, remove it,
// continue from its parent. Each slot is descended into once and removed
// once, so the walk is linear in the subtree.
Error revoke(Space& space, u64 index, u64& removed, ReleaseList& released) {
    removed = 0;
    Error e;
    Slot* root = space.lookup(index, abi::kCapNone, 0, e);
    if (root == nullptr) return e;
    Slot* s = root->first_child;
    while (s != nullptr) {
        while (s->first_child != nullptr) s = s->first_child;
        Slot* up = s->parent;
        unlink(*s);
        discard(*s, released);
        removed++;
        s = up == root ? root->first_child : up;
    }
    return Error::kOk;
}

void clear(Space& space, ReleaseList& released) {
    for (u32 i = 1; i < space.size(); i++) {
        if (!space.at(i)->empty()) remove(space, i, released);
    }
}

}  // namespace cap
