// The per-element math of rounded division and remainders (dispatch/divmod.hpp), host-device:
// the CPU kernels (kernels/cpu/divmod.cpp) and the CUDA ones (kernels/cuda/divmod.cu) run
// these same functors. Integers never divide by zero here (the op checked), and the one
// overflowing quotient, INT_MIN / -1, wraps as two's complement instead of trapping. The float
// steps (/, fmod, floor, trunc, copysign) are exactly rounded, so both devices agree bit for bit.
#pragma once
#include <type_traits>

#include "steepest/half.hpp"  // STEEPEST_HD

namespace steepest::kernels::divmod {

template <class T> STEEPEST_HD T wrap_neg(T a) { return T(std::make_unsigned_t<T>(0) - std::make_unsigned_t<T>(a)); }

template <class C> STEEPEST_HD C fmod_(C a, C b) {
  if constexpr (std::is_same_v<C, float>) return __builtin_fmodf(a, b);
  else return __builtin_fmod(a, b);
}
template <class C> STEEPEST_HD C floor_(C a) {
  if constexpr (std::is_same_v<C, float>) return __builtin_floorf(a);
  else return __builtin_floor(a);
}
template <class C> STEEPEST_HD C trunc_(C a) {
  if constexpr (std::is_same_v<C, float>) return __builtin_truncf(a);
  else return __builtin_trunc(a);
}
template <class C> STEEPEST_HD C copysign_(C a, C b) {
  if constexpr (std::is_same_v<C, float>) return __builtin_copysignf(a, b);
  else return __builtin_copysign(a, b);
}

template <class T> struct ITrunc {
  STEEPEST_HD T operator()(T a, T b) const { return b == -1 ? wrap_neg(a) : (b == 0 ? T(0) : T(a / b)); }
};
template <class T> struct IFloor {
  STEEPEST_HD T operator()(T a, T b) const {
    if (b == -1) return wrap_neg(a);
    if (b == 0) return T(0);
    T q = T(a / b), r = T(a % b);
    return (r != 0 && ((r < 0) != (b < 0))) ? T(q - 1) : q;
  }
};
template <class T> struct IRemainder {
  STEEPEST_HD T operator()(T a, T b) const {
    if (b == -1 || b == 0) return T(0);
    T r = T(a % b);
    return (r != 0 && ((r < 0) != (b < 0))) ? T(r + b) : r;
  }
};
template <class T> struct IFmod {
  STEEPEST_HD T operator()(T a, T b) const { return (b == -1 || b == 0) ? T(0) : T(a % b); }
};

template <class C> struct FTrunc {
  STEEPEST_HD C operator()(C a, C b) const { return trunc_(a / b); }
};
// Floor division as Python's float //: from the exact remainder fmod(a, b), so a quotient
// that a / b would round up to an integer is not floored one too high; the result is the
// integer nearest (a - mod) / b. Division by zero gives a / b (inf or NaN).
template <class C> struct FFloor {
  STEEPEST_HD C operator()(C a, C b) const {
    if (b == C(0)) return a / b;
    C mod = fmod_(a, b);
    C q = (a - mod) / b;
    if (mod != C(0) && ((b < C(0)) != (mod < C(0)))) q -= C(1);
    if (q == C(0)) return copysign_(C(0), a / b);
    C f = floor_(q);
    return q - f > C(0.5) ? f + C(1) : f;
  }
};
// The remainder with the divisor's sign; NaN for b == 0 (fmod's).
template <class C> struct FRemainder {
  STEEPEST_HD C operator()(C a, C b) const {
    C mod = fmod_(a, b);
    return (mod != C(0) && ((b < C(0)) != (mod < C(0)))) ? mod + b : mod;
  }
};
template <class C> struct FFmod {
  STEEPEST_HD C operator()(C a, C b) const { return fmod_(a, b); }
};

}  // namespace steepest::kernels::divmod
