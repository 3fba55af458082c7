// cap_table at scale: a 100000-deep derivation chain revoked on a 64 KiB
// stack, wide trees, a thousand objects released exactly once each, and
// random operations on three spaces checked against a naive model.
#include <limits.h>
#include <pthread.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cap_test_support.h"  // (the standard headers before CppUTest's new macros)
#include "lib/cap/cap_table.h"

#include <CppUTest/TestHarness.h>

using namespace cap;
using captest::TestSpace;

#define ERR(expected, actual) STRCMP_EQUAL(error_name(Error::expected), error_name(actual))

namespace {

// Runs f on a thread with a 64 KiB stack: a walk recursing once per level
// of a 100000-deep tree would overflow it many times over.
template <typename F>
void run_on_small_stack(F& f) {
    pthread_attr_t attr;
    CHECK_EQUAL(0, pthread_attr_init(&attr));
    const usize size = std::max<usize>(64 * 1024, PTHREAD_STACK_MIN);
    CHECK_EQUAL(0, pthread_attr_setstacksize(&attr, size));
    pthread_t thread;
    auto body = [](void* p) -> void* {
        (*static_cast<F*>(p))();
        return nullptr;
    };
    CHECK_EQUAL(0, pthread_create(&thread, &attr, body, &f));
    CHECK_EQUAL(0, pthread_join(thread, nullptr));
    pthread_attr_destroy(&attr);
}

u64 g_locks = 0, g_unlocks = 0;
void count_lock(Space&) { g_locks++; }
void count_unlock(Space&) { g_unlocks++; }

// A derivation chain whose level i lives in space i % ways at index
// i / ways + 1, each level a copy of the one before.
struct Chain {
    Chain(u32 levels, u32 spread) : depth(levels), ways(spread) {
        for (u32 w = 0; w < ways; w++) spaces.push_back(new TestSpace(depth / ways + 2));
    }
    ~Chain() {
        for (TestSpace* s : spaces) delete s;
    }
    Space& space(u32 level) { return spaces[level % ways]->space; }
    u64 index(u32 level) { return level / ways + 1; }
    Slot& slot(u32 level) { return *space(level).at(index(level)); }
    std::vector<Space*> all() {
        std::vector<Space*> v;
        for (TestSpace* s : spaces) v.push_back(&s->space);
        return v;
    }
    void build(Object& o) {
        u64 dst = index(0);
        ERR(kOk, insert_root(space(0), dst, abi::kCapEndpoint, abi::kRightsAll, &o));
        for (u32 i = 1; i < depth; i++) {
            dst = index(i);
            const Error e = cap::copy(space(i - 1), index(i - 1), space(i), dst, abi::kRightsAll);
            if (e != Error::kOk) ERR(kOk, e);  // (the macro is slow for 100000 calls)
        }
    }
    u32 used() {
        u32 n = 0;
        for (TestSpace* s : spaces) n += s->space.used();
        return n;
    }

    u32 depth, ways;
    std::vector<TestSpace*> spaces;
};

constexpr u32 kDepth = 100000;

}  // namespace

TEST_GROUP(CapTableDeep) {
    void teardown() override { set_lock_hooks({nullptr, nullptr}); }
};

TEST(CapTableDeep, RevokeOfA100000DeepChainAcrossThreeSpacesOnASmallStack) {
    Chain chain(kDepth, 3);
    Object o;
    chain.build(o);
    UNSIGNED_LONGS_EQUAL(kDepth, o.refs);
    POINTERS_EQUAL(&chain.slot(kDepth - 2), chain.slot(kDepth - 1).parent);
    STRCMP_EQUAL("", captest::check_tree(chain.all()).c_str());

    g_locks = g_unlocks = 0;
    set_lock_hooks({count_lock, count_unlock});
    ReleaseList released;
    u64 removed = 0;
    Error e = Error::kInvalid;
    auto work = [&] { e = revoke(chain.space(0), chain.index(0), removed, released); };
    run_on_small_stack(work);
    ERR(kOk, e);
    UNSIGNED_LONGS_EQUAL(kDepth - 1, removed);
    UNSIGNED_LONGS_EQUAL(kDepth - 1, g_locks);
    UNSIGNED_LONGS_EQUAL(kDepth - 1, g_unlocks);
    UNSIGNED_LONGS_EQUAL(1, o.refs);
    UNSIGNED_LONGS_EQUAL(0, released.count);
    UNSIGNED_LONGS_EQUAL(1, chain.used());
    POINTERS_EQUAL(nullptr, chain.slot(0).first_child);
    STRCMP_EQUAL("", captest::check_tree(chain.all()).c_str());

    ERR(kOk, remove(chain.space(0), chain.index(0), released));
    UNSIGNED_LONGS_EQUAL(1, released.count);
    POINTERS_EQUAL(&o, released.pop());
    UNSIGNED_LONGS_EQUAL(0, o.refs);
}

// Clearing one of two spaces takes out every other level: each removal
// hands its one child to its parent, so the other space's levels end up a
// chain of their own, which a revoke still removes whole.
TEST(CapTableDeep, ClearOfOneSpaceOfADeepChainAcrossTwoSpaces) {
    Chain chain(kDepth, 2);
    Object o;
    chain.build(o);
    ReleaseList released;
    clear(chain.space(0), released);
    UNSIGNED_LONGS_EQUAL(0, released.count);
    UNSIGNED_LONGS_EQUAL(kDepth / 2, o.refs);
    UNSIGNED_LONGS_EQUAL(0, chain.space(0).used());
    POINTERS_EQUAL(nullptr, chain.slot(1).parent);
    for (u32 i = 3; i < kDepth; i += 2) {
        if (chain.slot(i).parent != &chain.slot(i - 2)) {
            FAIL(("bad parent at level " + std::to_string(i)).c_str());
        }
    }
    STRCMP_EQUAL("", captest::check_tree(chain.all()).c_str());

    u64 removed = 0;
    Error e = Error::kInvalid;
    auto work = [&] { e = revoke(chain.space(1), chain.index(1), removed, released); };
    run_on_small_stack(work);
    ERR(kOk, e);
    UNSIGNED_LONGS_EQUAL(kDepth / 2 - 1, removed);
    UNSIGNED_LONGS_EQUAL(1, o.refs);
    clear(chain.space(1), released);
    UNSIGNED_LONGS_EQUAL(1, released.count);
    POINTERS_EQUAL(&o, released.pop());
}

// Moving a level of the chain into a fourth space, removing another, then
// revoking from the root still reaches everything below.
TEST(CapTableDeep, MoveAndRemoveInTheMiddleOfADeepChain) {
    Chain chain(kDepth, 3);
    TestSpace other{4};
    Object o;
    chain.build(o);
    u64 dst = 0;
    ERR(kOk, move(chain.space(kDepth / 2), chain.index(kDepth / 2), other.space, dst));
    UNSIGNED_LONGS_EQUAL(1, dst);
    POINTERS_EQUAL(&other[1], chain.slot(kDepth / 2 + 1).parent);
    POINTERS_EQUAL(&chain.slot(kDepth / 2 - 1), other[1].parent);
    POINTERS_EQUAL(&other[1], chain.slot(kDepth / 2 - 1).first_child);
    ReleaseList released;
    ERR(kOk, remove(chain.space(1000), chain.index(1000), released));
    POINTERS_EQUAL(&chain.slot(999), chain.slot(1001).parent);
    UNSIGNED_LONGS_EQUAL(kDepth - 1, o.refs);
    std::vector<Space*> all = chain.all();
    all.push_back(&other.space);
    STRCMP_EQUAL("", captest::check_tree(all).c_str());

    u64 removed = 0;
    ERR(kOk, revoke(chain.space(0), chain.index(0), removed, released));
    UNSIGNED_LONGS_EQUAL(kDepth - 2, removed);
    UNSIGNED_LONGS_EQUAL(0, other.space.used());
    UNSIGNED_LONGS_EQUAL(1, chain.used());
    UNSIGNED_LONGS_EQUAL(1, o.refs);
    UNSIGNED_LONGS_EQUAL(0, released.count);
    ERR(kOk, remove(chain.space(0), chain.index(0), released));
    POINTERS_EQUAL(&o, released.pop());
}

// A root with 6000 children in two spaces, every tenth with three children
// of its own in a third; a second object's tree shares the spaces.
TEST(CapTableDeep, WideTree) {
    constexpr u32 kWide = 6000;
    TestSpace a{4}, b{kWide / 2 + 1}, c{kWide / 2 + 1}, d{kWide / 10 * 3 + 2};
    Object o, bystander;
    ReleaseList released;
    u64 r = 0;
    ERR(kOk, insert_root(a.space, r, abi::kCapMemory, abi::kRightsAll, &o));
    u64 keep = 0;
    ERR(kOk, insert_root(a.space, keep, abi::kCapMemory, abi::kRightMap, &bystander));
    u64 keep_child = 0;
    ERR(kOk, cap::copy(a.space, keep, d.space, keep_child, abi::kRightsAll));
    for (u32 i = 0; i < kWide; i++) {
        TestSpace& to = i % 2 ? c : b;
        u64 dst = i / 2 + 1;
        const Error e = cap::copy(a.space, r, to.space, dst, abi::kRightMap);
        if (e != Error::kOk) ERR(kOk, e);
        if (i % 10 != 0) continue;
        for (u32 k = 0; k < 3; k++) {
            u64 g = 0;
            ERR(kOk, cap::copy(to.space, dst, d.space, g, abi::kRightsAll));
        }
    }
    const u32 grandchildren = kWide / 10 * 3;
    UNSIGNED_LONGS_EQUAL(1 + kWide + grandchildren, o.refs);
    STRCMP_EQUAL("", captest::check_tree({&a.space, &b.space, &c.space, &d.space}).c_str());

    // Revoke of one child with grandchildren; remove of another: its three
    // join the root's children.
    u64 removed = 0;
    ERR(kOk, revoke(b.space, 1, removed, released));  // child 0
    UNSIGNED_LONGS_EQUAL(3, removed);
    ERR(kOk, remove(b.space, 6, released));  // child 10
    u64 children = 0;
    for (Slot* s = a[r].first_child; s != nullptr; s = s->next_sibling) children++;
    UNSIGNED_LONGS_EQUAL(kWide - 1 + 3, children);
    UNSIGNED_LONGS_EQUAL(1 + kWide + grandchildren - 4, o.refs);

    ERR(kOk, revoke(a.space, r, removed, released));
    UNSIGNED_LONGS_EQUAL(kWide + grandchildren - 4, removed);
    UNSIGNED_LONGS_EQUAL(1, o.refs);
    UNSIGNED_LONGS_EQUAL(2, bystander.refs);
    UNSIGNED_LONGS_EQUAL(0, b.space.used() + c.space.used());
    UNSIGNED_LONGS_EQUAL(1, d.space.used());
    UNSIGNED_LONGS_EQUAL(0, released.count);
    STRCMP_EQUAL("", captest::check_tree({&a.space, &b.space, &c.space, &d.space}).c_str());

    // Removing the root makes roots of its children.
    for (u32 i = 0; i < 100; i++) {
        u64 dst = 0;
        ERR(kOk, cap::copy(a.space, r, b.space, dst, abi::kRightsAll));
    }
    ERR(kOk, remove(a.space, r, released));
    UNSIGNED_LONGS_EQUAL(100, o.refs);
    for (u32 i = 1; i <= 100; i++) POINTERS_EQUAL(nullptr, b[i].parent);
    clear(a.space, released);
    clear(b.space, released);
    clear(d.space, released);
    UNSIGNED_LONGS_EQUAL(2, released.count);
    POINTERS_EQUAL(&o, released.pop());
    POINTERS_EQUAL(&bystander, released.pop());
}

// A thousand objects, each with a root and a few copies spread over three
// spaces; clearing the spaces one by one releases each object exactly once,
// when its last slot goes.
TEST(CapTableDeep, EachObjectIsReleasedOnceWhenItsLastSlotGoes) {
    constexpr u32 kObjects = 1000;
    TestSpace s0{2 * kObjects}, s1{2 * kObjects}, s2{2 * kObjects};
    TestSpace* spaces[] = {&s0, &s1, &s2};
    std::vector<Object> objects(kObjects);
    std::vector<u32> slots_in(3 * kObjects, 0);  // [object * 3 + space]: slots holding it
    for (u32 k = 0; k < kObjects; k++) {
        u32 at = k % 3;
        u64 dst = 0;
        ERR(kOk, insert_root(spaces[at]->space, dst, abi::kCapNotification, abi::kRightsAll, &objects[k]));
        slots_in[k * 3 + at]++;
        for (u32 j = 0; j < k % 4; j++) {  // a chain of k % 4 copies
            const u32 to = (at + j + 1) % 3;
            u64 next = 0;
            ERR(kOk, cap::copy(spaces[at]->space, dst, spaces[to]->space, next, abi::kRightSend));
            slots_in[k * 3 + to]++;
            at = to;
            dst = next;
        }
    }
    ReleaseList released;
    std::vector<u32> times(kObjects, 0);
    for (u32 sp = 0; sp < 3; sp++) {
        clear(spaces[sp]->space, released);
        std::vector<u32> expect;  // in index order: the order of the slots each went with
        for (u32 k = 0; k < kObjects; k++) {
            bool last = slots_in[k * 3 + sp] > 0;
            for (u32 later = sp + 1; later < 3; later++) last = last && slots_in[k * 3 + later] == 0;
            if (last) expect.push_back(k);
        }
        UNSIGNED_LONGS_EQUAL(expect.size(), released.count);
        std::vector<u32> got;
        while (Object* o = released.pop()) {
            const u32 k = u32(o - objects.data());
            UNSIGNED_LONGS_EQUAL(0, o->refs);
            times[k]++;
            got.push_back(k);
        }
        std::sort(got.begin(), got.end());
        CHECK_TRUE(got == expect);
        STRCMP_EQUAL("", captest::check_tree({&s0.space, &s1.space, &s2.space}).c_str());
    }
    for (u32 k = 0; k < kObjects; k++) UNSIGNED_LONGS_EQUAL(1, times[k]);
}

// ---------------------------------------------------------------------------
// Random operations against a model: slots with parent links by id,
// reference counts and releases, on three spaces of 24 slots.

namespace {

constexpr u32 kSpaces = 3, kSlots = 24, kPool = 4096;

struct Rng {
    u64 s;
    u64 next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    u64 below(u64 n) { return next() % n; }
    bool percent(u32 p) { return below(100) < p; }
};

struct ModelSlot {
    u8 type = abi::kCapNone;
    u32 rights = 0;
    u64 badge = 0, base = 0, count = 0;
    int object = -1;
    int parent = -1;  // slot id
};

// The naive model: the tree is only the parent ids.
struct Model {
    ModelSlot slots[kSpaces * kSlots];
    u32 refs[kPool] = {};
    u8 types[kPool] = {};
    std::vector<int> released;

    static int id(u32 sp, u64 index) { return int(sp * kSlots + index); }
    static bool valid(u64 index) { return index >= 1 && index < kSlots; }
    ModelSlot& at(u32 sp, u64 index) { return slots[id(sp, index)]; }

    Error source(u32 sp, u64 index) {
        return valid(index) && at(sp, index).type != abi::kCapNone ? Error::kOk : Error::kBadSlot;
    }
    Error pick(u32 sp, u64& index) {
        if (index == 0) {
            for (u64 i = 1; i < kSlots; i++) {
                if (at(sp, i).type == abi::kCapNone) {
                    index = i;
                    return Error::kOk;
                }
            }
            return Error::kNoSlot;
        }
        if (!valid(index)) return Error::kBadSlot;
        return at(sp, index).type == abi::kCapNone ? Error::kOk : Error::kNoSlot;
    }
    void drop(int g) {
        const int o = slots[g].object;
        slots[g] = ModelSlot{};
        if (--refs[o] == 0) released.push_back(o);
    }
    Error derive(u32 from, u64 src, u32 to, u64& dst, ModelSlot child) {
        Error e = pick(to, dst);
        if (e != Error::kOk) return e;
        child.parent = id(from, src);
        at(to, dst) = child;
        refs[child.object]++;
        return Error::kOk;
    }

    Error insert_root(u32 sp, u64& dst, u8 type, u32 rights, int o, u64 badge, u64 base, u64 count) {
        if (type == abi::kCapNone || type >= abi::kCapTypes) return Error::kInvalid;
        if (types[o] != abi::kCapNone && types[o] != type) return Error::kWrongType;
        if ((type == abi::kCapIrq || type == abi::kCapIoPorts) && base + count < base) return Error::kInvalid;
        Error e = pick(sp, dst);
        if (e != Error::kOk) return e;
        types[o] = type;
        at(sp, dst) = {type, rights, badge, base, count, o, -1};
        refs[o]++;
        return Error::kOk;
    }
    Error copy(u32 from, u64 src, u32 to, u64& dst, u32 rights) {
        if (Error e = source(from, src); e != Error::kOk) return e;
        ModelSlot s = at(from, src);
        if (s.type == abi::kCapReply) return Error::kInvalid;
        s.rights &= rights;
        return derive(from, src, to, dst, s);
    }
    Error mint(u32 from, u64 src, u32 to, u64& dst, u32 rights, u64 badge) {
        if (Error e = source(from, src); e != Error::kOk) return e;
        ModelSlot s = at(from, src);
        if (s.type != abi::kCapEndpoint && s.type != abi::kCapNotification) return Error::kWrongType;
        if (s.badge != 0 || badge == 0) return Error::kInvalid;
        s.rights &= rights;
        s.badge = badge;
        return derive(from, src, to, dst, s);
    }
    Error narrow(u32 from, u64 src, u32 to, u64& dst, u64 base, u64 count) {
        if (Error e = source(from, src); e != Error::kOk) return e;
        ModelSlot s = at(from, src);
        if (s.type != abi::kCapIrq && s.type != abi::kCapIoPorts) return Error::kWrongType;
        // The plain statement of "within" (a root's range never wraps).
        u64 end = 0;
        const bool wraps = __builtin_add_overflow(base, count, &end);
        if (count == 0 || wraps || base < s.base || end > s.base + s.count) return Error::kInvalid;
        s.base = base;
        s.count = count;
        return derive(from, src, to, dst, s);
    }
    Error move(u32 from, u64 src, u32 to, u64& dst) {
        if (Error e = source(from, src); e != Error::kOk) return e;
        if (from == to && src == dst) return Error::kOk;
        Error e = pick(to, dst);
        if (e != Error::kOk) return e;
        const int s = id(from, src), d = id(to, dst);
        slots[d] = slots[s];
        slots[s] = ModelSlot{};
        for (ModelSlot& m : slots) {
            if (m.parent == s) m.parent = d;
        }
        return Error::kOk;
    }
    Error remove(u32 sp, u64 index) {
        if (Error e = source(sp, index); e != Error::kOk) return e;
        const int g = id(sp, index);
        for (ModelSlot& m : slots) {
            if (m.parent == g) m.parent = slots[g].parent;
        }
        drop(g);
        return Error::kOk;
    }
    Error revoke(u32 sp, u64 index, u64& removed) {
        removed = 0;
        if (Error e = source(sp, index); e != Error::kOk) return e;
        const int g = id(sp, index);
        std::vector<int> below;
        for (int h = 0; h < int(kSpaces * kSlots); h++) {
            for (int p = slots[h].parent; p != -1; p = slots[p].parent) {
                if (p == g) {
                    below.push_back(h);
                    break;
                }
            }
        }
        for (int h : below) drop(h);
        removed = below.size();
        return Error::kOk;
    }
    void clear(u32 sp) {
        for (u64 i = 1; i < kSlots; i++) {
            if (at(sp, i).type != abi::kCapNone) remove(sp, i);
        }
    }
};

struct RandomRun {
    explicit RandomRun(u64 seed) : rng{seed} {
        for (u32 i = 0; i < kSpaces; i++) spaces.push_back(new TestSpace(kSlots));
        for (TestSpace* s : spaces) all.push_back(&s->space);
    }
    ~RandomRun() {
        for (TestSpace* s : spaces) delete s;
    }

    Space& space(u32 sp) { return spaces[sp]->space; }
    u32 any_space() { return u32(rng.below(kSpaces)); }
    // Mostly a slot holding a capability.
    u64 any_source(u32 sp) {
        std::vector<u64> held;
        for (u64 i = 1; i < kSlots; i++) {
            if (model.at(sp, i).type != abi::kCapNone) held.push_back(i);
        }
        if (!held.empty() && rng.percent(85)) return held[rng.below(held.size())];
        return rng.below(kSlots + 2);
    }
    u64 any_destination() {
        const u64 r = rng.below(10);
        if (r < 4) return 0;
        if (r < 9) return rng.below(kSlots);
        return kSlots + rng.below(3);
    }
    int any_object() {
        if (next_object < kPool && rng.percent(75)) return int(next_object++);
        std::vector<int> live;
        for (const ModelSlot& m : model.slots) {
            if (m.object != -1) live.push_back(m.object);
        }
        if (live.empty()) return next_object < kPool ? int(next_object++) : -1;
        return live[rng.below(live.size())];
    }

    // One random operation on both; false (with `why`) on any difference.
    bool step() {
        const u32 op = u32(rng.below(100));
        const u32 from = any_space(), to = any_space();
        u64 dst = any_destination(), mdst = dst, removed = 0, mremoved = 0;
        Error got = Error::kOk, want = Error::kOk;
        bool from_revoke = false;
        if (op < 14) {
            const int o = any_object();
            if (o < 0) return true;
            u8 type = model.types[o] != abi::kCapNone && rng.percent(90) ? model.types[o]
                                                                         : u8(rng.below(abi::kCapTypes + 1));
            if (rng.percent(50) && type != model.types[o] && model.types[o] == abi::kCapNone) {
                // Favour the types the other operations care about.
                const u8 favoured[] = {abi::kCapEndpoint, abi::kCapNotification, abi::kCapIrq,
                                       abi::kCapIoPorts};
                type = favoured[rng.below(4)];
            }
            const u32 rights = u32(rng.below(abi::kRightsAll + 1));
            const u64 badge = rng.percent(20) ? 1 + rng.below(5) : 0;
            u64 base = rng.below(64), count = 1 + rng.below(32);
            if (rng.percent(3)) {
                base = ~0ull - rng.below(8);
                count = 1 + rng.below(16);
            }
            got = insert_root(space(from), dst, type, rights, &pool[o], badge, base, count);
            want = model.insert_root(from, mdst, type, rights, o, badge, base, count);
        } else if (op < 37) {
            const u64 src = any_source(from);
            const u32 rights = u32(rng.below(abi::kRightsAll + 1));
            got = cap::copy(space(from), src, space(to), dst, rights);
            want = model.copy(from, src, to, mdst, rights);
        } else if (op < 45) {
            const u64 src = any_source(from);
            const u32 rights = u32(rng.below(abi::kRightsAll + 1));
            const u64 badge = rng.percent(15) ? 0 : 1 + rng.below(100);
            got = mint(space(from), src, space(to), dst, rights, badge);
            want = model.mint(from, src, to, mdst, rights, badge);
        } else if (op < 53) {
            const u64 src = any_source(from);
            const ModelSlot& s = model.at(from, src < kSlots ? src : 0);
            u64 base = s.base + rng.below(s.count + 2) - 1, count = rng.below(s.count + 2);
            if (rng.percent(5)) count = ~0ull - rng.below(3);
            got = narrow(space(from), src, space(to), dst, base, count);
            want = model.narrow(from, src, to, mdst, base, count);
        } else if (op < 67) {
            const u64 src = any_source(from);
            u32 dst_space = to;
            if (rng.percent(10)) {
                dst_space = from;
                dst = mdst = src;
            }
            got = move(space(from), src, space(dst_space), dst);
            want = model.move(from, src, dst_space, mdst);
        } else if (op < 81) {
            const u64 src = any_source(from);
            got = remove(space(from), src, released);
            want = model.remove(from, src);
        } else if (op < 89) {
            const u64 src = any_source(from);
            got = revoke(space(from), src, removed, released);
            want = model.revoke(from, src, mremoved);
            from_revoke = true;
        } else if (op < 99) {
            const u64 index = any_source(from);
            const u8 type = u8(rng.below(abi::kCapTypes));
            const u32 rights =
                u32(rng.below(abi::kRightsAll + 1)) & (rng.percent(50) ? 0u : u32(abi::kRightsAll));
            Error e = Error::kOk;
            Slot* s = space(from).lookup(index, type, rights, e);
            got = e;
            const ModelSlot* m = Model::valid(index) ? &model.at(from, index) : nullptr;
            if (m == nullptr || m->type == abi::kCapNone) {
                want = Error::kBadSlot;
            } else if (type != abi::kCapNone && m->type != type) {
                want = Error::kWrongType;
            } else if ((rights & ~m->rights) != 0) {
                want = Error::kNoRights;
            }
            if ((s != nullptr) != (want == Error::kOk)) return fail("lookup result and error disagree");
        } else {
            clear(space(from), released);
            model.clear(from);
        }
        ops++;
        if (got != want) {
            return fail(std::string("op ") + std::to_string(op) + ": got " + error_name(got) + ", model " +
                        error_name(want));
        }
        if (got == Error::kOk && dst != mdst) return fail("different destination");
        if (removed != mremoved) return fail("different revoke count");
        return compare(from_revoke);
    }

    bool compare(bool any_release_order) {
        for (u32 sp = 0; sp < kSpaces; sp++) {
            for (u64 i = 1; i < kSlots; i++) {
                const ModelSlot& m = model.at(sp, i);
                const Slot& s = *space(sp).at(i);
                const std::string where = " at " + std::to_string(sp) + ":" + std::to_string(i);
                Object* object = m.object == -1 ? nullptr : &pool[m.object];
                const Slot* parent =
                    m.parent == -1 ? nullptr : space(m.parent / kSlots).at(m.parent % kSlots);
                const captest::Visible want{m.type, m.rights, m.badge, m.base, m.count, object};
                if (captest::visible(s) != want) {
                    return fail("different fields" + where);
                }
                if (s.parent != parent) return fail("different parent" + where);
            }
        }
        for (u32 k = 0; k < next_object; k++) {
            if (pool[k].refs != model.refs[k]) return fail("refs of object " + std::to_string(k));
            if (pool[k].type != model.types[k]) return fail("type of object " + std::to_string(k));
        }
        std::vector<int> got;
        while (Object* o = released.pop()) got.push_back(int(o - pool.data()));
        std::vector<int> want = model.released;
        model.released.clear();
        if (any_release_order) {
            std::sort(got.begin(), got.end());
            std::sort(want.begin(), want.end());
        }
        if (got != want) return fail("different releases");
        for (int k : got) times_released[k]++;
        const std::string tree = captest::check_tree(all);
        if (!tree.empty()) return fail(tree);
        return true;
    }

    bool fail(const std::string& what) {
        why = "after " + std::to_string(ops) + " ops: " + what;
        return false;
    }

    Rng rng;
    std::vector<TestSpace*> spaces;
    std::vector<Space*> all;
    std::vector<Object> pool = std::vector<Object>(kPool);
    std::vector<u32> times_released = std::vector<u32>(kPool, 0);
    u32 next_object = 0;
    Model model;
    ReleaseList released;
    u64 ops = 0;
    std::string why;
};

}  // namespace

TEST_GROUP(CapTableRandom){};

TEST(CapTableRandom, AgreesWithTheModel) {
    for (u64 seed : {0x9E3779B97F4A7C15ull, 0x1234567ull, 0xC0FFEEull, 0xDEADBEEFCAFEull}) {
        RandomRun run(seed);
        captest::LockWatcher watch(run.all);
        for (u32 i = 0; i < 4000; i++) {
            if (!run.step()) FAIL(("seed " + std::to_string(seed) + " " + run.why).c_str());
            if (!watch.settled()) FAIL(("seed " + std::to_string(seed) + ": " + watch.problem).c_str());
        }
        // Empty everything: every object that was ever referred to went exactly once.
        for (u32 sp = 0; sp < kSpaces; sp++) {
            clear(run.space(sp), run.released);
            run.model.clear(sp);
            CHECK_TRUE(run.compare(false));
        }
        CHECK_TRUE(watch.settled());
        CHECK_TRUE(watch.locks == watch.unlocks);
        for (u32 k = 0; k < run.next_object; k++) {
            if (run.model.types[k] == abi::kCapNone) continue;  // never inserted
            UNSIGNED_LONGS_EQUAL(1, run.times_released[k]);
        }
        CHECK_TRUE(run.next_object > 200);
    }
}
