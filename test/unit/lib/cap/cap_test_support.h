// Helpers of the cap_table tests: spaces that own their slots, a lock-hook
// watcher that proves every visible slot change happens inside lock/unlock
// of the space holding the slot, and a checker of the derivation tree's
// links and of the objects' reference counts.
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lib/cap/cap_table.h"

namespace captest {

// A Space with its own slots (on the heap: the big tests need many).
struct TestSpace {
    explicit TestSpace(u32 n) : slots(new cap::Slot[n]), space(slots, n) {}
    ~TestSpace() { delete[] slots; }
    TestSpace(const TestSpace&) = delete;
    TestSpace& operator=(const TestSpace&) = delete;
    cap::Slot& operator[](u64 i) { return slots[i]; }

    cap::Slot* slots;  // before space: constructed first
    cap::Space space;
};

// The fields the lock hooks protect.
struct Visible {
    u8 type;
    u32 rights;
    u64 badge, base, count;
    cap::Object* object;
};
inline bool operator==(const Visible& x, const Visible& y) {
    return x.type == y.type && x.rights == y.rights && x.badge == y.badge && x.base == y.base &&
           x.count == y.count && x.object == y.object;
}
inline bool operator!=(const Visible& x, const Visible& y) { return !(x == y); }
inline Visible visible(const cap::Slot& s) { return {s.type, s.rights, s.badge, s.base, s.count, s.object}; }

// Installs lock hooks that snapshot every watched slot at each lock and
// unlock: between unlock and the next lock nothing may change, and within
// lock(S) .. unlock(S) only slots of S may. Locks must not nest. Problems
// are recorded (a hook must not fail the test from inside the library).
class LockWatcher {
public:
    explicit LockWatcher(std::vector<cap::Space*> spaces) : spaces_(std::move(spaces)) {
        current() = this;
        cap::set_lock_hooks({on_lock, on_unlock});
        snap_ = take();
    }
    ~LockWatcher() {
        cap::set_lock_hooks({nullptr, nullptr});
        current() = nullptr;
    }
    LockWatcher(const LockWatcher&) = delete;
    LockWatcher& operator=(const LockWatcher&) = delete;

    // After an operation: no lock held and nothing changed since the last unlock.
    bool settled() {
        if (held_ != nullptr) note("operation returned with a lock held");
        if (take() != snap_) note("slot changed after the last unlock");
        return problem.empty();
    }
    // Forgets the order and counts (not the snapshot).
    void reset() {
        order.clear();
        locks = unlocks = 0;
    }

    std::vector<cap::Space*> order;  // the space of each lock, in order
    u64 locks = 0, unlocks = 0;
    std::string problem;  // the first one

private:
    static LockWatcher*& current() {
        static LockWatcher* w = nullptr;
        return w;
    }
    static void on_lock(cap::Space& s) { current()->lock(s); }
    static void on_unlock(cap::Space& s) { current()->unlock(s); }

    using Snapshot = std::vector<std::vector<Visible>>;
    Snapshot take() const {
        Snapshot snap;
        for (cap::Space* sp : spaces_) {
            std::vector<Visible> v;
            for (u32 i = 0; i < sp->size(); i++) {
                cap::Slot* s = sp->at(i);
                v.push_back(s != nullptr ? visible(*s) : Visible{});
            }
            snap.push_back(v);
        }
        return snap;
    }
    void note(const std::string& what) {
        if (problem.empty()) problem = what;
    }
    void lock(cap::Space& s) {
        locks++;
        order.push_back(&s);
        if (held_ != nullptr) note("nested lock");
        if (take() != snap_) note("slot changed outside any lock");
        held_ = &s;
    }
    void unlock(cap::Space& s) {
        unlocks++;
        if (held_ != &s) note("unlock of a space not locked");
        Snapshot now = take();
        for (usize i = 0; i < spaces_.size(); i++) {
            if (spaces_[i] != &s && now[i] != snap_[i]) note("slot changed under another space's lock");
        }
        snap_ = now;
        held_ = nullptr;
    }

    std::vector<cap::Space*> spaces_;
    Snapshot snap_;
    cap::Space* held_ = nullptr;
};

// Checks the tree's links over every slot of `spaces` (all slots the tree
// may reach must be in them), that a child refers to its parent's object,
// and that each object's refs counts the slots referring to it. Returns ""
// or the first problem.
inline std::string check_tree(const std::vector<cap::Space*>& spaces) {
    std::unordered_map<const cap::Slot*, bool> listed;  // slot -> seen in its parent's child list
    std::unordered_map<cap::Object*, u32> refs;
    u64 with_parent = 0;
    for (cap::Space* sp : spaces) {
        for (u32 i = 1; i < sp->size(); i++) listed[sp->at(i)] = false;
    }
    for (cap::Space* sp : spaces) {
        for (u32 i = 1; i < sp->size(); i++) {
            const cap::Slot& s = *sp->at(i);
            const std::string at = " (slot " + std::to_string(i) + ")";
            if (s.space != sp) return "wrong space back-pointer" + at;
            if (s.empty()) {
                if (s.object || s.parent || s.first_child || s.next_sibling || s.prev_sibling || s.rights ||
                    s.badge || s.base || s.count) {
                    return "empty slot with fields or links" + at;
                }
                continue;
            }
            refs[s.object]++;
            if (s.parent == nullptr) {
                if (s.prev_sibling || s.next_sibling) return "root with siblings" + at;
            } else {
                with_parent++;
                if (!listed.count(s.parent)) return "parent outside the spaces" + at;
                if (s.parent->empty()) return "empty parent" + at;
                if (s.parent->object != s.object) return "child of another object" + at;
                if (s.prev_sibling == nullptr && s.parent->first_child != &s) return "lost first child" + at;
            }
            const cap::Slot* prev = nullptr;
            for (const cap::Slot* c = s.first_child; c != nullptr; c = c->next_sibling) {
                auto it = listed.find(c);
                if (it == listed.end()) return "child outside the spaces" + at;
                if (it->second) return "child listed twice (or a cycle)" + at;
                it->second = true;
                if (c->parent != &s) return "listed child with another parent" + at;
                if (c->prev_sibling != prev) return "bad prev_sibling" + at;
                prev = c;
            }
        }
    }
    u64 listed_count = 0;
    for (auto& [slot, seen] : listed) listed_count += seen ? 1 : 0;
    if (listed_count != with_parent) return "a child missing from its parent's list";
    for (auto& [object, n] : refs) {
        if (object->refs != n) {
            return "object refs " + std::to_string(object->refs) + " but " + std::to_string(n) + " slots";
        }
    }
    return "";
}

}  // namespace captest
