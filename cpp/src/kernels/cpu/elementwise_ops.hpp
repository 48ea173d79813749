// The math of each elementwise op, written once as a functor over a value type V: a plain
// float/double (scalar path, loop tails) or a SIMD vector (vec.hpp). Lives in the ISA
// namespace of whichever translation unit includes it.
#pragma once
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {

struct AddOp { template <class V> V operator()(V a, V b) const { return a + b; } };
struct SubOp { template <class V> V operator()(V a, V b) const { return a - b; } };
struct MulOp { template <class V> V operator()(V a, V b) const { return a * b; } };
struct DivOp { template <class V> V operator()(V a, V b) const { return a / b; } };
// torch.maximum/minimum propagate NaN from either side.
struct MaximumOp {
  template <class V> V operator()(V a, V b) const {
    V m = max_raw(a, b);
    return select(isnan(a), a, select(isnan(b), b, m));
  }
};
struct MinimumOp {
  template <class V> V operator()(V a, V b) const {
    V m = min_raw(a, b);
    return select(isnan(a), a, select(isnan(b), b, m));
  }
};

struct NegOp { template <class V> V operator()(V a) const { return -a; } };
struct AbsOp { template <class V> V operator()(V a) const { return abs(a); } };
struct SqrtOp { template <class V> V operator()(V a) const { return sqrt(a); } };
// relu(NaN) is NaN, as torch.
struct ReluOp {
  template <class V> V operator()(V a) const {
    V zero = vbroadcast<V>(0.0f);
    return select(cmp_gt(a, zero) | isnan(a), a, zero);
  }
};

}  // namespace steepest::kernels::STEEPEST_ISA
