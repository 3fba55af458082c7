// Run queue: a head/tail pair of null-terminated lists per level; bit n of bitmap_ is set exactly
// when level n is non-empty, which makes the highest ready priority one count-leading-zeros away.
#include "kernel/sched/run_queue.h"

namespace sched {

Entity* RunQueue::entity_of(Link* l) {
    return reinterpret_cast<Entity*>(reinterpret_cast<char*>(l) - offsetof(Entity, run_link));
}

void RunQueue::enqueue(Entity* e) {
    if (e->queued) return;
    const u32 lvl = level_of(e);
    Link* l = &e->run_link;
    l->next = nullptr;
    l->prev = tail_[lvl];
    if (tail_[lvl] != nullptr) tail_[lvl]->next = l;
    else head_[lvl] = l;
    tail_[lvl] = l;
    bitmap_ |= 1u << lvl;
    ++count_;
    ++enqueues_;
    e->queued = true;
}

void RunQueue::enqueue_front(Entity* e) {
    if (e->queued) return;
    const u32 lvl = level_of(e);
    Link* l = &e->run_link;
    l->prev = nullptr;
    l->next = head_[lvl];
    if (head_[lvl] != nullptr) head_[lvl]->prev = l;
    else tail_[lvl] = l;
    head_[lvl] = l;
    bitmap_ |= 1u << lvl;
    ++count_;
    ++enqueues_;
    e->queued = true;
}

void RunQueue::unlink(Entity* e) {
    const u32 lvl = level_of(e);
    Link* l = &e->run_link;
    if (l->prev != nullptr) l->prev->next = l->next;
    else head_[lvl] = l->next;
    if (l->next != nullptr) l->next->prev = l->prev;
    else tail_[lvl] = l->prev;
    l->next = l->prev = nullptr;
    if (head_[lvl] == nullptr) bitmap_ &= ~(1u << lvl);
    --count_;
    e->queued = false;
}

void RunQueue::remove(Entity* e) {
    if (!e->queued) return;
    unlink(e);
}

Entity* RunQueue::peek_highest() const {
    const int lvl = highest_priority();
    return lvl < 0 ? nullptr : entity_of(head_[lvl]);
}

Entity* RunQueue::pop_highest() {
    Entity* e = peek_highest();
    if (e != nullptr) unlink(e);
    return e;
}

Entity* RunQueue::steal_for(u32 cpu, int min_priority) {
    if (min_priority < 0) min_priority = 0;
    // Only levels at or above min_priority; visit them from the top.
    u32 levels = min_priority >= static_cast<int>(kPriorities) ? 0 : bitmap_ & (~0u << min_priority);
    while (levels != 0) {
        const int lvl = 31 - __builtin_clz(levels);
        for (Link* l = head_[lvl]; l != nullptr; l = l->next) {
            Entity* e = entity_of(l);
            if (e->allowed_on(cpu)) {
                unlink(e);
                return e;
            }
        }
        levels &= ~(1u << lvl);
    }
    return nullptr;
}

}  // namespace sched
