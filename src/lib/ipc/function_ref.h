// ipc::FunctionRef<R(Args...)>: a non-owning reference to something callable
// (a lambda or any object with operator()), so that serve() and
// the names client can take callbacks without a heap or std::function. The
// referenced callable must outlive the call it is passed to, which a lambda
// written in the argument list does.
#pragma once

#include "lib/kstd/utility.h"

namespace ipc {

template <typename Signature>
class FunctionRef;

namespace detail {
template <typename A, typename B> constexpr bool kSame = false;
template <typename A> constexpr bool kSame<A, A> = true;
template <typename T> struct RemoveConst { using type = T; };
template <typename T> struct RemoveConst<const T> { using type = T; };
template <typename T> using Bare = typename RemoveConst<kstd::remove_reference_t<T>>::type;
template <bool B> struct EnableIf {};
template <> struct EnableIf<true> { using type = int; };
}  // namespace detail

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
public:
    // An empty reference: bool(ref) is false and calling it is a bug.
    FunctionRef() = default;

    // Not for FunctionRef itself: copying one copies the reference. (SFINAE
    // rather than `requires`: the host tests build as C++17.)
    template <typename F, typename detail::EnableIf<!detail::kSame<detail::Bare<F>, FunctionRef>>::type = 0>
    FunctionRef(F&& f)  // implicit on purpose: pass a lambda where a FunctionRef is taken
        : object_(const_cast<void*>(static_cast<const void*>(&f))),
          call_(&invoke<kstd::remove_reference_t<F>>) {}

    explicit operator bool() const { return call_ != nullptr; }

    R operator()(Args... args) const { return call_(object_, static_cast<Args&&>(args)...); }

private:
    template <typename F>
    static R invoke(void* object, Args... args) {
        return (*static_cast<F*>(object))(static_cast<Args&&>(args)...);
    }

    void* object_ = nullptr;
    R (*call_)(void*, Args...) = nullptr;
};

}  // namespace ipc
