// Physical frame allocator: building the bitmap from the memory map, then alloc/free.
#include "kernel/mm/frame_allocator.h"

#include "lib/kstd/utility.h"

namespace mm {

namespace {

constexpr u64 kFrame = FrameAllocator::kFrameSize;

u64 clip(u64 addr) { return kstd::min(addr, FrameAllocator::kPhysLimit); }

// The end of the stretch of usable RAM that starts at `pos`: the union of all
// usable ranges, followed from `pos` for as long as some range continues it.
// Quadratic in the number of ranges, which is a few dozen at boot.
u64 covered_end(const PhysRange* usable, usize n, u64 pos) {
    bool extended = true;
    while (extended) {
        extended = false;
        for (usize i = 0; i < n; ++i) {
            u64 end = clip(usable[i].end);
            if (usable[i].base <= pos && pos < end) {
                pos = end;
                extended = true;
            }
        }
    }
    return pos;
}

bool touches_reserved(const PhysRange* reserved, usize n, u64 base, u64 end) {
    for (usize i = 0; i < n; ++i)
        if (reserved[i].base < reserved[i].end && reserved[i].base < end && base < reserved[i].end)
            return true;
    return false;
}

}  // namespace

const char* error_name(FrameError e) {
    switch (e) {
    case FrameError::kOk: return "ok";
    case FrameError::kInvalidArgument: return "invalid argument";
    case FrameError::kNotInitialized: return "frame allocator not initialized";
    case FrameError::kNoUsableMemory: return "no usable memory above 1 MiB";
    case FrameError::kNoRoomForBitmap: return "no free run large enough for the frame bitmap";
    case FrameError::kMisaligned: return "address not frame aligned";
    case FrameError::kNotManaged: return "address outside managed memory";
    case FrameError::kReserved: return "address in a reserved range";
    case FrameError::kDoubleFree: return "frame already free";
    }
    return "unknown frame error";
}

FrameError FrameAllocator::init(const PhysRange* usable, usize n_usable, const PhysRange* reserved,
                                usize n_reserved, PhysToVirt phys_to_virt) {
    if (phys_to_virt == nullptr || (n_usable != 0 && usable == nullptr) ||
        (n_reserved != 0 && reserved == nullptr))
        return FrameError::kInvalidArgument;
    *this = FrameAllocator{};

    // The bitmap spans whole frames from the lowest to the highest usable byte above 1 MiB.
    u64 lo = kPhysLimit;
    u64 hi = 0;
    for (usize i = 0; i < n_usable; ++i) {
        u64 base = kstd::max(usable[i].base, kLowMemoryEnd);
        u64 end = clip(usable[i].end);
        if (base >= end) continue;
        lo = kstd::min(lo, base);
        hi = kstd::max(hi, end);
    }
    u64 first = kstd::align_up(lo, kFrame);
    u64 last = kstd::align_down(hi, kFrame);
    if (lo >= hi || first >= last) return FrameError::kNoUsableMemory;

    usize frames = static_cast<usize>((last - first) / kFrame);
    usize words = BitSpan::words_for(frames);
    usize bitmap_bytes = 3 * words * sizeof(u64);
    u64 run = kstd::align_up(static_cast<u64>(bitmap_bytes), kFrame);

    // The lowest start of a run that is usable and unreserved is either 1 MiB,
    // the start of a usable range or the end of a reserved range (the frame
    // before it must be unusable or reserved), so only those need trying.
    u64 best = kPhysLimit;
    auto consider = [&](u64 candidate) {
        u64 c = kstd::align_up(kstd::max(clip(candidate), kLowMemoryEnd), kFrame);
        if (c < best && c + run <= kPhysLimit && covered_end(usable, n_usable, c) >= c + run &&
            !touches_reserved(reserved, n_reserved, c, c + run))
            best = c;
    };
    consider(kLowMemoryEnd);
    for (usize i = 0; i < n_usable; ++i) consider(usable[i].base);
    for (usize i = 0; i < n_reserved; ++i) consider(reserved[i].end);
    if (best == kPhysLimit) return FrameError::kNoRoomForBitmap;

    u64* bitmap = static_cast<u64*>(phys_to_virt(best));
    ram_ = BitSpan(bitmap, frames);
    pool_ = BitSpan(bitmap + words, frames);
    free_ = BitSpan(bitmap + 2 * words, frames);
    ram_.clear_all();
    pool_.clear_all();
    free_.clear_all();
    first_frame_ = first / kFrame;
    frame_count_ = frames;

    // Usable RAM: frames wholly inside one range, plus the frames a range only
    // partly covers when neighbouring ranges cover the rest.
    for (usize i = 0; i < n_usable; ++i) {
        u64 base = kstd::max(usable[i].base, first);
        u64 end = kstd::min(clip(usable[i].end), last);
        if (base >= end) continue;
        u64 inner_base = kstd::align_up(base, kFrame);
        u64 inner_end = kstd::align_down(end, kFrame);
        if (inner_base < inner_end)
            ram_.set_range((inner_base - first) / kFrame, (inner_end - first) / kFrame);
        const u64 edges[] = {kstd::align_down(base, kFrame), kstd::align_down(end, kFrame)};
        for (u64 edge : edges) {
            if (edge + kFrame <= last && covered_end(usable, n_usable, edge) >= edge + kFrame)
                ram_.set((edge - first) / kFrame);
        }
    }

    // The pool is usable RAM minus every frame a reserved range touches, minus the bitmap.
    for (usize w = 0; w < words; ++w) pool_.words()[w] = ram_.words()[w];
    for (usize i = 0; i < n_reserved; ++i) {
        u64 base = kstd::max(reserved[i].base, first);
        u64 end = kstd::min(clip(reserved[i].end), last);
        if (reserved[i].base >= reserved[i].end || base >= end) continue;
        pool_.clear_range((kstd::align_down(base, kFrame) - first) / kFrame,
                          (kstd::align_up(end, kFrame) - first) / kFrame);
    }
    pool_.clear_range((best - first) / kFrame, (best + run - first) / kFrame);
    for (usize w = 0; w < words; ++w) free_.words()[w] = pool_.words()[w];

    total_frames_ = ram_.count_set(0, frames);
    free_frames_ = free_.count_set(0, frames);
    reserved_frames_ = total_frames_ - free_frames_;
    bitmap_phys_ = best;
    bitmap_frames_ = static_cast<usize>(run / kFrame);
    phys_to_virt_ = phys_to_virt;
    return FrameError::kOk;
}

u64 FrameAllocator::alloc() {
    if (!initialized()) return 0;
    usize i = free_.find_set(search_hint_, frame_count_);
    search_hint_ = i;
    if (i == frame_count_) return 0;
    free_.clear(i);
    --free_frames_;
    search_hint_ = i + 1;
    return (first_frame_ + i) * kFrame;
}

u64 FrameAllocator::alloc_contiguous(usize count, usize align_frames) {
    if (!initialized() || count == 0 || align_frames == 0 || (align_frames & (align_frames - 1)) != 0 ||
        count > free_frames_)
        return 0;
    usize i = free_.find_set(search_hint_, frame_count_);
    search_hint_ = i;
    while (i < frame_count_) {
        // Alignment is of the physical address, not of the bitmap index.
        u64 aligned = kstd::align_up(first_frame_ + i, static_cast<u64>(align_frames));
        i = static_cast<usize>(aligned - first_frame_);
        if (i >= frame_count_ || count > frame_count_ - i) return 0;
        usize busy = free_.find_clear(i, i + count);
        if (busy == i + count) {
            free_.clear_range(i, i + count);
            free_frames_ -= count;
            if (i == search_hint_) search_hint_ = i + count;
            return (first_frame_ + i) * kFrame;
        }
        i = free_.find_set(busy + 1, frame_count_);
    }
    return 0;
}

FrameAllocator::FrameState FrameAllocator::state_of(u64 phys) const {
    if (phys < kLowMemoryEnd) return FrameState::kReserved;
    u64 frame = phys / kFrame;
    if (frame < first_frame_ || frame - first_frame_ >= frame_count_) return FrameState::kNotManaged;
    usize i = static_cast<usize>(frame - first_frame_);
    if (!ram_.test(i)) return FrameState::kNotManaged;
    if (!pool_.test(i)) return FrameState::kReserved;
    return free_.test(i) ? FrameState::kFree : FrameState::kAllocated;
}

FrameError FrameAllocator::check_free(u64 phys) const {
    if (!initialized()) return FrameError::kNotInitialized;
    if (!kstd::is_aligned(phys, kFrame)) return FrameError::kMisaligned;
    switch (state_of(phys)) {
    case FrameState::kNotManaged: return FrameError::kNotManaged;
    case FrameState::kReserved: return FrameError::kReserved;
    case FrameState::kFree: return FrameError::kDoubleFree;
    case FrameState::kAllocated: break;
    }
    return FrameError::kOk;
}

void FrameAllocator::release(usize index) {
    free_.set(index);
    ++free_frames_;
    search_hint_ = kstd::min(search_hint_, index);
}

FrameError FrameAllocator::free(u64 phys) {
    FrameError e = check_free(phys);
    if (e != FrameError::kOk) return e;
    release(static_cast<usize>(phys / kFrame - first_frame_));
    return FrameError::kOk;
}

FrameError FrameAllocator::free_contiguous(u64 phys, usize count) {
    if (count == 0 || count > kPhysLimit / kFrame) return FrameError::kInvalidArgument;
    for (usize k = 0; k < count; ++k) {
        FrameError e = check_free(phys + k * kFrame);
        if (e != FrameError::kOk) return e;
    }
    for (usize k = 0; k < count; ++k) release(static_cast<usize>(phys / kFrame - first_frame_ + k));
    return FrameError::kOk;
}

}  // namespace mm
