// The handful of <utility>/<algorithm> pieces lstar needs, without libstdc++:
// the kernel is freestanding and must not depend on a hosted C++ library.
#pragma once

#include "lib/kstd/types.h"

namespace kstd {

template <typename T> struct remove_reference { using type = T; };
template <typename T> struct remove_reference<T&> { using type = T; };
template <typename T> struct remove_reference<T&&> { using type = T; };
template <typename T> using remove_reference_t = typename remove_reference<T>::type;

template <typename T> constexpr remove_reference_t<T>&& move(T&& t) noexcept {
    return static_cast<remove_reference_t<T>&&>(t);
}

template <typename T> constexpr T&& forward(remove_reference_t<T>& t) noexcept {
    return static_cast<T&&>(t);
}

template <typename T> constexpr const T& min(const T& a, const T& b) { return b < a ? b : a; }
template <typename T> constexpr const T& max(const T& a, const T& b) { return a < b ? b : a; }

template <typename T> constexpr T align_down(T v, T a) { return v & ~(a - 1); }
template <typename T> constexpr T align_up(T v, T a) { return (v + a - 1) & ~(a - 1); }
template <typename T> constexpr bool is_aligned(T v, T a) { return (v & (a - 1)) == 0; }

}  // namespace kstd

namespace kstd {

// Set bits in v (no POPCNT: the kernel is built for the baseline x86_64).
constexpr u32 popcount(u64 v) {
    u32 n = 0;
    for (; v; v &= v - 1) n++;
    return n;
}

}  // namespace kstd
