// Symbol lookup over the table tools/gen-ksyms emits into the .ksyms section:
// sorted by address, so a binary search finds the enclosing function.
#include "kernel/ksyms.h"

#include "kernel/log.h"

namespace {

struct KSym {
    u64 addr;
    u64 size;
    const char* name;
};
static_assert(sizeof(KSym) == 24, "layout shared with tools/gen-ksyms");

}  // namespace

extern "C" const u64 lstar_ksyms_count;
extern "C" const KSym lstar_ksyms[];

namespace ksyms {

usize count() { return lstar_ksyms_count; }

const char* lookup(u64 pc, u64& offset) {
    usize lo = 0, hi = lstar_ksyms_count;
    while (lo < hi) {  // first symbol with addr > pc
        usize mid = lo + (hi - lo) / 2;
        if (lstar_ksyms[mid].addr <= pc) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return nullptr;
    const KSym& s = lstar_ksyms[lo - 1];
    // Symbols without a size (assembly labels) cover up to the next symbol.
    if (s.size != 0 && pc >= s.addr + s.size) return nullptr;
    offset = pc - s.addr;
    return s.name;
}

void print_backtrace(const u64* pcs, usize n) {
    klog::raw("backtrace:\n");
    for (usize i = 0; i < n; i++) {
        // Deep recursion (a stack overflow) repeats one frame: show it once.
        usize same = 0;
        while (i + same + 1 < n && pcs[i + same + 1] == pcs[i]) same++;
        if (same > 1) {
            u64 off = 0;
            const char* name = lookup(pcs[i], off);
            klog::raw("  #%zu 0x%016lx %s+0x%lx (x%zu)\n", i, pcs[i], name ? name : "?", off, same + 1);
            i += same;
            continue;
        }
        u64 off = 0;
        const char* name = lookup(pcs[i], off);
        if (name) klog::raw("  #%zu 0x%016lx %s+0x%lx\n", i, pcs[i], name, off);
        else klog::raw("  #%zu 0x%016lx ?\n", i, pcs[i]);
    }
    if (n == 0) klog::raw("  (no frames)\n");
}

}  // namespace ksyms
