// Sleep queue: a deadline-sorted, null-terminated doubly linked list through Entity::sleep_link.
#include "kernel/sched/sleep_queue.h"

namespace sched {

Entity* SleepQueue::entity_of(Link* l) {
    return reinterpret_cast<Entity*>(reinterpret_cast<char*>(l) - offsetof(Entity, sleep_link));
}

void SleepQueue::insert(Entity* e, u64 deadline) {
    if (e->sleeping) remove(e);
    e->deadline = deadline;
    // Last entity whose deadline is not later: the new one goes right after it.
    Link* after = tail_;
    while (after != nullptr && entity_of(after)->deadline > deadline) after = after->prev;
    Link* l = &e->sleep_link;
    l->prev = after;
    l->next = after != nullptr ? after->next : head_;
    if (l->next != nullptr) l->next->prev = l;
    else tail_ = l;
    if (after != nullptr) after->next = l;
    else head_ = l;
    ++count_;
    e->sleeping = true;
}

void SleepQueue::remove(Entity* e) {
    if (!e->sleeping) return;
    Link* l = &e->sleep_link;
    if (l->prev != nullptr) l->prev->next = l->next;
    else head_ = l->next;
    if (l->next != nullptr) l->next->prev = l->prev;
    else tail_ = l->prev;
    l->next = l->prev = nullptr;
    --count_;
    e->sleeping = false;
}

Entity* SleepQueue::peek() const { return head_ != nullptr ? entity_of(head_) : nullptr; }

Entity* SleepQueue::pop_expired(u64 now) {
    Entity* e = peek();
    if (e == nullptr || e->deadline > now) return nullptr;
    remove(e);
    return e;
}

u64 SleepQueue::next_deadline() const { return head_ != nullptr ? entity_of(head_)->deadline : kNever; }

}  // namespace sched
