// The kernel's heap instance and operator new/delete. Page runs come from the
// frame allocator (contiguous frames, reached through the direct map), so a
// heap pointer's physical address is always pointer - kDirectMapBase.
#include "kernel/mm/kernel_heap.h"

#include "kernel/mm/memory.h"
#include "lib/kstd/new.h"
#include "kernel/panic.h"
#include "kernel/sync/spinlock.h"

namespace mm {
namespace {

class FramePageSource final : public PageSource {
public:
    void* alloc_pages(usize count) override {
        u64 phys = count == 1 ? frames().alloc() : frames().alloc_contiguous(count);
        return phys == 0 ? nullptr : phys_to_virt(phys);
    }
    void free_pages(void* pages, usize count) override {
        u64 phys = reinterpret_cast<u64>(pages) - kDirectMapBase;
        FrameError e = frames().free_contiguous(phys, count);
        if (e != FrameError::kOk) panic("heap returned frames 0x%lx (+%zu): %s", phys, count, error_name(e));
    }
};

FramePageSource g_page_source;
Heap g_heap;
bool g_heap_ready = false;
// One lock for the whole heap, interrupts off; taken before the frame
// allocator's (the heap asks it for pages).
ksync::SpinLock g_heap_lock{"heap"};

void* checked_alloc(usize size, usize align) {
    if (!g_heap_ready) panic("operator new(%zu) before the heap is initialized", size);
    void* p;
    {
        ksync::IrqSpinGuard g(g_heap_lock);
        p = g_heap.alloc(size, align);
    }
    if (p == nullptr) {
        panic("out of memory: new(%zu bytes, align %zu) with %zu frames free", size, align,
              frames().free_frames());
    }
    return p;
}

void checked_free(void* p) {
    if (p == nullptr) return;
    HeapError e;
    {
        ksync::IrqSpinGuard g(g_heap_lock);
        e = g_heap.free(p);
    }
    if (e != HeapError::kOk) panic("delete %p: %s", p, error_name(e));
}

}  // namespace

void heap_init() {
    g_heap.init(g_page_source);
    g_heap_ready = true;
}

Heap& heap() { return g_heap; }

}  // namespace mm

// No exceptions in the kernel: allocation failure is a panic with the size,
// never a null pointer dereferenced later.
void* operator new(usize size) { return mm::checked_alloc(size, 16); }
void* operator new[](usize size) { return mm::checked_alloc(size, 16); }
void* operator new(usize size, std::align_val_t align) { return mm::checked_alloc(size, usize(align)); }
void* operator new[](usize size, std::align_val_t align) { return mm::checked_alloc(size, usize(align)); }
void operator delete(void* p) noexcept { mm::checked_free(p); }
void operator delete[](void* p) noexcept { mm::checked_free(p); }
void operator delete(void* p, usize) noexcept { mm::checked_free(p); }
void operator delete[](void* p, usize) noexcept { mm::checked_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { mm::checked_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { mm::checked_free(p); }
void operator delete(void* p, usize, std::align_val_t) noexcept { mm::checked_free(p); }
void operator delete[](void* p, usize, std::align_val_t) noexcept { mm::checked_free(p); }
