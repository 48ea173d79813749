// The math of each elementwise op, written once as a functor over a value type V: a plain
// float/double (scalar path, loop tails) or a SIMD vector (vec.hpp). Lives in the ISA
// namespace of whichever translation unit includes it. NaN and signed-zero rules follow
// torch's CPU results (which are numpy's).
#pragma once
#include "kernels/cpu/simd/math.hpp"
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {

struct AddOp { template <class V> STEEPEST_HD V operator()(V a, V b) const { return a + b; } };
struct SubOp { template <class V> STEEPEST_HD V operator()(V a, V b) const { return a - b; } };
struct MulOp { template <class V> STEEPEST_HD V operator()(V a, V b) const { return a * b; } };
struct DivOp { template <class V> STEEPEST_HD V operator()(V a, V b) const { return a / b; } };
struct PowOp { template <class V> STEEPEST_HD V operator()(V a, V b) const { return pow(a, b); } };
// maximum/minimum: a unless b is larger (smaller) or NaN, so NaN from either side wins and
// maximum(-0, 0) is -0 (a), as torch and numpy.
struct MaximumOp {
  template <class V> STEEPEST_HD V operator()(V a, V b) const { return select(cmp_lt(a, b) | isnan(b), b, a); }
};
struct MinimumOp {
  template <class V> STEEPEST_HD V operator()(V a, V b) const { return select(cmp_gt(a, b) | isnan(b), b, a); }
};

struct NegOp { template <class V> STEEPEST_HD V operator()(V a) const { return -a; } };
struct AbsOp { template <class V> STEEPEST_HD V operator()(V a) const { return abs(a); } };
struct SqrtOp { template <class V> STEEPEST_HD V operator()(V a) const { return sqrt(a); } };
// 1/sqrt(x) with both steps correctly rounded (torch's rsqrt on CPU), rsqrt(-0) = -inf.
struct RsqrtOp {
  template <class V> STEEPEST_HD V operator()(V a) const { return vbroadcast<V>(1.0f) / sqrt(a); }
};
struct ExpOp { template <class V> STEEPEST_HD V operator()(V a) const { return exp(a); } };
struct LogOp { template <class V> STEEPEST_HD V operator()(V a) const { return log(a); } };
struct SinOp { template <class V> STEEPEST_HD V operator()(V a) const { return sin(a); } };
struct CosOp { template <class V> STEEPEST_HD V operator()(V a) const { return cos(a); } };
struct TanhOp { template <class V> STEEPEST_HD V operator()(V a) const { return tanh(a); } };
struct SigmoidOp { template <class V> STEEPEST_HD V operator()(V a) const { return sigmoid(a); } };
// relu(x) = 0 where x < 0, x otherwise: keeps NaN and -0 (torch's clamp_min(x, 0)).
struct ReluOp {
  template <class V> STEEPEST_HD V operator()(V a) const {
    V zero = vbroadcast<V>(0.0f);
    return select(cmp_lt(a, zero), zero, a);
  }
};
struct Log1pOp { template <class V> STEEPEST_HD V operator()(V a) const { return log1p(a); } };
struct Expm1Op { template <class V> STEEPEST_HD V operator()(V a) const { return expm1(a); } };
// Rounding keeps NaN, infinities and the sign of zero (IEEE); round is half to even (torch).
struct FloorOp { template <class V> STEEPEST_HD V operator()(V a) const { return floor(a); } };
struct CeilOp { template <class V> STEEPEST_HD V operator()(V a) const { return -floor(-a); } };
struct RoundOp { template <class V> STEEPEST_HD V operator()(V a) const { return round_even(a); } };
struct TruncOp {
  template <class V> STEEPEST_HD V operator()(V a) const {
    return select(cmp_lt(a, vbroadcast<V>(0.0f)), -floor(-a), floor(a));
  }
};
// sign: 1, -1 or 0; NaN and -0 give 0 (torch).
struct SignOp {
  template <class V> STEEPEST_HD V operator()(V a) const {
    V zero = vbroadcast<V>(0.0f);
    return select(cmp_gt(a, zero), vbroadcast<V>(1.0f), select(cmp_lt(a, zero), vbroadcast<V>(-1.0f), zero));
  }
};

}  // namespace steepest::kernels::STEEPEST_ISA
