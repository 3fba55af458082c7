// Capability spaces in the kernel: the lib/cap tables under the kernel's
// locks, object lookup and destruction, capability transfer, the I/O port
// bitmaps and interrupt lines capabilities control.
#include "kernel/ipc/ipc_internal.h"
#include "kernel/log.h"
#include "kernel/task/task.h"
#include "lib/abi/syscall.h"

namespace ipc {

ksync::SpinLock g_cdt_lock{"cdt"};

namespace {

// Behind every ioports and every irq capability (the range is in the
// capability); never destroyed.
Hardware g_ioports;
Hardware g_irqs_object;

constexpr u32 kIrqLines = 16;      // ISA IRQs through the I/O APIC
constexpr u64 kIoPorts = 0x10000;
constexpr u32 kEnabled = 1u << 31;  // an ioports slot ioport_enable turned on (kernel-only rights bit)

struct IrqLine {
    Notification* notification;  // a reference of its own
    u64 bits;
    bool pending;  // fired and masked, waiting for irq_ack
};
ksync::SpinLock g_irq_lock{"irq lines"};
IrqLine g_irqs[kIrqLines];

void space_lock(cap::Space& s) { static_cast<CSpace*>(s.owner)->lock.lock(); }
void space_unlock(cap::Space& s) { static_cast<CSpace*>(s.owner)->lock.unlock(); }

i64 to_abi(cap::Error e) {
    switch (e) {
    case cap::Error::kOk: return 0;
    case cap::Error::kBadSlot: return abi::kBadSlot;
    case cap::Error::kWrongType: return abi::kWrongType;
    case cap::Error::kNoRights: return abi::kNoRights;
    case cap::Error::kNoSlot: return abi::kNoSlot;
    case cap::Error::kInvalid: return abi::kInvalid;
    }
    return abi::kInvalid;
}

void destroy(cap::Object* o) {
    switch (o->type) {
    case abi::kCapEndpoint: endpoint_died(static_cast<Endpoint*>(o)); break;
    case abi::kCapNotification: notification_died(static_cast<Notification*>(o)); break;
    case abi::kCapReply: delete static_cast<Reply*>(o); break;
    case abi::kCapTask:
    case abi::kCapThread: delete static_cast<TaskRef*>(o); break;
    default: break;  // the hardware object stays
    }
}

void release_all(cap::ReleaseList& list) {
    while (cap::Object* o = list.pop()) destroy(o);
}

}  // namespace

void init_caps() {
    cap::set_lock_hooks({space_lock, space_unlock});
    g_ioports.refs = 1;  // never released
    g_ioports.type = abi::kCapIoPorts;
    g_irqs_object.refs = 1;
    g_irqs_object.type = abi::kCapIrq;
}

CSpace* cspace_create(task::Task* t) {
    CSpace* c = new CSpace();
    if (!c) return nullptr;
    c->space.owner = c;
    c->owner_task = t;
    return c;
}

cap::Object* lookup(task::Task* t, u64 index, u8 type, u32 rights, i64& error, cap::Slot* copy) {
    CSpace* c = t->cspace;
    if (!c) {
        error = abi::kBadSlot;
        return nullptr;
    }
    u64 f = arch::irq_save();
    c->lock.lock();
    cap::Error e;
    cap::Slot* s = c->space.lookup(index, type, rights, e);
    cap::Object* o = nullptr;
    if (s) {
        o = s->object;
        cap::ref(o);
        if (copy) *copy = *s;
    }
    c->lock.unlock();
    arch::irq_restore(f);
    if (!o) error = to_abi(e);
    return o;
}

void put(cap::Object* o) {
    if (cap::unref(o)) destroy(o);
}

// --- capability operations (the cap_* calls) ---

namespace {

// The task whose I/O bitmap follows its ioports capabilities changed: the
// bitmap is rebuilt from those ioport_enable turned on, and every CPU
// running the task reloads it.
void rebuild_io_bitmap(task::Task* t);

}  // namespace

i64 cap_op_copy(task::Task* t, u64 src, u64& dst, u32 rights, u64 badge, bool mint) {
    ksync::IrqSpinGuard g(g_cdt_lock);
    cap::Space& s = t->cspace->space;
    cap::Error e = mint ? cap::mint(s, src, s, dst, rights & abi::kRightsAll, badge)
                        : cap::copy(s, src, s, dst, rights & abi::kRightsAll);
    return e == cap::Error::kOk ? i64(dst) : -to_abi(e);
}

i64 cap_op_narrow(task::Task* t, u64 src, u64& dst, u64 base, u64 count) {
    ksync::IrqSpinGuard g(g_cdt_lock);
    cap::Space& s = t->cspace->space;
    cap::Error e = cap::narrow(s, src, s, dst, base, count);
    if (e != cap::Error::kOk) return -to_abi(e);
    // A narrowed copy is not enabled, whatever its source was.
    cap::Slot* d = s.at(dst);
    space_lock(s);
    d->rights &= abi::kRightsAll;
    space_unlock(s);
    return i64(dst);
}

i64 cap_op_move(task::Task* t, u64 src, u64& dst) {
    ksync::IrqSpinGuard g(g_cdt_lock);
    cap::Space& s = t->cspace->space;
    cap::Error e = cap::move(s, src, s, dst);
    return e == cap::Error::kOk ? i64(dst) : -to_abi(e);
}

i64 cap_op_delete(task::Task* t, u64 index) {
    cap::ReleaseList released;
    bool io = false;
    Reply* reply = nullptr;
    u64 seq = 0;
    {
        ksync::IrqSpinGuard g(g_cdt_lock);
        cap::Space& s = t->cspace->space;
        cap::Slot* slot = s.at(index);
        if (slot && !slot->empty()) {
            io = slot->type == abi::kCapIoPorts && (slot->rights & kEnabled);
            if (slot->type == abi::kCapReply) {
                reply = static_cast<Reply*>(slot->object);
                seq = slot->badge;
                cap::ref(reply);
            }
        }
        cap::Error e = cap::remove(s, index, released);
        if (e != cap::Error::kOk) return -to_abi(e);
    }
    if (reply) {
        cancel_reply(reply, seq);  // an unused right to answer: the caller learns now
        put(reply);
    }
    release_all(released);
    if (io) rebuild_io_bitmap(t);
    return 0;
}

i64 cap_op_revoke(task::Task* t, u64 index) {
    cap::ReleaseList released;
    u64 removed = 0;
    // Tasks that held an enabled ioports capability under the revoked one.
    constexpr u32 kMaxIoTasks = 16;
    u64 io_tasks[kMaxIoTasks];
    u32 io_count = 0;
    {
        ksync::IrqSpinGuard g(g_cdt_lock);
        cap::Space& s = t->cspace->space;
        cap::Slot* root = s.at(index);
        if (root && root->type == abi::kCapIoPorts) {
            // Walk the subtree without recursion: down, then along, then up.
            cap::Slot* n = root->first_child;
            while (n) {
                if ((n->rights & kEnabled) && io_count < kMaxIoTasks) {
                    auto* owner = static_cast<CSpace*>(n->space->owner)->owner_task;
                    io_tasks[io_count++] = owner->id;
                }
                if (n->first_child) {
                    n = n->first_child;
                    continue;
                }
                while (n != root && !n->next_sibling) n = n->parent;
                n = n == root ? nullptr : n->next_sibling;
            }
        }
        cap::Error e = cap::revoke(s, index, removed, released);
        if (e != cap::Error::kOk) return -to_abi(e);
    }
    release_all(released);
    for (u32 i = 0; i < io_count; i++) {
        if (task::Task* other = task::find_task(io_tasks[i], false)) rebuild_io_bitmap(other);
    }
    return i64(removed);
}

i64 cap_op_info(task::Task* t, u64 index, abi::CapInfo& info) {
    u64 f = arch::irq_save();
    CSpace* c = t->cspace;
    c->lock.lock();
    cap::Error e;
    cap::Slot* s = c->space.lookup(index, abi::kCapNone, 0, e);
    if (s) {
        info.type = s->type;
        info.rights = s->rights & abi::kRightsAll;
        info.badge = s->type == abi::kCapReply ? 0 : s->badge;
        info.base = s->base;
        info.count = s->count;
        info.object = u64(reinterpret_cast<uptr>(s->object)) >> 4;
    }
    c->lock.unlock();
    arch::irq_restore(f);
    return s ? 0 : -to_abi(e);
}

// A new object's first capability in the task's space.
i64 cap_op_insert(task::Task* t, u64& dst, u8 type, u32 rights, cap::Object* o, u64 badge, u64 base, u64 count) {
    ksync::IrqSpinGuard g(g_cdt_lock);
    cap::Error e = cap::insert_root(t->cspace->space, dst, type, rights, o, badge, base, count);
    return e == cap::Error::kOk ? i64(dst) : -to_abi(e);
}

i64 cap_op_give(task::Task* from, u64 src, task::Task* to, u64& dst, u32 rights, u64 badge) {
    ksync::IrqSpinGuard g(g_cdt_lock);
    if (!to->cspace) return -i64(abi::kNotFound);
    cap::Error e = badge ? cap::mint(from->cspace->space, src, to->cspace->space, dst, rights & abi::kRightsAll, badge)
                         : cap::copy(from->cspace->space, src, to->cspace->space, dst, rights & abi::kRightsAll);
    return e == cap::Error::kOk ? i64(dst) : -to_abi(e);
}

u32 transfer_caps(task::Task* from, const u64* src, u32 count, task::Task* to, const u64* wanted, u64* got) {
    ksync::SpinGuard g(g_cdt_lock);
    u32 moved = 0;
    for (; moved < count; moved++) {
        u64 dst = wanted[moved];
        cap::Slot* s = from->cspace->space.at(src[moved]);
        // Reply rights are not transferable; an empty slot ends the transfer.
        if (!s || s->empty() || s->type == abi::kCapReply) break;
        if (cap::copy(from->cspace->space, src[moved], to->cspace->space, dst, abi::kRightsAll) != cap::Error::kOk) {
            // The receiver's wanted slot is taken: any free one will do.
            dst = 0;
            if (cap::copy(from->cspace->space, src[moved], to->cspace->space, dst, abi::kRightsAll) != cap::Error::kOk)
                break;
        }
        got[moved] = dst;
    }
    return moved;
}

void cspace_destroy(task::Task* t) {
    CSpace* c = t->cspace;
    if (!c) return;
    cap::ReleaseList released;
    // Saved reply rights die with the space: their callers are told.
    for (u64 i = 1; i < abi::kCapSlots; i++) {
        cap::Slot* s = c->space.at(i);
        if (s->type == abi::kCapReply) cap_op_delete(t, i);
    }
    {
        ksync::IrqSpinGuard g(g_cdt_lock);
        cap::clear(c->space, released);
        t->cspace = nullptr;
    }
    release_all(released);
    delete c;
}

void give_root_caps(task::Task* t) {
    u64 slot = 0;
    i64 io = cap_op_insert(t, slot, abi::kCapIoPorts, abi::kRightsAll, &g_ioports, 0, 0, kIoPorts);
    slot = 0;
    i64 irq = cap_op_insert(t, slot, abi::kCapIrq, abi::kRightsAll, &g_irqs_object, 0, 0, kIrqLines);
    if (io != 1 || irq != 2) klog::error("init's root capabilities: ioports slot %ld, irq slot %ld", io, irq);
}

// --- I/O ports ---

i64 ioport_enable(task::Task* t, u64 index) {
    u64 ports;
    {
        ksync::IrqSpinGuard g(g_cdt_lock);
        cap::Space& s = t->cspace->space;
        cap::Error e;
        cap::Slot* slot = s.lookup(index, abi::kCapIoPorts, abi::kRightControl, e);
        if (!slot) return -to_abi(e);
        space_lock(s);
        slot->rights |= kEnabled;
        space_unlock(s);
    }
    rebuild_io_bitmap(t);
    ports = 0;
    if (t->io_bitmap)
        for (u64 p = 0; p < kIoPorts; p++) ports += !(t->io_bitmap[p / 8] >> (p % 8) & 1);
    return i64(ports);
}

namespace {

void reload_io_bitmap(void* arg) {
    auto* t = static_cast<task::Task*>(arg);
    sched::Thread* cur = sched::current();
    if (cur && cur->task == t) arch::io_bitmap_load(t->io_bitmap, task::io_owner_of(t));
}

void rebuild_io_bitmap(task::Task* t) {
    constexpr usize kBytes = kIoPorts / 8;
    u8* map = new u8[kBytes];
    if (!map) return;
    __builtin_memset(map, 0xFF, kBytes);
    {
        ksync::IrqSpinGuard g(g_cdt_lock);
        if (t->cspace) {
            for (u64 i = 1; i < abi::kCapSlots; i++) {
                cap::Slot* s = t->cspace->space.at(i);
                if (s->type != abi::kCapIoPorts || !(s->rights & kEnabled)) continue;
                for (u64 p = s->base; p < s->base + s->count && p < kIoPorts; p++) map[p / 8] &= u8(~(1u << (p % 8)));
            }
        }
    }
    {
        ksync::IrqSpinGuard g(t->lock);
        if (!t->io_bitmap) {
            t->io_bitmap = map;
            map = nullptr;
        } else {
            __builtin_memcpy(t->io_bitmap, map, kBytes);
        }
        __atomic_fetch_add(&t->io_version, 1, __ATOMIC_RELEASE);
    }
    delete[] map;
    arch::run_on_all_cpus(reload_io_bitmap, t);
}

}  // namespace

// --- interrupt lines ---

namespace {

// 0 if irq_cap is an irq capability with the control right covering `line`.
i64 check_line(task::Task* t, u64 irq_cap, u32 line) {
    i64 error;
    cap::Slot slot;
    cap::Object* o = lookup(t, irq_cap, abi::kCapIrq, abi::kRightControl, error, &slot);
    if (!o) return -error;
    put(o);
    if (line < slot.base || line >= slot.base + slot.count || line >= kIrqLines) return -i64(abi::kInvalid);
    return 0;
}

}  // namespace

i64 irq_bind(task::Task* t, u64 irq_cap, u32 line, Notification* n, u64 bits) {
    i64 r = check_line(t, irq_cap, line);
    if (r < 0) return r;
    if (!bits) return -i64(abi::kInvalid);
    cap::ref(n);
    Notification* old;
    {
        ksync::IrqSpinGuard g(g_irq_lock);
        old = g_irqs[line].notification;
        g_irqs[line] = {n, bits, false};
    }
    if (old) put(old);
    if (!arch::irq_attach(line, irq_fire)) return -i64(abi::kInvalid);
    return 0;
}

i64 irq_ack(task::Task* t, u64 irq_cap, u32 line) {
    i64 r = check_line(t, irq_cap, line);
    if (r < 0) return r;
    bool unmask;
    {
        ksync::IrqSpinGuard g(g_irq_lock);
        unmask = g_irqs[line].notification && g_irqs[line].pending;
        g_irqs[line].pending = false;
    }
    if (unmask) arch::irq_unmask(line);
    return 0;
}

void irq_fire(u32 line) {
    Notification* n = nullptr;
    u64 bits = 0;
    if (line >= kIrqLines) return;
    {
        ksync::SpinGuard g(g_irq_lock);
        n = g_irqs[line].notification;
        bits = g_irqs[line].bits;
        if (n) {
            g_irqs[line].pending = true;
            cap::ref(n);
        }
    }
    arch::irq_mask(line);  // until the driver acknowledges it
    if (n) {
        signal(n, bits);
        // Not the last reference: the line's own keeps it (dropped only
        // with interrupts on, in irq_bind or irq_unbind_notification).
        cap::unref(n);
    }
}

void irq_unbind_notification(Notification* n) {
    for (u32 line = 0; line < kIrqLines; line++) {
        bool dropped = false;
        {
            ksync::IrqSpinGuard g(g_irq_lock);
            if (g_irqs[line].notification == n) {
                g_irqs[line] = {nullptr, 0, false};
                dropped = true;
            }
        }
        if (dropped) arch::irq_mask(line);
    }
}

}  // namespace ipc
