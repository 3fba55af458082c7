// cap_table: each operation and each of its errors, on three small spaces
// watched by LockWatcher (every visible slot change inside lock/unlock of
// its own space) and checked by check_tree after every test.
#include "lib/cap/cap_table.h"

#include <string>
#include <vector>

#include "cap_test_support.h"  // (the standard headers before CppUTest's new macros)

#include <CppUTest/TestHarness.h>

using namespace cap;
using captest::TestSpace;

// Compares errors by name, so a failure says which error it got.
#define ERR(expected, actual) STRCMP_EQUAL(error_name(Error::expected), error_name(actual))

namespace {

constexpr u32 kSendRecv = abi::kRightSend | abi::kRightReceive;
constexpr u64 kMax = ~u64(0);

}  // namespace

TEST_GROUP(CapTable) {
    TestSpace a{16}, b{16}, c{8};
    ReleaseList released;
    captest::LockWatcher* watch = nullptr;

    void setup() override { watch = new captest::LockWatcher({&a.space, &b.space, &c.space}); }
    void teardown() override {
        const bool settled = watch->settled();
        const std::string problem = watch->problem;
        delete watch;
        STRCMP_EQUAL("", problem.c_str());
        CHECK_TRUE(settled);
        STRCMP_EQUAL("", captest::check_tree({&a.space, &b.space, &c.space}).c_str());
    }

    // A root in the lowest free slot of s; returns its index.
    u64 root(TestSpace& s, u8 type, u32 rights, Object& o, u64 badge = 0, u64 base = 0, u64 count = 0) {
        u64 dst = 0;
        ERR(kOk, insert_root(s.space, dst, type, rights, &o, badge, base, count));
        return dst;
    }
    u64 copy_of(TestSpace& from, u64 src, TestSpace& to, u32 rights = abi::kRightsAll) {
        u64 dst = 0;
        ERR(kOk, cap::copy(from.space, src, to.space, dst, rights));
        return dst;
    }
    bool is_child(Slot& parent, Slot& child) {
        for (Slot* s = parent.first_child; s != nullptr; s = s->next_sibling) {
            if (s == &child) return child.parent == &parent;
        }
        return false;
    }
    u64 children(Slot& parent) {
        u64 n = 0;
        for (Slot* s = parent.first_child; s != nullptr; s = s->next_sibling) n++;
        return n;
    }
};

TEST(CapTable, ErrorNames) {
    STRCMP_EQUAL("ok", error_name(Error::kOk));
    STRCMP_EQUAL("bad-slot", error_name(Error::kBadSlot));
    STRCMP_EQUAL("wrong-type", error_name(Error::kWrongType));
    STRCMP_EQUAL("no-rights", error_name(Error::kNoRights));
    STRCMP_EQUAL("no-slot", error_name(Error::kNoSlot));
    STRCMP_EQUAL("invalid", error_name(Error::kInvalid));
    STRCMP_EQUAL("unknown", error_name(static_cast<Error>(200)));
}

TEST(CapTable, SlotsKnowTheirSpaceAndSlotZeroIsNeverUsable) {
    UNSIGNED_LONGS_EQUAL(16, a.space.size());
    for (u32 i = 0; i < 16; i++) POINTERS_EQUAL(&a.space, a[i].space);
    POINTERS_EQUAL(nullptr, a.space.at(0));
    POINTERS_EQUAL(nullptr, a.space.at(16));
    POINTERS_EQUAL(nullptr, a.space.at(~0ull));
    POINTERS_EQUAL(&a[1], a.space.at(1));
    POINTERS_EQUAL(&a[15], a.space.at(15));
    UNSIGNED_LONGS_EQUAL(7, a.space.index_of(&a[7]));
    UNSIGNED_LONGS_EQUAL(0, a.space.index_of(&b[7]));
    UNSIGNED_LONGS_EQUAL(0, a.space.index_of(nullptr));
    UNSIGNED_LONGS_EQUAL(0, a.space.used());
    u64 dst = 0;
    ERR(kOk, a.space.pick_destination(dst));
    UNSIGNED_LONGS_EQUAL(1, dst);
}

TEST(CapTable, PickDestination) {
    Object o;
    u64 at = 1;
    ERR(kOk, insert_root(a.space, at, abi::kCapEndpoint, kSendRecv, &o));
    at = 2;
    ERR(kOk, insert_root(a.space, at, abi::kCapEndpoint, kSendRecv, &o));
    at = 4;
    ERR(kOk, insert_root(a.space, at, abi::kCapEndpoint, kSendRecv, &o));

    u64 dst = 0;
    ERR(kOk, a.space.pick_destination(dst));
    UNSIGNED_LONGS_EQUAL(3, dst);
    dst = 5;
    ERR(kOk, a.space.pick_destination(dst));
    UNSIGNED_LONGS_EQUAL(5, dst);
    dst = 4;
    ERR(kNoSlot, a.space.pick_destination(dst));
    dst = 16;
    ERR(kBadSlot, a.space.pick_destination(dst));
    dst = ~0ull;
    ERR(kBadSlot, a.space.pick_destination(dst));

    // Filling a space: 0 then finds nothing.
    while (a.space.used() < 15) root(a, abi::kCapEndpoint, kSendRecv, o);
    UNSIGNED_LONGS_EQUAL(15, o.refs);
    dst = 0;
    ERR(kNoSlot, a.space.pick_destination(dst));
    clear(a.space, released);
    UNSIGNED_LONGS_EQUAL(1, released.count);
}

TEST(CapTable, Lookup) {
    Object ep, mem;
    const u64 e = root(a, abi::kCapEndpoint, abi::kRightSend | abi::kRightGrant, ep);
    const u64 m = root(a, abi::kCapMemory, abi::kRightMap, mem);
    Error error = Error::kOk;

    POINTERS_EQUAL(&a[e], a.space.lookup(e, abi::kCapEndpoint, abi::kRightSend, error));
    ERR(kOk, error);
    error = Error::kInvalid;
    POINTERS_EQUAL(&a[m], a.space.lookup(m, abi::kCapNone, 0, error));  // any type, no rights
    ERR(kOk, error);
    POINTERS_EQUAL(&a[e], a.space.lookup(e, abi::kCapNone, abi::kRightSend | abi::kRightGrant, error));

    for (u64 bad : {u64(0), u64(3), u64(16), kMax}) {
        POINTERS_EQUAL(nullptr, a.space.lookup(bad, abi::kCapNone, 0, error));
        ERR(kBadSlot, error);
    }
    POINTERS_EQUAL(nullptr, a.space.lookup(e, abi::kCapNotification, 0, error));
    ERR(kWrongType, error);
    POINTERS_EQUAL(nullptr, a.space.lookup(m, abi::kCapEndpoint, abi::kRightSend, error));
    ERR(kWrongType, error);  // type is checked before rights
    POINTERS_EQUAL(nullptr, a.space.lookup(e, abi::kCapEndpoint, abi::kRightReceive, error));
    ERR(kNoRights, error);
    POINTERS_EQUAL(nullptr, a.space.lookup(e, abi::kCapNone, abi::kRightSend | abi::kRightReceive, error));
    ERR(kNoRights, error);
    POINTERS_EQUAL(nullptr, a.space.lookup(m, abi::kCapMemory, 1u << 31, error));
    ERR(kNoRights, error);
    clear(a.space, released);
}

TEST(CapTable, InsertRootTakesAReferenceAndTypesTheObject) {
    Object o, irq;
    UNSIGNED_LONGS_EQUAL(abi::kCapNone, o.type);
    u64 dst = 0;
    ERR(kOk, insert_root(a.space, dst, abi::kCapEndpoint, kSendRecv, &o, 7));
    UNSIGNED_LONGS_EQUAL(1, dst);
    UNSIGNED_LONGS_EQUAL(1, o.refs);
    UNSIGNED_LONGS_EQUAL(abi::kCapEndpoint, o.type);
    UNSIGNED_LONGS_EQUAL(abi::kCapEndpoint, a[1].type);
    UNSIGNED_LONGS_EQUAL(kSendRecv, a[1].rights);
    UNSIGNED_LONGS_EQUAL(7, a[1].badge);
    POINTERS_EQUAL(&o, a[1].object);
    POINTERS_EQUAL(nullptr, a[1].parent);

    // A second root of the same object, in a chosen slot of another space.
    dst = 9;
    ERR(kOk, insert_root(b.space, dst, abi::kCapEndpoint, abi::kRightSend, &o));
    UNSIGNED_LONGS_EQUAL(9, dst);
    UNSIGNED_LONGS_EQUAL(2, o.refs);
    POINTERS_EQUAL(nullptr, b[9].parent);

    // A range.
    const u64 i = root(c, abi::kCapIrq, abi::kRightControl, irq, 0, 32, 8);
    UNSIGNED_LONGS_EQUAL(32, c[i].base);
    UNSIGNED_LONGS_EQUAL(8, c[i].count);
    UNSIGNED_LONGS_EQUAL(abi::kCapIrq, irq.type);
    UNSIGNED_LONGS_EQUAL(1, a.space.used());
    UNSIGNED_LONGS_EQUAL(1, b.space.used());
    UNSIGNED_LONGS_EQUAL(1, c.space.used());

    clear(a.space, released);
    clear(b.space, released);
    clear(c.space, released);
    UNSIGNED_LONGS_EQUAL(2, released.count);
    POINTERS_EQUAL(&o, released.pop());
    POINTERS_EQUAL(&irq, released.pop());
}

TEST(CapTable, InsertRootErrors) {
    Object fresh, ep;
    root(a, abi::kCapEndpoint, kSendRecv, ep);
    u64 dst = 0;
    ERR(kInvalid, insert_root(a.space, dst, abi::kCapEndpoint, kSendRecv, nullptr));
    ERR(kInvalid, insert_root(a.space, dst, abi::kCapNone, kSendRecv, &fresh));
    ERR(kInvalid, insert_root(a.space, dst, abi::kCapTypes, kSendRecv, &fresh));
    ERR(kInvalid, insert_root(a.space, dst, abi::kCapIoPorts, 0, &fresh, 0, ~0ull - 1, 5));  // wraps
    ERR(kWrongType, insert_root(a.space, dst, abi::kCapNotification, kSendRecv, &ep));
    dst = 1;
    ERR(kNoSlot, insert_root(a.space, dst, abi::kCapEndpoint, kSendRecv, &fresh));
    dst = 16;
    ERR(kBadSlot, insert_root(a.space, dst, abi::kCapEndpoint, kSendRecv, &fresh));
    // Nothing happened to either object.
    UNSIGNED_LONGS_EQUAL(0, fresh.refs);
    UNSIGNED_LONGS_EQUAL(abi::kCapNone, fresh.type);
    UNSIGNED_LONGS_EQUAL(1, ep.refs);
    UNSIGNED_LONGS_EQUAL(abi::kCapEndpoint, ep.type);
    UNSIGNED_LONGS_EQUAL(1, a.space.used());

    // A full space.
    while (c.space.used() < 7) root(c, abi::kCapEndpoint, kSendRecv, ep);
    dst = 0;
    ERR(kNoSlot, insert_root(c.space, dst, abi::kCapEndpoint, kSendRecv, &fresh));
    UNSIGNED_LONGS_EQUAL(0, fresh.refs);
    clear(a.space, released);
    clear(c.space, released);
    UNSIGNED_LONGS_EQUAL(0, ep.refs);
}

TEST(CapTable, CopyIsAChildWithIntersectedRights) {
    Object o;
    const u64 r = root(a, abi::kCapEndpoint, kSendRecv | abi::kRightGrant, o, 5);
    u64 dst = 0;
    ERR(kOk, cap::copy(a.space, r, b.space, dst, abi::kRightSend | abi::kRightMap));
    UNSIGNED_LONGS_EQUAL(1, dst);
    UNSIGNED_LONGS_EQUAL(abi::kCapEndpoint, b[1].type);
    UNSIGNED_LONGS_EQUAL(abi::kRightSend, b[1].rights);
    UNSIGNED_LONGS_EQUAL(5, b[1].badge);  // kept
    POINTERS_EQUAL(&o, b[1].object);
    UNSIGNED_LONGS_EQUAL(2, o.refs);
    CHECK_TRUE(is_child(a[r], b[1]));

    // Asking for every right gets no more than the source has.
    const u64 again = copy_of(b, 1, c);
    UNSIGNED_LONGS_EQUAL(abi::kRightSend, c[again].rights);
    CHECK_TRUE(is_child(b[1], c[again]));

    // Within one space, dst 0: the lowest free slot.
    const u64 same = copy_of(a, r, a, kSendRecv);
    UNSIGNED_LONGS_EQUAL(2, same);
    UNSIGNED_LONGS_EQUAL(kSendRecv, a[same].rights);
    CHECK_TRUE(is_child(a[r], a[same]));
    UNSIGNED_LONGS_EQUAL(2, children(a[r]));
    UNSIGNED_LONGS_EQUAL(4, o.refs);
    clear(a.space, released);
    clear(b.space, released);
    clear(c.space, released);
    POINTERS_EQUAL(&o, released.pop());
}

TEST(CapTable, RightsOnlyShrinkAlongCopies) {
    Object o;
    TestSpace* spaces[] = {&a, &b, &c};
    u64 src = root(a, abi::kCapMemory, abi::kRightsAll, o);
    TestSpace* from = &a;
    const u32 masks[] = {abi::kRightsAll, abi::kRightMap | abi::kRightWrite | abi::kRightGrant,
                         abi::kRightsAll, abi::kRightMap | abi::kRightSend,
                         abi::kRightsAll, abi::kRightWrite};
    u32 expected = abi::kRightsAll;
    for (u32 i = 0; i < 6; i++) {
        TestSpace* to = spaces[(i + 1) % 3];
        const u64 dst = copy_of(*from, src, *to, masks[i]);
        expected &= masks[i];
        UNSIGNED_LONGS_EQUAL(expected, (*to)[dst].rights);
        CHECK_EQUAL(0u, (*to)[dst].rights & ~(*from)[src].rights);
        from = to;
        src = dst;
    }
    UNSIGNED_LONGS_EQUAL(0, expected);  // Map, then Write: nothing left
    u64 removed = 0;
    ERR(kOk, revoke(a.space, 1, removed, released));
    UNSIGNED_LONGS_EQUAL(6, removed);
    UNSIGNED_LONGS_EQUAL(1, o.refs);
    ERR(kOk, remove(a.space, 1, released));
}

TEST(CapTable, CopyErrors) {
    Object ep, reply;
    const u64 e = root(a, abi::kCapEndpoint, kSendRecv, ep);
    const u64 r = root(a, abi::kCapReply, abi::kRightSend, reply);
    u64 dst = 0;
    for (u64 bad : {u64(0), u64(5), u64(16), kMax}) ERR(kBadSlot, cap::copy(a.space, bad, b.space, dst, 0));
    ERR(kInvalid, cap::copy(a.space, r, b.space, dst, abi::kRightsAll));
    dst = e;
    ERR(kNoSlot, cap::copy(a.space, e, a.space, dst, abi::kRightsAll));  // dst is src itself
    dst = 8;
    ERR(kBadSlot, cap::copy(a.space, e, c.space, dst, abi::kRightsAll));
    while (c.space.used() < 7) copy_of(a, e, c);
    dst = 0;
    ERR(kNoSlot, cap::copy(a.space, e, c.space, dst, abi::kRightsAll));
    UNSIGNED_LONGS_EQUAL(8, ep.refs);
    UNSIGNED_LONGS_EQUAL(1, reply.refs);
    UNSIGNED_LONGS_EQUAL(7, children(a[e]));
    UNSIGNED_LONGS_EQUAL(0, children(a[r]));
    UNSIGNED_LONGS_EQUAL(0, b.space.used());
    clear(c.space, released);
    clear(a.space, released);
    UNSIGNED_LONGS_EQUAL(2, released.count);
}

TEST(CapTable, Mint) {
    Object ep, ntf;
    const u64 e = root(a, abi::kCapEndpoint, kSendRecv | abi::kRightGrant, ep);
    const u64 n = root(a, abi::kCapNotification, kSendRecv, ntf);
    u64 dst = 0;
    ERR(kOk, mint(a.space, e, b.space, dst, abi::kRightSend | abi::kRightGrant | abi::kRightMap, 42));
    UNSIGNED_LONGS_EQUAL(42, b[dst].badge);
    UNSIGNED_LONGS_EQUAL(abi::kRightSend | abi::kRightGrant, b[dst].rights);
    POINTERS_EQUAL(&ep, b[dst].object);
    CHECK_TRUE(is_child(a[e], b[dst]));
    const u64 minted = dst;

    dst = 0;
    ERR(kOk, mint(a.space, n, c.space, dst, abi::kRightSend, ~0ull));
    UNSIGNED_LONGS_EQUAL(~0ull, c[dst].badge);
    UNSIGNED_LONGS_EQUAL(abi::kRightSend, c[dst].rights);

    // A copy keeps the badge; neither it nor the minted one can be re-minted.
    const u64 kept = copy_of(b, minted, c);
    UNSIGNED_LONGS_EQUAL(42, c[kept].badge);
    dst = 0;
    ERR(kInvalid, mint(b.space, minted, c.space, dst, abi::kRightsAll, 43));
    ERR(kInvalid, mint(c.space, kept, c.space, dst, abi::kRightsAll, 43));
    // A root inserted with a badge is badged too.
    Object badged;
    const u64 rb = root(a, abi::kCapEndpoint, kSendRecv, badged, 9);
    ERR(kInvalid, mint(a.space, rb, b.space, dst, abi::kRightsAll, 10));
    // Badge 0 means "unbadged".
    ERR(kInvalid, mint(a.space, e, b.space, dst, abi::kRightsAll, 0));

    // Only endpoints and notifications carry badges.
    Object others[6];
    const u8 types[] = {abi::kCapReply,  abi::kCapThread, abi::kCapTask,
                        abi::kCapMemory, abi::kCapIrq,    abi::kCapIoPorts};
    for (u32 i = 0; i < 6; i++) {
        const u64 s = root(a, types[i], abi::kRightsAll, others[i], 0, 0, 1);
        dst = 0;
        ERR(kWrongType, mint(a.space, s, b.space, dst, abi::kRightsAll, 1));
    }
    // Source and destination errors.
    dst = 0;
    ERR(kBadSlot, mint(a.space, 0, b.space, dst, abi::kRightsAll, 1));
    ERR(kBadSlot, mint(a.space, 15, b.space, dst, abi::kRightsAll, 1));
    dst = minted;
    ERR(kNoSlot, mint(a.space, e, b.space, dst, abi::kRightsAll, 1));
    dst = 16;
    ERR(kBadSlot, mint(a.space, e, b.space, dst, abi::kRightsAll, 1));
    UNSIGNED_LONGS_EQUAL(3, ep.refs);
    UNSIGNED_LONGS_EQUAL(2, ntf.refs);
    for (u32 i = 0; i < 6; i++) UNSIGNED_LONGS_EQUAL(1, others[i].refs);
    clear(a.space, released);
    clear(b.space, released);
    clear(c.space, released);
    UNSIGNED_LONGS_EQUAL(9, released.count);
}

TEST(CapTable, NarrowWithinTheRange) {
    Object ports;
    const u64 p = root(a, abi::kCapIoPorts, abi::kRightControl, ports, 3, 0x60, 16);  // 0x60..0x6F
    struct Range {
        u64 base, count;
    };
    for (Range r : {Range{0x60, 1}, Range{0x6F, 1}, Range{0x60, 16}, Range{0x64, 4}}) {
        u64 dst = 0;
        ERR(kOk, narrow(a.space, p, b.space, dst, r.base, r.count));
        UNSIGNED_LONGS_EQUAL(r.base, b[dst].base);
        UNSIGNED_LONGS_EQUAL(r.count, b[dst].count);
        UNSIGNED_LONGS_EQUAL(abi::kCapIoPorts, b[dst].type);
        UNSIGNED_LONGS_EQUAL(abi::kRightControl, b[dst].rights);
        UNSIGNED_LONGS_EQUAL(3, b[dst].badge);
        CHECK_TRUE(is_child(a[p], b[dst]));
    }
    for (Range r : {Range{0x60, 0}, Range{0x5F, 1}, Range{0x5F, 2}, Range{0x6F, 2}, Range{0x70, 1},
                    Range{0x60, 17}, Range{~0ull, 2}, Range{0x61, ~0ull}, Range{0x61, ~0ull - 0x60},
                    Range{~0ull, 1}, Range{0, 0x70}}) {
        u64 dst = 0;
        ERR(kInvalid, narrow(a.space, p, b.space, dst, r.base, r.count));
    }
    // A narrowed cap narrows further but never widens again.
    const u64 mid = 4;  // [0x64, 4)
    UNSIGNED_LONGS_EQUAL(0x64, b[mid].base);
    u64 dst = 0;
    ERR(kInvalid, narrow(b.space, mid, c.space, dst, 0x60, 8));
    ERR(kInvalid, narrow(b.space, mid, c.space, dst, 0x63, 1));
    ERR(kOk, narrow(b.space, mid, c.space, dst, 0x65, 2));
    CHECK_TRUE(is_child(b[mid], c[dst]));
    UNSIGNED_LONGS_EQUAL(6, ports.refs);
    u64 removed = 0;
    ERR(kOk, revoke(a.space, p, removed, released));
    UNSIGNED_LONGS_EQUAL(5, removed);
    ERR(kOk, remove(a.space, p, released));
    POINTERS_EQUAL(&ports, released.pop());
}

TEST(CapTable, NarrowAtTheTopOfTheRangeAndWrongTypes) {
    Object irq, ep, mem;
    const u64 top = root(a, abi::kCapIrq, abi::kRightControl, irq, 0, ~0ull - 15, 15);  // ends at ~0
    u64 dst = 0;
    ERR(kOk, narrow(a.space, top, b.space, dst, ~0ull - 1, 1));
    dst = 0;
    ERR(kOk, narrow(a.space, top, b.space, dst, ~0ull - 15, 15));
    dst = 0;
    ERR(kInvalid, narrow(a.space, top, b.space, dst, ~0ull - 1, 2));  // base + count wraps
    ERR(kInvalid, narrow(a.space, top, b.space, dst, ~0ull - 16, 2));

    const u64 e = root(a, abi::kCapEndpoint, kSendRecv, ep);
    const u64 m = root(a, abi::kCapMemory, abi::kRightMap, mem, 0, 0, 4096);
    ERR(kWrongType, narrow(a.space, e, b.space, dst, 0, 1));
    ERR(kWrongType, narrow(a.space, m, b.space, dst, 0, 1));
    ERR(kBadSlot, narrow(a.space, 0, b.space, dst, 0, 1));
    ERR(kBadSlot, narrow(a.space, 14, b.space, dst, 0, 1));
    dst = 1;  // taken
    ERR(kNoSlot, narrow(a.space, top, b.space, dst, ~0ull - 1, 1));
    dst = 16;
    ERR(kBadSlot, narrow(a.space, top, b.space, dst, ~0ull - 1, 1));
    UNSIGNED_LONGS_EQUAL(3, irq.refs);
    UNSIGNED_LONGS_EQUAL(1, ep.refs);
    UNSIGNED_LONGS_EQUAL(1, mem.refs);
    clear(a.space, released);
    UNSIGNED_LONGS_EQUAL(2, released.count);
    clear(b.space, released);
    UNSIGNED_LONGS_EQUAL(3, released.count);
}

// root(a) -> mid(b) -> {x(c), y(a)}, and root(a) -> sib(b). mid moves to c.
TEST(CapTable, MoveKeepsThePlaceInTheTree) {
    Object o;
    const u64 r = root(a, abi::kCapEndpoint, kSendRecv, o, 0);
    const u64 mid = copy_of(a, r, b, abi::kRightSend);
    const u64 sib = copy_of(a, r, b);
    const u64 x = copy_of(b, mid, c);
    const u64 y = copy_of(b, mid, a);
    UNSIGNED_LONGS_EQUAL(5, o.refs);

    u64 dst = 0;
    ERR(kOk, move(b.space, mid, c.space, dst));
    UNSIGNED_LONGS_EQUAL(2, dst);
    CHECK_TRUE(b[mid].empty());
    POINTERS_EQUAL(nullptr, b[mid].object);
    UNSIGNED_LONGS_EQUAL(abi::kRightSend, c[dst].rights);
    POINTERS_EQUAL(&o, c[dst].object);
    CHECK_TRUE(is_child(a[r], c[dst]));
    CHECK_TRUE(is_child(a[r], b[sib]));
    UNSIGNED_LONGS_EQUAL(2, children(a[r]));
    CHECK_TRUE(is_child(c[dst], c[x]));
    CHECK_TRUE(is_child(c[dst], a[y]));
    UNSIGNED_LONGS_EQUAL(5, o.refs);  // a move takes no reference

    // Within a space, to a chosen slot; and onto itself: nothing happens.
    u64 to = 7;
    ERR(kOk, move(c.space, dst, c.space, to));
    UNSIGNED_LONGS_EQUAL(7, to);
    CHECK_TRUE(c[dst].empty());
    CHECK_TRUE(is_child(a[r], c[7]));
    CHECK_TRUE(is_child(c[7], c[x]));
    watch->reset();
    to = 7;
    ERR(kOk, move(c.space, 7, c.space, to));
    UNSIGNED_LONGS_EQUAL(7, to);
    UNSIGNED_LONGS_EQUAL(0, watch->locks);
    CHECK_FALSE(c[7].empty());

    u64 removed = 0;
    ERR(kOk, revoke(a.space, r, removed, released));
    UNSIGNED_LONGS_EQUAL(4, removed);
    UNSIGNED_LONGS_EQUAL(1, o.refs);
    UNSIGNED_LONGS_EQUAL(1, a.space.used() + b.space.used() + c.space.used());
    ERR(kOk, remove(a.space, r, released));
    POINTERS_EQUAL(&o, released.pop());
}

TEST(CapTable, MoveOfARootAndOfAReplyAndErrors) {
    Object o, reply;
    const u64 r = root(a, abi::kCapEndpoint, kSendRecv, o);
    const u64 k1 = copy_of(a, r, b), k2 = copy_of(a, r, c);
    const u64 rep = root(a, abi::kCapReply, abi::kRightSend, reply);
    u64 dst = 5;
    ERR(kOk, move(a.space, r, b.space, dst));  // the root moves with its children
    POINTERS_EQUAL(nullptr, b[5].parent);
    CHECK_TRUE(is_child(b[5], b[k1]));
    CHECK_TRUE(is_child(b[5], c[k2]));
    dst = 0;
    ERR(kOk, move(a.space, rep, c.space, dst));  // a reply moves (it cannot be copied)
    UNSIGNED_LONGS_EQUAL(abi::kCapReply, c[dst].type);
    UNSIGNED_LONGS_EQUAL(1, reply.refs);

    for (u64 bad : {u64(0), u64(1), u64(16), kMax}) {
        dst = 0;
        ERR(kBadSlot, move(a.space, bad, b.space, dst));
    }
    dst = k1;
    ERR(kNoSlot, move(b.space, 5, b.space, dst));
    dst = 8;
    ERR(kBadSlot, move(b.space, 5, c.space, dst));
    while (c.space.used() < 7) copy_of(b, 5, c);
    dst = 0;
    ERR(kNoSlot, move(b.space, 5, c.space, dst));
    CHECK_FALSE(b[5].empty());
    clear(b.space, released);
    clear(c.space, released);
    UNSIGNED_LONGS_EQUAL(2, released.count);
}

// root(a) -> mid(b) -> {g1(c), g2(c), g3(a)}, root -> sib(c); remove mid.
TEST(CapTable, RemoveHandsChildrenToTheParent) {
    Object o;
    const u64 r = root(a, abi::kCapThread, abi::kRightControl, o);
    const u64 mid = copy_of(a, r, b);
    const u64 sib = copy_of(a, r, c);
    const u64 g1 = copy_of(b, mid, c), g2 = copy_of(b, mid, c), g3 = copy_of(b, mid, a);
    UNSIGNED_LONGS_EQUAL(6, o.refs);

    ERR(kOk, remove(b.space, mid, released));
    CHECK_TRUE(b[mid].empty());
    UNSIGNED_LONGS_EQUAL(5, o.refs);
    UNSIGNED_LONGS_EQUAL(0, released.count);
    for (Slot* s : {&c[g1], &c[g2], &a[g3], &c[sib]}) CHECK_TRUE(is_child(a[r], *s));
    UNSIGNED_LONGS_EQUAL(4, children(a[r]));

    // A later revoke of the grandparent reaches the grandchildren.
    u64 removed = 0;
    ERR(kOk, revoke(a.space, r, removed, released));
    UNSIGNED_LONGS_EQUAL(4, removed);
    UNSIGNED_LONGS_EQUAL(1, o.refs);
    UNSIGNED_LONGS_EQUAL(0, released.count);
    ERR(kOk, remove(a.space, r, released));
    UNSIGNED_LONGS_EQUAL(0, o.refs);
    UNSIGNED_LONGS_EQUAL(1, released.count);
    POINTERS_EQUAL(&o, released.pop());
}

TEST(CapTable, RemoveOfARootMakesRootsOfItsChildren) {
    Object o;
    const u64 r = root(a, abi::kCapTask, abi::kRightControl, o);
    const u64 k1 = copy_of(a, r, b), k2 = copy_of(a, r, b), k3 = copy_of(a, r, c);
    const u64 gk = copy_of(b, k2, c);
    ERR(kOk, remove(a.space, r, released));
    for (Slot* s : {&b[k1], &b[k2], &c[k3]}) {
        POINTERS_EQUAL(nullptr, s->parent);
        POINTERS_EQUAL(nullptr, s->prev_sibling);
        POINTERS_EQUAL(nullptr, s->next_sibling);
    }
    CHECK_TRUE(is_child(b[k2], c[gk]));
    UNSIGNED_LONGS_EQUAL(4, o.refs);
    u64 removed = 9;
    ERR(kOk, revoke(b.space, k1, removed, released));
    UNSIGNED_LONGS_EQUAL(0, removed);
    ERR(kOk, revoke(b.space, k2, removed, released));
    UNSIGNED_LONGS_EQUAL(1, removed);
    ERR(kOk, remove(b.space, k1, released));
    ERR(kOk, remove(b.space, k2, released));
    UNSIGNED_LONGS_EQUAL(0, released.count);
    ERR(kOk, remove(c.space, k3, released));
    UNSIGNED_LONGS_EQUAL(1, released.count);
    POINTERS_EQUAL(&o, released.pop());
}

TEST(CapTable, RemoveErrors) {
    Object o;
    root(a, abi::kCapEndpoint, kSendRecv, o);
    for (u64 bad : {u64(0), u64(2), u64(16), kMax}) ERR(kBadSlot, remove(a.space, bad, released));
    UNSIGNED_LONGS_EQUAL(0, released.count);
    UNSIGNED_LONGS_EQUAL(1, o.refs);
    ERR(kOk, remove(a.space, 1, released));
    ERR(kBadSlot, remove(a.space, 1, released));  // twice
    UNSIGNED_LONGS_EQUAL(1, released.count);
}

TEST(CapTable, RevokeRemovesTheSubtreeButNotTheSlot) {
    Object o, other;
    const u64 r = root(a, abi::kCapNotification, kSendRecv, o);
    const u64 r2 = root(b, abi::kCapNotification, abi::kRightSend, o);  // a second root: untouched
    const u64 k1 = copy_of(a, r, b), k2 = copy_of(a, r, c);
    const u64 g1 = copy_of(b, k1, a), g2 = copy_of(b, k1, c);
    copy_of(a, g1, b);
    copy_of(c, g2, a);
    copy_of(c, k2, c);
    const u64 unrelated = root(c, abi::kCapMemory, abi::kRightMap, other);
    UNSIGNED_LONGS_EQUAL(9, o.refs);

    u64 removed = 0;
    ERR(kOk, revoke(b.space, k1, removed, released));  // g1, g2 and theirs
    UNSIGNED_LONGS_EQUAL(4, removed);
    CHECK_FALSE(b[k1].empty());
    POINTERS_EQUAL(nullptr, b[k1].first_child);
    UNSIGNED_LONGS_EQUAL(5, o.refs);
    ERR(kOk, revoke(a.space, r, removed, released));  // k1, k2 and k2's child
    UNSIGNED_LONGS_EQUAL(3, removed);
    UNSIGNED_LONGS_EQUAL(2, o.refs);
    ERR(kOk, revoke(a.space, r, removed, released));
    UNSIGNED_LONGS_EQUAL(0, removed);
    UNSIGNED_LONGS_EQUAL(0, released.count);
    CHECK_FALSE(b[r2].empty());
    CHECK_FALSE(c[unrelated].empty());
    UNSIGNED_LONGS_EQUAL(1, a.space.used());
    UNSIGNED_LONGS_EQUAL(1, b.space.used());
    UNSIGNED_LONGS_EQUAL(1, c.space.used());

    for (u64 bad : {u64(0), u64(2), u64(16), kMax}) {
        removed = 7;
        ERR(kBadSlot, revoke(a.space, bad, removed, released));
        UNSIGNED_LONGS_EQUAL(0, removed);
    }
    clear(a.space, released);
    clear(b.space, released);
    clear(c.space, released);
    UNSIGNED_LONGS_EQUAL(2, released.count);
    POINTERS_EQUAL(&o, released.pop());
    POINTERS_EQUAL(&other, released.pop());
}

// o1: a1 -> {b1 -> a2 -> c1, b2};  o2: b3 -> a3 -> c2;  o3: a4;  o4: a5 -> a6.
TEST(CapTable, ClearKeepsChildrenInOtherSpaces) {
    Object o1, o2, o3, o4;
    const u64 a1 = root(a, abi::kCapEndpoint, kSendRecv, o1);
    const u64 b1 = copy_of(a, a1, b);
    const u64 a2 = copy_of(b, b1, a);
    const u64 c1 = copy_of(a, a2, c);
    const u64 b2 = copy_of(a, a1, b);
    const u64 b3 = root(b, abi::kCapMemory, abi::kRightMap, o2);
    const u64 a3 = copy_of(b, b3, a);
    const u64 c2 = copy_of(a, a3, c);
    root(a, abi::kCapThread, abi::kRightControl, o3);
    const u64 a5 = root(a, abi::kCapTask, abi::kRightControl, o4);
    copy_of(a, a5, a);
    UNSIGNED_LONGS_EQUAL(6, a.space.used());

    watch->reset();
    clear(a.space, released);
    UNSIGNED_LONGS_EQUAL(6, watch->locks);
    for (Space* s : watch->order) POINTERS_EQUAL(&a.space, s);
    UNSIGNED_LONGS_EQUAL(0, a.space.used());
    POINTERS_EQUAL(nullptr, b[b1].parent);  // a1 had no parent
    POINTERS_EQUAL(nullptr, b[b2].parent);
    CHECK_TRUE(is_child(b[b1], c[c1]));  // a2 handed c1 to b1
    CHECK_TRUE(is_child(b[b3], c[c2]));  // a3 handed c2 to b3
    UNSIGNED_LONGS_EQUAL(3, o1.refs);
    UNSIGNED_LONGS_EQUAL(2, o2.refs);
    UNSIGNED_LONGS_EQUAL(0, o3.refs);
    UNSIGNED_LONGS_EQUAL(0, o4.refs);
    UNSIGNED_LONGS_EQUAL(2, released.count);  // in the order they went
    POINTERS_EQUAL(&o3, released.pop());
    POINTERS_EQUAL(&o4, released.pop());

    clear(a.space, released);  // an empty space: nothing
    UNSIGNED_LONGS_EQUAL(0, released.count);
    u64 removed = 0;
    ERR(kOk, revoke(b.space, b1, removed, released));
    UNSIGNED_LONGS_EQUAL(1, removed);
    clear(b.space, released);
    clear(c.space, released);
    UNSIGNED_LONGS_EQUAL(2, released.count);
    POINTERS_EQUAL(&o1, released.pop());
    POINTERS_EQUAL(&o2, released.pop());
}

TEST(CapTable, ReleaseListIsFifo) {
    Object o[3];
    ReleaseList list;
    POINTERS_EQUAL(nullptr, list.pop());
    for (Object& x : o) list.push(&x);
    UNSIGNED_LONGS_EQUAL(3, list.count);
    POINTERS_EQUAL(&o[0], list.pop());
    POINTERS_EQUAL(nullptr, o[0].release_next);
    UNSIGNED_LONGS_EQUAL(2, list.count);
    list.push(&o[0]);
    POINTERS_EQUAL(&o[1], list.pop());
    POINTERS_EQUAL(&o[2], list.pop());
    POINTERS_EQUAL(&o[0], list.pop());
    UNSIGNED_LONGS_EQUAL(0, list.count);
    POINTERS_EQUAL(nullptr, list.pop());
    POINTERS_EQUAL(nullptr, list.head);
    POINTERS_EQUAL(nullptr, list.tail);
    list.push(&o[2]);
    POINTERS_EQUAL(&o[2], list.head);
    POINTERS_EQUAL(&o[2], list.tail);
    POINTERS_EQUAL(&o[2], list.pop());
}

// Each operation locks the space of each slot it changes, once per change,
// in turn (the watcher checks nothing changes outside); failures lock nothing.
TEST(CapTable, LockHooksSeeTheSpaceOfEachChangedSlot) {
    Object o, irq;
    using Order = std::vector<Space*>;
    auto expect = [&](const Order& order) {
        CHECK_TRUE(watch->order == order);
        UNSIGNED_LONGS_EQUAL(watch->locks, watch->unlocks);
        CHECK_TRUE(watch->settled());
        watch->reset();
    };
    watch->reset();
    u64 dst = 0;
    ERR(kOk, insert_root(a.space, dst, abi::kCapEndpoint, kSendRecv, &o));
    expect({&a.space});
    const u64 r = dst;
    dst = 0;
    ERR(kOk, cap::copy(a.space, r, b.space, dst, kSendRecv));
    expect({&b.space});
    const u64 k = dst;
    dst = 0;
    ERR(kOk, mint(b.space, k, c.space, dst, kSendRecv, 1));
    expect({&c.space});
    const u64 m = dst;
    dst = 0;
    ERR(kOk, move(c.space, m, a.space, dst));
    expect({&a.space, &c.space});  // stored, then emptied
    dst = 0;
    ERR(kOk, insert_root(c.space, dst, abi::kCapIrq, abi::kRightControl, &irq, 0, 0, 16));
    expect({&c.space});
    const u64 i = dst;
    dst = 0;
    ERR(kOk, narrow(c.space, i, b.space, dst, 4, 4));
    expect({&b.space});
    ERR(kOk, remove(b.space, dst, released));
    expect({&b.space});
    copy_of(b, k, c);
    watch->reset();
    u64 removed = 0;
    ERR(kOk, revoke(a.space, r, removed, released));  // k(b) -> {m(a), copy(c)}: leaves first
    UNSIGNED_LONGS_EQUAL(3, removed);
    CHECK_TRUE(watch->order.size() == 3 && watch->order[2] == &b.space);
    expect(watch->order);

    // Failures change nothing, so they lock nothing.
    dst = 0;
    ERR(kBadSlot, cap::copy(a.space, 9, b.space, dst, 0));
    ERR(kInvalid, mint(a.space, r, b.space, dst, 0, 0));
    ERR(kWrongType, narrow(a.space, r, b.space, dst, 0, 1));
    dst = r;
    ERR(kNoSlot, move(c.space, i, a.space, dst));
    ERR(kBadSlot, remove(b.space, 9, released));
    ERR(kBadSlot, revoke(b.space, 9, removed, released));
    dst = 0;
    ERR(kInvalid, insert_root(a.space, dst, abi::kCapNone, 0, &o));
    expect({});

    clear(a.space, released);
    clear(c.space, released);
    expect({&a.space, &c.space});
    UNSIGNED_LONGS_EQUAL(2, released.count);
}

// A counting hook that knows only the space it expects.
namespace {
Space* g_expected_space = nullptr;
u64 g_locks = 0, g_unlocks = 0, g_wrong = 0;
int g_depth = 0, g_max_depth = 0;
void count_lock(Space& s) {
    g_locks++;
    g_wrong += &s != g_expected_space;
    g_max_depth = ++g_depth > g_max_depth ? g_depth : g_max_depth;
}
void count_unlock(Space& s) {
    g_unlocks++;
    g_wrong += &s != g_expected_space;
    g_depth--;
}
}  // namespace

TEST_GROUP(CapLockHooks) {
    void teardown() override { set_lock_hooks({nullptr, nullptr}); }
};

TEST(CapLockHooks, CountedAndBalancedInOneSpace) {
    TestSpace s{64};
    Object o;
    ReleaseList released;
    g_expected_space = &s.space;
    g_locks = g_unlocks = g_wrong = 0;
    g_depth = g_max_depth = 0;
    set_lock_hooks({count_lock, count_unlock});
    u64 dst = 0;
    ERR(kOk, insert_root(s.space, dst, abi::kCapEndpoint, abi::kRightsAll, &o));
    for (u32 i = 0; i < 40; i++) {
        u64 d = 0;
        ERR(kOk, cap::copy(s.space, 1 + i / 2, s.space, d, abi::kRightsAll));  // a binary-ish tree
    }
    UNSIGNED_LONGS_EQUAL(41, g_locks);
    u64 removed = 0;
    ERR(kOk, revoke(s.space, 2, removed, released));
    UNSIGNED_LONGS_EQUAL(41 + removed, g_locks);
    clear(s.space, released);
    UNSIGNED_LONGS_EQUAL(41 + 41, g_locks);  // one per slot ever filled, one per slot emptied
    UNSIGNED_LONGS_EQUAL(g_locks, g_unlocks);
    UNSIGNED_LONGS_EQUAL(0, g_wrong);
    LONGS_EQUAL(1, g_max_depth);
    LONGS_EQUAL(0, g_depth);
    POINTERS_EQUAL(&o, released.pop());
}

TEST(CapLockHooks, NullHooksAreNoOps) {
    set_lock_hooks({nullptr, count_unlock});
    TestSpace s{4};
    Object o;
    ReleaseList released;
    g_expected_space = &s.space;
    g_unlocks = g_wrong = 0;
    g_depth = 1;
    u64 dst = 0;
    ERR(kOk, insert_root(s.space, dst, abi::kCapEndpoint, abi::kRightsAll, &o));
    ERR(kOk, remove(s.space, dst, released));
    UNSIGNED_LONGS_EQUAL(2, g_unlocks);
    UNSIGNED_LONGS_EQUAL(0, g_wrong);
    set_lock_hooks({nullptr, nullptr});
    dst = 0;
    ERR(kOk, insert_root(s.space, dst, abi::kCapEndpoint, abi::kRightsAll, &o));
    UNSIGNED_LONGS_EQUAL(2, g_unlocks);
    ERR(kOk, remove(s.space, dst, released));
    UNSIGNED_LONGS_EQUAL(2, released.count);
}
